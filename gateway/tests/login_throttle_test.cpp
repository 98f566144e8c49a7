// The global failed-login budget: free under it, paced beyond it, bounded wait, refunds.
#include "auth/login_throttle.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

using namespace gw::auth;

namespace {
constexpr std::int64_t kT0 = 1'700'000'000'000;
}

TEST(LoginThrottle, FreeUnderTheBudgetThenGrowingDelay) {
  LoginThrottle t({10, 30'000});
  EXPECT_EQ(t.interval_ms(), 6'000);
  for (int i = 0; i < 10; ++i) {
    const auto a = t.admit(kT0 + i);
    ASSERT_TRUE(a.allowed);
    EXPECT_EQ(a.delay_ms, 0);
  }
  // Beyond the budget every attempt waits for the next slot: 0, 6, 12, ... seconds.
  std::int64_t previous = -1;
  for (int i = 0; i < 6; ++i) {
    const auto a = t.admit(kT0 + 10);
    ASSERT_TRUE(a.allowed) << i;
    EXPECT_EQ(a.budget_just_exceeded, i == 0);
    EXPECT_EQ(a.delay_ms, i * 6'000);
    EXPECT_GT(a.delay_ms, previous);
    previous = a.delay_ms;
  }
  // The next slot is 36 s away, over the 30 s bound: refused, not counted.
  const auto refused = t.admit(kT0 + 10);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after_seconds, 6);
  EXPECT_EQ(t.slowed_total(), 6U);
  EXPECT_EQ(t.refused_total(), 1U);
  EXPECT_EQ(t.window_count(kT0 + 10), 16);
  EXPECT_EQ(t.current_delay_ms(kT0 + 10), 36'000);
}

TEST(LoginThrottle, AtMostTwiceTheBudgetPerMinuteSustained) {
  // An attacker that keeps the queue full: over 10 minutes, about 2 x budget per minute pass.
  LoginThrottle t({60, 30'000});
  std::int64_t admitted = 0;
  for (std::int64_t now = kT0; now < kT0 + 600'000; now += 50) {
    for (int k = 0; k < 5; ++k) {
      const auto a = t.admit(now);
      if (a.allowed) ++admitted;
    }
  }
  // 10 windows x 60 free + 600 s / 1 s paced, plus the 30 s queue that was admitted ahead.
  EXPECT_LE(admitted, 10 * 60 + 600 + 31);
  EXPECT_GE(admitted, 10 * 60 + 600);
}

TEST(LoginThrottle, RefundsGiveBackOnlyTheirOwnWindow) {
  LoginThrottle t({3, 30'000});
  for (int i = 0; i < 10; ++i) t.refund(t.admit(kT0 + i));  // successful logins: never slowed
  EXPECT_EQ(t.window_count(kT0 + 10), 0);
  const auto old = t.admit(kT0 + 20);
  EXPECT_EQ(t.window_count(kT0 + 20), 1);
  const auto next = t.admit(kT0 + 60'020);  // a new window
  t.refund(old);                            // from the previous window: ignored
  EXPECT_EQ(t.window_count(kT0 + 60'020), 1);
  t.refund(next);
  EXPECT_EQ(t.window_count(kT0 + 60'020), 0);
  EXPECT_EQ(t.admit(kT0 + 60'030).delay_ms, 0);
}

TEST(LoginThrottle, ConcurrentAttemptsCannotAllSlipUnderTheBudget) {
  LoginThrottle t({20, 0});  // no waiting allowed: beyond the budget, refused
  std::atomic<int> free_pass{0};
  std::vector<std::thread> threads;
  for (int k = 0; k < 8; ++k) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        const auto a = t.admit(kT0);
        if (a.allowed && a.delay_ms == 0) ++free_pass;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(free_pass.load(), 21);  // the budget, plus the one slot that is due now
}

TEST(LoginThrottle, RejectsBadConfig) {
  EXPECT_THROW(LoginThrottle({0, 1000}), std::invalid_argument);
  EXPECT_THROW(LoginThrottle({10, -1}), std::invalid_argument);
}
