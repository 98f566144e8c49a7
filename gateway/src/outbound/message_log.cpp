#include "outbound/message_log.hpp"

#include <algorithm>
#include <array>
#include <boost/json/serialize.hpp>

#include "auth/crypto.hpp"
#include "http/errors.hpp"
#include "util/strings.hpp"
#include "util/time.hpp"
#include "webhooks/subscriptions.hpp"

namespace gw::outbound {

namespace json = boost::json;

namespace {

constexpr std::array<std::string_view, 4> kOrder = {"sent", "delivered", "read", "played"};

json::value opt(const std::optional<std::string>& v) {
  if (v) return json::string(*v);
  return nullptr;
}

// The columns the API shows, in the order view() reads them.
constexpr const char* kColumns =
    "message_id, direction, chat_id, from_number, to_number, message_type, content, media_url, "
    "is_group, group_id, group_name, quoted_message_id, timestamp, status, sent_at, delivered_at, "
    "read_at, played_at, failed_at, error, media_id, media_error";

json::object view(const db::Row& r, const MediaUrlFn& media_url) {
  json::object o{{"message_id", r.text(0)},
                 {"direction", r.text(1)},
                 {"chat_id", opt(r.opt_text(2))},
                 {"from", opt(r.opt_text(3))},
                 {"to", opt(r.opt_text(4))},
                 {"type", opt(r.opt_text(5))},
                 {"content", opt(r.opt_text(6))},
                 {"media_url", opt(r.opt_text(7))},
                 {"media_error", opt(r.opt_text(21))},
                 {"is_group", r.integer(8) != 0},
                 {"group_id", opt(r.opt_text(9))},
                 {"group_name", opt(r.opt_text(10))},
                 {"quoted_message_id", opt(r.opt_text(11))},
                 {"timestamp", r.text(12)}};
  if (auto media_id = r.opt_text(20); media_id && media_url) o["media_url"] = media_url(*media_id);
  if (r.text(1) == "outgoing") {
    o["status"] = opt(r.opt_text(13));
    o["status_timestamps"] = json::object{{"sent", opt(r.opt_text(14))},
                                          {"delivered", opt(r.opt_text(15))},
                                          {"read", opt(r.opt_text(16))},
                                          {"played", opt(r.opt_text(17))},
                                          {"failed", opt(r.opt_text(18))}};
    o["error"] = opt(r.opt_text(19));
  }
  return o;
}

}  // namespace

void insert_outgoing(db::Connection& c, const OutgoingRecord& r) {
  const auto at = util::iso8601_from_ms(r.at_ms);
  const bool failed = r.status == "failed";
  c.query(
      "INSERT INTO messages_log (session_id, direction, message_id, chat_id, chat_jid, "
      "sender_jid, from_number, to_number, message_type, content, media_url, group_id, is_group, "
      "quoted_message_id, timestamp, status, sent_at, failed_at, error) "
      "VALUES (?, 'outgoing', ?, ?, ?, ?, NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      {r.session_id, r.message_id, r.chat_id, r.chat_jid,
       r.own_jid.empty() ? db::Value(nullptr) : db::Value(r.own_jid), r.to_number, r.type,
       r.content, r.media_url ? db::Value(*r.media_url) : db::Value(nullptr),
       r.is_group ? db::Value(r.chat_jid) : db::Value(nullptr), int64_t{r.is_group ? 1 : 0},
       r.quoted_message_id ? db::Value(*r.quoted_message_id) : db::Value(nullptr), at,
       failed ? "failed" : "sent", failed ? db::Value(nullptr) : db::Value(at),
       failed ? db::Value(at) : db::Value(nullptr),
       r.error ? db::Value(*r.error) : db::Value(nullptr)});
}

std::optional<std::string> status_of_receipt(std::string_view type) {
  if (type.empty() || type == "delivered") return "delivered";
  if (type == "read") return "read";
  if (type == "played") return "played";
  return std::nullopt;
}

std::vector<StatusChange> apply_status(db::Connection& c, const std::string& session_id,
                                       const std::vector<std::string>& ids,
                                       const std::string& status, int64_t at_ms) {
  std::vector<StatusChange> out;
  auto rank = std::find(kOrder.begin(), kOrder.end(), status);
  if (rank == kOrder.end() || rank == kOrder.begin()) return out;
  // The statuses this one may replace: the earlier steps.
  std::string earlier;
  for (auto it = kOrder.begin(); it != rank; ++it) {
    if (!earlier.empty()) earlier += ", ";
    earlier += "'" + std::string(*it) + "'";
  }
  const auto at = util::iso8601_from_ms(at_ms);
  std::string sql = "UPDATE messages_log SET status = ?, " + status + "_at = ?";
  if (status != "delivered") sql += ", delivered_at = COALESCE(delivered_at, ?)";
  if (status == "played") sql += ", read_at = COALESCE(read_at, ?)";
  sql += " WHERE session_id = ? AND message_id = ? AND direction = 'outgoing' AND status IN (" +
         earlier + ") RETURNING chat_id";
  for (const auto& id : ids) {
    std::vector<db::Value> params{status, at};
    if (status != "delivered") params.emplace_back(at);
    if (status == "played") params.emplace_back(at);
    params.emplace_back(session_id);
    params.emplace_back(id);
    auto r = c.query(sql, params);
    for (const auto& row : r.rows) out.push_back({id, row.text(0), status, at});
  }
  return out;
}

int queue_status_webhooks(db::Connection& c, const std::string& session_id,
                          const std::vector<StatusChange>& changes, int64_t now_ms) {
  if (changes.empty()) return 0;
  auto r = c.query("SELECT session_name, webhook_events FROM sessions WHERE id = ?", {session_id});
  if (r.rows.empty()) return 0;
  bool wanted = false;
  for (const auto& e : util::split_list(r.rows.front().text(1), ','))
    if (e == "message.status") wanted = true;
  // Read once for all the changes.
  const auto subscribers = webhooks::subscriptions::subscribers(c, session_id, "message.status");
  if (!wanted && subscribers.empty()) return 0;
  const auto name = r.rows.front().text(0);
  int n = 0;
  for (const auto& s : changes) {
    auto id = auth::uuid_v4();
    auto payload = message_status_webhook(session_id, name, id, s);
    if (wanted) {
      c.query(
          "INSERT INTO webhook_deliveries (delivery_id, session_id, event, chat_key, message_id, "
          "payload, status, attempts, next_attempt_ms, created_ms) "
          "VALUES (?, ?, 'message.status', ?, ?, ?, 'pending', 0, ?, ?)",
          {id, session_id, s.chat_id, s.message_id, payload, now_ms, now_ms});
      ++n;
    }
    if (!subscribers.empty()) {
      n += static_cast<int>(
          webhooks::subscriptions::fan_out(c, subscribers, session_id, "message.status", s.chat_id,
                                           s.message_id, payload, std::nullopt, now_ms, now_ms)
              .size());
    }
  }
  return n;
}

std::optional<json::object> find_message(db::Connection& c, const std::string& session_id,
                                         const std::string& message_id,
                                         const MediaUrlFn& media_url) {
  auto r = c.query(std::string("SELECT ") + kColumns +
                       " FROM messages_log WHERE session_id = ? AND message_id = ? "
                       "ORDER BY id DESC LIMIT 1",
                   {session_id, message_id});
  if (r.rows.empty()) return std::nullopt;
  return view(r.rows.front(), media_url);
}

json::object list_messages(db::Connection& c, const std::string& session_id, const ListFilter& f,
                           const MediaUrlFn& media_url) {
  std::string sql =
      std::string("SELECT ") + kColumns + ", id FROM messages_log WHERE session_id = ?";
  std::vector<db::Value> params{session_id};
  if (f.before) {
    auto b = c.query("SELECT MIN(id) FROM messages_log WHERE session_id = ? AND message_id = ?",
                     {session_id, *f.before});
    if (b.rows.empty() || b.rows.front().is_null(0)) {
      throw http::ApiError(http::ErrorKind::not_found, "before: no such message in this session",
                           json::object{{"before", "unknown message id"}});
    }
    sql += " AND id < ?";
    params.emplace_back(b.rows.front().integer(0));
  }
  if (f.chat_id) {
    sql += " AND chat_id = ?";
    params.emplace_back(*f.chat_id);
  }
  if (f.direction) {
    sql += " AND direction = ?";
    params.emplace_back(*f.direction);
  }
  sql += " AND message_id IS NOT NULL ORDER BY id DESC LIMIT ?";
  params.emplace_back(int64_t{f.limit + 1});
  auto r = c.query(sql, params);
  json::array items;
  const auto n = std::min<std::size_t>(r.rows.size(), static_cast<std::size_t>(f.limit));
  for (std::size_t i = 0; i < n; ++i) items.push_back(view(r.rows[i], media_url));
  json::object out{{"messages", std::move(items)}};
  out["next_before"] =
      r.rows.size() > n ? json::value(json::string(r.rows[n - 1].text(0))) : json::value(nullptr);
  return out;
}

std::optional<QuoteSource> quote_source(db::Connection& c, const std::string& session_id,
                                        const std::string& message_id) {
  auto r = c.query(
      "SELECT chat_jid, sender_jid, message_type, content FROM messages_log "
      "WHERE session_id = ? AND message_id = ? AND chat_jid IS NOT NULL ORDER BY id DESC LIMIT 1",
      {session_id, message_id});
  if (r.rows.empty()) return std::nullopt;
  const auto& row = r.rows.front();
  return QuoteSource{row.text(0), row.opt_text(1).value_or(""), row.opt_text(2).value_or("text"),
                     row.opt_text(3).value_or("")};
}

std::string message_status_ws(const std::string& session_id, const StatusChange& s) {
  json::object o{{"type", "message_status"},
                 {"session_id", session_id},
                 {"data", json::object{{"message_id", s.message_id},
                                       {"chat_id", s.chat_id},
                                       {"status", s.status},
                                       {"status_timestamp", s.timestamp}}},
                 {"timestamp", util::iso8601_now()}};
  return json::serialize(o);
}

std::string message_status_webhook(const std::string& session_id, const std::string& session_name,
                                   const std::string& event_id, const StatusChange& s) {
  json::object o{
      {"event", "message.status"},
      {"event_id", event_id},
      {"session_id", session_id},
      {"session_name", session_name},
      {"timestamp", s.timestamp},
      {"message",
       json::object{{"id", s.message_id}, {"chat_id", s.chat_id}, {"status", s.status}}}};
  return json::serialize(o);
}

}  // namespace gw::outbound
