#pragma once
// The sessions table and its connection intervals (migrations 0001 + 0004), as plain functions on
// a connection. Used by the session routes (through Database::run, on the blocking pool) and by
// the session manager (on the WhatsApp pool). No HTTP, no WhatsApp types here.
// Thread safety: stateless; a Connection is used by one thread at a time.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "db/connection.hpp"

namespace gw::sessions {

/// Window of uptime_percentage: the last 30 days, or since the session was created if later.
inline constexpr int64_t kUptimeWindowMs = 30LL * 24 * 3600 * 1000;

struct SessionRow {
  std::string id;
  std::string user_id;
  std::string name;
  std::string webhook_url;
  std::string status;  // qr | connected | disconnected (as last written)
  std::optional<std::string> status_reason;
  std::optional<std::string> status_detail;
  std::string desired_state;  // running | stopped
  std::optional<std::string> phone_number;
  std::optional<std::string> device_info;           // JSON object text
  std::string ignore_jids = "[]";                   // JSON array text
  std::string webhook_events = "message.received";  // comma-separated
  std::string created_at, updated_at;
  std::optional<std::string> last_connected;
  int64_t created_ms = 0;
  int64_t connected_ms_in_window = 0;     // filled by find/list
  bool device_stored = false;             // a paired device is in the device store (find/list)
  std::optional<std::string> lease_node;  // cluster mode: the node with a live lease (find/list)
};

/// A new webhook signing secret: 64 hex characters from the CSPRNG.
std::string new_webhook_secret();

/// A session id as stored (lower-case UUID), or nullopt when `raw` is not a UUID.
std::optional<std::string> normalize_session_id(std::string_view raw);

/// uptime_percentage of a row at `now_ms`: connected time over the part of the window during
/// which the session existed, 0-100 with one decimal.
double uptime_percentage(const SessionRow& row, int64_t now_ms);

namespace repo {

/// Inserts a session (status disconnected, stopped). Throws DbError(unique_violation) when the
/// user already has a session of that name.
SessionRow insert(db::Connection& c, const std::string& id, const std::string& user_id,
                  const std::string& name, const std::string& webhook_url, int64_t now_ms);
/// The user's sessions, newest first.
std::vector<SessionRow> list_for_user(db::Connection& c, const std::string& user_id,
                                      int64_t now_ms);
/// One session; `user_id` empty = whoever owns it.
std::optional<SessionRow> find(db::Connection& c, const std::string& id, const std::string& user_id,
                               int64_t now_ms);
/// What PUT may change (unset fields stay as they are).
struct SessionUpdate {
  std::optional<std::string> name;
  std::optional<std::string> webhook_url;
  std::optional<std::string> ignore_jids;     // JSON array text
  std::optional<std::string> webhook_events;  // comma-separated
};
/// Applies an update; nullopt when no such session of this user.
std::optional<SessionRow> update(db::Connection& c, const std::string& id,
                                 const std::string& user_id, const SessionUpdate& u,
                                 int64_t now_ms);
/// The session's webhook signing secret (a new one when `rotate`, or when it has none yet);
/// nullopt when there is no such session of this user.
std::optional<std::string> webhook_secret(db::Connection& c, const std::string& id,
                                          const std::string& user_id, bool rotate);
/// Deletes the session and everything that belongs to it (device keys, intervals, logs).
bool remove(db::Connection& c, const std::string& id);
/// Sessions to resume at start-up.
std::vector<SessionRow> running(db::Connection& c);

void set_desired_state(db::Connection& c, const std::string& id, const std::string& state);
void set_status(db::Connection& c, const std::string& id, const std::string& status,
                const std::optional<std::string>& reason, const std::optional<std::string>& detail);
/// Records what WhatsApp told us about the linked phone.
void set_device(db::Connection& c, const std::string& id,
                const std::optional<std::string>& phone_number,
                const std::optional<std::string>& device_info_json);

/// Opens a connected interval (and sets last_connected); returns its id. `node_id`: the cluster
/// node that runs the session (empty in one process).
int64_t open_interval(db::Connection& c, const std::string& id, int64_t now_ms,
                      const std::string& node_id = {});
/// Closes an interval and adds its length to sessions.uptime_seconds.
void close_interval(db::Connection& c, int64_t interval_id, int64_t now_ms,
                    const std::string& reason);
/// Refreshes last_seen_ms of every open interval of this process (of this cluster node when
/// `node_id` is given; every open interval otherwise).
void heartbeat(db::Connection& c, int64_t now_ms, const std::string& node_id = {});
/// At start-up: closes intervals left open by a crash at their last_seen_ms, and marks sessions
/// that were shown as live as disconnected. Returns how many intervals were closed.
int64_t recover_after_restart(db::Connection& c);
/// Cluster mode, when a node takes a session over: closes the session's intervals left open by
/// its previous node at their last_seen_ms. Returns how many were closed.
int64_t recover_session(db::Connection& c, const std::string& id);

}  // namespace repo
}  // namespace gw::sessions
