#include "auth/basic_auth.hpp"

#include "auth/crypto.hpp"
#include "util/strings.hpp"

namespace gw::auth {
namespace {

using util::trim_ows;

char lower_ascii(char c) noexcept {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

// Splits "<scheme> <rest>" when the scheme equals `scheme` case-insensitively and is followed by
// at least one space; returns the rest with its leading spaces removed.
std::optional<std::string_view> after_scheme(std::string_view value,
                                             std::string_view scheme) noexcept {
  if (value.size() <= scheme.size()) return std::nullopt;
  for (std::size_t i = 0; i < scheme.size(); ++i) {
    if (lower_ascii(value[i]) != scheme[i]) return std::nullopt;
  }
  std::string_view rest = value.substr(scheme.size());
  if (rest.front() != ' ') return std::nullopt;
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  return rest;
}

// token68 = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
bool is_token68(std::string_view s) noexcept {
  std::size_t i = 0;
  for (; i < s.size(); ++i) {
    const char c = s[i];
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/';
    if (!ok) break;
  }
  if (i == 0) return false;
  for (; i < s.size(); ++i) {
    if (s[i] != '=') return false;
  }
  return true;
}

bool has_control_char(std::string_view s) noexcept {
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7F) return true;
  }
  return false;
}

}  // namespace

std::string_view to_string(BasicAuthError e) noexcept {
  switch (e) {
    case BasicAuthError::empty:
      return "empty";
    case BasicAuthError::too_long:
      return "too_long";
    case BasicAuthError::wrong_scheme:
      return "wrong_scheme";
    case BasicAuthError::bad_base64:
      return "bad_base64";
    case BasicAuthError::missing_colon:
      return "missing_colon";
    case BasicAuthError::control_char:
      return "control_char";
  }
  return "unknown";
}

BasicAuthResult parse_basic_auth(std::string_view header_value) {
  auto fail = [](BasicAuthError e) { return BasicAuthResult{std::nullopt, e}; };
  if (header_value.size() > kMaxAuthorizationLength) return fail(BasicAuthError::too_long);
  const std::string_view value = trim_ows(header_value);
  if (value.empty()) return fail(BasicAuthError::empty);
  const auto encoded = after_scheme(value, "basic");
  if (!encoded || encoded->empty()) return fail(BasicAuthError::wrong_scheme);
  const auto decoded = base64_decode(*encoded);
  if (!decoded) return fail(BasicAuthError::bad_base64);
  const std::size_t colon = decoded->find(':');
  if (colon == std::string::npos) return fail(BasicAuthError::missing_colon);
  if (has_control_char(*decoded)) return fail(BasicAuthError::control_char);
  return BasicAuthResult{BasicCredentials{decoded->substr(0, colon), decoded->substr(colon + 1)},
                         BasicAuthError::empty};
}

std::optional<std::string_view> bearer_token(std::string_view header_value) noexcept {
  if (header_value.size() > kMaxAuthorizationLength) return std::nullopt;
  const auto token = after_scheme(trim_ows(header_value), "bearer");
  if (!token || !is_token68(*token)) return std::nullopt;
  return token;
}

}  // namespace gw::auth
