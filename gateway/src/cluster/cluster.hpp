#pragma once
// Cluster mode: many gateway processes ("nodes") on one PostgreSQL, which is the only
// coordinator (docs/CLUSTER.md). This class is one node's part of it:
//   - node registry: a cluster_nodes row, its heartbeat written with every lease round;
//   - session leases: every LEASE_RENEW interval the lease thread renews this node's leases and
//     claims sessions that should run and have no live owner (FOR UPDATE SKIP LOCKED), up to a
//     fair share; a lease it no longer holds, or did not renew in time by its own monotonic
//     clock, stops that session's client at once (sessions::Manager::detach). Every write of a
//     session is fenced by its lease epoch (fence()), so an old owner can write nothing after a
//     new one took over;
//   - relay: an API request for a session that another node runs is stored in cluster_requests
//     and NOTIFYed to that node, which answers it through its own routes;
//   - events: WebSocket events published here are NOTIFYed to the other nodes, and theirs are
//     published to the dashboards connected here.
// Threads: the lease loop, its watchdog, the event sender and the LISTEN connection each have a
// thread of their own, with their own database connections, so that a busy pool cannot delay a
// renewal. The public functions may be called from any thread.
#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "db/database.hpp"
#include "db/pg_listener.hpp"
#include "events/hub.hpp"
#include "http/message.hpp"
#include "http/router.hpp"
#include "sessions/manager.hpp"

namespace gw::cluster {

struct Options {
  std::string node_id;
  std::string database_url;
  std::chrono::milliseconds ttl{15'000};
  std::chrono::milliseconds renew{3'000};
  int max_sessions = 0;  // 0: no cap
  /// A node holding more than its share + 1 hands the surplus to the other nodes (rebalancing
  /// after a node joined), at most `rebalance_batch` sessions per lease round.
  bool rebalance = true;
  int rebalance_batch = 10;
  /// How long a relayed request waits for the owner's answer.
  std::chrono::milliseconds relay_timeout{60'000};
  /// The same for a relayed webhook reply, whose owner may first download its media_url (set
  /// above MEDIA_FETCH_TIMEOUT_SECONDS).
  std::chrono::milliseconds reply_relay_timeout{120'000};
};

/// A generated node id: host name and 8 random hex characters.
std::string default_node_id();

/// A session this node holds, as the rebalancing sees it.
struct HeldSession {
  std::string id;
  std::chrono::steady_clock::time_point since;  // when this node took it
  bool movable = true;                          // false while it pairs (QR or code on screen)
};
/// A live node as the rebalancing sees it: its MAX_SESSIONS_PER_NODE (0: none) and live leases.
struct LiveNode {
  std::string id;
  int max_sessions = 0;
  int held = 0;
};
/// How many sessions the live nodes other than `self` can still take: up to share + 1 each, or
/// their cap.
int room_of_others(const std::vector<LiveNode>& nodes, int share, const std::string& self);
/// The sessions a node holding `held` hands over when `share` (running sessions / live nodes,
/// rounded up) + 1 is its limit: movable sessions it has held for at least `settled`, the most
/// recently taken first (long-standing placements stay), at most `batch` of them.
std::vector<std::string> choose_surplus(std::vector<HeldSession> held, int share,
                                        std::chrono::steady_clock::time_point now,
                                        std::chrono::milliseconds settled, int batch);

/// Runs a relayed request on this node: the route's handler and its error mapping, without
/// authentication (the node that received the request authenticated it).
using LocalExecutor = std::function<boost::asio::awaitable<http::Response>(http::Request&)>;

/// Whether requests on this route are run by the node that runs the session (they use its live
/// WhatsApp connection or its live state).
bool runs_on_owner(const http::Route& route);

class Cluster {
 public:
  Cluster(Options options, db::Database& db, events::Hub& hub, boost::asio::any_io_executor io);
  ~Cluster();
  Cluster(const Cluster&) = delete;
  Cluster& operator=(const Cluster&) = delete;

  /// Sets the manager's cluster hooks (before the manager is built).
  void configure(sessions::ManagerOptions& options);
  /// Registers the node, runs a first lease round and starts the threads. `manager` runs the
  /// sessions this node claims; `execute` answers requests relayed to this node.
  void start(sessions::Manager& manager, LocalExecutor execute);
  /// First thing on SIGTERM: stops the lease rounds, cuts this node's WhatsApp connections (the
  /// sessions' kill switches) and gives every lease up, removing the node; the other nodes take
  /// the sessions at once while this one drains its HTTP requests. Writes of this node's sessions
  /// still in flight are refused by the fence from then on. Idempotent.
  void hand_over();
  /// After manager.shutdown(): hand_over() if it did not run, then stops the remaining threads.
  void stop();

  /// The node a request on `route` should run on, or nullopt to run it here: the session's live
  /// owner; for start, reconnect and pair-code of a session nobody runs, the node that should
  /// take it (this one while it holds less than its share).
  boost::asio::awaitable<std::optional<std::string>> route_to(const http::Request& req,
                                                              const http::Route& route);
  /// Hands `req` to `node` through PostgreSQL and returns its answer (504 after `timeout`,
  /// relay_timeout when not given).
  boost::asio::awaitable<http::Response> relay(
      const std::string& node, const http::Request& req,
      std::optional<std::chrono::milliseconds> timeout = std::nullopt);

  [[nodiscard]] const std::string& node_id() const noexcept { return options_.node_id; }
  /// The node running a session as of the last lease round, nullopt when none.
  [[nodiscard]] std::optional<std::string> owner_of(const std::string& session_id) const;
  [[nodiscard]] std::size_t owned() const;
  [[nodiscard]] int live_nodes() const noexcept { return live_nodes_.load(); }
  [[nodiscard]] uint64_t lease_losses() const noexcept { return lease_losses_.load(); }
  [[nodiscard]] uint64_t claims() const noexcept { return claims_.load(); }
  [[nodiscard]] uint64_t handed_over() const noexcept { return handed_over_.load(); }
  /// Whether a webhook delivery of the session is in flight on this node (its sessions are not
  /// handed over meanwhile). Set before start().
  void set_delivering(std::function<bool(const std::string&)> f) { delivering_ = std::move(f); }
  [[nodiscard]] uint64_t relayed() const noexcept { return relayed_.load(); }

  // Webhook deliveries are claimed by any live node (webhooks::DeliveryWorker, docs/CLUSTER.md);
  // the reply and "typing…" of one claimed here for a session another node runs go through it.
  /// The live node running the session when it is not this one (as of the last lease round).
  [[nodiscard]] std::optional<std::string> owner_elsewhere(const std::string& session_id) const;
  /// Runs a reply relayed to this node: the outbox row's id and the webhook's response body.
  using ReplyExecutor =
      std::function<boost::asio::awaitable<http::Response>(int64_t row_id, std::string body)>;
  /// Set before start().
  void set_reply_executor(ReplyExecutor f) { reply_executor_ = std::move(f); }
  /// Has the node that runs `session_id` send the reply found in `body` for the outbox row
  /// `row_id` (a relayed request that only nodes write, answered by its ReplyExecutor) and
  /// returns its answer; nullopt when that node is this one. The owner is read from the leases
  /// now; while none is live (a failover) it waits for one, up to the lease time and two
  /// renewals (then 503); a 409 (the session just left that node) makes it look again.
  boost::asio::awaitable<std::optional<http::Response>> relay_reply(const std::string& session_id,
                                                                    int64_t row_id,
                                                                    const std::string& body);
  /// Has `node` show (composing) or end "typing…" in `chat` of `session_id`: a NOTIFY sent by
  /// the event thread; nothing waits for it, and one lost is only a missing "typing…".
  void relay_presence(const std::string& node, const std::string& session_id,
                      const std::string& chat, bool composing);

  // The manager's hooks (sessions::ManagerOptions, cluster mode).
  int64_t acquire(db::Connection& c, const std::string& session_id);
  void release(db::Connection& c, const std::string& session_id);
  void fence(db::Connection& c, const std::string& session_id, int64_t epoch);
  bool may_connect(const std::string& session_id) const;

 private:
  using Clock = std::chrono::steady_clock;
  struct Held {
    int64_t epoch = 0;
    Clock::time_point valid_until;  // by this node's monotonic clock
    Clock::time_point since;        // when this node took it (a round older than that ignores it)
  };
  struct Waiter;

  void lease_loop();
  void round(db::Connection& c, bool may_claim);
  void sync_clock(db::Connection& c);
  void claim(db::Connection& c, int quota, bool stale_only);
  void rebalance(db::Connection& c, int share);
  void watchdog_loop();
  void lost(const std::string& session_id, const char* why);
  void adopt(const std::string& session_id, int64_t epoch, Clock::time_point renewed);
  std::pair<int64_t, bool> take_lease(db::Connection& c, const std::string& session_id,
                                      const std::string& node);
  void events_loop();
  void on_notify(const std::string& channel, const std::string& payload);
  void serve_request(int64_t id);
  boost::asio::awaitable<void> answer(int64_t id);
  void wake_round();

  Options options_;
  db::Database& db_;
  events::Hub& hub_;
  boost::asio::any_io_executor io_;
  sessions::Manager* manager_ = nullptr;
  LocalExecutor execute_;
  ReplyExecutor reply_executor_;
  std::function<bool(const std::string&)> delivering_;
  std::unique_ptr<db::PgListener> listener_;

  mutable std::mutex mutex_;
  std::map<std::string, Held, std::less<>> held_;           // by mutex_
  std::map<std::string, std::string, std::less<>> owners_;  // by mutex_: last round's
  std::set<int64_t> serving_;                               // by mutex_
  std::map<int64_t, std::shared_ptr<Waiter>> waiters_;      // by mutex_
  std::condition_variable round_cv_;
  bool round_wanted_ = false;  // by mutex_

  std::mutex events_mutex_;
  std::condition_variable events_cv_;
  struct Event {
    std::string user_id, session_id;
    events::Message message;
  };
  std::deque<Event> events_;  // by events_mutex_
  // NOTIFYs to send as they are (channel, payload): relayed "typing…" (by events_mutex_).
  std::deque<std::pair<std::string, std::string>> notices_;
  uint64_t events_dropped_ = 0;

  std::atomic<bool> stopping_{false};
  std::atomic<bool> leaving_{false};  // hand_over() began: no renewals, claims or connections
  std::atomic<int> live_nodes_{1};
  std::atomic<uint64_t> lease_losses_{0};
  std::atomic<uint64_t> claims_{0};
  std::atomic<uint64_t> handed_over_{0};
  std::atomic<uint64_t> relayed_{0};
  int rounds_ = 0;                               // on the lease thread
  std::optional<Clock::time_point> over_since_;  // by mutex_: above share + 1 since
  std::thread lease_thread_, watchdog_thread_, events_thread_;
};

}  // namespace gw::cluster
