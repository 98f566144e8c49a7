// Key generation (registration id, signed prekey, wrapping prekey ids, get-or-generate against a
// store) and the XEdDSA cross-check: wa::crypto's XEdDSA/keys against libsignal's curve functions
// running on our full crypto provider.
#include "wa/signal/keys.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <set>

#include "signal/context.hpp"
#include "wa/crypto/curve25519.hpp"
#include "wa/signal/protocol.hpp"
#include "wa/store/memory_store.hpp"

namespace {

using namespace wa;
using namespace wa::signal;

TEST(Keys, NextPreKeyIdWrapsAt24Bits) {
  EXPECT_EQ(next_prekey_id(1), 2u);
  EXPECT_EQ(next_prekey_id(store::kMaxPreKeyId - 1), store::kMaxPreKeyId);
  EXPECT_EQ(next_prekey_id(store::kMaxPreKeyId), 1u);
  EXPECT_EQ(next_prekey_id(0), 1u);
  auto keys = generate_prekeys(store::kMaxPreKeyId - 1, 4);
  ASSERT_TRUE(keys.ok());
  std::vector<std::uint32_t> ids;
  for (const auto& k : *keys) ids.push_back(k.id);
  EXPECT_EQ(ids, (std::vector<std::uint32_t>{store::kMaxPreKeyId - 1, store::kMaxPreKeyId, 1, 2}));
  EXPECT_NE((*keys)[0].key, (*keys)[1].key);
  EXPECT_EQ(generate_prekeys(0, 1).code(), SignalErrc::invalid_argument);
  EXPECT_EQ(generate_prekeys(store::kMaxPreKeyId + 1, 1).code(), SignalErrc::invalid_argument);
}

TEST(Keys, RegistrationIdAndDeviceRecord) {
  for (int i = 0; i < 200; ++i) {
    const auto id = generate_registration_id();
    EXPECT_GE(id, 1u);
    EXPECT_LE(id, 16380u);
  }
  auto d = new_device_record();
  ASSERT_TRUE(d.ok()) << d.error().message();
  EXPECT_FALSE(d->paired());
  EXPECT_NE(d->noise_key, d->identity_key);
  EXPECT_EQ(d->signed_prekey.id, 1u);
  EXPECT_NE(d->adv_secret, store::Key32{});
  // The signed prekey is signed by the identity key over 0x05 ‖ pub (§2.4).
  std::uint8_t msg[33] = {0x05};
  std::memcpy(msg + 1, d->signed_prekey.key.pub.data(), 32);
  EXPECT_TRUE(crypto::xeddsa_verify(d->identity_key.pub, msg, d->signed_prekey.signature));
  EXPECT_FALSE(crypto::xeddsa_verify(d->noise_key.pub, msg, d->signed_prekey.signature));
  EXPECT_EQ(generate_signed_prekey(d->identity_key, 0).code(), SignalErrc::invalid_argument);
}

TEST(Keys, GetOrGeneratePreKeys) {
  store::MemoryStore s;
  auto first = get_or_generate_prekeys(s, 812);
  ASSERT_TRUE(first.ok()) << first.error().message();
  ASSERT_EQ(first->size(), 812u);
  EXPECT_EQ(first->front().id, 1u);
  EXPECT_EQ(first->back().id, 812u);
  EXPECT_EQ(*s.prekeys().next_prekey_id(), 813u);

  // Not uploaded yet: the same keys again, nothing new.
  auto again = get_or_generate_prekeys(s, 50);
  ASSERT_TRUE(again.ok());
  ASSERT_EQ(again->size(), 50u);
  EXPECT_EQ(again->front(), first->front());
  EXPECT_EQ(*s.prekeys().next_prekey_id(), 813u);

  std::vector<std::uint32_t> ids;
  for (const auto& k : *first) ids.push_back(k.id);
  ASSERT_TRUE(s.prekeys().mark_prekeys_uploaded(ids).ok());
  auto more = get_or_generate_prekeys(s, 50);
  ASSERT_TRUE(more.ok());
  ASSERT_EQ(more->size(), 50u);
  EXPECT_EQ(more->front().id, 813u);
  EXPECT_EQ(*s.prekeys().next_prekey_id(), 863u);
}

TEST(Keys, GetOrGenerateWrapsAndSkipsIdsInUse) {
  store::MemoryStore s;
  // An old key with id 2 is still unconsumed (and uploaded); the allocator is at the 24-bit top.
  const std::vector<store::PreKey> old = {{2, generate_key_pair(), true}};
  ASSERT_TRUE(s.prekeys().add_prekeys(old, store::kMaxPreKeyId).ok());
  auto keys = get_or_generate_prekeys(s, 3);
  ASSERT_TRUE(keys.ok());
  std::vector<std::uint32_t> ids;
  for (const auto& k : *keys) ids.push_back(k.id);
  EXPECT_EQ(ids, (std::vector<std::uint32_t>{store::kMaxPreKeyId, 1, 3}));
  EXPECT_EQ(*s.prekeys().next_prekey_id(), 4u);
  EXPECT_TRUE((*s.prekeys().get_prekey(2))->uploaded);  // the old key was not replaced
}

// --- XEdDSA: wa::crypto and libsignal (on our provider) must agree ------------------------------

struct LibsignalCurve {
  detail::Context ctx = detail::make_context().value();

  store::Signature64 sign(const store::Key32& priv, std::span<const std::uint8_t> msg) {
    auto key = detail::decode_private(priv, ctx.get());
    EXPECT_TRUE(key.ok());
    signal_buffer* raw = nullptr;
    EXPECT_EQ(curve_calculate_signature(ctx.get(), &raw, key->get(), msg.data(), msg.size()), 0);
    detail::Buffer sig(raw);
    store::Signature64 out{};
    auto v = detail::view(sig.get());
    EXPECT_EQ(v.size(), 64u);
    std::memcpy(out.data(), v.data(), std::min<std::size_t>(v.size(), 64));
    return out;
  }
  bool verify(const store::Key32& pub, std::span<const std::uint8_t> msg,
              const store::Signature64& sig) {
    auto key = detail::decode_public(pub, ctx.get());
    EXPECT_TRUE(key.ok());
    return curve_verify_signature(key->get(), msg.data(), msg.size(), sig.data(), sig.size()) == 1;
  }
};

TEST(XEdDsa, CryptoAndLibsignalAgreeBothWays) {
  LibsignalCurve lib;
  const std::vector<std::uint8_t> msg = {6, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
  for (int i = 0; i < 20; ++i) {
    const auto kp = crypto::generate_key_pair();
    auto ours = crypto::xeddsa_sign(kp.priv, msg);
    ASSERT_TRUE(ours.ok());
    EXPECT_TRUE(lib.verify(kp.pub, msg, *ours));
    const auto theirs = lib.sign(kp.priv, msg);
    EXPECT_TRUE(crypto::xeddsa_verify(kp.pub, msg, theirs));
    auto tampered = theirs;
    tampered[10] ^= 1;
    EXPECT_FALSE(crypto::xeddsa_verify(kp.pub, msg, tampered));
    EXPECT_FALSE(lib.verify(kp.pub, msg, tampered));
  }
}

TEST(XEdDsa, KeyDerivationAgreesWithLibsignal) {
  // libsignal derives the public key from our (OpenSSL-generated, clamped) private key identically.
  LibsignalCurve lib;
  for (int i = 0; i < 20; ++i) {
    const auto kp = crypto::generate_key_pair();
    auto priv = detail::decode_private(kp.priv, lib.ctx.get());
    ASSERT_TRUE(priv.ok());
    detail::Ref<ec_public_key> pub;
    ASSERT_EQ(curve_generate_public_key(pub.out(), priv->get()), 0);
    auto raw = detail::encode_public(pub.get());
    ASSERT_TRUE(raw.ok());
    EXPECT_EQ(*raw, kp.pub);
  }
}

TEST(SignalAddress, FromJid) {
  EXPECT_EQ(signal_address(*Jid::parse("4915112345678:3@s.whatsapp.net")),
            (store::Address{"4915112345678", 3}));
  EXPECT_EQ(signal_address(*Jid::parse("4915112345678@s.whatsapp.net")),
            (store::Address{"4915112345678", 0}));
  EXPECT_EQ(signal_address(*Jid::parse("123456789:7@lid")), (store::Address{"123456789_1", 7}));
  EXPECT_EQ(signal_address(*Jid::parse("123:99@hosted")), (store::Address{"123_128", 99}));
  EXPECT_EQ(signal_address(*Jid::parse("123:99@hosted.lid")), (store::Address{"123_129", 99}));
  EXPECT_EQ((store::Address{"123_1", 7}).to_string(), "123_1.7");
  EXPECT_EQ(parse_message_type("pkmsg"), MessageType::pkmsg);
  EXPECT_EQ(parse_message_type("skmsg"), MessageType::skmsg);
  EXPECT_FALSE(parse_message_type("frank").has_value());
  EXPECT_EQ(to_string(MessageType::msg), "msg");
}

}  // namespace
