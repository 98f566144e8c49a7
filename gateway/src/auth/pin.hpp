#pragma once
// Login PINs: 6 characters [A-Z0-9] drawn from a CSPRNG, stored only as a keyed hash.
//
// The PIN is the only credential of an account, so it is never stored or logged in clear: the
// database holds pin_hash(key, pin) in a unique column (uniqueness of PINs is enforced there, with
// a retry on collision). The key is derived from the server secret by the caller; with a keyed
// hash, a leaked database alone does not allow a brute force of the 36^6 ≈ 2.2e9 PIN space.
//
// Thread safety: all functions are stateless and safe from any thread.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>

namespace gw::auth {

/// Number of characters in a PIN.
inline constexpr std::size_t kPinLength = 6;
/// The PIN alphabet, 36 characters.
inline constexpr std::string_view kPinAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/// Fills a buffer with random bytes; injectable so tests can drive the sampler.
using RandomFill = std::function<void(std::span<std::uint8_t>)>;

/// A fresh PIN from the OpenSSL CSPRNG (uniform over the alphabet: rejection sampling, no modulo
/// bias). Throws std::runtime_error only if the CSPRNG fails.
std::string generate_pin();
/// Same, with the random source given (tests).
std::string generate_pin(const RandomFill& fill);

/// True when pin is exactly kPinLength characters of [A-Z0-9] (upper case only).
bool is_valid_pin_format(std::string_view pin) noexcept;

/// Hex (64 lower-case chars) HMAC-SHA256 of the PIN under key: the value stored and looked up.
std::string pin_hash(std::string_view key, std::string_view pin);

}  // namespace gw::auth
