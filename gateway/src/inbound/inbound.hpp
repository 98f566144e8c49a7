#pragma once
// The incoming-message path: which received messages are recorded and which are forwarded to the
// session's webhook (the mention-aware filter), and the rows one message becomes — messages_log,
// analytics and, when forwarded, the webhook outbox — written on the caller's connection inside
// the caller's transaction. The session manager calls record() from the WhatsApp client's
// persist hook, i.e. inside the device store's transaction that holds the Signal state which
// decrypted the message: message and ratchet commit together, and the receipt goes out after.
// Thread safety: stateless functions; the connection is the caller's.
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "db/connection.hpp"
#include "events/translate.hpp"
#include "wa/client/messages.hpp"

namespace gw::inbound {

/// What happens to one received message.
struct Decision {
  bool record = false;   // logged and counted in analytics
  bool forward = false;  // delivered to the webhook
  std::string skipped;   // why not forwarded: own_message, status_broadcast, newsletter,
                         // group_without_mention, ignored, event_disabled
};

/// The session settings the filter needs.
struct SessionSettings {
  std::string id;
  std::string name;
  std::string own_phone;            // our number (digits)
  std::vector<std::string> ignore;  // numbers, group JIDs/ids, "status", "newsletter"
  bool message_events = true;       // webhook_events contains message.received
  bool waiting_events = false;      // webhook_events contains message.waiting
  std::string webhook_url;          // where its deliveries go
  std::string webhook_secret;       // what signs them
};

/// Private messages from others always; group messages only when the bot is
/// mentioned (by its phone user or its LID user); never our own messages, status broadcasts or
/// newsletters; nothing from an ignored number or group.
Decision decide(const wa::client::MessageReceived& m, const SessionSettings& s);

/// Resolves a LID user to its phone number from the stored map (nullopt when unknown).
using PnForLid = std::function<std::optional<std::string>(const std::string& lid_user)>;

/// The chat of a message as one stable string (a LID-addressed 1:1 chat by its phone number when
/// known): the webhook's chat_id and the outbox's ordering key.
std::string chat_key(const wa::client::MessageReceived& m, const PnForLid& pn_for_lid);
std::string chat_key(const wa::Jid& chat, const PnForLid& pn_for_lid);

/// The message as reported to webhooks and dashboards.
events::IncomingMessage describe(const wa::client::MessageReceived& m, const SessionSettings& s,
                                 const PnForLid& pn_for_lid);

/// The sender of a message as its chat addresses it — the participant a quoted reply names: in
/// groups the sender (its LID when only that is known), in 1:1 chats the chat.
std::string quote_participant(const wa::client::MessageReceived& m);

/// An outbox row that may be sent as soon as its transaction commits: due now, and no older
/// delivery of its chat is pending, so the chat's order allows it. The delivery worker starts it
/// without reading the outbox (webhooks::DeliveryWorker::start_now).
struct ReadyDelivery {
  int64_t row_id = 0;  // webhook_deliveries.id
  std::string delivery_id;
  std::string session_id;
  std::string chat_key;
  std::string message_id;
  std::string payload;
  std::string reply_context;
  int64_t analytics_id = 0;
  std::string url;
  std::string secret;
};

/// What record() wrote.
struct Recorded {
  Decision decision;
  events::IncomingMessage message;
  std::optional<std::string> delivery_id;  // set when an outbox row was written
  std::optional<ReadyDelivery> ready;      // the session webhook's row, when it may go at once
  bool other_rows = false;                 // outbox rows that are not `ready` (subscriptions, or
                                           // the webhook's row waiting its turn)
  std::vector<std::string> other_chats;    // the chat keys of those rows
  bool media_queued = false;               // an incoming_media job was written (media_jobs.hpp)
};

/// Writes the rows of one message on `c` (the caller holds the transaction). `group_name`: the
/// group's subject when known. A message whose first copy could not be decrypted completes the
/// analytics row record_waiting() wrote instead of adding one. A recorded message with an
/// attachment also gets its download job, and its webhook is held back for `media_wait_ms` (the
/// download releases it sooner when it ends). Throws DbError.
Recorded record(db::Connection& c, const wa::client::MessageReceived& m, const SessionSettings& s,
                const PnForLid& pn_for_lid, int64_t now_ms,
                const std::optional<std::string>& group_name = std::nullopt,
                int64_t media_wait_ms = 0);

/// What record_waiting() wrote.
struct WaitingRecorded {
  bool recorded = false;                   // an analytics row was written
  std::optional<std::string> delivery_id;  // a message.waiting webhook was queued
  std::string live;                        // the message_waiting WebSocket message ("" if none)
};

/// A message that could not be decrypted yet (the first retry receipt went out): counted in
/// analytics as an error ("undecryptable: <reason>") until its re-send decrypts, and — for
/// private chats, when the session's webhook_events include message.waiting and the sender is
/// not ignored — a message.waiting webhook queued in the chat's order, so it reaches n8n before
/// the message.received that follows. Group messages get no webhook (whether they mention the
/// bot is unknown until they decrypt). Nothing is written twice for one message id.
/// Throws DbError.
WaitingRecorded record_waiting(db::Connection& c, const wa::client::UndecryptableMessage& u,
                               const SessionSettings& s, const PnForLid& pn_for_lid,
                               int64_t now_ms);

/// The sender never re-sent it (the library gave up): the analytics row says so. Throws DbError.
void record_given_up(db::Connection& c, const wa::client::UndecryptableMessage& u,
                     const SessionSettings& s, const PnForLid& pn_for_lid, int64_t now_ms);

/// The short reason of a decryption error ("signal_no_session", …; "undecryptable" otherwise).
std::string reason_code(std::string_view error_message);

/// Queues a session.status webhook event when the session's webhook_events include it; returns
/// whether a row was written. Status fields as in the status_update WebSocket message.
bool record_session_status(db::Connection& c, const std::string& session_id,
                           const std::string& status, const std::optional<std::string>& reason,
                           const std::optional<std::string>& detail,
                           const std::optional<std::string>& phone_number, int64_t now_ms);

/// Loads the settings of a session on `c` (nullopt when it no longer exists).
std::optional<SessionSettings> load_settings(db::Connection& c, const std::string& session_id);

}  // namespace gw::inbound
