#include "observability/session_metrics.hpp"

#include <sstream>

namespace gw::obs {

namespace {
constexpr std::string_view kOther = "other";
}

SessionMetrics::Series& SessionMetrics::series(std::string_view session_id) {
  if (auto it = by_session_.find(session_id); it != by_session_.end()) return it->second;
  const std::size_t named = by_session_.size() - (by_session_.count(kOther) ? 1 : 0);
  if (named >= max_sessions_) return by_session_[std::string(kOther)];
  return by_session_[std::string(session_id)];
}

void SessionMetrics::message(std::string_view session_id, bool forwarded) {
  std::lock_guard lock(mutex_);
  auto& s = series(session_id);
  ++s.received;
  ++(forwarded ? s.forwarded : s.ignored);
}

void SessionMetrics::webhook_attempt(std::string_view session_id, std::string_view outcome,
                                     double seconds) {
  std::lock_guard lock(mutex_);
  auto& s = series(session_id);
  if (outcome == "delivered") {
    ++s.delivered;
  } else if (outcome == "retry") {
    ++s.retry;
  } else {
    ++s.failed;
  }
  for (std::size_t i = 0; i < kLatencyBuckets.size(); ++i) {
    if (seconds <= kLatencyBuckets[i]) ++s.buckets[i];
  }
  ++s.latency_count;
  s.latency_sum += seconds;
}

void SessionMetrics::render(std::ostream& o) const {
  std::lock_guard lock(mutex_);
  auto label = [](const std::string& id) { return "session=\"" + id + "\""; };
  const struct {
    const char* name;
    const char* help;
    uint64_t Series::*field;
  } counters[] = {
      {"messages_received_total", "Incoming messages stored (and counted in analytics).",
       &Series::received},
      {"messages_forwarded_total", "Incoming messages queued for the session's webhook.",
       &Series::forwarded},
      {"messages_ignored_total",
       "Incoming messages stored but not forwarded (group without mention, ignored sender, "
       "event not subscribed).",
       &Series::ignored},
  };
  for (const auto& c : counters) {
    o << "# HELP " << c.name << " " << c.help << "\n# TYPE " << c.name << " counter\n";
    for (const auto& [id, s] : by_session_)
      o << c.name << "{" << label(id) << "} " << s.*c.field << "\n";
  }
  o << "# HELP webhook_attempts_by_outcome_total Webhook HTTP attempts by session and outcome "
       "(delivered, retry, failed).\n# TYPE webhook_attempts_by_outcome_total counter\n";
  for (const auto& [id, s] : by_session_) {
    for (const auto& [outcome, n] : {std::pair{"delivered", s.delivered},
                                     std::pair{"retry", s.retry}, std::pair{"failed", s.failed}}) {
      o << "webhook_attempts_by_outcome_total{" << label(id) << ",outcome=\"" << outcome << "\"} "
        << n << "\n";
    }
  }
  o << "# HELP webhook_request_duration_seconds Time from sending a webhook request to its answer "
       "(or failure).\n# TYPE webhook_request_duration_seconds histogram\n";
  for (const auto& [id, s] : by_session_) {
    for (std::size_t i = 0; i < kLatencyBuckets.size(); ++i) {
      std::ostringstream le;
      le << kLatencyBuckets[i];
      o << "webhook_request_duration_seconds_bucket{" << label(id) << ",le=\"" << le.str() << "\"} "
        << s.buckets[i] << "\n";
    }
    o << "webhook_request_duration_seconds_bucket{" << label(id) << ",le=\"+Inf\"} "
      << s.latency_count << "\n"
      << "webhook_request_duration_seconds_sum{" << label(id) << "} " << s.latency_sum << "\n"
      << "webhook_request_duration_seconds_count{" << label(id) << "} " << s.latency_count << "\n";
  }
}

}  // namespace gw::obs
