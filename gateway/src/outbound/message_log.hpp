#pragma once
// The message log of a session (messages_log): outgoing messages
// and their delivery status (sent → delivered → read → played, or failed), the lookups of the
// message API (one message, a page of a chat's history), and what a quoted reply needs.
// docs/API.md "Messages" describes the JSON these functions produce.
// Thread safety: stateless functions on the caller's connection.
#include <boost/json/object.hpp>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "db/connection.hpp"

namespace gw::outbound {

/// An outgoing message to log once WhatsApp acked it (status sent) or refused it (failed).
struct OutgoingRecord {
  std::string session_id;
  std::string message_id;  // WhatsApp's id (a failed send before any id: a local one)
  std::string chat_id;     // as the API shows chats: group JID or user JID
  std::string chat_jid;    // as WhatsApp addressed it
  std::string to_number;   // the recipient's number (digits), or the group id
  std::string type;        // text, image, …
  std::string content;
  std::optional<std::string> media_url;
  bool is_group = false;
  std::optional<std::string> quoted_message_id;
  std::string status = "sent";  // sent | failed
  int64_t at_ms = 0;
  std::optional<std::string> error;
  std::string own_jid;  // our own user JID (sender of the message, for quoting it later)
};
void insert_outgoing(db::Connection& c, const OutgoingRecord& r);

/// A receipt's effect on one outgoing message.
struct StatusChange {
  std::string message_id;
  std::string chat_id;
  std::string status;     // delivered | read | played
  std::string timestamp;  // ISO-8601 UTC of the receipt
};
/// The status a receipt type means ("" / "delivered" → delivered, "read", "played"); nullopt for
/// receipts that say nothing about delivery (read-self, sender, inactive, …).
std::optional<std::string> status_of_receipt(std::string_view receipt_type);
/// Moves the outgoing messages `ids` of a session forward to `status` (never backwards; a read
/// also fills a missing delivered time). Returns the messages that changed.
std::vector<StatusChange> apply_status(db::Connection& c, const std::string& session_id,
                                       const std::vector<std::string>& ids,
                                       const std::string& status, int64_t at_ms);

/// Queues a message.status webhook per change when the session's webhook_events include it, in
/// the order of the change's chat (after that chat's earlier events). Returns how many.
int queue_status_webhooks(db::Connection& c, const std::string& session_id,
                          const std::vector<StatusChange>& changes, int64_t now_ms);

/// The signed URL of a stored media file (media/signing.hpp), for the log's media_url.
using MediaUrlFn = std::function<std::string(const std::string& media_id)>;

/// One message as GET /sessions/:id/messages/:message_id shows it; nullopt when unknown. An
/// incoming attachment that was stored shows as `media_url` (signed now by `media_url` when
/// given); `media_error` says why there is none.
std::optional<boost::json::object> find_message(db::Connection& c, const std::string& session_id,
                                                const std::string& message_id,
                                                const MediaUrlFn& media_url = {});

struct ListFilter {
  std::optional<std::string> chat_id;    // exact chat_id
  std::optional<std::string> direction;  // incoming | outgoing
  std::optional<std::string> before;     // a message id: only older messages
  int limit = 50;
};
/// Newest first. `next_before` is the message id to pass as `before` for the next page (absent
/// on the last page). Throws http::ApiError(not_found) when `before` is unknown.
boost::json::object list_messages(db::Connection& c, const std::string& session_id,
                                  const ListFilter& f, const MediaUrlFn& media_url = {});

/// What a quoted reply needs about the quoted message.
struct QuoteSource {
  std::string chat_jid;    // its chat as WhatsApp addressed it
  std::string sender_jid;  // its sender (participant) as the chat addresses it
  std::string type;
  std::string text;
};
std::optional<QuoteSource> quote_source(db::Connection& c, const std::string& session_id,
                                        const std::string& message_id);

/// The message_status WebSocket message and the message.status webhook body of a change.
std::string message_status_ws(const std::string& session_id, const StatusChange& s);
std::string message_status_webhook(const std::string& session_id, const std::string& session_name,
                                   const std::string& event_id, const StatusChange& s);

}  // namespace gw::outbound
