#pragma once
// Database liveness, probed in the background once a second so that /health stays cheap and
// reports a lost database within two seconds (and its return without a restart).
// Thread safety: database_up() from any thread; start/stop from the owning executor.
#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>

#include "db/database.hpp"

namespace gw::app {

class HealthMonitor {
 public:
  HealthMonitor(db::Database& db, const boost::asio::any_io_executor& ex,
                std::chrono::milliseconds interval = std::chrono::milliseconds(1000));
  /// Probes once synchronously (so the first /health is accurate), then keeps probing.
  void start();
  void stop();
  [[nodiscard]] bool database_up() const noexcept { return up_.load(std::memory_order_relaxed); }

 private:
  boost::asio::awaitable<void> loop();
  db::Database& db_;
  boost::asio::steady_timer timer_;
  std::chrono::milliseconds interval_;
  std::atomic<bool> up_{false};
  std::atomic<bool> stopped_{false};
};

}  // namespace gw::app
