// Copies the nodes' SVG icons next to the compiled nodes (tsc copies only TypeScript output).
import { cpSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

const root = path.dirname(path.dirname(new URL(import.meta.url).pathname));
for (const dir of ['nodes', 'credentials']) {
  const walk = (rel) => {
    for (const name of readdirSync(path.join(root, rel))) {
      const p = path.join(rel, name);
      if (statSync(path.join(root, p)).isDirectory()) walk(p);
      else if (name.endsWith('.svg')) cpSync(path.join(root, p), path.join(root, 'dist', p));
    }
  };
  walk(dir);
}
