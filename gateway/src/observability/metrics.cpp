#include "observability/metrics.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <sstream>

namespace gw::obs {

namespace {
// Label values are route patterns and methods we chose, but escape anyway.
std::string escape_label(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

template <typename Map, typename Make>
auto& find_or_create(std::shared_mutex& m, Map& map, const std::string& key, Make make) {
  {
    std::shared_lock lock(m);
    if (auto it = map.find(key); it != map.end()) return *it->second;
  }
  std::unique_lock lock(m);
  auto [it, inserted] = map.try_emplace(key, nullptr);
  if (inserted) it->second = make();
  return *it->second;
}

std::string fmt_double(double v) {
  std::ostringstream o;
  o.precision(17);
  o << v;
  return o.str();
}
}  // namespace

Metrics::Metrics()
    : start_time_seconds_(
          std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
              .count()) {}

void Metrics::observe_request(std::string_view method, std::string_view route, int status,
                              double seconds) {
  std::string key = "method=\"" + escape_label(method) + "\",route=\"" + escape_label(route) +
                    "\",status=\"" + std::to_string(status) + "\"";
  find_or_create(mutex_, requests_, key, [] {
    return std::make_unique<std::atomic<uint64_t>>(0);
  }).fetch_add(1, std::memory_order_relaxed);
  auto& h = find_or_create(mutex_, durations_, escape_label(route),
                           [] { return std::make_unique<Histogram>(); });
  for (size_t i = 0; i < kBuckets.size(); ++i) {
    if (seconds <= kBuckets[i]) h.buckets[i].fetch_add(1, std::memory_order_relaxed);
  }
  h.count.fetch_add(1, std::memory_order_relaxed);
  h.sum_micros.fetch_add(static_cast<uint64_t>(seconds * 1e6), std::memory_order_relaxed);
}

void Metrics::add_gauge(std::string name, std::string help, std::string labels,
                        std::function<double()> read) {
  std::unique_lock lock(mutex_);
  gauges_.push_back({std::move(name), std::move(help), std::move(labels), std::move(read)});
}

void Metrics::add_counter(std::string name, std::string help, std::string labels,
                          std::function<double()> read) {
  std::unique_lock lock(mutex_);
  gauges_.push_back({std::move(name), std::move(help), std::move(labels), std::move(read), true});
}

void Metrics::add_collector(std::function<void(std::ostream&)> write) {
  std::unique_lock lock(mutex_);
  collectors_.push_back(std::move(write));
}

std::string Metrics::render() const {
  std::ostringstream o;
  // Process metrics.
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  double cpu = static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
               static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
  size_t fds = 0;
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    ++fds;
  }
  o << "# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.\n"
       "# TYPE process_cpu_seconds_total counter\n"
    << "process_cpu_seconds_total " << fmt_double(cpu) << "\n"
    << "# HELP process_resident_memory_bytes Resident memory size in bytes.\n"
       "# TYPE process_resident_memory_bytes gauge\n"
    << "process_resident_memory_bytes " << resident_memory_bytes() << "\n"
    << "# HELP process_open_fds Number of open file descriptors.\n"
       "# TYPE process_open_fds gauge\n"
    << "process_open_fds " << fds << "\n"
    << "# HELP process_start_time_seconds Start time of the process since unix epoch.\n"
       "# TYPE process_start_time_seconds gauge\n"
    << "process_start_time_seconds " << fmt_double(start_time_seconds_) << "\n";

  std::shared_lock lock(mutex_);
  o << "# HELP http_requests_total HTTP requests served, by method, route and status.\n"
       "# TYPE http_requests_total counter\n";
  for (const auto& [labels, n] : requests_) {
    o << "http_requests_total{" << labels << "} " << n->load(std::memory_order_relaxed) << "\n";
  }
  o << "# HELP http_request_duration_seconds Time from request headers read to response ready.\n"
       "# TYPE http_request_duration_seconds histogram\n";
  for (const auto& [route, h] : durations_) {
    for (size_t i = 0; i < kBuckets.size(); ++i) {
      o << "http_request_duration_seconds_bucket{route=\"" << route << "\",le=\""
        << fmt_double(kBuckets[i]) << "\"} " << h->buckets[i].load(std::memory_order_relaxed)
        << "\n";
    }
    auto count = h->count.load(std::memory_order_relaxed);
    o << "http_request_duration_seconds_bucket{route=\"" << route << "\",le=\"+Inf\"} " << count
      << "\n"
      << "http_request_duration_seconds_sum{route=\"" << route << "\"} "
      << fmt_double(static_cast<double>(h->sum_micros.load(std::memory_order_relaxed)) / 1e6)
      << "\n"
      << "http_request_duration_seconds_count{route=\"" << route << "\"} " << count << "\n";
  }
  std::string last;
  for (const auto& g : gauges_) {
    if (g.name != last) {
      o << "# HELP " << g.name << " " << g.help << "\n# TYPE " << g.name
        << (g.counter ? " counter\n" : " gauge\n");
      last = g.name;
    }
    o << g.name;
    if (!g.labels.empty()) o << "{" << g.labels << "}";
    o << " " << fmt_double(g.read()) << "\n";
  }
  for (const auto& write : collectors_) write(o);
  return o.str();
}

uint64_t resident_memory_bytes() {
  FILE* f = std::fopen("/proc/self/statm", "r");
  if (!f) return 0;
  unsigned long size = 0, resident = 0;
  int n = std::fscanf(f, "%lu %lu", &size, &resident);
  std::fclose(f);
  if (n != 2) return 0;
  return static_cast<uint64_t>(resident) * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
}

}  // namespace gw::obs
