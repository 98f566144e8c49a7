#include "client/iq.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

using namespace wa;
using namespace wa::client;
using binary::Node;
namespace asio = boost::asio;

TEST(IqTracker, ResolvesResultAndErrorByIdInAnyOrder) {
  asio::io_context ioc;
  IqTracker iq(ioc.get_executor(), "abc");
  auto a = iq.next_id(), b = iq.next_id();
  EXPECT_EQ(a, "abc.1");
  EXPECT_EQ(b, "abc.2");
  std::optional<Result<Node>> ra, rb;
  asio::co_spawn(
      ioc, [&]() -> asio::awaitable<void> { ra = co_await iq.wait(a, std::chrono::seconds(5)); },
      asio::detached);
  asio::co_spawn(
      ioc, [&]() -> asio::awaitable<void> { rb = co_await iq.wait(b, std::chrono::seconds(5)); },
      asio::detached);
  asio::post(ioc, [&] {
    EXPECT_EQ(iq.pending(), 2u);
    EXPECT_FALSE(iq.resolve(Node{"iq", {{"id", "unknown"}, {"type", "result"}}, {}}));
    Node err{"iq", {{"id", b}, {"type", "error"}}, {}};
    err.content = std::vector<Node>{Node{"error", {{"code", "463"}, {"text", "nack"}}, {}}};
    EXPECT_TRUE(iq.resolve(err));
    EXPECT_TRUE(iq.resolve(Node{"iq", {{"id", a}, {"type", "result"}}, {}}));
    EXPECT_FALSE(iq.resolve(Node{"iq", {{"id", a}, {"type", "result"}}, {}})) << "only once";
  });
  ioc.run();
  ASSERT_TRUE(ra && ra->ok());
  EXPECT_EQ(*(*ra)->attr("id"), a);
  ASSERT_TRUE(rb && !rb->ok());
  EXPECT_EQ(rb->code(), Errc::iq_error);
  EXPECT_NE(rb->error().detail.find("463"), std::string::npos);
  EXPECT_EQ(iq.pending(), 0u);
}

TEST(IqTracker, TimesOut) {
  asio::io_context ioc;
  IqTracker iq(ioc.get_executor(), "t");
  std::optional<Result<Node>> r;
  auto started = std::chrono::steady_clock::now();
  asio::co_spawn(
      ioc,
      [&]() -> asio::awaitable<void> {
        r = co_await iq.wait(iq.next_id(), std::chrono::milliseconds(30));
      },
      asio::detached);
  ioc.run();
  ASSERT_TRUE(r && !r->ok());
  EXPECT_EQ(r->code(), Errc::iq_timeout);
  EXPECT_GE(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(30));
  EXPECT_EQ(iq.pending(), 0u);
}

TEST(IqTracker, DisconnectFailsEveryWaiter) {
  asio::io_context ioc;
  IqTracker iq(ioc.get_executor(), "d");
  int failed = 0;
  for (int i = 0; i < 3; ++i) {
    asio::co_spawn(
        ioc,
        [&]() -> asio::awaitable<void> {
          auto r = co_await iq.wait(iq.next_id(), std::chrono::seconds(30));
          if (!r.ok() && r.code() == Errc::client_disconnected) ++failed;
        },
        asio::detached);
  }
  asio::post(ioc, [&] { iq.fail_all(Error{Errc::client_disconnected, "socket closed"}); });
  auto started = std::chrono::steady_clock::now();
  ioc.run();
  EXPECT_EQ(failed, 3);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
}
