#pragma once
// The one translator from session state and WhatsApp events to the JSON that leaves the gateway
// over WebSocket (PRD §4.5: {type, session_id, data, timestamp}). Webhook payloads of incoming
// messages will be built here too, so that the dashboard and n8n see the same field values.
// Thread safety: pure functions.
#include <boost/json/object.hpp>
#include <optional>
#include <string>

namespace gw::events {

/// What a dashboard knows about a session's connection.
struct SessionStatus {
  std::string session_id;
  std::string status;  // qr | connected | disconnected
  std::optional<std::string> reason;
  std::optional<std::string> detail;
  std::optional<std::string> phone_number;
  boost::json::value device_info;  // object or null
};

/// A QR code to show.
struct QrCode {
  std::string session_id;
  std::string png_data_url;
  std::string text;
  int expires_in = 0;  // seconds left
};

/// {type:"status_update", session_id, data:{status, status_reason, status_detail, phone_number,
/// device_info}, timestamp}
std::string status_update(const SessionStatus& s);
/// {type:"qr_update", session_id, data:{qr_code, qr_text, expires_in}, timestamp}
std::string qr_update(const QrCode& q);

}  // namespace gw::events
