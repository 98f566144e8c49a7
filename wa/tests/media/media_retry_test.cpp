// Media retry (docs/PROTOCOL.md §8.6) against vectors recorded from Baileys'
// encryptMediaRetryRequest and decryptMediaRetryData
// (wa/tests/node/gen_media_retry_vectors.mjs -> wa/tests/vectors/media_retry.jsonl).
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <fstream>

#include "../test_hex.hpp"
#include "media/retry.hpp"
#include "wa/crypto/primitives.hpp"

using namespace wa::media;
namespace json = boost::json;
using wa::binary::Bytes;
using wa::binary::Node;
using wa_test::hex;
using wa_test::unhex;

namespace {

std::vector<json::object> vectors(std::string_view kind) {
  std::ifstream in(std::string(WA_VECTORS_DIR) + "/media_retry.jsonl");
  std::vector<json::object> out;
  std::string line;
  while (std::getline(in, line)) {
    auto o = json::parse(line).as_object();
    if (o["kind"].as_string() == kind) out.push_back(std::move(o));
  }
  return out;
}
std::string str(const json::object& o, std::string_view k) {
  return std::string(o.at(k).as_string());
}
wa::Jid jid(const std::string& s) {
  auto j = wa::Jid::parse(s);
  if (!j) throw std::runtime_error("bad jid " + s);
  return *j;
}
Bytes bytes_of(const Node& n) {
  auto v = n.content_view();
  return Bytes(v.begin(), v.end());
}

// The notification a phone sends, from a vector.
Node notification(const json::object& v) {
  return Node{
      "notification",
      {{"id", str(v, "id")}, {"type", "mediaretry"}, {"from", "6281100000001@s.whatsapp.net"}},
      std::vector<Node>{
          Node{"rmr", {{"jid", "6281234567890@s.whatsapp.net"}, {"from_me", "false"}}, {}},
          Node{"encrypt",
               {},
               std::vector<Node>{Node{"enc_p", {}, unhex(str(v, "enc_p"))},
                                 Node{"enc_iv", {}, unhex(str(v, "iv"))}}}}};
}

}  // namespace

// With Baileys' iv, our receipt is Baileys' receipt: same attributes, same ciphertext.
TEST(MediaRetry, ReceiptMatchesBaileys) {
  const auto all = vectors("receipt");
  ASSERT_EQ(all.size(), 3u);
  for (const auto& v : all) {
    SCOPED_TRACE(str(v, "id"));
    RetryTarget t;
    t.message_id = str(v, "id");
    t.chat = jid(str(v, "chat"));
    t.from_me = v.at("from_me").as_bool();
    if (v.contains("participant")) t.participant = jid(str(v, "participant"));
    const auto iv = wa_test::unhex_array<12>(str(v, "iv"));
    auto r = media_retry_receipt(t, jid(str(v, "me")), unhex(str(v, "media_key")), iv);
    ASSERT_TRUE(r.ok()) << r.error().message();
    EXPECT_EQ(r->tag, "receipt");
    EXPECT_EQ(*r->attr("id"), str(v, "id"));
    EXPECT_EQ(*r->attr("to"), str(v, "to"));
    EXPECT_EQ(*r->attr("type"), "server-error");
    const auto* enc = r->child("encrypt");
    ASSERT_NE(enc, nullptr);
    EXPECT_EQ(hex(bytes_of(*enc->child("enc_p"))), str(v, "enc_p"));
    EXPECT_EQ(hex(bytes_of(*enc->child("enc_iv"))), str(v, "iv"));
    const auto* rmr = r->child("rmr");
    ASSERT_NE(rmr, nullptr);
    EXPECT_EQ(*rmr->attr("jid"), str(v, "chat"));
    EXPECT_EQ(*rmr->attr("from_me"), t.from_me ? "true" : "false");
    if (t.participant) {
      EXPECT_EQ(*rmr->attr("participant"), str(v, "participant"));
    } else {
      EXPECT_EQ(rmr->attr("participant"), nullptr);
    }
  }
}

TEST(MediaRetry, ReceiptRefusesABadKeyOrNoId) {
  RetryTarget t{"ID1", jid("6281234567890@s.whatsapp.net"), false, std::nullopt};
  const std::array<std::uint8_t, 12> iv{};
  auto short_key = media_retry_receipt(t, jid("6281100000001:7@s.whatsapp.net"), Bytes(31, 1), iv);
  ASSERT_FALSE(short_key.ok());
  EXPECT_EQ(short_key.code(), wa::Errc::media_invalid);
  t.message_id.clear();
  auto no_id = media_retry_receipt(t, jid("6281100000001:7@s.whatsapp.net"), Bytes(32, 1), iv);
  ASSERT_FALSE(no_id.ok());
  EXPECT_EQ(no_id.code(), wa::Errc::invalid_argument);
}

// Baileys' answers: success gives the new direct path; the other results name themselves.
TEST(MediaRetry, ReadsBaileysAnswers) {
  const auto all = vectors("notification");
  ASSERT_EQ(all.size(), 4u);
  for (const auto& v : all) {
    SCOPED_TRACE(str(v, "id"));
    const auto n = notification(v);
    ASSERT_EQ(media_retry_id(n), str(v, "id"));
    auto r = read_media_retry(n, unhex(str(v, "media_key")));
    const auto result = v.at("result").as_int64();
    if (result == 1) {
      ASSERT_TRUE(r.ok()) << r.error().message();
      EXPECT_EQ(r->direct_path, str(v, "direct_path"));
      EXPECT_EQ(r->result, RetryAnswer::Result::success);
    } else {
      ASSERT_FALSE(r.ok());
      EXPECT_EQ(r.code(), wa::Errc::media_reupload_failed);
      EXPECT_NE(r.error().detail.find("(code " + std::to_string(result) + ")"), std::string::npos)
          << r.error().detail;
    }
  }
}

TEST(MediaRetry, AnAnswerUnderAnotherKeyOrForAnotherMessageIsRefused) {
  const auto v = vectors("notification").front();
  auto key = unhex(str(v, "media_key"));
  key[0] ^= 1;
  auto wrong_key = read_media_retry(notification(v), key);
  ASSERT_FALSE(wrong_key.ok());
  EXPECT_EQ(wrong_key.code(), wa::Errc::media_invalid);
  // The id is the additional data: the same payload under another message id does not open.
  auto n = notification(v);
  n.attrs[0].second = "SOMEOTHERID";
  auto moved = read_media_retry(n, unhex(str(v, "media_key")));
  ASSERT_FALSE(moved.ok());
  EXPECT_EQ(moved.code(), wa::Errc::media_invalid);
}

TEST(MediaRetry, ErrorAnswersAndMalformedNotifications) {
  const Bytes key(32, 7);
  Node err{"notification",
           {{"id", "X1"}, {"type", "mediaretry"}},
           std::vector<Node>{Node{"rmr", {{"jid", "1@s.whatsapp.net"}}, {}},
                             Node{"error", {{"code", "2"}}, {}}}};
  auto r = read_media_retry(err, key);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.code(), wa::Errc::media_reupload_failed);
  EXPECT_EQ(r.error().detail, "the phone answered not found (code 2)");

  Node bare{"notification", {{"id", "X1"}, {"type", "mediaretry"}}, {}};
  EXPECT_EQ(read_media_retry(bare, key).code(), wa::Errc::node_invalid);
  Node short_iv{"notification",
                {{"id", "X1"}, {"type", "mediaretry"}},
                std::vector<Node>{Node{"encrypt",
                                       {},
                                       std::vector<Node>{Node{"enc_p", {}, Bytes(20, 1)},
                                                         Node{"enc_iv", {}, Bytes(5, 1)}}}}};
  EXPECT_EQ(read_media_retry(short_iv, key).code(), wa::Errc::node_invalid);
  Node other{"notification", {{"id", "X1"}, {"type", "devices"}}, {}};
  EXPECT_FALSE(media_retry_id(other).has_value());
  EXPECT_EQ(read_media_retry(other, key).code(), wa::Errc::node_invalid);
}

// Our receipt opens with the retry key: what the phone checks.
TEST(MediaRetry, OurReceiptDecryptsUnderTheRetryKey) {
  RetryTarget t{"3EB0FFEE", jid("6281234567890@s.whatsapp.net"), false, std::nullopt};
  const Bytes media_key(32, 9);
  std::array<std::uint8_t, 12> iv{};
  wa::crypto::random_bytes(iv);
  auto r = media_retry_receipt(t, jid("6281100000001:3@s.whatsapp.net"), media_key, iv);
  ASSERT_TRUE(r.ok());
  auto key = retry_key(media_key);
  ASSERT_TRUE(key.ok());
  const auto sealed = bytes_of(*r->child("encrypt")->child("enc_p"));
  const std::string aad = "3EB0FFEE";
  auto plain = wa::crypto::aes_gcm_decrypt(
      *key, iv, sealed, {reinterpret_cast<const std::uint8_t*>(aad.data()), aad.size()});
  ASSERT_TRUE(plain.ok());
  // ServerErrorReceipt { stanzaId = 1 }: tag 0x0a, length, the id.
  EXPECT_EQ(hex(*plain), "0a08" + hex(Bytes(aad.begin(), aad.end())));
}
