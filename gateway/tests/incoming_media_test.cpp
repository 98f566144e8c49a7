// Incoming media jobs (inbound/media_jobs.hpp) on both databases, which download errors the
// fetcher tries again (inbound/media_fetcher.hpp), and which webhooks inbound::record() hands to
// the delivery worker at once.
#include <gtest/gtest.h>

#include "auth/crypto.hpp"
#include "db/migrations.hpp"
#include "inbound/inbound.hpp"
#include "inbound/media_fetcher.hpp"
#include "inbound/media_jobs.hpp"
#include "test_db.hpp"

namespace gw::inbound {
namespace {

wa::message::MediaDescriptor descriptor() {
  wa::message::MediaDescriptor d;
  d.url = "https://mmg.example/d/f/abc.enc";
  d.direct_path = "/v/t62.7118-24/abc.enc?ccb=11-4";
  d.media_key.assign(32, 0x11);
  d.file_sha256.assign(32, 0x22);
  d.file_enc_sha256.assign(32, 0x33);
  d.mimetype = "application/pdf";
  d.file_length = 123'456;
  d.file_name = "Laporan \"Mei\".pdf";
  return d;
}

TEST(IncomingMedia, DescriptorRoundTripsAndBadTextIsRefused) {
  const auto d = descriptor();
  auto back = parse_descriptor(descriptor_json(d));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->url, d.url);
  EXPECT_EQ(back->direct_path, d.direct_path);
  EXPECT_EQ(back->media_key, d.media_key);
  EXPECT_EQ(back->file_sha256, d.file_sha256);
  EXPECT_EQ(back->file_enc_sha256, d.file_enc_sha256);
  EXPECT_EQ(back->mimetype, d.mimetype);
  EXPECT_EQ(back->file_length, d.file_length);
  EXPECT_EQ(back->file_name, d.file_name);
  for (const char* bad :
       {"", "[]", "{}", "not json",
        R"({"url":"","direct_path":"","mimetype":"","file_name":"",)"
        R"("media_key":"!!","file_sha256":"","file_enc_sha256":"","file_length":1})",
        R"({"url":"","direct_path":"","mimetype":"","file_name":"",)"
        R"("media_key":"","file_sha256":"","file_enc_sha256":"","file_length":-1})"}) {
    EXPECT_FALSE(parse_descriptor(bad)) << bad;
  }
}

TEST(IncomingMedia, OnlyPassingFailuresAreTriedAgain) {
  using wa::Errc;
  EXPECT_TRUE(transient_media_error({Errc::media_timeout, ""}));
  EXPECT_TRUE(transient_media_error({Errc::transport_connect, ""}));
  EXPECT_TRUE(transient_media_error({Errc::media_http, "HTTP 503"}));
  EXPECT_TRUE(transient_media_error({Errc::media_http, "HTTP 429"}));
  EXPECT_TRUE(transient_media_error({Errc::media_http, "not an HTTP response: eof"}));
  EXPECT_FALSE(transient_media_error({Errc::media_http, "HTTP 404"}));
  EXPECT_FALSE(transient_media_error({Errc::media_http, "HTTP 410"}));
  EXPECT_FALSE(transient_media_error({Errc::media_hash_mismatch, ""}));
  EXPECT_FALSE(transient_media_error({Errc::media_mac_mismatch, ""}));
  EXPECT_FALSE(transient_media_error({Errc::media_too_large, ""}));
  EXPECT_FALSE(transient_media_error({Errc::media_invalid, ""}));
}

class MediaJobsTest : public ::testing::TestWithParam<db::Dialect> {
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
  wa::client::MessageReceived message(std::string id, wa::message::ContentType type) {
    wa::client::MessageReceived m;
    m.id = std::move(id);
    m.type = type;
    m.media = descriptor();
    return m;
  }
  // A held-back webhook and a log row of the message, as inbound::record writes them.
  void incoming(db::Connection& c, const std::string& id, int64_t held_until) {
    c.query(
        "INSERT INTO messages_log (session_id, direction, message_id, is_group, timestamp) "
        "VALUES (?, 'incoming', ?, FALSE, '2026-12-03T00:00:00Z')",
        {session_, id});
    c.query(
        "INSERT INTO webhook_deliveries (delivery_id, session_id, event, chat_key, message_id, "
        "payload, status, attempts, next_attempt_ms, created_ms) "
        "VALUES (?, ?, 'message.received', 'c', ?, '{}', 'pending', 0, ?, 0)",
        {auth::uuid_v4(), session_, id, held_until});
  }
  template <typename F>
  auto with(F f) {
    return tdb_->db().with_connection(f);
  }
  std::unique_ptr<gw::testing::TestDatabase> tdb_;
  std::string session_ = auth::uuid_v4();
};

TEST_P(MediaJobsTest, QueuedOnceFinishedOnceAndTheWebhookIsReleased) {
  with([&](db::Connection& c) {
    EXPECT_TRUE(queue_media(c, session_, message("M1", wa::message::ContentType::document), 1000));
    // A redelivered message is not queued twice; text has no download.
    EXPECT_FALSE(queue_media(c, session_, message("M1", wa::message::ContentType::document), 2000));
    auto text = message("T1", wa::message::ContentType::text);
    text.media.reset();
    EXPECT_FALSE(queue_media(c, session_, text, 1000));
    EXPECT_TRUE(queue_media(c, session_, message("M2", wa::message::ContentType::image), 1000));
    incoming(c, "M1", 50'000);
    incoming(c, "M2", 50'000);

    auto jobs = pending_media(c, session_, 10);
    ASSERT_EQ(jobs.size(), 2u);
    EXPECT_EQ(jobs[0].message_id, "M1");
    EXPECT_EQ(jobs[0].type, wa::media::MediaType::document);
    EXPECT_EQ(jobs[0].descriptor.file_name, descriptor().file_name);
    EXPECT_EQ(jobs[1].type, wa::media::MediaType::image);
    count_media_attempt(c, jobs[0].id);

    c.query(
        "INSERT INTO media (id, session_id, mimetype, file_name, size_bytes, sha256, created_ms) "
        "VALUES (?, ?, 'application/pdf', 'a.pdf', 1, ?, 0)",
        {std::string(32, 'a'), session_, std::string(64, 'b')});
    finish_stored(c, jobs[0], std::string(32, 'a'), 3000);
    finish_failed(c, jobs[1], "media_hash_mismatch: x", 3000);
    EXPECT_TRUE(pending_media(c, session_, 10).empty());

    auto o1 = media_outcome(c, session_, "M1");
    ASSERT_TRUE(o1);
    EXPECT_EQ(o1->state, "stored");
    EXPECT_EQ(o1->media_id, std::string(32, 'a'));
    auto o2 = media_outcome(c, session_, "M2");
    ASSERT_TRUE(o2);
    EXPECT_EQ(o2->state, "failed");
    EXPECT_EQ(o2->error, "media_hash_mismatch: x");
    EXPECT_FALSE(media_outcome(c, session_, "T1"));

    auto log = c.query(
        "SELECT message_id, media_id, media_error FROM messages_log WHERE session_id = ? "
        "ORDER BY message_id",
        {session_});
    ASSERT_EQ(log.rows.size(), 2u);
    EXPECT_EQ(log.rows[0].opt_text(1), std::string(32, 'a'));
    EXPECT_FALSE(log.rows[0].opt_text(2));
    EXPECT_EQ(log.rows[1].opt_text(2), "media_hash_mismatch: x");
    // Both webhooks are due now instead of at the end of the wait.
    auto due =
        c.query("SELECT next_attempt_ms FROM webhook_deliveries WHERE session_id = ?", {session_});
    for (const auto& r : due.rows) EXPECT_EQ(r.integer(0), 3000);
    auto attempts = c.query("SELECT attempts FROM incoming_media WHERE message_id = 'M1'");
    EXPECT_EQ(attempts.rows.at(0).integer(0), 1);
  });
}

TEST_P(MediaJobsTest, AnUnreadableStoredDescriptorFailsInsteadOfLooping) {
  with([&](db::Connection& c) {
    ASSERT_TRUE(queue_media(c, session_, message("M1", wa::message::ContentType::image), 1000));
    c.query("UPDATE incoming_media SET descriptor = '{\"url\": 1}'");
    EXPECT_TRUE(pending_media(c, session_, 10).empty());
    auto o = media_outcome(c, session_, "M1");
    ASSERT_TRUE(o);
    EXPECT_EQ(o->state, "failed");
  });
}

// The first pending delivery of a chat, due now, goes to the worker at once (ReadyDelivery, with
// what the worker's query would have read); a later one of the same chat waits its turn, as does
// one held back for its attachment's download; another chat is not held back.
TEST_P(MediaJobsTest, OnlyTheFirstPendingDeliveryOfAChatDueNowIsReady) {
  with([&](db::Connection& c) {
    c.query("UPDATE sessions SET webhook_secret = 'sekret' WHERE id = ?", {session_});
    auto settings = load_settings(c, session_);
    ASSERT_TRUE(settings);
    const PnForLid no_lids = [](const std::string&) { return std::nullopt; };
    auto text_from = [&](const std::string& id, const std::string& user) {
      auto m = message(id, wa::message::ContentType::text);
      m.media.reset();
      m.text = "halo";
      m.chat = *wa::Jid::parse(user + "@s.whatsapp.net");
      m.sender = m.chat;
      m.timestamp = 1'764'000'000;
      return m;
    };
    auto first = record(c, text_from("A1", "628111"), *settings, no_lids, 1000);
    ASSERT_TRUE(first.decision.forward);
    ASSERT_TRUE(first.ready);
    EXPECT_FALSE(first.other_rows);
    const auto row = c.query(
        "SELECT d.id, d.delivery_id, d.payload, d.reply_context, d.analytics_id, s.webhook_url, "
        "s.webhook_secret, d.chat_key FROM webhook_deliveries d JOIN sessions s "
        "ON s.id = d.session_id WHERE d.message_id = 'A1'");
    ASSERT_EQ(row.rows.size(), 1u);
    const auto& r = row.rows[0];
    EXPECT_EQ(first.ready->row_id, r.integer(0));
    EXPECT_EQ(first.ready->delivery_id, r.text(1));
    EXPECT_EQ(first.ready->payload, r.text(2));
    EXPECT_EQ(first.ready->reply_context, r.text(3));
    EXPECT_EQ(first.ready->analytics_id, r.integer(4));
    EXPECT_EQ(first.ready->url, r.text(5));
    EXPECT_EQ(first.ready->secret, "sekret");
    EXPECT_EQ(r.text(6), "sekret");
    EXPECT_EQ(first.ready->chat_key, r.text(7));
    EXPECT_EQ(first.ready->message_id, "A1");

    auto second = record(c, text_from("A2", "628111"), *settings, no_lids, 1001);
    EXPECT_TRUE(second.delivery_id);
    EXPECT_FALSE(second.ready) << "A1 of the same chat is still pending";
    EXPECT_TRUE(second.other_rows);
    auto other_chat = record(c, text_from("B1", "628222"), *settings, no_lids, 1002);
    EXPECT_TRUE(other_chat.ready);

    c.query("UPDATE webhook_deliveries SET status = 'delivered' WHERE session_id = ?", {session_});
    auto with_file = message("A3", wa::message::ContentType::document);
    with_file.chat = *wa::Jid::parse("628111@s.whatsapp.net");
    with_file.sender = with_file.chat;
    auto held = record(c, with_file, *settings, no_lids, 1003, std::nullopt, 30'000);
    EXPECT_TRUE(held.media_queued);
    EXPECT_FALSE(held.ready) << "held back for its download";
    EXPECT_TRUE(held.other_rows);

    // A session without its secret yet (older than migration 0005): left to the worker's query,
    // which gives it one first.
    c.query("UPDATE webhook_deliveries SET status = 'delivered' WHERE session_id = ?", {session_});
    c.query("UPDATE sessions SET webhook_secret = NULL WHERE id = ?", {session_});
    auto unsigned_yet =
        record(c, text_from("C1", "628333"), *load_settings(c, session_), no_lids, 1004);
    EXPECT_FALSE(unsigned_yet.ready);
    EXPECT_TRUE(unsigned_yet.other_rows);
  });
}

INSTANTIATE_TEST_SUITE_P(Dialects, MediaJobsTest,
                         ::testing::Values(db::Dialect::sqlite, db::Dialect::postgres),
                         gw::testing::dialect_label);

}  // namespace
}  // namespace gw::inbound
