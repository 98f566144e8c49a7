// API keys for machine clients: the key format and hash, storage and scoping on
// both databases, authentication through the Authenticator (with its cache), and what the request
// pipeline lets a key call.
#include "auth/api_keys.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <set>
#include <thread>

#include "app/pipeline.hpp"
#include "auth/accounts.hpp"
#include "auth/authenticator.hpp"
#include "auth/crypto.hpp"
#include "db/migrations.hpp"
#include "events/hub.hpp"
#include "http/errors.hpp"
#include "http/router.hpp"
#include "sessions/repository.hpp"
#include "test_db.hpp"

using namespace gw;
using gw::testing::TestDatabase;

namespace {

// The key with its last character replaced by another one (never by itself).
std::string last_char_changed(std::string key) {
  key.back() = key.back() == 'A' ? 'B' : 'A';
  return key;
}

template <typename T>
T run(boost::asio::awaitable<T> a) {
  boost::asio::io_context ioc;
  auto f = boost::asio::co_spawn(ioc, std::move(a), boost::asio::use_future);
  ioc.run();
  return f.get();
}

constexpr int64_t kNowMs = 1'800'000'000'000;

std::string new_user(db::Database& db) {
  auth::Accounts accounts(std::string(32, 'k'));
  return db.with_connection([&](db::Connection& c) { return accounts.create(c).user_id; });
}

std::string new_session(db::Database& db, const std::string& user, const std::string& name) {
  auto id = auth::uuid_v4();
  db.with_connection([&](db::Connection& c) {
    sessions::repo::insert(c, id, user, name, "https://n8n.example.com/webhook", kNowMs);
  });
  return id;
}

}  // namespace

TEST(ApiKeyFormat, GeneratedKeysHaveTheDocumentedShape) {
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) {
    auto key = auth::generate_api_key();
    ASSERT_EQ(key.size(), auth::kApiKeyLength);
    EXPECT_TRUE(key.starts_with("wag_"));
    EXPECT_TRUE(auth::looks_like_api_key(key)) << key;
    // 32 random bytes behind the marker.
    auto raw = auth::base64url_decode(std::string_view(key).substr(4));
    ASSERT_TRUE(raw.has_value());
    EXPECT_EQ(raw->size(), auth::kApiKeyRandomBytes);
    seen.insert(key);
  }
  EXPECT_EQ(seen.size(), 200u);
  // The random source is the one given (all-zero bytes spell 43 'A's).
  auto zero = auth::generate_api_key(
      [](std::span<std::uint8_t> out) { std::fill(out.begin(), out.end(), std::uint8_t{0}); });
  EXPECT_EQ(zero, "wag_" + std::string(43, 'A'));
}

TEST(ApiKeyFormat, LooksLikeApiKeyRefusesEverythingElse) {
  const std::string good = "wag_" + std::string(42, 'A') + "E";  // last char: low 2 bits zero
  EXPECT_TRUE(auth::looks_like_api_key(good));
  EXPECT_FALSE(auth::looks_like_api_key(""));
  EXPECT_FALSE(auth::looks_like_api_key("wag_"));
  EXPECT_FALSE(auth::looks_like_api_key("wax_" + std::string(43, 'A')));
  EXPECT_FALSE(auth::looks_like_api_key("WAG_" + std::string(43, 'A')));
  EXPECT_FALSE(auth::looks_like_api_key("wag_" + std::string(42, 'A')));
  EXPECT_FALSE(auth::looks_like_api_key("wag_" + std::string(44, 'A')));
  EXPECT_FALSE(auth::looks_like_api_key("wag_" + std::string(42, 'A') + "B"));  // trailing bits
  EXPECT_FALSE(auth::looks_like_api_key("wag_" + std::string(42, 'A') + "="));
  EXPECT_FALSE(auth::looks_like_api_key("wag_" + std::string(42, 'A') + "+"));
  EXPECT_FALSE(
      auth::looks_like_api_key("wag_" + std::string(21, 'A') + " " + std::string(21, 'A')));
  EXPECT_FALSE(auth::looks_like_api_key(std::string("wag_") + std::string(42, 'A') + '\0'));
  EXPECT_FALSE(auth::looks_like_api_key("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.e30.x"));
}

TEST(ApiKeyFormat, HashIsHexSha256OfTheWholeKey) {
  // FIPS 180-4 test vector.
  auto abc = auth::sha256("abc");
  EXPECT_EQ(auth::hex_encode(std::span<const std::uint8_t>(abc.data(), abc.size())),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(auth::api_key_hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  auto key = auth::generate_api_key();
  EXPECT_EQ(auth::api_key_hash(key).size(), 64u);
  EXPECT_NE(auth::api_key_hash(key), auth::api_key_hash(last_char_changed(key)));
}

TEST(ApiKeyGrant, CoversAllWhenUnlimitedAndOnlyItsListOtherwise) {
  http::ApiKeyGrant all{"k", std::nullopt};
  EXPECT_FALSE(all.limited());
  EXPECT_TRUE(all.covers("anything"));
  http::ApiKeyGrant some{"k", std::vector<std::string>{"aaaa-1", "bbbb-2"}};
  EXPECT_TRUE(some.limited());
  EXPECT_TRUE(some.covers("aaaa-1"));
  EXPECT_TRUE(some.covers("AAAA-1"));  // ids compare as stored, lower-case
  EXPECT_FALSE(some.covers("cccc-3"));
  http::ApiKeyGrant none{"k", std::vector<std::string>{}};
  EXPECT_TRUE(none.limited());
  EXPECT_FALSE(none.covers("aaaa-1"));

  http::Request req;
  EXPECT_TRUE(req.may_access_session("x"));  // a login token reaches every session it owns
  req.api_key = some;
  EXPECT_TRUE(req.may_access_session("bbbb-2"));
  EXPECT_FALSE(req.may_access_session("x"));

  // The event hub's filter for sockets opened with such a key.
  events::SessionFilter f{some.session_ids};
  EXPECT_TRUE(f.matches("aaaa-1"));
  EXPECT_FALSE(f.matches("cccc-3"));
  EXPECT_TRUE(events::SessionFilter::all().matches("cccc-3"));
  EXPECT_FALSE(events::SessionFilter{std::vector<std::string>{}}.matches("aaaa-1"));
}

TEST(ApiKeyAccess, RouterFindsTheSessionParameter) {
  http::Router r;
  auto noop = [](http::Request&) -> boost::asio::awaitable<http::Response> {
    co_return http::Response{};
  };
  r.add("GET", "/api/v1/sessions", http::Access::any_caller, noop);
  r.add("GET", "/api/v1/sessions/:id/deliveries/:delivery_id", http::Access::authenticated, noop);
  r.add("GET", "/api/v1/analytics/sessions/:sid", http::Access::authenticated, noop);
  r.add("GET", "/ws/sessions/:id", http::Access::public_route, noop);
  r.add("DELETE", "/api/v1/api-keys/:id", http::Access::login_only, noop);
  EXPECT_EQ(r.routes()[0].session_param, "");
  EXPECT_EQ(r.routes()[1].session_param, "id");
  EXPECT_EQ(r.routes()[2].session_param, "sid");
  EXPECT_EQ(r.routes()[3].session_param, "id");
  EXPECT_EQ(r.routes()[4].session_param, "");
}

TEST(ApiKeyAccess, PipelineLetsAKeyCallOnlyWhatItsScopeAllows) {
  http::Router r;
  auto noop = [](http::Request&) -> boost::asio::awaitable<http::Response> {
    co_return http::Response{};
  };
  r.add("GET", "/api/v1/sessions", http::Access::any_caller, noop);
  r.add("POST", "/api/v1/sessions", http::Access::unlimited, noop);
  r.add("GET", "/api/v1/sessions/:id", http::Access::authenticated, noop);
  r.add("DELETE", "/api/v1/sessions/:id", http::Access::unlimited, noop);
  r.add("GET", "/api/v1/analytics/overview", http::Access::authenticated, noop);
  r.add("GET", "/api/v1/api-keys", http::Access::login_only, noop);

  const std::string mine = "0b6a3c1e-0000-4000-8000-000000000001";
  const std::string other = "0b6a3c1e-0000-4000-8000-000000000002";
  auto outcome = [&](const std::optional<std::vector<std::string>>& scope,
                     const std::string& method, const std::string& path) -> int {
    auto m = r.match(method, path);
    EXPECT_EQ(m.outcome, http::Router::Outcome::found) << path;
    http::Request req;
    req.method = method;
    req.path = path;
    req.params = m.params;
    req.api_key = http::ApiKeyGrant{"key-1", scope};
    try {
      app::check_api_key_access(*m.route, req);
      return 200;
    } catch (const http::ApiError& e) {
      return http::http_status(e.kind());
    }
  };
  const std::optional<std::vector<std::string>> unlimited;
  const std::optional<std::vector<std::string>> limited = std::vector<std::string>{mine};

  // An unlimited key: everything its user can do, except key management (and logout).
  EXPECT_EQ(outcome(unlimited, "GET", "/api/v1/sessions"), 200);
  EXPECT_EQ(outcome(unlimited, "POST", "/api/v1/sessions"), 200);
  EXPECT_EQ(outcome(unlimited, "GET", "/api/v1/sessions/" + other), 200);
  EXPECT_EQ(outcome(unlimited, "DELETE", "/api/v1/sessions/" + other), 200);
  EXPECT_EQ(outcome(unlimited, "GET", "/api/v1/analytics/overview"), 200);
  EXPECT_EQ(outcome(unlimited, "GET", "/api/v1/api-keys"), 403);

  // A limited key: its sessions only; nothing that spans sessions unless the route filters.
  EXPECT_EQ(outcome(limited, "GET", "/api/v1/sessions"), 200);
  EXPECT_EQ(outcome(limited, "GET", "/api/v1/sessions/" + mine), 200);
  EXPECT_EQ(outcome(limited, "GET", "/api/v1/sessions/" + other), 404);
  EXPECT_EQ(outcome(limited, "GET", "/api/v1/sessions/not-a-uuid"), 404);
  EXPECT_EQ(outcome(limited, "POST", "/api/v1/sessions"), 403);
  EXPECT_EQ(outcome(limited, "DELETE", "/api/v1/sessions/" + mine), 403);
  EXPECT_EQ(outcome(limited, "GET", "/api/v1/analytics/overview"), 403);
  EXPECT_EQ(outcome(limited, "GET", "/api/v1/api-keys"), 403);
}

TEST(ApiKeyAccess, CredentialComesFromBearerElseXApiKey) {
  const std::string key = "wag_" + std::string(43, 'A');
  http::Request req;
  EXPECT_FALSE(auth::Authenticator::credential(req).has_value());
  req.headers.set("X-Api-Key", key);
  EXPECT_EQ(auth::Authenticator::credential(req), key);
  // Another scheme (a reverse proxy's Basic login) does not hide X-Api-Key.
  req.headers.set("Authorization", "Basic dXNlcjpwYXNz");
  EXPECT_EQ(auth::Authenticator::credential(req), key);
  req.headers.set("Authorization", "Bearer eyJ.x.y");
  EXPECT_EQ(auth::Authenticator::credential(req), "eyJ.x.y");
  // X-Api-Key carries API keys only, never a login token.
  http::Request jwt_in_header;
  jwt_in_header.headers.set("X-Api-Key", "eyJhbGciOiJIUzI1NiJ9.e30.sig");
  EXPECT_FALSE(auth::Authenticator::credential(jwt_in_header).has_value());
}

class ApiKeysDbTest : public ::testing::TestWithParam<db::Dialect> {};

TEST_P(ApiKeysDbTest, CreateListFindDeleteStoresOnlyTheHash) {
  TestDatabase t(GetParam());
  GW_REQUIRE_DB(t);
  db::Migrator(t.db()).up();
  auto user = new_user(t.db());
  auto other = new_user(t.db());
  t.db().with_connection([&](db::Connection& c) {
    auto created = auth::create_api_key(c, user, "n8n production", std::nullopt, kNowMs);
    const auto& k = created.record;
    EXPECT_TRUE(auth::looks_like_api_key(created.key));
    EXPECT_EQ(k.prefix, created.key.substr(0, 12));
    EXPECT_EQ(k.name, "n8n production");
    EXPECT_EQ(k.user_id, user);
    EXPECT_FALSE(k.session_ids.has_value());
    EXPECT_EQ(k.created_at, "2027-01-15T08:00:00.000Z");
    EXPECT_FALSE(k.last_used_at.has_value());

    // Stored: the hash and the prefix, never the key.
    auto rows = c.query("SELECT key_hash, prefix, name FROM api_keys WHERE id = ?", {k.id});
    ASSERT_EQ(rows.rows.size(), 1u);
    EXPECT_EQ(rows.rows[0].text(0), auth::api_key_hash(created.key));
    for (const auto& col : {rows.rows[0].text(0), rows.rows[0].text(1), rows.rows[0].text(2)}) {
      EXPECT_EQ(col.find(created.key.substr(12)), std::string::npos);
    }

    auto found = auth::find_api_key(c, created.key, kNowMs + 5);
    ASSERT_TRUE(found.has_value());
    EXPECT_EQ(found->id, k.id);
    EXPECT_EQ(found->user_id, user);
    EXPECT_FALSE(found->session_ids.has_value());
    EXPECT_FALSE(auth::find_api_key(c, last_char_changed(created.key), kNowMs).has_value());
    EXPECT_FALSE(auth::find_api_key(c, "not a key", kNowMs).has_value());
    EXPECT_FALSE(auth::find_api_key(c, auth::generate_api_key(), kNowMs).has_value());

    auto second = auth::create_api_key(c, user, "second", std::nullopt, kNowMs + 1000);
    auto list = auth::list_api_keys(c, user);
    ASSERT_EQ(list.size(), 2u);
    EXPECT_EQ(list[0].id, second.record.id) << "newest first";
    EXPECT_EQ(list[1].id, k.id);
    EXPECT_TRUE(list[1].last_used_at.has_value());
    EXPECT_TRUE(auth::list_api_keys(c, other).empty());

    // Another user cannot delete it; its owner can, once.
    EXPECT_FALSE(auth::delete_api_key(c, other, k.id));
    EXPECT_TRUE(auth::find_api_key(c, created.key, kNowMs).has_value());
    EXPECT_TRUE(auth::delete_api_key(c, user, k.id));
    EXPECT_FALSE(auth::delete_api_key(c, user, k.id));
    EXPECT_FALSE(auth::find_api_key(c, created.key, kNowMs).has_value());
    EXPECT_TRUE(auth::find_api_key(c, second.key, kNowMs).has_value());

    // Deleting the user deletes its keys.
    c.query("DELETE FROM users WHERE id = ?", {user});
    EXPECT_FALSE(auth::find_api_key(c, second.key, kNowMs).has_value());
  });
}

TEST_P(ApiKeysDbTest, LimitedKeysReachOnlyTheirUsersListedSessions) {
  TestDatabase t(GetParam());
  GW_REQUIRE_DB(t);
  db::Migrator(t.db()).up();
  auto user = new_user(t.db());
  auto other = new_user(t.db());
  auto a = new_session(t.db(), user, "A");
  auto b = new_session(t.db(), user, "B");
  new_session(t.db(), user, "C");
  auto foreign = new_session(t.db(), other, "theirs");
  t.db().with_connection([&](db::Connection& c) {
    auto created = auth::create_api_key(c, user, "two", std::vector<std::string>{b, a, a}, kNowMs);
    std::vector<std::string> both = {a, b};
    std::sort(both.begin(), both.end());
    ASSERT_TRUE(created.record.session_ids.has_value());
    EXPECT_EQ(*created.record.session_ids, both) << "sorted, duplicates dropped";
    auto found = auth::find_api_key(c, created.key, kNowMs);
    ASSERT_TRUE(found && found->session_ids);
    EXPECT_EQ(*found->session_ids, both);
    EXPECT_EQ(*auth::list_api_keys(c, user).at(0).session_ids, both);

    // Another user's session, or one that does not exist: refused, naming it; nothing written.
    auto refused = [&](const std::vector<std::string>& ids) -> std::string {
      try {
        auth::create_api_key(c, user, "bad", ids, kNowMs);
      } catch (const auth::ApiKeyError& e) {
        EXPECT_EQ(e.kind(), auth::ApiKeyError::Kind::unknown_session);
        return e.session_id();
      }
      return "";
    };
    EXPECT_EQ(refused({a, foreign}), foreign);
    const std::string unknown = "7f0c1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b";
    EXPECT_EQ(refused({unknown, a}), unknown);
    EXPECT_EQ(auth::list_api_keys(c, user).size(), 1u);

    // A deleted session leaves the key's list; the key stays limited, to none at the end.
    sessions::repo::remove(c, a);
    found = auth::find_api_key(c, created.key, kNowMs);
    ASSERT_TRUE(found && found->session_ids);
    EXPECT_EQ(*found->session_ids, std::vector<std::string>{b});
    sessions::repo::remove(c, b);
    found = auth::find_api_key(c, created.key, kNowMs);
    ASSERT_TRUE(found && found->session_ids);
    EXPECT_TRUE(found->session_ids->empty());
    EXPECT_TRUE(auth::list_api_keys(c, user).at(0).session_ids->empty());
  });
}

TEST_P(ApiKeysDbTest, AUserHoldsAtMostFiftyKeys) {
  TestDatabase t(GetParam());
  GW_REQUIRE_DB(t);
  db::Migrator(t.db()).up();
  auto user = new_user(t.db());
  auto other = new_user(t.db());
  t.db().with_connection([&](db::Connection& c) {
    for (std::size_t i = 0; i < auth::kMaxApiKeysPerUser; ++i) {
      auth::create_api_key(c, user, "k" + std::to_string(i), std::nullopt, kNowMs);
    }
    try {
      auth::create_api_key(c, user, "one too many", std::nullopt, kNowMs);
      ADD_FAILURE() << "the 51st key was created";
    } catch (const auth::ApiKeyError& e) {
      EXPECT_EQ(e.kind(), auth::ApiKeyError::Kind::too_many);
      EXPECT_NE(std::string(e.what()).find("50"), std::string::npos) << e.what();
    }
    EXPECT_EQ(auth::list_api_keys(c, user).size(), auth::kMaxApiKeysPerUser);
    // Other users are not affected, and deleting one makes room again.
    auth::create_api_key(c, other, "theirs", std::nullopt, kNowMs);
    EXPECT_TRUE(auth::delete_api_key(c, user, auth::list_api_keys(c, user).at(0).id));
    auth::create_api_key(c, user, "again", std::nullopt, kNowMs);
  });
}

TEST_P(ApiKeysDbTest, LastUsedIsWrittenAtMostOnceAMinute) {
  TestDatabase t(GetParam());
  GW_REQUIRE_DB(t);
  db::Migrator(t.db()).up();
  auto user = new_user(t.db());
  t.db().with_connection([&](db::Connection& c) {
    auto created = auth::create_api_key(c, user, "k", std::nullopt, kNowMs);
    auto stored = [&] {
      return c.query("SELECT last_used_at FROM api_keys WHERE id = ?", {created.record.id})
          .rows.at(0)
          .opt_text(0);
    };
    EXPECT_FALSE(stored().has_value());
    auth::find_api_key(c, created.key, kNowMs + 1000);
    EXPECT_EQ(stored(), "2027-01-15T08:00:01.000Z");
    auth::find_api_key(c, created.key, kNowMs + 30'000);
    EXPECT_EQ(stored(), "2027-01-15T08:00:01.000Z") << "not rewritten within a minute";
    auth::find_api_key(c, created.key, kNowMs + 61'000);
    EXPECT_EQ(stored(), "2027-01-15T08:01:01.000Z");
  });
}

TEST_P(ApiKeysDbTest, AuthenticatorAcceptsKeysAndRefusesADeletedOneAtOnce) {
  TestDatabase t(GetParam());
  GW_REQUIRE_DB(t);
  db::Migrator(t.db()).up();
  int64_t now = kNowMs / 1000;
  auth::Authenticator a(t.db(), std::string(32, 's'), std::chrono::seconds(60),
                        [&] { return now; });
  auto user = new_user(t.db());
  auto s1 = new_session(t.db(), user, "one");
  auto created = t.db().with_connection([&](db::Connection& c) {
    return auth::create_api_key(c, user, "n8n", std::vector<std::string>{s1}, kNowMs);
  });

  auto id = run(a.authenticate(created.key));
  ASSERT_TRUE(id.has_value());
  EXPECT_EQ(id->user_id, user);
  ASSERT_TRUE(id->api_key.has_value());
  EXPECT_EQ(id->api_key->key_id, created.record.id);
  EXPECT_EQ(id->api_key->session_ids, std::vector<std::string>{s1});
  EXPECT_TRUE(id->jti.empty());
  // A JWT still works beside it, without a grant.
  auto jwt = run(a.authenticate(a.issue(user)));
  ASSERT_TRUE(jwt.has_value());
  EXPECT_FALSE(jwt->api_key.has_value());

  // Unknown and malformed keys.
  EXPECT_FALSE(run(a.authenticate(auth::generate_api_key())).has_value());
  EXPECT_FALSE(run(a.authenticate("wag_")).has_value());
  EXPECT_FALSE(run(a.authenticate("wag_" + std::string(400, 'x'))).has_value());

  // The key is now confirmed (cached). Deleted in the database and forgotten by this process:
  // refused on the very next call, not after the cache's second.
  EXPECT_TRUE(run(a.authenticate(created.key)).has_value());
  t.db().with_connection(
      [&](db::Connection& c) { EXPECT_TRUE(auth::delete_api_key(c, user, created.record.id)); });
  a.forget_api_key(created.record.id);
  EXPECT_FALSE(run(a.authenticate(created.key)).has_value());

  // Deleted by another process sharing the database (this one was not told): refused within a
  // second, like a revoked login token.
  auto elsewhere = t.db().with_connection([&](db::Connection& c) {
    return auth::create_api_key(c, user, "elsewhere", std::nullopt, kNowMs);
  });
  EXPECT_TRUE(run(a.authenticate(elsewhere.key)).has_value());
  t.db().with_connection(
      [&](db::Connection& c) { EXPECT_TRUE(auth::delete_api_key(c, user, elsewhere.record.id)); });
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  EXPECT_FALSE(run(a.authenticate(elsewhere.key)).has_value());

  // A WebSocket ?token= takes a key as well.
  auto second = t.db().with_connection(
      [&](db::Connection& c) { return auth::create_api_key(c, user, "ws", std::nullopt, kNowMs); });
  http::Request ws;
  ws.query = "token=" + second.key;
  auto who = run(a.require_query_token(ws));
  EXPECT_EQ(who.user_id, user);
  ASSERT_TRUE(who.api_key.has_value());
  EXPECT_FALSE(who.api_key->limited());
}

INSTANTIATE_TEST_SUITE_P(Dialects, ApiKeysDbTest,
                         ::testing::Values(db::Dialect::sqlite, db::Dialect::postgres),
                         gw::testing::dialect_label);
