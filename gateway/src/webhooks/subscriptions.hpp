#pragma once
// Webhook subscriptions: extra receivers of a session's events besides its own webhook_url (an
// n8n trigger node registers one for its own URL when activated and deletes it when
// deactivated). Each has its URL, its events and its own signing secret. Their deliveries are
// rows of the same outbox (webhook_deliveries.subscription_id), so they get the same ordering,
// retries, signing and durability as the session's webhook; see docs/webhooks.md.
#include <boost/json/object.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "db/connection.hpp"

namespace gw::webhooks {

/// The events a subscription (or a session's webhook) can ask for.
inline constexpr std::string_view kSubscriptionEvents[] = {"message.received", "message.status",
                                                           "message.waiting", "session.status"};

/// Most subscriptions one session may have (each is one more delivery per event).
inline constexpr std::size_t kMaxSubscriptionsPerSession = 10;

struct SubscriptionFields {
  std::string url;
  std::vector<std::string> events;  // distinct, in the order given
};

/// Validates a POST body: `url` (the webhook URL rules) and `events` (a non-empty array of the
/// events above; default ["message.received"] when absent). Unknown fields are ignored. Throws
/// http::ApiError (validation) naming each bad field.
SubscriptionFields parse_subscription(const boost::json::object& body, bool allow_private);

struct Subscription {
  std::string id;
  std::string session_id;
  std::string url;
  std::vector<std::string> events;
  int64_t created_ms = 0;
};

/// The public JSON of a subscription (never its secret).
boost::json::object to_json(const Subscription& s);

namespace subscriptions {

/// Inserts a subscription with a fresh secret; returns it and the secret.
std::pair<Subscription, std::string> create(db::Connection& c, const std::string& session_id,
                                            const SubscriptionFields& f, int64_t now_ms);
std::vector<Subscription> list(db::Connection& c, const std::string& session_id);
std::size_t count(db::Connection& c, const std::string& session_id);
/// Deletes the subscription and its outbox rows; false when the session has no such one.
bool remove(db::Connection& c, const std::string& session_id, const std::string& id);

/// The ids of the session's subscriptions that asked for the event (one query; a caller queuing
/// several events of one kind reads them once).
std::vector<std::string> subscribers(db::Connection& c, const std::string& session_id,
                                     std::string_view event);

/// The ordering key of a subscription's deliveries in a chat: a slow or failing subscription holds
/// back only its own queue.
std::string chat_key(const std::string& subscription_id, const std::string& chat_key);

/// Queues one delivery of an event for each of `subscribers` (from subscribers()), in the caller's
/// transaction. `payload` is the event's JSON; each copy gets its own `event_id` (= its
/// X-Webhook-Id). Returns the delivery ids queued.
std::vector<std::string> fan_out(db::Connection& c, const std::vector<std::string>& subscribers,
                                 const std::string& session_id, std::string_view event,
                                 const std::string& chat_key,
                                 const std::optional<std::string>& message_id,
                                 const std::string& payload,
                                 const std::optional<std::string>& reply_context,
                                 int64_t next_attempt_ms, int64_t now_ms);

}  // namespace subscriptions

}  // namespace gw::webhooks
