#pragma once
// Symmetric primitives over OpenSSL 3 used by the Noise channel and, later, pairing and media:
// SHA-256, HMAC-SHA256, HKDF-SHA256 (RFC 5869), AES-256-GCM, MD5, a CSPRNG, and PBKDF2 and
// AES-256-CTR for phone-number pairing.
// Every function is thread-safe (no shared state) and reports OpenSSL failures as noise_crypto.
#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <vector>

#include "wa/error.hpp"

namespace wa::crypto {

using Bytes = std::vector<std::uint8_t>;
using Key32 = std::array<std::uint8_t, 32>;
using Digest32 = std::array<std::uint8_t, 32>;
inline constexpr std::size_t kGcmTagSize = 16;
inline constexpr std::size_t kGcmIvSize = 12;

/// SHA-256 of the concatenation of the parts.
Digest32 sha256(std::initializer_list<std::span<const std::uint8_t>> parts);
/// HMAC-SHA256(key, data).
Digest32 hmac_sha256(std::span<const std::uint8_t> key, std::span<const std::uint8_t> data);
/// HKDF-SHA256 (extract with `salt`, expand with `info`) to `length` bytes (at most 255*32).
Bytes hkdf_sha256(std::span<const std::uint8_t> ikm, std::span<const std::uint8_t> salt,
                  std::span<const std::uint8_t> info, std::size_t length);
/// MD5 (only for the ClientPayload build hash, §2.4; not used for security).
std::array<std::uint8_t, 16> md5(std::span<const std::uint8_t> data);

/// AES-256-GCM encryption: ciphertext with the 16-byte tag appended.
Result<Bytes> aes_gcm_encrypt(const Key32& key, std::span<const std::uint8_t, kGcmIvSize> iv,
                              std::span<const std::uint8_t> plaintext,
                              std::span<const std::uint8_t> aad);
/// AES-256-GCM decryption of ciphertext||tag; noise_decrypt when authentication fails.
Result<Bytes> aes_gcm_decrypt(const Key32& key, std::span<const std::uint8_t, kGcmIvSize> iv,
                              std::span<const std::uint8_t> ciphertext,
                              std::span<const std::uint8_t> aad);

/// PBKDF2-HMAC-SHA256 (RFC 8018) of `password` with `salt`, `iterations` rounds, `length` bytes
/// (phone-number pairing, docs/PROTOCOL.md §4.3).
Result<Bytes> pbkdf2_sha256(std::span<const std::uint8_t> password,
                            std::span<const std::uint8_t> salt, unsigned iterations,
                            std::size_t length);
inline constexpr std::size_t kCtrIvSize = 16;
/// AES-256-CTR with a 16-byte initial counter block; encryption and decryption are the same.
Result<Bytes> aes_ctr(const Key32& key, std::span<const std::uint8_t, kCtrIvSize> iv,
                      std::span<const std::uint8_t> data);

/// Fills `out` from OpenSSL's CSPRNG. Aborts the process if the CSPRNG fails (nothing safe to do).
void random_bytes(std::span<std::uint8_t> out);

/// Constant-time equality of two byte strings of the same length (false if lengths differ).
bool equal_ct(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) noexcept;

}  // namespace wa::crypto
