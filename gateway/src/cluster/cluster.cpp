#include "cluster/cluster.hpp"

#include <unistd.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <cctype>
#include <cstdlib>

#include "auth/crypto.hpp"
#include "db/connection.hpp"
#include "http/envelope.hpp"
#include "log/log.hpp"
#include "sessions/repository.hpp"
#include "sessions/validation.hpp"
#include "util/strings.hpp"
#include "util/time.hpp"

namespace gw::cluster {

namespace asio = boost::asio;
namespace json = boost::json;
using std::chrono::milliseconds;

namespace {

// NOTIFY channels. Payloads: requests "<to node> <id>", responses "<from node> <id>", events the
// event itself ("<node>\n<user>\n<session>\n<json>") or "E <id>" of a cluster_events row.
constexpr const char* kRequests = "gw_requests";
constexpr const char* kResponses = "gw_responses";
constexpr const char* kEvents = "gw_events";
constexpr const char* kClaim = "gw_claim";
constexpr const char* kPresence = "gw_presence";
// The path of a relayed webhook reply (never an API route: only nodes write relay rows).
constexpr const char* kReplyPath = "/internal/webhook-reply";
// NOTIFY payloads must stay under 8,000 bytes; larger events go through cluster_events.
constexpr std::size_t kMaxNotifyPayload = 7'000;
constexpr std::size_t kMaxQueuedEvents = 10'000;
// pg_advisory_xact_lock key that serializes the placement of started sessions.
constexpr int64_t kPlacementLock = 0x77612d676174;

// "now() + N ms" in SQL, N bound as a parameter.
constexpr const char* kExpiry = "now() + CAST(? AS BIGINT) * INTERVAL '1 millisecond'";

db::Value ms(milliseconds d) {
  return static_cast<int64_t>(d.count());
}

std::string encode_request(const http::Request& r) {
  json::object o;
  o["method"] = r.method;
  o["target"] = r.target;
  o["path"] = r.path;
  o["query"] = r.query;
  json::array headers;
  for (const auto& [name, value] : r.headers.all()) {
    // Credentials stay with the node that checked them: the owner trusts the relay row.
    if (util::iequals(name, "Authorization") || util::iequals(name, "Cookie")) continue;
    headers.push_back(json::array{json::string(name), json::string(value)});
  }
  o["headers"] = std::move(headers);
  o["body"] = auth::base64_encode(r.body);
  o["peer_ip"] = r.peer_ip;
  o["client_ip"] = r.client_ip;
  o["request_id"] = r.request_id;
  o["user_id"] = r.user_id ? json::value(*r.user_id) : json::value(nullptr);
  o["token_jti"] = r.token_jti ? json::value(*r.token_jti) : json::value(nullptr);
  o["token_exp"] = r.token_exp;
  if (r.api_key) {
    json::object k;
    k["key_id"] = r.api_key->key_id;
    if (r.api_key->session_ids) {
      json::array ids;
      for (const auto& id : *r.api_key->session_ids) ids.emplace_back(id);
      k["session_ids"] = std::move(ids);
    } else {
      k["session_ids"] = nullptr;
    }
    o["api_key"] = std::move(k);
  } else {
    o["api_key"] = nullptr;
  }
  return json::serialize(o);
}

std::string str(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

std::optional<std::string> opt_str(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  if (v && v->is_string()) return std::string(v->as_string());
  return std::nullopt;
}

http::Request decode_request(const std::string& text) {
  auto o = json::parse(text).as_object();
  http::Request r;
  r.method = str(o, "method");
  r.target = str(o, "target");
  r.path = str(o, "path");
  r.query = str(o, "query");
  for (const auto& h : o.at("headers").as_array()) {
    const auto& pair = h.as_array();
    r.headers.add(std::string(pair.at(0).as_string()), std::string(pair.at(1).as_string()));
  }
  r.body = auth::base64_decode(str(o, "body")).value_or("");
  r.peer_ip = str(o, "peer_ip");
  r.client_ip = str(o, "client_ip");
  r.request_id = str(o, "request_id");
  r.user_id = opt_str(o, "user_id");
  r.token_jti = opt_str(o, "token_jti");
  if (const auto* e = o.if_contains("token_exp"); e && e->is_int64()) r.token_exp = e->as_int64();
  if (const auto* k = o.if_contains("api_key"); k && k->is_object()) {
    http::ApiKeyGrant g;
    g.key_id = str(k->as_object(), "key_id");
    if (const auto* ids = k->as_object().if_contains("session_ids"); ids && ids->is_array()) {
      std::vector<std::string> v;
      for (const auto& id : ids->as_array()) v.emplace_back(id.as_string());
      g.session_ids = std::move(v);
    }
    r.api_key = std::move(g);
  }
  return r;
}

std::string encode_response(const http::Response& r) {
  json::object o;
  o["status"] = r.status;
  o["content_type"] = r.content_type;
  json::array headers;
  for (const auto& [name, value] : r.headers.all())
    headers.push_back(json::array{json::string(name), json::string(value)});
  o["headers"] = std::move(headers);
  o["body"] = auth::base64_encode(r.body);
  return json::serialize(o);
}

http::Response decode_response(const std::string& text) {
  auto o = json::parse(text).as_object();
  http::Response r;
  r.status = static_cast<int>(o.at("status").to_number<int64_t>());
  r.content_type = str(o, "content_type");
  for (const auto& h : o.at("headers").as_array()) {
    const auto& pair = h.as_array();
    r.headers.add(std::string(pair.at(0).as_string()), std::string(pair.at(1).as_string()));
  }
  r.body = auth::base64_decode(str(o, "body")).value_or("");
  return r;
}

// The node whose lease on the session is live, if any.
std::optional<std::string> live_owner(db::Connection& c, const std::string& session_id) {
  auto r = c.query(
      "SELECT node_id FROM session_leases WHERE session_id = ? AND expires_at > now() "
      "AND node_id <> ''",
      {session_id});
  if (r.rows.empty()) return std::nullopt;
  return r.rows.front().text(0);
}

bool placing_route(const http::Route& route) {
  return route.method == "POST" && (route.pattern == "/api/v1/sessions/:id/start" ||
                                    route.pattern == "/api/v1/sessions/:id/reconnect" ||
                                    route.pattern == "/api/v1/sessions/:id/pair-code");
}

}  // namespace

std::string default_node_id() {
  char host[256] = {};
  std::string name = ::gethostname(host, sizeof host - 1) == 0 ? host : "node";
  std::string clean;
  for (char ch : name) {
    if (std::isalnum(static_cast<unsigned char>(ch)) || ch == '.' || ch == '_' || ch == '-')
      clean += ch;
  }
  if (clean.empty()) clean = "node";
  if (clean.size() > 40) clean.resize(40);
  return clean + "-" + auth::hex_encode(auth::random_bytes(4));
}

int room_of_others(const std::vector<LiveNode>& nodes, int share, const std::string& self) {
  int room = 0;
  for (const auto& n : nodes) {
    if (n.id == self) continue;
    auto limit = share + 1;
    if (n.max_sessions > 0) limit = std::min(limit, n.max_sessions);
    room += std::max(0, limit - n.held);
  }
  return room;
}

std::vector<std::string> choose_surplus(std::vector<HeldSession> held, int share,
                                        std::chrono::steady_clock::time_point now,
                                        std::chrono::milliseconds settled, int batch) {
  const auto over = static_cast<int>(held.size()) - (share + 1);
  std::vector<std::string> out;
  if (over <= 0 || batch <= 0) return out;
  std::erase_if(held, [&](const HeldSession& h) { return !h.movable || now - h.since < settled; });
  std::sort(held.begin(), held.end(), [](const HeldSession& a, const HeldSession& b) {
    return a.since != b.since ? a.since > b.since : a.id < b.id;
  });
  const auto n = std::min({over, batch, static_cast<int>(held.size())});
  for (int i = 0; i < n; ++i) out.push_back(held[static_cast<std::size_t>(i)].id);
  return out;
}

bool runs_on_owner(const http::Route& route) {
  static const std::set<std::pair<std::string, std::string>> kRoutes = {
      {"GET", "/api/v1/sessions/:id"},
      {"PUT", "/api/v1/sessions/:id"},
      {"DELETE", "/api/v1/sessions/:id"},
      {"POST", "/api/v1/sessions/:id/start"},
      {"POST", "/api/v1/sessions/:id/stop"},
      {"POST", "/api/v1/sessions/:id/reconnect"},
      {"GET", "/api/v1/sessions/:id/qr"},
      {"POST", "/api/v1/sessions/:id/pair-code"},
      {"POST", "/api/v1/sessions/:id/send"},
      {"POST", "/api/v1/sessions/:id/typing"},
      {"POST", "/api/v1/sessions/:id/messages/:message_id/read"},
      {"POST", "/api/v1/sessions/:id/deliveries/:delivery_id/retry"},
  };
  return kRoutes.contains({route.method, route.pattern});
}

struct Cluster::Waiter {
  explicit Waiter(const asio::any_io_executor& ex) : timer(ex) {}
  asio::steady_timer timer;
};

Cluster::Cluster(Options options, db::Database& db, events::Hub& hub, asio::any_io_executor io)
    : options_(std::move(options)), db_(db), hub_(hub), io_(std::move(io)) {}

Cluster::~Cluster() {
  stop();
}

void Cluster::configure(sessions::ManagerOptions& o) {
  o.node_id = options_.node_id;
  o.acquire = [this](db::Connection& c, const std::string& id) { return acquire(c, id); };
  o.release = [this](db::Connection& c, const std::string& id) { release(c, id); };
  o.fence = [this](db::Connection& c, const std::string& id, int64_t epoch) {
    fence(c, id, epoch);
  };
  o.may_connect = [this](const std::string& id) { return may_connect(id); };
  o.adopt_failed = [this](const std::string& id) {
    std::lock_guard g(mutex_);
    held_.erase(id);
  };
}

void Cluster::start(sessions::Manager& manager, LocalExecutor execute) {
  manager_ = &manager;
  execute_ = std::move(execute);
  try {
    auto c = db::open_postgres(options_.database_url);
    c->query(
        "INSERT INTO cluster_nodes (node_id, started_at, heartbeat_at, max_sessions) "
        "VALUES (?, now(), now(), ?) ON CONFLICT (node_id) DO UPDATE SET started_at = now(), "
        "heartbeat_at = now(), max_sessions = EXCLUDED.max_sessions",
        {options_.node_id, static_cast<int64_t>(options_.max_sessions)});
    round(*c, true);
    // The other nodes count this one at their next round; wake them now (rebalancing).
    c->query("SELECT pg_notify(?, ?)", {std::string(kClaim), options_.node_id});
  } catch (...) {
    // The caller gives up and its manager goes away before this object: never touch it again.
    manager_ = nullptr;
    throw;
  }
  hub_.set_forwarder(
      [this](const std::string& user, const std::string& session, const events::Message& message) {
        std::lock_guard g(events_mutex_);
        if (events_.size() >= kMaxQueuedEvents) {
          events_.pop_front();
          ++events_dropped_;
        }
        events_.push_back({user, session, message});
        events_cv_.notify_one();
      });
  listener_ = std::make_unique<db::PgListener>(
      options_.database_url,
      std::vector<std::string>{kRequests, kResponses, kEvents, kClaim, kPresence},
      [this](const std::string& ch, const std::string& payload) { on_notify(ch, payload); },
      [this] { wake_round(); });
  listener_->start();
  lease_thread_ = std::thread([this] { lease_loop(); });
  watchdog_thread_ = std::thread([this] { watchdog_loop(); });
  events_thread_ = std::thread([this] { events_loop(); });
  log::info("cluster node started", {{"node_id", options_.node_id},
                                     {"lease_ttl_ms", static_cast<int64_t>(options_.ttl.count())},
                                     {"sessions", static_cast<int64_t>(owned())}});
}

void Cluster::hand_over() {
  if (leaving_.exchange(true)) return;
  // Through the mutex: a lease loop between its predicate check and its wait would otherwise
  // miss the notification and sleep a whole renewal interval.
  { std::lock_guard g(mutex_); }
  round_cv_.notify_all();
  if (!manager_) return;  // never started
  // Cut first: the lease thread may be stuck in a round on an unreachable database, and the
  // watchdog has stopped; no connection of this node may outlive its lease. Again after the join
  // for a session the last round adopted meanwhile (its client may not connect: may_connect).
  auto cut = manager_->cut_connections();
  if (lease_thread_.joinable()) lease_thread_.join();
  if (watchdog_thread_.joinable()) watchdog_thread_.join();
  cut = std::max(cut, manager_->cut_connections());
  try {
    auto c = db::open_postgres(options_.database_url);
    db::Transaction tx(*c);
    auto n = c->query(
                  "UPDATE session_leases SET node_id = '', expires_at = now() - INTERVAL '1 "
                  "second' WHERE node_id = ?",
                  {options_.node_id})
                 .affected;
    c->query("DELETE FROM cluster_nodes WHERE node_id = ?", {options_.node_id});
    c->query("SELECT pg_notify(?, ?)", {std::string(kClaim), options_.node_id});
    tx.commit();
    {
      std::lock_guard g(mutex_);
      held_.clear();
    }
    log::info("cluster node left; its sessions go to the other nodes",
              {{"released", n}, {"connections_cut", static_cast<int64_t>(cut)}});
  } catch (const std::exception& e) {
    log::warn("cluster: leases not released (they expire by themselves)", {{"error", e.what()}});
  }
}

void Cluster::stop() {
  hand_over();
  if (stopping_.exchange(true)) return;
  { std::lock_guard g(events_mutex_); }  // as in hand_over()
  events_cv_.notify_all();
  if (events_thread_.joinable()) events_thread_.join();
  if (listener_) listener_->stop();
}

// --- leases ---------------------------------------------------------------------------------

void Cluster::wake_round() {
  std::lock_guard g(mutex_);
  round_wanted_ = true;
  round_cv_.notify_all();
}

void Cluster::lease_loop() {
  std::unique_ptr<db::Connection> conn;
  bool failing = false;
  // After the database was out of reach, every node's leases and heartbeat are old: for one
  // lease time after this node's last failed round it only renews its own leases and claims
  // nothing, so that every node that is alive gets its own sessions back first (else the first
  // node back would take everything).
  auto claims_from = Clock::now();
  while (!leaving_) {
    try {
      if (!conn || !conn->healthy()) conn = db::open_postgres(options_.database_url);
      round(*conn, Clock::now() >= claims_from);
      if (failing) log::info("cluster: lease renewals work again", {});
      failing = false;
    } catch (const std::exception& e) {
      if (!failing) log::warn("cluster: lease round failed", {{"error", e.what()}});
      failing = true;
      conn.reset();
      claims_from = Clock::now() + options_.ttl;
    }
    std::unique_lock lock(mutex_);
    round_cv_.wait_for(lock, options_.renew, [this] { return leaving_ || round_wanted_; });
    round_wanted_ = false;
  }
}

// This node's clock against the database's (docs/CLUSTER.md "Clocks"): every time a node writes
// or compares (a retry's due time, a message's time, a token's) is read through the correction,
// so that a node whose clock is off neither delays the deliveries it takes over nor writes wrong
// times. Measured with every round; a reading from a slow round trip is not used, and changes
// within the round trip's uncertainty are ignored (time must not jitter).
void Cluster::sync_clock(db::Connection& c) {
  const auto t0 = util::local_millis_now();
  auto r = c.query("SELECT CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)");
  const auto t1 = util::local_millis_now();
  if (t1 - t0 > 200 || r.rows.empty()) return;
  const auto correction = r.rows.front().integer(0) - (t0 + t1) / 2;
  const auto current = util::clock_correction_ms();
  if (std::llabs(correction - current) <= std::max<int64_t>(50, t1 - t0)) return;
  util::set_clock_correction_ms(correction);
  if (std::llabs(correction - current) >= 1000) {
    log::warn("cluster: this node's clock differs from the database's; times are corrected",
              {{"correction_ms", correction}});
  }
}

void Cluster::round(db::Connection& c, bool may_claim) {
  sync_clock(c);
  const auto started = Clock::now();
  const auto valid_until = started + options_.ttl - options_.renew;
  // Heartbeat and renewal in one transaction; the database's clock decides every expiry.
  struct Renewed {
    int64_t epoch;
    bool running;
    bool recent;
  };
  std::map<std::string, Renewed, std::less<>> renewed;
  {
    db::Transaction tx(c);
    c.query(
        "INSERT INTO cluster_nodes (node_id, heartbeat_at, max_sessions) VALUES (?, now(), ?) "
        "ON CONFLICT (node_id) DO UPDATE SET heartbeat_at = now()",
        {options_.node_id, static_cast<int64_t>(options_.max_sessions)});
    auto r = c.query(std::string("UPDATE session_leases l SET expires_at = ") + kExpiry +
                         " FROM sessions s WHERE s.id = l.session_id AND l.node_id = ? "
                         "RETURNING l.session_id, l.epoch, s.desired_state, "
                         "l.acquired_at > now() - INTERVAL '30 seconds'",
                     {ms(options_.ttl), options_.node_id});
    tx.commit();
    for (const auto& row : r.rows) {
      renewed[row.text(0)] = {row.integer(1), row.text(2) == "running", row.integer(3) != 0};
    }
  }
  // What this node holds now: renewed leases are valid until `valid_until`; one it held and no
  // longer has (another node took it, or the epoch moved) stops here at once.
  std::vector<std::string> gone;
  std::vector<std::pair<std::string, int64_t>> to_adopt;
  std::vector<std::string> to_release, stopped_held;
  {
    std::lock_guard g(mutex_);
    for (auto it = held_.begin(); it != held_.end();) {
      auto r = renewed.find(it->first);
      if (it->second.since >= started) {
        ++it;  // taken (acquire) while this round ran: its renewal did not see it yet
        continue;
      }
      if (r == renewed.end() || r->second.epoch != it->second.epoch) {
        gone.push_back(it->first);
        it = held_.erase(it);
      } else {
        it->second.valid_until = valid_until;
        ++it;
      }
    }
    for (const auto& [id, r] : renewed) {
      if (held_.contains(id)) {
        if (!r.running && !r.recent) stopped_held.push_back(id);
        continue;
      }
      if (r.running && !leaving_) {
        to_adopt.emplace_back(id, r.epoch);  // still ours in the database: run it again
      } else if (!r.recent) {
        to_release.push_back(id);
      }
    }
  }
  // A session that should not run and is not running here (stopped by its own end, e.g.
  // logged out) gives its lease up, so that it does not count against this node's share.
  for (const auto& id : stopped_held) {
    auto snap = manager_ ? manager_->snapshot(id) : std::nullopt;
    if (!snap || !snap->running) to_release.push_back(id);
  }
  for (const auto& id : gone) lost(id, "the lease is held by another node");
  for (const auto& id : to_release) release(c, id);
  for (const auto& [id, epoch] : to_adopt) adopt(id, epoch, started);

  // The cluster as it is now: live nodes, sessions that should run, owners of sessions.
  auto nodes =
      c.query("SELECT node_id FROM cluster_nodes WHERE heartbeat_at > " + std::string(kExpiry),
              {ms(-options_.ttl)});
  auto running = c.query("SELECT COUNT(*) FROM sessions WHERE desired_state = 'running'");
  auto owners = c.query(
      "SELECT session_id, node_id FROM session_leases WHERE expires_at > now() AND node_id <> ''");
  const int live = std::max<int>(1, static_cast<int>(nodes.rows.size()));
  live_nodes_ = live;
  const int running_total = static_cast<int>(running.rows.at(0).integer(0));
  const int share = (running_total + live - 1) / live;
  int quota = 0;
  int cap_room = 0;  // what MAX_SESSIONS_PER_NODE still allows (at most one batch)
  {
    std::lock_guard g(mutex_);
    owners_.clear();
    for (const auto& row : owners.rows) owners_[row.text(0)] = row.text(1);
    const int mine = static_cast<int>(held_.size());
    quota = share + 1 - mine;
    if (options_.max_sessions > 0) quota = std::min(quota, options_.max_sessions - mine);
    cap_room = options_.max_sessions > 0
                   ? std::min(options_.max_sessions - mine, options_.rebalance_batch)
                   : options_.rebalance_batch;
  }
  if (quota > 0 && may_claim && !leaving_) {
    claim(c, quota, false);
  } else if (may_claim && !leaving_ && cap_room > 0) {
    // Full by its share, but a session nobody took for two lease times (every other node full
    // or capped) is taken anyway: no session that should run stays offline.
    claim(c, cap_room, true);
  }
  if (options_.rebalance && may_claim && !leaving_) rebalance(c, share);

  // Requests relayed to this node whose NOTIFY was missed (listener reconnecting).
  auto missed = c.query(
      "SELECT id FROM cluster_requests WHERE to_node = ? AND response IS NULL "
      "AND created_at > now() - INTERVAL '2 minutes'",
      {options_.node_id});
  for (const auto& row : missed.rows) serve_request(row.integer(0));

  if (++rounds_ % 50 == 1) {
    c.query("DELETE FROM cluster_requests WHERE created_at < now() - INTERVAL '10 minutes'");
    c.query("DELETE FROM cluster_events WHERE created_at < now() - INTERVAL '5 minutes'");
    c.query("DELETE FROM cluster_nodes WHERE heartbeat_at < now() - INTERVAL '1 day'");
  }
}

// Takes up to `quota` sessions that should run and have no live lease: expired leases first
// (their rows locked FOR UPDATE: a claim waits for no write of the old owner and skips rows one
// is writing under), then sessions never leased.
void Cluster::claim(db::Connection& c, int quota, bool stale_only) {
  const auto started = Clock::now();
  std::vector<std::pair<std::string, int64_t>> claimed;
  {
    db::Transaction tx(c);
    // stale_only: leases that nobody took for two lease times.
    auto expired = c.query(
        "SELECT l.session_id FROM session_leases l JOIN sessions s ON s.id = l.session_id "
        "WHERE l.expires_at < " +
            std::string(kExpiry) +
            " AND s.desired_state = 'running' "
            "ORDER BY l.expires_at, l.session_id LIMIT ? FOR UPDATE OF l SKIP LOCKED",
        {ms(stale_only ? -2 * options_.ttl : milliseconds(0)), static_cast<int64_t>(quota)});
    for (const auto& row : expired.rows) {
      auto r = c.query(std::string("UPDATE session_leases SET node_id = ?, epoch = epoch + 1, "
                                   "expires_at = ") +
                           kExpiry + ", acquired_at = now() WHERE session_id = ? RETURNING epoch",
                       {options_.node_id, ms(options_.ttl), row.text(0)});
      claimed.emplace_back(row.text(0), r.rows.at(0).integer(0));
    }
    const auto left = quota - static_cast<int>(claimed.size());
    if (left > 0 && !stale_only) {
      auto fresh = c.query(
          "INSERT INTO session_leases (session_id, node_id, epoch, expires_at) "
          "SELECT s.id, ?, 1, " +
              std::string(kExpiry) +
              " FROM sessions s WHERE s.desired_state = 'running' AND NOT EXISTS "
              "(SELECT 1 FROM session_leases l WHERE l.session_id = s.id) "
              "ORDER BY s.created_ms, s.id LIMIT ? ON CONFLICT (session_id) DO NOTHING "
              "RETURNING session_id, epoch",
          {options_.node_id, ms(options_.ttl), static_cast<int64_t>(left)});
      for (const auto& row : fresh.rows) claimed.emplace_back(row.text(0), row.integer(1));
    }
    tx.commit();
  }
  for (const auto& [id, epoch] : claimed) {
    claims_.fetch_add(1);
    adopt(id, epoch, started);
  }
  if (!claimed.empty()) {
    log::info("cluster: sessions claimed", {{"count", static_cast<int64_t>(claimed.size())}});
  }
}

// Above share + 1 for two renewal intervals (a node joined, or came back): hands a few sessions
// to the nodes below their share. Each one is cut here first (its kill switch), then its lease is
// given up and the other nodes are woken to claim it, as on SIGTERM. A write of it still in flight
// here is refused by the fence; its message is not acknowledged and comes again to the new owner.
// Sessions that pair right now stay (their QR code or pairing code is on someone's screen), and
// so do sessions taken less than two lease times ago (no ping-pong while nodes come and go).
void Cluster::rebalance(db::Connection& c, int share) {
  std::vector<HeldSession> held;
  const auto now = Clock::now();
  {
    std::lock_guard g(mutex_);
    if (static_cast<int>(held_.size()) <= share + 1) {
      over_since_.reset();
      return;
    }
    // Over for two renewal intervals, not two rounds: NOTIFYs wake rounds early.
    if (!over_since_) over_since_ = now;
    if (now - *over_since_ < 2 * options_.renew) return;
    for (const auto& [id, h] : held_) held.push_back({id, h.since, true});
  }
  // Only sessions that run quietly move: connected (not pairing, not between logins) and with
  // no webhook delivery or reply in flight here (it would go out twice, and its reply through a
  // connection that is gone).
  for (auto& h : held) {
    auto snap = manager_ ? manager_->snapshot(h.id) : std::nullopt;
    h.movable = snap && snap->status == "connected" && !(delivering_ && delivering_(h.id));
  }
  std::vector<std::string> surplus;
  {
    // Under the placement lock, from the cluster as it is now: two nodes over their share do not
    // spend the same room, and the sessions that wait for a node already take theirs first. Only
    // nodes that beat recently and started a renewal ago count (a paused or restarting node
    // would not claim what it is handed).
    db::Transaction tx(c);
    c.query("SELECT pg_advisory_xact_lock(?)", {kPlacementLock});
    auto nodes = c.query(
        "SELECT n.node_id, n.max_sessions, (SELECT COUNT(*) FROM session_leases l WHERE "
        "l.node_id = n.node_id AND l.expires_at > now()) FROM cluster_nodes n "
        "WHERE n.heartbeat_at > " +
            std::string(kExpiry) + " AND n.started_at < " + kExpiry,
        {ms(-2 * options_.renew), ms(-options_.renew)});
    auto waiting = c.query(
        "SELECT COUNT(*) FROM sessions s WHERE s.desired_state = 'running' AND NOT EXISTS "
        "(SELECT 1 FROM session_leases l WHERE l.session_id = s.id AND l.node_id <> '' "
        "AND l.expires_at > now())");
    std::vector<LiveNode> live;
    for (const auto& row : nodes.rows) {
      live.push_back(
          {row.text(0), static_cast<int>(row.integer(1)), static_cast<int>(row.integer(2))});
    }
    const int room = room_of_others(live, share, options_.node_id) -
                     static_cast<int>(waiting.rows.at(0).integer(0));
    surplus = choose_surplus(std::move(held), share, now, 2 * options_.ttl,
                             std::min(options_.rebalance_batch, room));
    // Asked again just before the cut: a message may have come in since the first look (what
    // is left is the time from here to the cut, not the lock and the queries above).
    std::erase_if(surplus,
                  [this](const std::string& id) { return delivering_ && delivering_(id); });
    if (!surplus.empty()) {
      for (const auto& id : surplus) {
        {
          std::lock_guard g(mutex_);
          held_.erase(id);
        }
        if (manager_) manager_->detach(id, "handed_over");
      }
      // A failed commit leaves the leases this node's: the next round adopts them again.
      for (const auto& id : surplus) release(c, id);
      c.query("SELECT pg_notify(?, ?)", {std::string(kClaim), options_.node_id});
    }
    tx.commit();
  }
  if (surplus.empty()) return;
  handed_over_.fetch_add(surplus.size());
  {
    std::lock_guard g(mutex_);
    over_since_.reset();
  }
  log::info(
      "cluster: sessions handed to other nodes (rebalancing)",
      {{"count", static_cast<int64_t>(surplus.size())}, {"share", static_cast<int64_t>(share)}});
}

// Holds the lease from now on and hands the session to the manager, which reads it and connects
// it on its own pool: a round stays short however many sessions it takes (a long round would let
// the renewed leases pass their local deadline).
void Cluster::adopt(const std::string& id, int64_t epoch, Clock::time_point renewed) {
  {
    std::lock_guard g(mutex_);
    held_[id] = {epoch, renewed + options_.ttl - options_.renew, Clock::now()};
  }
  if (manager_) manager_->adopt(id, epoch);
}

void Cluster::watchdog_loop() {
  const auto step = std::min<milliseconds>(milliseconds(100), options_.renew / 4);
  while (!leaving_) {
    std::this_thread::sleep_for(step);
    std::vector<std::string> late;
    {
      std::lock_guard g(mutex_);
      const auto now = Clock::now();
      for (auto it = held_.begin(); it != held_.end();) {
        if (it->second.valid_until < now) {
          late.push_back(it->first);
          it = held_.erase(it);
        } else {
          ++it;
        }
      }
    }
    for (const auto& id : late) lost(id, "the lease was not renewed in time");
  }
}

void Cluster::lost(const std::string& session_id, const char* why) {
  {
    std::lock_guard g(mutex_);
    held_.erase(session_id);
  }
  lease_losses_.fetch_add(1);
  log::warn("cluster: session stopped on this node", {{"session_id", session_id}, {"why", why}});
  if (manager_) manager_->detach(session_id);
}

// Inside the caller's transaction: gives the session's lease to `node` unless another node holds
// a live one (SessionError conflict). The row is locked FOR UPDATE first, so this waits for a
// write of the old owner in flight (fence()). Returns the epoch and whether the owner changed.
std::pair<int64_t, bool> Cluster::take_lease(db::Connection& c, const std::string& session_id,
                                             const std::string& node) {
  auto r = c.query(
      "SELECT node_id, epoch, expires_at > now() FROM session_leases WHERE session_id = ? "
      "FOR UPDATE",
      {session_id});
  if (r.rows.empty()) {
    c.query(std::string("INSERT INTO session_leases (session_id, node_id, epoch, expires_at) "
                        "VALUES (?, ?, 1, ") +
                kExpiry + ")",
            {session_id, node, ms(options_.ttl)});
    return {1, true};
  }
  const auto& row = r.rows.front();
  const bool live = row.integer(2) != 0;
  const auto owner = row.text(0);
  if (live && owner == node) {
    c.query(
        std::string("UPDATE session_leases SET expires_at = ") + kExpiry + " WHERE session_id = ?",
        {ms(options_.ttl), session_id});
    return {row.integer(1), false};
  }
  if (live && !owner.empty()) {
    throw sessions::SessionError(sessions::SessionError::Kind::conflict,
                                 "the session is running on node " + owner + "; try again");
  }
  auto u = c.query(std::string("UPDATE session_leases SET node_id = ?, epoch = epoch + 1, "
                               "acquired_at = now(), expires_at = ") +
                       kExpiry + " WHERE session_id = ? RETURNING epoch",
                   {node, ms(options_.ttl), session_id});
  return {u.rows.at(0).integer(0), true};
}

int64_t Cluster::acquire(db::Connection& c, const std::string& session_id) {
  if (leaving_)
    throw db::DbError(db::DbError::Kind::unavailable, "this node is leaving the cluster");
  const auto started = Clock::now();
  std::pair<int64_t, bool> taken;
  {
    db::Transaction tx(c);
    taken = take_lease(c, session_id, options_.node_id);
    tx.commit();
  }
  if (taken.second) sessions::repo::recover_session(c, session_id);
  std::lock_guard g(mutex_);
  held_[session_id] = {taken.first, started + options_.ttl - options_.renew, Clock::now()};
  owners_[session_id] = options_.node_id;
  return taken.first;
}

void Cluster::release(db::Connection& c, const std::string& session_id) {
  c.query(
      "UPDATE session_leases SET node_id = '', expires_at = now() - INTERVAL '1 second' "
      "WHERE session_id = ? AND node_id = ?",
      {session_id, options_.node_id});
  std::lock_guard g(mutex_);
  held_.erase(session_id);
  owners_.erase(session_id);
}

void Cluster::fence(db::Connection& c, const std::string& session_id, int64_t epoch) {
  auto r = c.query(
      "SELECT 1 FROM session_leases WHERE session_id = ? AND node_id = ? AND epoch = ? "
      "FOR KEY SHARE",
      {session_id, options_.node_id, epoch});
  if (!r.rows.empty()) return;
  // Not this node's any more: stop the session here (asynchronously) and refuse the write.
  bool was_held = false;
  {
    std::lock_guard g(mutex_);
    was_held = held_.contains(session_id);
  }
  if (was_held) lost(session_id, "a write found the lease held by another node");
  throw db::DbError(db::DbError::Kind::unavailable, "session " + session_id +
                                                        " is not leased to this node (epoch " +
                                                        std::to_string(epoch) + "): write refused");
}

bool Cluster::may_connect(const std::string& session_id) const {
  std::lock_guard g(mutex_);
  auto it = held_.find(session_id);
  return it != held_.end() && Clock::now() < it->second.valid_until && !leaving_;
}

std::optional<std::string> Cluster::owner_of(const std::string& session_id) const {
  std::lock_guard g(mutex_);
  if (held_.contains(session_id)) return options_.node_id;
  auto it = owners_.find(session_id);
  if (it == owners_.end()) return std::nullopt;
  return it->second;
}

std::size_t Cluster::owned() const {
  std::lock_guard g(mutex_);
  return held_.size();
}

// --- relay ----------------------------------------------------------------------------------

asio::awaitable<std::optional<std::string>> Cluster::route_to(const http::Request& req,
                                                              const http::Route& route) {
  if (!runs_on_owner(route) || route.session_param.empty()) co_return std::nullopt;
  auto id = sessions::normalize_session_id(req.param(route.session_param));
  if (!id) co_return std::nullopt;  // the route answers 400 itself
  {
    std::lock_guard g(mutex_);
    if (held_.contains(*id)) co_return std::nullopt;
  }
  const std::string me = options_.node_id;
  const auto ttl = options_.ttl;
  const bool placing = placing_route(route);
  const int max_sessions = options_.max_sessions;
  // Where it runs: its live owner; for a start (reconnect, pair code) of a session nobody runs,
  // the node chosen here, whose lease is taken for it in the same transaction. Placements are
  // serialized by an advisory lock, so concurrent starts see each other's leases and none
  // overshoots its share.
  auto target = co_await db_.run([&](db::Connection& c) -> std::optional<std::string> {
    if (!placing) return live_owner(c, *id);
    db::Transaction tx(c);
    c.query("SELECT pg_advisory_xact_lock(?)", {kPlacementLock});
    if (auto o = live_owner(c, *id)) return o;
    auto n = c.query(
        "SELECT n.node_id, (SELECT COUNT(*) FROM session_leases l WHERE l.node_id = n.node_id "
        "AND l.expires_at > now()) FROM cluster_nodes n WHERE n.heartbeat_at > " +
            std::string(kExpiry) + " ORDER BY 2, 1",
        {ms(-ttl)});
    if (n.rows.empty()) return std::nullopt;
    // Here while this node holds less than its share (plus one) of the running sessions with
    // this one, else on the least loaded node.
    int64_t leased = 0, mine = 0;
    bool listed = false;  // not after hand_over(), which removed this node's row
    for (const auto& row : n.rows) {
      leased += row.integer(1);
      if (row.text(0) == me) {
        mine = row.integer(1);
        listed = true;
      }
    }
    const auto live = static_cast<int64_t>(n.rows.size());
    const auto share = (leased + 1 + live - 1) / live;
    const bool capped = max_sessions > 0 && mine >= max_sessions;
    std::string chosen = n.rows.front().text(0);  // ordered by load, then id
    if (listed && !leaving_ && mine < share + 1 && !capped) chosen = me;
    auto taken = take_lease(c, *id, chosen);
    tx.commit();
    if (taken.second) sessions::repo::recover_session(c, *id);
    return chosen;
  });
  if (!target || *target == me) co_return std::nullopt;
  co_return target;
}

asio::awaitable<http::Response> Cluster::relay(const std::string& node, const http::Request& req,
                                               std::optional<std::chrono::milliseconds> timeout) {
  relayed_.fetch_add(1);
  const auto text = encode_request(req);
  const std::string me = options_.node_id;
  const int64_t id = co_await db_.run([&](db::Connection& c) {
    db::Transaction tx(c);
    auto r = c.query(
        "INSERT INTO cluster_requests (from_node, to_node, request) VALUES (?, ?, ?) RETURNING id",
        {me, node, text});
    const auto new_id = r.rows.at(0).integer(0);
    c.query("SELECT pg_notify(?, ?)",
            {std::string(kRequests), node + " " + std::to_string(new_id)});
    tx.commit();
    return new_id;
  });
  auto waiter = std::make_shared<Waiter>(co_await asio::this_coro::executor);
  {
    std::lock_guard g(mutex_);
    waiters_[id] = waiter;
  }
  const auto deadline = Clock::now() + timeout.value_or(options_.relay_timeout);
  std::optional<std::string> response;
  while (true) {
    response = co_await db_.run([&](db::Connection& c) -> std::optional<std::string> {
      auto r = c.query("SELECT response FROM cluster_requests WHERE id = ?", {id});
      if (r.rows.empty() || r.rows.front().is_null(0)) return std::nullopt;
      return r.rows.front().text(0);
    });
    if (response || Clock::now() >= deadline) break;
    waiter->timer.expires_after(
        std::min<Clock::duration>(std::chrono::seconds(1), deadline - Clock::now()));
    co_await waiter->timer.async_wait(asio::as_tuple(asio::use_awaitable));
  }
  {
    std::lock_guard g(mutex_);
    waiters_.erase(id);
  }
  co_await db_.run(
      [&](db::Connection& c) { c.query("DELETE FROM cluster_requests WHERE id = ?", {id}); });
  if (!response) {
    co_return http::error_response(http::ErrorKind::gateway_timeout,
                                   "node " + node + " running this session did not answer in time");
  }
  try {
    co_return decode_response(*response);
  } catch (const std::exception& e) {
    log::error("cluster: unreadable relayed response", {{"error", e.what()}});
    co_return http::error_response(http::ErrorKind::internal, "internal error");
  }
}

std::optional<std::string> Cluster::owner_elsewhere(const std::string& session_id) const {
  std::lock_guard g(mutex_);
  if (held_.contains(session_id)) return std::nullopt;
  auto it = owners_.find(session_id);
  if (it == owners_.end() || it->second == options_.node_id) return std::nullopt;
  return it->second;
}

asio::awaitable<std::optional<http::Response>> Cluster::relay_reply(const std::string& session_id,
                                                                    int64_t row_id,
                                                                    const std::string& body) {
  http::Request req;
  req.method = "POST";
  req.path = kReplyPath;
  req.target = kReplyPath;
  req.body = json::serialize(json::object{{"row", row_id}, {"response", body}});
  const auto deadline = Clock::now() + options_.ttl + 2 * options_.renew;
  asio::steady_timer timer(co_await asio::this_coro::executor);
  while (true) {
    auto owner = co_await db_.run(
        [&](db::Connection& c) -> std::optional<std::string> { return live_owner(c, session_id); });
    if (owner && *owner == options_.node_id) co_return std::nullopt;
    if (owner) {
      auto res = co_await relay(*owner, req, options_.reply_relay_timeout);
      if (res.status != 409 || Clock::now() >= deadline) co_return res;
    } else if (Clock::now() >= deadline) {
      co_return http::error_response(http::ErrorKind::unavailable,
                                     "no node runs the session; the reply was not sent");
    }
    timer.expires_after(std::chrono::milliseconds(250));
    co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
  }
}

void Cluster::relay_presence(const std::string& node, const std::string& session_id,
                             const std::string& chat, bool composing) {
  std::string text = node + "\n" + session_id + "\n" + chat + "\n" + (composing ? "1" : "0");
  if (text.size() > kMaxNotifyPayload) return;
  std::lock_guard g(events_mutex_);
  if (notices_.size() >= kMaxQueuedEvents) return;
  notices_.emplace_back(kPresence, std::move(text));
  events_cv_.notify_one();
}

void Cluster::serve_request(int64_t id) {
  {
    std::lock_guard g(mutex_);
    if (!serving_.insert(id).second) return;
  }
  asio::co_spawn(io_, answer(id), asio::detached);
}

asio::awaitable<void> Cluster::answer(int64_t id) {
  const std::string me = options_.node_id;
  struct Row {
    std::string from, request;
  };
  std::optional<Row> row;
  try {
    row = co_await db_.run([&](db::Connection& c) -> std::optional<Row> {
      auto r = c.query(
          "SELECT from_node, request FROM cluster_requests WHERE id = ? AND to_node = ? "
          "AND response IS NULL",
          {id, me});
      if (r.rows.empty()) return std::nullopt;
      return Row{r.rows.front().text(0), r.rows.front().text(1)};
    });
    if (row) {
      http::Response res;
      try {
        auto req = decode_request(row->request);
        if (req.path == kReplyPath) {
          auto body = json::parse(req.body).as_object();
          if (!reply_executor_) throw std::runtime_error("no reply executor");
          res = co_await reply_executor_(body.at("row").as_int64(), str(body, "response"));
        } else {
          res = co_await execute_(req);
        }
      } catch (const std::exception& e) {
        log::error("cluster: relayed request failed", {{"error", e.what()}});
        res = http::error_response(http::ErrorKind::internal, "internal error");
      }
      const auto out = encode_response(res);
      co_await db_.run([&](db::Connection& c) {
        db::Transaction tx(c);
        c.query("UPDATE cluster_requests SET response = ? WHERE id = ?", {out, id});
        c.query("SELECT pg_notify(?, ?)",
                {std::string(kResponses), row->from + " " + std::to_string(id)});
        tx.commit();
      });
    }
  } catch (const std::exception& e) {
    log::warn("cluster: relayed request not answered", {{"id", id}, {"error", e.what()}});
  }
  std::lock_guard g(mutex_);
  serving_.erase(id);
}

// --- notifications and events -----------------------------------------------------------------

void Cluster::on_notify(const std::string& channel, const std::string& payload) {
  if (channel == kClaim) {
    wake_round();
    return;
  }
  if (channel == kRequests || channel == kResponses) {
    auto space = payload.rfind(' ');
    if (space == std::string::npos) return;
    const auto node = payload.substr(0, space);
    int64_t id = 0;
    try {
      id = std::stoll(payload.substr(space + 1));
    } catch (const std::exception&) {
      return;
    }
    if (node != options_.node_id) return;
    if (channel == kRequests) {
      serve_request(id);
      return;
    }
    std::lock_guard g(mutex_);
    if (auto it = waiters_.find(id); it != waiters_.end()) {
      auto w = it->second;
      asio::post(w->timer.get_executor(), [w] { w->timer.cancel(); });
    }
    return;
  }
  if (channel == kPresence) {
    // "<node>\n<session>\n<chat>\n<1|0>"
    auto a = payload.find('\n');
    auto b = a == std::string::npos ? a : payload.find('\n', a + 1);
    auto c = b == std::string::npos ? b : payload.find('\n', b + 1);
    if (c == std::string::npos || payload.substr(0, a) != options_.node_id || !manager_) return;
    auto chat = wa::Jid::parse(payload.substr(b + 1, c - b - 1));
    if (!chat) return;
    manager_->chat_presence(payload.substr(a + 1, b - a - 1), *chat, payload.substr(c + 1) == "1");
    return;
  }
  if (channel != kEvents) return;
  std::string text = payload;
  if (text.rfind("E ", 0) == 0) {
    int64_t id = std::stoll(text.substr(2));
    auto r = db_.with_connection([&](db::Connection& c) {
      return c.query("SELECT payload FROM cluster_events WHERE id = ?", {id});
    });
    if (r.rows.empty()) return;
    text = r.rows.front().text(0);
  }
  // "<node>\n<user>\n<session>\n<message>"
  auto a = text.find('\n');
  auto b = a == std::string::npos ? a : text.find('\n', a + 1);
  auto c = b == std::string::npos ? b : text.find('\n', b + 1);
  if (c == std::string::npos) return;
  if (std::string_view(text).substr(0, a) == options_.node_id) return;  // our own
  // A session of another node changed state: answers cached here by state version are stale.
  const std::string_view body = std::string_view(text).substr(c + 1);
  if (manager_ && (body.find(R"("type":"status_update")") != std::string_view::npos ||
                   body.find(R"("type":"qr_update")") != std::string_view::npos)) {
    manager_->bump_version();
  }
  hub_.publish_local(text.substr(a + 1, b - a - 1), text.substr(b + 1, c - b - 1),
                     std::make_shared<const std::string>(text.substr(c + 1)));
}

void Cluster::events_loop() {
  std::unique_ptr<db::Connection> conn;
  while (true) {
    std::deque<Event> batch;
    std::deque<std::pair<std::string, std::string>> notices;
    {
      std::unique_lock lock(events_mutex_);
      events_cv_.wait_for(lock, std::chrono::seconds(1),
                          [this] { return stopping_ || !events_.empty() || !notices_.empty(); });
      if (events_.empty() && notices_.empty() && stopping_) return;
      while (!events_.empty() && batch.size() < 200) {
        batch.push_back(std::move(events_.front()));
        events_.pop_front();
      }
      notices.swap(notices_);
      if (events_dropped_ > 0) {
        log::warn("cluster: events not sent to other nodes (queue full)",
                  {{"count", static_cast<int64_t>(events_dropped_)}});
        events_dropped_ = 0;
      }
    }
    if (batch.empty() && notices.empty()) continue;
    try {
      if (!conn || !conn->healthy()) conn = db::open_postgres(options_.database_url);
      db::Transaction tx(*conn);
      for (const auto& [channel, text] : notices)
        conn->query("SELECT pg_notify(?, ?)", {channel, text});
      for (const auto& e : batch) {
        std::string text =
            options_.node_id + "\n" + e.user_id + "\n" + e.session_id + "\n" + *e.message;
        if (text.size() > kMaxNotifyPayload) {
          auto r =
              conn->query("INSERT INTO cluster_events (payload) VALUES (?) RETURNING id", {text});
          text = "E " + std::to_string(r.rows.at(0).integer(0));
        }
        conn->query("SELECT pg_notify(?, ?)", {std::string(kEvents), text});
      }
      tx.commit();
    } catch (const std::exception& e) {
      log::warn("cluster: events not sent to other nodes",
                {{"count", static_cast<int64_t>(batch.size())}, {"error", e.what()}});
      conn.reset();
    }
  }
}

}  // namespace gw::cluster
