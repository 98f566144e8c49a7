// The only translation unit that includes Boost.Beast (compile cost: see deps-notes).
#include "wa/socket/websocket.hpp"

#include <openssl/ssl.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <boost/url/parse.hpp>

namespace wa::socket {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = boost::beast::websocket;
using tcp = asio::ip::tcp;
using ms = std::chrono::milliseconds;
constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

Result<WsUrl> parse_ws_url(std::string_view url) {
  auto u = boost::urls::parse_uri(url);
  if (!u) return {Errc::invalid_argument, "malformed URL: " + std::string(url)};
  WsUrl out;
  const auto scheme = u->scheme();
  if (scheme == "wss") {
    out.tls = true;
  } else if (scheme != "ws") {
    return {Errc::invalid_argument, "URL scheme must be ws or wss: " + std::string(url)};
  }
  out.host = std::string(u->encoded_host());
  if (out.host.empty()) return {Errc::invalid_argument, "URL without host: " + std::string(url)};
  // An IPv6 literal is bracketed in the URL but not for the resolver.
  std::string resolve_host = out.host;
  if (resolve_host.size() > 2 && resolve_host.front() == '[')
    resolve_host = resolve_host.substr(1, resolve_host.size() - 2);
  out.port = u->has_port() ? std::string(u->port()) : (out.tls ? "443" : "80");
  out.host_header = u->has_port() ? out.host + ":" + out.port : out.host;
  out.host = resolve_host;
  out.target = u->encoded_path().empty() ? "/" : std::string(u->encoded_path());
  if (u->has_query()) out.target += "?" + std::string(u->encoded_query());
  return out;
}

/// The connection behind WebSocket, type-erased over plain and TLS streams.
struct WebSocket::Impl {
  virtual ~Impl() = default;
  virtual asio::awaitable<Result<std::vector<std::uint8_t>>> read() = 0;
  virtual asio::awaitable<Result<void>> write(std::span<const std::uint8_t> data) = 0;
  virtual asio::awaitable<void> close() = 0;
  virtual void set_read_timeout(ms timeout) = 0;
};

namespace {

template <bool Tls>
using StreamOf = std::conditional_t<Tls, beast::ssl_stream<beast::tcp_stream>, beast::tcp_stream>;

// A deadline for the operations in flight: on expiry it closes the socket, which aborts them.
// The handler holds only a weak reference, so it is harmless after the connection is gone.
class Watchdog {
 public:
  explicit Watchdog(const asio::any_io_executor& ex) : timer_(ex) {}
  template <class OnExpire>
  void arm(ms d, OnExpire on_expire) {
    fired_ = false;
    if (d.count() <= 0) return;
    timer_.expires_after(d);
    timer_.async_wait([on_expire](const boost::system::error_code& ec) {
      if (!ec) on_expire();
    });
  }
  void disarm() { timer_.cancel(); }
  bool fired() const noexcept { return fired_; }
  void set_fired() noexcept { fired_ = true; }

 private:
  asio::steady_timer timer_;
  bool fired_ = false;
};

template <bool Tls>
class Connection final : public WebSocket::Impl,
                         public std::enable_shared_from_this<Connection<Tls>> {
 public:
  Connection(const asio::any_io_executor& ex, WebSocketOptions opts)
      : opts_(std::move(opts)),
        ssl_(asio::ssl::context::tls_client),
        ws_(make_stream(ex)),
        resolver_(ex),
        connect_dog_(ex),
        read_dog_(ex),
        write_dog_(ex) {}

  ~Connection() override { forget_socket(); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  asio::awaitable<Result<void>> connect(const WsUrl& url) {
    arm(connect_dog_, opts_.connect_timeout, true);
    auto r = co_await connect_steps(url);
    connect_dog_.disarm();
    if (!r && connect_dog_.fired())
      co_return Error{Errc::transport_connect, "timed out after " +
                                                   std::to_string(opts_.connect_timeout.count()) +
                                                   " ms (" + r.error().detail + ")"};
    co_return r;
  }

  asio::awaitable<Result<std::vector<std::uint8_t>>> read() override {
    beast::flat_buffer buf;
    arm(read_dog_, opts_.read_timeout, false);
    auto [ec, n] = co_await ws_.async_read(buf, kNoThrow);
    read_dog_.disarm();
    if (ec == websocket::error::closed)
      co_return Error{Errc::transport_closed, "peer closed the WebSocket"};
    if (read_dog_.fired())
      co_return Error{Errc::transport_read,
                      "no data within " + std::to_string(opts_.read_timeout.count()) + " ms"};
    if (ec == asio::error::eof || ec == asio::error::connection_reset ||
        ec == asio::ssl::error::stream_truncated)
      co_return Error{Errc::transport_closed, "connection lost: " + ec.message()};
    if (ec) co_return Error{Errc::transport_read, ec.message()};
    const auto* p = static_cast<const std::uint8_t*>(buf.data().data());
    co_return std::vector<std::uint8_t>(p, p + n);
  }

  asio::awaitable<Result<void>> write(std::span<const std::uint8_t> data) override {
    arm(write_dog_, opts_.write_timeout, false);
    auto [ec, n] = co_await ws_.async_write(asio::buffer(data.data(), data.size()), kNoThrow);
    write_dog_.disarm();
    if (write_dog_.fired()) co_return Error{Errc::transport_write, "write timed out"};
    if (ec) co_return Error{Errc::transport_write, ec.message()};
    co_return Result<void>{};
  }

  void set_read_timeout(ms timeout) override { opts_.read_timeout = timeout; }

  asio::awaitable<void> close() override {
    if (ws_.is_open()) {
      arm(write_dog_, ms(2000), false);
      co_await ws_.async_close(websocket::close_code::normal, kNoThrow);
      write_dog_.disarm();
    }
    close_socket();
  }

 private:
  using Ws = websocket::stream<StreamOf<Tls>>;

  Ws make_stream(const asio::any_io_executor& ex) {
    if constexpr (Tls) {
      return Ws(ex, ssl_);
    } else {
      return Ws(ex);
    }
  }

  void arm(Watchdog& dog, ms d, bool also_resolver) {
    std::weak_ptr<Connection> weak = this->shared_from_this();
    dog.arm(d, [weak, &dog, also_resolver] {
      auto self = weak.lock();
      if (!self) return;
      dog.set_fired();
      if (also_resolver) self->resolver_.cancel();
      self->close_socket();
    });
  }

  // The kill switch's duplicate of the socket is released when the connection is done with it.
  void forget_socket() {
    if (registered_ >= 0 && opts_.kill_switch) opts_.kill_switch->detach(registered_);
    registered_ = -1;
  }
  void close_socket() {
    forget_socket();
    boost::system::error_code ignored;
    beast::get_lowest_layer(ws_).socket().close(ignored);
  }

  asio::awaitable<Result<void>> connect_steps(const WsUrl& url) {
    const auto fail = [&](std::string_view step, const boost::system::error_code& ec) {
      return Error{Errc::transport_connect,
                   std::string(step) + " " + url.host_header + ": " + ec.message()};
    };
    auto [rec, endpoints] = co_await resolver_.async_resolve(url.host, url.port, kNoThrow);
    if (rec) co_return fail("resolve", rec);
    auto [cec, ep] = co_await beast::get_lowest_layer(ws_).async_connect(endpoints, kNoThrow);
    if (cec) co_return fail("connect", cec);
    if (opts_.kill_switch) {
      registered_ =
          opts_.kill_switch->attach(beast::get_lowest_layer(ws_).socket().native_handle());
      if (registered_ < 0) {
        close_socket();
        co_return Error{Errc::transport_connect,
                        opts_.kill_switch->tripped()
                            ? "connection cut off (kill switch tripped)"
                            : "cannot register the socket with the kill switch"};
      }
    }
    boost::system::error_code ignored;
    beast::get_lowest_layer(ws_).socket().set_option(tcp::no_delay(true), ignored);
    if constexpr (Tls) {
      auto& tls = ws_.next_layer();
      if (!SSL_set_tlsext_host_name(tls.native_handle(), url.host.c_str()))
        co_return Error{Errc::transport_connect, "TLS: cannot set SNI"};
      tls.set_verify_mode(asio::ssl::verify_peer);
      tls.set_verify_callback(asio::ssl::host_name_verification(url.host));
      auto [hec] = co_await tls.async_handshake(asio::ssl::stream_base::client, kNoThrow);
      if (hec) co_return fail("TLS handshake with", hec);
    }
    websocket::stream_base::timeout t{};
    t.handshake_timeout = opts_.connect_timeout;
    t.idle_timeout = websocket::stream_base::none();
    t.keep_alive_pings = false;
    ws_.set_option(t);
    ws_.set_option(
        websocket::stream_base::decorator([origin = opts_.origin](websocket::request_type& req) {
          req.set(beast::http::field::origin, origin);
          req.set(beast::http::field::cache_control, "no-cache");
          req.set(beast::http::field::pragma, "no-cache");
        }));
    ws_.read_message_max(opts_.max_message);
    auto [wec] = co_await ws_.async_handshake(url.host_header, url.target, kNoThrow);
    if (wec) co_return fail("WebSocket upgrade with", wec);
    ws_.binary(true);
    co_return Result<void>{};
  }

 public:
  WebSocketOptions opts_;
  asio::ssl::context ssl_;

 private:
  Ws ws_;
  tcp::resolver resolver_;
  Watchdog connect_dog_, read_dog_, write_dog_;
  int registered_ = -1;  // the handle from opts_.kill_switch->attach(), if any
};

}  // namespace

asio::awaitable<Result<std::unique_ptr<WebSocket>>> WebSocket::connect(WebSocketOptions options) {
  auto url = parse_ws_url(options.url);
  if (!url) co_return url.error();
  auto ex = co_await asio::this_coro::executor;
  if (url->tls) {
    auto c = std::make_shared<Connection<true>>(ex, std::move(options));
    boost::system::error_code ec;
    c->ssl_.set_default_verify_paths(ec);
    if (!ec && !c->opts_.extra_ca_file.empty())
      c->ssl_.load_verify_file(c->opts_.extra_ca_file, ec);
    if (ec) co_return Error{Errc::transport_connect, "TLS trust store: " + ec.message()};
    auto r = co_await c->connect(*url);
    if (!r) co_return r.error();
    co_return std::make_unique<WebSocket>(std::move(c));
  }
  auto c = std::make_shared<Connection<false>>(ex, std::move(options));
  auto r = co_await c->connect(*url);
  if (!r) co_return r.error();
  co_return std::make_unique<WebSocket>(std::move(c));
}

WebSocket::WebSocket(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
WebSocket::~WebSocket() = default;
asio::awaitable<Result<std::vector<std::uint8_t>>> WebSocket::read() {
  return impl_->read();
}
asio::awaitable<Result<void>> WebSocket::write(std::span<const std::uint8_t> data) {
  return impl_->write(data);
}
asio::awaitable<void> WebSocket::close() {
  return impl_->close();
}
void WebSocket::set_read_timeout(ms timeout) {
  impl_->set_read_timeout(timeout);
}

}  // namespace wa::socket
