#pragma once
// Parsers for the HTTP `Authorization` header (RFC 9110 §11.6.2): the Basic scheme (RFC 7617),
// used by login with the PIN as user name, and the Bearer scheme (RFC 6750) carrying our JWTs.
//
// Both are fed untrusted bytes and fuzzed (fuzz/gateway/basic_auth_fuzz.cpp): they never throw
// on bad input and bound what they read.
//
// Thread safety: stateless, safe from any thread.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace gw::auth {

/// Longest Authorization header value looked at (Basic and Bearer); longer is refused.
inline constexpr std::size_t kMaxAuthorizationLength = 4096 + 16;

/// Decoded Basic credentials.
struct BasicCredentials {
  std::string user;
  std::string password;
};

/// Why a Basic header was refused. All map to 401 without saying which.
enum class BasicAuthError {
  empty,          ///< no value
  too_long,       ///< longer than kMaxAuthorizationLength
  wrong_scheme,   ///< not "Basic <credentials>" (scheme compared case-insensitively)
  bad_base64,     ///< credentials are not strict, padded standard base64
  missing_colon,  ///< decoded text has no ':' between user and password
  control_char,   ///< decoded user or password contains a control character (< 0x20 or 0x7F)
};

std::string_view to_string(BasicAuthError e) noexcept;

/// Outcome of parse_basic_auth(): the credentials, or why not.
struct BasicAuthResult {
  std::optional<BasicCredentials> credentials;   ///< set on success
  BasicAuthError error = BasicAuthError::empty;  ///< meaningful only when credentials is empty

  bool ok() const noexcept { return credentials.has_value(); }
  explicit operator bool() const noexcept { return ok(); }
};

/// Parses an Authorization header value "Basic <base64(user:password)>". Surrounding spaces and
/// tabs are ignored; the user is everything before the first ':', the password everything after
/// (it may contain ':' and may be empty, as in `curl -u "A1B2C3:"`). Bytes >= 0x80 are passed
/// through untouched (RFC 7617 leaves the charset to the parties).
BasicAuthResult parse_basic_auth(std::string_view header_value);

/// The token of an Authorization header value "Bearer <token>" (scheme case-insensitive), as a
/// view into header_value; std::nullopt if the scheme differs, the token is empty, is not
/// token68 (RFC 9110 §11.2) or the value is longer than kMaxAuthorizationLength.
std::optional<std::string_view> bearer_token(std::string_view header_value) noexcept;

}  // namespace gw::auth
