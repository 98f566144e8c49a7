#pragma once
// Small cryptographic helpers over OpenSSL 3 used by the auth code: constant-time comparison,
// SHA-256, HMAC-SHA256, CSPRNG bytes, hex and base64 codecs, UUID v4.
//
// Thread safety: every function is stateless and safe to call from any thread.
// Errors: decoders return std::nullopt on any malformed input; random_bytes() and uuid_v4()
// throw std::runtime_error if the OpenSSL CSPRNG fails (an environment fault, never input).
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace gw::auth {

using Sha256Digest = std::array<std::uint8_t, 32>;

/// True when a and b hold the same bytes. Time depends only on the lengths (which are not
/// secret for our uses: digests and fixed-size tokens), never on where the contents differ.
bool constant_time_equal(std::string_view a, std::string_view b) noexcept;

/// HMAC-SHA256 (RFC 2104). An empty key is valid and equals a key of zero bytes.
Sha256Digest hmac_sha256(std::string_view key, std::string_view data);

/// SHA-256 (FIPS 180-4) of data.
Sha256Digest sha256(std::string_view data);

/// n bytes from the OpenSSL CSPRNG. Throws std::runtime_error if the generator fails.
std::vector<std::uint8_t> random_bytes(std::size_t n);
/// Fills out from the OpenSSL CSPRNG. Throws std::runtime_error if the generator fails.
void random_fill(std::span<std::uint8_t> out);

/// Lower-case hexadecimal.
std::string hex_encode(std::span<const std::uint8_t> bytes);
std::string hex_encode(std::string_view bytes);

/// Base64url without padding (RFC 4648 §5, as JWS uses it).
std::string base64url_encode(std::span<const std::uint8_t> bytes);
std::string base64url_encode(std::string_view bytes);
/// Strict base64url decoding: alphabet [A-Za-z0-9_-] only, no padding, no whitespace, length
/// not 1 mod 4, unused trailing bits zero (so every byte string has exactly one encoding).
std::optional<std::string> base64url_decode(std::string_view text);

/// Standard base64 (RFC 4648 §4) with '=' padding, as in HTTP Basic credentials.
std::string base64_encode(std::string_view bytes);
/// Strict standard base64 decoding: alphabet [A-Za-z0-9+/], length a multiple of 4 with
/// correct '=' padding, no whitespace, unused trailing bits zero.
std::optional<std::string> base64_decode(std::string_view text);

/// A random (version 4, RFC 9562) UUID in lower-case 8-4-4-4-12 form.
std::string uuid_v4();

}  // namespace gw::auth
