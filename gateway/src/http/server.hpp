#pragma once
// The HTTP/1.1 server: accepts connections, parses requests with Beast, enforces limits and
// timeouts, and hands plain Request values to the application. Beast lives only in server.cpp.
//
// Per connection: one coroutine on its own strand; keep-alive; header read timeout (a slow client
// cannot hold a connection), body read timeout, idle timeout between requests; body size limit
// (413) and header size limit (431); malformed requests get 400 and the connection closes.
// Thread safety: start()/shutdown() from any thread; handlers run on connection strands.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "http/errors.hpp"
#include "http/message.hpp"

namespace gw::http {

struct ServerOptions {
  std::string bind_address = "0.0.0.0";
  uint16_t port = 8080;
  std::size_t max_body_bytes = 1024 * 1024;
  std::size_t max_header_bytes = 16 * 1024;
  std::chrono::milliseconds header_timeout{10'000};
  std::chrono::milliseconds body_timeout{30'000};
  std::chrono::milliseconds idle_timeout{60'000};
  std::chrono::milliseconds write_timeout{30'000};
};

/// What the server calls. `handle` serves a parsed request; `reject` builds the response for a
/// request the server refuses itself (malformed, too large, too slow) so the application can add
/// its headers, log and count it. `request` holds whatever was parsed (maybe only the peer).
struct ServerHooks {
  std::function<boost::asio::awaitable<Response>(Request&)> handle;
  std::function<Response(Request&, ErrorKind, const std::string& message)> reject;
};

class Server {
 public:
  Server(boost::asio::io_context& ioc, ServerOptions options, ServerHooks hooks);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  /// Binds and starts accepting; returns the bound port (useful with port 0). Throws on failure.
  uint16_t start();
  /// Stops accepting, closes idle connections, lets in-flight requests finish for up to
  /// `timeout`, then closes the rest. Returns true when everything finished in time.
  boost::asio::awaitable<bool> shutdown(std::chrono::milliseconds timeout);
  [[nodiscard]] std::size_t open_connections() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace gw::http
