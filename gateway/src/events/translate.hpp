#pragma once
// The one translator from session state and WhatsApp events to the JSON that leaves the gateway
// over WebSocket ({type, session_id, data, timestamp}). Webhook payloads of incoming
// messages will be built here too, so that the dashboard and n8n see the same field values.
// Thread safety: pure functions.
#include <boost/json/object.hpp>
#include <optional>
#include <string>
#include <vector>

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

/// An incoming WhatsApp message as the gateway reports it (docs/API.md's message fields plus
/// event_id, chat_id, from_lid, mentioned_numbers). Numbers are digits without '+'; `from` is the
/// phone number when it is known (LIDs resolved through the stored map), else the LID user.
struct IncomingMessage {
  std::string session_id;
  std::string session_name;
  std::string event_id;   // = the delivery id (X-Webhook-Id)
  std::string timestamp;  // ISO-8601 UTC, the message's own time
  std::string id;
  std::string chat_id;  // the group JID, or the other person's user JID
  std::string from;
  std::optional<std::string> from_lid;
  std::string from_name;
  std::string to;  // our own number
  std::string type;
  std::string content;
  std::optional<std::string> media_url;    // set when the webhook goes out (webhooks/worker.cpp)
  std::optional<std::string> media_error;  // why an attachment has no media_url
  bool is_group = false;
  std::optional<std::string> group_id;
  std::optional<std::string> group_name;
  bool is_mention = false;
  std::vector<std::string> mentioned_numbers;
  struct Quoted {
    std::string id, from, content, type;
  };
  std::optional<Quoted> quoted;
};

/// The webhook body of a message: {event:"message.received", event_id, session_id, session_name,
/// timestamp, message:{id, from, from_lid, from_name, to, chat_id, type, content, media_url,
/// media_error, is_group, group_id, group_name, is_mention, mentioned_numbers, quoted_message}}.
std::string message_received_webhook(const IncomingMessage& m);
/// The same message for dashboards: {type:"message_received", session_id, data:{message_id, from,
/// from_name, chat_id, type, content, is_group, group_id, is_mention, mentioned_numbers,
/// quoted_message}, timestamp}.
std::string message_received_ws(const IncomingMessage& m);

/// An incoming message that could not be decrypted yet: WhatsApp was asked to have the sender
/// re-send it, and a message.received with the same id follows when that works.
struct WaitingMessage {
  std::string session_id;
  std::string session_name;
  std::string event_id;   // = the delivery id when a webhook is queued
  std::string timestamp;  // ISO-8601 UTC, the message's own time
  std::string id;
  std::string chat_id;
  std::string from;
  std::optional<std::string> from_lid;
  bool is_group = false;
  std::optional<std::string> group_id;
  std::string reason;  // e.g. signal_no_session, signal_invalid_mac
};

/// {event:"message.waiting", event_id, session_id, session_name, timestamp, message:{id, chat_id,
/// from, from_lid, is_group, group_id, reason}}
std::string message_waiting_webhook(const WaitingMessage& m);
/// {type:"message_waiting", session_id, data:{message_id, chat_id, from, from_lid, is_group,
/// group_id, reason}, timestamp}
std::string message_waiting_ws(const WaitingMessage& m);

/// A stored JSON text (device_info, ignore_jids) as a value; null when absent or unparsable.
boost::json::value json_or_null(const std::optional<std::string>& text);

/// {type:"status_update", session_id, data:{status, status_reason, status_detail, phone_number,
/// device_info}, timestamp}
std::string status_update(const SessionStatus& s);
/// {type:"qr_update", session_id, data:{qr_code, qr_text, expires_in}, timestamp}
std::string qr_update(const QrCode& q);

}  // namespace gw::events
