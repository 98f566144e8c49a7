// The Client without a server: connect failures are reported and retried with backoff, a
// disconnect() stops it, and events arrive in order. The full protocol is tested end to end
// against the emulator (client_e2e.test.mjs).
#include "wa/client/client.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <thread>

#include "wa/store/memory_store.hpp"

using namespace wa;
using namespace wa::client;
namespace asio = boost::asio;

namespace {
// A server URL on a port that refuses connections: bind, read the port, close.
std::string refusing_url(asio::io_context& io) {
  asio::ip::tcp::acceptor a(io, {asio::ip::address_v4::loopback(), 0});
  return "ws://127.0.0.1:" + std::to_string(a.local_endpoint().port()) + "/ws/chat";
}
// An event handler that records every Disconnected and stops `io` at the one that ends the run.
EventHandler record_disconnects(asio::io_context& io, std::vector<Disconnected>& seen) {
  return [&io, &seen](const Event& e) {
    if (const auto* d = std::get_if<Disconnected>(&e)) {
      seen.push_back(*d);
      if (!d->will_reconnect) io.stop();
    }
  };
}
}  // namespace

TEST(Client, UnreachableServerIsRetriedWithBackoffUntilDisconnect) {
  asio::io_context io;
  store::MemoryStore store;
  Options opt;
  opt.url = refusing_url(io);
  opt.backoff_base = std::chrono::milliseconds(20);
  opt.backoff_cap = std::chrono::milliseconds(40);
  opt.seed = 7;
  std::vector<Disconnected> seen;
  std::unique_ptr<Client> client;
  client = std::make_unique<Client>(io.get_executor(), store, opt, [&](const Event& e) {
    if (const auto* d = std::get_if<Disconnected>(&e)) {
      seen.push_back(*d);
      if (seen.size() == 3) client->disconnect();
      if (!d->will_reconnect) io.stop();
    } else {
      ADD_FAILURE() << "unexpected event " << event_name(e);
    }
  });
  client->connect();
  client->connect();  // idempotent
  asio::steady_timer guard(io, std::chrono::seconds(20));
  guard.async_wait([&](auto) { io.stop(); });
  io.run();
  ASSERT_GE(seen.size(), 4u);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(seen[i].reason, DisconnectReason::connect_failed);
    EXPECT_TRUE(seen[i].will_reconnect);
    EXPECT_GE(seen[i].retry_in.count(), 10);
    EXPECT_LE(seen[i].retry_in.count(), 40);
    EXPECT_NE(seen[i].detail.find("transport_connect"), std::string::npos) << seen[i].detail;
  }
  EXPECT_EQ(seen.back().reason, DisconnectReason::user_requested);
  EXPECT_FALSE(seen.back().will_reconnect);
  // A fresh device record was created and kept (no wipe on a network failure).
  auto dev = store.load_device();
  ASSERT_TRUE(dev.ok() && dev->has_value());
  EXPECT_FALSE((**dev).paired());
}

// may_connect is asked before every attempt: once it says no, the client stops instead of
// reconnecting (an application that lost the right to run the device uses it).
TEST(Client, MayConnectStopsReconnectsOnceItRefuses) {
  asio::io_context io;
  store::MemoryStore store;
  Options opt;
  opt.url = refusing_url(io);
  opt.backoff_base = std::chrono::milliseconds(10);
  opt.backoff_cap = std::chrono::milliseconds(20);
  opt.seed = 3;
  int asked = 0;
  opt.may_connect = [&asked] { return ++asked <= 2; };
  std::vector<Disconnected> seen;
  Client client(io.get_executor(), store, opt, record_disconnects(io, seen));
  client.connect();
  asio::steady_timer guard(io, std::chrono::seconds(20));
  guard.async_wait([&](auto) { io.stop(); });
  io.run();
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(asked, 3);
  EXPECT_EQ(seen[0].reason, DisconnectReason::connect_failed);
  EXPECT_EQ(seen[1].reason, DisconnectReason::connect_failed);
  EXPECT_EQ(seen[2].reason, DisconnectReason::user_requested);
  EXPECT_EQ(seen[2].detail, "not allowed to connect");
  EXPECT_FALSE(seen[2].will_reconnect);
}

TEST(Client, TrippedKillSwitchEndsTheRunWithoutReconnecting) {
  // The server accepts TCP (from the kernel's backlog) and never answers the upgrade; the switch
  // is tripped from another thread while the client waits: one Disconnected, no reconnect.
  asio::io_context io;
  asio::io_context server_io;
  asio::ip::tcp::acceptor acc(server_io, {asio::ip::make_address("127.0.0.1"), 0});
  store::MemoryStore store;
  Options opt;
  opt.url = "ws://127.0.0.1:" + std::to_string(acc.local_endpoint().port()) + "/ws/chat";
  opt.connect_timeout = std::chrono::seconds(20);
  opt.backoff_base = std::chrono::milliseconds(10);
  opt.kill_switch = std::make_shared<wa::socket::KillSwitch>();
  std::vector<Disconnected> seen;
  Client client(io.get_executor(), store, opt, record_disconnects(io, seen));
  client.connect();
  std::thread trip([ks = opt.kill_switch] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    ks->trip();
  });
  asio::steady_timer guard(io, std::chrono::seconds(15));
  guard.async_wait([&](auto) { io.stop(); });
  io.run();
  trip.join();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].reason, DisconnectReason::user_requested);
  EXPECT_EQ(seen[0].detail, "connection cut (kill switch)");
  EXPECT_FALSE(seen[0].will_reconnect);
}

TEST(Client, EventNamesAreStable) {
  EXPECT_EQ(event_name(Event{QrCode{}}), "qr");
  EXPECT_EQ(event_name(Event{PairCode{}}), "pair_code");
  EXPECT_EQ(event_name(Event{Connected{}}), "connected");
  EXPECT_EQ(event_name(Event{LoggedOut{}}), "logged_out");
  EXPECT_EQ(event_name(Event{QrTimeout{}}), "qr_timeout");
}
