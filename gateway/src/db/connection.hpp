#pragma once
// One database connection. Implementations: SQLite (db/sqlite.cpp), PostgreSQL (db/postgres.cpp).
// SQL uses '?' placeholders on both backends (rewritten to $n for PostgreSQL).
// Thread safety: a connection is used by one thread at a time (the pool hands it out).
#include <functional>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "db/value.hpp"

namespace gw::db {

class Connection {
 public:
  virtual ~Connection() = default;
  [[nodiscard]] virtual Dialect dialect() const noexcept = 0;
  /// Runs one statement with bound parameters.
  virtual Result query(std::string_view sql, std::span<const Value> params) = 0;
  /// Runs one statement and calls `on_row` with each row as it is read. SQLite does not collect
  /// the rows: `on_row` gets the same Row each time, refilled, valid until it returns (for
  /// reports that fold thousands of rows). Other backends hand over the rows of query(). The
  /// callback must not use this connection (SQLite throws DbError(other) if it does).
  virtual void for_each_row(std::string_view sql, std::span<const Value> params,
                            const std::function<void(const Row&)>& on_row);
  /// Runs several ';'-separated statements without parameters (migrations).
  virtual void execute_script(std::string_view sql) = 0;
  /// False once the connection is known to be unusable; the pool then discards it.
  [[nodiscard]] virtual bool healthy() const noexcept = 0;

  Result query(std::string_view sql, std::initializer_list<Value> params = {}) {
    return query(sql, std::span<const Value>(params.begin(), params.size()));
  }
  /// Starts a write transaction (BEGIN IMMEDIATE on SQLite, so writers queue up front).
  virtual void begin();
  /// Returns once the transaction is committed. SQLite may commit it together with the
  /// transactions that waited for their turn behind it (db/sqlite.cpp, "group commit"): commit()
  /// then also waits for those (joining for at most 10 ms) and fails if their shared COMMIT fails.
  /// So a caller must not hold, across commit(), anything that a later writer needs.
  virtual void commit();
  virtual void rollback() noexcept;
};

/// Rolls back unless committed. Usage: Transaction tx(conn); ...; tx.commit();
class Transaction {
 public:
  explicit Transaction(Connection& c) : conn_(c) { conn_.begin(); }
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  ~Transaction() {
    if (!done_) conn_.rollback();
  }
  void commit() {
    conn_.commit();
    done_ = true;
  }

 private:
  Connection& conn_;
  bool done_ = false;
};

/// Opens `DATA_DIR`-relative SQLite file `path` (WAL, busy timeout, foreign keys on).
std::unique_ptr<Connection> open_sqlite(const std::string& path);
/// What the connections of one SQLite file in this process have done together (for tests: it
/// waits for a turn to write, like a writer).
struct SqliteFileStats {
  int64_t checkpoints = 0;          ///< rounds of the background checkpointer
  int64_t writer_cache_hits = 0;    ///< page reads the writer handle found in its cache
  int64_t writer_cache_misses = 0;  ///< page reads it had to take from the file
};
/// Zero for a file no connection of this process has open.
SqliteFileStats sqlite_file_stats(const std::string& path);
/// The turns to write that the connections of one SQLite file in this process took, and how long
/// they held them (/metrics; unlike sqlite_file_stats, it waits for nobody). Zero for a file no
/// connection of this process has open.
struct SqliteWriteTurns {
  uint64_t turns = 0;
  double seconds = 0;
  uint64_t grouped = 0;     ///< transactions committed by a later one's COMMIT, with it
  std::size_t waiting = 0;  ///< writers waiting for a turn now
};
SqliteWriteTurns sqlite_write_turns(const std::string& path);
/// Connects to PostgreSQL with a libpq URL; throws DbError(unavailable) on failure.
std::unique_ptr<Connection> open_postgres(const std::string& url);

/// Rewrites '?' placeholders to $1..$n outside quoted strings and comments.
std::string to_postgres_placeholders(std::string_view sql);

}  // namespace gw::db
