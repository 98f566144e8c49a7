#include "http/server.hpp"

#include <array>
#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <list>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <vector>

#include "http/envelope.hpp"
#include "log/log.hpp"

namespace gw::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace bws = beast::websocket;
using tcp = asio::ip::tcp;
constexpr auto kAsTuple = asio::as_tuple(asio::use_awaitable);

// A syntax error in what the client sent (as opposed to the client going away or timing out).
bool is_parse_error(const beast::error_code& ec) {
  return ec.category() == bhttp::make_error_code(bhttp::error::bad_target).category() &&
         ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message;
}

namespace {
class WsSession;

// State shared between a connection's coroutine and shutdown().
struct Conn {
  explicit Conn(tcp::socket s) : stream(std::move(s)) {}
  beast::tcp_stream stream;
  std::atomic<bool> busy{false};  // a request is being served
  // The WebSocket once its handshake completed; touched on the connection's strand only. Weak:
  // the session owns the Conn (its stream layers over Conn::stream), not the other way round.
  std::weak_ptr<WsSession> ws;
  // Its closing handshake is over (or it failed): nothing left that draining should wait for.
  std::atomic<bool> ws_closed{false};
};

// Fields Beast writes itself in the 101 answer; the handler's headers must not replace them.
bool is_handshake_field(std::string_view name) {
  for (std::string_view f :
       {"Upgrade", "Connection", "Sec-WebSocket-Accept", "Sec-WebSocket-Extensions",
        "Content-Length", "Content-Type", "Transfer-Encoding"}) {
    if (beast::iequals(name, f)) return true;
  }
  return false;
}

// http::WebSocket over a Beast stream that layers over the connection's tcp_stream (by
// reference, so shutdown can still reach the socket through Conn::stream).
// Thread safety: every member runs on the connection's strand. One send() and one receive() may
// be pending together, and close() may run beside both: Beast serializes the frames.
class WsSession final : public WebSocket {
 public:
  WsSession(std::shared_ptr<Conn> conn, std::chrono::milliseconds close_timeout)
      : conn_(std::move(conn)),
        ws_(conn_->stream),
        close_timeout_(close_timeout),
        closed_(conn_->stream.get_executor()) {
    closed_.expires_at(std::chrono::steady_clock::time_point::max());
  }

  bws::stream<beast::tcp_stream&>& stream() { return ws_; }
  [[nodiscard]] bool close_started() const { return close_started_; }

  asio::awaitable<bool> send(std::string text) override {
    if (close_started_ || !ws_.is_open()) co_return false;
    auto [ec, n] = co_await ws_.async_write(asio::buffer(text), kAsTuple);
    co_return !ec;
  }

  asio::awaitable<std::optional<std::string>> receive() override {
    if (close_started_ || !ws_.is_open()) co_return std::nullopt;
    // A message over read_message_max fails here; Beast has then already sent close 1009.
    auto [ec, n] = co_await ws_.async_read(buffer_, kAsTuple);
    if (ec) co_return std::nullopt;
    if (!ws_.got_text()) {
      buffer_.clear();
      co_await close(close_code::unsupported, "binary frames are not accepted");
      co_return std::nullopt;
    }
    std::string text = beast::buffers_to_string(buffer_.data());
    buffer_.clear();
    co_return text;
  }

  asio::awaitable<void> close(std::uint16_t code, std::string reason) override {
    if (close_done_) co_return;
    if (close_started_) {  // a second caller waits for the first close to finish
      co_await closed_.async_wait(kAsTuple);
      co_return;
    }
    close_started_ = true;
    // is_open() is false once Beast closed on its own (peer's close, 1009, failure); a second
    // async_close would then be a precondition violation.
    if (ws_.is_open()) {
      // Beast times the closing handshake only once the close frame can be written; a peer that
      // stopped reading holds a send() pending forever, so the whole close is bounded here.
      asio::steady_timer watchdog(conn_->stream.get_executor(), close_timeout_);
      watchdog.async_wait([conn = conn_](const beast::error_code& ec) {
        if (!ec) conn->stream.close();
      });
      if (reason.size() > 123) reason.resize(123);  // RFC 6455 §5.5: control payload <= 125
      // Any failure ends the connection all the same.
      co_await ws_.async_close(bws::close_reason(static_cast<bws::close_code>(code), reason),
                               kAsTuple);
      watchdog.cancel();
    }
    close_done_ = true;
    conn_->ws_closed = true;
    closed_.cancel();
  }

  asio::any_io_executor executor() override { return conn_->stream.get_executor(); }

 private:
  std::shared_ptr<Conn> conn_;  // before ws_: the stream refers to conn_->stream
  bws::stream<beast::tcp_stream&> ws_;
  std::chrono::milliseconds close_timeout_;
  beast::flat_buffer buffer_;
  asio::steady_timer closed_;  // cancelled when close() finishes; second closers wait on it
  bool close_started_ = false;
  bool close_done_ = false;
};
}  // namespace

namespace {
// Open connections of one kind (HTTP or WebSocket), in total and per client key, against caps.
// Thread safety: acquire/release from any thread (one mutex, held for a map operation).
class ConnectionPool {
 public:
  enum class Refusal { none, total, per_ip };

  ConnectionPool(std::size_t cap, std::size_t cap_per_key) : cap_(cap), cap_per_key_(cap_per_key) {}

  /// Takes a slot for a connection of `key` ("" is exempt from the per-key cap), or says which
  /// cap is full.
  Refusal acquire(const std::string& key) {
    std::lock_guard lock(mu_);
    if (cap_ != 0 && total_ >= cap_) return Refusal::total;
    if (!key.empty()) {
      auto& n = by_key_[key];
      if (cap_per_key_ != 0 && n >= cap_per_key_) {
        if (n == 0) by_key_.erase(key);
        return Refusal::per_ip;
      }
      ++n;
    }
    ++total_;
    return Refusal::none;
  }

  void release(const std::string& key) {
    std::lock_guard lock(mu_);
    --total_;
    if (key.empty()) return;
    if (auto it = by_key_.find(key); it != by_key_.end() && --it->second == 0) by_key_.erase(it);
  }

  std::size_t open() const {
    std::lock_guard lock(mu_);
    return total_;
  }

 private:
  std::size_t cap_;
  std::size_t cap_per_key_;
  mutable std::mutex mu_;
  std::size_t total_ = 0;
  std::unordered_map<std::string, std::size_t> by_key_;  // only keys with open connections
};

// A slot taken from a pool, given back when it goes out of scope (or by release()).
class PoolSlot {
 public:
  PoolSlot() = default;
  PoolSlot(ConnectionPool& pool, std::string key) : pool_(&pool), key_(std::move(key)) {}
  PoolSlot(const PoolSlot&) = delete;
  PoolSlot& operator=(const PoolSlot&) = delete;
  ~PoolSlot() { release(); }
  void release() {
    if (pool_ != nullptr) pool_->release(key_);
    pool_ = nullptr;
  }

 private:
  ConnectionPool* pool_ = nullptr;
  std::string key_;
};

const char* refusal_message(bool websocket, ConnectionPool::Refusal r) {
  if (websocket) {
    return r == ConnectionPool::Refusal::per_ip ? "too many WebSocket connections from this address"
                                                : "too many WebSocket connections; try again later";
  }
  return r == ConnectionPool::Refusal::per_ip ? "too many connections from this address"
                                              : "too many connections; try again later";
}

// The answer to a connection or handshake over a cap: 503, JSON error, Connection: close.
bhttp::response<bhttp::string_body> refusal_response(const std::string& message, unsigned version) {
  Response err = error_response(ErrorKind::unavailable, message);
  bhttp::response<bhttp::string_body> out{bhttp::status::service_unavailable, version};
  out.set(bhttp::field::content_type, err.content_type);
  out.set(bhttp::field::retry_after, "1");
  out.set(bhttp::field::cache_control, "no-store");
  out.set("X-Content-Type-Options", "nosniff");
  out.set(bhttp::field::server, "wa-gateway");
  out.body() = std::move(err.body);
  out.keep_alive(false);
  out.prepare_payload();
  return out;
}
}  // namespace

struct Server::Impl : std::enable_shared_from_this<Server::Impl> {
  Impl(asio::io_context& i, ServerOptions o, ServerHooks h)
      : ioc(i),
        options(std::move(o)),
        hooks(std::move(h)),
        acceptor(asio::make_strand(i)),
        http_pool(options.max_connections, options.max_connections_per_ip),
        ws_pool(options.max_websockets, options.max_websockets_per_ip) {}

  asio::io_context& ioc;
  ServerOptions options;
  ServerHooks hooks;
  tcp::acceptor acceptor;
  std::atomic<bool> stopping{false};
  std::atomic<std::size_t> websockets{0};
  mutable std::mutex mutex;
  std::list<std::weak_ptr<Conn>> conns;  // guarded by mutex
  ConnectionPool http_pool;
  ConnectionPool ws_pool;
  std::atomic<std::uint64_t> refused_http_total{0}, refused_http_per_ip{0}, refused_ws_total{0},
      refused_ws_per_ip{0};
  std::atomic<std::int64_t> last_refusal_log_ms{0};
  static constexpr int kMaxRefusalsInFlight = 256;
  std::atomic<int> refusals_in_flight{0};

  std::string per_ip_key(const std::string& peer) const {
    return options.per_ip_key ? options.per_ip_key(peer) : peer;
  }

  // Counts a refusal and logs it, at most once every 10 s (a flood must not flood the log).
  void note_refusal(bool websocket, ConnectionPool::Refusal r, const std::string& peer) {
    auto& counter =
        websocket
            ? (r == ConnectionPool::Refusal::per_ip ? refused_ws_per_ip : refused_ws_total)
            : (r == ConnectionPool::Refusal::per_ip ? refused_http_per_ip : refused_http_total);
    ++counter;
    const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::steady_clock::now().time_since_epoch())
                         .count();
    auto last = last_refusal_log_ms.load();
    if (now - last >= 10'000 && last_refusal_log_ms.compare_exchange_strong(last, now)) {
      log::warn(
          "connection refused: over a connection cap",
          {{"reason", refusal_message(websocket, r)},
           {"client_ip", peer},
           {"refused_http", static_cast<int64_t>(refused_http_total + refused_http_per_ip)},
           {"refused_websocket", static_cast<int64_t>(refused_ws_total + refused_ws_per_ip)}});
    }
  }

  // Answers a connection accepted over a cap without reading its request, then reads (and drops)
  // what the client sends for a moment so that closing does not reset the connection before the
  // client has read the answer. Bounded to 2 s in all.
  static asio::awaitable<void> refuse(tcp::socket socket, std::string message) {
    beast::tcp_stream stream(std::move(socket));
    stream.expires_after(std::chrono::seconds(2));
    auto out = refusal_response(message, 11);
    auto [wec, wn] = co_await bhttp::async_write(stream, out, kAsTuple);
    beast::error_code ec;
    stream.socket().shutdown(tcp::socket::shutdown_send, ec);
    if (!wec) {
      std::array<char, 4096> sink{};
      while (true) {
        auto [rec, rn] = co_await stream.async_read_some(asio::buffer(sink), kAsTuple);
        if (rec) break;
      }
    }
    stream.close();
  }

  asio::awaitable<void> accept_loop() {
    auto self = shared_from_this();
    while (!stopping) {
      auto [ec, socket] = co_await acceptor.async_accept(asio::make_strand(ioc), kAsTuple);
      if (ec) {
        if (ec == asio::error::operation_aborted || !acceptor.is_open()) break;
        // EMFILE and friends: back off briefly instead of spinning.
        asio::steady_timer t(acceptor.get_executor(), std::chrono::milliseconds(50));
        co_await t.async_wait(kAsTuple);
        continue;
      }
      beast::error_code peer_ec;
      auto ep = socket.remote_endpoint(peer_ec);
      std::string peer = peer_ec ? std::string("unknown") : ep.address().to_string();
      std::string key = per_ip_key(peer);
      if (auto r = http_pool.acquire(key); r != ConnectionPool::Refusal::none) {
        note_refusal(false, r, peer);
        // Each answered refusal holds its descriptor for up to 2 s; under a flood, beyond
        // kMaxRefusalsInFlight of them, the connection is closed at once without an answer.
        if (refusals_in_flight.fetch_add(1) >= kMaxRefusalsInFlight) {
          --refusals_in_flight;
          beast::error_code close_ec;
          socket.close(close_ec);
          continue;
        }
        auto ex = socket.get_executor();
        asio::co_spawn(ex, refuse(std::move(socket), refusal_message(false, r)),
                       [self](const std::exception_ptr&) { --self->refusals_in_flight; });
        continue;
      }
      auto conn = std::make_shared<Conn>(std::move(socket));
      std::list<std::weak_ptr<Conn>>::iterator pos;
      {
        std::lock_guard lock(mutex);
        pos = conns.insert(conns.end(), conn);
      }
      auto ex = conn->stream.get_executor();
      asio::co_spawn(ex, serve(conn, std::move(key)), [self, pos](const std::exception_ptr&) {
        std::lock_guard lock(self->mutex);
        self->conns.erase(pos);
      });
    }
  }

  // Builds a Request from what the parser has seen so far.
  static Request to_request(const bhttp::request_parser<bhttp::string_body>& parser,
                            const std::string& peer) {
    Request r;
    r.peer_ip = peer;
    r.client_ip = peer;
    if (!parser.is_header_done()) return r;
    const auto& msg = parser.get();
    r.method = std::string(msg.method_string());
    r.target = std::string(msg.target());
    auto q = r.target.find('?');
    r.path = r.target.substr(0, q);
    if (q != std::string::npos) r.query = r.target.substr(q + 1);
    for (const auto& f : msg) r.headers.add(std::string(f.name_string()), std::string(f.value()));
    r.keep_alive = msg.keep_alive();
    r.websocket_upgrade = bws::is_upgrade(msg);
    return r;
  }

  // `head`: the answer to a HEAD request, whose header is sent without the body (RFC 9110 §9.3.2).
  asio::awaitable<void> write(Conn& c, Response& res, unsigned version, bool keep_alive,
                              bool head = false) {
    bhttp::response<bhttp::string_body> out{static_cast<bhttp::status>(res.status), version};
    for (const auto& [name, value] : res.headers.all()) out.insert(name, value);
    if (!res.content_type.empty()) out.set(bhttp::field::content_type, res.content_type);
    out.body() = std::move(res.body);
    out.keep_alive(keep_alive);
    out.prepare_payload();
    c.stream.expires_after(options.write_timeout);
    if (head) {
      if (res.head_content_length) out.content_length(*res.head_content_length);
      bhttp::response_serializer<bhttp::string_body> sr{out};
      co_await bhttp::async_write_header(c.stream, sr, kAsTuple);
      co_return;
    }
    co_await bhttp::async_write(c.stream, out, kAsTuple);
  }

  asio::awaitable<void> reject(Conn& c, Request& partial, ErrorKind kind, const std::string& msg,
                               unsigned version) {
    Response res = hooks.reject(partial, kind, msg);
    co_await write(c, res, version ? version : 11, false);
  }

  // `key`: the per-IP key the connection's HTTP slot (taken by accept_loop) counts under.
  asio::awaitable<void> serve(std::shared_ptr<Conn> conn, std::string key) {
    auto self = shared_from_this();
    PoolSlot http_slot(http_pool, key);
    Conn& c = *conn;
    beast::error_code peer_ec;
    auto ep = c.stream.socket().remote_endpoint(peer_ec);
    std::string peer = peer_ec ? std::string("unknown") : ep.address().to_string();
    beast::flat_buffer buffer;
    bool first = true;
    while (!stopping) {
      std::optional<bhttp::request_parser<bhttp::string_body>> parser;
      parser.emplace();
      parser->header_limit(static_cast<std::uint32_t>(options.max_header_bytes));
      parser->body_limit(options.max_body_bytes);

      // Between requests the idle timeout applies until the first byte, then the header timeout.
      if (buffer.size() == 0 && !first) {
        c.stream.expires_after(options.idle_timeout);
        auto [ec, n] = co_await c.stream.async_read_some(buffer.prepare(1024), kAsTuple);
        if (ec) break;
        buffer.commit(n);
      }
      first = false;
      c.stream.expires_after(options.header_timeout);
      auto [hec, hn] = co_await bhttp::async_read_header(c.stream, buffer, *parser, kAsTuple);
      if (hec) {
        Request partial = to_request(*parser, peer);
        if (hec == bhttp::error::header_limit) {
          co_await reject(
              c, partial, ErrorKind::headers_too_large,
              "request headers larger than " + std::to_string(options.max_header_bytes) + " bytes",
              0);
        } else if (hec == bhttp::error::body_limit) {
          // A declared Content-Length over the limit is refused before reading the body.
          co_await reject(
              c, partial, ErrorKind::payload_too_large,
              "request body larger than " + std::to_string(options.max_body_bytes) + " bytes", 0);
        } else if (hec == beast::error::timeout) {
          if (buffer.size() > 0) {
            co_await reject(c, partial, ErrorKind::request_timeout,
                            "request headers not received in time", 0);
          }
        } else if (is_parse_error(hec)) {
          co_await reject(c, partial, ErrorKind::bad_request,
                          "malformed HTTP request: " + hec.message(), 0);
        }
        break;
      }
      c.busy = true;
      unsigned version = parser->get().version();
      Request partial = to_request(*parser, peer);
      if (!parser->is_done()) {
        if (auto expect = parser->get()[bhttp::field::expect];
            beast::iequals(expect, "100-continue")) {
          bhttp::response<bhttp::empty_body> cont{bhttp::status::continue_, version};
          c.stream.expires_after(options.write_timeout);
          co_await bhttp::async_write(c.stream, cont, kAsTuple);
        }
        c.stream.expires_after(options.body_timeout);
        auto [bec, bn] = co_await bhttp::async_read(c.stream, buffer, *parser, kAsTuple);
        if (bec) {
          if (bec == bhttp::error::body_limit) {
            co_await reject(
                c, partial, ErrorKind::payload_too_large,
                "request body larger than " + std::to_string(options.max_body_bytes) + " bytes",
                version);
          } else if (bec == beast::error::timeout) {
            co_await reject(c, partial, ErrorKind::request_timeout,
                            "request body not received in time", version);
          } else if (is_parse_error(bec)) {
            co_await reject(c, partial, ErrorKind::bad_request,
                            "malformed HTTP request body: " + bec.message(), version);
          }
          break;
        }
      }
      Request req = std::move(partial);
      // The header stays for a WebSocket handshake, which Beast answers from the parsed request.
      bhttp::request<bhttp::string_body> msg = parser->release();
      req.body = std::move(msg.body());
      parser.reset();
      c.stream.expires_never();
      // A handshake takes its WebSocket slot before the handler (and authentication) runs, so
      // that a flood over the cap costs no database work and the count cannot race.
      std::optional<PoolSlot> ws_slot;
      if (req.websocket_upgrade) {
        if (auto r = ws_pool.acquire(key); r != ConnectionPool::Refusal::none) {
          note_refusal(true, r, peer);
          auto out = refusal_response(refusal_message(true, r), version);
          c.stream.expires_after(options.write_timeout);
          co_await bhttp::async_write(c.stream, out, kAsTuple);
          break;
        }
        ws_slot.emplace(ws_pool, key);
      }
      Response res = co_await hooks.handle(req);
      if (res.status == 101 && res.upgrade && req.websocket_upgrade) {
        http_slot.release();  // from now on it counts as a WebSocket
        co_await run_websocket(conn, msg, res);
        break;
      }
      if (res.status == 101) res = refuse_upgrade(std::move(res));
      bool keep_alive = req.keep_alive && !res.close && !stopping;
      co_await write(c, res, version, keep_alive, req.method == "HEAD");
      c.busy = false;
      if (!keep_alive) break;
    }
    beast::error_code ec;
    c.stream.socket().shutdown(tcp::socket::shutdown_send, ec);
    c.stream.close();
  }

  // A 101 that cannot be honoured: with an UpgradeHandler the request was no handshake, which
  // is 426 (RFC 7231 §6.5.15); without one it is the handler's bug. The handler's headers
  // (request id, CORS, security) stay.
  static Response refuse_upgrade(Response res) {
    bool wanted_upgrade = static_cast<bool>(res.upgrade);
    Response err = wanted_upgrade ? error_response(ErrorKind::bad_request,
                                                   "this endpoint takes WebSocket connections only")
                                  : error_response(ErrorKind::internal, "internal error");
    res.status = wanted_upgrade ? 426 : err.status;
    res.content_type = std::move(err.content_type);
    res.body = std::move(err.body);
    res.upgrade = nullptr;
    if (wanted_upgrade) {
      res.headers.set("Upgrade", "websocket");
      res.headers.set("Connection", "Upgrade");
    }
    return res;
  }

  // Completes the handshake the handler accepted and runs its UpgradeHandler; the connection
  // ends with it.
  asio::awaitable<void> run_websocket(const std::shared_ptr<Conn>& conn,
                                      const bhttp::request<bhttp::string_body>& msg,
                                      Response& res) {
    auto session = std::make_shared<WsSession>(conn, options.websocket_handshake_timeout);
    auto& ws = session->stream();
    // Beast's timeouts replace the tcp_stream's (expires_never above): handshake and close
    // bounded, then pings after half the idle time and a drop after all of it.
    ws.set_option(bws::stream_base::timeout{options.websocket_handshake_timeout,
                                            options.websocket_idle_timeout, true});
    ws.read_message_max(options.websocket_max_message_bytes);
    ws.text(true);
    ws.set_option(bws::stream_base::decorator([headers = res.headers](bws::response_type& out) {
      for (const auto& [name, value] : headers.all()) {
        if (!is_handshake_field(name)) out.insert(name, value);
      }
      // Otherwise Beast names itself and its version.
      if (out.count(bhttp::field::server) == 0) out.set(bhttp::field::server, "wa-gateway");
    }));
    // An invalid handshake (no key, wrong version) is answered 400/426 by Beast and fails here.
    auto [ec] = co_await ws.async_accept(msg, kAsTuple);
    if (ec) co_return;
    conn->ws = session;
    ++websockets;
    struct Count {
      std::atomic<std::size_t>& n;
      ~Count() { --n; }
    } count{websockets};
    if (stopping) co_await session->close(close_code::going_away, "server shutting down");
    std::string failure;
    try {
      co_await res.upgrade(session);
    } catch (const std::exception& e) {
      failure = e.what();
    }
    if (!failure.empty()) {
      log::error("websocket handler failed", {{"error", failure}});
      co_await session->close(1011, "internal error");  // RFC 6455 §7.4.1: internal error
    }
    co_await session->close(close_code::normal, "");
  }

  std::vector<std::shared_ptr<Conn>> live() const {
    std::vector<std::shared_ptr<Conn>> out;
    std::lock_guard lock(mutex);
    for (const auto& w : conns) {
      if (auto c = w.lock()) out.push_back(std::move(c));
    }
    return out;
  }

  // A coroutine function, not a capturing lambda coroutine: g++ 12 destroys the captures of a
  // lambda coroutine handed to co_spawn twice (gateway/src/util/coro.hpp).
  static asio::awaitable<void> close_going_away(std::shared_ptr<WsSession> ws) {
    co_await ws->close(close_code::going_away, "server shutting down");
  }

  // Closes an idle connection (only_idle) or any connection. A WebSocket is asked to close with
  // 1001 instead; that close takes at most websocket_handshake_timeout.
  static void close_on_strand(const std::shared_ptr<Conn>& c, bool only_idle) {
    asio::post(c->stream.get_executor(), [c, only_idle] {
      if (auto ws = c->ws.lock(); ws && only_idle) {
        if (!ws->close_started()) {
          asio::co_spawn(c->stream.get_executor(), close_going_away(ws), asio::detached);
        }
        return;
      }
      if (only_idle && c->busy) return;
      c->stream.close();
    });
  }
};

Server::Server(asio::io_context& ioc, ServerOptions options, ServerHooks hooks)
    : impl_(std::make_shared<Impl>(ioc, std::move(options), std::move(hooks))) {}

Server::~Server() = default;

uint16_t Server::start() {
  auto& a = impl_->acceptor;
  tcp::endpoint ep(asio::ip::make_address(impl_->options.bind_address), impl_->options.port);
  a.open(ep.protocol());
  a.set_option(asio::socket_base::reuse_address(true));
  a.bind(ep);
  a.listen(asio::socket_base::max_listen_connections);
  uint16_t port = a.local_endpoint().port();
  asio::co_spawn(a.get_executor(), impl_->accept_loop(), asio::detached);
  return port;
}

asio::awaitable<bool> Server::shutdown(std::chrono::milliseconds timeout) {
  auto impl = impl_;
  impl->stopping = true;
  asio::post(impl->acceptor.get_executor(), [impl] {
    beast::error_code ec;
    impl->acceptor.close(ec);
  });
  auto deadline = std::chrono::steady_clock::now() + timeout;
  asio::steady_timer timer(co_await asio::this_coro::executor);
  bool drained = false;
  while (true) {
    auto conns = impl->live();
    for (const auto& c : conns) Impl::close_on_strand(c, true);
    // A WebSocket whose close is over is not waited for: its handler may take its time to notice,
    // and whatever it still does cannot reach the peer.
    std::erase_if(conns, [](const std::shared_ptr<Conn>& c) { return c->ws_closed.load(); });
    if (conns.empty()) {
      drained = true;
      break;
    }
    if (std::chrono::steady_clock::now() >= deadline) break;
    timer.expires_after(std::chrono::milliseconds(20));
    co_await timer.async_wait(kAsTuple);
  }
  for (const auto& c : impl->live()) Impl::close_on_strand(c, false);
  co_return drained;
}

std::size_t Server::open_connections() const {
  return impl_->live().size();
}

std::size_t Server::open_websockets() const {
  return impl_->websockets.load();
}

std::size_t Server::open_http_connections() const {
  return impl_->http_pool.open();
}

RefusedConnections Server::refused() const {
  return {impl_->refused_http_total.load(), impl_->refused_http_per_ip.load(),
          impl_->refused_ws_total.load(), impl_->refused_ws_per_ip.load()};
}

}  // namespace gw::http
