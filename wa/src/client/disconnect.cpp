#include "wa/client/disconnect.hpp"

#include <charconv>

namespace wa::client {

namespace {
int parse_code(const std::string* s) {
  if (!s) return 0;
  int v = 0;
  auto [p, ec] = std::from_chars(s->data(), s->data() + s->size(), v);
  return (ec == std::errc{} && p == s->data() + s->size()) ? v : 0;
}
}  // namespace

std::string_view to_string(DisconnectReason r) noexcept {
  switch (r) {
    case DisconnectReason::restart_required:
      return "restart_required";
    case DisconnectReason::transient:
      return "transient";
    case DisconnectReason::logged_out:
      return "logged_out";
    case DisconnectReason::replaced:
      return "replaced";
    case DisconnectReason::banned:
      return "banned";
    case DisconnectReason::temporarily_banned:
      return "temporarily_banned";
    case DisconnectReason::main_device_gone:
      return "main_device_gone";
    case DisconnectReason::client_outdated:
      return "client_outdated";
    case DisconnectReason::bad_user_agent:
      return "bad_user_agent";
    case DisconnectReason::rejected:
      return "rejected";
    case DisconnectReason::connect_failed:
      return "connect_failed";
    case DisconnectReason::keepalive_timeout:
      return "keepalive_timeout";
    case DisconnectReason::qr_timeout:
      return "qr_timeout";
    case DisconnectReason::user_requested:
      return "user_requested";
  }
  return "transient";
}

bool should_reconnect(DisconnectReason r) noexcept {
  switch (r) {
    case DisconnectReason::restart_required:
    case DisconnectReason::transient:
    case DisconnectReason::connect_failed:
    case DisconnectReason::keepalive_timeout:
      return true;
    default:
      return false;
  }
}

bool should_wipe_device(DisconnectReason r) noexcept {
  return r == DisconnectReason::logged_out || r == DisconnectReason::banned ||
         r == DisconnectReason::main_device_gone;
}

DisconnectInfo from_stream_error(const binary::Node& node) {
  DisconnectInfo info;
  info.code = parse_code(node.attr("code"));
  if (const auto* conflict = node.child("conflict")) {
    const auto* type = conflict->attr("type");
    info.detail = type ? *type : "";
    if (info.detail == "replaced") {
      info.reason = DisconnectReason::replaced;
    } else if (info.detail == "device_removed") {
      info.reason = DisconnectReason::logged_out;
    } else {
      info.reason = DisconnectReason::transient;
    }
    return info;
  }
  switch (info.code) {
    case 515:
      info.reason = DisconnectReason::restart_required;
      break;
    case 401:
      info.reason = DisconnectReason::logged_out;
      break;
    default:
      info.reason = DisconnectReason::transient;
      break;
  }
  return info;
}

DisconnectInfo from_failure(const binary::Node& node) {
  DisconnectInfo info;
  info.code = parse_code(node.attr("reason"));
  if (const auto* loc = node.attr("location")) info.detail = *loc;
  switch (info.code) {
    case 401:
      info.reason = DisconnectReason::logged_out;
      break;
    case 402: {
      info.reason = DisconnectReason::temporarily_banned;
      if (int exp = parse_code(node.attr("expire")); exp > 0) info.expires_unix = exp;
      break;
    }
    case 403:
      info.reason = DisconnectReason::main_device_gone;
      break;
    case 405:
      info.reason = DisconnectReason::client_outdated;
      break;
    case 406:
      info.reason = DisconnectReason::banned;
      break;
    case 409:
      info.reason = DisconnectReason::bad_user_agent;
      break;
    case 500:
    case 503:
      info.reason = DisconnectReason::transient;
      break;
    default:
      info.reason = DisconnectReason::rejected;
      break;
  }
  return info;
}

}  // namespace wa::client
