#pragma once
// JIDs: WhatsApp addresses `user[_agent][:device]@server` (docs/PROTOCOL.md §3.3).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "wa/constants.hpp"
#include "wa/error.hpp"

namespace wa {

/// A JID value: phone-number user (s.whatsapp.net), LID, group (g.us), broadcast, hosted,
/// newsletter, or a server JID (empty user). `device` is kept "explicitly given" vs "absent"
/// because the encoder writes `user:0@s.whatsapp.net` as AD_JID but `user@s.whatsapp.net` as
/// JID_PAIR.
struct Jid {
  std::string user;
  std::string server;
  std::optional<std::uint16_t> device;
  std::uint8_t agent = 0;  ///< raw agent byte of `user_agent:device@server` (0 = none)

  static Jid user_jid(std::string_view phone) {
    return {std::string(phone), std::string(constants::server::kUser), {}, 0};
  }
  static Jid lid(std::string_view id) {
    return {std::string(id), std::string(constants::server::kLid), {}, 0};
  }
  static Jid group(std::string_view id) {
    return {std::string(id), std::string(constants::server::kGroup), {}, 0};
  }
  /// A server JID such as `@s.whatsapp.net` (empty user; encodes as a JID pair, never as a token).
  static Jid server_jid(std::string_view server) { return {{}, std::string(server), {}, 0}; }
  /// `@s.whatsapp.net`, the peer of iqs to the server.
  static Jid default_server() { return server_jid(constants::server::kUser); }

  /// Parses `user[_agent][:device]@server`. Rejects a missing '@', an empty server, and device or
  /// agent parts that are not decimal numbers in range.
  static Result<Jid> parse(std::string_view s);

  /// The string form; the device is printed whenever it is set (`user:0@…` stays explicit).
  std::string to_string() const;

  bool is_server() const noexcept { return user.empty(); }
  bool is_pn() const noexcept { return server == constants::server::kUser; }
  bool is_lid() const noexcept { return server == constants::server::kLid; }
  bool is_group() const noexcept { return server == constants::server::kGroup; }
  bool is_broadcast() const noexcept { return server == constants::server::kBroadcast; }
  bool is_status_broadcast() const noexcept { return is_broadcast() && user == "status"; }
  bool is_hosted() const noexcept {
    return server == constants::server::kHosted || server == constants::server::kHostedLid;
  }
  bool is_newsletter() const noexcept { return server == constants::server::kNewsletter; }
  /// Device number, 0 when absent.
  std::uint16_t device_or_zero() const noexcept { return device.value_or(0); }
  /// The same user without device or agent (the "non-AD" JID).
  Jid to_non_ad() const { return {user, server, {}, 0}; }
  /// The same user on `dev`.
  Jid with_device(std::uint16_t dev) const { return {user, server, dev, agent}; }

  friend bool operator==(const Jid&, const Jid&) = default;
};

}  // namespace wa
