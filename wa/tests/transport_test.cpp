// The WebSocket transport without a WebSocket server: URL parsing, a refused connection, a
// server that accepts TCP but never answers the upgrade (connect timeout), and the kill switch
// cutting a connection from another thread. The successful path is covered end to end against the
// emulator (wa_handshake_emulator).
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <thread>

#include "wa/socket/kill_switch.hpp"
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

// Options for a WebSocket to `acc`, which accepts TCP (from the kernel's backlog) and never
// answers the upgrade.
wa::socket::WebSocketOptions silent_server(const asio::ip::tcp::acceptor& acc,
                                           std::chrono::milliseconds connect_timeout) {
  wa::socket::WebSocketOptions o;
  o.url = "ws://127.0.0.1:" + std::to_string(acc.local_endpoint().port()) + "/ws/chat";
  o.connect_timeout = connect_timeout;
  return o;
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
  auto o = silent_server(acc, 300ms);
  const auto start = std::chrono::steady_clock::now();
  const auto e = connect_error(o);
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(e.code, wa::Errc::transport_connect);
  EXPECT_NE(e.detail.find("timed out"), std::string::npos) << e.detail;
  EXPECT_LT(took, 5s);
}

TEST(KillSwitch, ShutsDownAttachedSocketsOnlyAndRefusesLaterOnes) {
  std::array<int, 2> a{}, b{}, c{};
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, a.data()), 0);
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, b.data()), 0);
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, c.data()), 0);
  wa::socket::KillSwitch ks;
  const int ha = ks.attach(a[0]);
  const int hb = ks.attach(b[0]);
  const int hc = ks.attach(c[0]);
  ASSERT_GE(ha, 0);
  ASSERT_GE(hb, 0);
  ASSERT_GE(hc, 0);
  ks.detach(hb);  // its owner is done with it: never touched again
  // c's owner closed its descriptor without detaching (as Beast does on a close frame); the
  // number may be reused at once, but the switch cuts the socket through its own duplicate.
  ::close(c[0]);
  std::array<int, 2> reused{};
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, reused.data()), 0);
  std::thread([&ks] { ks.trip(); }).join();
  EXPECT_TRUE(ks.tripped());
  char ch = 0;
  EXPECT_EQ(::read(a[1], &ch, 1), 0) << "the peer of a cut socket sees end-of-stream";
  EXPECT_EQ(::read(c[1], &ch, 1), 0) << "cut through the switch's duplicate";
  EXPECT_EQ(::write(b[0], "x", 1), 1) << "a detached socket still works";
  EXPECT_EQ(::read(b[1], &ch, 1), 1);
  EXPECT_EQ(::write(reused[0], "y", 1), 1) << "a reused descriptor number is not touched";
  EXPECT_EQ(::read(reused[1], &ch, 1), 1);
  EXPECT_EQ(ks.attach(b[0]), -1) << "a tripped switch refuses new sockets";
  ks.detach(ha);
  ks.detach(hc);
  for (int fd : {a[0], a[1], b[0], b[1], c[1], reused[0], reused[1]}) ::close(fd);
}

TEST(WebSocket, KillSwitchCutsAConnectionFromAnotherThread) {
  // The server accepts TCP and never answers the upgrade; the switch, tripped from another thread
  // while the client waits for the answer, ends the attempt long before its 20 s timeout, and the
  // server sees the connection end.
  asio::io_context server_io;
  asio::ip::tcp::acceptor acc(server_io, {asio::ip::make_address("127.0.0.1"), 0});
  auto ks = std::make_shared<wa::socket::KillSwitch>();
  auto o = silent_server(acc, 20s);
  o.kill_switch = ks;
  std::thread client([&o, &ks] {
    const auto start = std::chrono::steady_clock::now();
    const auto e = connect_error(o);
    EXPECT_EQ(e.code, wa::Errc::transport_connect) << e.detail;
    EXPECT_EQ(e.detail.find("timed out"), std::string::npos) << e.detail;
    EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);
    EXPECT_TRUE(ks->tripped());
  });
  asio::ip::tcp::socket peer(server_io);
  acc.accept(peer);
  std::this_thread::sleep_for(100ms);  // the client is now waiting for the upgrade's answer
  ks->trip();
  std::array<char, 512> buf{};
  boost::system::error_code ec;
  while (!ec) peer.read_some(asio::buffer(buf), ec);  // the upgrade request, then the end
  EXPECT_EQ(ec, asio::error::eof);
  client.join();
}

TEST(WebSocket, TrippedKillSwitchRefusesToConnect) {
  asio::io_context server_io;
  asio::ip::tcp::acceptor acc(server_io, {asio::ip::make_address("127.0.0.1"), 0});
  auto o = silent_server(acc, 20s);
  o.kill_switch = std::make_shared<wa::socket::KillSwitch>();
  o.kill_switch->trip();
  const auto e = connect_error(o);
  EXPECT_EQ(e.code, wa::Errc::transport_connect);
  EXPECT_NE(e.detail.find("kill switch"), std::string::npos) << e.detail;
}

}  // namespace
