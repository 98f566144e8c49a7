// Baileys' node codec throughput on the same corpus as wa-bench-wire:
//   node bench/wire/bench_baileys.mjs wa/tests/vectors/nodes.jsonl [seconds]
import fs from 'node:fs';
import { encodeBinaryNode } from 'baileys';
import { decodeDecompressedBinaryNode } from 'baileys/lib/WABinary/decode.js';
import * as constants from 'baileys/lib/WABinary/constants.js';

const [file, secArg] = process.argv.slice(2);
const seconds = Number(secArg ?? 3);
const fromJson = (j) => ({
  tag: j.tag, attrs: j.attrs,
  content: j.content === null ? undefined : Array.isArray(j.content) ? j.content.map(fromJson)
    : typeof j.content === 'string' ? j.content : Buffer.from(j.content.hex, 'hex'),
});
const nodes = fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((v) => v.node && v.decoded !== null).map((v) => fromJson(v.node));
const payloads = nodes.map((n) => encodeBinaryNode(n));
const bytes = payloads.reduce((s, p) => s + p.length, 0);

function runFor(fn) {
  for (let i = 0; i < 3; i++) fn();  // warm up the JIT
  const start = process.hrtime.bigint();
  let rounds = 0, elapsed = 0;
  do { fn(); rounds++; elapsed = Number(process.hrtime.bigint() - start) / 1e9; } while (elapsed < seconds);
  return rounds / elapsed;
}
let sink = 0;
const enc = runFor(() => { for (const n of nodes) sink += encodeBinaryNode(n).length; });
// The synchronous core of decodeBinaryNode (the async wrapper only strips the flag byte here).
const dec = runFor(() => { for (const p of payloads) sink += decodeDecompressedBinaryNode(p.subarray(1), constants).tag.length; });
const mb = bytes / 1e6;
console.log(JSON.stringify({ impl: 'baileys', nodes: nodes.length, bytes,
  encode_mb_s: +(mb * enc).toFixed(1), encode_nodes_s: Math.round(nodes.length * enc),
  decode_mb_s: +(mb * dec).toFixed(1), decode_nodes_s: Math.round(nodes.length * dec), sink: sink % 10 }));
