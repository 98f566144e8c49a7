// uptime_percentage of GET /api/v1/sessions/:id: the connected time of the last 24 hours (or
// since the session was created), from session_connections, on both databases.
#include <gtest/gtest.h>

#include "auth/accounts.hpp"
#include "auth/crypto.hpp"
#include "db/migrations.hpp"
#include "sessions/repository.hpp"
#include "test_db.hpp"

using namespace gw;
using gw::testing::TestDatabase;

namespace {

constexpr int64_t kCreatedMs = 1'800'000'000'000;

class SessionUptimeTest : public ::testing::TestWithParam<db::Dialect> {};

TEST_P(SessionUptimeTest, CountsConnectedTimeAndNeverAnIntervalThatBeganAfterNow) {
  TestDatabase t(GetParam());
  GW_REQUIRE_DB(t);
  db::Migrator(t.db()).up();
  auth::Accounts accounts(std::string(32, 'k'));
  t.db().with_connection([&](db::Connection& c) {
    auto user = accounts.create(c).user_id;
    auto id = auth::uuid_v4();
    sessions::repo::insert(c, id, user, "uptime", "https://n8n.example.com/webhook", kCreatedMs);
    auto uptime_at = [&](int64_t now) {
      auto row = sessions::repo::find(c, id, user, now);
      EXPECT_TRUE(row.has_value());
      return row ? sessions::uptime_percentage(*row, now) : -1.0;
    };
    // Connected for the first 1000 ms of 4000: 25 %.
    c.query(
        "INSERT INTO session_connections (session_id, connected_ms, disconnected_ms, "
        "last_seen_ms) VALUES (?, ?, ?, ?)",
        {id, kCreatedMs, kCreatedMs + 1000, kCreatedMs + 1000});
    EXPECT_DOUBLE_EQ(uptime_at(kCreatedMs + 4000), 25.0);
    // A connection recorded while a request was reading began after the request's "now": it is
    // not counted (it used to make the sum, and the percentage, negative).
    c.query(
        "INSERT INTO session_connections (session_id, connected_ms, last_seen_ms) "
        "VALUES (?, ?, ?)",
        {id, kCreatedMs + 4300, kCreatedMs + 4300});
    EXPECT_DOUBLE_EQ(uptime_at(kCreatedMs + 4000), 25.0);
    // Once "now" is past its start, the open interval counts up to now: 1000 + 700 of 5000.
    EXPECT_DOUBLE_EQ(uptime_at(kCreatedMs + 5000), 34.0);
  });
}

INSTANTIATE_TEST_SUITE_P(Dialects, SessionUptimeTest,
                         ::testing::Values(db::Dialect::sqlite, db::Dialect::postgres),
                         gw::testing::dialect_label);

}  // namespace
