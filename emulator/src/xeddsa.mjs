// XEdDSA signature verification over raw 32-byte Curve25519 keys (docs/PROTOCOL.md §10.1).
// Not Baileys' Curve.verify: in rc14 it returns true for any well-formed signature, because it
// only catches exceptions and ignores libsignal's boolean result.
import curve from 'curve25519-js'

/** @returns {boolean} whether `signature` (64 bytes) over `message` verifies under `publicKey` (32 bytes). */
export const xeddsaVerify = (publicKey, message, signature) => {
  if (!publicKey || !signature || !message) return false
  const pub = publicKey.length === 33 && publicKey[0] === 5 ? publicKey.subarray(1) : publicKey
  if (pub.length !== 32 || signature.length !== 64) return false
  try {
    return curve.verify(Uint8Array.from(pub), Uint8Array.from(message), Uint8Array.from(signature)) === true
  } catch {
    return false
  }
}
