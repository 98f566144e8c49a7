import { useCallback, useEffect, useState } from 'react';

// A form's values kept in sessionStorage while it is being filled in, so that a login in between
// (an expired token) does not lose them. clear() after a successful submit.
export function useDraft(key, initial) {
  const [value, setValue] = useState(() => {
    try {
      const s = sessionStorage.getItem(`draft.${key}`);
      return s ? { ...initial, ...JSON.parse(s) } : initial;
    } catch {
      return initial;
    }
  });
  useEffect(() => {
    try {
      sessionStorage.setItem(`draft.${key}`, JSON.stringify(value));
    } catch {
      /* storage full or disabled: drafts are a convenience */
    }
  }, [key, value]);
  const clear = useCallback(() => {
    try {
      sessionStorage.removeItem(`draft.${key}`);
    } catch {
      /* ignore */
    }
  }, [key]);
  return [value, setValue, clear];
}
