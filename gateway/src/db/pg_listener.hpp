#pragma once
// LISTEN on a dedicated PostgreSQL connection: every NOTIFY on the given channels is handed to a
// callback, on the listener's own thread. The connection is opened again (after a pause) when it
// fails; on_connected runs after every (re)connect, so that the owner can catch up on what was
// sent while nobody listened (NOTIFY is not queued for absent listeners).
// Thread safety: start() and stop() from one thread; the callbacks run on the listener thread and
// must not block for long.
#include <atomic>
#include <functional>
#include <string>
#include <thread>
#include <vector>

namespace gw::db {

class PgListener {
 public:
  using Handler = std::function<void(const std::string& channel, const std::string& payload)>;
  PgListener(std::string url, std::vector<std::string> channels, Handler on_notify,
             std::function<void()> on_connected);
  ~PgListener();
  PgListener(const PgListener&) = delete;
  PgListener& operator=(const PgListener&) = delete;

  void start();
  /// Stops the thread (returns within about 200 ms).
  void stop();
  /// Whether the connection is up and listening.
  [[nodiscard]] bool connected() const noexcept { return connected_.load(); }

 private:
  void run();

  std::string url_;
  std::vector<std::string> channels_;
  Handler on_notify_;
  std::function<void()> on_connected_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> connected_{false};
  std::thread thread_;
};

}  // namespace gw::db
