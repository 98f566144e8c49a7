#pragma once
// Live-event fan-out: whatever the gateway wants to push to dashboards (qr_update, status_update,
// later message_received / message_status) is published here once, already serialized, and every
// matching subscriber gets the same immutable string. Subscribers are WebSocket connections
// (ws/event_socket.hpp); each has its own bounded queue, so a slow one never slows the publisher.
//
// Thread safety: all members may be called from any thread. publish() copies the matching
// subscribers under the lock and delivers after releasing it; deliver() must not block.
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace gw::events {

/// Which of one user's sessions a subscriber hears of: all, one (a session's socket), or some
/// (an API key limited to sessions; none when the list is empty).
struct SessionFilter {
  std::optional<std::vector<std::string>> only;  // nullopt: all

  static SessionFilter all() { return {}; }
  static SessionFilter one(std::string session_id) {
    return {std::vector<std::string>{std::move(session_id)}};
  }
  [[nodiscard]] bool matches(const std::string& session_id) const;
};

using Message = std::shared_ptr<const std::string>;

/// Receives published messages. deliver() is called on the publisher's thread and must only
/// enqueue (never block, never call back into the Hub).
class Subscriber {
 public:
  virtual ~Subscriber() = default;
  virtual void deliver(const Message& message) = 0;
};

class Hub {
  struct State;

 public:
  /// Unsubscribes when destroyed. May outlive the hub (a WebSocket's coroutine frame destroyed
  /// with the io_context after the hub, at shutdown): then it does nothing.
  class Subscription {
   public:
    Subscription() = default;
    Subscription(Subscription&&) noexcept;
    Subscription& operator=(Subscription&&) noexcept;
    Subscription(const Subscription&) = delete;
    Subscription& operator=(const Subscription&) = delete;
    ~Subscription();
    void reset();

   private:
    friend class Hub;
    std::weak_ptr<State> state_;
    std::uint64_t id_ = 0;
  };

  Hub() = default;
  Hub(const Hub&) = delete;
  Hub& operator=(const Hub&) = delete;

  /// Messages of those of `user_id`'s sessions that `sessions` lets through. The hub keeps a
  /// weak reference: a subscriber that is gone is skipped and dropped.
  [[nodiscard]] Subscription subscribe(std::string user_id, SessionFilter sessions,
                                       std::weak_ptr<Subscriber> subscriber);
  /// Delivers `message` to the subscribers of this user (all sessions) and of this session, and
  /// hands it to the forwarder when one is set.
  void publish(const std::string& user_id, const std::string& session_id, const Message& message);
  /// publish() without the forwarder: for messages that came from another cluster node.
  void publish_local(const std::string& user_id, const std::string& session_id,
                     const Message& message);
  using Forwarder = std::function<void(const std::string& user_id, const std::string& session_id,
                                       const Message& message)>;
  /// Cluster mode: every publish() also goes to `forward` (it must only enqueue), which carries it
  /// to the dashboards connected to the other nodes (docs/CLUSTER.md). Set before serving.
  void set_forwarder(Forwarder forward) { forward_ = std::move(forward); }
  [[nodiscard]] std::size_t subscriber_count() const;

 private:
  struct Entry {
    std::uint64_t id;
    std::string user_id;
    SessionFilter sessions;
    std::weak_ptr<Subscriber> subscriber;
  };
  // What subscriptions reach back to: shared with them, so that one outliving the hub does not
  // touch freed memory.
  struct State {
    std::mutex mutex;
    std::list<Entry> entries;  // guarded by mutex
    std::uint64_t next_id = 1;
    void remove(std::uint64_t id);
  };
  std::shared_ptr<State> state_ = std::make_shared<State>();
  Forwarder forward_;
};

}  // namespace gw::events
