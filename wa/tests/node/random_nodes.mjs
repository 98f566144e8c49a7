// Deterministic random binary nodes for the conformance tests (shared by the vector generator and
// the live test). Strings are drawn so that every encoding path of the encoder is exercised: single-
// and double-byte tokens, NIBBLE_8 / HEX_8 (including the 127-character limit), every JID shape,
// raw UTF-8, the empty string; content covers BINARY_8/20, text, child lists up to LIST_16.
import * as constants from 'baileys/lib/WABinary/constants.js';

export function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Names Baileys' TOKEN_MAP (a plain object) would resolve through Object.prototype: it encodes
// them as a bogus byte 0. That is a Baileys bug, not protocol; keep them out of the corpus.
const PROTO_NAMES = new Set(Object.getOwnPropertyNames(Object.prototype));

export function makeRandom(seed, { bigContent = true } = {}) {
  const rnd = mulberry32(seed);
  const int = (n) => Math.floor(rnd() * n);
  const pick = (arr) => arr[int(arr.length)];
  const chars = (alphabet, n) => Array.from({ length: n }, () => pick(alphabet)).join('');
  const singles = constants.SINGLE_BYTE_TOKENS.slice(1);
  const doubles = constants.DOUBLE_BYTE_TOKENS.flat();
  const servers = ['s.whatsapp.net', 'lid', 'g.us', 'broadcast', 'hosted', 'hosted.lid', 'newsletter',
    'c.us', 'call', 'bot', 'msgr', 'interop', 'example.org'];
  const digits = () => chars('0123456789', 1 + int(15));
  const unicode = (n) => {
    let s = '';
    for (let i = 0; i < n; i++) {
      const r = rnd();
      let cp;
      if (r < 0.6) cp = 0x20 + int(0x5f);  // '@' is replaced below: JIDs come from jid()
      else if (r < 0.8) cp = 0xa0 + int(0x700);
      else if (r < 0.95) cp = 0x3000 + int(0x5000);
      else cp = 0x1f300 + int(0x300);
      s += String.fromCodePoint(cp === 0x40 ? 0x41 : cp);
    }
    return s;
  };
  const jid = () => {
    const r = int(12);
    const dev = () => String(pick([0, 1, 2, 9, 10, 99, 255, int(256)]));
    switch (r) {
      case 0: return `${digits()}@s.whatsapp.net`;
      case 1: return `${digits()}:${dev()}@s.whatsapp.net`;
      case 2: return `${digits()}@lid`;
      case 3: return `${digits()}:${dev()}@lid`;
      case 4: return `${digits()}-${digits()}@g.us`;
      case 5: return `@${pick(servers)}`;
      case 6: return `${digits()}:${dev()}@${pick(['hosted', 'hosted.lid'])}`;
      case 7: return `${digits()}_${int(3)}:${dev()}@s.whatsapp.net`;
      case 8: return `status@broadcast`;
      case 9: return `${chars('abcdefxyz', 1 + int(8))}@${pick(servers)}`;
      case 10: return `${digits()}@${digits()}@${pick(servers)}`;  // nested pair
      default: return `${digits()}:${dev()}@${pick(servers)}`;
    }
  };
  const str = () => {
    let s;
    do {
      const r = int(14);
      if (r < 3) s = pick(singles);
      else if (r < 5) s = pick(doubles);
      else if (r === 5) s = chars('0123456789-.', 1 + int(pick([8, 40, 127, 130])));
      else if (r === 6) s = chars('0123456789ABCDEF', 1 + int(pick([8, 40, 127, 130])));
      else if (r === 7) s = chars('0123456789abcdef', 1 + int(40));
      else if (r < 10) s = jid();
      else if (r === 10) s = '';
      else if (r === 11) s = unicode(1 + int(30));
      else if (r === 12) s = String(int(1000));  // integer-like: JS orders such keys first
      else s = chars('abcdefghijklmnopqrstuvwxyz_-:', 1 + int(20));
    } while (PROTO_NAMES.has(s));
    return s;
  };
  const bytes = (light) => {
    const n = light ? int(20) : pick([0, 1, 16, 32, 255, 256, int(300), int(2000), ...(bigContent && rnd() < 0.02 ? [70000] : [])]);
    return Buffer.from(Array.from({ length: n }, () => int(256)));
  };
  // light: a member of a LIST_16-sized list: small content, no children (bounds the corpus size).
  const node = (depth, light = false) => {
    const attrs = {};
    const na = pick([0, 0, 1, 2, 3, 5, int(12)]);
    for (let i = 0; i < na; i++) attrs[str()] = str();
    let tag;
    do tag = str(); while (tag === '');
    const r = int(10);
    let content;
    if (r < 3) content = undefined;
    else if (r < 5) content = str();
    else if (r < 7) content = bytes(light);
    else if (depth < 4 && !light) {
      const big = rnd() < 0.02;
      const nk = big ? 256 + int(60) : int(6);
      content = Array.from({ length: nk }, () => node(depth + 1, big));
    } else content = undefined;
    return { tag, attrs, content };
  };
  return { node, rnd, int };
}

// Node JSON form (the format wa-tool speaks) of a Baileys node.
export function toJson(n) {
  let content = null;
  if (typeof n.content === 'string') content = n.content;
  else if (Buffer.isBuffer(n.content) || n.content instanceof Uint8Array) content = { hex: Buffer.from(n.content).toString('hex') };
  else if (Array.isArray(n.content)) content = n.content.map(toJson);
  return { tag: n.tag, attrs: { ...n.attrs }, content };
}
