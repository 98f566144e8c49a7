#include "app/health.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>

#include "log/log.hpp"

namespace gw::app {

namespace {
bool ping(db::Connection& c) {
  c.query("SELECT 1");
  return true;
}
}  // namespace

HealthMonitor::HealthMonitor(db::Database& db, const boost::asio::any_io_executor& ex,
                             std::chrono::milliseconds interval)
    : db_(db), timer_(ex), interval_(interval) {}

void HealthMonitor::start() {
  try {
    up_ = db_.with_connection(ping);
  } catch (const std::exception&) {
    up_ = false;
  }
  boost::asio::co_spawn(timer_.get_executor(), loop(), boost::asio::detached);
}

void HealthMonitor::stop() {
  stopped_ = true;
  boost::asio::post(timer_.get_executor(), [this] { timer_.cancel(); });
}

boost::asio::awaitable<void> HealthMonitor::loop() {
  while (!stopped_) {
    timer_.expires_after(interval_);
    auto [ec] = co_await timer_.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
    if (ec || stopped_) break;
    bool up = false;
    std::string error;
    try {
      up = co_await db_.run(ping);
    } catch (const std::exception& e) {
      error = e.what();
    }
    bool was = up_.exchange(up);
    if (was && !up) log::error("database unreachable", {{"error", error}});
    if (!was && up) log::info("database reachable again");
  }
}

}  // namespace gw::app
