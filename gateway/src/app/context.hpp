#pragma once
// What route handlers may use: the configuration and the long-lived services. Built once by App.
#include <chrono>
#include <functional>

#include "auth/authenticator.hpp"
#include "auth/rate_limiter.hpp"
#include "config/config.hpp"
#include "db/database.hpp"
#include "http/client_ip.hpp"
#include "http/security.hpp"
#include "observability/metrics.hpp"

namespace gw::cluster {
class Cluster;
}  // namespace gw::cluster

namespace gw::app {

class HealthMonitor;

struct Context {
  const config::Config& config;
  db::Database& db;
  obs::Metrics& metrics;
  HealthMonitor& health;
  std::chrono::steady_clock::time_point started;
  /// Number of WhatsApp sessions connected in this process.
  std::function<int()> active_sessions;
  auth::Authenticator& auth;
  /// RATE_LIMIT_PER_MINUTE per user (per client IP when anonymous), for /api routes.
  auth::RateLimiter& api_limiter;
  http::CorsPolicy cors;
  http::TrustedProxies trusted_proxies;
  /// Wall clock in Unix milliseconds (injectable for tests).
  std::function<int64_t()> now_ms;
  /// Cluster mode (docs/CLUSTER.md): requests for a session another node runs are relayed to it;
  /// null in one process.
  cluster::Cluster* cluster;
};

}  // namespace gw::app
