// Unit tests of the pure parts of messaging (receive.hpp, send.hpp): who sent a <message>, the
// receipts we answer with, receipt/retry parsing, usync and bundle parsing, the Message and stanza
// we send. The end-to-end behaviour against Baileys is in messaging_e2e.test.mjs.
#include <gtest/gtest.h>

#include "client/receive.hpp"
#include "client/send.hpp"
#include "wa/message/content.hpp"
#include "wa/proto/wa.pb.h"
#include "wa/store/memory_store.hpp"

namespace wa::client {
namespace {

using binary::Node;

Jid J(std::string_view s) {
  return *Jid::parse(s);
}

const receive::Own kOwn{J("111:3@s.whatsapp.net"), J("900:3@lid")};

Node message(binary::Attrs attrs) {
  return Node{"message", std::move(attrs), std::vector<Node>{}};
}

TEST(ReceiveSource, OneToOneFromSomeoneElseWithTheirLid) {
  auto s = receive::parse_source(message({{"from", "222:1@s.whatsapp.net"},
                                          {"id", "M1"},
                                          {"t", "1700000000"},
                                          {"notify", "Ann"},
                                          {"sender_lid", "777@lid"}}),
                                 kOwn);
  ASSERT_TRUE(s) << s.error().message();
  EXPECT_EQ(s->chat, J("222@s.whatsapp.net"));
  EXPECT_EQ(*s->sender_pn, J("222:1@s.whatsapp.net"));
  EXPECT_EQ(*s->sender_lid, J("777:1@lid"));
  EXPECT_EQ(s->push_name, "Ann");
  EXPECT_EQ(s->timestamp, 1700000000);
  EXPECT_FALSE(s->is_group);
  EXPECT_FALSE(s->is_from_me);
}

TEST(ReceiveSource, OwnOtherDeviceIsFromMeWithTheRecipientAsChat) {
  auto s = receive::parse_source(
      message(
          {{"from", "111:5@s.whatsapp.net"}, {"id", "M2"}, {"recipient", "222@s.whatsapp.net"}}),
      kOwn);
  ASSERT_TRUE(s);
  EXPECT_TRUE(s->is_from_me);
  EXPECT_EQ(s->chat, J("222@s.whatsapp.net"));
  EXPECT_EQ(*s->sender_lid, J("900:5@lid"));
}

TEST(ReceiveSource, LidGroupParticipantWithPhoneNumber) {
  auto s = receive::parse_source(message({{"from", "123-456@g.us"},
                                          {"id", "M3"},
                                          {"participant", "777:2@lid"},
                                          {"participant_pn", "222@s.whatsapp.net"},
                                          {"addressing_mode", "lid"}}),
                                 kOwn);
  ASSERT_TRUE(s);
  EXPECT_TRUE(s->is_group);
  EXPECT_EQ(s->chat, J("123-456@g.us"));
  EXPECT_EQ(*s->sender_lid, J("777:2@lid"));
  EXPECT_EQ(*s->sender_pn, J("222:2@s.whatsapp.net"));
}

TEST(ReceiveSource, MalformedStanzasAreErrors) {
  EXPECT_FALSE(receive::parse_source(message({{"id", "X"}}), kOwn));
  EXPECT_FALSE(receive::parse_source(message({{"from", "222@s.whatsapp.net"}}), kOwn));
  EXPECT_FALSE(receive::parse_source(message({{"from", "1-2@g.us"}, {"id", "X"}}), kOwn));
}

TEST(ReceiveAddress, PrefersTheLidAndMovesThePnSession) {
  store::MemoryStore st;
  const store::Address pn{"222", 1}, lid{"777_1", 1};
  const std::vector<std::uint8_t> record{1, 2, 3};
  ASSERT_TRUE(st.sessions().put_session(pn, record));
  auto s = receive::parse_source(
      message({{"from", "222:1@s.whatsapp.net"}, {"id", "M"}, {"sender_lid", "777@lid"}}), kOwn);
  ASSERT_TRUE(s);
  auto a = receive::decryption_address(st, *s);
  ASSERT_TRUE(a) << a.error().message();
  EXPECT_EQ(*a, lid);
  EXPECT_FALSE(st.sessions().get_session(pn)->has_value());
  EXPECT_EQ(**st.sessions().get_session(lid), record);
  EXPECT_EQ(**st.lid_map().lid_for_pn("222"), "777");
  // Later stanzas without sender_lid still use the LID (from the store's map).
  auto s2 = receive::parse_source(message({{"from", "222:1@s.whatsapp.net"}, {"id", "N"}}), kOwn);
  EXPECT_EQ(*receive::decryption_address(st, *s2), lid);
}

TEST(ReceiveReceipts, ReceiptTypes) {
  auto m = message({{"from", "222:1@s.whatsapp.net"}, {"id", "M"}});
  auto s = *receive::parse_source(m, kOwn);
  auto r = receive::receipt_for(m, s, true);
  EXPECT_EQ(*r.attr("to"), "222:1@s.whatsapp.net");
  EXPECT_EQ(r.attr("type"), nullptr);
  EXPECT_EQ(*receive::receipt_for(m, s, false).attr("type"), "inactive");
  auto own =
      message({{"from", "111:5@s.whatsapp.net"}, {"id", "M"}, {"recipient", "222@s.whatsapp.net"}});
  auto os = *receive::parse_source(own, kOwn);
  auto orc = receive::receipt_for(own, os, true);
  EXPECT_EQ(*orc.attr("type"), "sender");
  EXPECT_EQ(*orc.attr("recipient"), "222@s.whatsapp.net");
}

TEST(ReceiveReceipts, RetryReceiptCarriesTheReasonAndKeysWhenGiven) {
  store::DeviceRecord dev;
  dev.registration_id = 0x1234;
  dev.account = {9, 9};
  auto m = message({{"from", "222:1@s.whatsapp.net"}, {"id", "M"}, {"t", "5"}});
  auto first = receive::retry_receipt(m, 1, receive::RetryReason::unknown, dev, std::nullopt);
  EXPECT_EQ(*first.attr("type"), "retry");
  EXPECT_EQ(*first.child("retry")->attr("count"), "1");
  EXPECT_EQ(*first.child("retry")->attr("t"), "5");
  EXPECT_EQ(*first.child("retry")->attr("error"), "0");
  EXPECT_EQ(first.child("registration")->content_view(), std::string_view("\0\0\x12\x34", 4));
  EXPECT_EQ(first.child("keys"), nullptr);
  store::PreKey pk{7, {}, false};
  auto second = receive::retry_receipt(m, 2, receive::RetryReason::bad_mac, dev, pk);
  EXPECT_EQ(*second.child("retry")->attr("error"), "7");
  ASSERT_NE(second.child("keys"), nullptr);
  EXPECT_NE(second.child("keys")->child("device-identity"), nullptr);
  // …and the sender side reads those keys back as a bundle.
  Node incoming = second;
  incoming.attrs = {{"from", "111:3@s.whatsapp.net"}, {"id", "M"}, {"type", "retry"}};
  auto req = receive::parse_retry(incoming);
  ASSERT_TRUE(req);
  EXPECT_EQ(req->count, 2);
  EXPECT_EQ(req->reason, 7);
  ASSERT_TRUE(req->bundle);
  EXPECT_EQ(req->bundle->registration_id, 0x1234u);
  EXPECT_EQ(*req->bundle->prekey_id, 7u);
}

TEST(ReceiveReceipts, DecryptionErrorsMapToWhatsAppRetryReasons) {
  using receive::RetryReason;
  const auto reason = [](std::string detail) {
    return receive::retry_reason(Error{Errc::invalid_argument, std::move(detail)});
  };
  EXPECT_EQ(reason("pkmsg: signal_no_session: none"), RetryReason::no_session);
  EXPECT_EQ(reason("msg: signal_invalid_mac: bad"), RetryReason::bad_mac);
  EXPECT_EQ(reason("pkmsg: signal_invalid_key_id: prekey 9"), RetryReason::invalid_key_id);
  EXPECT_EQ(reason("pkmsg: signal_invalid_key: short"), RetryReason::invalid_key);
  EXPECT_EQ(reason("msg: signal_invalid_message: garbage"), RetryReason::invalid_message);
  EXPECT_EQ(reason("padding: too short"), RetryReason::unknown);
  // A session that is gone or out of step needs a new one; a missing prekey does not.
  EXPECT_TRUE(receive::needs_new_session(RetryReason::no_session));
  EXPECT_TRUE(receive::needs_new_session(RetryReason::bad_mac));
  EXPECT_TRUE(receive::needs_new_session(RetryReason::invalid_message));
  EXPECT_FALSE(receive::needs_new_session(RetryReason::invalid_key_id));
  EXPECT_FALSE(receive::needs_new_session(RetryReason::unknown));
}

TEST(ReceiveReceipts, IncomingReceiptsBecomeEvents) {
  Node n{"receipt",
         {{"from", "222:1@s.whatsapp.net"}, {"id", "A"}, {"type", "read"}, {"t", "9"}},
         std::vector<Node>{Node{"list", {}, std::vector<Node>{Node{"item", {{"id", "B"}}, {}}}}}};
  auto r = receive::parse_receipt(n);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->ids, (std::vector<std::string>{"A", "B"}));
  EXPECT_EQ(r->chat, J("222@s.whatsapp.net"));
  EXPECT_EQ(r->type, "read");
  Node delivered{"receipt", {{"from", "1-2@g.us"}, {"participant", "777:2@lid"}, {"id", "A"}}, {}};
  auto d = receive::parse_receipt(delivered);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->type, "delivered");
  EXPECT_EQ(d->chat, J("1-2@g.us"));
  EXPECT_EQ(d->from, J("777:2@lid"));
  Node retry{"receipt", {{"from", "222:1@s.whatsapp.net"}, {"id", "A"}, {"type", "retry"}}, {}};
  EXPECT_FALSE(receive::parse_receipt(retry));
}

TEST(ReceiveEvent, MentionsMeByPhoneOrLid) {
  auto s = *receive::parse_source(message({{"from", "222:1@s.whatsapp.net"}, {"id", "M"}}), kOwn);
  message::Content c;
  c.type = message::ContentType::text;
  c.mentioned_jids = {"900@lid"};
  EXPECT_TRUE(receive::to_event(s, c, kOwn).mentions_me);
  c.mentioned_jids = {"111@s.whatsapp.net"};
  EXPECT_TRUE(receive::to_event(s, c, kOwn).mentions_me);
  c.mentioned_jids = {"333@s.whatsapp.net"};
  EXPECT_FALSE(receive::to_event(s, c, kOwn).mentions_me);
}

TEST(Send, UsyncDevicesDropNonPrimaryWithoutKeyIndex) {
  Node list{
      "list",
      {},
      std::vector<Node>{
          Node{"user",
               {{"jid", "222@s.whatsapp.net"}},
               std::vector<Node>{
                   Node{"devices",
                        {},
                        std::vector<Node>{Node{
                            "device-list",
                            {},
                            std::vector<Node>{Node{"device", {{"id", "0"}}, {}},
                                              Node{"device", {{"id", "3"}, {"key-index", "1"}}, {}},
                                              Node{"device", {{"id", "4"}}, {}}}}}},
                   Node{"lid", {{"val", "777@lid"}}, {}}}}}};
  Node iq{"iq", {}, std::vector<Node>{Node{"usync", {}, std::vector<Node>{list}}}};
  auto users = send::parse_usync_devices(iq);
  ASSERT_EQ(users.size(), 1u);
  EXPECT_EQ(users[0].devices, (std::vector<std::uint16_t>{0, 3}));
  EXPECT_EQ(*users[0].lid, J("777@lid"));
}

TEST(Send, TextMessageWithQuoteAndMentions) {
  SendOptions o;
  o.quote = SendOptions::Quote{"Q1", "222@s.whatsapp.net", "earlier"};
  o.mentions = {J("333:4@s.whatsapp.net")};
  const auto bytes = send::text_message("hi @333", o);
  auto c = message::parse_content(
      std::span(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()));
  ASSERT_TRUE(c);
  EXPECT_EQ(c->text, "hi @333");
  EXPECT_EQ(c->mentioned_jids, (std::vector<std::string>{"333@s.whatsapp.net"}));
  ASSERT_TRUE(c->quoted);
  EXPECT_EQ(c->quoted->id, "Q1");
  EXPECT_EQ(c->quoted->text, "earlier");
  const auto plain = send::text_message("just text", {});
  proto::Message m;
  ASSERT_TRUE(m.ParseFromString(plain));
  EXPECT_EQ(m.conversation(), "just text");
}

TEST(Send, DeviceSentWrapperNamesTheChat) {
  const auto inner = send::text_message("x", {});
  const auto outer = send::device_sent_message(inner, J("222@s.whatsapp.net"));
  auto c = message::parse_content(
      std::span(reinterpret_cast<const std::uint8_t*>(outer.data()), outer.size()));
  ASSERT_TRUE(c);
  EXPECT_EQ(c->text, "x");
  EXPECT_EQ(*c->device_sent_destination, "222@s.whatsapp.net");
}

TEST(Send, StanzaHasDeviceIdentityOnlyWithPkmsg) {
  std::vector<send::DeviceCiphertext> encs{
      {J("222:1@s.whatsapp.net"), {signal::MessageType::msg, {1}}}};
  const std::vector<std::uint8_t> account{5, 5};
  auto m = send::message_stanza("ID", J("222@s.whatsapp.net"), encs, account);
  EXPECT_EQ(*m.attr("to"), "222@s.whatsapp.net");
  EXPECT_EQ(m.child("device-identity"), nullptr);
  encs.push_back({J("111:5@s.whatsapp.net"), {signal::MessageType::pkmsg, {2}}});
  m = send::message_stanza("ID", J("222@s.whatsapp.net"), encs, account);
  ASSERT_NE(m.child("device-identity"), nullptr);
  EXPECT_EQ(m.child("participants")->children().size(), 2u);
}

TEST(Send, AckErrorsAndRejectionCodes) {
  Node ack{"ack", {{"class", "message"}, {"id", "X"}, {"t", "42"}, {"error", "479"}}, {}};
  auto a = send::parse_message_ack(ack);
  EXPECT_EQ(a.timestamp, 42);
  EXPECT_EQ(a.error, 479);
  EXPECT_EQ(rejection_code(Error{Errc::message_rejected, "463"}), 463);
  EXPECT_EQ(rejection_code(Error{Errc::iq_error, "463"}), 0);
}

TEST(Send, GroupInfoParsesBothAddressingModes) {
  Node g{"group",
         {{"id", "1-2"}, {"subject", "S"}, {"addressing_mode", "lid"}},
         std::vector<Node>{Node{
             "participant",
             {{"jid", "777@lid"}, {"phone_number", "222@s.whatsapp.net"}, {"type", "superadmin"}},
             {}}}};
  Node iq{"iq", {}, std::vector<Node>{g}};
  auto info = send::parse_group_info(iq, J("1-2@g.us"));
  ASSERT_TRUE(info);
  EXPECT_EQ(info->subject, "S");
  EXPECT_EQ(info->addressing_mode, "lid");
  ASSERT_EQ(info->participants.size(), 1u);
  EXPECT_EQ(*info->participants[0].pn, J("222@s.whatsapp.net"));
  EXPECT_EQ(*info->participants[0].lid, J("777@lid"));
  EXPECT_TRUE(info->participants[0].admin);
  EXPECT_FALSE(send::parse_group_info(Node{"iq", {}, {}}, J("1-2@g.us")));
}

}  // namespace
}  // namespace wa::client
