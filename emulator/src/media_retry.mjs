// The phone's side of a media retry (docs/PROTOCOL.md §8.6). When the media host no longer has a
// file, a linked device sends <receipt type=server-error> to its own account; the account's phone,
// which still has the file, uploads it again and answers <notification type=mediaretry> with the
// new direct path, encrypted under a key derived from the message's media key.
//
// Emulated phones do not decrypt messages, so they learn each file from the peer that sent it:
// peers register the media key of every attachment they send (POST /media/keys, done by
// peer.mjs). A message nobody registered gets the answer a phone gives when it has no such file:
// <error code=2/> (NOT_FOUND).
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto'
import { proto } from 'baileys'
import { child, childBytes, nowSeconds } from './nodes.mjs'

const RESULT = proto.MediaRetryNotification.ResultType

export const retryKey = (mediaKey) =>
  Buffer.from(hkdfSync('sha256', mediaKey, Buffer.alloc(0), 'WhatsApp Media Retry Notification', 32))

const seal = (key, iv, plain, aad) => {
  const c = createCipheriv('aes-256-gcm', key, iv)
  c.setAAD(aad)
  return Buffer.concat([c.update(plain), c.final(), c.getAuthTag()])
}

const unseal = (key, iv, sealed, aad) => {
  const d = createDecipheriv('aes-256-gcm', key, iv)
  d.setAAD(aad)
  d.setAuthTag(sealed.subarray(sealed.length - 16))
  return Buffer.concat([d.update(sealed.subarray(0, sealed.length - 16)), d.final()])
}

/** The media keys the phones know, by message id: {mediaKey, token, type}. Bounded. */
export class PhoneMedia {
  constructor (limit = 10000) {
    this.byId = new Map()
    this.limit = limit
  }

  /** POST /media/keys {message_id, media_key (base64 or hex), direct_path} */
  remember ({ message_id: id, media_key: key, direct_path: directPath }) {
    if (typeof id !== 'string' || !id) throw Object.assign(new Error('message_id is required'), { status: 400 })
    const mediaKey = typeof key === 'string' ? Buffer.from(key, /^[0-9a-f]{64}$/i.test(key) ? 'hex' : 'base64') : null
    if (!mediaKey || mediaKey.length !== 32) throw Object.assign(new Error('media_key must be 32 bytes (hex or base64)'), { status: 400 })
    const m = typeof directPath === 'string' && directPath.match(/^\/v\/([a-z0-9-]+)\/([A-Za-z0-9_=-]+)/)
    if (!m) throw Object.assign(new Error('direct_path must be a path the media host gave (/v/<type>/<token>…)'), { status: 400 })
    if (this.byId.size >= this.limit) this.byId.delete(this.byId.keys().next().value)
    this.byId.set(id, { mediaKey, type: m[1], token: m[2].replace(/=+$/, '') })
    return { remembered: this.byId.size }
  }
}

/** Answers a <receipt type=server-error> from `conn` as the account's phone would. */
export const answerMediaRetry = (emu, conn, node) => {
  const id = node.attrs.id
  const rmr = child(node, 'rmr')
  const reader = conn.device
  const answer = (content) => emu.deliver(reader, {
    tag: 'notification',
    attrs: { id, type: 'mediaretry', from: `${reader.account.phone}@s.whatsapp.net`, t: nowSeconds() },
    content: [{ tag: 'rmr', attrs: { ...(rmr?.attrs || {}) } }, ...content]
  })
  const known = emu.phoneMedia.byId.get(id)
  const blob = known && emu.media?.restore(known.token)
  if (!known || !blob) {
    emu.log.add('media_retry', { from: reader.pnJid, id, result: 'not_found' })
    return answer([{ tag: 'error', attrs: { code: String(RESULT.NOT_FOUND) } }])
  }
  const key = retryKey(known.mediaKey)
  // The request proves the device holds the key: its payload names the message.
  let result = RESULT.SUCCESS
  try {
    const enc = child(node, 'encrypt')
    const plain = unseal(key, childBytes(enc, 'enc_iv'), childBytes(enc, 'enc_p'), Buffer.from(id))
    if (proto.ServerErrorReceipt.decode(plain).stanzaId !== id) result = RESULT.DECRYPTION_ERROR
  } catch {
    result = RESULT.DECRYPTION_ERROR
  }
  const directPath = `/v/${known.type}/${known.token}?mms-type=${known.type}&reupload=${++emu.media.reuploads}`
  const payload = proto.MediaRetryNotification.encode({
    stanzaId: id,
    result,
    ...(result === RESULT.SUCCESS ? { directPath } : {})
  }).finish()
  const iv = randomBytes(12)
  emu.log.add('media_retry', { from: reader.pnJid, id, result: result === RESULT.SUCCESS ? 'success' : 'decryption_error' })
  answer([{ tag: 'encrypt', attrs: {}, content: [{ tag: 'enc_p', attrs: {}, content: seal(key, iv, payload, Buffer.from(id)) }, { tag: 'enc_iv', attrs: {}, content: iv }] }])
}
