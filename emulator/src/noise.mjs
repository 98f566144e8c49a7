// Noise_XX_25519_AESGCM_SHA256 responder (docs/PROTOCOL.md §1.3, §1.5), roles mirrored from the client.
// Pure logic over buffers: no sockets. Throws NoiseError on any malformed or unauthentic input.
import { createCipheriv, createDecipheriv, createHash, hkdfSync } from 'node:crypto'
import { Curve, proto } from 'baileys'
import { NOISE_MODE, WA_HEADER } from './constants.mjs'


export class NoiseError extends Error {}

const sha256 = (...parts) => {
  const h = createHash('sha256')
  for (const p of parts) h.update(p)
  return h.digest()
}

/** 12-byte IV: 8 zero bytes then the 32-bit big-endian counter (§1.3). */
export const nonce = (counter) => {
  const iv = Buffer.alloc(12)
  iv.writeUInt32BE(counter >>> 0, 8)
  return iv
}

export const gcmEncrypt = (key, counter, plaintext, aad) => {
  const c = createCipheriv('aes-256-gcm', key, nonce(counter))
  if (aad) c.setAAD(aad)
  return Buffer.concat([c.update(plaintext), c.final(), c.getAuthTag()])
}

export const gcmDecrypt = (key, counter, ciphertext, aad) => {
  if (ciphertext.length < 16) throw new NoiseError('ciphertext shorter than the GCM tag')
  const d = createDecipheriv('aes-256-gcm', key, nonce(counter))
  if (aad) d.setAAD(aad)
  d.setAuthTag(ciphertext.subarray(ciphertext.length - 16))
  try {
    return Buffer.concat([d.update(ciphertext.subarray(0, ciphertext.length - 16)), d.final()])
  } catch {
    throw new NoiseError('GCM authentication failed')
  }
}

const hkdf64 = (salt, ikm) => Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.alloc(0), 64))

/** Per-direction transport state after Split: no AAD, counters from 0 (§1.5). */
export class TransportCipher {
  constructor (readKey, writeKey) {
    this.readKey = readKey
    this.writeKey = writeKey
    this.readCounter = 0
    this.writeCounter = 0
  }

  encrypt (plaintext) { return gcmEncrypt(this.writeKey, this.writeCounter++, plaintext) }
  decrypt (ciphertext) { return gcmDecrypt(this.readKey, this.readCounter++, ciphertext) }
}

/**
 * Server side of the XX handshake.
 * Usage: const r = new NoiseResponder(serverStatic, certChainBytes);
 *        const hello = r.respond(clientHelloBytes)   // -> serverHello bytes to send
 *        const { clientStatic, payload, transport } = r.finish(clientFinishBytes)
 */
export class NoiseResponder {
  /** @param {{public: Buffer, private: Buffer}} serverStatic @param {Buffer} certChain serialized CertChain */
  constructor (serverStatic, certChain) {
    this.s = serverStatic
    this.certChain = certChain
    this.h = Buffer.from(NOISE_MODE)
    this.ck = Buffer.from(NOISE_MODE)
    this.k = null
    this.n = 0
    this.mixHash(WA_HEADER)
  }

  mixHash (data) { this.h = sha256(this.h, data) }

  mixKey (ikm) {
    const out = hkdf64(this.ck, ikm)
    this.ck = out.subarray(0, 32)
    this.k = out.subarray(32)
    this.n = 0
  }

  encryptAndHash (plaintext) {
    const ct = gcmEncrypt(this.k, this.n++, plaintext, this.h)
    this.mixHash(ct)
    return ct
  }

  decryptAndHash (ciphertext) {
    const pt = gcmDecrypt(this.k, this.n++, ciphertext, this.h)
    this.mixHash(ciphertext)
    return pt
  }

  respond (helloBytes) {
    let msg
    try { msg = proto.HandshakeMessage.decode(helloBytes) } catch { throw new NoiseError('client hello is not a HandshakeMessage') }
    const re = msg.clientHello?.ephemeral
    if (!re || re.length !== 32) throw new NoiseError('client hello without a 32-byte ephemeral key')
    this.re = Buffer.from(re)
    this.mixHash(this.re)
    this.e = Curve.generateKeyPair()
    this.mixHash(this.e.public)
    this.mixKey(Curve.sharedKey(this.e.private, this.re))
    const encStatic = this.encryptAndHash(this.s.public)
    this.mixKey(Curve.sharedKey(this.s.private, this.re))
    const encCert = this.encryptAndHash(this.certChain)
    return Buffer.from(proto.HandshakeMessage.encode({
      serverHello: { ephemeral: this.e.public, static: encStatic, payload: encCert }
    }).finish())
  }

  finish (finishBytes) {
    let msg
    try { msg = proto.HandshakeMessage.decode(finishBytes) } catch { throw new NoiseError('client finish is not a HandshakeMessage') }
    const fin = msg.clientFinish
    if (!fin?.static?.length || !fin?.payload?.length) throw new NoiseError('client finish without static or payload')
    const clientStatic = this.decryptAndHash(Buffer.from(fin.static))
    if (clientStatic.length !== 32) throw new NoiseError('client static key is not 32 bytes')
    this.mixKey(Curve.sharedKey(this.e.private, clientStatic))
    const payload = this.decryptAndHash(Buffer.from(fin.payload))
    const split = hkdf64(this.ck, Buffer.alloc(0))
    // client write key = first half = our read key (§1.5)
    const transport = new TransportCipher(split.subarray(0, 32), split.subarray(32))
    return { clientStatic, payload, transport }
  }
}
