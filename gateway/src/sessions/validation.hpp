#pragma once
// Validation of what users give about a session: its name, its webhook URL, the phone number of
// pairing by code. Pure functions: no I/O, no name resolution, no HTTP types; the session routes
// map a refusal to a 400 with the message as the field's detail.
//
// Webhook URLs are checked twice: here, on the text (literal IP hosts and well-known names), and
// by the delivery worker on the addresses a host name resolves to (classify_address), because a
// name can resolve to anything, and to something else tomorrow.
//
// Thread safety: every function is stateless and safe to call from any thread.
#include <boost/asio/ip/address.hpp>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace gw::sessions {

inline constexpr std::size_t kMaxSessionNameChars = 100;
inline constexpr std::size_t kMaxWebhookUrlBytes = 2048;

/// Checks a human-readable label: valid UTF-8, no control characters (C0, DEL, C1), and 1 to
/// max_chars code points once ASCII whitespace is trimmed from both ends. `what` names the label
/// in the message ("session name"). Returns the error message, or nullopt and the trimmed text in
/// trimmed_out (left untouched on error).
std::optional<std::string> validate_label(std::string_view raw, std::size_t max_chars,
                                          std::string_view what, std::string& trimmed_out);

/// A session name: validate_label with 1-100 characters.
std::optional<std::string> validate_session_name(std::string_view raw, std::string& trimmed_out);

/// Where an address leads, for the webhook policy (and the media-URL SSRF check).
enum class AddressClass {
  public_addr,
  /// RFC 1918, 100.64/10 (CGNAT), fc00::/7, fe80::/10 (IPv6 link-local: needs a zone to be
  /// reachable, and no cloud serves metadata there), multicast and reserved ranges.
  private_addr,
  loopback,  ///< 127/8, ::1
  /// All of 169.254/16 (IPv4 link-local, where every major cloud serves instance metadata),
  /// fd00:ec2::254 (AWS over IPv6) and 100.100.100.200 (Alibaba Cloud). Never a webhook target.
  link_local_or_metadata,
  unspecified,  ///< 0.0.0.0/8, :: (Linux connects them to the local host)
};

/// Classifies an address; IPv4-mapped (::ffff:a.b.c.d) and NAT64 (64:ff9b::a.b.c.d) IPv6
/// addresses are classified by the IPv4 address they carry.
AddressClass classify_address(const boost::asio::ip::address& address) noexcept;

/// Whether the webhook policy lets a request go to an address of this class.
bool address_allowed(AddressClass c, bool allow_private) noexcept;

/// Checks a webhook URL: absolute http/https, a host, <= 2048 bytes, no user name or password,
/// port 1-65535 when given. Literal IP hosts are classified (address_allowed); the host names
/// "metadata" and "metadata.google.internal" are always refused, "localhost" (and *.localhost)
/// when !allow_private; host names written like a numeric IPv4 address in a form other than four
/// decimal numbers ("2130706433", "0x7f.1", "127.000.0.1") are refused, since resolvers would
/// turn them into addresses that this check never saw. Other names are not resolved here.
/// Returns the error message or nullopt.
std::optional<std::string> validate_webhook_url(std::string_view url, bool allow_private);

/// A phone number for pairing by code: optional leading '+', then digits, with spaces, dashes
/// and parentheses ignored; 7-15 digits (E.164), the first not 0 (country code first, without a
/// trunk or international prefix). Returns the digits only, or nullopt when malformed.
std::optional<std::string> normalize_phone(std::string_view raw);

}  // namespace gw::sessions
