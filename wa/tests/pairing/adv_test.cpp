// ADV verification of pair-success (docs/PROTOCOL.md §4.2) with crafted messages: the phone side is
// simulated here (account key, HMAC with the adv secret), then every check is broken on purpose.
#include "wa/pairing/adv.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <string>

#include "wa/binary/node.hpp"
#include "wa/crypto/curve25519.hpp"
#include "wa/proto/wa.pb.h"
#include "wa/signal/keys.hpp"
#include "wa/store/memory_store.hpp"

namespace {

using namespace wa;
using namespace wa::pairing;
using store::Bytes;

Bytes to_bytes(const std::string& s) {
  return {s.begin(), s.end()};
}
std::string to_string(std::span<const std::uint8_t> b) {
  return {b.begin(), b.end()};
}

Bytes hmac_sha256(const store::Key32& key, std::span<const std::uint8_t> data) {
  std::uint8_t out[32];
  std::size_t n = 0;
  EXPECT_TRUE(EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, key.data(), key.size(),
                        data.data(), data.size(), out, sizeof out, &n));
  return {out, out + n};
}

/// The phone: builds pair-success <device-identity> bytes for our device, with knobs to break it.
struct Phone {
  crypto::KeyPair account = crypto::generate_key_pair();
  store::KeyPair ours = signal::generate_key_pair();
  store::Key32 adv_secret{};

  bool hosted_account = false;
  bool hosted_device = false;
  std::optional<std::uint32_t> key_index = 7;
  bool sign_with_hosted_prefix = false;  // use 06 05 regardless of device type
  bool break_account_signature = false;
  bool break_hmac = false;
  bool hmac_without_prefix = false;
  std::size_t account_key_len = 32;
  std::size_t signature_len = 64;

  Phone() { adv_secret.fill(0x42); }

  std::string device_details() const {
    proto::ADVDeviceIdentity d;
    d.set_raw_id(12345);
    d.set_timestamp(1700000000);
    if (key_index) d.set_key_index(*key_index);
    d.set_account_type(hosted_account ? proto::HOSTED : proto::E2EE);
    d.set_device_type(hosted_device ? proto::HOSTED : proto::E2EE);
    return d.SerializeAsString();
  }

  std::string signed_identity() const {
    const std::string details = device_details();
    Bytes msg = {6, static_cast<std::uint8_t>((hosted_device || sign_with_hosted_prefix) ? 5 : 0)};
    msg.insert(msg.end(), details.begin(), details.end());
    msg.insert(msg.end(), ours.pub.begin(), ours.pub.end());
    auto sig = crypto::xeddsa_sign(account.priv, msg);
    EXPECT_TRUE(sig.ok());
    Bytes s(sig->begin(), sig->end());
    if (break_account_signature) s[3] ^= 0x10;
    s.resize(signature_len, 0);
    Bytes key(account.pub.begin(), account.pub.end());
    key.resize(account_key_len, 0x05);
    proto::ADVSignedDeviceIdentity si;
    si.set_details(details);
    si.set_account_signature_key(to_string(key));
    si.set_account_signature(to_string(s));
    return si.SerializeAsString();
  }

  Bytes container_for(const std::string& inner) const {
    Bytes input;
    if (hosted_account && !hmac_without_prefix) input = {6, 5};
    input.insert(input.end(), inner.begin(), inner.end());
    Bytes mac = hmac_sha256(adv_secret, input);
    if (break_hmac) mac[0] ^= 1;
    proto::ADVSignedDeviceIdentityHMAC c;
    c.set_details(inner);
    c.set_hmac(to_string(mac));
    if (hosted_account) c.set_account_type(proto::HOSTED);
    return to_bytes(c.SerializeAsString());
  }
  Bytes container() const { return container_for(signed_identity()); }

  AdvResult<VerifiedPairing> verify() const {
    return verify_device_identity(container(), adv_secret, ours);
  }
};

TEST(Adv, GoodPairSuccess) {
  Phone phone;
  auto v = phone.verify();
  ASSERT_TRUE(v.ok()) << v.error().message();
  EXPECT_EQ(v->key_index, 7u);
  EXPECT_EQ(v->raw_id, 12345u);
  EXPECT_EQ(v->timestamp, 1700000000u);
  EXPECT_FALSE(v->hosted_account);
  EXPECT_FALSE(v->hosted_device);
  EXPECT_EQ(v->account_signature_key, phone.account.pub);

  // The account to persist keeps everything; the reply omits accountSignatureKey (§4.2 step 7).
  proto::ADVSignedDeviceIdentity account, reply;
  ASSERT_TRUE(account.ParseFromArray(v->account.data(), static_cast<int>(v->account.size())));
  ASSERT_TRUE(
      reply.ParseFromArray(v->reply_identity.data(), static_cast<int>(v->reply_identity.size())));
  EXPECT_EQ(account.account_signature_key(), to_string(phone.account.pub));
  EXPECT_FALSE(reply.has_account_signature_key());
  EXPECT_EQ(reply.details(), phone.device_details());
  EXPECT_EQ(reply.details(), account.details());
  EXPECT_EQ(reply.account_signature(), account.account_signature());
  EXPECT_EQ(reply.device_signature(), to_string(v->device_signature));

  // The device signature: ours, over 06 01 ‖ details ‖ ourIdentity ‖ accountKey — as the phone
  // (the emulator) checks it.
  const auto details = to_bytes(phone.device_details());
  Bytes msg = {6, 1};
  msg.insert(msg.end(), details.begin(), details.end());
  msg.insert(msg.end(), phone.ours.pub.begin(), phone.ours.pub.end());
  msg.insert(msg.end(), phone.account.pub.begin(), phone.account.pub.end());
  EXPECT_EQ(msg, device_signature_message(details, phone.ours.pub, phone.account.pub));
  EXPECT_TRUE(crypto::xeddsa_verify(phone.ours.pub, msg, v->device_signature));

  // The pair-device-sign reply node encodes.
  auto node = make_pair_device_sign("PS.1", *v);
  EXPECT_EQ(node.tag, "iq");
  EXPECT_EQ(*node.attr("type"), "result");
  EXPECT_EQ(*node.attr("id"), "PS.1");
  EXPECT_EQ(*node.attr("to"), "@s.whatsapp.net");
  const auto* di = node.child("pair-device-sign")->child("device-identity");
  ASSERT_NE(di, nullptr);
  EXPECT_EQ(*di->attr("key-index"), "7");
  EXPECT_EQ(std::get<binary::Bytes>(di->content), v->reply_identity);
  EXPECT_TRUE(binary::encode(node).ok());
}

TEST(Adv, HostedAccountUsesHmacPrefix) {
  Phone phone;
  phone.hosted_account = true;
  auto v = phone.verify();
  ASSERT_TRUE(v.ok()) << v.error().message();
  EXPECT_TRUE(v->hosted_account);
  // Without the 06 05 prefix the HMAC of a hosted container does not match.
  phone.hmac_without_prefix = true;
  EXPECT_EQ(phone.verify().code(), AdvErrc::hmac_mismatch);
}

TEST(Adv, HostedDeviceUsesAccountSignaturePrefix) {
  Phone phone;
  phone.hosted_device = true;  // the phone signs with 06 05
  auto v = phone.verify();
  ASSERT_TRUE(v.ok()) << v.error().message();
  EXPECT_TRUE(v->hosted_device);
  // Device signatures use 06 01 even for hosted devices.
  const auto details = to_bytes(phone.device_details());
  EXPECT_TRUE(crypto::xeddsa_verify(
      phone.ours.pub, device_signature_message(details, phone.ours.pub, phone.account.pub),
      v->device_signature));
  // A 06 05 signature on a non-hosted device is a mismatch.
  Phone wrong;
  wrong.sign_with_hosted_prefix = true;
  EXPECT_EQ(wrong.verify().code(), AdvErrc::account_signature_mismatch);
}

TEST(Adv, BadHmac) {
  Phone phone;
  phone.break_hmac = true;
  auto v = phone.verify();
  EXPECT_EQ(v.code(), AdvErrc::hmac_mismatch);
  // The right message with the wrong secret.
  Phone p2;
  store::Key32 other{};
  other.fill(0x43);
  EXPECT_EQ(verify_device_identity(p2.container(), other, p2.ours).code(), AdvErrc::hmac_mismatch);
  const auto reply = pair_error_reply(AdvErrc::hmac_mismatch);
  EXPECT_EQ(reply.code, 401);
  EXPECT_EQ(reply.text, "hmac-mismatch");
}

TEST(Adv, BadAccountSignature) {
  Phone phone;
  phone.break_account_signature = true;
  EXPECT_EQ(phone.verify().code(), AdvErrc::account_signature_mismatch);
  // Signed for another device's identity key.
  Phone p2;
  auto stranger = signal::generate_key_pair();
  EXPECT_EQ(verify_device_identity(p2.container(), p2.adv_secret, stranger).code(),
            AdvErrc::account_signature_mismatch);
  const auto reply = pair_error_reply(AdvErrc::account_signature_mismatch);
  EXPECT_EQ(reply.code, 401);
  EXPECT_EQ(reply.text, "signature-mismatch");
}

TEST(Adv, WrongLengths) {
  Phone k33;
  k33.account_key_len = 33;
  EXPECT_EQ(k33.verify().code(), AdvErrc::bad_account_signature_key);
  Phone s63;
  s63.signature_len = 63;
  EXPECT_EQ(s63.verify().code(), AdvErrc::bad_account_signature);
}

TEST(Adv, WrongKeyIndex) {
  Phone missing;
  missing.key_index.reset();
  EXPECT_EQ(missing.verify().code(), AdvErrc::bad_key_index);
  Phone zero;
  zero.key_index = 0;
  EXPECT_EQ(zero.verify().code(), AdvErrc::bad_key_index);
}

TEST(Adv, MalformedProtobufs) {
  Phone phone;
  // The container itself: truncated length-delimited field, and missing hmac.
  const Bytes truncated = {0x0a, 0x05, 0x01};
  EXPECT_EQ(verify_device_identity(truncated, phone.adv_secret, phone.ours).code(),
            AdvErrc::malformed_container);
  proto::ADVSignedDeviceIdentityHMAC no_hmac;
  no_hmac.set_details("x");
  EXPECT_EQ(
      verify_device_identity(to_bytes(no_hmac.SerializeAsString()), phone.adv_secret, phone.ours)
          .code(),
      AdvErrc::malformed_container);
  EXPECT_EQ(verify_device_identity({}, phone.adv_secret, phone.ours).code(),
            AdvErrc::malformed_container);

  // A valid HMAC over bytes that are not an ADVSignedDeviceIdentity.
  const std::string junk("\x0a\x09\x01", 3);
  EXPECT_EQ(verify_device_identity(phone.container_for(junk), phone.adv_secret, phone.ours).code(),
            AdvErrc::malformed_identity);
  // … or one without an account signature.
  proto::ADVSignedDeviceIdentity partial;
  partial.set_details(phone.device_details());
  partial.set_account_signature_key(to_string(phone.account.pub));
  EXPECT_EQ(verify_device_identity(phone.container_for(partial.SerializeAsString()),
                                   phone.adv_secret, phone.ours)
                .code(),
            AdvErrc::malformed_identity);
  // … whose details are not an ADVDeviceIdentity.
  proto::ADVSignedDeviceIdentity bad_details;
  bad_details.set_details(junk);
  bad_details.set_account_signature_key(to_string(phone.account.pub));
  bad_details.set_account_signature(std::string(64, 'x'));
  EXPECT_EQ(verify_device_identity(phone.container_for(bad_details.SerializeAsString()),
                                   phone.adv_secret, phone.ours)
                .code(),
            AdvErrc::malformed_device_identity);
  EXPECT_EQ(pair_error_reply(AdvErrc::malformed_identity).code, 500);

  // Every truncation of a good message gives a typed error (never a crash or a false success).
  const Bytes good = phone.container();
  for (std::size_t n = 0; n < good.size(); ++n) {
    const std::span<const std::uint8_t> cut(good.data(), n);
    auto r = verify_device_identity(cut, phone.adv_secret, phone.ours);
    EXPECT_FALSE(r.ok()) << n;
  }
}

binary::Node pair_success_node(const Bytes& identity, bool with_lid = true) {
  std::vector<binary::Node> children;
  children.push_back({"device-identity", {}, identity});
  children.push_back({"platform", {{"name", "android"}}, {}});
  binary::Attrs dev = {{"jid", "4915112345678:4@s.whatsapp.net"}};
  if (with_lid) dev.emplace_back("lid", "123456789012345:4@lid");
  children.push_back({"device", dev, {}});
  children.push_back({"biz", {{"name", "Shop"}}, {}});
  return {"iq",
          {{"from", "@s.whatsapp.net"}, {"type", "set"}, {"id", "PS.9"}},
          std::vector<binary::Node>{{"pair-success", {}, std::move(children)}}};
}

TEST(Adv, ParseAndPersistPairSuccess) {
  Phone phone;
  auto ps = parse_pair_success(pair_success_node(phone.container()));
  ASSERT_TRUE(ps.ok()) << ps.error().message();
  EXPECT_EQ(ps->iq_id, "PS.9");
  EXPECT_EQ(ps->jid.to_string(), "4915112345678:4@s.whatsapp.net");
  EXPECT_EQ(ps->lid->to_string(), "123456789012345:4@lid");
  EXPECT_EQ(ps->platform, "android");
  EXPECT_EQ(ps->business_name, "Shop");

  store::MemoryStore st;
  auto rec = signal::new_device_record();
  ASSERT_TRUE(rec.ok());
  rec->identity_key = phone.ours;
  rec->adv_secret = phone.adv_secret;
  ASSERT_TRUE(st.save_device(*rec).ok());
  auto v = verify_device_identity(ps->device_identity, rec->adv_secret, rec->identity_key);
  ASSERT_TRUE(v.ok());
  ASSERT_TRUE(persist_pairing(st, *ps, *v).ok());

  const auto d = **st.load_device();
  EXPECT_TRUE(d.paired());
  EXPECT_EQ(d.jid, ps->jid);
  EXPECT_EQ(d.lid, ps->lid);
  EXPECT_EQ(d.platform, "android");
  EXPECT_EQ(d.business_name, "Shop");
  EXPECT_EQ(d.account, v->account);
  EXPECT_EQ(d.identity_key, phone.ours);  // untouched
  EXPECT_EQ(*st.identities().get_identity({"4915112345678", 0}), std::optional(phone.account.pub));
  EXPECT_EQ(*st.identities().get_identity({"123456789012345_1", 0}),
            std::optional(phone.account.pub));
  EXPECT_EQ(*st.lid_map().pn_for_lid("123456789012345"),
            std::optional<std::string>("4915112345678"));
}

TEST(Adv, PersistWithoutDeviceWritesNothing) {
  Phone phone;
  auto ps = parse_pair_success(pair_success_node(phone.container()));
  ASSERT_TRUE(ps.ok());
  auto v = phone.verify();
  ASSERT_TRUE(v.ok());
  store::MemoryStore st;
  EXPECT_EQ(persist_pairing(st, *ps, *v).code(), AdvErrc::store);
  EXPECT_FALSE(st.load_device()->has_value());
  EXPECT_FALSE(st.identities().get_identity({"4915112345678", 0})->has_value());
  EXPECT_FALSE(st.lid_map().pn_for_lid("123456789012345")->has_value());
}

TEST(Adv, MalformedPairSuccessStanza) {
  Phone phone;
  auto no_identity = pair_success_node(phone.container());
  auto& kids = std::get<std::vector<binary::Node>>(
      std::get<std::vector<binary::Node>>(no_identity.content)[0].content);
  kids.erase(kids.begin());
  EXPECT_EQ(parse_pair_success(no_identity).code(), AdvErrc::malformed_stanza);

  auto lid_as_jid = pair_success_node(phone.container());
  auto& kids2 = std::get<std::vector<binary::Node>>(
      std::get<std::vector<binary::Node>>(lid_as_jid.content)[0].content);
  kids2[2].attrs[0].second = "123@lid";
  EXPECT_EQ(parse_pair_success(lid_as_jid).code(), AdvErrc::malformed_stanza);

  auto without_lid = parse_pair_success(pair_success_node(phone.container(), false));
  ASSERT_TRUE(without_lid.ok());
  EXPECT_FALSE(without_lid->lid.has_value());

  const binary::Node not_iq{"message", {{"id", "1"}}, {}};
  EXPECT_EQ(parse_pair_success(not_iq).code(), AdvErrc::malformed_stanza);
}

TEST(Adv, ErrorReplyNode) {
  auto node = make_pair_error("PS.2", AdvErrc::hmac_mismatch);
  EXPECT_EQ(*node.attr("type"), "error");
  EXPECT_EQ(*node.attr("id"), "PS.2");
  const auto* e = node.child("error");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(*e->attr("code"), "401");
  EXPECT_EQ(*e->attr("text"), "hmac-mismatch");
  EXPECT_EQ(*make_pair_error("x", AdvErrc::malformed_container).child("error")->attr("code"),
            "500");
  EXPECT_TRUE(binary::encode(node).ok());
}

}  // namespace
