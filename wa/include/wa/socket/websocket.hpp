#pragma once
// The WebSocket transport under the frame layer (docs/PROTOCOL.md §1.1): binary messages over TCP,
// TLS for wss:// (system CAs, host name checked), the Origin header WhatsApp expects, and
// timeouts on connect, read and write. Boost.Beast lives in websocket.cpp only: this header is
// plain Asio coroutines so that including it stays cheap.
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "wa/constants.hpp"
#include "wa/error.hpp"
#include "wa/socket/kill_switch.hpp"

namespace wa::socket {

/// Where and how to connect.
struct WebSocketOptions {
  std::string url{constants::kDefaultUrl};  ///< ws:// (plain, e.g. the emulator) or wss://
  std::string origin{constants::kOrigin};   ///< the Origin header
  std::chrono::milliseconds connect_timeout{20'000};  ///< resolve + TCP + TLS + upgrade
  std::chrono::milliseconds read_timeout{0};          ///< per read(); 0 = wait forever
  std::chrono::milliseconds write_timeout{20'000};
  std::size_t max_message = (std::size_t{16} << 20) + 64;  ///< bound on one received message
  std::string extra_ca_file;  ///< PEM file trusted in addition to the system CAs (tests)
  /// Optional: the connection registers its socket here, so that another thread can cut it.
  std::shared_ptr<KillSwitch> kill_switch;
};

/// The parts of a ws:// or wss:// URL.
struct WsUrl {
  bool tls = false;
  std::string host;
  std::string port;         ///< explicit or the scheme's default (80 / 443)
  std::string target;       ///< path and query, at least "/"
  std::string host_header;  ///< host[:port] as sent in the Host header
};
/// Parses a WebSocket URL; invalid_argument for other schemes or malformed URLs.
Result<WsUrl> parse_ws_url(std::string_view url);

/// One client WebSocket connection carrying binary messages.
/// Thread safety: use from one strand; at most one read() and one write() outstanding at a time.
class WebSocket {
 public:
  struct Impl;
  /// Connects on the calling coroutine's executor. Errors: invalid_argument (URL),
  /// transport_connect (resolve, TCP, TLS verification, upgrade or timeout; the detail says which).
  static boost::asio::awaitable<Result<std::unique_ptr<WebSocket>>> connect(
      WebSocketOptions options);

  explicit WebSocket(std::shared_ptr<Impl> impl);
  ~WebSocket();
  WebSocket(const WebSocket&) = delete;
  WebSocket& operator=(const WebSocket&) = delete;

  /// The next message. transport_closed when the peer closed, transport_read on errors/timeout.
  boost::asio::awaitable<Result<std::vector<std::uint8_t>>> read();
  /// Sends one binary message (the span must stay valid until completion).
  boost::asio::awaitable<Result<void>> write(std::span<const std::uint8_t> data);
  /// Changes the bound on each later read() (0 = none).
  void set_read_timeout(std::chrono::milliseconds timeout);
  /// Sends a close frame (bounded wait) and closes the socket; never fails.
  boost::asio::awaitable<void> close();

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace wa::socket
