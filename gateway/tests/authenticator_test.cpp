#include "auth/authenticator.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <chrono>
#include <thread>

#include "auth/accounts.hpp"
#include "db/migrations.hpp"
#include "http/errors.hpp"
#include "test_db.hpp"
#include "util/time.hpp"

using namespace gw;
using gw::testing::TestDatabase;

namespace {
// Runs an awaitable to completion on a private io_context and returns its result.
template <typename T>
T run(boost::asio::awaitable<T> a) {
  boost::asio::io_context ioc;
  auto f = boost::asio::co_spawn(ioc, std::move(a), boost::asio::use_future);
  ioc.run();
  return f.get();
}

http::Request with_query(std::string query) {
  http::Request r;
  r.query = std::move(query);
  return r;
}
}  // namespace

class AuthenticatorTest : public ::testing::TestWithParam<db::Dialect> {};

TEST_P(AuthenticatorTest, QueryTokenForWebSocketUpgrades) {
  TestDatabase t(GetParam());
  GW_REQUIRE_DB(t);
  db::Migrator(t.db()).up();
  int64_t now = 1'800'000'000;
  auth::Authenticator a(t.db(), std::string(32, 's'), std::chrono::seconds(60),
                        [&] { return now; });
  auth::Accounts accounts(std::string(32, 'k'));
  auto user = t.db().with_connection([&](db::Connection& c) { return accounts.create(c); });
  auto token = a.issue(user.user_id);

  auto id = run(a.require_query_token(with_query("x=1&token=" + token)));
  EXPECT_EQ(id.user_id, user.user_id);
  EXPECT_EQ(id.expires_unix, now + 60);

  auto refused = [&](http::Request r) {
    try {
      run(a.require_query_token(r));
      return false;
    } catch (const http::ApiError& e) {
      return e.kind() == http::ErrorKind::unauthorized;
    }
  };
  EXPECT_TRUE(refused(with_query("")));
  EXPECT_TRUE(refused(with_query("token=")));
  EXPECT_TRUE(refused(with_query("token=not-a-jwt")));
  EXPECT_TRUE(refused(with_query("token=" + token + "x")));

  // Revoked (logout: stored, and forgotten by this process's cache) -> refused at once.
  t.db().with_connection(
      [&](db::Connection& c) { auth::Accounts::revoke(c, id.jti, id.user_id, id.expires_unix); });
  a.forget(id.jti);
  EXPECT_TRUE(refused(with_query("token=" + token)));

  // Revoked by another process sharing the database: refused within a second.
  auto other = a.issue(user.user_id);
  auto other_id = run(a.authenticate(other));
  ASSERT_TRUE(other_id.has_value());
  t.db().with_connection([&](db::Connection& c) {
    auth::Accounts::revoke(c, other_id->jti, other_id->user_id, other_id->expires_unix);
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  EXPECT_TRUE(refused(with_query("token=" + other)));

  // Expiry follows the injected clock.
  auto fresh = a.issue(user.user_id);
  EXPECT_FALSE(refused(with_query("token=" + fresh)));
  now += 61;
  EXPECT_TRUE(refused(with_query("token=" + fresh)));
}

TEST_P(AuthenticatorTest, TokenOfDeletedUserIsRefused) {
  TestDatabase t(GetParam());
  GW_REQUIRE_DB(t);
  db::Migrator(t.db()).up();
  auth::Authenticator a(t.db(), std::string(32, 's'), std::chrono::seconds(60),
                        [] { return util::unix_seconds_now(); });
  auth::Accounts accounts(std::string(32, 'k'));
  auto user = t.db().with_connection([&](db::Connection& c) { return accounts.create(c); });
  auto token = a.issue(user.user_id);
  EXPECT_TRUE(run(a.authenticate(token)).has_value());
  t.db().with_connection(
      [&](db::Connection& c) { c.query("DELETE FROM users WHERE id = ?", {user.user_id}); });
  // A confirmed token is trusted for up to a second without asking the database again.
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  EXPECT_FALSE(run(a.authenticate(token)).has_value());
}

INSTANTIATE_TEST_SUITE_P(Dialects, AuthenticatorTest,
                         ::testing::Values(db::Dialect::sqlite, db::Dialect::postgres),
                         gw::testing::dialect_label);
