// The WebSocket transport without a WebSocket server: URL parsing, a refused connection and a
// server that accepts TCP but never answers the upgrade (connect timeout). The successful path is
// covered end to end against the emulator (wa_handshake_emulator).
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>

#include "wa/socket/websocket.hpp"

namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

TEST(WsUrl, ParsesSchemesPortsAndTargets) {
  auto a = wa::socket::parse_ws_url("wss://web.whatsapp.com/ws/chat");
  ASSERT_TRUE(a.ok());
  EXPECT_TRUE(a->tls);
  EXPECT_EQ(a->host, "web.whatsapp.com");
  EXPECT_EQ(a->port, "443");
  EXPECT_EQ(a->target, "/ws/chat");
  EXPECT_EQ(a->host_header, "web.whatsapp.com");
  auto b = wa::socket::parse_ws_url("ws://127.0.0.1:4567/ws/chat?x=1");
  ASSERT_TRUE(b.ok());
  EXPECT_FALSE(b->tls);
  EXPECT_EQ(b->port, "4567");
  EXPECT_EQ(b->target, "/ws/chat?x=1");
  EXPECT_EQ(b->host_header, "127.0.0.1:4567");
  EXPECT_EQ(wa::socket::parse_ws_url("ws://h").value().target, "/");
  EXPECT_EQ(wa::socket::parse_ws_url("http://h/").code(), wa::Errc::invalid_argument);
  EXPECT_EQ(wa::socket::parse_ws_url("not a url").code(), wa::Errc::invalid_argument);
}

wa::Error connect_error(wa::socket::WebSocketOptions opts) {
  asio::io_context io;
  wa::Error err{wa::Errc::invalid_argument, "did not complete"};
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        auto r = co_await wa::socket::WebSocket::connect(std::move(opts));
        err = r ? wa::Error{} : r.error();
      },
      asio::detached);
  io.run();
  return err;
}

TEST(WebSocket, RefusedConnectionIsAConnectError) {
  // Bind then close a port so that nothing listens on it.
  asio::io_context io;
  asio::ip::tcp::acceptor acc(io, {asio::ip::make_address("127.0.0.1"), 0});
  const auto port = acc.local_endpoint().port();
  acc.close();
  wa::socket::WebSocketOptions o;
  o.url = "ws://127.0.0.1:" + std::to_string(port) + "/ws/chat";
  const auto e = connect_error(o);
  EXPECT_EQ(e.code, wa::Errc::transport_connect);
  EXPECT_NE(e.detail.find("connect"), std::string::npos) << e.detail;
}

TEST(WebSocket, SilentServerTimesOutTheConnect) {
  asio::io_context server_io;
  asio::ip::tcp::acceptor acc(server_io, {asio::ip::make_address("127.0.0.1"), 0});
  // The kernel completes the TCP handshake from the backlog; nobody ever answers the upgrade.
  wa::socket::WebSocketOptions o;
  o.url = "ws://127.0.0.1:" + std::to_string(acc.local_endpoint().port()) + "/ws/chat";
  o.connect_timeout = 300ms;
  const auto start = std::chrono::steady_clock::now();
  const auto e = connect_error(o);
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(e.code, wa::Errc::transport_connect);
  EXPECT_NE(e.detail.find("timed out"), std::string::npos) << e.detail;
  EXPECT_LT(took, 5s);
}

}  // namespace
