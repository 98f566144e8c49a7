#pragma once
// The client's IP address behind reverse proxies: X-Forwarded-For is believed only when the TCP
// peer is a trusted proxy (TRUSTED_PROXIES), and then only up to the first hop that is not
// itself trusted, since everything to its left was written by the client.
//
// Socket-free (addresses are parsed with inet_pton); addresses are compared in binary and
// returned in canonical text form, IPv4-mapped IPv6 (::ffff:a.b.c.d) folded to IPv4.
//
// Thread safety: TrustedProxies is immutable after parsing and may be shared across threads.
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gw::http {

/// An IPv4 or IPv6 address. IPv4 uses the first 4 bytes of `bytes`, the rest are zero.
struct IpAddress {
  std::array<std::uint8_t, 16> bytes{};
  bool v6 = false;

  friend bool operator==(const IpAddress&, const IpAddress&) = default;
};

/// Parses a literal IPv4 ("10.0.0.1") or IPv6 ("2001:db8::1", "fe80::1%eth0" — zone dropped,
/// "[2001:db8::1]") address. IPv4-mapped IPv6 is folded to IPv4. No ports, no host names.
std::optional<IpAddress> parse_ip(std::string_view text) noexcept;

/// Canonical text: dotted quad, or RFC 5952 IPv6 (lower case, "::" compression).
std::string to_string(const IpAddress& ip);

/// A network: an address and a prefix length (0-32 for IPv4, 0-128 for IPv6).
struct Cidr {
  IpAddress network;  ///< host bits cleared
  int prefix = 0;

  /// True when ip is in this network (an IPv4 address is never in an IPv6 network and back).
  bool contains(const IpAddress& ip) const noexcept;
};

/// Parses "10.0.0.0/8", "2001:db8::/32" or a single address (a /32 or /128). Host bits set in
/// the address are cleared ("10.1.2.3/8" is 10.0.0.0/8).
std::optional<Cidr> parse_cidr(std::string_view text) noexcept;

/// The set of proxies whose X-Forwarded-For is believed. Empty: XFF is never used.
class TrustedProxies {
 public:
  TrustedProxies() = default;
  explicit TrustedProxies(std::vector<Cidr> networks) : networks_(std::move(networks)) {}

  bool contains(const IpAddress& ip) const noexcept;
  bool empty() const noexcept { return networks_.empty(); }
  const std::vector<Cidr>& networks() const noexcept { return networks_; }

 private:
  std::vector<Cidr> networks_;
};

/// Result of parse_trusted_proxies(): the valid networks, and the entries that were not.
struct TrustedProxiesParse {
  TrustedProxies proxies;
  std::vector<std::string> invalid_entries;  ///< verbatim (trimmed); start-up should refuse these

  bool ok() const noexcept { return invalid_entries.empty(); }
};

/// Parses the TRUSTED_PROXIES setting: comma-separated addresses and CIDRs, spaces around
/// entries ignored, empty entries skipped ("" means no trusted proxy).
TrustedProxiesParse parse_trusted_proxies(std::string_view csv);

/// At most this many X-Forwarded-For entries are examined, from the right.
inline constexpr std::size_t kMaxForwardedHops = 32;

/// The client address for logging and rate limiting, in canonical form.
///
/// If peer_ip is not a trusted proxy (or x_forwarded_for is empty), that is peer_ip. Otherwise
/// X-Forwarded-For (a comma-separated list; the caller joins repeated headers with ",") is
/// walked from the right: the first address that is not a trusted proxy is the client. If every
/// entry is trusted, the left-most one is taken; if an unparseable entry (or the hop bound) is
/// reached first, the last good address seen is taken (it is a trusted proxy's). Entries may
/// carry a port ("1.2.3.4:5678", "[2001:db8::1]:443"), which is dropped. An unparseable
/// peer_ip is returned as given.
std::string client_ip(std::string_view peer_ip, std::string_view x_forwarded_for,
                      const TrustedProxies& trusted);

/// The key to rate-limit an address by: the address itself for IPv4, its /64 network for IPv6
/// ("2001:db8:1:2::/64"), since one IPv6 host usually owns a whole /64. Input that does not
/// parse as an address is returned unchanged.
std::string rate_limit_key(std::string_view ip);

/// The key to limit failed logins (and account creation) by: the address for IPv4 (IPv4-mapped
/// IPv6 included), its /48 network for IPv6 ("2001:db8:1::/48"). A /48 is what one site is
/// usually given, so one customer of an IPv6 provider gets one login budget, not 65,536 of
/// them. Input that does not parse as an address is returned unchanged.
std::string login_limit_key(std::string_view ip);

/// The key of an address with IPv6 cut to its first `v6_prefix_bits` bits (0-128, a multiple
/// of 8 or not), written "<network>/<bits>"; IPv4 is the address itself.
std::string prefix_key(std::string_view ip, int v6_prefix_bits);

}  // namespace gw::http
