#include "sessions/repository.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>

#include "auth/crypto.hpp"
#include "util/time.hpp"

namespace gw::sessions {

namespace {

// Columns read by row_from(). The connected time inside the uptime window comes from one
// aggregate over session_connections joined once (not a subquery per row); its parameters are
// now_ms, window_start, window_start, now_ms, window_start, now_ms (window_params()).
constexpr const char* kSelect =
    "SELECT s.id, s.user_id, s.session_name, s.webhook_url, s.status, s.status_reason, "
    "s.status_detail, s.desired_state, s.phone_number, s.device_info, s.created_at, "
    "s.updated_at, s.last_connected, s.created_ms, s.ignore_jids, s.webhook_events, "
    "COALESCE(u.up_ms, 0), CASE WHEN d.session_id IS NULL THEN 0 ELSE 1 END, l.node_id "
    "FROM sessions s "
    "LEFT JOIN (SELECT c.session_id, CAST(SUM(COALESCE(c.disconnected_ms, ?) - "
    "    CASE WHEN c.connected_ms > ? THEN c.connected_ms ELSE ? END) AS BIGINT) AS up_ms "
    "  FROM session_connections c WHERE COALESCE(c.disconnected_ms, ?) > ? AND c.connected_ms <= ? "
    "  GROUP BY c.session_id) u ON u.session_id = s.id "
    "LEFT JOIN wa_devices d ON d.session_id = s.id AND d.jid IS NOT NULL "
    // Cluster mode: the node holding a live lease (by the database's clock; no rows with SQLite).
    "LEFT JOIN session_leases l ON l.session_id = s.id AND l.node_id <> '' "
    "  AND l.expires_at > CURRENT_TIMESTAMP ";

SessionRow row_from(const db::Row& r) {
  SessionRow s;
  s.id = r.text(0);
  s.user_id = r.text(1);
  s.name = r.text(2);
  s.webhook_url = r.text(3);
  s.status = r.text(4);
  s.status_reason = r.opt_text(5);
  s.status_detail = r.opt_text(6);
  s.desired_state = r.text(7);
  s.phone_number = r.opt_text(8);
  s.device_info = r.opt_text(9);
  s.created_at = r.text(10);
  s.updated_at = r.text(11);
  s.last_connected = r.opt_text(12);
  s.created_ms = r.integer(13);
  s.ignore_jids = r.text(14);
  s.webhook_events = r.text(15);
  s.connected_ms_in_window = r.integer(16);
  s.device_stored = r.integer(17) != 0;
  if (!r.is_null(18)) s.lease_node = r.text(18);
  return s;
}

// An interval that began after now_ms (recorded while this request was reading) is not counted:
// it would subtract from the sum.
std::vector<db::Value> window_params(int64_t now_ms) {
  int64_t from = now_ms - kUptimeWindowMs;
  return {now_ms, from, from, now_ms, from, now_ms};
}

}  // namespace

std::optional<std::string> normalize_session_id(std::string_view raw) {
  if (raw.size() != 36) return std::nullopt;
  std::string id(raw);
  for (std::size_t i = 0; i < id.size(); ++i) {
    char c = static_cast<char>(std::tolower(static_cast<unsigned char>(id[i])));
    bool ok = (i == 8 || i == 13 || i == 18 || i == 23)
                  ? c == '-'
                  : ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
    if (!ok) return std::nullopt;
    id[i] = c;
  }
  return id;
}

std::string new_webhook_secret() {
  return auth::hex_encode(auth::random_bytes(32));
}

double uptime_percentage(const SessionRow& row, int64_t now_ms) {
  int64_t from = std::max(row.created_ms, now_ms - kUptimeWindowMs);
  int64_t span = now_ms - from;
  if (span <= 0) return 0;
  const int64_t up = std::clamp<int64_t>(row.connected_ms_in_window, 0, span);
  double pct = 100.0 * static_cast<double>(up) / static_cast<double>(span);
  return std::round(pct * 10) / 10;
}

namespace repo {

SessionRow insert(db::Connection& c, const std::string& id, const std::string& user_id,
                  const std::string& name, const std::string& webhook_url, int64_t now_ms) {
  auto now = util::iso8601_from_ms(now_ms);
  c.query(
      "INSERT INTO sessions (id, user_id, session_name, webhook_url, status, desired_state, "
      "created_at, updated_at, created_ms, webhook_secret) "
      "VALUES (?, ?, ?, ?, 'disconnected', 'stopped', ?, ?, ?, ?)",
      {id, user_id, name, webhook_url, now, now, now_ms, new_webhook_secret()});
  auto row = find(c, id, user_id, now_ms);
  if (!row) throw db::DbError(db::DbError::Kind::other, "inserted session not found");
  return *row;
}

std::vector<SessionRow> list_for_user(db::Connection& c, const std::string& user_id,
                                      int64_t now_ms) {
  auto params = window_params(now_ms);
  params.emplace_back(user_id);
  auto r = c.query(std::string(kSelect) + "WHERE s.user_id = ? ORDER BY s.created_ms DESC, s.id",
                   params);
  std::vector<SessionRow> out;
  out.reserve(r.rows.size());
  for (const auto& row : r.rows) out.push_back(row_from(row));
  return out;
}

std::optional<SessionRow> find(db::Connection& c, const std::string& id, const std::string& user_id,
                               int64_t now_ms) {
  auto params = window_params(now_ms);
  params.emplace_back(id);
  std::string sql = std::string(kSelect) + "WHERE s.id = ?";
  if (!user_id.empty()) {
    sql += " AND s.user_id = ?";
    params.emplace_back(user_id);
  }
  auto r = c.query(sql, params);
  if (r.rows.empty()) return std::nullopt;
  return row_from(r.rows.front());
}

std::optional<SessionRow> update(db::Connection& c, const std::string& id,
                                 const std::string& user_id, const SessionUpdate& u,
                                 int64_t now_ms) {
  auto now = util::iso8601_from_ms(now_ms);
  std::string sql = "UPDATE sessions SET updated_at = ?";
  std::vector<db::Value> params{now};
  auto set = [&](const char* column, const std::optional<std::string>& v) {
    if (!v) return;
    sql += std::string(", ") + column + " = ?";
    params.emplace_back(*v);
  };
  set("session_name", u.name);
  set("webhook_url", u.webhook_url);
  set("ignore_jids", u.ignore_jids);
  set("webhook_events", u.webhook_events);
  sql += " WHERE id = ? AND user_id = ?";
  params.emplace_back(id);
  params.emplace_back(user_id);
  if (c.query(sql, params).affected == 0) return std::nullopt;
  return find(c, id, user_id, now_ms);
}

std::optional<std::string> webhook_secret(db::Connection& c, const std::string& id,
                                          const std::string& user_id, bool rotate) {
  auto r =
      c.query("SELECT webhook_secret FROM sessions WHERE id = ? AND user_id = ?", {id, user_id});
  if (r.rows.empty()) return std::nullopt;
  auto current = r.rows.front().opt_text(0);
  if (current && !rotate) return current;
  auto fresh = new_webhook_secret();
  c.query("UPDATE sessions SET webhook_secret = ?, updated_at = ? WHERE id = ?",
          {fresh, util::iso8601_now(), id});
  return fresh;
}

bool remove(db::Connection& c, const std::string& id) {
  // The delete cascades over the session's whole history (messages, analytics, deliveries),
  // which may take longer than the statement timeout every PostgreSQL connection has
  // (db/postgres.cpp): lifted for this transaction only.
  db::Transaction tx(c);
  if (c.dialect() == db::Dialect::postgres)
    c.execute_script("SET LOCAL statement_timeout = 0; SET LOCAL lock_timeout = 0;");
  const bool gone = c.query("DELETE FROM sessions WHERE id = ?", {id}).affected > 0;
  tx.commit();
  return gone;
}

std::vector<SessionRow> running(db::Connection& c) {
  auto params = window_params(0);
  auto r =
      c.query(std::string(kSelect) + "WHERE s.desired_state = 'running' ORDER BY s.id", params);
  std::vector<SessionRow> out;
  for (const auto& row : r.rows) out.push_back(row_from(row));
  return out;
}

void set_desired_state(db::Connection& c, const std::string& id, const std::string& state) {
  c.query("UPDATE sessions SET desired_state = ? WHERE id = ?", {state, id});
}

void set_status(db::Connection& c, const std::string& id, const std::string& status,
                const std::optional<std::string>& reason,
                const std::optional<std::string>& detail) {
  auto opt = [](const std::optional<std::string>& v) -> db::Value {
    if (v) return *v;
    return nullptr;
  };
  c.query(
      "UPDATE sessions SET status = ?, status_reason = ?, status_detail = ?, updated_at = ? "
      "WHERE id = ?",
      {status, opt(reason), opt(detail), util::iso8601_now(), id});
}

void set_device(db::Connection& c, const std::string& id,
                const std::optional<std::string>& phone_number,
                const std::optional<std::string>& device_info_json) {
  auto opt = [](const std::optional<std::string>& v) -> db::Value {
    if (v) return *v;
    return nullptr;
  };
  c.query("UPDATE sessions SET phone_number = ?, device_info = ? WHERE id = ?",
          {opt(phone_number), opt(device_info_json), id});
}

int64_t open_interval(db::Connection& c, const std::string& id, int64_t now_ms,
                      const std::string& node_id) {
  db::Transaction tx(c);
  auto node = node_id.empty() ? db::Value(nullptr) : db::Value(node_id);
  auto r = c.query(
      "INSERT INTO session_connections (session_id, connected_ms, last_seen_ms, node_id) "
      "VALUES (?, ?, ?, ?) RETURNING id",
      {id, now_ms, now_ms, node});
  auto now = util::iso8601_from_ms(now_ms);
  c.query("UPDATE sessions SET last_connected = ? WHERE id = ?", {now, id});
  tx.commit();
  return r.rows.at(0).integer(0);
}

void close_interval(db::Connection& c, int64_t interval_id, int64_t now_ms,
                    const std::string& reason) {
  db::Transaction tx(c);
  c.query(
      "UPDATE sessions SET uptime_seconds = uptime_seconds + (SELECT (? - connected_ms) / 1000 "
      "FROM session_connections WHERE id = ? AND disconnected_ms IS NULL) "
      "WHERE id = (SELECT session_id FROM session_connections WHERE id = ? "
      "AND disconnected_ms IS NULL)",
      {now_ms, interval_id, interval_id});
  c.query(
      "UPDATE session_connections SET disconnected_ms = ?, last_seen_ms = ?, end_reason = ? "
      "WHERE id = ? AND disconnected_ms IS NULL",
      {now_ms, now_ms, reason, interval_id});
  tx.commit();
}

void heartbeat(db::Connection& c, int64_t now_ms, const std::string& node_id) {
  if (node_id.empty()) {
    c.query("UPDATE session_connections SET last_seen_ms = ? WHERE disconnected_ms IS NULL",
            {now_ms});
  } else {
    c.query(
        "UPDATE session_connections SET last_seen_ms = ? WHERE disconnected_ms IS NULL "
        "AND node_id = ?",
        {now_ms, node_id});
  }
}

int64_t recover_session(db::Connection& c, const std::string& id) {
  db::Transaction tx(c);
  c.query(
      "UPDATE sessions SET uptime_seconds = uptime_seconds + COALESCE((SELECT "
      "SUM((c.last_seen_ms - c.connected_ms) / 1000) FROM session_connections c "
      "WHERE c.session_id = sessions.id AND c.disconnected_ms IS NULL), 0) WHERE id = ?",
      {id});
  auto closed = c.query(
                     "UPDATE session_connections SET disconnected_ms = last_seen_ms, "
                     "end_reason = 'node_lost' WHERE session_id = ? AND disconnected_ms IS NULL",
                     {id})
                    .affected;
  tx.commit();
  return closed;
}

int64_t recover_after_restart(db::Connection& c) {
  db::Transaction tx(c);
  c.query(
      "UPDATE sessions SET uptime_seconds = uptime_seconds + COALESCE((SELECT "
      "SUM((c.last_seen_ms - c.connected_ms) / 1000) FROM session_connections c "
      "WHERE c.session_id = sessions.id AND c.disconnected_ms IS NULL), 0)");
  auto closed = c.query(
                     "UPDATE session_connections SET disconnected_ms = last_seen_ms, "
                     "end_reason = 'gateway_stopped' WHERE disconnected_ms IS NULL")
                    .affected;
  c.query(
      "UPDATE sessions SET status = 'disconnected', status_reason = CASE desired_state "
      "WHEN 'running' THEN 'connecting' ELSE 'stopped' END, status_detail = NULL "
      "WHERE status <> 'disconnected' OR desired_state = 'running'");
  tx.commit();
  return closed;
}

}  // namespace repo
}  // namespace gw::sessions
