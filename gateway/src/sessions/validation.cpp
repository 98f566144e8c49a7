#include "sessions/validation.hpp"

#include <array>
#include <boost/url/parse.hpp>
#include <cstdint>

namespace gw::sessions {

namespace {

bool is_ascii_space(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

std::string_view trim_ascii_space(std::string_view s) noexcept {
  while (!s.empty() && is_ascii_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_ascii_space(s.back())) s.remove_suffix(1);
  return s;
}

// Decodes the code point at s[i] and advances i. Strict UTF-8 (RFC 3629): no overlong forms, no
// surrogates, nothing above U+10FFFF, no truncated sequence; false on any of them.
bool next_code_point(std::string_view s, std::size_t& i, char32_t& cp) noexcept {
  const auto b0 = static_cast<unsigned char>(s[i]);
  std::size_t len = 0;
  char32_t min = 0;
  if (b0 < 0x80) {
    cp = b0;
    ++i;
    return true;
  }
  if ((b0 & 0xE0) == 0xC0) {
    len = 2, min = 0x80, cp = b0 & 0x1F;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3, min = 0x800, cp = b0 & 0x0F;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4, min = 0x10000, cp = b0 & 0x07;
  } else {
    return false;  // a continuation byte first, or 0xF8-0xFF
  }
  if (s.size() - i < len) return false;
  for (std::size_t k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0) != 0x80) return false;
    cp = (cp << 6) | (b & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
  i += len;
  return true;
}

bool is_control(char32_t cp) noexcept {
  return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F);
}

bool is_digit(char c) noexcept {
  return c >= '0' && c <= '9';
}

bool is_hex_digit(char c) noexcept {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

AddressClass classify_v4(std::uint32_t a) noexcept {
  const auto in = [a](std::uint32_t net, int bits) {
    return (a >> (32 - bits)) == (net >> (32 - bits));
  };
  if (in(0xA9FE0000, 16) || a == 0x646464C8) return AddressClass::link_local_or_metadata;
  if (in(0x00000000, 8)) return AddressClass::unspecified;
  if (in(0x7F000000, 8)) return AddressClass::loopback;
  if (in(0x0A000000, 8) || in(0xAC100000, 12) || in(0xC0A80000, 16) || in(0x64400000, 10)) {
    return AddressClass::private_addr;
  }
  // Multicast, reserved and broadcast: never a web server on the internet.
  if (in(0xE0000000, 4) || in(0xF0000000, 4)) return AddressClass::private_addr;
  return AddressClass::public_addr;
}

// The IPv4 address in the last 4 bytes, when the first 12 are `prefix`.
bool embedded_v4(const std::array<unsigned char, 16>& b,
                 const std::array<unsigned char, 12>& prefix, std::uint32_t& v4) noexcept {
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    if (b[i] != prefix[i]) return false;
  }
  v4 = (std::uint32_t{b[12]} << 24) | (std::uint32_t{b[13]} << 16) | (std::uint32_t{b[14]} << 8) |
       std::uint32_t{b[15]};
  return true;
}

AddressClass classify_v6(const std::array<unsigned char, 16>& b) noexcept {
  static constexpr std::array<unsigned char, 12> kMapped = {0, 0, 0, 0, 0,    0,
                                                            0, 0, 0, 0, 0xFF, 0xFF};
  // NAT64 (RFC 6052): the gateway connects to the IPv4 address inside, in its own network.
  static constexpr std::array<unsigned char, 12> kNat64 = {0x00, 0x64, 0xFF, 0x9B, 0, 0,
                                                           0,    0,    0,    0,    0, 0};
  static constexpr std::array<unsigned char, 16> kAwsMetadata = {
      0xFD, 0x00, 0x0E, 0xC2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02, 0x54};
  std::uint32_t v4 = 0;
  if (embedded_v4(b, kMapped, v4) || embedded_v4(b, kNat64, v4)) return classify_v4(v4);
  if (b == kAwsMetadata) return AddressClass::link_local_or_metadata;
  bool zero_prefix = true;
  for (std::size_t i = 0; i < 15; ++i) zero_prefix = zero_prefix && b[i] == 0;
  if (zero_prefix && b[15] == 0) return AddressClass::unspecified;
  if (zero_prefix && b[15] == 1) return AddressClass::loopback;
  if ((b[0] & 0xFE) == 0xFC) return AddressClass::private_addr;                  // fc00::/7
  if (b[0] == 0xFE && (b[1] & 0xC0) == 0x80) return AddressClass::private_addr;  // fe80::/10
  if (b[0] == 0xFE && (b[1] & 0xC0) == 0xC0) return AddressClass::private_addr;  // fec0::/10
  if (b[0] == 0xFF) return AddressClass::private_addr;                           // multicast
  return AddressClass::public_addr;
}

std::optional<std::string> refusal_for(AddressClass c, bool allow_private) {
  if (address_allowed(c, allow_private)) return std::nullopt;
  if (c == AddressClass::link_local_or_metadata) {
    return "webhook URL must not point at a link-local or cloud metadata address";
  }
  return "webhook URL must not point at a private, loopback or unspecified address on this "
         "gateway";
}

// WHATWG URL (and so browsers) read a host whose last label is a number as an IPv4 address, and
// getaddrinfo() reads "2130706433", "0x7f.1" or "127.000.0.1" as 127.0.0.1.
bool looks_numeric(std::string_view label) noexcept {
  if (label.size() >= 2 && label[0] == '0' && (label[1] == 'x' || label[1] == 'X')) {
    for (char c : label.substr(2)) {
      if (!is_hex_digit(c)) return false;
    }
    return true;
  }
  if (label.empty()) return false;
  for (char c : label) {
    if (!is_digit(c)) return false;
  }
  return true;
}

std::optional<std::string> check_host_name(std::string host, bool allow_private) {
  for (char& c : host) {
    const bool ok = is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' ||
                    c == '.' || c == '_';
    if (!ok) {
      return "webhook URL host must be a DNS name of ASCII letters, digits, '-' and '.' (punycode "
             "for international names)";
    }
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  std::string_view name(host);
  if (name.ends_with('.')) name.remove_suffix(1);  // "localhost." is "localhost"
  if (name.empty() || name.starts_with('.')) return "webhook URL must have a host";
  if (name == "metadata" || name == "metadata.google.internal") {
    return "webhook URL must not point at a cloud metadata service";
  }
  const auto dot = name.rfind('.');
  if (looks_numeric(dot == std::string_view::npos ? name : name.substr(dot + 1))) {
    return "webhook URL host looks like an IPv4 address in a non-standard form; write it as four "
           "decimal numbers, like 192.0.2.10";
  }
  if (!allow_private && (name == "localhost" || name.ends_with(".localhost"))) {
    return refusal_for(AddressClass::loopback, allow_private);
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> validate_label(std::string_view raw, std::size_t max_chars,
                                          std::string_view what, std::string& trimmed_out) {
  const std::string_view text = trim_ascii_space(raw);
  std::size_t chars = 0;
  for (std::size_t i = 0; i < text.size();) {
    char32_t cp = 0;
    if (!next_code_point(text, i, cp)) return std::string(what) + " must be valid UTF-8";
    if (is_control(cp)) return std::string(what) + " must not contain control characters";
    ++chars;
  }
  if (chars == 0) return std::string(what) + " must not be empty";
  if (chars > max_chars) {
    return std::string(what) + " must be at most " + std::to_string(max_chars) + " characters";
  }
  trimmed_out = std::string(text);
  return std::nullopt;
}

std::optional<std::string> validate_session_name(std::string_view raw, std::string& trimmed_out) {
  return validate_label(raw, kMaxSessionNameChars, "session name", trimmed_out);
}

AddressClass classify_address(const boost::asio::ip::address& address) noexcept {
  if (address.is_v4()) return classify_v4(address.to_v4().to_uint());
  return classify_v6(address.to_v6().to_bytes());
}

bool address_allowed(AddressClass c, bool allow_private) noexcept {
  switch (c) {
    case AddressClass::public_addr:
      return true;
    case AddressClass::link_local_or_metadata:
      return false;
    case AddressClass::private_addr:
    case AddressClass::loopback:
    case AddressClass::unspecified:
      return allow_private;
  }
  return false;
}

std::optional<std::string> validate_webhook_url(std::string_view url, bool allow_private) {
  if (url.empty()) return "webhook URL must not be empty";
  if (url.size() > kMaxWebhookUrlBytes) {
    return "webhook URL must be at most " + std::to_string(kMaxWebhookUrlBytes) + " characters";
  }
  // parse_uri, not parse_absolute_uri: both require a scheme, but only the former allows a
  // #fragment, which people paste and HTTP never sends.
  const auto parsed = boost::urls::parse_uri(url);
  if (!parsed) return "webhook URL must be an absolute http:// or https:// URL";
  const boost::urls::url_view& u = *parsed;
  if (u.scheme_id() != boost::urls::scheme::http && u.scheme_id() != boost::urls::scheme::https) {
    return "webhook URL must use http or https";
  }
  if (!u.has_authority() || u.encoded_host().empty()) return "webhook URL must have a host";
  // Boost.URL 1.81 accepts a path right after the authority without its '/' ("http://a:b:c/"
  // gives host "a", path "b:c/"; "http://1.2.3.4.x/" host "1.2.3.4"). RFC 3986 does not, and an
  // HTTP client reading such a URL differently would connect to a host this check never saw.
  if (!u.encoded_path().empty() && !u.encoded_path().starts_with('/')) {
    return "webhook URL must be an absolute http:// or https:// URL (the path after the host "
           "must start with '/')";
  }
  if (u.has_userinfo()) {
    return "webhook URL must not contain a user name or password (credentials in URLs end up in "
           "logs)";
  }
  if (u.has_port()) {
    std::string_view port = u.port();
    while (port.size() > 1 && port.front() == '0') port.remove_prefix(1);
    unsigned long n = 0;
    if (port.size() <= 5) {
      for (char c : port) n = n * 10 + static_cast<unsigned long>(c - '0');  // grammar: DIGITs
    }
    if (n == 0 || n > 65535) {
      return "webhook URL port must be from 1 to 65535";
    }
  }
  switch (u.host_type()) {
    case boost::urls::host_type::ipv4:
      return refusal_for(classify_v4(u.host_ipv4_address().to_uint()), allow_private);
    case boost::urls::host_type::ipv6:
      return refusal_for(classify_v6(u.host_ipv6_address().to_bytes()), allow_private);
    case boost::urls::host_type::name:
      return check_host_name(u.host_name(), allow_private);
    case boost::urls::host_type::ipvfuture:
    case boost::urls::host_type::none:
      break;
  }
  return "webhook URL must have a DNS name or an IP address as host";
}

std::optional<std::string> normalize_phone(std::string_view raw) {
  constexpr std::size_t kMinDigits = 7;
  constexpr std::size_t kMaxDigits = 15;  // E.164
  std::string_view s = trim_ascii_space(raw);
  if (s.starts_with('+')) s.remove_prefix(1);
  std::string digits;
  for (char c : s) {
    if (is_digit(c)) {
      if (digits.size() == kMaxDigits) return std::nullopt;
      digits += c;
    } else if (c != ' ' && c != '-' && c != '(' && c != ')') {
      return std::nullopt;
    }
  }
  if (digits.size() < kMinDigits || digits.front() == '0') return std::nullopt;
  return digits;
}

}  // namespace gw::sessions
