#include "wa/binary/node.hpp"

#include <gtest/gtest.h>
#include <zlib.h>

#include "wa/binary/attr_reader.hpp"
#include "wa/binary/node_json.hpp"
#include "wa/jid.hpp"

namespace {

using wa::binary::Bytes;
using wa::binary::Node;

Bytes enc(const Node& n) {
  auto r = wa::binary::encode(n);
  EXPECT_TRUE(r.ok()) << r.error().message();
  return r.ok() ? *r : Bytes{};
}

TEST(NodeCodec, FactSheetExample) {
  // docs/PROTOCOL.md §3.5: <iq to="1234:2@s.whatsapp.net" type="get"/>
  Node n{"iq", {{"to", "1234:2@s.whatsapp.net"}, {"type", "get"}}, {}};
  EXPECT_EQ(enc(n), (Bytes{0x00, 0xf8, 0x05, 0x19, 0x11, 0xf7, 0x00, 0x02, 0xff, 0x02, 0x12, 0x34,
                           0x04, 0x29}));
  auto back = wa::binary::decode(enc(n));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, n);
}

TEST(NodeCodec, ServerJidIsAJidPairNotAToken) {
  Node n{"iq", {{"to", wa::Jid::default_server().to_string()}}, {}};
  // LIST_8 3, "iq", "to", JID_PAIR, LIST_EMPTY (empty user), token s.whatsapp.net
  EXPECT_EQ(enc(n), (Bytes{0x00, 0xf8, 0x03, 0x19, 0x11, 0xfa, 0x00, 0x03}));
}

TEST(NodeCodec, ExplicitDeviceZeroIsAdJid) {
  Node n{"x", {{"j", "5:0@s.whatsapp.net"}}, {}};
  const Bytes b = enc(n);
  ASSERT_GE(b.size(), 6u);
  EXPECT_EQ(b[b.size() - 5], 0xf7);  // AD_JID, domain 0, device 0, nibble "5"
  EXPECT_EQ(b[b.size() - 3], 0x00);
  auto back = wa::binary::decode(b);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back->attr("j"), "5@s.whatsapp.net");  // decoders drop device 0, like Baileys
}

TEST(NodeCodec, BinaryLengthBoundaries) {
  for (std::size_t n : {255u, 256u, (1u << 20) - 1, 1u << 20}) {
    Node node{"enc", {}, Bytes(n, 0x5a)};
    const Bytes b = enc(node);
    const std::uint8_t expected_tag = n < 256 ? 252 : n < (1u << 20) ? 253 : 254;
    EXPECT_EQ(b[4], expected_tag) << n;  // flag, LIST_8, 2, token "enc", content
    auto back = wa::binary::decode(b);
    ASSERT_TRUE(back.ok()) << n;
    EXPECT_EQ(*back, node);
  }
}

TEST(NodeCodec, ListSixteenChildren) {
  Node n{"list", {}, std::vector<Node>(300, Node{"item", {}, {}})};
  const Bytes b = enc(n);
  EXPECT_EQ(b[4], 249);  // content list: LIST_16
  EXPECT_EQ(b[5], 0x01);
  EXPECT_EQ(b[6], 0x2c);
  auto back = wa::binary::decode(b);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->children().size(), 300u);
}

TEST(NodeCodec, PackedStrings) {
  Node n{"x", {{"a", "123-4.5"}, {"b", "ABC"}, {"zz", "abc"}}, {}};
  const Bytes b = enc(n);
  const Bytes expected{0x00, 0xf8, 0x07, 0xfc, 0x01, 'x',  0xfc, 0x01, 'a',  0xff, 0x84,
                       0x12, 0x3a, 0x4b, 0x5f, 0xfc, 0x01, 'b',  0xfb, 0x82, 0xab, 0xcf,
                       0xfc, 0x02, 'z',  'z',  0xfc, 0x03, 'a',  'b',  'c'};
  EXPECT_EQ(b, expected);
  auto back = wa::binary::decode(b);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, n);
}

TEST(NodeCodec, CompressedPayload) {
  Node n{"iq", {{"id", "abc"}}, std::vector<Node>{Node{"ping", {}, {}}}};
  Bytes raw = enc(n);
  raw.erase(raw.begin());
  uLongf len = compressBound(raw.size());
  Bytes z(len + 1);
  ASSERT_EQ(compress(z.data() + 1, &len, raw.data(), raw.size()), Z_OK);
  z.resize(len + 1);
  z[0] = 0x02;
  auto back = wa::binary::decode(z);
  ASSERT_TRUE(back.ok()) << back.error().message();
  EXPECT_EQ(*back, n);
  z.resize(z.size() - 3);  // truncated zlib stream
  EXPECT_EQ(wa::binary::decode(z).code(), wa::Errc::node_decompress);
}

TEST(NodeCodec, InflateIsBounded) {
  Bytes big(4u << 20, 0);  // 4 MiB of zeros compresses to a few KB
  uLongf len = compressBound(big.size());
  Bytes z(len + 1);
  ASSERT_EQ(compress(z.data() + 1, &len, big.data(), big.size()), Z_OK);
  z.resize(len + 1);
  z[0] = 0x02;
  wa::binary::DecodeLimits lim;
  lim.max_inflated = 1u << 20;
  EXPECT_EQ(wa::binary::decode(z, lim).code(), wa::Errc::node_decompress);
}

TEST(NodeCodec, TypedErrorsOnBadInput) {
  using wa::Errc;
  auto code = [](Bytes b) { return wa::binary::decode(b).code(); };
  EXPECT_EQ(code({}), Errc::node_eof);
  EXPECT_EQ(code({0x00}), Errc::node_eof);
  EXPECT_EQ(code({0x00, 0x00}), Errc::node_invalid);
  EXPECT_EQ(code({0x00, 0xf8, 0x01, 0xf0}), Errc::node_invalid_tag);
  EXPECT_EQ(code({0x00, 0xf8, 0x02, 0x19, 0xff, 0x01, 0xc0}), Errc::node_invalid_packed);
  EXPECT_EQ(code({0x00, 0xf8, 0x03, 0x19, 0x11, 0xfa, 0x03, 0x00}), Errc::node_invalid_jid);
  EXPECT_EQ(code({0x00, 0xf8, 0x02, 0x19, 0xfe, 0xff, 0xff, 0xff, 0xff}), Errc::node_eof);
  EXPECT_EQ(code({0x00, 0xf8, 0x01, 0x19, 0x00}), Errc::node_trailing_bytes);
}

TEST(NodeCodec, DepthIsBounded) {
  // 1000 nested single-child lists: must fail cleanly, not overflow the stack.
  Bytes b{0x00};
  for (int i = 0; i < 1000; ++i) b.insert(b.end(), {0xf8, 0x02, 0x19, 0xf8, 0x01});
  EXPECT_EQ(wa::binary::decode(b).code(), wa::Errc::node_too_deep);
  // Nested JID pairs in the user position.
  Bytes j{0x00, 0xf8, 0x02, 0x19};
  for (int i = 0; i < 1000; ++i) j.push_back(0xfa);
  EXPECT_EQ(wa::binary::decode(j).code(), wa::Errc::node_too_deep);
}

TEST(NodeCodec, EncoderRejectsEmptyTag) {
  EXPECT_EQ(wa::binary::encode(Node{}).code(), wa::Errc::node_encode);
}

TEST(NodeCodec, ManyAtSignsDoNotRecurse) {
  std::string s = "1";
  for (int i = 0; i < 100000; ++i) s += "@1";
  s += "@s.whatsapp.net";
  EXPECT_TRUE(wa::binary::encode(Node{"x", {{"a", s}}, {}}).ok());
}

TEST(NodeJson, JavaScriptKeyOrderAndHexContent) {
  auto n = wa::binary::parse_node_json(
      R"({"tag":"x","attrs":{"b":"1","10":"t","a":"2","2":"w"},"content":{"hex":"00ff"}})");
  ASSERT_TRUE(n.ok());
  ASSERT_EQ(n->attrs.size(), 4u);
  EXPECT_EQ(n->attrs[0].first, "2");
  EXPECT_EQ(n->attrs[1].first, "10");
  EXPECT_EQ(n->attrs[2].first, "b");
  EXPECT_EQ(n->attrs[3].first, "a");
  EXPECT_EQ(std::get<Bytes>(n->content), (Bytes{0x00, 0xff}));
  EXPECT_EQ(wa::binary::node_to_json_string(*n),
            R"({"tag":"x","attrs":{"2":"w","10":"t","b":"1","a":"2"},"content":{"hex":"00ff"}})");
}

TEST(NodeJson, Utf8SanitizeMatchesWhatwg) {
  EXPECT_EQ(wa::binary::utf8_sanitize("a\xc3\xa9"), "a\xc3\xa9");
  EXPECT_EQ(wa::binary::utf8_sanitize("\xff"), "\xef\xbf\xbd");
  EXPECT_EQ(wa::binary::utf8_sanitize("\xe2\x82"), "\xef\xbf\xbd");  // truncated: one U+FFFD
  EXPECT_EQ(wa::binary::utf8_sanitize("\xe2\x82x"), "\xef\xbf\xbdx");
  EXPECT_EQ(wa::binary::utf8_sanitize("\xed\xa0\x80"),
            "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");  // surrogate
}

TEST(AttrReader, AccumulatesErrors) {
  Node n{"message",
         {{"from", "1:2@s.whatsapp.net"}, {"t", "1700000000"}, {"bad", "x1"}, {"ok", "true"}},
         {}};
  wa::binary::AttrReader r(n);
  const auto from = r.jid("from");
  const auto t = r.int64("t");
  const bool ok = r.boolean("ok");
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(from.user, "1");
  EXPECT_EQ(from.device, 2);
  EXPECT_EQ(t, 1700000000);
  EXPECT_TRUE(ok);
  EXPECT_FALSE(r.optional_string("nope").has_value());
  EXPECT_TRUE(r.ok()) << "optional attributes are not errors";
  (void)r.int64("bad");
  (void)r.string("missing");
  (void)r.jid("t");
  EXPECT_FALSE(r.ok());
  ASSERT_EQ(r.errors().size(), 3u);
  EXPECT_EQ(r.errors()[0].code, wa::Errc::attr_invalid);
  EXPECT_EQ(r.errors()[1].code, wa::Errc::attr_missing);
  EXPECT_EQ(r.check().code(), wa::Errc::attr_invalid);
}

TEST(Jid, ParseAndFormat) {
  auto j = wa::Jid::parse("15551234567:12@s.whatsapp.net");
  ASSERT_TRUE(j.ok());
  EXPECT_EQ(j->user, "15551234567");
  EXPECT_EQ(j->device, 12);
  EXPECT_TRUE(j->is_pn());
  EXPECT_EQ(j->to_string(), "15551234567:12@s.whatsapp.net");
  EXPECT_EQ(j->to_non_ad().to_string(), "15551234567@s.whatsapp.net");
  auto zero = wa::Jid::parse("1:0@lid");
  ASSERT_TRUE(zero.ok());
  EXPECT_TRUE(zero->is_lid());
  EXPECT_EQ(zero->to_string(), "1:0@lid") << "explicit device 0 is kept";
  auto agent = wa::Jid::parse("1_1:2@s.whatsapp.net");
  ASSERT_TRUE(agent.ok());
  EXPECT_EQ(agent->agent, 1);
  EXPECT_EQ(agent->to_string(), "1_1:2@s.whatsapp.net");
  EXPECT_TRUE(wa::Jid::parse("@s.whatsapp.net")->is_server());
  EXPECT_TRUE(wa::Jid::parse("120363@g.us")->is_group());
  EXPECT_TRUE(wa::Jid::parse("status@broadcast")->is_status_broadcast());
  EXPECT_TRUE(wa::Jid::parse("1:99@hosted")->is_hosted());
  EXPECT_TRUE(wa::Jid::parse("1:99@hosted.lid")->is_hosted());
  EXPECT_EQ(wa::Jid::parse("nope").code(), wa::Errc::jid_invalid);
  EXPECT_EQ(wa::Jid::parse("1@").code(), wa::Errc::jid_invalid);
  EXPECT_EQ(wa::Jid::parse("1:x@lid").code(), wa::Errc::jid_invalid);
  EXPECT_EQ(wa::Jid::parse("1:70000@lid").code(), wa::Errc::jid_invalid);
  EXPECT_EQ(wa::Jid::default_server().to_string(), "@s.whatsapp.net");
}

}  // namespace
