#pragma once
// Why a connection ended, as a closed set, and what the client does about it (docs/PROTOCOL.md §9).
// Stream errors (<stream:error>) and connect failures (<failure reason=…>) from the server, and
// local causes (network, keepalive, QR refs exhausted, user request), all map to one reason.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "wa/binary/node.hpp"

namespace wa::client {

enum class DisconnectReason {
  restart_required,    // stream error 515, after pairing: reconnect at once
  transient,           // stream error 503, failure 500/503, dropped socket: reconnect with backoff
  logged_out,          // failure 401 or <conflict type=device_removed/>: wipe the device
  replaced,            // <conflict type=replaced/>: another connection took over; do not retry
  banned,              // failure 406: wipe; do not retry
  temporarily_banned,  // failure 402 (with expiry): do not retry automatically
  main_device_gone,    // failure 403: the phone is gone or locked: wipe
  client_outdated,     // failure 405: the announced client version is too old
  bad_user_agent,      // failure 409
  rejected,            // other failures (413, 414, 415, 418, …): do not retry blindly
  connect_failed,      // TCP/TLS/WebSocket or Noise handshake failed (network, certificate)
  keepalive_timeout,   // the server stopped answering pings
  qr_timeout,          // every pairing ref expired without a scan
  user_requested,      // disconnect() or logout() was called
};

std::string_view to_string(DisconnectReason reason) noexcept;

/// True when an automatic reconnect makes sense (never for logged out, replaced or banned).
bool should_reconnect(DisconnectReason reason) noexcept;
/// True when the stored device is dead on the server side and must be wiped.
bool should_wipe_device(DisconnectReason reason) noexcept;

struct DisconnectInfo {
  DisconnectReason reason = DisconnectReason::transient;
  int code = 0;                         // the server's numeric code when it sent one
  std::string detail;                   // e.g. the conflict type or the failure's location
  std::optional<int64_t> expires_unix;  // temporary bans
};

/// Maps a <stream:error> node.
DisconnectInfo from_stream_error(const binary::Node& node);
/// Maps a <failure reason=…> node received instead of <success>.
DisconnectInfo from_failure(const binary::Node& node);

}  // namespace wa::client
