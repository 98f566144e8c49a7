#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <thread>

#include "db/connection.hpp"
#include "db/database.hpp"
#include "db/migrations.hpp"
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
