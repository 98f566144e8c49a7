#pragma once
// Phone-number pairing ("link code", docs/PROTOCOL.md §4.3) as pure functions: the 8-character
// code, wrapping the companion's ephemeral key under a key derived from the code, and, once the
// phone answered, the key bundle and the ADV secret. The client puts these bytes into the
// companion_hello / companion_finish stanzas (stanzas.hpp).
// Thread safety: free functions without shared state.
#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "wa/crypto/curve25519.hpp"
#include "wa/crypto/primitives.hpp"
#include "wa/error.hpp"

namespace wa::client {

/// Base32 alphabet of the code (no 0, O, I, U).
inline constexpr std::string_view kPairCodeAlphabet = "123456789ABCDEFGHJKLMNPQRSTVWXYZ";
inline constexpr unsigned kPairCodeIterations = 2u << 16;  ///< PBKDF2 rounds (131072)
inline constexpr std::string_view kPairCodeBundleInfo =
    "link_code_pairing_key_bundle_encryption_key";
inline constexpr std::string_view kPairCodeAdvInfo = "adv_secret";
inline constexpr std::size_t kWrappedKeySize = 32 + 16 + 32;  ///< salt ‖ iv ‖ AES-CTR(pub)

/// The code of 5 bytes: 8 characters of kPairCodeAlphabet (shown as "XXXX-XXXX").
std::string pair_code_from_bytes(std::span<const std::uint8_t, 5> bytes);
/// A fresh random code.
std::string generate_pair_code();
/// "ABCDEFGH" -> "ABCD-EFGH".
std::string format_pair_code(std::string_view code);

/// salt(32) ‖ iv(16) ‖ AES-256-CTR(PBKDF2(code, salt), iv, pub) with the given salt and iv.
Result<crypto::Bytes> wrap_ephemeral_key(std::string_view code, const crypto::PublicKey& pub,
                                         std::span<const std::uint8_t, 32> salt,
                                         std::span<const std::uint8_t, 16> iv);
/// The same with a random salt and iv.
Result<crypto::Bytes> wrap_ephemeral_key(std::string_view code, const crypto::PublicKey& pub);
/// Inverse of wrap_ephemeral_key; invalid_argument unless `wrapped` is 80 bytes.
Result<crypto::PublicKey> unwrap_ephemeral_key(std::string_view code,
                                               std::span<const std::uint8_t> wrapped);

/// What companion_finish carries and what pair-success is verified with.
struct PairCodeFinish {
  crypto::Bytes
      wrapped_key_bundle;  ///< salt(32) ‖ nonce(12) ‖ AES-GCM(bundle key, ids ‖ advRandom)
  crypto::Key32 adv_secret{};
};

/// §4.3 step 5 from the phone's notification: `companion_ephemeral` is our ephemeral key pair,
/// `identity` our Signal identity, `primary_identity_pub` and `wrapped_primary_ephemeral` come from
/// the phone. `adv_random`, `bundle_salt` and `nonce` are parameters so that tests can fix them.
Result<PairCodeFinish> finish_pair_code(std::string_view code,
                                        const crypto::KeyPair& companion_ephemeral,
                                        const crypto::KeyPair& identity,
                                        const crypto::PublicKey& primary_identity_pub,
                                        std::span<const std::uint8_t> wrapped_primary_ephemeral,
                                        std::span<const std::uint8_t, 32> adv_random,
                                        std::span<const std::uint8_t, 32> bundle_salt,
                                        std::span<const std::uint8_t, 12> nonce);
/// The same with fresh randomness.
Result<PairCodeFinish> finish_pair_code(std::string_view code,
                                        const crypto::KeyPair& companion_ephemeral,
                                        const crypto::KeyPair& identity,
                                        const crypto::PublicKey& primary_identity_pub,
                                        std::span<const std::uint8_t> wrapped_primary_ephemeral);

}  // namespace wa::client
