#pragma once
// Noise_XX_25519_AESGCM_SHA256 building blocks (docs/PROTOCOL.md §1.3, §1.5; Noise spec rev. 34
// §5). SymmetricState is Noise's symmetric state (h, ck, k, n) with MixHash, MixKey,
// EncryptAndHash, DecryptAndHash and Split; TransportCipher is the pair of post-handshake cipher
// states. The WhatsApp message sequence is in client_handshake.hpp; this file knows nothing of
// protobuf, so the published Noise test vectors exercise exactly the code the client runs.
#include <array>
#include <cstdint>
#include <span>
#include <string_view>
#include <utility>

#include "wa/crypto/primitives.hpp"
#include "wa/error.hpp"

namespace wa::noise {

using Bytes = crypto::Bytes;
using Key32 = crypto::Key32;

/// The 12-byte AES-GCM IV of counter n: 8 zero bytes, then n as 32-bit big-endian (§1.3).
std::array<std::uint8_t, 12> make_iv(std::uint32_t counter) noexcept;

/// Noise's SymmetricState. Thread safety: none (one per handshake).
class SymmetricState {
 public:
  /// InitializeSymmetric(protocol_name): a name of at most 32 bytes is zero-padded and used as h
  /// and ck directly (WhatsApp's padded 32-byte name thus unchanged); a longer one is hashed.
  explicit SymmetricState(std::string_view protocol_name);

  /// h = SHA256(h || data).
  void mix_hash(std::span<const std::uint8_t> data);
  /// ck, k = HKDF(ck, ikm) (64 bytes: first half ck, second half k); n = 0.
  void mix_key(std::span<const std::uint8_t> ikm);
  /// AES-GCM(k, n++, aad = h) then MixHash(ciphertext); without a key, the plaintext itself.
  Result<Bytes> encrypt_and_hash(std::span<const std::uint8_t> plaintext);
  /// The inverse of encrypt_and_hash; noise_decrypt if the tag does not verify.
  Result<Bytes> decrypt_and_hash(std::span<const std::uint8_t> ciphertext);
  /// Split(): HKDF(ck, empty) -> (first 32 bytes, last 32 bytes). Initiator: (write, read).
  std::pair<Key32, Key32> split() const;

  const crypto::Digest32& handshake_hash() const noexcept { return h_; }
  bool has_key() const noexcept { return has_key_; }

 private:
  crypto::Digest32 h_{};
  Key32 ck_{};
  Key32 k_{};
  std::uint32_t n_ = 0;
  bool has_key_ = false;
};

/// Post-handshake encryption: one key and counter per direction, no AAD (§1.5).
/// Thread safety: none; encrypt and decrypt touch disjoint state, so one writer and one reader
/// may use them from different strands.
class TransportCipher {
 public:
  TransportCipher(const Key32& write_key, const Key32& read_key) noexcept;
  /// Encrypts one outgoing frame payload with the write counter (then counter + 1).
  Result<Bytes> encrypt(std::span<const std::uint8_t> plaintext);
  /// Decrypts one incoming frame payload with the read counter (then counter + 1).
  Result<Bytes> decrypt(std::span<const std::uint8_t> ciphertext);

  std::uint32_t write_counter() const noexcept { return write_n_; }
  std::uint32_t read_counter() const noexcept { return read_n_; }

 private:
  Key32 write_key_;
  Key32 read_key_;
  std::uint32_t write_n_ = 0;
  std::uint32_t read_n_ = 0;
  bool write_exhausted_ = false;
  bool read_exhausted_ = false;
};

}  // namespace wa::noise
