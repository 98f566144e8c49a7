// Regenerates the media-retry corpus from Baileys (an independent implementation):
//   node wa/tests/node/gen_media_retry_vectors.mjs > wa/tests/vectors/media_retry.jsonl
// Each line is one of:
//   {"kind":"receipt", "id", "chat", "from_me", "participant"?, "me", "media_key", "iv", "enc_p",
//    "to"}  Baileys' encryptMediaRetryRequest (its random iv, recorded)
//   {"kind":"notification", "id", "media_key", "iv", "enc_p", "result", "direct_path"}  an answer
//    encrypted with Baileys' aesEncryptGCM and retry key, and checked with its decryptMediaRetryData
// Byte strings are hex.
import { encryptMediaRetryRequest, decryptMediaRetryData, proto } from 'baileys'
import { aesEncryptGCM, hkdf } from 'baileys/lib/Utils/crypto.js'

const hex = (b) => Buffer.from(b).toString('hex')
const bytes = (n, seed) => Buffer.from(Array.from({ length: n }, (_, i) => (seed * 29 + i * 11) & 0xff))
const out = []

const keys = [
  { id: '3EB0C431D5B8A1F2E6A7', remoteJid: '6281234567890@s.whatsapp.net', fromMe: false },
  { id: 'ABCDEF0123456789', remoteJid: '120363025246125486@g.us', fromMe: false, participant: '6289876543210@s.whatsapp.net' },
  { id: '3A1B2C3D4E5F', remoteJid: '112233445566778@lid', fromMe: true }
]
let seed = 1
for (const key of keys) {
  const mediaKey = bytes(32, seed++)
  const me = '6281100000001:7@s.whatsapp.net'
  const node = encryptMediaRetryRequest(key, mediaKey, me)
  const enc = node.content.find((c) => c.tag === 'encrypt')
  const get = (tag) => enc.content.find((c) => c.tag === tag).content
  out.push({
    kind: 'receipt', id: key.id, chat: key.remoteJid, from_me: !!key.fromMe, ...(key.participant ? { participant: key.participant } : {}),
    me, to: node.attrs.to, media_key: hex(mediaKey), iv: hex(get('enc_iv')), enc_p: hex(get('enc_p'))
  })
}

const answers = [
  { result: proto.MediaRetryNotification.ResultType.SUCCESS, directPath: '/v/t62.7118-24/12345_67890.enc?ccb=11-4&oh=01_abc&oe=6600AA00&_nc_sid=5e03e0' },
  { result: proto.MediaRetryNotification.ResultType.NOT_FOUND },
  { result: proto.MediaRetryNotification.ResultType.DECRYPTION_ERROR },
  { result: proto.MediaRetryNotification.ResultType.GENERAL_ERROR }
]
for (const a of answers) {
  const id = `3EB0${hex(bytes(8, seed)).toUpperCase()}`
  const mediaKey = bytes(32, seed++)
  const iv = bytes(12, seed++)
  const plain = proto.MediaRetryNotification.encode({ stanzaId: id, result: a.result, ...(a.directPath ? { directPath: a.directPath } : {}) }).finish()
  const retryKey = await hkdf(mediaKey, 32, { info: 'WhatsApp Media Retry Notification' })
  const ciphertext = aesEncryptGCM(plain, retryKey, iv, Buffer.from(id))
  const back = decryptMediaRetryData({ ciphertext, iv }, mediaKey, id)
  if (back.stanzaId !== id || back.result !== a.result) throw new Error('Baileys does not read its own answer back')
  out.push({ kind: 'notification', id, media_key: hex(mediaKey), iv: hex(iv), enc_p: hex(ciphertext), result: a.result, direct_path: a.directPath ?? '' })
}
for (const o of out) console.log(JSON.stringify(o))
