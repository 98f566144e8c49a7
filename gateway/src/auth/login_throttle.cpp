#include "auth/login_throttle.hpp"

#include <algorithm>
#include <stdexcept>

namespace gw::auth {

LoginThrottle::LoginThrottle(LoginThrottleConfig config)
    : config_(config),
      interval_ms_(config.budget_per_minute >= 1
                       ? std::max<std::int64_t>(1, kWindowMs / config.budget_per_minute)
                       : 1) {
  if (config_.budget_per_minute < 1)
    throw std::invalid_argument("LoginThrottle: budget_per_minute must be >= 1");
  if (config_.max_delay_ms < 0)
    throw std::invalid_argument("LoginThrottle: max_delay_ms must be >= 0");
}

LoginAdmission LoginThrottle::admit(std::int64_t now_ms) {
  const std::lock_guard lock(mu_);
  if (now_ms >= window_start_ms_ + kWindowMs || now_ms < window_start_ms_) {
    window_start_ms_ = now_ms;
    count_ = 0;
    window_exceeded_ = false;
  }
  LoginAdmission a;
  a.window_start_ms = window_start_ms_;
  if (count_ < config_.budget_per_minute) {
    ++count_;
    return a;
  }
  const std::int64_t slot = std::max(now_ms, next_slot_ms_);
  const std::int64_t delay = slot - now_ms;
  if (delay > config_.max_delay_ms) {
    ++refused_;
    a.allowed = false;
    a.retry_after_seconds = std::max<std::int64_t>(1, (delay - config_.max_delay_ms + 999) / 1000);
    return a;
  }
  next_slot_ms_ = slot + interval_ms_;
  ++count_;
  ++slowed_;
  a.delay_ms = delay;
  a.budget_just_exceeded = !window_exceeded_;
  window_exceeded_ = true;
  return a;
}

void LoginThrottle::refund(const LoginAdmission& admitted) {
  if (!admitted.allowed) return;
  const std::lock_guard lock(mu_);
  if (admitted.window_start_ms == window_start_ms_ && count_ > 0) --count_;
}

std::int64_t LoginThrottle::window_count(std::int64_t now_ms) const {
  const std::lock_guard lock(mu_);
  return now_ms >= window_start_ms_ + kWindowMs ? 0 : count_;
}

std::int64_t LoginThrottle::current_delay_ms(std::int64_t now_ms) const {
  const std::lock_guard lock(mu_);
  if (now_ms >= window_start_ms_ + kWindowMs || count_ < config_.budget_per_minute) return 0;
  return std::max<std::int64_t>(0, next_slot_ms_ - now_ms);
}

std::uint64_t LoginThrottle::slowed_total() const {
  const std::lock_guard lock(mu_);
  return slowed_;
}

std::uint64_t LoginThrottle::refused_total() const {
  const std::lock_guard lock(mu_);
  return refused_;
}

}  // namespace gw::auth
