// Generated files have not drifted from their generators: each generator runs and its output must
// equal the committed file byte for byte. Fails naming the file and the command that rewrites it.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const generated = [
  { file: 'wa/src/binary/token_tables.cpp', command: ['wa/tools/gen_tokens.mjs'] },
  // Conformance corpora recorded from Baileys with a fixed seed (the protobuf and media corpora
  // hold fresh random keys on every run and are recorded once instead).
  { file: 'wa/tests/vectors/nodes.jsonl', command: ['wa/tests/node/gen_node_vectors.mjs'] },
  { file: 'wa/tests/vectors/messages.jsonl', command: ['wa/tests/node/gen_message_vectors.mjs'] },
];
let failed = 0;
for (const g of generated) {
  const fresh = execFileSync(process.execPath, g.command, { cwd: root, encoding: 'utf8', maxBuffer: 64 << 20 });
  const committed = readFileSync(path.join(root, g.file), 'utf8');
  if (fresh !== committed) {
    failed++;
    console.error(`${g.file} differs from what ${g.command.join(' ')} generates; run: node ${g.command.join(' ')} > ${g.file}`);
  } else {
    console.log(`${g.file}: up to date`);
  }
}
process.exit(failed ? 1 : 0);
