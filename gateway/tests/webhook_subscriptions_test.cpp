// Webhook subscriptions: the POST body's validation, and the outbox rows an event becomes for the
// subscriptions that asked for it (own delivery id, own ordering key, the same payload).
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "auth/crypto.hpp"
#include "db/migrations.hpp"
#include "http/errors.hpp"
#include "outbound/message_log.hpp"
#include "test_db.hpp"
#include "webhooks/subscriptions.hpp"

namespace gw {
namespace {

namespace json = boost::json;
using webhooks::parse_subscription;

json::object details_of(const json::object& body) {
  try {
    parse_subscription(body, true);
  } catch (const http::ApiError& e) {
    EXPECT_EQ(e.kind(), http::ErrorKind::validation);
    return e.details().as_object();
  }
  ADD_FAILURE() << "no error for " << json::serialize(body);
  return {};
}

TEST(SubscriptionBody, UrlAndEvents) {
  auto f = parse_subscription(json::parse(R"({"url": "http://127.0.0.1:5678/webhook/x/whatsapp",
      "events": ["session.status", "message.received", "session.status"]})")
                                  .as_object(),
                              true);
  EXPECT_EQ(f.url, "http://127.0.0.1:5678/webhook/x/whatsapp");
  EXPECT_EQ(f.events, (std::vector<std::string>{"session.status", "message.received"}));
  // Default: incoming messages only.
  auto d = parse_subscription(json::parse(R"({"url": "https://n8n.example.com/hook"})").as_object(),
                              true);
  EXPECT_EQ(d.events, std::vector<std::string>{"message.received"});
}

TEST(SubscriptionBody, EachBadFieldNamed) {
  auto e = details_of(json::parse(R"({"events": "message.received"})").as_object());
  EXPECT_EQ(e.at("url").as_string(), "required");
  EXPECT_TRUE(e.contains("events"));
  e = details_of(json::parse(R"({"url": 5, "events": []})").as_object());
  EXPECT_EQ(e.at("url").as_string(), "must be a string");
  EXPECT_TRUE(e.contains("events"));
  e = details_of(
      json::parse(R"({"url": "ftp://x/y", "events": ["message.received", 3]})").as_object());
  EXPECT_TRUE(e.contains("url"));
  EXPECT_TRUE(e.contains("events"));
  e = details_of(
      json::parse(R"({"url": "http://x.example/", "events": ["message.deleted"]})").as_object());
  EXPECT_NE(std::string(e.at("events").as_string()).find("unknown event: message.deleted"),
            std::string::npos);
  // The webhook URL rules apply: no private targets when they are not allowed.
  EXPECT_THROW(
      parse_subscription(json::parse(R"({"url": "http://127.0.0.1/x"})").as_object(), false),
      http::ApiError);
}

class SubscriptionStoreTest : public ::testing::TestWithParam<db::Dialect> {
 protected:
  void SetUp() override {
    tdb_ = std::make_unique<gw::testing::TestDatabase>(GetParam());
    if (!tdb_->available()) GTEST_SKIP() << "TEST_DATABASE_URL is not set";
    db::Migrator(tdb_->db()).up();
    tdb_->db().with_connection([&](db::Connection& c) {
      std::string user = auth::uuid_v4();
      c.query("INSERT INTO users (id, pin_hash) VALUES (?, ?)", {user, std::string(64, 'a')});
      c.query("INSERT INTO sessions (id, user_id, session_name, webhook_url) VALUES (?, ?, ?, ?)",
              {session_, user, std::string("bot"), std::string("http://127.0.0.1:5678/hook")});
    });
  }
  std::unique_ptr<gw::testing::TestDatabase> tdb_;
  std::string session_ = auth::uuid_v4();
};

TEST_P(SubscriptionStoreTest, FanOutToTheSubscriptionsThatAsked) {
  tdb_->db().with_connection([&](db::Connection& c) {
    namespace subs = webhooks::subscriptions;
    auto [a, secret_a] = subs::create(c, session_, {"http://a.example/x", {"message.received"}}, 1);
    auto [b, secret_b] = subs::create(c, session_, {"http://b.example/x", {"session.status"}}, 2);
    EXPECT_EQ(secret_a.size(), 64u);
    EXPECT_NE(secret_a, secret_b);
    EXPECT_EQ(subs::list(c, session_).size(), 2u);
    EXPECT_EQ(subs::subscribers(c, session_, "session.status"), std::vector<std::string>{b.id});
    EXPECT_TRUE(subs::subscribers(c, session_, "message.status").empty());

    const std::string payload = R"({"event":"message.received","event_id":"E0","message":{}})";
    auto ids = subs::fan_out(c, subs::subscribers(c, session_, "message.received"), session_,
                             "message.received", "62811@s.whatsapp.net", std::string("M1"), payload,
                             std::string("{}"), 10, 5);
    ASSERT_EQ(ids.size(), 1u);
    auto r = c.query(
        "SELECT subscription_id, chat_key, payload, message_id FROM webhook_deliveries "
        "WHERE delivery_id = ?",
        {ids[0]});
    ASSERT_EQ(r.rows.size(), 1u);
    EXPECT_EQ(r.rows[0].text(0), a.id);
    EXPECT_EQ(r.rows[0].text(1), "sub:" + a.id + ":62811@s.whatsapp.net");
    auto p = json::parse(r.rows[0].text(2)).as_object();
    EXPECT_EQ(p.at("event_id").as_string(), ids[0]) << "its own event id";
    EXPECT_EQ(r.rows[0].text(3), "M1");

    // message.status goes to nobody here (no subscription and not in the session's events).
    EXPECT_EQ(
        outbound::queue_status_webhooks(
            c, session_, {{"M9", "62811@s.whatsapp.net", "delivered", "2026-01-01T00:00:00Z"}}, 1),
        0);
    // Deleted: its rows go with it; another session's id is not found.
    EXPECT_FALSE(subs::remove(c, auth::uuid_v4(), a.id));
    EXPECT_TRUE(subs::remove(c, session_, a.id));
    EXPECT_FALSE(subs::remove(c, session_, a.id));
    auto left =
        c.query("SELECT COUNT(*) FROM webhook_deliveries WHERE subscription_id = ?", {a.id});
    EXPECT_EQ(left.rows[0].integer(0), 0);
    EXPECT_EQ(subs::count(c, session_), 1u);
  });
}

INSTANTIATE_TEST_SUITE_P(Dialects, SubscriptionStoreTest,
                         ::testing::Values(db::Dialect::sqlite, db::Dialect::postgres),
                         gw::testing::dialect_label);

}  // namespace
}  // namespace gw
