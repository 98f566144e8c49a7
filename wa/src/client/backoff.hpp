#pragma once
// Reconnect delays: exponential with full jitter, capped, reset after a successful login.
// Thread safety: none; owned by one client (its strand).
#include <chrono>
#include <cstdint>
#include <random>

namespace wa::client {

class Backoff {
 public:
  Backoff(std::chrono::milliseconds base, std::chrono::milliseconds cap, uint64_t seed);
  /// The delay before the next attempt: uniform in [base/2, min(cap, base * 2^attempts)].
  std::chrono::milliseconds next();
  /// Forget past failures (after <success>).
  void reset() noexcept { attempts_ = 0; }
  [[nodiscard]] int attempts() const noexcept { return attempts_; }

 private:
  std::chrono::milliseconds base_, cap_;
  int attempts_ = 0;
  std::mt19937_64 rng_;
};

}  // namespace wa::client
