#pragma once
// Per-session message and webhook metrics for /metrics: messages received,
// forwarded and ignored; webhook attempts by outcome; webhook latency. The session label is
// bounded: the first `max_sessions` sessions seen get their own label, every later one is summed
// under session="other", so the number of series never grows without limit.
// Thread safety: all members may be called from any thread (one mutex, held briefly).
#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <ostream>
#include <string>
#include <string_view>

namespace gw::obs {

class SessionMetrics {
 public:
  explicit SessionMetrics(std::size_t max_sessions) : max_sessions_(max_sessions) {}

  /// One incoming message was stored: forwarded to the webhook, or not (ignored).
  void message(std::string_view session_id, bool forwarded);
  /// One webhook attempt finished: outcome "delivered", "retry" or "failed".
  void webhook_attempt(std::string_view session_id, std::string_view outcome, double seconds);
  /// Appends the families in Prometheus text format.
  void render(std::ostream& o) const;

  static constexpr std::array<double, 10> kLatencyBuckets = {0.05, 0.1, 0.25, 0.5, 1,
                                                             2.5,  5,   10,   30,  60};

 private:
  struct Series {
    uint64_t received = 0, forwarded = 0, ignored = 0;
    uint64_t delivered = 0, retry = 0, failed = 0;
    std::array<uint64_t, kLatencyBuckets.size()> buckets{};
    uint64_t latency_count = 0;
    double latency_sum = 0;
  };
  Series& series(std::string_view session_id);  // mutex_ held

  std::size_t max_sessions_;
  mutable std::mutex mutex_;
  std::map<std::string, Series, std::less<>> by_session_;  // at most max_sessions_ + "other"
};

}  // namespace gw::obs
