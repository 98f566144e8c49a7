#include "http/client_ip.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>

namespace gw::http {
namespace {

std::string_view trim_ows(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool all_digits(std::string_view s) noexcept {
  if (s.empty()) return false;
  for (const char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// An X-Forwarded-For entry: an address, optionally with a port.
std::optional<IpAddress> parse_forwarded_entry(std::string_view e) noexcept {
  e = trim_ows(e);
  if (!e.empty() && e.front() == '[') {
    const std::size_t close = e.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    const std::string_view after = e.substr(close + 1);
    if (!after.empty() && !(after.front() == ':' && all_digits(after.substr(1)))) {
      return std::nullopt;
    }
    return parse_ip(e.substr(0, close + 1));
  }
  const std::size_t colon = e.find(':');
  if (colon != std::string_view::npos && e.find(':', colon + 1) == std::string_view::npos) {
    // "a.b.c.d:port": a single colon cannot be IPv6.
    if (!all_digits(e.substr(colon + 1))) return std::nullopt;
    auto ip = parse_ip(e.substr(0, colon));
    if (!ip || ip->v6) return std::nullopt;
    return ip;
  }
  return parse_ip(e);
}

}  // namespace

std::optional<IpAddress> parse_ip(std::string_view text) noexcept {
  if (text.size() >= 2 && text.front() == '[' && text.back() == ']') {
    text = text.substr(1, text.size() - 2);
    if (text.find(':') == std::string_view::npos) return std::nullopt;  // "[1.2.3.4]"
  }
  const bool v6 = text.find(':') != std::string_view::npos;
  if (v6) {
    const std::size_t pct = text.find('%');
    if (pct != std::string_view::npos) {
      if (pct + 1 == text.size()) return std::nullopt;  // empty zone
      text = text.substr(0, pct);
    }
  }
  char buf[INET6_ADDRSTRLEN + 1];
  if (text.empty() || text.size() >= sizeof buf) return std::nullopt;
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';

  IpAddress ip;
  if (!v6) {
    if (inet_pton(AF_INET, buf, ip.bytes.data()) != 1) return std::nullopt;
    return ip;
  }
  if (inet_pton(AF_INET6, buf, ip.bytes.data()) != 1) return std::nullopt;
  static constexpr std::uint8_t kMappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::memcmp(ip.bytes.data(), kMappedPrefix, sizeof kMappedPrefix) == 0) {
    IpAddress v4;
    std::memcpy(v4.bytes.data(), ip.bytes.data() + 12, 4);
    return v4;
  }
  ip.v6 = true;
  return ip;
}

std::string to_string(const IpAddress& ip) {
  char buf[INET6_ADDRSTRLEN];
  if (inet_ntop(ip.v6 ? AF_INET6 : AF_INET, ip.bytes.data(), buf, sizeof buf) == nullptr) {
    return {};
  }
  return buf;
}

bool Cidr::contains(const IpAddress& ip) const noexcept {
  if (ip.v6 != network.v6) return false;
  const int full = prefix / 8;
  if (std::memcmp(ip.bytes.data(), network.bytes.data(), static_cast<std::size_t>(full)) != 0) {
    return false;
  }
  const int rest = prefix % 8;
  if (rest == 0) return true;
  const auto mask = static_cast<std::uint8_t>(0xFF << (8 - rest));
  return (ip.bytes[static_cast<std::size_t>(full)] & mask) ==
         (network.bytes[static_cast<std::size_t>(full)] & mask);
}

std::optional<Cidr> parse_cidr(std::string_view text) noexcept {
  text = trim_ows(text);
  const std::size_t slash = text.find('/');
  auto ip = parse_ip(text.substr(0, slash));
  if (!ip) return std::nullopt;
  // A mapped address was folded to IPv4; its prefix then counts from bit 96.
  const bool was_mapped_v6 = !ip->v6 && text.substr(0, slash).find(':') != std::string_view::npos;
  const int max_prefix = ip->v6 ? 128 : 32;
  int prefix = max_prefix;
  if (slash != std::string_view::npos) {
    const std::string_view digits = text.substr(slash + 1);
    if (!all_digits(digits) || digits.size() > 3) return std::nullopt;
    prefix = 0;
    for (const char c : digits) prefix = prefix * 10 + (c - '0');
    if (was_mapped_v6) {
      if (prefix < 96 || prefix > 128) return std::nullopt;
      prefix -= 96;
    }
    if (prefix > max_prefix) return std::nullopt;
  }
  Cidr c{*ip, prefix};
  for (int bit = prefix; bit < 128; ++bit) {
    c.network.bytes[static_cast<std::size_t>(bit / 8)] &=
        static_cast<std::uint8_t>(~(0x80U >> (bit % 8)));
  }
  return c;
}

bool TrustedProxies::contains(const IpAddress& ip) const noexcept {
  for (const Cidr& c : networks_) {
    if (c.contains(ip)) return true;
  }
  return false;
}

TrustedProxiesParse parse_trusted_proxies(std::string_view csv) {
  std::vector<Cidr> nets;
  std::vector<std::string> invalid;
  while (true) {
    const std::size_t comma = csv.find(',');
    const std::string_view entry = trim_ows(csv.substr(0, comma));
    if (!entry.empty()) {
      if (auto c = parse_cidr(entry)) {
        nets.push_back(*c);
      } else {
        invalid.emplace_back(entry);
      }
    }
    if (comma == std::string_view::npos) break;
    csv.remove_prefix(comma + 1);
  }
  return TrustedProxiesParse{TrustedProxies(std::move(nets)), std::move(invalid)};
}

std::string client_ip(std::string_view peer_ip, std::string_view x_forwarded_for,
                      const TrustedProxies& trusted) {
  const auto peer = parse_ip(peer_ip);
  if (!peer) return std::string(peer_ip);
  if (trusted.empty() || !trusted.contains(*peer)) return to_string(*peer);

  IpAddress last_good = *peer;
  std::string_view rest = x_forwarded_for;
  for (std::size_t hops = 0; hops < kMaxForwardedHops; ++hops) {
    if (trim_ows(rest).empty()) break;
    const std::size_t comma = rest.rfind(',');
    const std::string_view entry = comma == std::string_view::npos ? rest : rest.substr(comma + 1);
    const auto ip = parse_forwarded_entry(entry);
    if (!ip) break;
    if (!trusted.contains(*ip)) return to_string(*ip);
    last_good = *ip;
    if (comma == std::string_view::npos) break;
    rest = rest.substr(0, comma);
  }
  return to_string(last_good);
}

std::string prefix_key(std::string_view ip_text, int v6_prefix_bits) {
  auto ip = parse_ip(ip_text);
  if (!ip) return std::string(ip_text);
  if (!ip->v6) return to_string(*ip);
  const int bits = std::clamp(v6_prefix_bits, 0, 128);
  for (int i = 0; i < 16; ++i) {
    const int keep = std::clamp(bits - i * 8, 0, 8);
    ip->bytes[static_cast<std::size_t>(i)] &= static_cast<std::uint8_t>(0xFF00U >> keep);
  }
  return to_string(*ip) + "/" + std::to_string(bits);
}

std::string rate_limit_key(std::string_view ip_text) {
  return prefix_key(ip_text, 64);
}

std::string login_limit_key(std::string_view ip_text) {
  return prefix_key(ip_text, 48);
}

}  // namespace gw::http
