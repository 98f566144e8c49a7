// Live conformance of wa-tool's node codec with Baileys (ctest wa_node_live_conformance).
//   node wa/tests/node/live_node_test.mjs path/to/wa-tool [count] [seed]
// 1. encode: random nodes (fixed seed) -> Baileys encodeBinaryNode hex == `wa-tool node encode` hex
// 2. decode: the same bytes -> Baileys decodeBinaryNode == `wa-tool node decode -` JSON
// 3. mutated bytes (flipped/truncated/inserted) -> both accept with equal output, or both reject
//    (ours additionally rejects trailing bytes after the node, which Baileys ignores).
import { spawnSync } from 'node:child_process';
import { isDeepStrictEqual } from 'node:util';
import { encodeBinaryNode } from 'baileys';
import { decodeDecompressedBinaryNode } from 'baileys/lib/WABinary/decode.js';
import * as constants from 'baileys/lib/WABinary/constants.js';
import { makeRandom, toJson } from './random_nodes.mjs';

const [tool, countArg, seedArg] = process.argv.slice(2);
if (!tool) { console.error('usage: live_node_test.mjs WA_TOOL [count] [seed]'); process.exit(2); }
const count = Number(countArg ?? 3000);
const seed = Number(seedArg ?? 0x5eed);
const R = makeRandom(seed);

function run(args, lines) {
  const r = spawnSync(tool, args, { input: lines.join('\n') + '\n', maxBuffer: 1 << 30, encoding: 'utf8' });
  if (r.error) throw r.error;
  return r.stdout.split('\n').slice(0, lines.length);
}

// Baileys' decoder on uncompressed bytes (flag byte 0), noting whether bytes were left over.
function baileysDecode(buf) {
  try {
    const ref = { index: 0 };
    const node = decodeDecompressedBinaryNode(buf.subarray(1), constants, ref);
    return { ok: true, node: toJson(node), trailing: ref.index !== buf.length - 1 };
  } catch (e) {
    return { ok: false, error: e.message };
  }
}

let failures = 0;
const fail = (what, detail) => {
  if (++failures <= 10) console.error(`MISMATCH ${what}\n  ${detail.slice(0, 2000)}`);
};

// 1. encode
const nodes = Array.from({ length: count }, () => R.node(0));
const jsonLines = nodes.map((n) => JSON.stringify(toJson(n)));
const expectedHex = nodes.map((n) => encodeBinaryNode(n).toString('hex'));
const oursHex = run(['node', 'encode'], jsonLines);
for (let i = 0; i < count; i++) {
  if (oursHex[i] !== expectedHex[i]) fail(`encode #${i}`, `json ${jsonLines[i]}\n  baileys ${expectedHex[i]}\n  ours    ${oursHex[i]}`);
}

// 2 + 3. decode, on the exact bytes and on mutations of them
const inputs = [...expectedHex];
for (let i = 0; i < count; i++) {
  const b = Buffer.from(expectedHex[i], 'hex');
  const kind = R.int(3);
  if (kind === 0) {
    for (let k = 0; k < 1 + R.int(3); k++) b[1 + R.int(b.length - 1)] = R.int(256);
    inputs.push(b.toString('hex'));
  } else if (kind === 1) {
    inputs.push(b.subarray(0, 1 + R.int(b.length - 1)).toString('hex'));
  } else {
    const at = 1 + R.int(b.length - 1);
    inputs.push(Buffer.concat([b.subarray(0, at), Buffer.from([R.int(256)]), b.subarray(at)]).toString('hex'));
  }
}
const ours = run(['node', 'decode', '-'], inputs).map((l) => JSON.parse(l));
let accepted = 0, rejected = 0;
for (let i = 0; i < inputs.length; i++) {
  const theirs = baileysDecode(Buffer.from(inputs[i], 'hex'));
  const mine = ours[i];
  const label = `${i < count ? 'decode' : 'mutated decode'} #${i} ${inputs[i].slice(0, 200)}`;
  if (theirs.ok && !theirs.trailing) {
    if (mine.error) fail(label, `baileys ok, ours ${mine.error}`);
    else if (!isDeepStrictEqual(mine, theirs.node)) fail(label, `baileys ${JSON.stringify(theirs.node)}\n  ours    ${JSON.stringify(mine)}`);
    else accepted++;
  } else if (theirs.ok && theirs.trailing) {
    if (mine.error !== 'node_trailing_bytes') fail(label, `trailing bytes: ours ${JSON.stringify(mine).slice(0, 200)}`);
    else rejected++;
  } else {
    if (!mine.error) fail(label, `baileys rejects (${theirs.error}), ours ${JSON.stringify(mine)}`);
    else rejected++;
  }
}
console.log(`nodes ${count}, seed ${seed}: encode compared ${count}; decode accepted-equal ${accepted}, rejected-both ${rejected}; mismatches ${failures}`);
process.exit(failures === 0 ? 0 : 1);
