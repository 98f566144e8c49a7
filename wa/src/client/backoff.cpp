#include "client/backoff.hpp"

#include <algorithm>

namespace wa::client {

Backoff::Backoff(std::chrono::milliseconds base, std::chrono::milliseconds cap, uint64_t seed)
    : base_(std::max(base, std::chrono::milliseconds(1))), cap_(std::max(cap, base_)), rng_(seed) {}

std::chrono::milliseconds Backoff::next() {
  int shift = std::min(attempts_, 30);
  int64_t ceiling = base_.count();
  for (int i = 0; i < shift && ceiling < cap_.count(); ++i) ceiling *= 2;
  ceiling = std::min<int64_t>(ceiling, cap_.count());
  int64_t floor = std::max<int64_t>(1, base_.count() / 2);
  ++attempts_;
  if (ceiling <= floor) return std::chrono::milliseconds(ceiling);
  std::uniform_int_distribution<int64_t> pick(floor, ceiling);
  return std::chrono::milliseconds(pick(rng_));
}

}  // namespace wa::client
