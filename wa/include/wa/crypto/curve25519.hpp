#pragma once
// Curve25519 keys as WhatsApp uses them (docs/PROTOCOL.md §1.3, §2.4, §10.1): raw 32-byte
// Montgomery keys, X25519 agreement (OpenSSL) and XEdDSA signatures (libsignal-protocol-c's
// implementation, the library later used for Signal sessions), e.g. the noise certificate chain and
// the signed prekey. Thread-safe.
#include <array>
#include <cstdint>
#include <span>

#include "wa/error.hpp"

namespace wa::crypto {

using PublicKey = std::array<std::uint8_t, 32>;
using PrivateKey = std::array<std::uint8_t, 32>;
using Signature = std::array<std::uint8_t, 64>;

/// A Curve25519 key pair. The private key is clamped, so XEdDSA and X25519 agree on it.
struct KeyPair {
  PrivateKey priv{};
  PublicKey pub{};
};

/// A fresh random key pair.
KeyPair generate_key_pair();
/// The key pair of a given private key (clamped first, as Signal does).
KeyPair key_pair_from_private(const PrivateKey& priv);

/// X25519(priv, peer). Fails (noise_crypto) on a low-order peer key (all-zero shared secret).
Result<std::array<std::uint8_t, 32>> x25519(const PrivateKey& priv, const PublicKey& peer);

/// XEdDSA signature of `message` by the Montgomery private key (64 bytes; sign bit in byte 63).
Result<Signature> xeddsa_sign(const PrivateKey& priv, std::span<const std::uint8_t> message);
/// Whether `signature` is a valid XEdDSA signature of `message` under the Montgomery key `pub`.
/// Any malformed input (wrong signature length, non-canonical values) is simply "false".
bool xeddsa_verify(const PublicKey& pub, std::span<const std::uint8_t> message,
                   std::span<const std::uint8_t> signature);

}  // namespace wa::crypto
