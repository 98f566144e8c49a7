#include "inbound/inbound.hpp"

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <chrono>

#include "auth/crypto.hpp"
#include "inbound/media_jobs.hpp"
#include "util/strings.hpp"
#include "util/time.hpp"
#include "webhooks/subscriptions.hpp"

namespace gw::inbound {

namespace {

bool listed(const std::vector<std::string>& list, std::string_view v) {
  return std::find(list.begin(), list.end(), v) != list.end();
}

std::string iso_from_unix(int64_t seconds) {
  return util::iso8601(std::chrono::system_clock::time_point(std::chrono::seconds(seconds)));
}

// analytics.message_type allows these; anything else is "unknown".
std::string analytics_type(wa::message::ContentType t) {
  using wa::message::ContentType;
  switch (t) {
    case ContentType::text:
    case ContentType::image:
    case ContentType::document:
    case ContentType::audio:
    case ContentType::video:
    case ContentType::sticker:
    case ContentType::location:
    case ContentType::contact:
    case ContentType::reaction:
    case ContentType::poll:
      return std::string(wa::message::to_string(t));
    default:
      return "unknown";
  }
}

// The user part of a JID string ("6281…:3@s.whatsapp.net" -> "6281…").
std::string user_of(std::string_view jid) {
  auto end = jid.find_first_of(":@");
  return std::string(jid.substr(0, end));
}

db::Value opt(const std::optional<std::string>& v) {
  if (v) return *v;
  return nullptr;
}

}  // namespace

Decision decide(const wa::client::MessageReceived& m, const SessionSettings& s) {
  Decision d;
  if (m.is_from_me) {
    d.skipped = "own_message";
    return d;
  }
  if (m.chat.is_status_broadcast()) {
    d.skipped = "status_broadcast";
    return d;
  }
  if (m.chat.is_newsletter() || m.chat.is_broadcast()) {
    d.skipped = "newsletter";
    return d;
  }
  d.record = true;
  const std::string chat = m.chat.to_non_ad().to_string();
  const std::string sender = m.sender ? m.sender->user : std::string();
  const std::string sender_lid = m.sender_lid ? m.sender_lid->user : std::string();
  if (listed(s.ignore, chat) || listed(s.ignore, m.chat.user) ||
      (!sender.empty() && listed(s.ignore, sender)) ||
      (!sender_lid.empty() && listed(s.ignore, sender_lid))) {
    d.skipped = "ignored";
    return d;
  }
  if (m.is_group && !m.mentions_me) {
    d.skipped = "group_without_mention";
    return d;
  }
  if (!s.message_events) {
    d.skipped = "event_disabled";
    return d;
  }
  d.forward = true;
  return d;
}

// The chat as one stable string: a 1:1 chat addressed by LID is named by the phone number when
// the map knows it, so that one person's messages keep one order and one chat_id whichever
// addressing WhatsApp used for each of them.
std::string chat_key(const wa::Jid& chat_jid, const PnForLid& pn_for_lid) {
  auto chat = chat_jid.to_non_ad();
  if (chat.is_lid() && pn_for_lid) {
    if (auto pn = pn_for_lid(chat.user)) return wa::Jid::user_jid(*pn).to_string();
  }
  return chat.to_string();
}

std::string chat_key(const wa::client::MessageReceived& m, const PnForLid& pn_for_lid) {
  return chat_key(m.chat, pn_for_lid);
}

events::IncomingMessage describe(const wa::client::MessageReceived& m, const SessionSettings& s,
                                 const PnForLid& pn_for_lid) {
  events::IncomingMessage out;
  out.session_id = s.id;
  out.session_name = s.name;
  out.timestamp = iso_from_unix(m.timestamp > 0 ? m.timestamp : util::unix_seconds_now());
  out.id = m.id;
  out.chat_id = chat_key(m, pn_for_lid);
  if (m.sender_lid) out.from_lid = m.sender_lid->user;
  // The phone number when the sender has one, else the LID's phone number when known, else the
  // LID user, else whatever sender there is.
  if (m.sender_lid && !(m.sender && m.sender->is_pn())) {
    auto pn = pn_for_lid ? pn_for_lid(m.sender_lid->user) : std::nullopt;
    out.from = pn ? *pn : m.sender_lid->user;
  } else if (m.sender) {
    out.from = m.sender->user;
  }
  // Text from the sender is stored and forwarded as is, except bytes no database or JSON reader
  // accepts (invalid UTF-8, NUL): they would fail the insert every time WhatsApp re-sends it.
  out.from_name = util::to_storable_text(m.push_name);
  out.to = s.own_phone;
  out.type = std::string(wa::message::to_string(m.type));
  out.content = util::to_storable_text(m.text);
  out.is_group = m.is_group;
  if (m.is_group) out.group_id = m.chat.to_non_ad().to_string();
  out.is_mention = m.is_group && m.mentions_me;
  for (const auto& j : m.mentioned_jids) {
    auto user = user_of(j);
    if (j.find("@lid") != std::string::npos && pn_for_lid) {
      if (auto pn = pn_for_lid(user)) user = *pn;
    }
    out.mentioned_numbers.push_back(user);
  }
  if (m.quoted) {
    events::IncomingMessage::Quoted q;
    q.id = m.quoted->id;
    auto from = user_of(m.quoted->participant);
    if (m.quoted->participant.find("@lid") != std::string::npos && pn_for_lid) {
      if (auto pn = pn_for_lid(from)) from = *pn;
    }
    q.from = from;
    q.content = util::to_storable_text(m.quoted->text);
    q.type = std::string(wa::message::to_string(m.quoted->type));
    out.quoted = std::move(q);
  }
  return out;
}

std::string quote_participant(const wa::client::MessageReceived& m) {
  if (!m.is_group) return m.chat.to_non_ad().to_string();
  if (m.sender_lid && !m.sender) return m.sender_lid->to_non_ad().to_string();
  if (m.sender) return m.sender->to_non_ad().to_string();
  return {};
}

Recorded record(db::Connection& c, const wa::client::MessageReceived& m, const SessionSettings& s,
                const PnForLid& pn_for_lid, int64_t now_ms,
                const std::optional<std::string>& group_name, int64_t media_wait_ms) {
  Recorded r;
  r.decision = decide(m, s);
  if (!r.decision.record) return r;
  r.message = describe(m, s, pn_for_lid);
  if (m.is_group) r.message.group_name = group_name;
  const auto& msg = r.message;
  const auto type = analytics_type(m.type);
  const auto participant = quote_participant(m);
  c.query(
      "INSERT INTO messages_log (session_id, direction, message_id, chat_id, chat_jid, "
      "sender_jid, from_number, to_number, message_type, content, group_id, group_name, is_group, "
      "quoted_message_id, timestamp) "
      "VALUES (?, 'incoming', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      {s.id, msg.id, msg.chat_id, m.chat.to_non_ad().to_string(),
       participant.empty() ? db::Value(nullptr) : db::Value(participant), msg.from, msg.to, type,
       msg.content, opt(msg.group_id), opt(msg.group_name), int64_t{msg.is_group ? 1 : 0},
       msg.quoted ? db::Value(msg.quoted->id) : db::Value(nullptr), msg.timestamp});
  std::optional<int64_t> analytics_id;
  // If its first copy could not be decrypted it was counted then (record_waiting): that row now
  // tells the truth. Looked up for every message, not only when the client says it sent retry
  // receipts, because a reconnect or restart in between makes the client forget that.
  if (c.dialect() == db::Dialect::postgres) {
    // One round trip: the update, or else the insert.
    auto a = c.query(
        "WITH u AS (UPDATE analytics SET from_number = ?, message_type = ?, is_group = ?, "
        "is_mention = ?, error_message = NULL WHERE session_id = ? AND message_id = ? "
        "AND error_message LIKE 'undecryptable%' RETURNING id), "
        "i AS (INSERT INTO analytics (session_id, message_id, from_number, message_type, "
        "is_group, is_mention, webhook_sent, created_at) SELECT CAST(? AS UUID), "
        "CAST(? AS VARCHAR), CAST(? AS VARCHAR), CAST(? AS VARCHAR), CAST(? AS BOOLEAN), "
        "CAST(? AS BOOLEAN), FALSE, CAST(? AS TIMESTAMPTZ) WHERE NOT EXISTS (SELECT 1 FROM u) "
        "RETURNING id) SELECT id FROM u UNION ALL SELECT id FROM i",
        {msg.from, type, int64_t{msg.is_group ? 1 : 0}, int64_t{msg.is_mention ? 1 : 0}, s.id,
         msg.id, s.id, msg.id, msg.from, type, int64_t{msg.is_group ? 1 : 0},
         int64_t{msg.is_mention ? 1 : 0}, util::iso8601_from_ms(now_ms)});
    analytics_id = a.rows.at(0).integer(0);
  } else {
    auto u = c.query(
        "UPDATE analytics SET from_number = ?, message_type = ?, is_group = ?, is_mention = ?, "
        "error_message = NULL WHERE session_id = ? AND message_id = ? "
        "AND error_message LIKE 'undecryptable%' RETURNING id",
        {msg.from, type, int64_t{msg.is_group ? 1 : 0}, int64_t{msg.is_mention ? 1 : 0}, s.id,
         msg.id});
    if (!u.rows.empty()) analytics_id = u.rows.front().integer(0);
  }
  if (!analytics_id) {  // SQLite (in process: two statements cost no round trip)
    auto a = c.query(
        "INSERT INTO analytics (session_id, message_id, from_number, message_type, is_group, "
        "is_mention, webhook_sent, created_at) VALUES (?, ?, ?, ?, ?, ?, FALSE, ?) RETURNING id",
        {s.id, msg.id, msg.from, type, int64_t{msg.is_group ? 1 : 0},
         int64_t{msg.is_mention ? 1 : 0}, util::iso8601_from_ms(now_ms)});
    analytics_id = a.rows.at(0).integer(0);
  }
  r.media_queued = queue_media(c, s.id, m, now_ms);
  // Subscriptions choose their own events: a message the session's webhook does not want (only
  // because of webhook_events) may still go to them.
  const bool for_subscriptions = r.decision.forward || r.decision.skipped == "event_disabled";
  if (!for_subscriptions) return r;

  const auto event_id = auth::uuid_v4();
  r.message.event_id = event_id;
  boost::json::object ctx{
      {"chat", m.chat.to_non_ad().to_string()}, {"id", m.id}, {"text", r.message.content}};
  if (m.is_group && !participant.empty()) ctx["participant"] = participant;
  const auto payload = events::message_received_webhook(r.message);
  const auto reply_context = boost::json::serialize(ctx);
  const auto due = r.media_queued ? now_ms + media_wait_ms : now_ms;
  if (r.decision.forward) {
    r.delivery_id = event_id;
    // Whether it may go as soon as this commits: due now, and no older delivery of the chat
    // pending (the session's strand writes all of them, so none can appear before the commit).
    constexpr const char* kInsert =
        "INSERT INTO webhook_deliveries (delivery_id, session_id, event, chat_key, message_id, "
        "analytics_id, payload, reply_context, status, attempts, next_attempt_ms, created_ms) "
        "VALUES (?, ?, 'message.received', ?, ?, ?, ?, ?, 'pending', 0, ?, ?) RETURNING id";
    constexpr const char* kOthersPending =
        "SELECT 1 FROM webhook_deliveries e WHERE e.session_id = ? AND e.chat_key = ? "
        "AND e.status = 'pending'";
    std::vector<db::Value> values{event_id,      s.id,          r.message.chat_id,
                                  m.id,          *analytics_id, payload,
                                  reply_context, due,           now_ms};
    bool may_go_now = false;
    db::Result row;
    if (c.dialect() == db::Dialect::postgres) {
      // One round trip: the statement's subquery does not see the row it inserts.
      values.emplace_back(s.id);
      values.emplace_back(r.message.chat_id);
      row = c.query(std::string(kInsert) + ", NOT EXISTS (" + kOthersPending +
                        " AND e.id <> webhook_deliveries.id)",
                    values);
      may_go_now = due <= now_ms && row.rows.at(0).integer(1) != 0;
    } else {
      may_go_now =
          due <= now_ms &&
          c.query(std::string(kOthersPending) + " LIMIT 1", {s.id, r.message.chat_id}).rows.empty();
      row = c.query(kInsert, values);
    }
    // Not without its secret (sessions older than migration 0005 get one from the worker).
    if (may_go_now && !s.webhook_secret.empty()) {
      r.ready = ReadyDelivery{row.rows.at(0).integer(0),
                              event_id,
                              s.id,
                              r.message.chat_id,
                              m.id,
                              payload,
                              reply_context,
                              *analytics_id,
                              s.webhook_url,
                              s.webhook_secret};
    } else {
      r.other_rows = true;
      r.other_chats.push_back(r.message.chat_id);
    }
  }
  namespace subscriptions = webhooks::subscriptions;
  const auto subscribers = subscriptions::subscribers(c, s.id, "message.received");
  auto subs = subscriptions::fan_out(c, subscribers, s.id, "message.received", r.message.chat_id,
                                     m.id, payload, reply_context, due, now_ms);
  if (!subs.empty()) r.other_rows = true;
  for (const auto& sub : subscribers)
    r.other_chats.push_back(subscriptions::chat_key(sub, r.message.chat_id));
  if (!r.delivery_id && !subs.empty()) r.delivery_id = subs.front();
  return r;
}

std::string reason_code(std::string_view error_message) {
  auto at = error_message.find("signal_");
  if (at == std::string_view::npos) return "undecryptable";
  auto end = error_message.find_first_of(": ", at);
  return std::string(error_message.substr(at, end == std::string_view::npos ? end : end - at));
}

namespace {

events::WaitingMessage describe_waiting(const wa::client::UndecryptableMessage& u,
                                        const SessionSettings& s, const PnForLid& pn_for_lid) {
  events::WaitingMessage w;
  w.session_id = s.id;
  w.session_name = s.name;
  w.timestamp = iso_from_unix(u.timestamp > 0 ? u.timestamp : util::unix_seconds_now());
  w.id = u.id;
  w.chat_id = chat_key(u.chat, pn_for_lid);
  w.is_group = u.is_group;
  if (u.is_group) w.group_id = u.chat.to_non_ad().to_string();
  if (u.sender_lid) w.from_lid = u.sender_lid->user;
  if (u.sender_pn) {
    w.from = u.sender_pn->user;
  } else if (u.sender.is_lid()) {
    auto pn = pn_for_lid ? pn_for_lid(u.sender.user) : std::nullopt;
    w.from = pn ? *pn : u.sender.user;
    if (!w.from_lid) w.from_lid = u.sender.user;
  } else {
    w.from = u.sender.user;
  }
  w.reason = reason_code(u.reason);
  return w;
}

// Status broadcasts, newsletters and our own devices' messages are never reported.
bool reportable(const wa::client::UndecryptableMessage& u, const events::WaitingMessage& w,
                const SessionSettings& s) {
  if (u.chat.is_status_broadcast() || u.chat.is_newsletter() || u.chat.is_broadcast()) return false;
  return s.own_phone.empty() || w.from != s.own_phone;
}

}  // namespace

WaitingRecorded record_waiting(db::Connection& c, const wa::client::UndecryptableMessage& u,
                               const SessionSettings& s, const PnForLid& pn_for_lid,
                               int64_t now_ms) {
  WaitingRecorded r;
  auto w = describe_waiting(u, s, pn_for_lid);
  if (!reportable(u, w, s)) return r;
  auto seen =
      c.query("SELECT 1 FROM analytics WHERE session_id = ? AND message_id = ?", {s.id, u.id});
  if (!seen.rows.empty()) return r;  // reported already (e.g. before a restart)
  c.query(
      "INSERT INTO analytics (session_id, message_id, from_number, message_type, is_group, "
      "is_mention, webhook_sent, error_message, created_at) "
      "VALUES (?, ?, ?, 'unknown', ?, FALSE, FALSE, ?, ?)",
      {s.id, u.id, w.from, int64_t{u.is_group ? 1 : 0}, "undecryptable: " + w.reason,
       util::iso8601_from_ms(now_ms)});
  r.recorded = true;
  const bool ignored = listed(s.ignore, w.from) || (w.from_lid && listed(s.ignore, *w.from_lid)) ||
                       listed(s.ignore, u.chat.to_non_ad().to_string());
  if (s.waiting_events && !u.is_group && !ignored) {
    r.delivery_id = auth::uuid_v4();
    w.event_id = *r.delivery_id;
    c.query(
        "INSERT INTO webhook_deliveries (delivery_id, session_id, event, chat_key, message_id, "
        "payload, status, attempts, next_attempt_ms, created_ms) "
        "VALUES (?, ?, 'message.waiting', ?, ?, ?, 'pending', 0, ?, ?)",
        {*r.delivery_id, s.id, w.chat_id, u.id, events::message_waiting_webhook(w), now_ms,
         now_ms});
  }
  if (!u.is_group && !ignored) {
    if (w.event_id.empty()) w.event_id = auth::uuid_v4();
    namespace subscriptions = webhooks::subscriptions;
    auto subs = subscriptions::fan_out(
        c, subscriptions::subscribers(c, s.id, "message.waiting"), s.id, "message.waiting",
        w.chat_id, u.id, events::message_waiting_webhook(w), std::nullopt, now_ms, now_ms);
    if (!r.delivery_id && !subs.empty()) r.delivery_id = subs.front();
  }
  r.live = events::message_waiting_ws(w);
  return r;
}

void record_given_up(db::Connection& c, const wa::client::UndecryptableMessage& u,
                     const SessionSettings& s, const PnForLid& pn_for_lid, int64_t now_ms) {
  auto w = describe_waiting(u, s, pn_for_lid);
  if (!reportable(u, w, s)) return;
  const std::string error = "undecryptable: " + w.reason + " (the sender did not re-send it)";
  auto u1 = c.query(
      "UPDATE analytics SET error_message = ? WHERE session_id = ? AND message_id = ? "
      "AND error_message LIKE 'undecryptable%' RETURNING id",
      {error, s.id, u.id});
  if (!u1.rows.empty()) return;
  c.query(
      "INSERT INTO analytics (session_id, message_id, from_number, message_type, is_group, "
      "is_mention, webhook_sent, error_message, created_at) "
      "VALUES (?, ?, ?, 'unknown', ?, FALSE, FALSE, ?, ?)",
      {s.id, u.id, w.from, int64_t{u.is_group ? 1 : 0}, error, util::iso8601_from_ms(now_ms)});
}

bool record_session_status(db::Connection& c, const std::string& session_id,
                           const std::string& status, const std::optional<std::string>& reason,
                           const std::optional<std::string>& detail,
                           const std::optional<std::string>& phone_number, int64_t now_ms) {
  auto r = c.query("SELECT session_name, webhook_events FROM sessions WHERE id = ?", {session_id});
  if (r.rows.empty()) return false;
  bool wanted = false;
  for (const auto& e : util::split_list(r.rows.front().text(1), ',')) {
    if (e == "session.status") wanted = true;
  }
  const auto subscribers = webhooks::subscriptions::subscribers(c, session_id, "session.status");
  if (!wanted && subscribers.empty()) return false;
  auto id = auth::uuid_v4();
  auto opt_json = [](const std::optional<std::string>& v) -> boost::json::value {
    if (v) return boost::json::string(*v);
    return nullptr;
  };
  boost::json::object o{{"event", "session.status"},
                        {"event_id", id},
                        {"session_id", session_id},
                        {"session_name", r.rows.front().text(0)},
                        {"timestamp", util::iso8601_from_ms(now_ms)},
                        {"status", status}};
  o["status_reason"] = opt_json(reason);
  o["status_detail"] = opt_json(detail);
  o["phone_number"] = opt_json(phone_number);
  // One ordering key for all of a session's status events: they arrive in the order they happened.
  if (wanted) {
    c.query(
        "INSERT INTO webhook_deliveries (delivery_id, session_id, event, chat_key, payload, "
        "status, attempts, next_attempt_ms, created_ms) "
        "VALUES (?, ?, 'session.status', 'session.status', ?, 'pending', 0, ?, ?)",
        {id, session_id, boost::json::serialize(o), now_ms, now_ms});
  }
  if (!subscribers.empty()) {
    webhooks::subscriptions::fan_out(c, subscribers, session_id, "session.status", "session.status",
                                     std::nullopt, boost::json::serialize(o), std::nullopt, now_ms,
                                     now_ms);
  }
  return true;
}

std::optional<SessionSettings> load_settings(db::Connection& c, const std::string& session_id) {
  auto r = c.query(
      "SELECT s.id, s.session_name, s.phone_number, s.ignore_jids, s.webhook_events, "
      "s.webhook_url, s.webhook_secret FROM sessions s WHERE s.id = ?",
      {session_id});
  if (r.rows.empty()) return std::nullopt;
  const auto& row = r.rows.front();
  SessionSettings s;
  s.id = row.text(0);
  s.name = row.text(1);
  s.own_phone = row.opt_text(2).value_or("");
  boost::system::error_code ec;
  auto ignore = boost::json::parse(row.text(3), ec);
  if (!ec && ignore.is_array()) {
    for (const auto& v : ignore.as_array()) {
      if (v.is_string()) s.ignore.emplace_back(v.as_string());
    }
  }
  s.message_events = false;
  for (const auto& e : util::split_list(row.text(4), ',')) {
    if (e == "message.received") s.message_events = true;
    if (e == "message.waiting") s.waiting_events = true;
  }
  s.webhook_url = row.opt_text(5).value_or("");
  s.webhook_secret = row.opt_text(6).value_or("");
  return s;
}

}  // namespace gw::inbound
