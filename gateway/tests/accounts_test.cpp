#include "auth/accounts.hpp"

#include <gtest/gtest.h>

#include "auth/pin.hpp"
#include "db/migrations.hpp"
#include "test_db.hpp"

using namespace gw;
using gw::testing::TestDatabase;

class AccountsTest : public ::testing::TestWithParam<db::Dialect> {};

TEST_P(AccountsTest, PinCollisionIsRetriedUntilUnique) {
  TestDatabase t(GetParam());
  GW_REQUIRE_DB(t);
  db::Migrator(t.db()).up();
  // The generator repeats a PIN: the unique column refuses the second insert and create() retries.
  std::vector<std::string> pins = {"AAAAAA", "AAAAAA", "AAAAAA", "BBBBBB"};
  size_t next = 0;
  auth::Accounts accounts(std::string(32, 'k'), [&] { return pins.at(next++); });
  t.db().with_connection([&](db::Connection& c) {
    auto first = accounts.create(c);
    EXPECT_EQ(first.pin, "AAAAAA");
    auto second = accounts.create(c);
    EXPECT_EQ(second.pin, "BBBBBB");
    EXPECT_EQ(next, 4u) << "two collisions, then success";
    EXPECT_EQ(accounts.login(c, "AAAAAA"), first.user_id);
    EXPECT_EQ(accounts.login(c, "BBBBBB"), second.user_id);
    EXPECT_EQ(accounts.login(c, "CCCCCC"), std::nullopt);
    EXPECT_EQ(accounts.login(c, "aaaaaa"), std::nullopt);
    // Only the keyed hash is stored.
    for (const auto& row : c.query("SELECT pin_hash FROM users").rows) {
      EXPECT_EQ(row.text(0).size(), 64u);
      EXPECT_NE(row.text(0), "AAAAAA");
      EXPECT_EQ(row.text(0).find("AAAAAA"), std::string::npos);
    }
  });
}

TEST_P(AccountsTest, GivesUpAfterBoundedCollisions) {
  TestDatabase t(GetParam());
  GW_REQUIRE_DB(t);
  db::Migrator(t.db()).up();
  int calls = 0;
  auth::Accounts accounts(std::string(32, 'k'), [&] {
    ++calls;
    return std::string("SAME11");
  });
  t.db().with_connection([&](db::Connection& c) {
    accounts.create(c);
    calls = 0;
    try {
      accounts.create(c);
      FAIL() << "endless collisions must end";
    } catch (const db::DbError& e) {
      EXPECT_EQ(e.kind(), db::DbError::Kind::unique_violation);
    }
    EXPECT_EQ(calls, auth::Accounts::kMaxAttempts);
  });
}

TEST_P(AccountsTest, PinHashDependsOnTheKey) {
  TestDatabase t(GetParam());
  GW_REQUIRE_DB(t);
  db::Migrator(t.db()).up();
  auth::Accounts a(std::string(32, 'a'), [] { return std::string("KEY123"); });
  auth::Accounts b(std::string(32, 'b'));
  t.db().with_connection([&](db::Connection& c) {
    a.create(c);
    EXPECT_EQ(b.login(c, "KEY123"), std::nullopt) << "another key cannot log in";
  });
}

TEST_P(AccountsTest, RevocationAndPruning) {
  TestDatabase t(GetParam());
  GW_REQUIRE_DB(t);
  db::Migrator(t.db()).up();
  auth::Accounts accounts(std::string(32, 'k'));
  t.db().with_connection([&](db::Connection& c) {
    auto u = accounts.create(c);
    const std::string old_jti(32, 'a'), live_jti(32, 'b');
    auth::Accounts::revoke(c, old_jti, u.user_id, 1'000);
    auth::Accounts::revoke(c, live_jti, u.user_id, 4'000'000'000);
    auth::Accounts::revoke(c, live_jti, u.user_id, 4'000'000'000);  // twice is fine
    EXPECT_TRUE(auth::Accounts::is_revoked(c, old_jti));
    EXPECT_TRUE(auth::Accounts::is_revoked(c, live_jti));
    EXPECT_FALSE(auth::Accounts::is_revoked(c, std::string(32, 'c')));
    EXPECT_EQ(auth::Accounts::prune_revoked(c, 2'000'000'000), 1);
    EXPECT_FALSE(auth::Accounts::is_revoked(c, old_jti));
    EXPECT_TRUE(auth::Accounts::is_revoked(c, live_jti));
    auto p = accounts.profile(c, u.user_id);
    ASSERT_TRUE(p.has_value());
    EXPECT_EQ(p->last_login, std::nullopt);
  });
}

INSTANTIATE_TEST_SUITE_P(Dialects, AccountsTest,
                         ::testing::Values(db::Dialect::sqlite, db::Dialect::postgres),
                         gw::testing::dialect_label);
