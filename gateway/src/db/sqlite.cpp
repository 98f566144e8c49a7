// SQLite backend: one sqlite3 handle per Connection, prepared statements cached per SQL text.
//
// Writers of one database file in this process take turns through a first-come first-served
// gate before SQLite's own write lock (docs/ARCHITECTURE.md "Threads and strands"): SQLite lets one
// writer in at a time and makes the others poll with growing sleeps (1, 2, 5, 10 ... ms), which put
// tens of milliseconds on the slowest messages of the pipeline; the gate hands the turn over as
// soon as the writer before ends. WAL checkpoints run on a thread of their own, so that no commit
// waits for a checkpoint's writes and fsync.
#include <sqlite3.h>

#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "db/connection.hpp"
#include "db/write_gate.hpp"
#include "util/strings.hpp"

namespace gw::db {

namespace {

constexpr auto kWriteWait = std::chrono::seconds(10);  // as SQLite's busy timeout below
constexpr int kCheckpointPages = 1000;                 // SQLite's own auto-checkpoint size

// What the connections of one database file share: the write gate and the checkpointer thread.
class FileState {
 public:
  explicit FileState(std::string path) : path_(std::move(path)) {
    checkpointer_ = std::thread([this] { checkpoint_loop(); });
  }
  ~FileState() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    checkpoint_cv_.notify_all();
    checkpointer_.join();
  }
  FileState(const FileState&) = delete;
  FileState& operator=(const FileState&) = delete;

  WriteGate& gate() { return gate_; }
  /// After a commit: the WAL holds `pages` pages. True when the committing thread should
  /// checkpoint itself (the checkpointer has no connection, or is far behind).
  bool wal_grew(int pages) {
    if (pages < kCheckpointPages) return false;
    {
      std::lock_guard lock(mu_);
      checkpoint_wanted_ = true;
      if (checkpointer_failed_ || pages >= 10 * kCheckpointPages) return true;
    }
    checkpoint_cv_.notify_one();
    return false;
  }

 private:
  void checkpoint_loop() {
    sqlite3* db = nullptr;
    std::unique_lock lock(mu_);
    while (true) {
      checkpoint_cv_.wait(lock, [this] { return stopping_ || checkpoint_wanted_; });
      if (stopping_) break;
      checkpoint_wanted_ = false;
      lock.unlock();
      // A connection knows the file is in WAL mode only once it has read it.
      if (!db &&
          (sqlite3_open_v2(path_.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
                           nullptr) != SQLITE_OK ||
           sqlite3_exec(db, "PRAGMA journal_mode=WAL", nullptr, nullptr, nullptr) != SQLITE_OK)) {
        sqlite3_close(db);
        db = nullptr;
      }
      lock.lock();
      checkpointer_failed_ = db == nullptr;
      lock.unlock();
      // PASSIVE: copies what no reader still needs, without waiting for anyone; writers go on
      // appending meanwhile. What it leaves is copied by a later round.
      if (db) sqlite3_wal_checkpoint_v2(db, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
      lock.lock();
    }
    lock.unlock();
    sqlite3_close_v2(db);
  }

  const std::string path_;
  WriteGate gate_;
  std::mutex mu_;
  std::condition_variable checkpoint_cv_;
  bool checkpoint_wanted_ = false;
  bool checkpointer_failed_ = false;  // its connection could not be opened
  bool stopping_ = false;
  std::thread checkpointer_;
};

// One FileState per file while any connection to it is open. In-memory databases are private to
// their connection and need none.
std::shared_ptr<FileState> file_state(const std::string& path) {
  if (path.empty() || path == ":memory:" || path.rfind("file:", 0) == 0) return nullptr;
  std::string key = path;
  std::error_code ec;
  auto canonical = std::filesystem::weakly_canonical(path, ec);
  if (!ec) key = canonical.string();
  static std::mutex mu;
  static std::unordered_map<std::string, std::weak_ptr<FileState>> states;
  std::lock_guard lock(mu);
  auto& slot = states[key];
  auto state = slot.lock();
  if (!state) {
    state = std::make_shared<FileState>(key);
    slot = state;
    std::erase_if(states, [](const auto& e) { return e.second.expired(); });
  }
  return state;
}

class SqliteConnection final : public Connection {
 public:
  explicit SqliteConnection(const std::string& path) : file_(file_state(path)) {
    int rc =
        sqlite3_open_v2(path.c_str(), &db_,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
    if (rc != SQLITE_OK) {
      std::string msg = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
      sqlite3_close(db_);
      db_ = nullptr;
      throw DbError(DbError::Kind::unavailable, "cannot open SQLite database " + path + ": " + msg);
    }
    sqlite3_extended_result_codes(db_, 1);
    sqlite3_busy_timeout(db_, 10'000);
    // temp_store=MEMORY: statement journals (every statement of a trigger that may fail opens
    // one, e.g. the analytics rollup upserts of migration 0010) and temporary b-trees stay in
    // memory instead of temp files: a third of the rollup triggers' cost.
    // Not through execute_script(): a connection opened while this thread writes elsewhere
    // must not wait for the gate.
    exec_raw(
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
        "PRAGMA temp_store=MEMORY;");
    if (file_) {
      // Replaces SQLite's auto-checkpoint, which would run in the committing thread.
      sqlite3_wal_hook(
          db_,
          [](void* state, sqlite3* db, const char* name, int pages) {
            // The checkpointer's backstop: it cannot open the file, or the WAL keeps growing
            // past ten times its size; then this thread checkpoints, as SQLite's own hook would.
            if (static_cast<FileState*>(state)->wal_grew(pages))
              sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
            return SQLITE_OK;
          },
          file_.get());
    }
  }

  ~SqliteConnection() override {
    for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
    sqlite3_close_v2(db_);
    if (holding_) file_->gate().release();
  }

  Dialect dialect() const noexcept override { return Dialect::sqlite; }
  // A connection left inside a transaction (e.g. a COMMIT that failed) is not reused: the pool
  // drops it, which rolls the transaction back and ends its write turn.
  bool healthy() const noexcept override {
    return db_ != nullptr && sqlite3_get_autocommit(db_) != 0;
  }

  void execute_script(std::string_view sql) override {
    Turn turn(*this, true);
    exec_raw(sql);
  }

  Result query(std::string_view sql, std::span<const Value> params) override {
    sqlite3_stmt* stmt = prepare(sql);
    // BEGIN IMMEDIATE takes the write lock; other transaction statements write nothing.
    const bool writes = sqlite3_stmt_readonly(stmt) == 0 ||
                        util::iequals(sql.substr(0, 15), "BEGIN IMMEDIATE") ||
                        util::iequals(sql.substr(0, 15), "BEGIN EXCLUSIVE");
    Turn turn(*this, writes);  // ends after the statement is reset (its transaction may end then)
    struct Reset {
      sqlite3_stmt* s;
      ~Reset() {
        sqlite3_reset(s);
        sqlite3_clear_bindings(s);
      }
    } reset{stmt};

    int expected = sqlite3_bind_parameter_count(stmt);
    if (expected != static_cast<int>(params.size())) {
      throw DbError(DbError::Kind::other, "statement expects " + std::to_string(expected) +
                                              " parameters, got " + std::to_string(params.size()));
    }
    for (size_t i = 0; i < params.size(); ++i) bind(stmt, static_cast<int>(i + 1), params[i]);

    Result r;
    int ncols = sqlite3_column_count(stmt);
    for (int c = 0; c < ncols; ++c) r.columns.emplace_back(sqlite3_column_name(stmt, c));
    while (true) {
      int rc = sqlite3_step(stmt);
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_ROW) throw error_for(rc, sqlite3_errmsg(db_));
      std::vector<Value> cells;
      cells.reserve(static_cast<size_t>(ncols));
      for (int c = 0; c < ncols; ++c) cells.push_back(column(stmt, c));
      r.rows.emplace_back(std::move(cells));
    }
    r.affected = sqlite3_changes(db_);
    return r;
  }

 private:
  // This connection's turn to write, taken before a statement that writes unless the connection
  // already has it, and given back once no transaction is open any more.
  class Turn {
   public:
    Turn(SqliteConnection& c, bool writes) : c_(c) {
      if (!writes || !c_.file_ || c_.holding_) return;
      if (!c_.file_->gate().acquire(kWriteWait)) {
        throw DbError(DbError::Kind::unavailable,
                      "database is locked: another write did not end within 10 s");
      }
      c_.holding_ = true;
    }
    ~Turn() {
      if (c_.holding_ && sqlite3_get_autocommit(c_.db_) != 0) {
        c_.holding_ = false;
        c_.file_->gate().release();
      }
    }
    Turn(const Turn&) = delete;
    Turn& operator=(const Turn&) = delete;

   private:
    SqliteConnection& c_;
  };

  void exec_raw(std::string_view sql) {
    std::string s(sql);
    char* err = nullptr;
    int rc = sqlite3_exec(db_, s.c_str(), nullptr, nullptr, &err);
    if (rc != SQLITE_OK) {
      std::string msg = err ? err : sqlite3_errstr(rc);
      sqlite3_free(err);
      throw error_for(rc, msg);
    }
  }

  sqlite3_stmt* prepare(std::string_view sql) {
    std::string key(sql);
    if (auto it = cache_.find(key); it != cache_.end()) return it->second;
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_prepare_v2(db_, key.c_str(), static_cast<int>(key.size()), &stmt, nullptr);
    if (rc != SQLITE_OK) throw error_for(rc, sqlite3_errmsg(db_));
    if (cache_.size() > 256) {
      for (auto& [s, st] : cache_) sqlite3_finalize(st);
      cache_.clear();
    }
    cache_.emplace(std::move(key), stmt);
    return stmt;
  }

  void bind(sqlite3_stmt* stmt, int idx, const Value& v) {
    int rc = SQLITE_OK;
    if (std::holds_alternative<std::nullptr_t>(v)) {
      rc = sqlite3_bind_null(stmt, idx);
    } else if (auto i = std::get_if<int64_t>(&v)) {
      rc = sqlite3_bind_int64(stmt, idx, *i);
    } else if (auto d = std::get_if<double>(&v)) {
      rc = sqlite3_bind_double(stmt, idx, *d);
    } else if (auto s = std::get_if<std::string>(&v)) {
      rc = sqlite3_bind_text64(stmt, idx, s->data(), s->size(), SQLITE_TRANSIENT, SQLITE_UTF8);
    } else if (auto b = std::get_if<Blob>(&v)) {
      rc = sqlite3_bind_blob64(stmt, idx, b->bytes.data(), b->bytes.size(), SQLITE_TRANSIENT);
    }
    if (rc != SQLITE_OK) throw error_for(rc, sqlite3_errmsg(db_));
  }

  static Value column(sqlite3_stmt* stmt, int c) {
    switch (sqlite3_column_type(stmt, c)) {
      case SQLITE_INTEGER:
        return static_cast<int64_t>(sqlite3_column_int64(stmt, c));
      case SQLITE_FLOAT:
        return sqlite3_column_double(stmt, c);
      case SQLITE_TEXT: {
        auto p = reinterpret_cast<const char*>(sqlite3_column_text(stmt, c));
        return std::string(p, static_cast<size_t>(sqlite3_column_bytes(stmt, c)));
      }
      case SQLITE_BLOB: {
        auto p = static_cast<const char*>(sqlite3_column_blob(stmt, c));
        return Blob{std::string(p ? p : "", static_cast<size_t>(sqlite3_column_bytes(stmt, c)))};
      }
      default:
        return nullptr;
    }
  }

  static DbError error_for(int rc, const std::string& msg) {
    switch (rc) {
      case SQLITE_CONSTRAINT_UNIQUE:
      case SQLITE_CONSTRAINT_PRIMARYKEY:
        return DbError(DbError::Kind::unique_violation, msg);
      case SQLITE_BUSY:
      case SQLITE_LOCKED:
      case SQLITE_IOERR:
      case SQLITE_FULL:
      case SQLITE_CANTOPEN:
        return DbError(DbError::Kind::unavailable, msg);
      default:
        if ((rc & 0xff) == SQLITE_CONSTRAINT) return DbError(DbError::Kind::constraint, msg);
        if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_IOERR) {
          return DbError(DbError::Kind::unavailable, msg);
        }
        return DbError(DbError::Kind::other, msg);
    }
  }

  std::shared_ptr<FileState> file_;  // null for an in-memory database
  bool holding_ = false;             // this connection has the write turn
  sqlite3* db_ = nullptr;
  std::unordered_map<std::string, sqlite3_stmt*> cache_;
};

}  // namespace

std::unique_ptr<Connection> open_sqlite(const std::string& path) {
  return std::make_unique<SqliteConnection>(path);
}

}  // namespace gw::db
