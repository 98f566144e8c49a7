#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <filesystem>
#include <thread>

#include "db/connection.hpp"
#include "db/database.hpp"
#include "db/migrations.hpp"
#include "db/write_gate.hpp"
#include "test_db.hpp"

using namespace gw::db;
using gw::testing::TestDatabase;

TEST(Placeholders, RewrittenOutsideQuotesAndComments) {
  EXPECT_EQ(to_postgres_placeholders("SELECT ? , '?' , \"a?\" , ? -- ?\n, ?"),
            "SELECT $1 , '?' , \"a?\" , $2 -- ?\n, $3");
  EXPECT_EQ(to_postgres_placeholders("SELECT 1"), "SELECT 1");
}

class DbTest : public ::testing::TestWithParam<Dialect> {};

TEST_P(DbTest, ValuesRoundTripIntact) {
  TestDatabase t(GetParam());
  GW_REQUIRE_DB(t);
  const std::string blob_bytes("\x00\x01\xff\x00zz\x00", 7);
  t.db().with_connection([&](Connection& c) {
    c.execute_script(c.dialect() == Dialect::postgres
                         ? "CREATE TABLE rt (i BIGINT, d DOUBLE PRECISION, s TEXT, b BYTEA, n TEXT)"
                         : "CREATE TABLE rt (i INTEGER, d REAL, s TEXT, b BLOB, n TEXT)");
    c.query("INSERT INTO rt (i, d, s, b, n) VALUES (?, ?, ?, ?, ?)",
            {int64_t{-9223372036854775807LL}, 2.5, std::string("héllo 'quoted' ✓"),
             Blob{blob_bytes}, nullptr});
    auto r = c.query("SELECT i, d, s, b, n FROM rt");
    ASSERT_EQ(r.rows.size(), 1u);
    const auto& row = r.rows[0];
    EXPECT_EQ(row.integer(0), -9223372036854775807LL);
    EXPECT_DOUBLE_EQ(row.real(1), 2.5);
    EXPECT_EQ(row.text(2), "héllo 'quoted' ✓");
    EXPECT_EQ(row.blob(3), blob_bytes);
    EXPECT_EQ(row.blob(3).size(), 7u);
    EXPECT_TRUE(row.is_null(4));
    EXPECT_EQ(row.opt_text(4), std::nullopt);
    EXPECT_EQ(r.columns, (std::vector<std::string>{"i", "d", "s", "b", "n"}));
  });
}

TEST_P(DbTest, AllByteValuesRoundTripThroughBlob) {
  TestDatabase t(GetParam());
  GW_REQUIRE_DB(t);
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  auto got = t.db().with_connection([&](Connection& c) {
    c.execute_script(c.dialect() == Dialect::postgres ? "CREATE TABLE b (v BYTEA)"
                                                      : "CREATE TABLE b (v BLOB)");
    c.query("INSERT INTO b (v) VALUES (?)", {Blob{all}});
    return c.query("SELECT v FROM b").rows.at(0).blob(0);
  });
  EXPECT_EQ(got, all);
}

TEST_P(DbTest, UniqueViolationIsTyped) {
  TestDatabase t(GetParam());
  GW_REQUIRE_DB(t);
  t.db().with_connection([&](Connection& c) {
    c.execute_script("CREATE TABLE u (k TEXT UNIQUE)");
    c.query("INSERT INTO u (k) VALUES (?)", {std::string("a")});
    try {
      c.query("INSERT INTO u (k) VALUES (?)", {std::string("a")});
      FAIL() << "duplicate accepted";
    } catch (const DbError& e) {
      EXPECT_EQ(e.kind(), DbError::Kind::unique_violation) << e.what();
    }
  });
}

TEST_P(DbTest, TransactionRollsBackUnlessCommitted) {
  TestDatabase t(GetParam());
  GW_REQUIRE_DB(t);
  t.db().with_connection([&](Connection& c) {
    c.execute_script("CREATE TABLE tx (v INTEGER)");
    {
      Transaction tx(c);
      c.query("INSERT INTO tx (v) VALUES (1)");
    }
    EXPECT_EQ(c.query("SELECT COUNT(*) FROM tx").rows.at(0).integer(0), 0);
    {
      Transaction tx(c);
      c.query("INSERT INTO tx (v) VALUES (2)");
      tx.commit();
    }
    EXPECT_EQ(c.query("SELECT COUNT(*) FROM tx").rows.at(0).integer(0), 1);
  });
}

// for_each_row hands over what query() returns, row by row; SQLite refills one row in place, so a
// cell that was text, NULL or a number in the row before must come out as this row's value.
TEST_P(DbTest, ForEachRowSeesWhatQueryReturns) {
  TestDatabase t(GetParam());
  GW_REQUIRE_DB(t);
  t.db().with_connection([&](Connection& c) {
    c.execute_script("CREATE TABLE fer (k INTEGER PRIMARY KEY, s TEXT, n BIGINT)");
    const std::string long_text(300, 'x');
    const std::vector<std::pair<Value, Value>> rows = {
        {std::string("a long first text that is longer than the next"), int64_t{1}},
        {std::string("short"), nullptr},
        {nullptr, int64_t{-7}},
        {long_text, int64_t{1} << 40},
        {std::string(""), int64_t{0}}};
    for (std::size_t i = 0; i < rows.size(); ++i) {
      c.query("INSERT INTO fer (k, s, n) VALUES (?, ?, ?)",
              {static_cast<int64_t>(i), rows[i].first, rows[i].second});
    }
    const auto want = c.query("SELECT k, s, n FROM fer WHERE k >= ? ORDER BY k", {int64_t{0}});
    ASSERT_EQ(want.rows.size(), rows.size());
    std::size_t seen = 0;
    const std::vector<Value> from = {int64_t{0}};
    c.for_each_row("SELECT k, s, n FROM fer WHERE k >= ? ORDER BY k", from, [&](const Row& row) {
      ASSERT_LT(seen, want.rows.size());
      const auto& w = want.rows[seen];
      EXPECT_EQ(row.integer(0), static_cast<int64_t>(seen));
      EXPECT_EQ(row.is_null(1), w.is_null(1)) << seen;
      if (!w.is_null(1)) {
        EXPECT_EQ(row.text_view(1), w.text(1)) << seen;
      }
      EXPECT_EQ(row.is_null(2), w.is_null(2)) << seen;
      if (!w.is_null(2)) {
        EXPECT_EQ(row.integer(2), w.integer(2)) << seen;
      }
      ++seen;
    });
    EXPECT_EQ(seen, rows.size());
    // Nothing to hand over; an error is thrown as by query().
    c.for_each_row("SELECT k FROM fer WHERE k < ?", from, [](const Row&) { FAIL(); });
    EXPECT_THROW(c.for_each_row("SELECT nope FROM fer", {}, [](const Row&) {}), DbError);
    // The statement is reset after a callback throws: the same query runs again.
    EXPECT_THROW(c.for_each_row("SELECT k, s, n FROM fer WHERE k >= ? ORDER BY k", from,
                                [](const Row&) { throw std::runtime_error("stop"); }),
                 std::runtime_error);
    std::size_t again = 0;
    c.for_each_row("SELECT k, s, n FROM fer WHERE k >= ? ORDER BY k", from,
                   [&again](const Row&) { ++again; });
    EXPECT_EQ(again, rows.size());
    if (GetParam() == Dialect::sqlite) {
      // The callback may not use the connection: the statement being stepped is in its cache.
      c.for_each_row("SELECT k FROM fer WHERE k >= ?", from, [&c](const Row&) {
        EXPECT_THROW(c.query("SELECT k FROM fer WHERE k >= ?", {int64_t{0}}), DbError);
        EXPECT_THROW(c.execute_script("DELETE FROM fer"), DbError);
      });
      EXPECT_EQ(c.query("SELECT COUNT(*) FROM fer").rows.at(0).integer(0),
                static_cast<int64_t>(rows.size()));
    }
  });
}

// PostgreSQL aborts a transaction at its first failed statement and answers its COMMIT with
// "ROLLBACK" (no error): commit() must throw then. SQLite undoes only the failed statement.
TEST_P(DbTest, ACommitThatRolledBackThrows) {
  TestDatabase t(GetParam());
  GW_REQUIRE_DB(t);
  t.db().with_connection([&](Connection& c) {
    c.execute_script("CREATE TABLE txu (v INTEGER PRIMARY KEY)");
    c.query("INSERT INTO txu (v) VALUES (1)");
    Transaction tx(c);
    c.query("INSERT INTO txu (v) VALUES (2)");
    EXPECT_THROW(c.query("INSERT INTO txu (v) VALUES (1)"), DbError);  // caught, as a caller may
    if (GetParam() == Dialect::postgres) {
      EXPECT_THROW(tx.commit(), DbError);
      EXPECT_EQ(c.query("SELECT COUNT(*) FROM txu").rows.at(0).integer(0), 1);
    } else {
      tx.commit();
      EXPECT_EQ(c.query("SELECT COUNT(*) FROM txu").rows.at(0).integer(0), 2);
    }
  });
}

TEST_P(DbTest, PoolBoundsConnectionsAndRunsOffThread) {
  PoolOptions o;
  o.max_connections = 3;
  o.max_idle = 2;
  o.surplus_idle = std::chrono::seconds(0);  // connections beyond max_idle close at once
  TestDatabase t(GetParam(), o);
  GW_REQUIRE_DB(t);
  auto caller = std::this_thread::get_id();
  boost::asio::io_context ioc;
  std::thread::id ran_on;
  boost::asio::co_spawn(
      ioc,
      [&]() -> boost::asio::awaitable<void> {
        auto n = co_await t.db().run([&](Connection& c) {
          ran_on = std::this_thread::get_id();
          return c.query("SELECT 41 + 1").rows.at(0).integer(0);
        });
        EXPECT_EQ(n, 42);
      },
      boost::asio::detached);
  ioc.run();
  EXPECT_NE(ran_on, std::thread::id{});
  EXPECT_NE(ran_on, caller);

  std::vector<std::thread> threads;
  std::atomic<int> peak{0};
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      t.db().with_connection([&](Connection& c) {
        int now = t.db().stats().in_use;
        int prev = peak.load();
        while (now > prev && !peak.compare_exchange_weak(prev, now)) {
        }
        c.query("SELECT 1");
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      });
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_LE(peak.load(), 3);
  EXPECT_GE(peak.load(), 2);
  auto s = t.db().stats();
  EXPECT_EQ(s.in_use, 0);
  EXPECT_LE(s.idle, 2);
  EXPECT_EQ(s.max, 3);
}

// No store call may wait without bound (docs/sessions.md, "Threads and the database"): SQLite
// waits at most its busy timeout, PostgreSQL statements and lock waits end after 10 s — except
// while migrating, which lifts the limit and restores it.
TEST(PostgresConnection, StatementsAndLockWaitsAreBounded) {
  TestDatabase t(Dialect::postgres);
  GW_REQUIRE_DB(t);
  Migrator(t.db()).up();
  t.db().with_connection([](Connection& c) {
    EXPECT_EQ(c.query("SHOW statement_timeout").rows.at(0).text(0), "10s");
    EXPECT_EQ(c.query("SHOW lock_timeout").rows.at(0).text(0), "10s");
  });
}

TEST_P(DbTest, PoolKeepsRecentlyUsedSurplusConnections) {
  PoolOptions o;
  o.max_connections = 4;
  o.max_idle = 1;  // surplus_idle: the default (30 s)
  TestDatabase t(GetParam(), o);
  GW_REQUIRE_DB(t);
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      t.db().with_connection([&](Connection& c) {
        c.query("SELECT 1");
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      });
    });
  }
  for (auto& th : threads) th.join();
  // Just used: all kept (a burst does not close and reopen them), still within the bound.
  auto s = t.db().stats();
  EXPECT_EQ(s.in_use, 0);
  EXPECT_GE(s.idle, 2);
  EXPECT_LE(s.idle, 4);
}

TEST_P(DbTest, MigrationsUpDownStatus) {
  TestDatabase t(GetParam());
  GW_REQUIRE_DB(t);
  Migrator m(t.db());
  auto all = migrations_for(GetParam());
  ASSERT_FALSE(all.empty());
  for (const auto& s : m.status()) EXPECT_FALSE(s.applied) << s.version;
  EXPECT_EQ(m.current_version(), 0);

  EXPECT_EQ(m.up(), static_cast<int>(all.size()));
  EXPECT_EQ(m.up(), 0) << "up is idempotent";
  EXPECT_EQ(m.current_version(), all.back().version);
  for (const auto& s : m.status()) {
    EXPECT_TRUE(s.applied) << s.version;
    EXPECT_FALSE(s.applied_at.empty());
  }
  // The tables of migration 0001 exist.
  t.db().with_connection([&](Connection& c) {
    for (const char* table : {"users", "sessions", "analytics", "messages_log"}) {
      EXPECT_NO_THROW(c.query(std::string("SELECT COUNT(*) FROM ") + table)) << table;
    }
    EXPECT_NO_THROW(c.query("SELECT pin_hash FROM users"));
    EXPECT_THROW(c.query("SELECT pin FROM users"), DbError);
  });

  EXPECT_EQ(m.down(1), 1);
  EXPECT_EQ(m.current_version(), all.size() > 1 ? all[all.size() - 2].version : 0);
  EXPECT_EQ(m.down(100), static_cast<int>(all.size()) - 1);
  EXPECT_EQ(m.current_version(), 0);
  t.db().with_connection([&](Connection& c) {
    EXPECT_THROW(c.query("SELECT COUNT(*) FROM users"), DbError) << "down dropped the tables";
  });
  EXPECT_EQ(m.up(), static_cast<int>(all.size())) << "down then up again works";
}

TEST_P(DbTest, ConstraintsFromMigrationsHold) {
  TestDatabase t(GetParam());
  GW_REQUIRE_DB(t);
  Migrator(t.db()).up();
  t.db().with_connection([&](Connection& c) {
    const std::string id = "0e5a3c4e-7d3b-4e0f-9a51-3f2a8b6c1d10";
    const std::string hash(64, 'a');
    c.query("INSERT INTO users (id, pin_hash) VALUES (?, ?)", {id, hash});
    try {
      c.query("INSERT INTO users (id, pin_hash) VALUES (?, ?)",
              {std::string("1e5a3c4e-7d3b-4e0f-9a51-3f2a8b6c1d10"), hash});
      FAIL() << "duplicate pin_hash accepted";
    } catch (const DbError& e) {
      EXPECT_EQ(e.kind(), DbError::Kind::unique_violation);
    }
    EXPECT_THROW(
        c.query("INSERT INTO users (id, pin_hash) VALUES (?, ?)",
                {std::string("2e5a3c4e-7d3b-4e0f-9a51-3f2a8b6c1d10"), std::string("A1B2C3")}),
        DbError)
        << "a clear PIN is not a valid pin_hash";
    auto created = c.query("SELECT created_at FROM users WHERE id = ?", {id}).rows.at(0).text(0);
    EXPECT_EQ(created.size(), 24u) << created;
    EXPECT_EQ(created.back(), 'Z') << created;
    EXPECT_EQ(created[10], 'T') << created;
  });
}

TEST_P(DbTest, RefusesDatabaseFromNewerBuild) {
  TestDatabase t(GetParam());
  GW_REQUIRE_DB(t);
  Migrator(t.db()).up();
  t.db().with_connection([&](Connection& c) {
    c.query("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
            {int64_t{9999}, std::string("future"), std::string("2030-01-01T00:00:00.000Z")});
  });
  try {
    Migrator(t.db()).up();
    FAIL() << "unknown applied migration accepted";
  } catch (const DbError& e) {
    EXPECT_NE(std::string(e.what()).find("9999"), std::string::npos);
  }
}

INSTANTIATE_TEST_SUITE_P(Dialects, DbTest, ::testing::Values(Dialect::sqlite, Dialect::postgres),
                         gw::testing::dialect_label);

// --- SQLite writers: the write gate and the checkpointer (db/sqlite.cpp) ---------------------

TEST(WriteGate, TurnsGoInArrivalOrderAndSkipWhoStoppedWaiting) {
  WriteGate gate;
  ASSERT_TRUE(gate.acquire(std::chrono::milliseconds(0)));  // free: at once
  EXPECT_FALSE(gate.acquire(std::chrono::milliseconds(20))) << "taken: the wait ends";
  EXPECT_EQ(gate.waiting(), 0u) << "who stopped waiting is not waiting";
  std::mutex mu;
  std::vector<int> order;
  std::vector<std::thread> waiters;
  for (int i = 0; i < 4; ++i) {
    // Each waiter queues only after the one before it (waiting() counts them).
    waiters.emplace_back([&, i] {
      ASSERT_TRUE(gate.acquire(std::chrono::seconds(10)));
      {
        std::lock_guard lock(mu);
        order.push_back(i);
      }
      gate.release();
    });
    while (gate.waiting() != static_cast<std::size_t>(i + 1)) std::this_thread::yield();
  }
  gate.release();  // the first turn ends: the abandoned ticket is skipped, then 0, 1, 2, 3
  for (auto& w : waiters) w.join();
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3}));
  // Released on another thread than the one that took it.
  ASSERT_TRUE(gate.acquire(std::chrono::milliseconds(0)));
  std::thread([&] { gate.release(); }).join();
  EXPECT_TRUE(gate.acquire(std::chrono::milliseconds(0)));
  gate.release();
}

namespace {
std::filesystem::path temp_sqlite_dir() {
  auto dir = std::filesystem::temp_directory_path() / ("gwtest-" + gw::testing::random_suffix());
  std::filesystem::create_directories(dir);
  return dir;
}
}  // namespace

TEST(SqliteWriters, ConcurrentTransactionsAllCommitWithoutLostUpdates) {
  auto dir = temp_sqlite_dir();
  const auto path = (dir / "w.db").string();
  {
    auto setup = open_sqlite(path);
    setup->execute_script("CREATE TABLE counter (n INTEGER); INSERT INTO counter VALUES (0)");
    std::vector<std::thread> writers;
    std::atomic<int> failures{0};
    for (int i = 0; i < 8; ++i) {
      writers.emplace_back([&] {
        auto c = open_sqlite(path);
        for (int k = 0; k < 100; ++k) {
          try {
            Transaction tx(*c);
            auto n = c->query("SELECT n FROM counter").rows.at(0).integer(0);
            c->query("UPDATE counter SET n = ?", {n + 1});
            tx.commit();
          } catch (const std::exception&) {
            failures.fetch_add(1);
          }
        }
      });
    }
    for (auto& w : writers) w.join();
    EXPECT_EQ(failures.load(), 0);
    EXPECT_EQ(setup->query("SELECT n FROM counter").rows.at(0).integer(0), 800);
  }
  std::filesystem::remove_all(dir);
}

TEST(SqliteWriters, TheTurnEndsWithTheTransactionHoweverItEnds) {
  auto dir = temp_sqlite_dir();
  const auto path = (dir / "t.db").string();
  {
    auto a = open_sqlite(path);
    auto b = open_sqlite(path);
    a->execute_script("CREATE TABLE t (k INTEGER PRIMARY KEY)");
    // A writer waits for the transaction of another connection, and goes on once it commits.
    std::atomic<bool> committed{false}, wrote{false};
    a->begin();
    a->query("INSERT INTO t VALUES (1)");
    std::thread other([&] {
      b->query("INSERT INTO t VALUES (2)");
      EXPECT_TRUE(committed.load()) << "wrote while the other transaction was open";
      wrote = true;
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    EXPECT_FALSE(wrote.load());
    committed = true;
    a->commit();
    other.join();
    EXPECT_TRUE(wrote.load());
    // A failed statement outside a transaction, a rollback, and a connection closed in the middle
    // of a transaction each end the turn: the other connection writes at once (a turn left over
    // would make it wait 10 s and fail).
    EXPECT_THROW(a->query("INSERT INTO t VALUES (1)"), DbError);
    b->query("INSERT INTO t VALUES (3)");
    a->begin();
    a->query("INSERT INTO t VALUES (4)");
    a->rollback();
    b->query("INSERT INTO t VALUES (5)");
    auto c = open_sqlite(path);
    c->begin();
    c->query("INSERT INTO t VALUES (6)");
    c.reset();
    b->query("INSERT INTO t VALUES (7)");
    std::vector<int64_t> keys;
    for (const auto& row : a->query("SELECT k FROM t ORDER BY k").rows)
      keys.push_back(row.integer(0));
    EXPECT_EQ(keys, (std::vector<int64_t>{1, 2, 3, 5, 7}));
  }
  std::filesystem::remove_all(dir);
}

// Group commit (db/sqlite.cpp): transactions that end while others wait for a turn are committed
// by one COMMIT. Each commit() still returns only once its writes are committed (another
// connection sees them), and a rollback takes back that transaction's writes only.
TEST(SqliteWriters, TransactionsThatEndWhileOthersWaitCommitTogether) {
  auto dir = temp_sqlite_dir();
  const auto path = (dir / "g.db").string();
  {
    auto setup = open_sqlite(path);
    setup->execute_script("CREATE TABLE t (w INTEGER, k INTEGER, PRIMARY KEY (w, k))");
    const auto before = sqlite_write_turns(path);
    constexpr int kWriters = 8, kEach = 150;
    std::atomic<int> failures{0}, unseen{0};
    std::vector<std::thread> writers;
    for (int w = 0; w < kWriters; ++w) {
      writers.emplace_back([&, w] {
        auto c = open_sqlite(path);
        auto reader = open_sqlite(path);
        for (int k = 0; k < kEach; ++k) {
          try {
            Transaction tx(*c);
            c->query("INSERT INTO t VALUES (?, ?)", {int64_t{w}, int64_t{k}});
            if (k % 5 == 4) continue;  // rolled back by the Transaction
            tx.commit();
            if (reader->query("SELECT 1 FROM t WHERE w = ? AND k = ?", {int64_t{w}, int64_t{k}})
                    .rows.empty())
              unseen.fetch_add(1);
          } catch (const std::exception&) {
            failures.fetch_add(1);
          }
        }
      });
    }
    for (auto& t : writers) t.join();
    EXPECT_EQ(failures.load(), 0);
    EXPECT_EQ(unseen.load(), 0) << "commit() returned before its writes were committed";
    EXPECT_EQ(setup->query("SELECT COUNT(*) FROM t").rows.at(0).integer(0),
              kWriters * kEach * 4 / 5);
    EXPECT_EQ(setup->query("SELECT COUNT(*) FROM t WHERE k % 5 = 4").rows.at(0).integer(0), 0)
        << "a rolled-back transaction's writes were committed with its group";
    EXPECT_GT(sqlite_write_turns(path).grouped, before.grouped)
        << "no transaction was committed together with another";
  }
  std::filesystem::remove_all(dir);
}

// The price of a shared COMMIT: when it fails, every transaction of the group gets the error and
// none of their writes stay (here a deferred foreign key that only COMMIT checks; the gateway's
// schema has none, so in practice an I/O error or a full disk).
TEST(SqliteWriters, AFailedGroupCommitFailsEveryTransactionOfTheGroup) {
  auto dir = temp_sqlite_dir();
  const auto path = (dir / "f.db").string();
  {
    auto a = open_sqlite(path);
    auto b = open_sqlite(path);
    a->execute_script(
        "CREATE TABLE parent (id INTEGER PRIMARY KEY); CREATE TABLE t (k INTEGER); "
        "CREATE TABLE child (pid INTEGER REFERENCES parent(id) DEFERRABLE INITIALLY DEFERRED)");
    a->begin();
    a->query("INSERT INTO child VALUES (99)");  // no parent 99: refused at COMMIT
    std::atomic<bool> b_failed{false};
    std::thread other([&] {
      b->begin();  // waits for a's turn, then runs inside a's transaction
      b->query("INSERT INTO t VALUES (1)");
      try {
        b->commit();
      } catch (const DbError&) {
        b_failed = true;
      }
    });
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (sqlite_write_turns(path).waiting == 0 && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    EXPECT_EQ(sqlite_write_turns(path).waiting, 1U);
    EXPECT_THROW(a->commit(), DbError);
    other.join();
    EXPECT_TRUE(b_failed.load()) << "b's writes were committed alone";
    EXPECT_EQ(a->query("SELECT COUNT(*) FROM t").rows.at(0).integer(0), 0);
    EXPECT_EQ(a->query("SELECT COUNT(*) FROM child").rows.at(0).integer(0), 0);
    // Both connections write again at once.
    a->rollback();
    b->rollback();
    a->query("INSERT INTO t VALUES (2)");
    b->query("INSERT INTO t VALUES (3)");
    EXPECT_EQ(a->query("SELECT COUNT(*) FROM t").rows.at(0).integer(0), 2);
    EXPECT_EQ(sqlite_write_turns(path).grouped, 0U);
  }
  std::filesystem::remove_all(dir);
}

// The WAL is checkpointed by the background thread: it is reused from its start instead of growing
// with everything written (SQLite's auto-checkpoint in the committing thread is off).
TEST(SqliteWriters, TheWalIsCheckpointedInTheBackground) {
  auto dir = temp_sqlite_dir();
  const auto path = (dir / "c.db").string();
  {
    auto c = open_sqlite(path);
    EXPECT_EQ(c->query("PRAGMA wal_autocheckpoint").rows.at(0).integer(0), 0)
        << "the committing thread does not checkpoint";
    c->execute_script("CREATE TABLE big (v BLOB)");
    const std::string chunk(4000, 'x');  // about one page a row
    // Rounds of 500 pages until far more was written than the WAL holds (it was reused from its
    // start after checkpoints), or 30 s: without checkpoints it holds everything written.
    std::uintmax_t written = 0, wal = 0;
    int rows = 0;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while ((rows < 6000 || written < 4 * wal) && std::chrono::steady_clock::now() < deadline) {
      Transaction tx(*c);
      for (int i = 0; i < 500; ++i) c->query("INSERT INTO big VALUES (?)", {Blob{chunk}});
      tx.commit();
      rows += 500;
      written += 500 * 4096;
      wal = std::filesystem::file_size(dir / "c.db-wal");
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    EXPECT_GE(written, 4 * wal) << "the WAL grew with everything written: " << wal << " bytes";
    EXPECT_EQ(c->query("SELECT COUNT(*) FROM big").rows.at(0).integer(0), rows);
  }
  std::filesystem::remove_all(dir);
}

// Every write transaction, whichever connection runs it, runs on the file's one writer handle,
// so its page cache stays valid from one transaction to the next (SQLite drops a handle's whole
// cache when another handle has written since): two pooled connections taking turns read their
// pages from the cache, not from the file.
TEST(SqliteWriters, WriteTransactionsOfAllConnectionsRunOnOneWarmHandle) {
  auto dir = temp_sqlite_dir();
  const auto path = (dir / "h.db").string();
  {
    auto a = open_sqlite(path);
    auto b = open_sqlite(path);
    a->execute_script("CREATE TABLE kv (k INTEGER PRIMARY KEY, v TEXT, n INTEGER)");
    {
      Transaction tx(*a);
      for (int i = 0; i < 2000; ++i)
        a->query("INSERT INTO kv VALUES (?, ?, 0)", {int64_t{i}, std::string(100, 'v')});
      tx.commit();
    }
    const auto before = sqlite_file_stats(path);
    for (int i = 0; i < 200; ++i) {
      auto& c = i % 2 == 0 ? *a : *b;
      Transaction tx(c);
      const int64_t k = (i * 37) % 2000;
      auto n = c.query("SELECT n FROM kv WHERE k = ?", {k}).rows.at(0).integer(0);
      c.query("UPDATE kv SET n = ? WHERE k = ?", {n + 1, k});
      tx.commit();
    }
    const auto after = sqlite_file_stats(path);
    EXPECT_GT(after.writer_cache_hits - before.writer_cache_hits, 400)
        << "the write transactions did not run on the writer handle";
    EXPECT_LT(after.writer_cache_misses - before.writer_cache_misses, 20)
        << "the writer's cache was dropped between transactions";
    // Reads on the connections' own handles see what the writer handle committed.
    EXPECT_EQ(b->query("SELECT SUM(n) FROM kv").rows.at(0).integer(0), 200);
    // A connection closed inside its write transaction leaves the writer handle clean.
    auto c = open_sqlite(path);
    c->begin();
    c->query("UPDATE kv SET n = 1000");
    c.reset();
    EXPECT_EQ(a->query("SELECT SUM(n) FROM kv").rows.at(0).integer(0), 200);
    a->query("UPDATE kv SET n = n + 1 WHERE k = 0");
    EXPECT_EQ(b->query("SELECT SUM(n) FROM kv").rows.at(0).integer(0), 201);
  }
  std::filesystem::remove_all(dir);
}

// Under steady writes the checkpointer runs once per thousand pages written (not after every
// commit once the WAL is that long: two fsyncs a round), and a WAL of four thousand pages is
// copied to its end under the write turn so that it starts again from its beginning instead of
// growing to the committing thread's backstop (ten thousand pages).
TEST(SqliteWriters, SteadyWritesCheckpointOncePerThousandPagesAndTheWalStaysSmall) {
  auto dir = temp_sqlite_dir();
  const auto path = (dir / "s.db").string();
  {
    auto c = open_sqlite(path);
    c->execute_script("CREATE TABLE big (v BLOB)");
    const std::string chunk(4000, 'x');  // about one page a row: 2-3 WAL frames a commit
    // Paced commits, each of which would wake the checkpointer once the WAL holds a thousand
    // pages: 3,000 commits are about 7,000 frames, so about 7 rounds (hundreds when every
    // commit woke it).
    const auto before = sqlite_file_stats(path);
    for (int i = 0; i < 3000; ++i) {
      c->query("INSERT INTO big VALUES (?)", {Blob{chunk}});
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    const auto rounds = sqlite_file_stats(path).checkpoints - before.checkpoints;
    EXPECT_GE(rounds, 3) << "the checkpointer did not run";
    EXPECT_LE(rounds, 25) << "checkpoint rounds after every commit";
    // Unpaced: the WAL starts again at the latest once it holds 4,000 pages (a round then ends
    // under the write turn; 4,000-5,300 pages seen at most), not at the committing thread's
    // backstop of 10,000.
    std::uintmax_t largest = 0;
    for (int i = 0; i < 12000; ++i) {
      c->query("INSERT INTO big VALUES (?)", {Blob{chunk}});
      if (i % 100 == 0) largest = std::max(largest, std::filesystem::file_size(dir / "s.db-wal"));
    }
    EXPECT_LT(largest, std::uintmax_t{8000} * 4096)
        << "the WAL grew towards the backstop under steady writes";
  }
  std::filesystem::remove_all(dir);
}

// PostgreSQL: a query run again is prepared, once per connection (the server plans it once); a
// schema change that alters its result is met by preparing it again, and blobs and text in the
// same position are separate statements.
TEST(PostgresConnection, QueriesArePreparedOnceAndAgainAfterASchemaChange) {
  TestDatabase t(Dialect::postgres);
  GW_REQUIRE_DB(t);
  t.db().with_connection([](Connection& c) {
    c.execute_script("CREATE TABLE prep (a INTEGER, b BYTEA)");
    for (int i = 0; i < 3; ++i)
      c.query("INSERT INTO prep (a) VALUES (?) /* prep-marker */", {int64_t{i}});
    for (int i = 0; i < 2; ++i) {
      c.query("INSERT INTO prep (a, b) VALUES (?, ?) /* prep-marker */",
              {int64_t{7}, Blob{std::string("\x00\x01", 2)}});
      c.query("INSERT INTO prep (a, b) VALUES (?, ?) /* prep-marker */", {int64_t{8}, nullptr});
    }
    c.query("SELECT a FROM prep WHERE a = ? /* prep-marker once */", {int64_t{1}});
    auto prepared = c.query(
        "SELECT COUNT(*) FROM pg_prepared_statements WHERE statement LIKE '%prep-marker%' "
        "AND statement NOT LIKE '%pg_prepared_statements%'");
    EXPECT_EQ(prepared.rows.at(0).integer(0), 3)
        << "one per text and kind of parameters, none for a text run once";
    EXPECT_EQ(c.query("SELECT b FROM prep WHERE a = 7 LIMIT 1").rows.at(0).blob(0),
              std::string("\x00\x01", 2));
    for (int i = 0; i < 2; ++i) {
      EXPECT_EQ(c.query("SELECT * FROM prep ORDER BY a").columns.size(), 2u);
    }
    c.execute_script("ALTER TABLE prep ADD COLUMN c TEXT DEFAULT 'x'");
    auto after = c.query("SELECT * FROM prep ORDER BY a");  // its old plan returns 2 columns
    EXPECT_EQ(after.columns.size(), 3u);
    EXPECT_EQ(after.rows.at(0).text(2), "x");
  });
}
