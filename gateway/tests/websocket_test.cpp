// WebSocket support end to end: a real http::Server on port 0 whose handle hook accepts upgrades
// on /ws/events and runs ws::serve_event_socket with a Hub, and a Beast WebSocket client over a
// real TCP socket. Every client operation has a generous deadline (the tcp_stream timeout), so
// a broken feature fails a test instead of hanging it; nothing asserts on a duration except
// "within a few seconds".
#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json/parse.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "events/hub.hpp"
#include "http/envelope.hpp"
#include "http/server.hpp"
#include "util/time.hpp"
#include "ws/event_socket.hpp"

namespace gw {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace bws = beast::websocket;
using tcp = asio::ip::tcp;
constexpr auto kAsTuple = asio::as_tuple(asio::use_awaitable);
// Deadline for any single wait: far above what a loaded 2-core machine needs.
constexpr std::chrono::seconds kWait{10};

events::Message msg(std::string s) {
  return std::make_shared<const std::string>(std::move(s));
}

template <class Pred>
bool eventually(Pred pred) {
  auto deadline = std::chrono::steady_clock::now() + kWait;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

struct Frame {
  beast::error_code ec;
  std::string text;
  bool binary = false;
};

// A WebSocket client on its own strand of the test's io_context; each call runs one operation
// there and blocks the test thread until it completes (or its deadline passes).
class Client {
  // Runs `f` (returning an awaitable) on the client's strand and waits for its result.
  template <class F>
  auto run(F f) {
    return asio::co_spawn(strand_, std::move(f), asio::use_future).get();
  }

 public:
  Client(asio::io_context& ioc, std::uint16_t port)
      : port_(port), strand_(asio::make_strand(ioc)), ws_(std::make_shared<Ws>(strand_)) {}
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;
  ~Client() {
    run([ws = ws_]() -> asio::awaitable<void> {
      beast::error_code ec;
      beast::get_lowest_layer(*ws).socket().close(ec);
      co_return;
    });
  }

  /// Connects and performs the handshake; the server's 101 answer is returned.
  bws::response_type connect(const std::string& target, beast::error_code& out) {
    return run([this, target, &out]() -> asio::awaitable<bws::response_type> {
      auto& lowest = beast::get_lowest_layer(*ws_);
      lowest.expires_after(kWait);
      auto [ec] = co_await lowest.async_connect(
          tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_), kAsTuple);
      bws::response_type res;
      if (!ec) {
        lowest.expires_after(kWait);
        std::tie(ec) = co_await ws_->async_handshake(res, "127.0.0.1", target, kAsTuple);
      }
      out = ec;
      co_return res;
    });
  }

  void connect_ok(const std::string& target) {
    beast::error_code ec;
    connect(target, ec);
    ASSERT_FALSE(ec) << ec.message();
  }

  Frame read() {
    return run([this]() -> asio::awaitable<Frame> {
      beast::flat_buffer buffer;
      beast::get_lowest_layer(*ws_).expires_after(kWait);
      auto [ec, n] = co_await ws_->async_read(buffer, kAsTuple);
      co_return Frame{ec, beast::buffers_to_string(buffer.data()), !ws_->got_text()};
    });
  }

  /// The next message's text; a failed test when the read fails.
  std::string read_text() {
    Frame f = read();
    EXPECT_FALSE(f.ec) << f.ec.message();
    return f.text;
  }

  beast::error_code write(std::string text, bool binary = false) {
    return run([this, text = std::move(text), binary]() -> asio::awaitable<beast::error_code> {
      ws_->binary(binary);
      beast::get_lowest_layer(*ws_).expires_after(kWait);
      auto [ec, n] = co_await ws_->async_write(asio::buffer(text), kAsTuple);
      co_return ec;
    });
  }

  /// Reads until the server closes; the close code it sent (0 when it never sent one). With
  /// `abrupt_ok`, the socket may be gone before our close answer is written, so the read may
  /// fail with any socket error (see the 1009 test).
  std::uint16_t read_until_closed(bool abrupt_ok = false) {
    Frame f;
    do {
      f = read();
    } while (!f.ec);
    if (!abrupt_ok) {
      EXPECT_EQ(f.ec, bws::error::closed) << f.ec.message();
    }
    return run([this]() -> asio::awaitable<std::uint16_t> { co_return ws_->reason().code; });
  }

 private:
  using Ws = bws::stream<beast::tcp_stream>;

  std::uint16_t port_;
  asio::strand<asio::io_context::executor_type> strand_;
  std::shared_ptr<Ws> ws_;
};

class WebSocketTest : public ::testing::Test {
 protected:
  void TearDown() override {
    if (server_ && !shut_down_) shutdown_server();
    work_.reset();
    // Everything has ended, so the threads run out of work; stop() only so that a leak fails
    // this test instead of hanging the binary.
    if (!eventually([this] { return ioc_.stopped(); })) {
      ADD_FAILURE() << "io_context still has work after shutdown";
      ioc_.stop();
    }
    for (auto& t : threads_) t.join();
  }

  void start(http::ServerOptions so = {}) {
    so.bind_address = "127.0.0.1";
    so.port = 0;
    http::ServerHooks hooks;
    hooks.handle = [this](http::Request& req) -> asio::awaitable<http::Response> {
      co_return route(req);
    };
    hooks.reject = [](http::Request&, http::ErrorKind kind, const std::string& message) {
      return http::error_response(kind, message);
    };
    server_ = std::make_unique<http::Server>(ioc_, so, std::move(hooks));
    port_ = server_->start();
    work_.emplace(ioc_.get_executor());
    for (int i = 0; i < 2; ++i) threads_.emplace_back([this] { ioc_.run(); });
  }

  bool shutdown_server() {
    shut_down_ = true;
    return asio::co_spawn(ioc_, server_->shutdown(kWait), asio::use_future).get();
  }

  // /ws/events?user=..&session=..: always answers 101, as a route does once authenticated; the
  // server turns that into 426 when the request was no handshake.
  http::Response route(http::Request& req) {
    if (req.path != "/ws/events") return http::error_response(http::ErrorKind::not_found, "no");
    last_upgrade_flag_ = req.websocket_upgrade;
    http::Response res;
    res.status = 101;
    res.headers.set("X-Request-Id", "req-123");
    res.headers.set("Content-Type", "text/plain");  // must not reach the handshake answer
    std::string user = req.query_param("user").value_or("u1");
    std::string session = req.query_param("session").value_or("");
    res.upgrade = [this, user, session](std::shared_ptr<http::WebSocket> ws) {
      return ws::serve_event_socket(
          std::move(ws), hub_, user,
          session.empty() ? events::SessionFilter::all() : events::SessionFilter::one(session),
          [this]() -> asio::awaitable<std::vector<std::string>> {
            if (during_initial_) during_initial_();
            co_return initial_;
          },
          [this]() -> asio::awaitable<bool> { co_return authorized_.load(); }, event_options_);
    };
    return res;
  }

  std::unique_ptr<Client> connect(const std::string& target) {
    auto c = std::make_unique<Client>(ioc_, port_);
    c->connect_ok(target);
    return c;
  }

  // Declared first: subscriptions still held by coroutine frames unsubscribe from it when the
  // io_context is destroyed.
  events::Hub hub_;
  asio::io_context ioc_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  std::vector<std::thread> threads_;
  std::unique_ptr<http::Server> server_;
  std::uint16_t port_ = 0;
  bool shut_down_ = false;

  ws::EventSocketOptions event_options_;
  std::vector<std::string> initial_{"hello"};
  std::function<void()> during_initial_;
  std::atomic<bool> authorized_{true};
  std::atomic<bool> last_upgrade_flag_{false};
};

class EventSocketTest : public WebSocketTest {};

TEST_F(WebSocketTest, HandshakeCarriesHandlerHeadersButNotBeastsName) {
  start();
  Client c(ioc_, port_);
  beast::error_code ec;
  auto res = c.connect("/ws/events", ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_TRUE(last_upgrade_flag_);
  EXPECT_EQ(res.result(), bhttp::status::switching_protocols);
  EXPECT_EQ(res["X-Request-Id"], "req-123");
  EXPECT_EQ(res[bhttp::field::content_type], "");
  EXPECT_EQ(res[bhttp::field::server].find("Beast"), std::string::npos);
  EXPECT_EQ(c.read_text(), "hello");
  EXPECT_EQ(server_->open_websockets(), 1u);
}

TEST_F(WebSocketTest, PlainRequestToUpgradeRouteGets426) {
  start();
  auto strand = asio::make_strand(ioc_);
  auto res =
      asio::co_spawn(
          strand,
          [&]() -> asio::awaitable<bhttp::response<bhttp::string_body>> {
            beast::tcp_stream s(strand);
            s.expires_after(kWait);
            co_await s.async_connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_),
                                     asio::use_awaitable);
            bhttp::request<bhttp::empty_body> req{bhttp::verb::get, "/ws/events", 11};
            req.set(bhttp::field::host, "127.0.0.1");
            co_await bhttp::async_write(s, req, asio::use_awaitable);
            beast::flat_buffer buffer;
            bhttp::response<bhttp::string_body> out;
            co_await bhttp::async_read(s, buffer, out, asio::use_awaitable);
            co_return out;
          },
          asio::use_future)
          .get();
  EXPECT_FALSE(last_upgrade_flag_);
  EXPECT_EQ(res.result_int(), 426);
  EXPECT_TRUE(beast::iequals(res[bhttp::field::upgrade], "websocket"));
  EXPECT_EQ(res["X-Request-Id"], "req-123");
  EXPECT_NE(res.body().find("\"success\":false"), std::string::npos) << res.body();
  EXPECT_EQ(server_->open_websockets(), 0u);
}

TEST_F(WebSocketTest, MessageOverTheLimitClosesWith1009) {
  http::ServerOptions so;
  so.websocket_max_message_bytes = 1024;
  start(so);
  auto c = connect("/ws/events");
  EXPECT_EQ(c->read_text(), "hello");
  ASSERT_FALSE(c->write(std::string(4096, 'x')));
  // Beast sends the 1009 close frame, then its teardown (1.81) may close the socket with the
  // rest of the message unread, so the client's close answer can meet a reset (EPIPE, ENOTCONN;
  // Beast #802).
  // The close frame, and so the code, has arrived either way.
  EXPECT_EQ(c->read_until_closed(/*abrupt_ok=*/true), http::close_code::too_big);
  EXPECT_TRUE(eventually([&] { return hub_.subscriber_count() == 0; }));
}

TEST_F(WebSocketTest, BinaryFrameClosesWith1003) {
  start();
  auto c = connect("/ws/events");
  EXPECT_EQ(c->read_text(), "hello");
  ASSERT_FALSE(c->write(R"({"type":"ping"})", /*binary=*/true));
  EXPECT_EQ(c->read_until_closed(), http::close_code::unsupported);
}

TEST_F(WebSocketTest, ShutdownClosesOpenSocketsWith1001) {
  start();
  auto a = connect("/ws/events");
  auto b = connect("/ws/events?user=u2");
  EXPECT_EQ(a->read_text(), "hello");
  EXPECT_EQ(b->read_text(), "hello");
  EXPECT_EQ(server_->open_websockets(), 2u);
  shut_down_ = true;
  auto drained = asio::co_spawn(ioc_, server_->shutdown(kWait), asio::use_future);
  EXPECT_EQ(a->read_until_closed(), http::close_code::going_away);
  EXPECT_EQ(b->read_until_closed(), http::close_code::going_away);
  EXPECT_TRUE(drained.get());
  // Draining stops waiting once the closes are over; the handlers end right after.
  EXPECT_TRUE(eventually([&] { return server_->open_websockets() == 0; }));
  EXPECT_TRUE(eventually([&] { return server_->open_connections() == 0; }));
  EXPECT_TRUE(eventually([&] { return hub_.subscriber_count() == 0; }));
}

TEST_F(WebSocketTest, UnresponsivePeerIsDroppedAfterIdleTimeout) {
  http::ServerOptions so;
  so.websocket_idle_timeout = std::chrono::milliseconds(600);
  so.websocket_handshake_timeout = std::chrono::milliseconds(300);
  start(so);
  auto c = connect("/ws/events");
  EXPECT_EQ(c->read_text(), "hello");
  // The client reads no more, so it never answers the server's ping.
  EXPECT_TRUE(eventually([&] { return server_->open_websockets() == 0; }));
  EXPECT_TRUE(eventually([&] { return hub_.subscriber_count() == 0; }));
}

TEST_F(EventSocketTest, InitialStateFirstThenPublishedInOrder) {
  initial_ = {"state-1", "state-2"};
  // Published after subscribing but before the state is sent: must follow it, not be lost.
  during_initial_ = [this] { hub_.publish("u1", "s1", msg("during")); };
  start();
  auto c = connect("/ws/events?user=u1&session=s1");
  EXPECT_EQ(c->read_text(), "state-1");
  EXPECT_EQ(c->read_text(), "state-2");
  EXPECT_EQ(c->read_text(), "during");
  for (int i = 0; i < 20; ++i) hub_.publish("u1", "s1", msg("event-" + std::to_string(i)));
  for (int i = 0; i < 20; ++i) EXPECT_EQ(c->read_text(), "event-" + std::to_string(i));
}

TEST_F(EventSocketTest, SubscriptionFiltersByUserAndSession) {
  start();
  auto one_session = connect("/ws/events?user=u1&session=s1");
  auto all_sessions = connect("/ws/events?user=u1");
  auto other_user = connect("/ws/events?user=u2");
  // The initial message proves each is subscribed (subscription precedes it).
  for (auto* c : {one_session.get(), all_sessions.get(), other_user.get()}) {
    EXPECT_EQ(c->read_text(), "hello");
  }
  hub_.publish("u1", "s2", msg("u1-s2"));
  hub_.publish("u2", "s1", msg("u2-s1"));
  hub_.publish("u1", "s1", msg("u1-s1"));
  hub_.publish("u2", "s9", msg("u2-end"));
  // Delivery keeps publication order, so the next message read shows what was skipped.
  EXPECT_EQ(one_session->read_text(), "u1-s1");
  EXPECT_EQ(all_sessions->read_text(), "u1-s2");
  EXPECT_EQ(all_sessions->read_text(), "u1-s1");
  EXPECT_EQ(other_user->read_text(), "u2-s1");
  EXPECT_EQ(other_user->read_text(), "u2-end");
  hub_.publish("u1", "s1", msg("u1-end"));
  EXPECT_EQ(all_sessions->read_text(), "u1-end");  // u2-end was not delivered to u1
  EXPECT_EQ(one_session->read_text(), "u1-end");
}

TEST_F(EventSocketTest, PingIsAnsweredWithPong) {
  start();
  auto c = connect("/ws/events");
  EXPECT_EQ(c->read_text(), "hello");
  ASSERT_FALSE(c->write(R"({"type":"ping"})"));
  auto text = c->read_text();
  boost::system::error_code ec;
  auto v = boost::json::parse(text, ec);
  ASSERT_FALSE(ec) << text;
  ASSERT_TRUE(v.is_object()) << text;
  EXPECT_EQ(v.at("type"), "pong");
  const auto& ts = v.at("timestamp").as_string();
  EXPECT_TRUE(util::parse_iso8601(std::string(ts.c_str())).has_value()) << text;
  EXPECT_EQ(ts.back(), 'Z');
  // Still open: a second ping gets a second pong.
  ASSERT_FALSE(c->write(R"({"type":"ping"})"));
  EXPECT_NE(c->read_text().find("pong"), std::string::npos);
}

TEST_F(EventSocketTest, AnythingButPingClosesWith1003) {
  start();
  for (std::string bad : {"hello", R"({"type":"subscribe"})", "[1,2]", R"({"type":1})"}) {
    auto c = connect("/ws/events");
    EXPECT_EQ(c->read_text(), "hello");
    ASSERT_FALSE(c->write(bad));
    EXPECT_EQ(c->read_until_closed(), http::close_code::unsupported) << bad;
  }
  EXPECT_TRUE(eventually([&] { return hub_.subscriber_count() == 0; }));
}

TEST_F(EventSocketTest, RevokedAuthorizationClosesWith1008) {
  event_options_.recheck_interval = std::chrono::milliseconds(100);
  start();
  auto c = connect("/ws/events");
  EXPECT_EQ(c->read_text(), "hello");
  auto revoked = std::chrono::steady_clock::now();
  authorized_ = false;
  EXPECT_EQ(c->read_until_closed(), http::close_code::policy);
  EXPECT_LT(std::chrono::steady_clock::now() - revoked, std::chrono::seconds(5));
  EXPECT_TRUE(eventually([&] { return hub_.subscriber_count() == 0; }));
}

TEST_F(EventSocketTest, SlowConsumerIsDisconnectedAndItsQueueDropped) {
  event_options_.max_queued_messages = 8;
  http::ServerOptions so;
  // The client below never reads, so the close frame can never be written: bound the wait.
  so.websocket_handshake_timeout = std::chrono::milliseconds(300);
  start(so);
  auto before = ws::slow_consumer_disconnects();
  auto c = connect("/ws/events");
  EXPECT_EQ(c->read_text(), "hello");
  ASSERT_EQ(hub_.subscriber_count(), 1u);
  // 256 KiB each, never read: the socket buffers fill within a few dozen, the writer blocks and
  // the queue overflows. Publishing stops as soon as the hub has dropped the subscriber.
  auto big = msg(std::string(256 * 1024, 'x'));
  int published = 0;
  while (hub_.subscriber_count() > 0 && published < 5000) {
    hub_.publish("u1", "s1", big);
    ++published;
  }
  EXPECT_TRUE(eventually([&] { return hub_.subscriber_count() == 0; }))
      << "published " << published;
  EXPECT_TRUE(eventually([&] { return server_->open_websockets() == 0; }));
  EXPECT_TRUE(eventually([&] { return server_->open_connections() == 0; }));
  EXPECT_EQ(ws::slow_consumer_disconnects(), before + 1);
}

}  // namespace
}  // namespace gw

namespace {
struct CountingSubscriber : gw::events::Subscriber {
  int delivered = 0;
  void deliver(const gw::events::Message&) override { ++delivered; }
};
}  // namespace

// At shutdown a WebSocket's coroutine frame (and its subscription) can be destroyed with the
// io_context, after the hub: the subscription must then do nothing (it used to reach into the
// freed hub; AddressSanitizer reported a heap-use-after-free in a `make test` run).
TEST(EventHub, ASubscriptionThatOutlivesItsHubDoesNothing) {
  auto sub = std::make_shared<CountingSubscriber>();
  gw::events::Hub::Subscription kept;
  {
    gw::events::Hub hub;
    kept = hub.subscribe("u1", gw::events::SessionFilter::all(), sub);
    auto other = hub.subscribe("u1", gw::events::SessionFilter::one("s1"), sub);
    hub.publish("u1", "s1", std::make_shared<const std::string>("m"));
    EXPECT_EQ(sub->delivered, 2);
    other.reset();
    EXPECT_EQ(hub.subscriber_count(), 1U);
  }
  kept.reset();  // the hub is gone
  gw::events::Hub::Subscription moved = std::move(kept);
  SUCCEED();
}
