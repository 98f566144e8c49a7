// Sandbox mode (docs/SANDBOX.md): /health says "sandbox": true when the gateway runs with
// --sandbox. Asked once per page load; the answer does not change while the gateway runs.
import { useEffect, useState } from 'react';

let asked = null;

export function sandboxMode() {
  if (!asked) {
    asked = fetch('/health')
      .then((r) => r.json())
      .then((h) => h?.sandbox === true)
      .catch(() => false);
  }
  return asked;
}

/** True once /health said the gateway runs in sandbox mode. */
export function useSandbox() {
  const [on, setOn] = useState(false);
  useEffect(() => {
    let alive = true;
    sandboxMode().then((v) => alive && setOn(v));
    return () => {
      alive = false;
    };
  }, []);
  return on;
}
