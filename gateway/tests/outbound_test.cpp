// The send API's request validation and the message log's delivery status (both databases).
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "auth/crypto.hpp"
#include "db/migrations.hpp"
#include "http/errors.hpp"
#include "outbound/message_log.hpp"
#include "outbound/request.hpp"
#include "test_db.hpp"

using namespace gw;
using namespace gw::outbound;

namespace {

SendRequest parse(std::string_view json, RequestLimits limits = {}) {
  return parse_send_request(boost::json::parse(json).as_object(), limits);
}

// The details of the 400 (or 413) a body gets.
boost::json::object refused(std::string_view json, int status = 400, RequestLimits limits = {}) {
  try {
    parse(json, limits);
  } catch (const http::ApiError& e) {
    EXPECT_EQ(http::http_status(e.kind()), status) << json;
    return e.details().is_object() ? e.details().as_object() : boost::json::object{};
  }
  ADD_FAILURE() << "accepted: " << json;
  return {};
}

}  // namespace

TEST(SendRequest, PhoneNumbersAsPeopleTypeThem) {
  EXPECT_EQ(normalize_phone("+62 812-3456-7890"), "6281234567890");
  EXPECT_EQ(normalize_phone("(62) 812.3456.7890"), "6281234567890");
  EXPECT_EQ(normalize_phone("6281234567890"), "6281234567890");
  EXPECT_FALSE(normalize_phone("08123456789"));  // no country code
  EXPECT_FALSE(normalize_phone("1234"));
  EXPECT_FALSE(normalize_phone("62812abc"));
  EXPECT_FALSE(normalize_phone(std::string(21, '9')));
}

TEST(SendRequest, TextToNumberOrJid) {
  auto r = parse(R"({"to":"+62 811 1111","content":"hi"})");
  EXPECT_TRUE(r.to.from_phone);
  EXPECT_EQ(r.to.jid.to_string(), "628111111@s.whatsapp.net");
  EXPECT_EQ(r.type, SendType::text);
  EXPECT_EQ(r.content, "hi");
  auto g = parse(R"({"to":"120363000000001@g.us","type":"TEXT","content":"hi all"})");
  EXPECT_FALSE(g.to.from_phone);
  EXPECT_TRUE(g.to.jid.is_group());
  auto l = parse(R"({"to":"99887766:3@lid","content":"x"})");
  EXPECT_EQ(l.to.jid.to_string(), "99887766@lid");  // device dropped
}

TEST(SendRequest, EveryProblemNamedInOneAnswer) {
  auto d = refused(R"({"type":"fax","content":5,"extra":1})");
  EXPECT_TRUE(d.contains("to"));
  EXPECT_TRUE(d.contains("type"));
  EXPECT_TRUE(d.contains("content"));
  EXPECT_EQ(d.at("extra").as_string(), "unknown field");
  EXPECT_TRUE(refused(R"({"to":"1@broadcast","content":"x"})").contains("to"));
  EXPECT_TRUE(refused(R"({"to":"status@broadcast","content":"x"})").contains("to"));
  EXPECT_TRUE(refused(R"({"to":"62811111","type":"audio","content":"words"})").contains("content"));
  EXPECT_TRUE(refused(R"({"to":"62811111","content":"x","ptt":true})").contains("ptt"));
  EXPECT_TRUE(
      refused(R"({"to":"62811111","content":"x","media_url":"http://a/b"})").contains("media_url"));
}

TEST(SendRequest, MediaSources) {
  auto b = parse(
      R"({"to":"62811111","type":"image","media_base64":"aGVsbG8=","mimetype":"image/PNG","caption":"c"})");
  EXPECT_EQ(*b.media_bytes, "hello");
  EXPECT_EQ(b.mimetype, "image/png");
  EXPECT_EQ(b.content, "c");
  // A data: URL gives the type; line breaks inside base64 are tolerated.
  auto d = parse(
      R"({"to":"62811111","type":"document","media_base64":"data:application/pdf;base64,aGVs\nbG8=","filename":"a.pdf"})");
  EXPECT_EQ(*d.media_bytes, "hello");
  EXPECT_EQ(d.mimetype, "application/pdf");
  EXPECT_EQ(d.filename, "a.pdf");
  auto u = parse(R"({"to":"62811111","type":"video","media_url":"https://example.com/v.mp4"})");
  EXPECT_EQ(*u.media_url, "https://example.com/v.mp4");
  EXPECT_TRUE(refused(R"({"to":"62811111","type":"image","media_base64":"aGVsbG8="})")
                  .contains("mimetype"));
  EXPECT_TRUE(
      refused(R"({"to":"62811111","type":"image","media_url":"ftp://x/y"})").contains("media_url"));
  EXPECT_TRUE(
      refused(
          R"({"to":"62811111","type":"image","media_url":"http://x/y","media_base64":"aGVsbG8=","mimetype":"image/png"})")
          .contains("media_url"));
  EXPECT_TRUE(
      refused(R"({"to":"62811111","type":"image","media_base64":"!!!","mimetype":"image/png"})")
          .contains("media_base64"));
  EXPECT_TRUE(
      refused(
          R"({"to":"62811111","type":"document","media_url":"http://x/y","filename":"../etc/passwd"})")
          .contains("filename"));
  RequestLimits small;
  small.max_media_bytes = 4;
  EXPECT_TRUE(
      refused(
          R"({"to":"62811111","type":"image","media_base64":"aGVsbG8=","mimetype":"image/png"})",
          413, small)
          .contains("media_base64"));
}

TEST(SendRequest, LocationAndContact) {
  auto l = parse(
      R"({"to":"62811111","type":"location","location":{"latitude":-6.175,"longitude":106.8272,"name":"Monas"}})");
  ASSERT_TRUE(l.location);
  EXPECT_DOUBLE_EQ(l.location->latitude, -6.175);
  EXPECT_EQ(l.location->name, "Monas");
  EXPECT_TRUE(
      refused(R"({"to":"62811111","type":"location","location":{"latitude":"x","longitude":0}})")
          .contains("location.latitude"));
  EXPECT_TRUE(refused(R"({"to":"62811111","type":"location"})").contains("location"));
  auto c = parse(
      R"({"to":"62811111","type":"contact","contact":{"name":"Budi","phone":"+62 811 222"}})");
  ASSERT_TRUE(c.contact);
  EXPECT_EQ(c.contact->vcard, make_vcard("Budi", "62811222"));
  EXPECT_NE(c.contact->vcard.find("waid=62811222:+62811222"), std::string::npos);
  EXPECT_TRUE(refused(R"({"to":"62811111","type":"contact","contact":{"name":"Budi"}})")
                  .contains("contact"));
}

TEST(SendRequest, MentionsAndQuote) {
  auto r = parse(
      R"({"to":"62811111","content":"@62822 hi","mentions":["+62 822 333","62844444@s.whatsapp.net"],"quoted_message_id":"3EB0ABC"})");
  EXPECT_EQ(r.mentions, (std::vector<std::string>{"62822333", "62844444"}));
  EXPECT_EQ(*r.quoted_message_id, "3EB0ABC");
  EXPECT_TRUE(
      refused(R"({"to":"62811111","content":"x","mentions":["bob"]})").contains("mentions"));
  EXPECT_TRUE(refused(R"({"to":"62811111","content":"x","quoted_message_id":""})")
                  .contains("quoted_message_id"));
}

// --- the message log ----------------------------------------------------------------------------

class MessageLogTest : public ::testing::TestWithParam<db::Dialect> {
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
  OutgoingRecord rec(std::string id, std::string chat = "62811@s.whatsapp.net") {
    OutgoingRecord r;
    r.session_id = session_;
    r.message_id = std::move(id);
    r.chat_id = chat;
    r.chat_jid = chat;
    r.to_number = chat.substr(0, chat.find('@'));
    r.type = "text";
    r.content = "hi";
    r.at_ms = 1'700'000'000'000;
    r.own_jid = "62899@s.whatsapp.net";
    return r;
  }
  template <typename F>
  auto with(F f) {
    return tdb_->db().with_connection(f);
  }
  std::unique_ptr<gw::testing::TestDatabase> tdb_;
  std::string session_ = auth::uuid_v4();
};

TEST_P(MessageLogTest, StatusOnlyMovesForward) {
  with([&](db::Connection& c) {
    insert_outgoing(c, rec("M1"));
    auto d = apply_status(c, session_, {"M1", "UNKNOWN"}, "delivered", 1'700'000'001'000);
    ASSERT_EQ(d.size(), 1u);
    EXPECT_EQ(d[0].message_id, "M1");
    EXPECT_EQ(d[0].chat_id, "62811@s.whatsapp.net");
    EXPECT_EQ(apply_status(c, session_, {"M1"}, "read", 1'700'000'002'000).size(), 1u);
    // A late delivery receipt does not move a read message back; nor does a second read.
    EXPECT_TRUE(apply_status(c, session_, {"M1"}, "delivered", 1'700'000'003'000).empty());
    EXPECT_TRUE(apply_status(c, session_, {"M1"}, "read", 1'700'000'004'000).empty());
    auto m = find_message(c, session_, "M1");
    ASSERT_TRUE(m);
    EXPECT_EQ(m->at("status").as_string(), "read");
    const auto& ts = m->at("status_timestamps").as_object();
    EXPECT_NE(ts.at("delivered").as_string().find("2023-11-14T22:13:21"), std::string::npos)
        << ts.at("delivered");
    EXPECT_NE(ts.at("read").as_string().find("2023-11-14T22:13:22"), std::string::npos);
    EXPECT_TRUE(ts.at("played").is_null());
    // Played straight after sent fills the steps it skipped.
    insert_outgoing(c, rec("M2"));
    EXPECT_EQ(apply_status(c, session_, {"M2"}, "played", 1'700'000'005'000).size(), 1u);
    auto m2 = find_message(c, session_, "M2");
    EXPECT_FALSE(m2->at("status_timestamps").as_object().at("delivered").is_null());
    EXPECT_FALSE(m2->at("status_timestamps").as_object().at("read").is_null());
    // A failed send is never "delivered" later.
    auto f = rec("M3");
    f.status = "failed";
    f.error = "message_rejected: 463";
    insert_outgoing(c, f);
    EXPECT_TRUE(apply_status(c, session_, {"M3"}, "delivered", 1'700'000'006'000).empty());
    EXPECT_EQ(find_message(c, session_, "M3")->at("error").as_string(), "message_rejected: 463");
  });
}

TEST_P(MessageLogTest, PagesAndQuotes) {
  with([&](db::Connection& c) {
    for (int i = 0; i < 5; ++i) insert_outgoing(c, rec("P" + std::to_string(i)));
    insert_outgoing(c, rec("G1", "1203@g.us"));
    ListFilter f;
    f.chat_id = "62811@s.whatsapp.net";
    f.limit = 2;
    auto p1 = list_messages(c, session_, f);
    ASSERT_EQ(p1.at("messages").as_array().size(), 2u);
    EXPECT_EQ(p1.at("messages").as_array()[0].as_object().at("message_id").as_string(), "P4");
    EXPECT_EQ(p1.at("next_before").as_string(), "P3");
    f.before = "P3";
    f.limit = 10;
    auto p2 = list_messages(c, session_, f);
    ASSERT_EQ(p2.at("messages").as_array().size(), 3u);
    EXPECT_TRUE(p2.at("next_before").is_null());
    f.before = "NOPE";
    EXPECT_THROW(list_messages(c, session_, f), http::ApiError);
    auto q = quote_source(c, session_, "G1");
    ASSERT_TRUE(q);
    EXPECT_EQ(q->chat_jid, "1203@g.us");
    EXPECT_EQ(q->sender_jid, "62899@s.whatsapp.net");
    EXPECT_EQ(q->text, "hi");
    EXPECT_FALSE(quote_source(c, session_, "NOPE"));
  });
}

TEST_P(MessageLogTest, StatusWebhooksOnlyWhenAskedFor) {
  with([&](db::Connection& c) {
    insert_outgoing(c, rec("W1"));
    auto d = apply_status(c, session_, {"W1"}, "delivered", 1'700'000'001'000);
    EXPECT_EQ(queue_status_webhooks(c, session_, d, 1), 0);  // default events: received only
    c.query("UPDATE sessions SET webhook_events = 'message.received,message.status' WHERE id = ?",
            {session_});
    EXPECT_EQ(queue_status_webhooks(c, session_, d, 1), 1);
    auto r = c.query("SELECT event, chat_key, payload FROM webhook_deliveries WHERE session_id = ?",
                     {session_});
    ASSERT_EQ(r.rows.size(), 1u);
    EXPECT_EQ(r.rows[0].text(0), "message.status");
    EXPECT_EQ(r.rows[0].text(1), "62811@s.whatsapp.net");
    auto p = boost::json::parse(r.rows[0].text(2)).as_object();
    EXPECT_EQ(p.at("message").as_object().at("status").as_string(), "delivered");
    EXPECT_EQ(p.at("session_name").as_string(), "bot");
  });
}

TEST(WebhookReply, TextOrAnyMessageTheSendApiAccepts) {
  RequestLimits limits;
  auto t = parse_webhook_reply(R"({"reply": "pong"})", limits);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->type, SendType::text);
  EXPECT_EQ(t->content, "pong");
  auto o = parse_webhook_reply(R"({"reply": {"content": "on it"}})", limits);
  ASSERT_TRUE(o);
  EXPECT_EQ(o->content, "on it");
  auto img = parse_webhook_reply(
      R"({"reply": {"type": "image", "media_url": "https://files.example/a.png", "content": "cap",
          "to": "6281111111111", "quoted_message_id": "X"}})",
      limits);
  ASSERT_TRUE(img);
  EXPECT_EQ(img->type, SendType::image);
  EXPECT_EQ(img->media_url, "https://files.example/a.png");
  EXPECT_EQ(img->content, "cap");
  EXPECT_FALSE(img->quoted_message_id);  // a reply quotes the message it answers, nothing else
  auto doc = parse_webhook_reply(
      R"({"reply": {"type": "document", "media_base64": "JVBERi0=", "mimetype": "application/pdf",
          "filename": "Faktur.pdf"}})",
      limits);
  ASSERT_TRUE(doc);
  EXPECT_EQ(doc->media_bytes, std::string("%PDF-"));
  EXPECT_EQ(doc->filename, "Faktur.pdf");
  // No reply at all.
  for (const char* none : {"", "not json", "[]", "{}", R"({"reply": ""})", R"({"reply": 5})",
                           R"({"reply": {"type": "text", "content": ""}})", R"({"reply": {}})"}) {
    EXPECT_FALSE(parse_webhook_reply(none, limits)) << none;
  }
  // A reply the send API would refuse names the field.
  try {
    parse_webhook_reply(R"({"reply": {"type": "image", "content": "no media"}})", limits);
    FAIL() << "an image without media was accepted";
  } catch (const http::ApiError& e) {
    EXPECT_EQ(http::http_status(e.kind()), 400);
  }
  EXPECT_THROW(parse_webhook_reply(R"({"reply": {"type": "gif", "content": "x"}})", limits),
               http::ApiError);
}

TEST(ReceiptStatus, OnlyDeliveryReceiptsMoveStatus) {
  EXPECT_EQ(status_of_receipt(""), "delivered");
  EXPECT_EQ(status_of_receipt("read"), "read");
  EXPECT_EQ(status_of_receipt("played"), "played");
  EXPECT_FALSE(status_of_receipt("read-self"));
  EXPECT_FALSE(status_of_receipt("sender"));
  EXPECT_FALSE(status_of_receipt("retry"));
}

INSTANTIATE_TEST_SUITE_P(Dialects, MessageLogTest,
                         ::testing::Values(db::Dialect::sqlite, db::Dialect::postgres),
                         gw::testing::dialect_label);
