#include "http/server.hpp"

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
#include <list>
#include <mutex>
#include <optional>

namespace gw::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;
constexpr auto kAsTuple = asio::as_tuple(asio::use_awaitable);

// A syntax error in what the client sent (as opposed to the client going away or timing out).
bool is_parse_error(const beast::error_code& ec) {
  return ec.category() == bhttp::make_error_code(bhttp::error::bad_target).category() &&
         ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message;
}

namespace {
// State shared between a connection's coroutine and shutdown().
struct Conn {
  explicit Conn(tcp::socket s) : stream(std::move(s)) {}
  beast::tcp_stream stream;
  std::atomic<bool> busy{false};  // a request is being served
};
}  // namespace

struct Server::Impl : std::enable_shared_from_this<Server::Impl> {
  Impl(asio::io_context& i, ServerOptions o, ServerHooks h)
      : ioc(i), options(std::move(o)), hooks(std::move(h)), acceptor(asio::make_strand(i)) {}

  asio::io_context& ioc;
  ServerOptions options;
  ServerHooks hooks;
  tcp::acceptor acceptor;
  std::atomic<bool> stopping{false};
  mutable std::mutex mutex;
  std::list<std::weak_ptr<Conn>> conns;  // guarded by mutex

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
      auto conn = std::make_shared<Conn>(std::move(socket));
      std::list<std::weak_ptr<Conn>>::iterator pos;
      {
        std::lock_guard lock(mutex);
        pos = conns.insert(conns.end(), conn);
      }
      auto ex = conn->stream.get_executor();
      asio::co_spawn(ex, serve(conn), [self, pos](const std::exception_ptr&) {
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
    return r;
  }

  asio::awaitable<void> write(Conn& c, Response& res, unsigned version, bool keep_alive) {
    bhttp::response<bhttp::string_body> out{static_cast<bhttp::status>(res.status), version};
    for (const auto& [name, value] : res.headers.all()) out.insert(name, value);
    if (!res.content_type.empty()) out.set(bhttp::field::content_type, res.content_type);
    out.body() = std::move(res.body);
    out.keep_alive(keep_alive);
    out.prepare_payload();
    c.stream.expires_after(options.write_timeout);
    co_await bhttp::async_write(c.stream, out, kAsTuple);
  }

  asio::awaitable<void> reject(Conn& c, Request& partial, ErrorKind kind, const std::string& msg,
                               unsigned version) {
    Response res = hooks.reject(partial, kind, msg);
    co_await write(c, res, version ? version : 11, false);
  }

  asio::awaitable<void> serve(std::shared_ptr<Conn> conn) {
    auto self = shared_from_this();
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
      req.body = std::move(parser->get().body());
      parser.reset();
      c.stream.expires_never();
      Response res = co_await hooks.handle(req);
      bool keep_alive = req.keep_alive && !res.close && !stopping;
      co_await write(c, res, version, keep_alive);
      c.busy = false;
      if (!keep_alive) break;
    }
    beast::error_code ec;
    c.stream.socket().shutdown(tcp::socket::shutdown_send, ec);
    c.stream.close();
  }

  std::vector<std::shared_ptr<Conn>> live() const {
    std::vector<std::shared_ptr<Conn>> out;
    std::lock_guard lock(mutex);
    for (const auto& w : conns) {
      if (auto c = w.lock()) out.push_back(std::move(c));
    }
    return out;
  }

  static void close_on_strand(const std::shared_ptr<Conn>& c, bool only_idle) {
    asio::post(c->stream.get_executor(), [c, only_idle] {
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

}  // namespace gw::http
