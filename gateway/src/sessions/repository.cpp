#include "sessions/repository.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>

#include "util/time.hpp"

namespace gw::sessions {

namespace {

// Columns read by row_from(); the uptime sum and the device flag take three parameters:
// now_ms, window_start_ms, window_start_ms (then now_ms, window_start_ms again in the WHERE).
constexpr const char* kSelect =
    "SELECT s.id, s.user_id, s.session_name, s.webhook_url, s.status, s.status_reason, "
    "s.status_detail, s.desired_state, s.phone_number, s.device_info, s.created_at, "
    "s.updated_at, s.last_connected, s.created_ms, "
    "(SELECT CAST(COALESCE(SUM(COALESCE(c.disconnected_ms, ?) - "
    "   CASE WHEN c.connected_ms > ? THEN c.connected_ms ELSE ? END), 0) AS BIGINT) "
    " FROM session_connections c WHERE c.session_id = s.id "
    "   AND COALESCE(c.disconnected_ms, ?) > ?) AS up_ms, "
    "CASE WHEN EXISTS (SELECT 1 FROM wa_devices d WHERE d.session_id = s.id "
    "   AND d.jid IS NOT NULL) THEN 1 ELSE 0 END AS device_stored "
    "FROM sessions s ";

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
  s.connected_ms_in_window = r.integer(14);
  s.device_stored = r.integer(15) != 0;
  return s;
}

std::vector<db::Value> window_params(int64_t now_ms) {
  int64_t from = now_ms - kUptimeWindowMs;
  return {now_ms, from, from, now_ms, from};
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

double uptime_percentage(const SessionRow& row, int64_t now_ms) {
  int64_t from = std::max(row.created_ms, now_ms - kUptimeWindowMs);
  int64_t span = now_ms - from;
  if (span <= 0) return 0;
  double pct = 100.0 * static_cast<double>(std::min(row.connected_ms_in_window, span)) /
               static_cast<double>(span);
  return std::round(pct * 10) / 10;
}

namespace repo {

SessionRow insert(db::Connection& c, const std::string& id, const std::string& user_id,
                  const std::string& name, const std::string& webhook_url, int64_t now_ms) {
  auto now =
      util::iso8601(std::chrono::system_clock::time_point(std::chrono::milliseconds(now_ms)));
  c.query(
      "INSERT INTO sessions (id, user_id, session_name, webhook_url, status, desired_state, "
      "created_at, updated_at, created_ms) VALUES (?, ?, ?, ?, 'disconnected', 'stopped', ?, ?, ?)",
      {id, user_id, name, webhook_url, now, now, now_ms});
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
                                 const std::string& user_id, const std::optional<std::string>& name,
                                 const std::optional<std::string>& webhook_url, int64_t now_ms) {
  auto now =
      util::iso8601(std::chrono::system_clock::time_point(std::chrono::milliseconds(now_ms)));
  std::string sql = "UPDATE sessions SET updated_at = ?";
  std::vector<db::Value> params{now};
  if (name) {
    sql += ", session_name = ?";
    params.emplace_back(*name);
  }
  if (webhook_url) {
    sql += ", webhook_url = ?";
    params.emplace_back(*webhook_url);
  }
  sql += " WHERE id = ? AND user_id = ?";
  params.emplace_back(id);
  params.emplace_back(user_id);
  if (c.query(sql, params).affected == 0) return std::nullopt;
  return find(c, id, user_id, now_ms);
}

bool remove(db::Connection& c, const std::string& id) {
  return c.query("DELETE FROM sessions WHERE id = ?", {id}).affected > 0;
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

int64_t open_interval(db::Connection& c, const std::string& id, int64_t now_ms) {
  db::Transaction tx(c);
  auto r = c.query(
      "INSERT INTO session_connections (session_id, connected_ms, last_seen_ms) VALUES (?, ?, ?) "
      "RETURNING id",
      {id, now_ms, now_ms});
  auto now =
      util::iso8601(std::chrono::system_clock::time_point(std::chrono::milliseconds(now_ms)));
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

void heartbeat(db::Connection& c, int64_t now_ms) {
  c.query("UPDATE session_connections SET last_seen_ms = ? WHERE disconnected_ms IS NULL",
          {now_ms});
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
