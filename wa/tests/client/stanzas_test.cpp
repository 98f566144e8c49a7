// Stanza builders and readers of the client (docs/PROTOCOL.md §4.1, §5.1, §9), and the payloads.
#include "client/stanzas.hpp"

#include <gtest/gtest.h>

#include "client/payload.hpp"
#include "wa/proto/wa.pb.h"
#include "wa/signal/keys.hpp"

using namespace wa;
using namespace wa::client;
using binary::Node;

TEST(Stanzas, QrString) {
  store::Key32 noise{}, ident{}, adv{};
  noise.fill(0);
  ident.fill(0xff);
  adv.fill(1);
  const auto qr = stanza::qr_string("2@ref", noise, ident, adv, "9");
  EXPECT_EQ(qr,
            "https://wa.me/settings/linked_devices#2@ref,"
            "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=,"
            "//////////////////////////////////////////8=,"
            "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=,9");
}

TEST(Stanzas, PairDeviceRefs) {
  Node iq{"iq",
          {{"type", "set"}, {"id", "1"}},
          std::vector<Node>{
              Node{"pair-device",
                   {},
                   std::vector<Node>{Node{"ref", {}, binary::Bytes{'a', 'b'}},
                                     Node{"ref", {}, std::string("cd")}, Node{"ref", {}, {}},
                                     Node{"other", {}, std::string("x")}}}}};
  EXPECT_EQ(stanza::pair_device_refs(iq), (std::vector<std::string>{"ab", "cd"}));
  EXPECT_TRUE(stanza::pair_device_refs(Node{"iq", {}, {}}).empty());
}

TEST(Stanzas, AcksEchoWhatTheServerNeeds) {
  Node n{"notification", {{"from", "@s.whatsapp.net"}, {"type", "encrypt"}, {"id", "N1"}}, {}};
  auto a = stanza::ack_for(n);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->tag, "ack");
  EXPECT_EQ(*a->attr("class"), "notification");
  EXPECT_EQ(*a->attr("id"), "N1");
  EXPECT_EQ(*a->attr("to"), "@s.whatsapp.net");
  EXPECT_EQ(*a->attr("type"), "encrypt");
  Node m{"message",
         {{"from", "1@s.whatsapp.net"},
          {"type", "text"},
          {"id", "M"},
          {"participant", "2@s.whatsapp.net"}},
         {}};
  auto am = stanza::ack_for(m);
  EXPECT_EQ(am->attr("type"), nullptr) << "messages are acked without type";
  EXPECT_EQ(*am->attr("participant"), "2@s.whatsapp.net");
  EXPECT_FALSE(stanza::ack_for(Node{"receipt", {}, {}})) << "no id, nothing to ack";
}

TEST(Stanzas, CountAndUploadPolicy) {
  EXPECT_EQ(stanza::prekeys_to_upload(0), 812u);
  EXPECT_EQ(stanza::prekeys_to_upload(4), 50u);
  EXPECT_EQ(stanza::prekeys_to_upload(5), 0u);
  EXPECT_EQ(stanza::prekeys_to_upload(812), 0u);
  Node ok{"iq", {}, std::vector<Node>{Node{"count", {{"value", "17"}}, {}}}};
  EXPECT_EQ(stanza::count_value(ok), 17);
  for (const char* bad : {"", "x", "-1", "12a", "99999999999999999999"}) {
    Node b{"iq", {}, std::vector<Node>{Node{"count", {{"value", bad}}, {}}}};
    EXPECT_FALSE(stanza::count_value(b)) << bad;
  }
  EXPECT_FALSE(stanza::count_value(Node{"iq", {}, {}}));
}

TEST(Stanzas, PrekeyUploadLayout) {
  auto dev = signal::new_device_record();
  ASSERT_TRUE(dev.ok());
  auto keys = signal::generate_prekeys(0xFFFFFE, 3);  // wraps at 2^24
  ASSERT_TRUE(keys.ok());
  const auto n = stanza::prekey_upload(*dev, *keys);
  EXPECT_EQ(*n.attr("xmlns"), "encrypt");
  EXPECT_EQ(*n.attr("type"), "set");
  ASSERT_EQ(n.children().size(), 5u);
  EXPECT_EQ(n.children()[0].tag, "registration");
  EXPECT_EQ(n.children()[0].content_view().size(), 4u);
  EXPECT_EQ(n.children()[1].content_view(), std::string_view("\x05", 1));
  EXPECT_EQ(n.children()[2].content_view().size(), 32u);
  const auto* list = n.child("list");
  ASSERT_TRUE(list);
  ASSERT_EQ(list->children().size(), 3u);
  EXPECT_EQ(list->children()[0].child("id")->content_view(), std::string_view("\xff\xff\xfe", 3));
  EXPECT_EQ(list->children()[2].child("id")->content_view(), std::string_view("\x00\x00\x01", 3));
  const auto* skey = n.child("skey");
  ASSERT_TRUE(skey);
  EXPECT_EQ(skey->child("signature")->content_view().size(), 64u);
  EXPECT_TRUE(binary::encode(n).ok());
}

TEST(Stanzas, LogoutAndLinkCode) {
  auto own = Jid::parse("15550001111:3@s.whatsapp.net");
  const auto n = stanza::remove_companion_device(*own);
  EXPECT_EQ(*n.attr("xmlns"), "md");
  EXPECT_EQ(*n.child("remove-companion-device")->attr("jid"), "15550001111:3@s.whatsapp.net");
  EXPECT_EQ(*n.child("remove-companion-device")->attr("reason"), "user_initiated");
  store::Key32 k{};
  binary::Bytes wrapped(80, 1);
  const auto hello = stanza::companion_hello("15550001111", wrapped, k, "9", "X (Linux)");
  const auto* reg = hello.child("link_code_companion_reg");
  ASSERT_TRUE(reg);
  EXPECT_EQ(*reg->attr("jid"), "15550001111@s.whatsapp.net");
  EXPECT_EQ(*reg->attr("stage"), "companion_hello");
  EXPECT_EQ(stanza::child_bytes(*reg, "link_code_pairing_wrapped_companion_ephemeral_pub")->size(),
            80u);
  EXPECT_TRUE(binary::encode(hello).ok());
}

TEST(Payload, RegistrationAndLogin) {
  auto dev = signal::new_device_record();
  ASSERT_TRUE(dev.ok());
  Options opt;
  opt.version = {2, 3000, 7};
  auto reg = registration_payload(*dev, opt);
  ASSERT_TRUE(reg.ok());
  proto::ClientPayload p;
  ASSERT_TRUE(p.ParseFromArray(reg->data(), static_cast<int>(reg->size())));
  EXPECT_FALSE(p.passive());
  EXPECT_TRUE(p.has_device_pairing_data());
  EXPECT_EQ(p.user_agent().app_version().tertiary(), 7u);
  EXPECT_EQ(login_payload(*dev, opt).code(), Errc::invalid_argument) << "unpaired";
  dev->jid = *Jid::parse("15550001111:3@s.whatsapp.net");
  auto login = login_payload(*dev, opt);
  ASSERT_TRUE(login.ok());
  proto::ClientPayload l;
  ASSERT_TRUE(l.ParseFromArray(login->data(), static_cast<int>(login->size())));
  EXPECT_EQ(l.username(), 15550001111u);
  EXPECT_EQ(l.device(), 3u);
  EXPECT_TRUE(l.passive());
  EXPECT_TRUE(l.pull());
  EXPECT_FALSE(l.has_device_pairing_data());
  EXPECT_EQ(l.user_agent().platform(), p.user_agent().platform());
  dev->jid = *Jid::parse("abc:3@s.whatsapp.net");
  EXPECT_EQ(login_payload(*dev, opt).code(), Errc::invalid_argument);
}
