#include "db/database.hpp"

#include <vector>

namespace gw::db {

Database::Database(Dialect dialect, Factory factory, PoolOptions options, int blocking_threads)
    : dialect_(dialect),
      factory_(std::move(factory)),
      options_(options),
      blocking_(static_cast<size_t>(std::max(1, blocking_threads))) {}

Database::~Database() {
  close();
}

std::unique_ptr<Database> Database::open(const std::string& sqlite_path, const std::string& url,
                                         PoolOptions options) {
  int threads = std::min(options.max_connections, 16);
  if (!url.empty()) {
    return std::make_unique<Database>(
        Dialect::postgres, [url] { return open_postgres(url); }, options, threads);
  }
  return std::make_unique<Database>(
      Dialect::sqlite, [sqlite_path] { return open_sqlite(sqlite_path); }, options, threads);
}

PoolStats Database::stats() const {
  std::lock_guard lock(mutex_);
  return {in_use_, static_cast<int>(idle_.size()), options_.max_connections};
}

void Database::close() {
  blocking_.join();
  std::lock_guard lock(mutex_);
  idle_.clear();
}

Database::Lease::Lease(Database& d) : db(d) {
  std::unique_lock lock(db.mutex_);
  auto deadline = std::chrono::steady_clock::now() + db.options_.acquire_timeout;
  while (true) {
    // The most recently used connection first: its caches are warm, and the others age out.
    while (!db.idle_.empty()) {
      Pooled p = std::move(db.idle_.back());
      db.idle_.pop_back();
      if (std::chrono::steady_clock::now() - p.created < db.options_.max_lifetime &&
          p.conn->healthy()) {
        conn = std::move(p.conn);
        created = p.created;
        ++db.in_use_;
        return;
      }
      // Expired or broken: dropped here (closing a connection does not block for long).
    }
    if (db.in_use_ + static_cast<int>(db.idle_.size()) < db.options_.max_connections) {
      ++db.in_use_;  // reserve the slot, connect outside the lock
      lock.unlock();
      try {
        conn = db.factory_();
      } catch (...) {
        lock.lock();
        --db.in_use_;
        db.available_.notify_one();
        throw;
      }
      created = std::chrono::steady_clock::now();
      return;
    }
    if (db.available_.wait_until(lock, deadline) == std::cv_status::timeout) {
      throw DbError(DbError::Kind::unavailable,
                    "database pool exhausted: no connection within " +
                        std::to_string(db.options_.acquire_timeout.count()) + " ms");
    }
  }
}

// Connections beyond max_idle are not closed as soon as they come back: under a steady load that
// closed and reopened one per burst (a new SQLite handle re-prepares every statement and starts
// with a cold page cache; a new PostgreSQL connection is a TCP and authentication round trip).
// They are closed once none of them was needed for surplus_idle.
Database::Lease::~Lease() {
  std::vector<Pooled> closing;  // closed after the lock is released
  {
    std::lock_guard lock(db.mutex_);
    --db.in_use_;
    const auto now = std::chrono::steady_clock::now();
    bool keep = conn && conn->healthy() && now - created < db.options_.max_lifetime;
    if (keep) db.idle_.push_back({std::move(conn), created, now});
    while (static_cast<int>(db.idle_.size()) > db.options_.max_idle &&
           now - db.idle_.front().idle_since >= db.options_.surplus_idle) {
      closing.push_back(std::move(db.idle_.front()));
      db.idle_.pop_front();
    }
    db.available_.notify_one();
  }
}

}  // namespace gw::db
