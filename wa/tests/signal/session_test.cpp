// End to end through our adapters and provider: two devices, each a DeviceStore + SignalProtocol,
// build a 1:1 session from a bundle (pkmsg, then msg both ways) and exchange sender-key group
// messages. Also: typed errors, no half-written store on failure, and the same run over SQLite.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "wa/signal/keys.hpp"
#include "wa/signal/protocol.hpp"
#include "wa/store/memory_store.hpp"
#include "wa/store/sqlite_store.hpp"

namespace {

using namespace wa;
using namespace wa::signal;
using store::Bytes;

Bytes b(std::string_view s) {
  return {s.begin(), s.end()};
}

struct Device {
  std::unique_ptr<store::DeviceStore> store;
  std::unique_ptr<SignalProtocol> signal;
  store::Address address;

  Device(std::unique_ptr<store::DeviceStore> s, store::Address addr,
         TrustPolicy trust = TrustPolicy::always)
      : store(std::move(s)), address(std::move(addr)) {
    auto rec = new_device_record();
    EXPECT_TRUE(rec.ok());
    EXPECT_TRUE(store->save_device(*rec).ok());
    auto p = SignalProtocol::create(*store, trust);
    EXPECT_TRUE(p.ok()) << p.error().message();
    signal = std::move(*p);
  }
  store::DeviceRecord record() { return **store->load_device(); }

  /// What the server would hand out for this device (§5.2), with one of our one-time prekeys.
  PreKeyBundle bundle(bool with_prekey = true) {
    const auto d = record();
    PreKeyBundle out;
    out.registration_id = d.registration_id;
    out.device_id = address.device;
    out.identity_key = d.identity_key.pub;
    out.signed_prekey_id = d.signed_prekey.id;
    out.signed_prekey = d.signed_prekey.key.pub;
    out.signed_prekey_signature = d.signed_prekey.signature;
    if (with_prekey) {
      auto keys = get_or_generate_prekeys(*store, 5);
      EXPECT_TRUE(keys.ok());
      out.prekey_id = keys->front().id;
      out.prekey = keys->front().key.pub;
    }
    return out;
  }
};

std::unique_ptr<store::DeviceStore> memory() {
  return std::make_unique<store::MemoryStore>();
}
std::unique_ptr<store::DeviceStore> sqlite() {
  auto s = store::SqliteStore::open(":memory:");
  EXPECT_TRUE(s.ok());
  return std::move(*s);
}

void run_session(Device& alice, Device& bob) {
  const auto bundle = bob.bundle();
  ASSERT_TRUE(alice.signal->process_bundle(bob.address, bundle).ok());
  EXPECT_TRUE(*alice.signal->has_session(bob.address));

  // Until Bob answers, every message from Alice is a pkmsg.
  auto c1 = alice.signal->encrypt(bob.address, b("hello bob"));
  ASSERT_TRUE(c1.ok()) << c1.error().message();
  EXPECT_EQ(c1->type, MessageType::pkmsg);
  auto c2 = alice.signal->encrypt(bob.address, b("still there?"));
  ASSERT_TRUE(c2.ok());
  EXPECT_EQ(c2->type, MessageType::pkmsg);

  auto p1 = bob.signal->decrypt(alice.address, c1->type, c1->data);
  ASSERT_TRUE(p1.ok()) << p1.error().message();
  EXPECT_EQ(*p1, b("hello bob"));
  // The one-time prekey was consumed; Alice's identity is remembered.
  EXPECT_FALSE(bob.store->prekeys().get_prekey(*bundle.prekey_id)->has_value());
  EXPECT_EQ(*bob.store->identities().get_identity(alice.address),
            std::optional(alice.record().identity_key.pub));
  auto p2 = bob.signal->decrypt(alice.address, c2->type, c2->data);
  ASSERT_TRUE(p2.ok()) << p2.error().message();
  EXPECT_EQ(*p2, b("still there?"));

  // Bob answers with a msg; afterwards Alice sends msg too.
  auto r1 = bob.signal->encrypt(alice.address, b("hi alice"));
  ASSERT_TRUE(r1.ok());
  EXPECT_EQ(r1->type, MessageType::msg);
  auto q1 = alice.signal->decrypt(bob.address, r1->type, r1->data);
  ASSERT_TRUE(q1.ok()) << q1.error().message();
  EXPECT_EQ(*q1, b("hi alice"));
  for (int i = 0; i < 3; ++i) {
    auto c = alice.signal->encrypt(bob.address, b("ping " + std::to_string(i)));
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(c->type, MessageType::msg);
    auto p = bob.signal->decrypt(alice.address, c->type, c->data);
    ASSERT_TRUE(p.ok()) << p.error().message();
    EXPECT_EQ(*p, b("ping " + std::to_string(i)));
    auto r = bob.signal->encrypt(alice.address, b("pong " + std::to_string(i)));
    ASSERT_TRUE(r.ok());
    auto q = alice.signal->decrypt(bob.address, r->type, r->data);
    ASSERT_TRUE(q.ok()) << q.error().message();
    EXPECT_EQ(*q, b("pong " + std::to_string(i)));
  }
}

TEST(SignalSession, PkmsgThenMsgBothWaysInMemory) {
  Device alice(memory(), {"111", 0});
  Device bob(memory(), {"222_1", 5});
  run_session(alice, bob);
}

TEST(SignalSession, PkmsgThenMsgBothWaysOverSqlite) {
  Device alice(sqlite(), {"111", 0});
  Device bob(sqlite(), {"222", 1});
  run_session(alice, bob);
}

TEST(SignalSession, WithoutOneTimePreKeyAndOutOfOrder) {
  Device alice(memory(), {"111", 0});
  Device bob(memory(), {"222", 0});
  ASSERT_TRUE(alice.signal->process_bundle(bob.address, bob.bundle(false)).ok());
  auto c1 = alice.signal->encrypt(bob.address, b("one"));
  auto c2 = alice.signal->encrypt(bob.address, b("two"));
  ASSERT_TRUE(c1.ok() && c2.ok());
  auto p2 = bob.signal->decrypt(alice.address, c2->type, c2->data);  // second first
  ASSERT_TRUE(p2.ok()) << p2.error().message();
  EXPECT_EQ(*p2, b("two"));
  auto p1 = bob.signal->decrypt(alice.address, c1->type, c1->data);
  ASSERT_TRUE(p1.ok()) << p1.error().message();
  EXPECT_EQ(*p1, b("one"));
}

TEST(SignalSession, TypedErrorsAndNoHalfWrittenStore) {
  Device alice(memory(), {"111", 0});
  Device bob(memory(), {"222", 0});

  // No session yet.
  EXPECT_EQ(alice.signal->encrypt(bob.address, b("x")).code(), SignalErrc::no_session);

  // A bundle whose signed-prekey signature does not verify is refused.
  auto forged = bob.bundle();
  forged.signed_prekey_signature[5] ^= 1;
  EXPECT_EQ(alice.signal->process_bundle(bob.address, forged).code(), SignalErrc::invalid_key);
  EXPECT_FALSE(*alice.signal->has_session(bob.address));

  const auto bundle = bob.bundle();
  ASSERT_TRUE(alice.signal->process_bundle(bob.address, bundle).ok());
  auto c1 = alice.signal->encrypt(bob.address, b("secret"));
  ASSERT_TRUE(c1.ok());

  // Tampered pkmsg: the MAC fails (libsignal-c reports it as an invalid message after trying
  // every session state) and Bob's store is exactly as before (no identity saved, no session,
  // prekey not consumed): whatever libsignal wrote before the MAC check is rolled back.
  auto tampered = c1->data;
  tampered[tampered.size() - 15] ^= 0x40;  // inside the inner SignalMessage (MAC-protected)
  auto bad = bob.signal->decrypt(alice.address, MessageType::pkmsg, tampered);
  EXPECT_EQ(bad.code(), SignalErrc::invalid_message) << bad.error().message();
  EXPECT_FALSE(bob.store->sessions().get_session(alice.address)->has_value());
  EXPECT_FALSE(bob.store->identities().get_identity(alice.address)->has_value());
  EXPECT_TRUE(bob.store->prekeys().get_prekey(*bundle.prekey_id)->has_value());

  // Garbage is an invalid message, not a crash.
  const Bytes garbage = {0x33, 0x0a, 0x05, 0x01};
  EXPECT_EQ(bob.signal->decrypt(alice.address, MessageType::pkmsg, garbage).code(),
            SignalErrc::invalid_message);
  EXPECT_EQ(bob.signal->decrypt(alice.address, MessageType::msg, garbage).code(),
            SignalErrc::invalid_message);
  EXPECT_EQ(bob.signal->decrypt(alice.address, MessageType::msg, {}).code(),
            SignalErrc::invalid_message);
  EXPECT_EQ(bob.signal->decrypt(alice.address, MessageType::skmsg, garbage).code(),
            SignalErrc::invalid_argument);

  // The genuine message still decrypts; replaying it is a duplicate.
  auto ok = bob.signal->decrypt(alice.address, c1->type, c1->data);
  ASSERT_TRUE(ok.ok()) << ok.error().message();
  EXPECT_EQ(*ok, b("secret"));
  auto r = bob.signal->encrypt(alice.address, b("reply"));
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(alice.signal->decrypt(bob.address, r->type, r->data).ok());
  EXPECT_EQ(alice.signal->decrypt(bob.address, r->type, r->data).code(),
            SignalErrc::duplicate_message);

  // A msg from someone we have no session with.
  Device carol(memory(), {"333", 0});
  EXPECT_EQ(carol.signal->decrypt(bob.address, r->type, r->data).code(), SignalErrc::no_session);
}

TEST(SignalSession, ConsumedPreKeyIsInvalidKeyId) {
  Device alice(memory(), {"111", 0});
  Device bob(memory(), {"222", 0});
  const auto bundle = bob.bundle();
  ASSERT_TRUE(alice.signal->process_bundle(bob.address, bundle).ok());
  auto c = alice.signal->encrypt(bob.address, b("x"));
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(bob.store->prekeys().remove_prekey(*bundle.prekey_id).ok());
  EXPECT_EQ(bob.signal->decrypt(alice.address, c->type, c->data).code(),
            SignalErrc::invalid_key_id);
}

TEST(SignalSession, TrustPolicies) {
  Device bob(memory(), {"222", 0}, TrustPolicy::tofu);
  auto talk = [&](Device& from) {
    EXPECT_TRUE(from.signal->process_bundle(bob.address, bob.bundle()).ok());
    auto c = from.signal->encrypt(bob.address, b("hi"));
    EXPECT_TRUE(c.ok());
    return bob.signal->decrypt(from.address, c->type, c->data);
  };
  Device alice(memory(), {"111", 0});
  ASSERT_TRUE(talk(alice).ok());
  // Same address, new identity key (reinstall): TOFU refuses, WhatsApp's policy accepts.
  Device alice2(memory(), {"111", 0});
  EXPECT_EQ(talk(alice2).code(), SignalErrc::untrusted_identity);

  Device bob_wa(memory(), {"222", 0});
  auto talk_wa = [&](Device& from) {
    EXPECT_TRUE(from.signal->process_bundle(bob_wa.address, bob_wa.bundle()).ok());
    auto c = from.signal->encrypt(bob_wa.address, b("hi"));
    return bob_wa.signal->decrypt(from.address, c->type, c->data);
  };
  Device a1(memory(), {"111", 0}), a2(memory(), {"111", 0});
  ASSERT_TRUE(talk_wa(a1).ok());
  ASSERT_TRUE(talk_wa(a2).ok());
  EXPECT_EQ(*bob_wa.store->identities().get_identity(a2.address),
            std::optional(a2.record().identity_key.pub));
}

TEST(SignalSession, NoDeviceRecordIsTypedError) {
  store::MemoryStore empty;
  auto p = SignalProtocol::create(empty);
  ASSERT_TRUE(p.ok());
  Device bob(memory(), {"222", 0});
  EXPECT_EQ((*p)->process_bundle(bob.address, bob.bundle()).code(), SignalErrc::no_device);
}

TEST(SenderKeys, GroupMessageEndToEnd) {
  Device alice(memory(), {"111", 0});
  Device bob(memory(), {"222", 3});
  Device carol(sqlite(), {"333_1", 1});
  const std::string group = "120363000000000001@g.us";
  const store::SenderKeyName alice_key{group, alice.address};

  auto skdm = alice.signal->sender_key_distribution(alice_key);
  ASSERT_TRUE(skdm.ok()) << skdm.error().message();
  // Asking again returns a distribution message for the same sender key.
  auto skdm2 = alice.signal->sender_key_distribution(alice_key);
  ASSERT_TRUE(skdm2.ok());
  EXPECT_TRUE(alice.store->sender_keys().get_sender_key(alice_key)->has_value());

  // Members cannot decrypt before they have the distribution message.
  auto m0 = alice.signal->group_encrypt(alice_key, b("too early"));
  ASSERT_TRUE(m0.ok()) << m0.error().message();
  EXPECT_EQ(bob.signal->group_decrypt(alice_key, *m0).code(), SignalErrc::no_session);

  ASSERT_TRUE(bob.signal->process_sender_key_distribution(alice_key, *skdm).ok());
  ASSERT_TRUE(carol.signal->process_sender_key_distribution(alice_key, *skdm2).ok());

  std::vector<Bytes> sent;
  for (int i = 0; i < 4; ++i) {
    auto m = alice.signal->group_encrypt(alice_key, b("group " + std::to_string(i)));
    ASSERT_TRUE(m.ok());
    sent.push_back(*m);
  }
  for (int i = 0; i < 4; ++i) {
    auto p = bob.signal->group_decrypt(alice_key, sent[static_cast<std::size_t>(i)]);
    ASSERT_TRUE(p.ok()) << p.error().message();
    EXPECT_EQ(*p, b("group " + std::to_string(i)));
  }
  // Carol sees an iteration gap (message 3 before 1 and 2) and still decrypts all of them.
  for (int i : {3, 1, 2}) {
    auto p = carol.signal->group_decrypt(alice_key, sent[static_cast<std::size_t>(i)]);
    ASSERT_TRUE(p.ok()) << p.error().message();
    EXPECT_EQ(*p, b("group " + std::to_string(i)));
  }
  EXPECT_EQ(bob.signal->group_decrypt(alice_key, sent[0]).code(), SignalErrc::duplicate_message);

  // Tampering breaks the signature; garbage is an invalid message.
  auto bad = sent[3];
  bad[bad.size() - 70] ^= 1;
  EXPECT_NE(bob.signal->group_decrypt(alice_key, bad).code(), SignalErrc::ok);
  EXPECT_EQ(bob.signal->group_decrypt(alice_key, Bytes{0x33, 0x01}).code(),
            SignalErrc::invalid_message);
  EXPECT_EQ(bob.signal->process_sender_key_distribution(alice_key, Bytes{0x33, 0x01}).code(),
            SignalErrc::invalid_message);
  // Another sender's key name is a different state.
  const store::SenderKeyName bob_key{group, bob.address};
  EXPECT_EQ(carol.signal->group_decrypt(bob_key, sent[0]).code(), SignalErrc::no_session);
}

}  // namespace
