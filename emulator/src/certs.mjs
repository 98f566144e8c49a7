// The emulator's own root key and the Noise certificate chain it signs (docs/PROTOCOL.md §1.4).
import { readFileSync, writeFileSync, existsSync } from 'node:fs'
import { Curve, proto } from 'baileys'
import { CERT_INTERMEDIATE_SERIAL, CERT_ISSUER_SERIAL, CERT_LEAF_SERIAL } from './constants.mjs'


/**
 * Load the root key pair from a JSON file {"public": hex, "private": hex}, or generate one
 * (and write it to the file when a path is given but missing) for reproducible runs.
 */
export const loadOrCreateRootKey = (path) => {
  if (path && existsSync(path)) {
    const j = JSON.parse(readFileSync(path, 'utf8'))
    const key = { public: Buffer.from(j.public, 'hex'), private: Buffer.from(j.private, 'hex') }
    if (key.public.length !== 32 || key.private.length !== 32) throw new Error(`root key file ${path}: keys must be 32 bytes hex`)
    return key
  }
  const key = Curve.generateKeyPair()
  if (path) writeFileSync(path, JSON.stringify({ public: key.public.toString('hex'), private: key.private.toString('hex') }) + '\n', { mode: 0o600 })
  return key
}

/** Serialized CertChain: intermediate signed by the root, leaf (= server static) signed by the intermediate. */
export const makeCertChain = (rootKey, serverStaticPub, now = Date.now()) => {
  const nowS = Math.floor(now / 1000)
  const intermediateKey = Curve.generateKeyPair()
  const interDetails = proto.CertChain.NoiseCertificate.Details.encode({
    serial: CERT_INTERMEDIATE_SERIAL,
    issuerSerial: CERT_ISSUER_SERIAL,
    key: intermediateKey.public,
    notBefore: nowS - 86400,
    notAfter: nowS + 365 * 86400
  }).finish()
  const leafDetails = proto.CertChain.NoiseCertificate.Details.encode({
    serial: CERT_LEAF_SERIAL,
    issuerSerial: CERT_INTERMEDIATE_SERIAL,
    key: serverStaticPub,
    notBefore: nowS - 86400,
    notAfter: nowS + 30 * 86400
  }).finish()
  return Buffer.from(proto.CertChain.encode({
    leaf: { details: leafDetails, signature: Buffer.from(Curve.sign(intermediateKey.private, leafDetails)) },
    intermediate: { details: interDetails, signature: Buffer.from(Curve.sign(rootKey.private, interDetails)) }
  }).finish())
}
