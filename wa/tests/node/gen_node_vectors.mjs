// Regenerates the committed binary-node conformance corpus from Baileys:
//   node wa/tests/node/gen_node_vectors.mjs > wa/tests/vectors/nodes.jsonl
// Each line is one vector:
//   {"name", "node", "hex", "decoded"}  encode(node) == hex (Baileys encodeBinaryNode) and
//                                       decode(hex) == decoded (Baileys decodeBinaryNode; null when
//                                       Baileys rejects its own output, then ours must reject too)
//   {"name", "node", "hex"}             as above with decoded == node
//   {"name", "hex", "decoded"}          decode only (encodings our encoder never emits)
//   {"name", "hex", "error": true}      Baileys' decoder rejects these bytes; so must ours
import zlib from 'node:zlib';
import { isDeepStrictEqual } from 'node:util';
import { encodeBinaryNode, decodeBinaryNode } from 'baileys';
import * as constants from 'baileys/lib/WABinary/constants.js';
import { makeRandom, toJson } from './random_nodes.mjs';

const out = [];
const hex = (b) => Buffer.from(b).toString('hex');

async function encodeVector(name, node) {
  const bytes = encodeBinaryNode(node);
  let decoded = null;  // null: Baileys cannot decode its own output (e.g. a JID with an empty server)
  try { decoded = toJson(await decodeBinaryNode(bytes)); } catch { /* recorded as null */ }
  const json = toJson(node);
  // "decoded" is left out when it equals "node" (keeps the corpus small).
  if (isDeepStrictEqual(decoded, json)) out.push({ name, node: json, hex: hex(bytes) });
  else out.push({ name, node: json, hex: hex(bytes), decoded });
}
async function decodeVector(name, h) {
  try {
    const decoded = await decodeBinaryNode(Buffer.from(h, 'hex'));
    out.push({ name, hex: h, decoded: toJson(decoded) });
  } catch {
    out.push({ name, hex: h, error: true });
  }
}

// --- every token of both dictionaries, as tag, attribute and content -------------------------
const singles = constants.SINGLE_BYTE_TOKENS.slice(1);
for (let i = 0; i < singles.length; i += 40) {
  const attrs = {};
  singles.slice(i + 1, i + 40).forEach((t, j) => { attrs[`k${j}`] = t; });
  await encodeVector(`single-byte tokens ${i + 1}..`, { tag: singles[i], attrs, content: singles[i] });
}
for (const [d, dict] of constants.DOUBLE_BYTE_TOKENS.entries()) {
  for (let i = 0; i < dict.length; i += 64) {
    const kids = dict.slice(i, i + 64).map((t) => ({ tag: 'x', attrs: { t }, content: t }));
    await encodeVector(`dictionary ${d} tokens ${i}..`, { tag: dict[i], attrs: {}, content: kids });
  }
}

// --- strings: packed forms and their limits, raw, empty ----------------------------------------
const cases = {
  'nibble odd': '123-45.6', 'nibble even': '1234', 'nibble 127': '1'.repeat(127), 'nibble 128 is raw': '1'.repeat(128),
  'hex upper odd': 'ABCDEF123', 'hex upper 127': 'F'.repeat(127), 'hex 128 is raw': 'A'.repeat(128),
  'hex lowercase is raw': 'abcdef12', 'raw ascii': 'hello world', 'raw utf8': 'héllo ✓ 😀', 'empty string': '',
  'nibble single char': '7', 'dot and dash only': '.-.-',
};
for (const [name, s] of Object.entries(cases)) {
  await encodeVector(`string: ${name}`, { tag: 'message', attrs: { id: s, v: s }, content: s });
}

// --- JIDs ---------------------------------------------------------------------------------------
const jids = {
  'pn': '15551234567@s.whatsapp.net', 'pn device': '15551234567:12@s.whatsapp.net',
  'pn explicit device 0': '15551234567:0@s.whatsapp.net', 'lid': '123456789012345@lid',
  'lid device': '123456789012345:3@lid', 'group': '120363000000000000@g.us', 'legacy group': '15551234567-1600000000@g.us',
  'server s.whatsapp.net': '@s.whatsapp.net', 'server g.us': '@g.us', 'server lid': '@lid', 'server unknown': '@example.org',
  'status broadcast': 'status@broadcast', 'broadcast list': '1600000000@broadcast', 'hosted': '15551234567:99@hosted',
  'hosted lid': '123456789:99@hosted.lid', 'hosted no device': '15551234567@hosted', 'agent': '15551234567_1:2@s.whatsapp.net',
  'agent no device': '15551234567_1@s.whatsapp.net', 'newsletter': '120363000000000001@newsletter', 'bot': '13135550002@bot',
  'letters user': 'server@c.us', 'device 255': '1:255@s.whatsapp.net', 'nested pair': '1@2@s.whatsapp.net',
  'empty server': 'abc@', 'device not a number': '1:x@s.whatsapp.net', 'device 256 wraps': '1:256@s.whatsapp.net',
  'user empty with device': ':5@s.whatsapp.net', 'msgr': '1234:7@msgr', 'interop string': '5-1234:7@interop',
};
for (const [name, j] of Object.entries(jids)) {
  await encodeVector(`jid: ${name}`, { tag: 'iq', attrs: { to: j, from: j }, content: undefined });
}
await encodeVector('jid: as content', { tag: 'participant', attrs: {}, content: '15551234567:4@s.whatsapp.net' });

// --- content and list sizes -------------------------------------------------------------------
for (const n of [0, 1, 255, 256, 1000]) {
  await encodeVector(`bytes content ${n}`, { tag: 'enc', attrs: { v: '2', type: 'pkmsg' },
    content: Buffer.from(Array.from({ length: n }, (_, i) => (i * 7 + 3) & 0xff)) });
}
await encodeVector('empty child list', { tag: 'list', attrs: {}, content: [] });
for (const n of [1, 255, 256, 300]) {
  await encodeVector(`children ${n}`, { tag: 'list', attrs: {},
    content: Array.from({ length: n }, (_, i) => ({ tag: 'item', attrs: { i: String(i) } })) });
}
const manyAttrs = {};
for (let i = 0; i < 140; i++) manyAttrs[`a${i}`] = String(i);
await encodeVector('attributes 140 (list size 281, LIST_16)', { tag: 'x', attrs: manyAttrs });
await encodeVector('integer-like attribute keys ordered first', { tag: 'x', attrs: { b: '1', 10: 'ten', a: '2', 2: 'two' } });
await encodeVector('realistic message stanza', {
  tag: 'message', attrs: { to: '120363000000000000@g.us', type: 'text', id: '3EB0C767D26A1D8E8A5F', addressing_mode: 'lid' },
  content: [
    { tag: 'participants', attrs: {}, content: [
      { tag: 'to', attrs: { jid: '123456789:2@lid' }, content: [{ tag: 'enc', attrs: { v: '2', type: 'pkmsg' }, content: Buffer.alloc(120, 7) }] }] },
    { tag: 'enc', attrs: { v: '2', type: 'skmsg' }, content: Buffer.alloc(60, 9) },
    { tag: 'device-identity', attrs: {}, content: Buffer.alloc(150, 1) },
  ],
});

// --- decode-only encodings ---------------------------------------------------------------------
const enc = (n) => hex(encodeBinaryNode(n)).slice(2);
await decodeVector('FB_JID', '00' + 'f805' + '19' + '11' + 'f6' + 'ff0212 34'.replace(' ', '') + '0007' + 'fc046d736772' + '04' + '29');
await decodeVector('INTEROP_JID with server', '00f803' + '19' + '11' + 'f5' + 'ff021234' + '0007' + '0005' + 'fc07696e7465726f70');
await decodeVector('INTEROP_JID server missing (rewind)', '00f802' + '19' + 'f5' + 'ff021234' + '0007' + '0005');
await decodeVector('AD_JID hosted domain', '00f803' + '19' + '11' + 'f7' + '80' + '63' + 'ff021234');
await decodeVector('AD_JID hosted lid domain', '00f803' + '19' + '11' + 'f7' + '81' + '00' + 'ff021234');
await decodeVector('AD_JID unknown domain', '00f803' + '19' + '11' + 'f7' + '07' + '05' + 'ff021234');
await decodeVector('nibble with padding nibble in the middle', '00f802' + '19' + 'ff' + '03' + '1f2345');
await decodeVector('hex even', '00f802' + '19' + 'fb' + '02' + 'abcd');
await decodeVector('binary string with invalid UTF-8', '00f803' + '19' + '11' + 'fc05' + 'c3ff80e282');
await decodeVector('LIST_EMPTY as attribute value', '00f803' + '19' + '11' + '00');
await decodeVector('compressed payload', '02' + hex(zlib.deflateSync(Buffer.from(enc({ tag: 'iq', attrs: { id: 'abc', type: 'result' }, content: [{ tag: 'ping', attrs: {} }] }), 'hex'))));
await decodeVector('compressed flag 0x06', '06' + hex(zlib.deflateSync(Buffer.from(enc({ tag: 'success', attrs: { t: '1700000000' } }), 'hex'))));
await decodeVector('BINARY_32 string attribute', '00f803' + '19' + '11' + 'fe00000003616263');
await decodeVector('LIST_16 content with 2 children', '00f802' + '19' + 'f90002' + 'f80119' + 'f80119');
await decodeVector('double-byte token dictionary 3 last', '00f801efff');

// --- inputs Baileys rejects ------------------------------------------------------------------
for (const [name, h] of Object.entries({
  'empty node list': '0000', 'truncated list': '00f8', 'truncated attribute': '00f8031911', 'invalid string tag 240': '00f801f0',
  'list tag as string': '00f801f8', 'jid pair without server': '00f80319' + '11' + 'fa' + 'ff021234' + '00',
  'invalid nibble 12': '00f80219ff01c0', 'binary length past end': '00f80219fc10', 'empty tag': '00f801' + '00',
  'truncated BINARY_20': '00f80219fd0001', 'corrupt zlib': '0278deadbeef', 'child empty list': '00f8021900' .replace('00f8021900', '00f80219f80100'),
})) {
  await decodeVector(`reject: ${name}`, h);
}

// --- random nodes from a fixed seed ------------------------------------------------------------
const R = makeRandom(20240401, { bigContent: false });
for (let i = 0; i < 400; i++) await encodeVector(`random ${i}`, R.node(0));

for (const v of out) console.log(JSON.stringify(v));
