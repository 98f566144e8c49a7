#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <fstream>

#include "../test_hex.hpp"
#include "wa/message/content.hpp"
#include "wa/message/framing.hpp"
#include "wa/proto/wa.pb.h"

using namespace wa::message;
namespace json = boost::json;

namespace {
using wa_test::hex;
using wa_test::unhex;
std::vector<json::object> vectors(std::string_view kind) {
  std::ifstream in(std::string(WA_VECTORS_DIR) + "/messages.jsonl");
  std::vector<json::object> out;
  std::string line;
  while (std::getline(in, line)) {
    auto o = json::parse(line).as_object();
    if (o["kind"].as_string() == kind) out.push_back(std::move(o));
  }
  return out;
}
std::string str(const json::object& o, std::string_view k) {
  auto it = o.find(k);
  return it == o.end() ? std::string() : std::string(it->value().as_string());
}
}  // namespace

// Every vector's expectations come from Baileys (getContentType/normalizeMessageContent).
TEST(MessageContent, MatchesBaileysOnTheCorpus) {
  auto all = vectors("content");
  ASSERT_GE(all.size(), 25u);
  for (const auto& v : all) {
    SCOPED_TRACE(str(v, "name"));
    auto parsed = parse_content(unhex(str(v, "hex")));
    ASSERT_TRUE(parsed.ok()) << parsed.error().message();
    const auto& c = *parsed;
    const auto& e = v.at("expect").as_object();
    EXPECT_EQ(to_string(c.type), str(e, "type"));
    EXPECT_EQ(c.text, str(e, "text"));
    std::vector<std::string> mentioned;
    for (const auto& m : e.at("mentioned").as_array()) mentioned.emplace_back(m.as_string());
    EXPECT_EQ(c.mentioned_jids, mentioned);
    if (auto q = e.find("quoted"); q != e.end()) {
      const auto& qo = q->value().as_object();
      ASSERT_TRUE(c.quoted.has_value());
      EXPECT_EQ(c.quoted->id, str(qo, "id"));
      EXPECT_EQ(c.quoted->participant, str(qo, "participant"));
      EXPECT_EQ(to_string(c.quoted->type), str(qo, "type"));
      EXPECT_EQ(c.quoted->text, str(qo, "text"));
    } else {
      EXPECT_FALSE(c.quoted.has_value());
    }
    if (auto m = e.find("media"); m != e.end()) {
      const auto& mo = m->value().as_object();
      ASSERT_TRUE(c.media.has_value());
      EXPECT_EQ(c.media->url, str(mo, "url"));
      EXPECT_EQ(c.media->direct_path, str(mo, "direct_path"));
      EXPECT_EQ(c.media->mimetype, str(mo, "mimetype"));
      EXPECT_EQ(hex(c.media->media_key), str(mo, "media_key"));
      EXPECT_EQ(hex(c.media->file_sha256), str(mo, "file_sha256"));
      EXPECT_EQ(hex(c.media->file_enc_sha256), str(mo, "file_enc_sha256"));
      EXPECT_EQ(c.media->file_length, mo.at("file_length").to_number<std::uint64_t>());
      EXPECT_EQ(c.media->file_name, str(mo, "file_name"));
    } else {
      EXPECT_FALSE(c.media.has_value());
    }
    if (auto d = e.find("device_sent_destination"); d != e.end()) {
      EXPECT_EQ(c.device_sent_destination, std::string(d->value().as_string()));
    } else {
      EXPECT_FALSE(c.device_sent_destination.has_value());
    }
    if (auto g = e.find("skdm_group"); g != e.end()) {
      ASSERT_TRUE(c.sender_key_distribution.has_value());
      EXPECT_EQ(c.sender_key_distribution->group_id, std::string(g->value().as_string()));
      EXPECT_EQ(c.sender_key_distribution->payload.size(), 40u);
    } else {
      EXPECT_FALSE(c.sender_key_distribution.has_value());
    }
  }
}

TEST(MessageContent, FlagsWrappers) {
  auto find = [](std::string_view name) {
    for (auto& v : vectors("content")) {
      if (str(v, "name") == name) return *parse_content(unhex(str(v, "hex")));
    }
    ADD_FAILURE() << name;
    return Content{};
  };
  EXPECT_TRUE(find("view once image").view_once);
  EXPECT_TRUE(find("ephemeral view once").view_once);
  EXPECT_TRUE(find("edited").edited);
  EXPECT_FALSE(find("conversation").edited);
  EXPECT_FALSE(find("conversation").view_once);
}

TEST(MessageContent, RefusesGarbageAndEndlessNesting) {
  std::vector<std::uint8_t> garbage = {0xff, 0xff, 0xff, 0xff};
  EXPECT_EQ(parse_content(garbage).code(), wa::Errc::proto_invalid);
  // 20 nested ephemeral wrappers: beyond the unwrap bound.
  wa::proto::Message m;
  m.set_conversation("deep");
  for (int i = 0; i < 20; ++i) {
    wa::proto::Message outer;
    *outer.mutable_ephemeral_message()->mutable_message() = m;
    m = outer;
  }
  std::string bytes = m.SerializeAsString();
  auto r =
      parse_content(std::span(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()));
  EXPECT_EQ(r.code(), wa::Errc::proto_invalid);
  // An empty message is valid and says nothing.
  EXPECT_EQ(parse_content({}).value().type, ContentType::none);
}

TEST(Mentions, PhoneOrLidUserWithoutDevice) {
  std::vector<std::string> pn = {"15550001111@s.whatsapp.net"};
  std::vector<std::string> lid = {"99887766@lid"};
  std::vector<std::string> device = {"15550001111:7@s.whatsapp.net", "99887766:3@lid"};
  EXPECT_TRUE(mentions(pn, "15550001111", "99887766"));
  EXPECT_TRUE(mentions(lid, "15550001111", "99887766"));
  EXPECT_TRUE(mentions({"99887766:3@lid"}, "15550001111", "99887766"));
  EXPECT_TRUE(mentions({"15550001111:7@s.whatsapp.net"}, "15550001111", ""));
  EXPECT_FALSE(mentions({"15550002222@s.whatsapp.net"}, "15550001111", "99887766"));
  EXPECT_FALSE(mentions({"1555000111@s.whatsapp.net"}, "15550001111", "99887766")) << "prefix";
  EXPECT_FALSE(mentions({}, "15550001111", "99887766"));
  EXPECT_FALSE(mentions({"@lid", "", "@s.whatsapp.net"}, "", "")) << "empty users never match";
  EXPECT_EQ(jid_user("123_1:4@lid"), "123");
  EXPECT_EQ(jid_user("120363000000000001@g.us"), "120363000000000001");
}

TEST(Framing, PadAndUnpad) {
  std::vector<std::uint8_t> msg = {1, 2, 3};
  for (std::uint8_t n = 1; n <= 16; ++n) {
    auto p = pad(msg, n);
    EXPECT_EQ(p.size(), msg.size() + n);
    EXPECT_EQ(*unpad(p), msg);
  }
  for (int i = 0; i < 200; ++i) {
    auto p = pad_random(msg);
    EXPECT_GE(p.size(), msg.size() + 1);
    EXPECT_LE(p.size(), msg.size() + 15);
    EXPECT_EQ(*unpad(p), msg);
  }
  EXPECT_FALSE(unpad(std::vector<std::uint8_t>{}).ok());
  EXPECT_FALSE(unpad(std::vector<std::uint8_t>{1, 2, 0}).ok()) << "zero length";
  EXPECT_FALSE(unpad(std::vector<std::uint8_t>{9}).ok()) << "longer than the data";
  EXPECT_FALSE(unpad(std::vector<std::uint8_t>{1, 2, 3, 3}).ok()) << "bytes differ";
  EXPECT_EQ(unpad(std::vector<std::uint8_t>{2, 2}).value().size(), 0u);
}

TEST(Framing, MessageIdsMatchTheIndependentComputation) {
  auto all = vectors("message_id");
  ASSERT_EQ(all.size(), 3u);
  for (const auto& v : all) {
    auto random = unhex(str(v, "random"));
    ASSERT_EQ(random.size(), 16u);
    auto id = message_id(v.at("unix").to_number<std::int64_t>(), str(v, "user"),
                         std::span<const std::uint8_t, 16>(random.data(), 16));
    EXPECT_EQ(id, str(v, "id"));
    EXPECT_EQ(id.size(), 22u);
  }
  auto a = new_message_id("15550009999"), b = new_message_id("15550009999");
  EXPECT_NE(a, b);
  EXPECT_EQ(a.rfind("3EB0", 0), 0u);
}

TEST(Framing, ParticipantHashMatchesTheIndependentComputation) {
  for (const auto& v : vectors("phash")) {
    std::vector<std::string> jids;
    for (const auto& j : v.at("jids").as_array()) jids.emplace_back(j.as_string());
    EXPECT_EQ(participant_hash(jids), str(v, "hash"));
  }
}
