#pragma once
// JSON Web Tokens (RFC 7519) signed with HS256 (RFC 7515, HMAC-SHA256) and nothing else.
//
// Written over OpenSSL rather than Debian's libjwt, which does not check `exp`. verify() accepts
// only what sign() produces in shape: header {"alg":"HS256"} (optional "typ":"JWT", no "crit"),
// payload with string `sub`, integer `iat`, integer `exp`, string `jti`. Any other `alg`
// (including "none" and "HS512") is refused before the signature is looked at; the signature is
// compared in constant time; the payload is parsed only after the signature checks out.
//
// Revocation (logout) is not handled here: the caller checks `jti` against its revocation store
// after a successful verify().
//
// Thread safety: all functions are stateless and safe from any thread.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace gw::auth::jwt {

/// Longest token verify() looks at; longer input is `malformed` without being decoded.
inline constexpr std::size_t kMaxTokenLength = 4096;
/// Clock skew tolerated on `iat` (and `nbf` if present): a token issued up to this far in the
/// future is still accepted.
inline constexpr std::int64_t kAllowedSkewSeconds = 60;

/// The claims we issue. Times are Unix seconds.
struct Claims {
  std::string sub;       ///< subject: the user id
  std::int64_t iat = 0;  ///< issued at
  std::int64_t exp = 0;  ///< expires at (the token is refused from this second on)
  std::string jti;       ///< unique token id, 32 hex chars (128 random bits); key of revocation
};

/// Why a token was refused. Every one maps to HTTP 401; the distinction is for logs and tests.
enum class Error {
  malformed,        ///< not three base64url segments, too long, or payload not a JSON object
  bad_header,       ///< header is not a JSON object with a string `alg`, or has `crit`/bad `typ`
  unsupported_alg,  ///< `alg` is anything but "HS256" (e.g. "none", "HS512", "RS256")
  bad_signature,    ///< signature does not match
  expired,          ///< now >= exp
  missing_claim,    ///< sub, iat, exp or jti absent, empty or of the wrong JSON type
  not_yet_valid,    ///< iat (or nbf) more than kAllowedSkewSeconds in the future
};

/// Stable lower-case name of an error, for logs ("bad_signature", ...).
std::string_view to_string(Error e) noexcept;

/// Outcome of verify(): the claims, or why not.
struct VerifyResult {
  std::optional<Claims> claims;    ///< set on success
  Error error = Error::malformed;  ///< meaningful only when claims is empty

  bool ok() const noexcept { return claims.has_value(); }
  explicit operator bool() const noexcept { return ok(); }
};

/// A fresh `jti`: 128 bits from the CSPRNG as 32 lower-case hex characters.
std::string new_jti();

/// Claims for a new token: iat = now, exp = now + ttl_seconds, jti = new_jti().
Claims make_claims(std::string sub, std::int64_t now_unix, std::int64_t ttl_seconds);

/// Compact serialisation header.payload.signature, header {"alg":"HS256","typ":"JWT"}.
/// The secret is used as the raw HMAC key.
std::string sign(const Claims& claims, std::string_view secret);

/// Checks a compact token against secret at time now_unix. Never throws on bad input.
VerifyResult verify(std::string_view token, std::string_view secret, std::int64_t now_unix);

}  // namespace gw::auth::jwt
