#pragma once
// The global failed-login budget: one wrong PIN is tested against every account at once, so an
// attacker with many addresses (a /24, an IPv6 /32 of /48s) is bounded per service, not only per
// address. Up to `budget_per_minute` attempts per fixed one-minute window pass at once; beyond
// it, attempts are paced: each one waits for the next free slot, one every 60 s / budget, so the
// delay grows with the number of attempts waiting and the whole service admits at most about
// 2 x budget failed logins a minute however many addresses try. An attempt whose slot is more
// than `max_delay_ms` away is refused (429 + Retry-After): a waiting request holds a connection,
// so the queue needs a bound.
//
// Like the per-address limit, an attempt is counted when it is admitted (in the same locked step
// as the decision) and given back with refund() when its PIN was right, so concurrent attempts
// cannot all slip under the budget before any is counted. Once over the budget, successful logins
// wait too: a login cannot be known to be right before it is tried.
//
// Thread safety: all member functions may be called concurrently (one mutex, held for a few
// arithmetic operations).
#include <cstdint>
#include <mutex>

namespace gw::auth {

struct LoginThrottleConfig {
  std::int64_t budget_per_minute = 100;  ///< LOGIN_FAILURES_GLOBAL_PER_MINUTE, >= 1
  std::int64_t max_delay_ms = 30'000;    ///< LOGIN_SLOWDOWN_MAX_DELAY, >= 0
};

/// The answer for one login attempt.
struct LoginAdmission {
  bool allowed = true;
  std::int64_t delay_ms = 0;             ///< wait this long before testing the PIN
  std::int64_t retry_after_seconds = 0;  ///< when !allowed
  std::int64_t window_start_ms = 0;      ///< identifies the window, for refund()
  bool budget_just_exceeded = false;     ///< first slowed attempt of this window (log it once)
};

class LoginThrottle {
 public:
  static constexpr std::int64_t kWindowMs = 60'000;

  /// Throws std::invalid_argument if budget_per_minute < 1 or max_delay_ms < 0.
  explicit LoginThrottle(LoginThrottleConfig config);

  /// Counts one attempt at now_ms (Unix milliseconds) and says whether and after how long it may
  /// proceed. A refused attempt is not counted.
  LoginAdmission admit(std::int64_t now_ms);
  /// Gives back an admitted attempt that turned out to be a successful login.
  void refund(const LoginAdmission& admitted);

  /// The time between two slowed attempts: 60 s / budget (at least 1 ms).
  [[nodiscard]] std::int64_t interval_ms() const noexcept { return interval_ms_; }
  /// Attempts counted in the window that contains now_ms.
  [[nodiscard]] std::int64_t window_count(std::int64_t now_ms) const;
  /// How long an attempt made at now_ms that is over the budget would wait (0 under it).
  [[nodiscard]] std::int64_t current_delay_ms(std::int64_t now_ms) const;
  /// Attempts that had to wait, and attempts refused because the wait was over max_delay_ms.
  [[nodiscard]] std::uint64_t slowed_total() const;
  [[nodiscard]] std::uint64_t refused_total() const;

  const LoginThrottleConfig& config() const noexcept { return config_; }

 private:
  LoginThrottleConfig config_;
  std::int64_t interval_ms_;
  mutable std::mutex mu_;
  std::int64_t window_start_ms_ = 0;
  std::int64_t count_ = 0;
  bool window_exceeded_ = false;
  std::int64_t next_slot_ms_ = 0;
  std::uint64_t slowed_ = 0;
  std::uint64_t refused_ = 0;
};

}  // namespace gw::auth
