// Seeds for fuzz_wa_noise (fuzz/wa/noise_fuzzer.cpp): a valid certificate chain and a valid server
// hello for the fuzzer's fixed keys and clock, produced by the emulator's independent Noise
// responder and curve25519-js XEdDSA; plus a few near-misses.
//   node wa/tests/node/gen_noise_fuzz_seeds.mjs fuzz/corpus/wa_noise
import { mkdirSync, writeFileSync } from 'node:fs'
import curve from 'curve25519-js'
import { proto } from 'baileys'
import { NoiseResponder } from '../../../emulator/src/noise.mjs'

const out = process.argv[2]
if (!out) { console.error('usage: gen_noise_fuzz_seeds.mjs DIR'); process.exit(2) }
mkdirSync(out, { recursive: true })

const keyPair = (byte) => {
  const k = curve.generateKeyPair(new Uint8Array(32).fill(byte)) // clamps like key_pair_from_private
  return { public: Buffer.from(k.public), private: Buffer.from(k.private) }
}
const root = keyPair(0x33); const serverStatic = keyPair(0x44); const ephemeral = keyPair(0x11)
const intermediate = keyPair(0x55)
const NOW = 1_800_000_000
const sign = (k, msg) => Buffer.from(curve.sign(k.private, msg, new Uint8Array(64).fill(7)))

const chain = (leafKey = serverStatic.public) => {
  const D = proto.CertChain.NoiseCertificate.Details
  const inter = D.encode({ serial: 7, issuerSerial: 0, key: intermediate.public, notBefore: NOW - 100, notAfter: NOW + 100 }).finish()
  const leaf = D.encode({ serial: 9, issuerSerial: 7, key: leafKey, notBefore: NOW - 100, notAfter: NOW + 100 }).finish()
  return Buffer.from(proto.CertChain.encode({
    leaf: { details: leaf, signature: sign(intermediate, leaf) },
    intermediate: { details: inter, signature: sign(root, inter) }
  }).finish())
}

const clientHello = Buffer.from(proto.HandshakeMessage.encode({ clientHello: { ephemeral: ephemeral.public } }).finish())
const seeds = {
  'cert-chain-valid': chain(),
  'cert-chain-leaf-mismatch': chain(Buffer.alloc(32, 1)),
  'server-hello-valid': new NoiseResponder(serverStatic, chain()).respond(clientHello),
  'server-hello-shape': Buffer.from(proto.HandshakeMessage.encode({
    serverHello: { ephemeral: Buffer.alloc(32, 9), static: Buffer.alloc(48, 1), payload: Buffer.alloc(40, 2) }
  }).finish()),
  'transport-frame': Buffer.alloc(20, 3)
}
for (const [name, bytes] of Object.entries(seeds)) writeFileSync(`${out}/${name}`, bytes)
console.log(`wrote ${Object.keys(seeds).length} seeds to ${out}`)
