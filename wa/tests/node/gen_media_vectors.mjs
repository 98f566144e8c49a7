// Regenerates the media-crypto corpus from Baileys (an independent implementation):
//   node wa/tests/node/gen_media_vectors.mjs > wa/tests/vectors/media.jsonl
// Each line is one of:
//   {"kind":"keys", "type" (our MediaType name), "media_key", "iv", "cipher_key", "mac_key", "ref_key"}
//     iv/cipher/mac from Baileys' getMediaKeys; ref_key = bytes 80..112 of Baileys' hkdf(…, 112)
//   {"kind":"blob", "type", "plaintext", "media_key", "blob", "file_sha256", "file_enc_sha256",
//    "file_length"}  from Baileys' encryptedStream (its random media key, recorded)
// All byte strings are hex.
import { getMediaKeys, encryptedStream, hkdfInfoKey } from 'baileys'
import { hkdf } from 'baileys/lib/Utils/crypto.js'
import { readFileSync, unlinkSync } from 'node:fs'

// ours -> Baileys' media type names
const TYPES = {
  image: 'image', video: 'video', audio: 'audio', document: 'document', sticker: 'sticker',
  history: 'md-msg-hist', app_state: 'md-app-state', link_thumbnail: 'thumbnail-link'
}
const hex = (b) => Buffer.from(b).toString('hex')
const bytes = (n, seed) => Buffer.from(Array.from({ length: n }, (_, i) => (seed * 31 + i * 7 + (i >> 8)) & 0xff))
const out = []

for (const [ours, theirs] of Object.entries(TYPES)) {
  const mediaKey = bytes(32, ours.length)
  const k = await getMediaKeys(mediaKey, theirs)
  const full = await hkdf(mediaKey, 112, { info: hkdfInfoKey(theirs) })
  out.push({ kind: 'keys', type: ours, info: hkdfInfoKey(theirs), media_key: hex(mediaKey), iv: hex(k.iv), cipher_key: hex(k.cipherKey), mac_key: hex(k.macKey), ref_key: hex(full.slice(80, 112)) })
}

const sizes = [0, 1, 15, 16, 17, 31, 32, 100, 1000, 4099]
let seed = 1
for (const [ours, theirs] of Object.entries(TYPES)) {
  for (const n of (ours === 'image' ? sizes : [0, 17, 1000])) {
    const plain = bytes(n, seed++)
    const r = await encryptedStream(plain, theirs)
    const blob = readFileSync(r.encFilePath)
    unlinkSync(r.encFilePath)
    out.push({ kind: 'blob', type: ours, plaintext: hex(plain), media_key: hex(r.mediaKey), blob: hex(blob), file_sha256: hex(r.fileSha256), file_enc_sha256: hex(r.fileEncSha256), file_length: r.fileLength })
  }
}
for (const o of out) console.log(JSON.stringify(o))
