// SQLite backend: one sqlite3 handle per Connection, prepared statements cached per SQL text.
//
// Writers of one database file in this process take turns through a first-come first-served
// gate before SQLite's own write lock (docs/ARCHITECTURE.md "Threads and strands"): SQLite lets one
// writer in at a time and makes the others poll with growing sleeps (1, 2, 5, 10 ... ms), which put
// tens of milliseconds on the slowest messages of the pipeline; the gate hands the turn over as
// soon as the writer before ends. The turn comes with the file's writer handle: every write
// transaction of every connection runs on that one handle, whose page cache therefore stays valid
// (SQLite drops a handle's whole cache whenever another handle has written). WAL checkpoints run
// on a thread of their own, once per kCheckpointPages pages written, so that no commit waits for a
// checkpoint's writes and fsync.
//
// Group commit. A transaction that ends while others wait for their turn does not COMMIT: it
// leaves its writes in the writer handle's open transaction, hands the turn on, and waits. The
// next transaction runs inside that one under a savepoint ("SAVEPOINT gw_member" for its BEGIN,
// RELEASE for its COMMIT, ROLLBACK TO for its ROLLBACK); the first one that ends with nobody
// waiting behind it (or as the kMaxGroup-th) COMMITs for all of them and wakes them. So a burst of
// transactions writes the pages they share (the right edges of the indexes, the rollup rows) to
// the WAL once, not once each. commit() still returns only after the COMMIT that carries its
// writes; if that COMMIT fails, every transaction of the group gets the error
// (docs/ARCHITECTURE.md, "Threads and strands"). A write that is not part of a transaction (a
// single statement, execute_script), the checkpointer's rounds under the turn and stats() commit an
// open group before they start. No transaction joins a group that is kMaxGroupAge old: a commit()
// waits for the transactions that joined after it, at most that long, and for the last one's end.
#include <sqlite3.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>

#include "db/connection.hpp"
#include "db/write_gate.hpp"
#include "util/strings.hpp"

namespace gw::db {

namespace {

constexpr auto kWriteWait = std::chrono::seconds(10);        // as SQLite's busy timeout below
constexpr int kCheckpointPages = 1000;                       // SQLite's own auto-checkpoint size
constexpr int kWriterCacheKiB = 8192;                        // the writer handle's page cache
constexpr int kGatedCheckpointPages = 4 * kCheckpointPages;  // see checkpoint_loop()
constexpr int kMaxGroup = 16;  // transactions committed by one COMMIT at most (group commit)
constexpr auto kMaxGroupAge = std::chrono::milliseconds(10);  // no transaction joins after that
constexpr auto kGroupPoll = std::chrono::milliseconds(100);   // see FileState::wait_for()

// A sqlite3 handle and its prepared statements, by SQL text.
struct Handle {
  sqlite3* db = nullptr;
  std::unordered_map<std::string, sqlite3_stmt*> cache;

  void finalize_statements() {
    for (auto& [sql, stmt] : cache) sqlite3_finalize(stmt);
    cache.clear();
  }
  void close() {
    finalize_statements();
    sqlite3_close_v2(db);
    db = nullptr;
  }
};

class FileState;
sqlite3* open_handle(const std::string& path, FileState* file, int cache_kib);
void exec_on(sqlite3* db, std::string_view sql);

// Transactions whose writes wait in the writer handle's open transaction for one COMMIT.
struct Group {
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  std::string error;  // of the COMMIT (or the rollback) that ended the group; empty: committed
  int members = 0;    // transactions that handed the turn on and wait
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();

  void end(const std::string& why) {
    {
      std::lock_guard lock(mu);
      done = true;
      error = why;
    }
    cv.notify_all();
  }
};

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
    writer_.close();
  }
  FileState(const FileState&) = delete;
  FileState& operator=(const FileState&) = delete;

  WriteGate& gate() { return gate_; }

  /// The handle on which the holder of the write turn writes, opened on first use. Only the
  /// holder of the turn touches it.
  Handle& writer() {
    if (!writer_.db) writer_.db = open_handle(path_, this, kWriterCacheKiB);
    return writer_;
  }
  /// Ends the writer handle's transaction without committing it (holder of the turn): rolls it
  /// back, or closes the handle if that does not end it (the next holder opens a new one). An
  /// open group goes with it, told `why`.
  void roll_back_writer(
      const std::string& why = "the database connection was closed in a transaction") {
    if (writer_.db && sqlite3_get_autocommit(writer_.db) == 0)
      sqlite3_exec(writer_.db, "ROLLBACK", nullptr, nullptr, nullptr);
    end_group(why);
    if (writer_.db && sqlite3_get_autocommit(writer_.db) == 0) writer_.close();
  }

  // Group commit (holder of the turn only, except where said).

  /// The group whose writes the writer handle's transaction holds, or null.
  [[nodiscard]] const std::shared_ptr<Group>& group() const { return group_; }
  /// The holder's transaction, whose writes are in the writer's transaction (under no savepoint
  /// any more), leaves them there for a later COMMIT when someone waits for a turn and the group
  /// has room (fewer than kMaxGroup transactions, younger than kMaxGroupAge, so that no commit()
  /// waits for long behind an endless stream of writers): the group to wait for, or null (then
  /// the holder COMMITs).
  std::shared_ptr<Group> defer_commit() {
    if (gate_.waiting() == 0) return nullptr;
    if (group_ && (group_->members + 1 >= kMaxGroup ||
                   std::chrono::steady_clock::now() - group_->started > kMaxGroupAge))
      return nullptr;
    if (!group_) group_ = std::make_shared<Group>();
    ++group_->members;
    return group_;
  }
  /// After the COMMIT (or the rollback) of the writer's transaction: wakes the group.
  /// `by_transaction`: the COMMIT was a transaction's, which carried the group's writes with its
  /// own (counted in grouped()).
  void end_group(const std::string& error, bool by_transaction = false) {
    if (!group_) return;
    if (error.empty() && by_transaction) grouped_ += static_cast<uint64_t>(group_->members);
    group_->end(error);
    group_.reset();
  }
  /// Commits an open group before a write that is not one of its transactions.
  void commit_group() {
    if (!group_) return;
    try {
      exec_on(writer_.db, "COMMIT");
    } catch (const std::exception& e) {
      return roll_back_writer(std::string("the group commit failed: ") + e.what());
    }
    end_group({});
  }
  /// Waits for `g`'s COMMIT (any thread, without the turn). Should the turn have gone to nobody
  /// (a waiter gave up), the member takes the free turn and commits the open group itself: while
  /// nobody holds the turn, every transaction of an open group is a member waiting for it. A turn
  /// that is not free is not waited for (the waiter would count as a writer waiting, and the
  /// holder would defer its own commit for it).
  void wait_for(const std::shared_ptr<Group>& g) {
    std::unique_lock lock(g->mu);
    while (!g->cv.wait_for(lock, kGroupPoll, [&] { return g->done; })) {
      lock.unlock();
      if (gate_.acquire(std::chrono::milliseconds(0))) {
        commit_group();
        gate_.release();
      }
      lock.lock();
    }
    if (!g->error.empty()) throw DbError(DbError::Kind::unavailable, g->error);
  }
  [[nodiscard]] uint64_t grouped() const { return grouped_.load(); }

  /// After a commit: the WAL holds `pages` pages. Wakes the checkpointer once per
  /// kCheckpointPages pages written (not after every commit once the WAL is that long: each
  /// round costs two fsyncs and copies the hot pages again). True when the committing thread
  /// should checkpoint itself (the checkpointer has no connection, or is far behind).
  bool wal_grew(int pages) {
    {
      std::lock_guard lock(mu_);
      if (pages < signalled_at_) signalled_at_ = 0;  // the WAL was restarted from its start
      if (pages < signalled_at_ + kCheckpointPages) return false;
      signalled_at_ = pages;
      checkpoint_wanted_ = true;
      if (checkpointer_failed_ || pages >= 10 * kCheckpointPages) return true;
    }
    checkpoint_cv_.notify_one();
    return false;
  }

  SqliteFileStats stats() {
    SqliteFileStats st;
    {
      std::lock_guard lock(mu_);
      st.checkpoints = checkpoints_;
    }
    // The writer's counters are read under the turn, which is the writer handle's lock.
    if (gate_.acquire(kWriteWait)) {
      commit_group();
      if (writer_.db) {
        int cur = 0, high = 0;
        sqlite3_db_status(writer_.db, SQLITE_DBSTATUS_CACHE_HIT, &cur, &high, 0);
        st.writer_cache_hits = cur;
        sqlite3_db_status(writer_.db, SQLITE_DBSTATUS_CACHE_MISS, &cur, &high, 0);
        st.writer_cache_misses = cur;
      }
      gate_.release();
    }
    return st;
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
      // appending meanwhile. When a round ends between two write transactions, the next writer
      // starts the WAL again from its beginning. Under steady writes that moment may not come,
      // and the WAL grows: once it holds kGatedCheckpointPages, the round copies the rest under
      // the write turn (the writers wait for those frames and the fsyncs), after which the WAL
      // starts again. Not every round: that wait was a millisecond or two on the slowest
      // messages (docs/BENCHMARKS.md, "Incoming pipeline").
      if (db) {
        int log = 0, copied = 0;
        sqlite3_wal_checkpoint_v2(db, nullptr, SQLITE_CHECKPOINT_PASSIVE, &log, &copied);
        // Only when this pass copied all it found (a reader holding an old snapshot would stop
        // the second one too, and the writers would wait for nothing), and not for long.
        if (log >= kGatedCheckpointPages && copied == log &&
            gate_.acquire(std::chrono::seconds(1))) {
          commit_group();
          sqlite3_wal_checkpoint_v2(db, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
          gate_.release();
        }
      }
      lock.lock();
      ++checkpoints_;
    }
    lock.unlock();
    sqlite3_close_v2(db);
  }

  const std::string path_;
  WriteGate gate_;
  Handle writer_;
  std::shared_ptr<Group> group_;  // see defer_commit()
  std::atomic<uint64_t> grouped_{0};
  std::mutex mu_;
  std::condition_variable checkpoint_cv_;
  bool checkpoint_wanted_ = false;
  bool checkpointer_failed_ = false;  // its connection could not be opened
  bool stopping_ = false;
  int signalled_at_ = 0;  // the WAL's size when the checkpointer was last woken
  int64_t checkpoints_ = 0;
  std::thread checkpointer_;
};

// One FileState per file while any connection to it is open. In-memory databases are private to
// their connection and need none.
std::shared_ptr<FileState> file_state(const std::string& path, bool create = true) {
  if (path.empty() || path == ":memory:" || path.rfind("file:", 0) == 0) return nullptr;
  std::string key = path;
  std::error_code ec;
  auto canonical = std::filesystem::weakly_canonical(path, ec);
  if (!ec) key = canonical.string();
  static std::mutex mu;
  static std::unordered_map<std::string, std::weak_ptr<FileState>> states;
  std::lock_guard lock(mu);
  if (!create) {
    auto it = states.find(key);
    return it == states.end() ? nullptr : it->second.lock();
  }
  auto& slot = states[key];
  auto state = slot.lock();
  if (!state) {
    state = std::make_shared<FileState>(key);
    slot = state;
    std::erase_if(states, [](const auto& e) { return e.second.expired(); });
  }
  return state;
}

DbError error_for(int rc, const std::string& msg) {
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

void exec_on(sqlite3* db, std::string_view sql) {
  std::string s(sql);
  char* err = nullptr;
  int rc = sqlite3_exec(db, s.c_str(), nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string msg = err ? err : sqlite3_errstr(rc);
    sqlite3_free(err);
    throw error_for(rc, msg);
  }
}

// Opens a handle with the settings every handle of the gateway has.
sqlite3* open_handle(const std::string& path, FileState* file, int cache_kib) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(
      path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close(db);
    throw DbError(DbError::Kind::unavailable, "cannot open SQLite database " + path + ": " + msg);
  }
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, 10'000);
  try {
    // temp_store=MEMORY: statement journals (every statement of a trigger that may fail opens
    // one, e.g. the analytics rollup upserts of migration 0010) and temporary b-trees stay in
    // memory instead of temp files: a third of the rollup triggers' cost.
    // Not through execute_script(): a connection opened while this thread writes elsewhere
    // must not wait for the gate.
    exec_on(db,
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
            "PRAGMA temp_store=MEMORY;");
    if (cache_kib > 0) exec_on(db, "PRAGMA cache_size=-" + std::to_string(cache_kib));
  } catch (...) {
    sqlite3_close_v2(db);
    throw;
  }
  if (file) {
    // Replaces SQLite's auto-checkpoint, which would run in the committing thread.
    sqlite3_wal_hook(
        db,
        [](void* state, sqlite3* h, const char* name, int pages) {
          // The checkpointer's backstop: it cannot open the file, or the WAL keeps growing
          // past ten times its size; then this thread checkpoints, as SQLite's own hook would.
          if (static_cast<FileState*>(state)->wal_grew(pages))
            sqlite3_wal_checkpoint_v2(h, name, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
          return SQLITE_OK;
        },
        file);
  }
  return db;
}

class SqliteConnection final : public Connection {
 public:
  explicit SqliteConnection(const std::string& path) : file_(file_state(path)) {
    own_.db = open_handle(path, file_.get(), 0);
  }

  ~SqliteConnection() override {
    // Left inside a write transaction (a failed COMMIT, or closed on purpose): the writer handle
    // is rolled back before the turn goes to the next writer, or closed if that fails. A
    // transaction of a group takes back its own writes only.
    if (member_) rollback();
    if (holding_ && cur_ != &own_ && sqlite3_get_autocommit(cur_->db) == 0)
      file_->roll_back_writer();
    own_.close();
    if (holding_) file_->gate().release();
  }

  Dialect dialect() const noexcept override { return Dialect::sqlite; }
  // A connection left inside a transaction (e.g. a COMMIT that failed) is not reused: the pool
  // drops it, which rolls the transaction back and ends its write turn.
  bool healthy() const noexcept override {
    return own_.db != nullptr && sqlite3_get_autocommit(own_.db) != 0 && !holding_ && !member_;
  }

  void begin() override {
    refuse_while_stepping();
    Turn turn(*this, true, true);
    if (turn.moved() && file_->group()) {
      if (sqlite3_get_autocommit(cur_->db) != 0) {
        // The group's transaction is gone (cannot happen unless a rollback missed the group).
        file_->end_group("the group's transaction was rolled back");
      } else {
        exec_raw("SAVEPOINT gw_member");  // inside the group's transaction; throws: turn ends
        member_ = true;
        return;
      }
    }
    exec_raw("BEGIN IMMEDIATE");
  }

  void commit() override {
    // Not on the writer handle (in memory, or this connection's own handle was in a transaction
    // already): a plain COMMIT.
    if (!holding_ || cur_ == &own_) return Connection::commit();
    refuse_while_stepping();
    FileState& f = *file_;
    if (member_) {
      member_ = false;
      try {
        exec_raw("RELEASE gw_member");
      } catch (...) {
        abandon_group("the transaction's savepoint is gone");
        throw;
      }
    }
    if (sqlite3_get_autocommit(cur_->db) != 0) {
      // SQLite rolled the transaction back by itself (an I/O error, a full disk).
      abandon_group("the transaction was rolled back by SQLite");
      throw DbError(DbError::Kind::unavailable, "the transaction was rolled back by SQLite");
    }
    if (auto group = f.defer_commit()) {
      leave_turn();
      f.wait_for(group);  // throws when its COMMIT failed
      return;
    }
    try {
      exec_raw("COMMIT");
    } catch (const std::exception& e) {
      abandon_group(std::string("the group commit failed: ") + e.what());
      throw;
    }
    f.end_group({}, true);
    leave_turn();
  }

  void rollback() noexcept override {
    if (!member_) return Connection::rollback();
    member_ = false;
    FileState& f = *file_;
    try {
      exec_raw("ROLLBACK TO gw_member");
      exec_raw("RELEASE gw_member");
    } catch (const std::exception& e) {
      return abandon_group(std::string("a rollback in the group failed: ") + e.what());
    }
    if (sqlite3_get_autocommit(cur_->db) != 0) {
      return abandon_group("the transaction was rolled back by SQLite");
    }
    // The group's other transactions stay; with nobody behind to commit them, this one does.
    if (f.gate().waiting() == 0) f.commit_group();
    leave_turn();
  }

  void execute_script(std::string_view sql) override {
    refuse_while_stepping();
    Turn turn(*this, true);
    exec_raw(sql);
  }

  Result query(std::string_view sql, std::span<const Value> params) override {
    Result r;
    r.affected = run(
        sql, params,
        [&r](sqlite3_stmt* stmt, int ncols) {
          for (int c = 0; c < ncols; ++c) r.columns.emplace_back(sqlite3_column_name(stmt, c));
        },
        [&r](sqlite3_stmt* stmt, int ncols) {
          std::vector<Value> cells;
          cells.reserve(static_cast<size_t>(ncols));
          for (int c = 0; c < ncols; ++c) cells.push_back(column(stmt, c));
          r.rows.emplace_back(std::move(cells));
        });
    return r;
  }

  void for_each_row(std::string_view sql, std::span<const Value> params,
                    const std::function<void(const Row&)>& on_row) override {
    std::optional<Row> row;
    struct Stepping {
      bool& on;
      ~Stepping() { on = false; }
    } stepping{stepping_};
    run(
        sql, params,
        [this, &row](sqlite3_stmt*, int ncols) {
          row.emplace(std::vector<Value>(static_cast<size_t>(ncols)));
          stepping_ = true;  // from here on, the statement is mid-step
        },
        [&row, &on_row](sqlite3_stmt* stmt, int ncols) {
          for (int c = 0; c < ncols; ++c) refill(stmt, c, row->at(static_cast<size_t>(c)));
          on_row(*row);
        });
  }

 private:
  // This connection's turn to write, taken before a statement that writes unless the connection
  // already has it, and given back once no transaction is open any more. With the turn comes the
  // file's writer handle, unless this connection's own handle is inside a transaction already.
  class Turn {
   public:
    // `joins`: a BEGIN, which may run inside an open group; any other write commits it first.
    Turn(SqliteConnection& c, bool writes, bool joins = false) : c_(c) {
      if (!writes || !c_.file_ || c_.holding_) return;
      if (!c_.file_->gate().acquire(kWriteWait)) {
        throw DbError(DbError::Kind::unavailable,
                      "database is locked: another write did not end within 10 s");
      }
      c_.holding_ = true;
      const bool own_busy = sqlite3_get_autocommit(c_.own_.db) == 0;
      // A write of this connection's own handle would wait for the group's write lock.
      if (!joins || own_busy) c_.file_->commit_group();
      if (own_busy) return;
      try {
        c_.cur_ = &c_.file_->writer();
        moved_ = true;
      } catch (...) {
        // The writer handle cannot be opened: this connection writes on its own handle (the
        // turn is kept, and given back as usual when the statement's transaction ends).
      }
    }
    ~Turn() {
      if (!c_.holding_ || sqlite3_get_autocommit(c_.cur_->db) == 0) return;
      if (c_.member_) {
        // The group's transaction ended under a member (a raw COMMIT or ROLLBACK, or SQLite
        // rolled it back in a script): the group learns it, and the turn goes on.
        c_.member_ = false;
        c_.file_->end_group("the group's transaction ended under one of its transactions");
      }
      c_.leave_turn();
    }
    Turn(const Turn&) = delete;
    Turn& operator=(const Turn&) = delete;
    [[nodiscard]] bool moved() const noexcept { return moved_; }

   private:
    SqliteConnection& c_;
    bool moved_ = false;
  };

  void exec_raw(std::string_view sql) { exec_on(cur_->db, sql); }

  void leave_turn() {
    cur_ = &own_;
    holding_ = false;
    file_->gate().release();
  }

  // This transaction cannot go on as part of the group (its savepoint or the whole transaction
  // is gone): the writer's transaction is rolled back, the group's transactions get `why`, and
  // the turn goes on.
  void abandon_group(const std::string& why) noexcept {
    member_ = false;
    file_->roll_back_writer(why);
    leave_turn();
  }

  // A statement run from inside for_each_row's callback could reset or finalize the statement
  // being stepped, or move the connection to the writer handle under it.
  void refuse_while_stepping() const {
    if (stepping_) {
      throw DbError(DbError::Kind::other,
                    "the connection is still reading rows for for_each_row: its callback must "
                    "not use it");
    }
  }

  // Prepares (or takes from the cache), binds and steps one statement: `start(stmt, columns)`
  // once, then `each(stmt, columns)` at every row. Returns the rows it changed.
  template <class Start, class Each>
  int64_t run(std::string_view sql, std::span<const Value> params, Start&& start, Each&& each) {
    refuse_while_stepping();
    sqlite3_stmt* stmt = prepare(sql);
    // BEGIN IMMEDIATE takes the write lock; other transaction statements write nothing.
    const bool writes = sqlite3_stmt_readonly(stmt) == 0 ||
                        util::iequals(sql.substr(0, 15), "BEGIN IMMEDIATE") ||
                        util::iequals(sql.substr(0, 15), "BEGIN EXCLUSIVE");
    Turn turn(*this, writes);  // ends after the statement is reset (its transaction may end then)
    if (turn.moved()) stmt = prepare(sql);  // the same statement on the writer handle
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

    const int ncols = sqlite3_column_count(stmt);
    start(stmt, ncols);
    while (true) {
      int rc = sqlite3_step(stmt);
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_ROW) {
        auto error = error_for(rc, sqlite3_errmsg(cur_->db));
        // SQLite rolled the whole transaction back (an I/O error, a full disk): with it, the
        // writes of the group it was part of.
        if (member_ && sqlite3_get_autocommit(cur_->db) != 0) {
          member_ = false;
          file_->end_group(std::string("the group's transaction was rolled back: ") + error.what());
        }
        throw error;
      }
      each(stmt, ncols);
    }
    return sqlite3_changes(cur_->db);
  }

  sqlite3_stmt* prepare(std::string_view sql) {
    auto& cache = cur_->cache;
    std::string key(sql);
    if (auto it = cache.find(key); it != cache.end()) return it->second;
    sqlite3_stmt* stmt = nullptr;
    int rc =
        sqlite3_prepare_v2(cur_->db, key.c_str(), static_cast<int>(key.size()), &stmt, nullptr);
    if (rc != SQLITE_OK) throw error_for(rc, sqlite3_errmsg(cur_->db));
    // The writer handle's cache holds the write statements of every connection.
    if (cache.size() > (cur_ == &own_ ? 256U : 1024U)) cur_->finalize_statements();
    cache.emplace(std::move(key), stmt);
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
    if (rc != SQLITE_OK) throw error_for(rc, sqlite3_errmsg(cur_->db));
  }

  // Like column(), into a cell of the previous row: text into a text cell keeps its memory.
  static void refill(sqlite3_stmt* stmt, int c, Value& cell) {
    auto* s = std::get_if<std::string>(&cell);
    if (s && sqlite3_column_type(stmt, c) == SQLITE_TEXT) {
      auto p = reinterpret_cast<const char*>(sqlite3_column_text(stmt, c));
      s->assign(p, static_cast<size_t>(sqlite3_column_bytes(stmt, c)));
      return;
    }
    cell = column(stmt, c);
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

  std::shared_ptr<FileState> file_;  // null for an in-memory database
  bool holding_ = false;             // this connection has the write turn
  bool member_ = false;              // its transaction is a savepoint in the writer's group
  bool stepping_ = false;            // inside for_each_row's callback
  Handle own_;                       // reads outside a write transaction
  Handle* cur_ = &own_;              // own_, or the file's writer handle while holding the turn
};

}  // namespace

std::unique_ptr<Connection> open_sqlite(const std::string& path) {
  return std::make_unique<SqliteConnection>(path);
}

SqliteFileStats sqlite_file_stats(const std::string& path) {
  auto state = file_state(path, false);
  return state ? state->stats() : SqliteFileStats{};
}

SqliteWriteTurns sqlite_write_turns(const std::string& path) {
  auto state = file_state(path, false);
  if (!state) return {};
  const auto busy = state->gate().busy();
  return {busy.turns, busy.seconds, state->grouped(), state->gate().waiting()};
}

}  // namespace gw::db
