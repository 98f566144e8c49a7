#include "wa/client/disconnect.hpp"

#include <gtest/gtest.h>

#include "client/backoff.hpp"

using namespace wa::client;
using wa::binary::Node;

namespace {
Node stream_error(std::string code, std::string conflict = "") {
  Node n{"stream:error", {}, {}};
  if (!code.empty()) n.attrs.emplace_back("code", code);
  if (!conflict.empty()) {
    n.content = std::vector<Node>{Node{"conflict", {{"type", conflict}}, {}}};
  }
  return n;
}
Node failure(std::string reason, wa::binary::Attrs extra = {}) {
  Node n{"failure", {{"reason", std::move(reason)}}, {}};
  for (auto& a : extra) n.attrs.push_back(a);
  return n;
}
}  // namespace

TEST(Disconnect, StreamErrors) {
  EXPECT_EQ(from_stream_error(stream_error("515")).reason, DisconnectReason::restart_required);
  EXPECT_EQ(from_stream_error(stream_error("503")).reason, DisconnectReason::transient);
  EXPECT_EQ(from_stream_error(stream_error("503")).code, 503);
  EXPECT_EQ(from_stream_error(stream_error("401", "device_removed")).reason,
            DisconnectReason::logged_out);
  auto replaced = from_stream_error(stream_error("", "replaced"));
  EXPECT_EQ(replaced.reason, DisconnectReason::replaced);
  EXPECT_EQ(replaced.detail, "replaced");
  EXPECT_EQ(from_stream_error(stream_error("401")).reason, DisconnectReason::logged_out);
  EXPECT_EQ(from_stream_error(stream_error("garbage")).reason, DisconnectReason::transient);
}

TEST(Disconnect, ConnectFailures) {
  EXPECT_EQ(from_failure(failure("401")).reason, DisconnectReason::logged_out);
  auto ban = from_failure(failure("402", {{"expire", "1800000000"}}));
  EXPECT_EQ(ban.reason, DisconnectReason::temporarily_banned);
  EXPECT_EQ(ban.expires_unix, 1800000000);
  EXPECT_EQ(from_failure(failure("403")).reason, DisconnectReason::main_device_gone);
  EXPECT_EQ(from_failure(failure("405")).reason, DisconnectReason::client_outdated);
  EXPECT_EQ(from_failure(failure("406")).reason, DisconnectReason::banned);
  EXPECT_EQ(from_failure(failure("409")).reason, DisconnectReason::bad_user_agent);
  EXPECT_EQ(from_failure(failure("503")).reason, DisconnectReason::transient);
  EXPECT_EQ(from_failure(failure("418")).reason, DisconnectReason::rejected);
  EXPECT_EQ(from_failure(failure("")).reason, DisconnectReason::rejected);
}

TEST(Disconnect, NeverRetriesLoggedOutReplacedOrBanned) {
  for (auto r : {DisconnectReason::logged_out, DisconnectReason::replaced, DisconnectReason::banned,
                 DisconnectReason::temporarily_banned, DisconnectReason::client_outdated,
                 DisconnectReason::qr_timeout, DisconnectReason::user_requested}) {
    EXPECT_FALSE(should_reconnect(r)) << to_string(r);
  }
  for (auto r : {DisconnectReason::restart_required, DisconnectReason::transient,
                 DisconnectReason::connect_failed, DisconnectReason::keepalive_timeout}) {
    EXPECT_TRUE(should_reconnect(r)) << to_string(r);
  }
  EXPECT_TRUE(should_wipe_device(DisconnectReason::logged_out));
  EXPECT_TRUE(should_wipe_device(DisconnectReason::banned));
  EXPECT_FALSE(should_wipe_device(DisconnectReason::replaced));
  EXPECT_FALSE(should_wipe_device(DisconnectReason::transient));
}

TEST(Backoff, GrowsExponentiallyWithJitterUpToTheCap) {
  Backoff b(std::chrono::milliseconds(1000), std::chrono::milliseconds(30000), 42);
  std::vector<int64_t> delays;
  for (int i = 0; i < 10; ++i) delays.push_back(b.next().count());
  EXPECT_LE(delays[0], 1000);
  EXPECT_GE(delays[0], 500);
  EXPECT_LE(delays[1], 2000);
  EXPECT_LE(delays[2], 4000);
  for (auto d : delays) {
    EXPECT_GE(d, 500);
    EXPECT_LE(d, 30000);
  }
  // Jitter: later delays are not all equal to the cap.
  EXPECT_NE(delays[8], delays[9]);
  b.reset();
  EXPECT_LE(b.next().count(), 1000);
  // Two clients with different seeds do not reconnect in lockstep.
  Backoff x(std::chrono::milliseconds(1000), std::chrono::milliseconds(30000), 1);
  Backoff y(std::chrono::milliseconds(1000), std::chrono::milliseconds(30000), 2);
  int same = 0;
  for (int i = 0; i < 8; ++i) same += x.next() == y.next();
  EXPECT_LT(same, 8);
}
