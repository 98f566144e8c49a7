#pragma once
// The data layer's entry point: a connection pool plus a thread pool for blocking database calls,
// so that no I/O thread ever waits on SQLite or PostgreSQL.
//   co_await db.run([&](db::Connection& c) { return c.query("SELECT 1"); });
// Thread safety: all members may be called from any thread.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <type_traits>

#include "db/connection.hpp"

namespace gw::db {

struct PoolOptions {
  int max_connections = 20;
  int max_idle = 5;  // more are kept while they were used in the last surplus_idle
  std::chrono::seconds surplus_idle{30};
  std::chrono::seconds max_lifetime{300};
  std::chrono::milliseconds acquire_timeout{5000};
};

struct PoolStats {
  int in_use = 0;
  int idle = 0;
  int max = 0;
};

class Database {
 public:
  using Factory = std::function<std::unique_ptr<Connection>()>;
  Database(Dialect dialect, Factory factory, PoolOptions options, int blocking_threads);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  /// SQLite at `path` or PostgreSQL at `url` (non-empty url wins).
  static std::unique_ptr<Database> open(const std::string& sqlite_path, const std::string& url,
                                        PoolOptions options);

  [[nodiscard]] Dialect dialect() const noexcept { return dialect_; }
  [[nodiscard]] PoolStats stats() const;

  /// Runs `f(Connection&)` on the calling thread with a pooled connection (blocking).
  template <typename F>
  auto with_connection(F&& f) -> std::invoke_result_t<F, Connection&> {
    Lease lease(*this);
    return std::forward<F>(f)(*lease.conn);
  }

  /// Runs `f(Connection&)` on the blocking pool and resumes the caller on its own executor.
  /// `f` is taken by reference (it lives in the caller's full-expression while this is awaited):
  /// a closure passed by value into a coroutine is destroyed twice by g++ 12 (util/coro.hpp).
  template <typename F>
  auto run(F&& f) -> boost::asio::awaitable<std::invoke_result_t<F&, Connection&>> {
    co_return co_await boost::asio::co_spawn(blocking_.get_executor(), run_here(&f),
                                             boost::asio::use_awaitable);
  }

  /// Closes idle connections and stops the blocking pool (waits for running calls).
  void close();

 private:
  template <typename F>
  auto run_here(F* f) -> boost::asio::awaitable<std::invoke_result_t<F&, Connection&>> {
    co_return with_connection(*f);
  }

  struct Pooled {
    std::unique_ptr<Connection> conn;
    std::chrono::steady_clock::time_point created;
    std::chrono::steady_clock::time_point idle_since{};
  };
  // A connection borrowed from the pool; returned (or discarded when broken) on destruction.
  struct Lease {
    explicit Lease(Database& db);
    ~Lease();
    Database& db;
    std::unique_ptr<Connection> conn;
    std::chrono::steady_clock::time_point created;
  };

  Dialect dialect_;
  Factory factory_;
  PoolOptions options_;
  mutable std::mutex mutex_;
  std::condition_variable available_;
  std::deque<Pooled> idle_;
  int in_use_ = 0;
  boost::asio::thread_pool blocking_;
};

}  // namespace gw::db
