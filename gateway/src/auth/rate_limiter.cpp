#include "auth/rate_limiter.hpp"

#include <algorithm>
#include <functional>
#include <list>
#include <mutex>
#include <stdexcept>
#include <string>
#include <unordered_map>

namespace gw::auth {
namespace {

struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept {
    return std::hash<std::string_view>{}(s);
  }
};

// Expired entries dropped per call at most, so that one call never holds a shard lock for long;
// each call adds at most one entry, so this keeps up.
constexpr int kMaxPrunePerCall = 64;

std::int64_t ceil_div_1000(std::int64_t ms) noexcept {
  return ms >= 0 ? (ms + 999) / 1000 : -((-ms) / 1000);
}

}  // namespace

struct RateLimiter::Shard {
  struct Entry {
    std::int64_t window_start_ms = 0;
    std::int64_t count = 0;
    std::list<const std::string*>::iterator order_pos;
  };

  mutable std::mutex mu;
  // Keys by window start, oldest first (exact while time does not go backwards). Pointers refer
  // to the map's keys, which unordered_map keeps stable across rehashing.
  std::list<const std::string*> order;
  std::unordered_map<std::string, Entry, StringHash, std::equal_to<>> entries;

  void erase_front() {
    const auto it = entries.find(*order.front());
    order.pop_front();
    entries.erase(it);
  }
};

RateLimiter::RateLimiter(RateLimitConfig config) : config_(config) {
  if (config_.limit < 1) throw std::invalid_argument("RateLimiter: limit must be >= 1");
  if (config_.window_ms < 1) throw std::invalid_argument("RateLimiter: window_ms must be >= 1");
  if (config_.max_keys < 1) throw std::invalid_argument("RateLimiter: max_keys must be >= 1");
  config_.shards = std::clamp<std::size_t>(config_.shards, 1, config_.max_keys);
  // Floor, so that the total over all shards never exceeds max_keys.
  per_shard_cap_ = config_.max_keys / config_.shards;
  shards_.reserve(config_.shards);
  for (std::size_t i = 0; i < config_.shards; ++i) shards_.push_back(std::make_unique<Shard>());
}

RateLimiter::~RateLimiter() = default;

RateLimiter::Shard& RateLimiter::shard_for(std::string_view key) const {
  return *shards_[StringHash{}(key) % shards_.size()];
}

RateLimitDecision RateLimiter::check(std::string_view key, std::int64_t now_ms) {
  Shard& s = shard_for(key);
  const std::lock_guard lock(s.mu);

  for (int i = 0; i < kMaxPrunePerCall && !s.order.empty(); ++i) {
    const auto front = s.entries.find(*s.order.front());
    if (front->second.window_start_ms + config_.window_ms > now_ms) break;
    s.erase_front();
  }

  auto it = s.entries.find(key);
  if (it == s.entries.end()) {
    while (s.entries.size() >= per_shard_cap_) s.erase_front();
    it = s.entries.emplace(std::string(key), Shard::Entry{now_ms, 0, {}}).first;
    it->second.order_pos = s.order.insert(s.order.end(), &it->first);
  } else if (now_ms >= it->second.window_start_ms + config_.window_ms) {
    it->second.window_start_ms = now_ms;
    it->second.count = 0;
    s.order.splice(s.order.end(), s.order, it->second.order_pos);
  }

  Shard::Entry& e = it->second;
  const std::int64_t window_end = e.window_start_ms + config_.window_ms;
  RateLimitDecision d;
  d.limit = config_.limit;
  d.reset_unix_seconds = ceil_div_1000(window_end);
  if (e.count < config_.limit) {
    ++e.count;
    d.allowed = true;
    d.remaining = config_.limit - e.count;
  } else {
    d.allowed = false;
    d.remaining = 0;
    d.retry_after_seconds = std::max<std::int64_t>(1, ceil_div_1000(window_end - now_ms));
  }
  return d;
}

void RateLimiter::refund(std::string_view key, std::int64_t now_ms) {
  Shard& s = shard_for(key);
  const std::lock_guard lock(s.mu);
  const auto it = s.entries.find(key);
  if (it == s.entries.end() || now_ms >= it->second.window_start_ms + config_.window_ms) return;
  if (it->second.count > 0) --it->second.count;
}

RateLimitDecision RateLimiter::peek(std::string_view key, std::int64_t now_ms) const {
  Shard& s = shard_for(key);
  const std::lock_guard lock(s.mu);
  std::int64_t start = now_ms;
  std::int64_t count = 0;
  if (const auto it = s.entries.find(key);
      it != s.entries.end() && now_ms < it->second.window_start_ms + config_.window_ms) {
    start = it->second.window_start_ms;
    count = it->second.count;
  }
  const std::int64_t window_end = start + config_.window_ms;
  RateLimitDecision d;
  d.limit = config_.limit;
  d.reset_unix_seconds = ceil_div_1000(window_end);
  d.allowed = count < config_.limit;
  d.remaining = d.allowed ? config_.limit - count - 1 : 0;
  if (!d.allowed) {
    d.retry_after_seconds = std::max<std::int64_t>(1, ceil_div_1000(window_end - now_ms));
  }
  return d;
}

std::size_t RateLimiter::size() const {
  std::size_t n = 0;
  for (const auto& s : shards_) {
    const std::lock_guard lock(s->mu);
    n += s->entries.size();
  }
  return n;
}

}  // namespace gw::auth
