#include "ws/event_socket.hpp"

#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <deque>
#include <mutex>
#include <optional>

#include "log/log.hpp"
#include "util/time.hpp"
#include "ws/client_message.hpp"

namespace gw::ws {

namespace asio = boost::asio;
using namespace asio::experimental::awaitable_operators;

namespace {

constexpr auto kAsTuple = asio::as_tuple(asio::use_awaitable);
constexpr std::uint16_t kInternalError = 1011;  // RFC 6455 §7.4.1

std::atomic<std::uint64_t> g_slow_consumer_disconnects{0};

std::string pong() {
  boost::json::object o;
  o["type"] = "pong";
  o["timestamp"] = util::iso8601_now();
  return boost::json::serialize(o);
}

// One connection's state: the bounded queue the hub fills, and the writer, reader and recheck
// coroutines that drain it. The coroutines end together: whichever decides the socket is over
// calls stop(), which wakes the other two and closes the socket (bounded by the server's close
// timeout), so their pending send()/receive() complete. Nothing is cancelled per operation, so a
// close frame is never cut short.
//
// Thread safety: deliver() runs on any thread and touches only the queue, under mutex_; all
// other members run on the WebSocket's strand.
class EventSocket final : public events::Subscriber,
                          public std::enable_shared_from_this<EventSocket> {
 public:
  EventSocket(std::shared_ptr<http::WebSocket> ws, EventSocketOptions options)
      : ws_(std::move(ws)), options_(options), ex_(ws_->executor()), wake_(ex_), recheck_(ex_) {}

  void set_subscription(events::Hub::Subscription s) { subscription_ = std::move(s); }

  void deliver(const events::Message& message) override {
    bool wake = false;
    bool overflowed = false;
    {
      std::lock_guard lock(mutex_);
      if (dropped_) return;
      if (queue_.size() >= options_.max_queued_messages) {
        // Disconnect rather than grow: free what waits now, the socket is going away.
        dropped_ = overflowed = true;
        std::deque<events::Message>().swap(queue_);
      } else {
        queue_.push_back(message);
      }
      if (!wake_posted_ || overflowed) wake = wake_posted_ = true;
    }
    if (!wake) return;
    if (overflowed) g_slow_consumer_disconnects.fetch_add(1, std::memory_order_relaxed);
    asio::post(ex_, [self = shared_from_this(), overflowed] {
      self->wake_.cancel();
      // The writer may sit in a send() that a client who stopped reading never completes; the
      // close (and its timeout) gets it out.
      if (overflowed) {
        asio::co_spawn(self->ex_, stop_slow_consumer(self), asio::detached);
      }
    });
  }

  // A coroutine function, not a capturing lambda coroutine: g++ 12 destroys the captures of a
  // lambda coroutine handed to co_spawn twice (gateway/src/util/coro.hpp).
  static asio::awaitable<void> stop_slow_consumer(std::shared_ptr<EventSocket> self) {
    co_await self->stop(http::close_code::try_again_later,
                        "too many events queued: the client reads too slowly");
  }

  /// Ends the connection with `code` (the first caller's code wins) and wakes every loop.
  asio::awaitable<void> stop(std::uint16_t code, std::string reason) {
    auto ws = ws_;       // held for the whole close, even if release() runs meanwhile
    if (!ws) co_return;  // released: serve_event_socket has returned
    if (!stopping_) {
      stopping_ = true;
      subscription_.reset();
      {
        std::lock_guard lock(mutex_);
        dropped_ = true;
        std::deque<events::Message>().swap(queue_);
      }
      wake_.cancel();
      recheck_.cancel();
    }
    co_await ws->close(code, std::move(reason));
  }

  /// Drops the socket once every loop has ended. A publisher may hold this object a moment
  /// longer; the socket is then still released here, on its strand, not on the publisher's
  /// thread.
  void release() { ws_.reset(); }

  asio::awaitable<void> write_loop(std::vector<std::string> initial) {
    for (auto& text : initial) {
      if (stopping_) co_return;
      if (!co_await ws_->send(std::move(text))) {
        co_await stop(http::close_code::normal, "");
        co_return;
      }
    }
    initial.clear();
    while (!stopping_) {
      events::Message next;
      bool overflow = false;
      {
        std::lock_guard lock(mutex_);
        overflow = dropped_;
        if (!queue_.empty()) {
          next = std::move(queue_.front());
          queue_.pop_front();
        } else {
          // Re-arms deliver()'s wake-up. Its post runs on this strand, so not before the wait
          // below has started.
          wake_posted_ = false;
        }
      }
      if (overflow) {
        co_await stop(http::close_code::try_again_later,
                      "too many events queued: the client reads too slowly");
        co_return;
      }
      if (!next) {
        wake_.expires_at(asio::steady_timer::time_point::max());
        co_await wake_.async_wait(kAsTuple);  // cancelled by deliver() or stop()
        continue;
      }
      if (!co_await ws_->send(*next)) {
        co_await stop(http::close_code::normal, "");
        co_return;
      }
    }
  }

  asio::awaitable<void> read_loop() {
    while (!stopping_) {
      auto text = co_await ws_->receive();
      if (!text) {  // the peer went away, broke the rules, or stop() closed the socket
        co_await stop(http::close_code::normal, "");
        co_return;
      }
      if (!is_ping(*text, options_.max_client_message_bytes)) {
        co_await stop(http::close_code::unsupported, R"(only {"type":"ping"} is accepted)");
        co_return;
      }
      // Through the queue: the writer is the socket's only sender, and pings count against the
      // same bound, so a client that pings without reading is dropped too.
      deliver(std::make_shared<const std::string>(pong()));
    }
  }

  asio::awaitable<void> recheck_loop(std::function<asio::awaitable<bool>()> still_authorized) {
    while (!stopping_) {
      recheck_.expires_after(options_.recheck_interval);
      co_await recheck_.async_wait(kAsTuple);
      if (stopping_) co_return;
      bool authorized = true;
      try {
        authorized = co_await still_authorized();
      } catch (const std::exception& e) {
        log::warn("event socket: authorization re-check failed", {{"error", e.what()}});
      }
      if (!authorized) {
        co_await stop(http::close_code::policy, "token revoked or expired");
        co_return;
      }
    }
  }

 private:
  std::shared_ptr<http::WebSocket> ws_;
  EventSocketOptions options_;
  asio::any_io_executor ex_;
  asio::steady_timer wake_;     // the writer waits on it; cancelled to wake it
  asio::steady_timer recheck_;  // next still_authorized() call
  events::Hub::Subscription subscription_;
  bool stopping_ = false;

  std::mutex mutex_;
  std::deque<events::Message> queue_;  // guarded by mutex_; never above max_queued_messages
  bool dropped_ = false;               // guarded by mutex_; overflowed or stopping: no more queuing
  bool wake_posted_ = false;           // guarded by mutex_; a wake-up is on its way to the writer
};

}  // namespace

asio::awaitable<void> serve_event_socket(
    std::shared_ptr<http::WebSocket> ws, events::Hub& hub, std::string user_id,
    events::SessionFilter sessions,
    std::function<asio::awaitable<std::vector<std::string>>()> initial,
    std::function<asio::awaitable<bool>()> still_authorized, EventSocketOptions options) {
  auto socket = std::make_shared<EventSocket>(ws, options);
  // Subscribed before the current state is read: an event published meanwhile waits in the queue
  // and follows the state instead of being lost.
  socket->set_subscription(hub.subscribe(std::move(user_id), std::move(sessions), socket));
  std::vector<std::string> first;
  bool failed = false;
  try {
    first = co_await initial();
  } catch (const std::exception& e) {
    log::error("event socket: reading the current state failed", {{"error", e.what()}});
    failed = true;
  }
  if (failed) {
    co_await socket->stop(kInternalError, "internal error");
    socket->release();
    co_return;
  }
  co_await (socket->write_loop(std::move(first)) && socket->read_loop() &&
            socket->recheck_loop(std::move(still_authorized)));
  co_await socket->stop(http::close_code::normal, "");
  socket->release();
}

std::uint64_t slow_consumer_disconnects() noexcept {
  return g_slow_consumer_disconnects.load(std::memory_order_relaxed);
}

}  // namespace gw::ws
