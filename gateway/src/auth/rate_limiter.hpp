#pragma once
// A fixed-window request limiter keyed by string (user id, client IP, ...), with bounded memory.
//
// Each key gets its own window of `window_ms`, starting at its first counted event; up to `limit`
// events are allowed in it, further ones are refused until the window ends, then the count starts
// again. (A fixed window can let through up to 2 x limit across a window boundary; for abuse
// protection that is acceptable and it gives exact X-RateLimit-* values.)
//
// Three uses in the gateway, one instance each:
//   - API requests: check(user id or client IP) per request, e.g. RateLimiter({100, 60'000}).
//   - generate-pin: check(client IP) per call, RateLimiter({10, 3'600'000}).
//   - failed logins: check(client key) *before* checking the PIN, so that the attempt is counted
//     in the same locked step that allows it (peek-then-count let every concurrent wrong PIN pass
//     the check before any was counted), then refund() when the PIN was right,
//     RateLimiter({10, 60'000}). A successful login gives back only its own reservation; there is
//     deliberately no reset on success (an attacker holding one valid PIN could otherwise
//     interleave it to keep guessing others).
//
// Memory: at most `max_keys` keys are tracked (split over shards). Keys whose window has ended
// are dropped lazily; when a shard is full, its key with the oldest window is evicted (losing
// that key's count, which only errs towards allowing). For IPv6 clients, key by a prefix
// (gw::http::rate_limit_key: /64, login_limit_key: /48) so that one host cannot mint unlimited
// keys.
//
// Thread safety: all member functions may be called concurrently; keys are spread over shards,
// each with its own mutex, held only for a hash-map operation.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

namespace gw::auth {

struct RateLimitConfig {
  std::int64_t limit = 100;         ///< events allowed per window, >= 1
  std::int64_t window_ms = 60'000;  ///< window length in milliseconds, >= 1
  std::size_t max_keys = 100'000;   ///< bound on tracked keys, >= 1
  std::size_t shards = 16;          ///< lock shards, >= 1 (clamped to max_keys)
};

/// The limiter's answer; maps to 429 + headers when !allowed.
struct RateLimitDecision {
  bool allowed = true;
  std::int64_t limit = 0;                ///< X-RateLimit-Limit
  std::int64_t remaining = 0;            ///< X-RateLimit-Remaining (after this event)
  std::int64_t reset_unix_seconds = 0;   ///< X-RateLimit-Reset: end of the window, rounded up
  std::int64_t retry_after_seconds = 0;  ///< Retry-After when !allowed (>= 1), else 0
};

class RateLimiter {
 public:
  /// Throws std::invalid_argument if limit, window_ms or max_keys is < 1.
  explicit RateLimiter(RateLimitConfig config);
  ~RateLimiter();
  RateLimiter(const RateLimiter&) = delete;
  RateLimiter& operator=(const RateLimiter&) = delete;

  /// Counts one event for key at now_ms (Unix milliseconds) if the limit allows it, and says so.
  /// A refused event is not counted.
  RateLimitDecision check(std::string_view key, std::int64_t now_ms);

  /// Gives back one event counted by check() in the same window (a reservation that turned out
  /// not to be needed, e.g. a login whose PIN was right). Nothing happens when the window has
  /// ended since, or nothing is counted.
  void refund(std::string_view key, std::int64_t now_ms);

  /// What check() would answer, without counting anything or creating an entry.
  RateLimitDecision peek(std::string_view key, std::int64_t now_ms) const;

  /// Number of keys currently tracked (includes keys whose window ended but not yet dropped).
  std::size_t size() const;

  const RateLimitConfig& config() const noexcept { return config_; }

 private:
  struct Shard;
  Shard& shard_for(std::string_view key) const;

  RateLimitConfig config_;
  std::size_t per_shard_cap_;
  std::vector<std::unique_ptr<Shard>> shards_;
};

}  // namespace gw::auth
