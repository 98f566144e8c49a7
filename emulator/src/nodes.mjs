// Small helpers over Baileys' BinaryNode shape {tag, attrs, content} and JIDs.
import { encodeBinaryNode, decodeBinaryNode, jidDecode, jidEncode } from 'baileys'
import { S_WHATSAPP_NET } from './constants.mjs'


export { jidDecode, jidEncode }

export const children = (node, tag) =>
  Array.isArray(node?.content) ? node.content.filter(c => c && typeof c === 'object' && 'tag' in c && (!tag || c.tag === tag)) : []
export const child = (node, tag) => children(node, tag)[0]
export const childBytes = (node, tag) => {
  const c = child(node, tag)?.content
  if (c == null) return undefined
  return Buffer.isBuffer(c) || c instanceof Uint8Array ? Buffer.from(c) : (typeof c === 'string' ? Buffer.from(c, 'latin1') : undefined)
}
export const contentString = (node) => {
  const c = node?.content
  if (c == null) return undefined
  if (typeof c === 'string') return c
  if (c instanceof Uint8Array) return Buffer.from(c).toString('utf8')
  return undefined
}
export const uintBE = (buf) => {
  if (!buf || !buf.length || buf.length > 6) return undefined
  return buf.readUIntBE(0, buf.length)
}
export const beBytes = (n, len) => {
  const b = Buffer.alloc(len)
  b.writeUIntBE(n, 0, len)
  return b
}

/** Encoded plaintext with the flag byte 0 (no compression) as Baileys' encoder produces it. */
export const encodeNode = (node) => Buffer.from(encodeBinaryNode(node))
/** Flag byte, optional zlib (flag & 2), then the node (§1.5). */
export const decodeNode = (bytes) => decodeBinaryNode(bytes)

export const nowSeconds = () => Math.floor(Date.now() / 1000).toString()

export const iqResult = (iq, content, extraAttrs = {}) => ({
  tag: 'iq',
  attrs: { from: iq.attrs.to || S_WHATSAPP_NET, type: 'result', id: iq.attrs.id, ...extraAttrs },
  ...(content !== undefined ? { content } : {})
})

export const iqError = (iq, code, text) => ({
  tag: 'iq',
  attrs: { from: iq.attrs.to || S_WHATSAPP_NET, type: 'error', id: iq.attrs.id },
  content: [{ tag: 'error', attrs: { code: String(code), text } }]
})

/** Parses "user[:device]@server"; returns undefined when not a JID. hasDevice tells explicit device. */
export const parseJid = (jid) => {
  if (typeof jid !== 'string' || !jid.includes('@')) return undefined
  const d = jidDecode(jid)
  if (!d) return undefined
  const userPart = jid.slice(0, jid.indexOf('@'))
  return { user: d.user, server: d.server, device: d.device ?? 0, hasDevice: userPart.includes(':') }
}

let idCounter = 0
export const makeId = (prefix = 'E') => `${prefix}${Date.now().toString(36).toUpperCase()}${(idCounter++).toString(36).toUpperCase()}`
