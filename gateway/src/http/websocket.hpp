#pragma once
// One accepted WebSocket connection as the application sees it. Beast stays in http/server.cpp:
// a route handler answers an upgrade request with a Response whose `upgrade` is set (status 101),
// and the server then completes the handshake and runs that handler with a WebSocket.
//
// Frames: text only; a message larger than the server's limit, a binary frame or a protocol error
// closes the connection. The server pings an idle peer and drops one that stops answering.
// Thread safety: send(), receive() and close() run on the connection's strand (executor()); at most
// one send() and one receive() may be in flight at a time (one writer, one reader).
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace gw::http {

class WebSocket {
 public:
  virtual ~WebSocket() = default;
  /// Sends one text message. False once the connection is closed or failed.
  virtual boost::asio::awaitable<bool> send(std::string text) = 0;
  /// The next text message; nullopt once the connection is closed, failed or the peer broke the
  /// rules (binary frame, message over the size limit).
  virtual boost::asio::awaitable<std::optional<std::string>> receive() = 0;
  /// Sends a close frame with `code` (RFC 6455 §7.4) and ends the connection. Idempotent.
  virtual boost::asio::awaitable<void> close(std::uint16_t code, std::string reason) = 0;
  /// The connection's strand.
  virtual boost::asio::any_io_executor executor() = 0;
};

/// Runs a WebSocket connection after the handshake; the connection ends when it returns.
using UpgradeHandler = std::function<boost::asio::awaitable<void>(std::shared_ptr<WebSocket>)>;

/// WebSocket close codes used by the gateway.
namespace close_code {
inline constexpr std::uint16_t normal = 1000;
inline constexpr std::uint16_t going_away = 1001;       // server shutdown
inline constexpr std::uint16_t unsupported = 1003;      // the client sent something we do not take
inline constexpr std::uint16_t policy = 1008;           // token revoked / expired
inline constexpr std::uint16_t too_big = 1009;          // message over the limit
inline constexpr std::uint16_t try_again_later = 1013;  // slow consumer: queue overflow
}  // namespace close_code

}  // namespace gw::http
