// Fixed-window rate limiter: counts, header values, window roll-over, bounded memory, threads.
#include "auth/rate_limiter.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

using namespace gw::auth;

namespace {
constexpr std::int64_t kT0 = 1'700'000'000'000;  // ms, a whole second
}

TEST(RateLimiter, HundredAllowedThenRefusedWithHeaders) {
  RateLimiter rl({100, 60'000});
  for (int i = 1; i <= 100; ++i) {
    const auto d = rl.check("user-1", kT0 + (i - 1) * 10);  // window starts at kT0
    ASSERT_TRUE(d.allowed) << i;
    EXPECT_EQ(d.limit, 100);
    EXPECT_EQ(d.remaining, 100 - i);
    EXPECT_EQ(d.reset_unix_seconds, kT0 / 1000 + 60);
    EXPECT_EQ(d.retry_after_seconds, 0);
  }
  // Request 101, 1.5 s into the window: 58.5 s left, rounded up.
  const auto d = rl.check("user-1", kT0 + 1'500);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.limit, 100);
  EXPECT_EQ(d.remaining, 0);
  EXPECT_EQ(d.reset_unix_seconds, kT0 / 1000 + 60);
  EXPECT_EQ(d.retry_after_seconds, 59);
  // Refusals are not counted and stay refused to the end of the window.
  EXPECT_FALSE(rl.check("user-1", kT0 + 59'999).allowed);
  EXPECT_EQ(rl.check("user-1", kT0 + 59'999).retry_after_seconds, 1);
  // Other keys are independent.
  EXPECT_TRUE(rl.check("user-2", kT0 + 2'000).allowed);
}

TEST(RateLimiter, WindowRollsOver) {
  RateLimiter rl({3, 1'000});
  EXPECT_TRUE(rl.check("k", kT0).allowed);
  EXPECT_TRUE(rl.check("k", kT0 + 1).allowed);
  EXPECT_TRUE(rl.check("k", kT0 + 2).allowed);
  EXPECT_FALSE(rl.check("k", kT0 + 999).allowed);
  const auto d = rl.check("k", kT0 + 1'000);  // a new window starts here
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.remaining, 2);
  EXPECT_EQ(d.reset_unix_seconds, kT0 / 1000 + 2);
}

TEST(RateLimiter, ResetRoundsUpToWholeSeconds) {
  RateLimiter rl({1, 60'000});
  const auto d = rl.check("k", kT0 + 250);
  EXPECT_EQ(d.reset_unix_seconds, kT0 / 1000 + 61);  // window ends at +60.25 s
}

TEST(RateLimiter, PeekDoesNotCount) {
  RateLimiter rl({10, 60'000});
  for (int i = 0; i < 20; ++i) EXPECT_TRUE(rl.peek("ip", kT0).allowed);
  EXPECT_EQ(rl.size(), 0U);
  EXPECT_EQ(rl.peek("ip", kT0).remaining, 9);
}

TEST(RateLimiter, FailedLoginLockout) {
  // Failed logins: peek before the attempt, check (record) after a failure.
  RateLimiter failures({10, 60'000});
  int attempts = 0;
  for (int i = 0; i < 50; ++i) {
    const auto now = kT0 + i * 100;
    if (!failures.peek("203.0.113.7", now).allowed) break;
    ++attempts;
    failures.check("203.0.113.7", now);  // the PIN was wrong
  }
  EXPECT_EQ(attempts, 10);
  const auto d = failures.peek("203.0.113.7", kT0 + 5'000);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.retry_after_seconds, 55);
  EXPECT_TRUE(failures.peek("203.0.113.7", kT0 + 60'000).allowed);
  EXPECT_TRUE(failures.peek("198.51.100.1", kT0 + 5'000).allowed);
}

TEST(RateLimiter, ReserveThenRefundCountsOnlyFailures) {
  // Failed logins as the login route counts them: check() reserves before the PIN is tested,
  // refund() gives the reservation back when it was right.
  RateLimiter failures({3, 60'000});
  for (int i = 0; i < 10; ++i) {  // right PINs never use up the budget
    ASSERT_TRUE(failures.check("ip", kT0 + i).allowed);
    failures.refund("ip", kT0 + i);
  }
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(failures.check("ip", kT0 + 100).allowed);
  EXPECT_FALSE(failures.check("ip", kT0 + 200).allowed);
  // A refund after the window ended does not reach into the next window.
  ASSERT_TRUE(failures.check("ip", kT0 + 60'000).allowed);
  failures.refund("ip", kT0 + 120'000);
  EXPECT_EQ(failures.peek("ip", kT0 + 60'001).remaining, 1);
  failures.refund("unknown", kT0);  // nothing counted: no-op
  EXPECT_FALSE(failures.peek("unknown", kT0).remaining < 2);
}

TEST(RateLimiter, ConcurrentReservationsNeverExceedTheLimit) {
  // Many threads reserving at once: exactly `limit` get through (the count is taken in the same
  // locked step as the decision).
  RateLimiter failures({10, 60'000});
  std::atomic<int> allowed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        if (failures.check("203.0.113.7", kT0).allowed) ++allowed;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(allowed.load(), 10);
}

TEST(RateLimiter, HourlyWindow) {
  RateLimiter rl({10, 3'600'000});
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(rl.check("ip", kT0 + i * 60'000).allowed);
  const auto d = rl.check("ip", kT0 + 30 * 60'000);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.retry_after_seconds, 30 * 60);
  EXPECT_TRUE(rl.check("ip", kT0 + 3'600'000).allowed);
}

TEST(RateLimiter, MillionDistinctKeysStayBounded) {
  RateLimitConfig cfg{100, 60'000};
  cfg.max_keys = 100'000;
  RateLimiter rl(cfg);
  for (int i = 0; i < 1'000'000; ++i) {
    // All within one window: nothing expires, eviction alone must keep the bound.
    rl.check("10." + std::to_string(i), kT0 + i / 100);
    if (i % 100'000 == 0) {
      ASSERT_LE(rl.size(), cfg.max_keys);
    }
  }
  EXPECT_LE(rl.size(), cfg.max_keys);
  EXPECT_GT(rl.size(), cfg.max_keys / 2);  // shards fill up roughly evenly
  // Recent keys are still counted; the oldest were evicted.
  EXPECT_EQ(rl.check("10.999999", kT0 + 10'000).remaining, 98);
  EXPECT_EQ(rl.check("10.0", kT0 + 10'000).remaining, 99);
}

TEST(RateLimiter, ExpiredEntriesAreDropped) {
  RateLimitConfig cfg{5, 1'000};
  cfg.shards = 1;  // one shard, so that every call below prunes the same list
  RateLimiter rl(cfg);
  for (int i = 0; i < 1'000; ++i) rl.check("k" + std::to_string(i), kT0);
  EXPECT_EQ(rl.size(), 1'000U);
  // After the window, ordinary traffic drains the expired entries (up to 64 per call).
  for (int i = 0; i < 100; ++i) rl.check("fresh" + std::to_string(i), kT0 + 2'000);
  EXPECT_EQ(rl.size(), 100U);
}

TEST(RateLimiter, TinyBound) {
  RateLimitConfig cfg{1, 60'000};
  cfg.max_keys = 1;
  RateLimiter rl(cfg);
  EXPECT_TRUE(rl.check("a", kT0).allowed);
  EXPECT_TRUE(rl.check("b", kT0).allowed);  // evicts "a"
  EXPECT_EQ(rl.size(), 1U);
  EXPECT_FALSE(rl.check("b", kT0).allowed);
}

TEST(RateLimiter, InvalidConfigThrows) {
  EXPECT_THROW(RateLimiter({0, 1000}), std::invalid_argument);
  EXPECT_THROW(RateLimiter({1, 0}), std::invalid_argument);
  RateLimitConfig cfg;
  cfg.max_keys = 0;
  EXPECT_THROW(RateLimiter{cfg}, std::invalid_argument);
}

TEST(RateLimiter, ConcurrentChecksCountExactly) {
  RateLimiter rl({1'000, 60'000});
  std::atomic<int> allowed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 500; ++i) {
        if (rl.check("shared", kT0 + i).allowed) ++allowed;
        rl.check("own-" + std::to_string(t), kT0 + i);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(allowed.load(), 1'000);  // 4,000 attempts, exactly the limit let through
  EXPECT_EQ(rl.size(), 9U);
}
