#pragma once
// What route handlers may use: the configuration and the long-lived services. Built once by App.
#include <chrono>
#include <functional>

#include "config/config.hpp"
#include "db/database.hpp"
#include "observability/metrics.hpp"

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
};

}  // namespace gw::app
