#pragma once
// The HTTP/1.1 server: accepts connections, parses requests with Beast, enforces limits and
// timeouts, and hands plain Request values to the application. Beast lives only in server.cpp.
//
// Per connection: one coroutine on its own strand; keep-alive; header read timeout (a slow client
// cannot hold a connection), body read timeout, idle timeout between requests; body size limit
// (413) and header size limit (431); malformed requests get 400 and the connection closes.
//
// WebSocket: a handler accepts a handshake (Request::websocket_upgrade) by answering 101 with
// Response::upgrade set; the server completes the handshake on the same connection and runs the
// UpgradeHandler with an http::WebSocket (text frames, size limit, keep-alive pings, idle drop).
// An upgrade answer to a request that is not a handshake becomes 426 Upgrade Required. While its
// handler runs, a WebSocket connection is busy; shutdown() sends it a 1001 close frame.
// Connection caps: at most max_connections HTTP connections open (max_connections_per_ip per
// client key), and at most max_websockets WebSockets (max_websockets_per_ip per key). A connection
// accepted beyond an HTTP cap is answered at once, before its request is read, with 503 + a JSON
// error + Connection: close + Retry-After, and closed (never handed to the application); a
// WebSocket handshake beyond a WebSocket cap gets the same 503 before its handler (and
// authentication) runs (at most 256 refusals are answered at a time; beyond, a connection over a
// cap is closed at accept without an answer). A connection that becomes a WebSocket leaves the HTTP
// count for the WebSocket count. Connections already open are never touched by a refusal.
//
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
  /// Largest WebSocket message taken from a client; a larger one closes with 1009.
  std::size_t websocket_max_message_bytes = 64 * 1024;
  /// A WebSocket peer silent this long is dropped; it is pinged after half of it.
  std::chrono::milliseconds websocket_idle_timeout{30'000};
  /// Time for the handshake answer to be written and for the closing handshake (a close frame
  /// sent, the peer's answer awaited); a peer that does not take part in time is dropped.
  std::chrono::milliseconds websocket_handshake_timeout{5'000};
  /// Connection caps (0: no cap). See the class comment.
  std::size_t max_connections = 0;
  std::size_t max_connections_per_ip = 0;
  std::size_t max_websockets = 0;
  std::size_t max_websockets_per_ip = 0;
  /// The key a TCP peer's address counts under for the per-IP caps; an empty key is exempt from
  /// them (a trusted reverse proxy). Unset: the address itself.
  std::function<std::string(const std::string& peer_ip)> per_ip_key;
};

/// Connections refused by the caps since start.
struct RefusedConnections {
  std::uint64_t http_total = 0;   ///< over max_connections
  std::uint64_t http_per_ip = 0;  ///< over max_connections_per_ip
  std::uint64_t ws_total = 0;     ///< over max_websockets
  std::uint64_t ws_per_ip = 0;    ///< over max_websockets_per_ip
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
  /// Stops accepting, closes idle connections, sends open WebSockets a 1001 close frame, lets
  /// in-flight requests finish for up to `timeout`, then closes the rest. Returns true when
  /// everything finished in time (a WebSocket once its closing handshake is over or timed out).
  boost::asio::awaitable<bool> shutdown(std::chrono::milliseconds timeout);
  [[nodiscard]] std::size_t open_connections() const;
  /// Connections that completed a WebSocket handshake and whose handler still runs.
  [[nodiscard]] std::size_t open_websockets() const;
  /// Connections counted against the HTTP caps (open, not WebSocket).
  [[nodiscard]] std::size_t open_http_connections() const;
  [[nodiscard]] RefusedConnections refused() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace gw::http
