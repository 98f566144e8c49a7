#pragma once
// Prometheus metrics: HTTP requests by route and status, a request-duration histogram, process
// metrics and gauges read from providers (database pool, sessions) at scrape time.
// Thread safety: all members may be called from any thread.
#include <array>
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <ostream>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

namespace gw::obs {

class Metrics {
 public:
  Metrics();
  /// Records one finished HTTP request.
  void observe_request(std::string_view method, std::string_view route, int status, double seconds);
  /// Adds a gauge evaluated at each scrape, e.g. "db_pool_connections{state=\"idle\"}".
  void add_gauge(std::string name, std::string help, std::string labels,
                 std::function<double()> read);
  /// Like add_gauge, for a value that only grows (exposed with TYPE counter; name ends _total).
  void add_counter(std::string name, std::string help, std::string labels,
                   std::function<double()> read);
  /// Adds families written by `write` at each scrape, after the others (labelled series whose
  /// label values are only known at run time, e.g. obs::SessionMetrics).
  void add_collector(std::function<void(std::ostream&)> write);
  /// The exposition text (text/plain; version=0.0.4).
  [[nodiscard]] std::string render() const;

  static constexpr std::array<double, 12> kBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                      0.05,   0.1,   0.25,   0.5,   1,    5};

 private:
  struct Histogram {
    std::array<std::atomic<uint64_t>, kBuckets.size()> buckets{};
    std::atomic<uint64_t> count{0};
    std::atomic<uint64_t> sum_micros{0};
  };
  struct Gauge {
    std::string name, help, labels;
    std::function<double()> read;
    bool counter = false;
  };

  mutable std::shared_mutex mutex_;
  std::map<std::string, std::unique_ptr<std::atomic<uint64_t>>, std::less<>> requests_;
  std::map<std::string, std::unique_ptr<Histogram>, std::less<>> durations_;
  std::vector<Gauge> gauges_;
  std::vector<std::function<void(std::ostream&)>> collectors_;
  double start_time_seconds_;
};

/// Resident set size of this process in bytes (from /proc/self/statm).
uint64_t resident_memory_bytes();

}  // namespace gw::obs
