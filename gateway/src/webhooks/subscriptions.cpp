#include "webhooks/subscriptions.hpp"

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "auth/crypto.hpp"
#include "util/strings.hpp"
#include "util/time.hpp"

namespace gw::webhooks {

namespace json = boost::json;

namespace {

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& e : v) {
    if (!out.empty()) out += ",";
    out += e;
  }
  return out;
}

Subscription from_row(const db::Row& r) {
  Subscription s;
  s.id = r.text(0);
  s.session_id = r.text(1);
  s.url = r.text(2);
  s.events = util::split_list(r.text(3), ',');
  s.created_ms = r.integer(4);
  return s;
}

constexpr const char* kColumns = "id, session_id, url, events, created_ms";

}  // namespace

json::object to_json(const Subscription& s) {
  json::array events;
  for (const auto& e : s.events) events.emplace_back(e);
  return json::object{{"webhook_id", s.id},
                      {"session_id", s.session_id},
                      {"url", s.url},
                      {"events", std::move(events)},
                      {"created_at", util::iso8601_from_ms(s.created_ms)}};
}

namespace subscriptions {

std::pair<Subscription, std::string> create(db::Connection& c, const std::string& session_id,
                                            const SubscriptionFields& f, int64_t now_ms) {
  Subscription s{auth::uuid_v4(), session_id, f.url, f.events, now_ms};
  auto secret = auth::hex_encode(auth::random_bytes(32));
  c.query(
      "INSERT INTO webhook_subscriptions (id, session_id, url, events, secret, created_ms) "
      "VALUES (?, ?, ?, ?, ?, ?)",
      {s.id, session_id, s.url, join(s.events), secret, now_ms});
  return {std::move(s), std::move(secret)};
}

std::vector<Subscription> list(db::Connection& c, const std::string& session_id) {
  auto r = c.query(std::string("SELECT ") + kColumns +
                       " FROM webhook_subscriptions WHERE session_id = ? ORDER BY created_ms, id",
                   {session_id});
  std::vector<Subscription> out;
  for (const auto& row : r.rows) out.push_back(from_row(row));
  return out;
}

std::size_t count(db::Connection& c, const std::string& session_id) {
  auto r = c.query("SELECT COUNT(*) FROM webhook_subscriptions WHERE session_id = ?", {session_id});
  return static_cast<std::size_t>(r.rows.at(0).integer(0));
}

bool remove(db::Connection& c, const std::string& session_id, const std::string& id) {
  db::Transaction tx(c);
  auto r = c.query("DELETE FROM webhook_subscriptions WHERE session_id = ? AND id = ? RETURNING id",
                   {session_id, id});
  if (r.rows.empty()) return false;
  c.query(
      "DELETE FROM webhook_attempts WHERE delivery_id IN "
      "(SELECT id FROM webhook_deliveries WHERE subscription_id = ?)",
      {id});
  c.query("DELETE FROM webhook_deliveries WHERE subscription_id = ?", {id});
  tx.commit();
  return true;
}

std::vector<std::string> subscribers(db::Connection& c, const std::string& session_id,
                                     std::string_view event) {
  auto r = c.query("SELECT id, events FROM webhook_subscriptions WHERE session_id = ? ORDER BY id",
                   {session_id});
  std::vector<std::string> ids;
  for (const auto& row : r.rows) {
    for (const auto& e : util::split_list(row.text(1), ',')) {
      if (e == event) {
        ids.push_back(row.text(0));
        break;
      }
    }
  }
  return ids;
}

std::string chat_key(const std::string& subscription_id, const std::string& chat_key) {
  std::string key = "sub:";
  key.append(subscription_id).append(":").append(chat_key);
  return key;
}

std::vector<std::string> fan_out(db::Connection& c, const std::vector<std::string>& subscribers,
                                 const std::string& session_id, std::string_view event,
                                 const std::string& chat_key,
                                 const std::optional<std::string>& message_id,
                                 const std::string& payload,
                                 const std::optional<std::string>& reply_context,
                                 int64_t next_attempt_ms, int64_t now_ms) {
  std::vector<std::string> ids;
  if (subscribers.empty()) return ids;
  boost::system::error_code ec;
  auto parsed = json::parse(payload, ec);
  for (const auto& sub : subscribers) {
    auto id = auth::uuid_v4();
    std::string body = payload;
    if (!ec && parsed.is_object()) {
      auto copy = parsed.as_object();
      copy["event_id"] = id;
      body = json::serialize(copy);
    }
    const auto key = subscriptions::chat_key(sub, chat_key);
    c.query(
        "INSERT INTO webhook_deliveries (delivery_id, session_id, subscription_id, event, "
        "chat_key, message_id, payload, reply_context, status, attempts, next_attempt_ms, "
        "created_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?)",
        {id, session_id, sub, std::string(event), key,
         message_id ? db::Value(*message_id) : db::Value(nullptr), body,
         reply_context ? db::Value(*reply_context) : db::Value(nullptr), next_attempt_ms, now_ms});
    ids.push_back(std::move(id));
  }
  return ids;
}

}  // namespace subscriptions

}  // namespace gw::webhooks
