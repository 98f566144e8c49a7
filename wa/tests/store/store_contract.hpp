#pragma once
// Contract test suite for wa::store::DeviceStore implementations (gtest, typed, parameterised by
// a factory). Every implementation — MemoryStore, SqliteStore, the gateway's SQL store — must pass
// it. To run it against an implementation, in a test binary (the header may be included by several
// translation units; each instantiation needs its own prefix):
//
//   #include "store/store_contract.hpp"   // target wa_store_contract adds the include path
//   struct MyFactory {
//     std::unique_ptr<wa::store::DeviceStore> make();    // a fresh, empty store
//     std::unique_ptr<wa::store::DeviceStore> reopen();  // OPTIONAL: the same data, reopened
//   };
//   namespace wa::store::contract {   // the instantiation must see the suite's namespace
//   using MyImpls = ::testing::Types<MyFactory>;
//   INSTANTIATE_TYPED_TEST_SUITE_P(My, DeviceStoreContract, MyImpls);
//   }
//
// A factory object is created per test (its destructor may delete temporary files). When it has
// reopen(), the durability tests drop the first store and check the data through a second one.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "wa/store/device_store.hpp"

namespace wa::store::contract {

inline Key32 key_of(std::uint8_t seed) {
  Key32 k{};
  for (std::size_t i = 0; i < k.size(); ++i) k[i] = static_cast<std::uint8_t>(seed + i * 7);
  return k;
}
inline KeyPair pair_of(std::uint8_t seed) {
  return {key_of(seed), key_of(static_cast<std::uint8_t>(seed + 100))};
}
inline PreKey prekey_of(std::uint32_t id) {
  return {id, pair_of(static_cast<std::uint8_t>(id)), false};
}
inline Bytes blob_of(std::size_t n, std::uint8_t seed) {
  Bytes b(n);
  for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::uint8_t>((i * 31 + seed) & 0xff);
  if (n > 1) b[1] = 0;  // embedded NULs must survive (PostgreSQL text/bytea pitfalls)
  return b;
}

inline DeviceRecord sample_device() {
  DeviceRecord d;
  d.noise_key = pair_of(1);
  d.identity_key = pair_of(2);
  d.registration_id = 16380;
  d.signed_prekey.id = 0xFFFFFF;
  d.signed_prekey.key = pair_of(3);
  for (std::size_t i = 0; i < d.signed_prekey.signature.size(); ++i)
    d.signed_prekey.signature[i] = static_cast<std::uint8_t>(255 - i);
  d.adv_secret = key_of(4);
  d.account = blob_of(200, 5);
  d.jid = Jid::user_jid("4915112345678").with_device(3);
  d.lid = Jid::lid("123456789012345").with_device(3);
  d.platform = "android";
  d.business_name = "Büro & Co \"quoted\"";
  d.push_name = "Zoë 🌱";
  return d;
}

template <class Factory>
class DeviceStoreContract : public ::testing::Test {
 protected:
  static constexpr bool kDurable = requires(Factory f) { f.reopen(); };

  void SetUp() override {
    store_ = factory_.make();
    ASSERT_NE(store_, nullptr);
  }
  /// Closes the store and opens the same data again (durable implementations only).
  void reopen() {
    if constexpr (kDurable) {
      store_.reset();
      store_ = factory_.reopen();
      ASSERT_NE(store_, nullptr);
    }
  }
  DeviceStore& s() { return *store_; }

  Factory factory_;
  std::unique_ptr<DeviceStore> store_;
};

TYPED_TEST_SUITE_P(DeviceStoreContract);

TYPED_TEST_P(DeviceStoreContract, FreshStoreIsEmpty) {
  auto dev = this->s().load_device();
  ASSERT_TRUE(dev.ok());
  EXPECT_FALSE(dev->has_value());
  auto next = this->s().prekeys().next_prekey_id();
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(*next, 1u);
  EXPECT_EQ(*this->s().prekeys().uploaded_prekey_count(), 0u);
  EXPECT_TRUE(this->s().prekeys().unuploaded_prekeys(10)->empty());
  EXPECT_FALSE(this->s().prekeys().get_prekey(1)->has_value());
  EXPECT_FALSE(this->s().sessions().get_session({"1", 0})->has_value());
  EXPECT_FALSE(this->s().identities().get_identity({"1", 0})->has_value());
  EXPECT_FALSE(this->s().sender_keys().get_sender_key({"g", {"1", 0}})->has_value());
  EXPECT_FALSE(this->s().lid_map().pn_for_lid("1")->has_value());
  EXPECT_FALSE(this->s().lid_map().lid_for_pn("1")->has_value());
}

TYPED_TEST_P(DeviceStoreContract, DeviceRecordRoundTrip) {
  const DeviceRecord d = sample_device();
  ASSERT_TRUE(this->s().save_device(d).ok());
  auto got = this->s().load_device();
  ASSERT_TRUE(got.ok()) << got.error().message();
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ(**got, d);
  EXPECT_TRUE((*got)->paired());
  this->reopen();
  got = this->s().load_device();
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ(**got, d);
}

TYPED_TEST_P(DeviceStoreContract, UnpairedDeviceRecordAndReplace) {
  DeviceRecord d = sample_device();
  d.jid.reset();
  d.lid.reset();
  d.account.clear();
  d.business_name.clear();
  d.platform.clear();
  d.push_name.clear();
  ASSERT_TRUE(this->s().save_device(d).ok());
  auto got = this->s().load_device();
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ(**got, d);
  EXPECT_FALSE((*got)->paired());

  // Pairing fills in the rest: a second save replaces the record.
  DeviceRecord paired = sample_device();
  paired.jid = Jid::user_jid("1").with_device(0);  // explicit device 0 stays explicit
  ASSERT_TRUE(this->s().save_device(paired).ok());
  got = this->s().load_device();
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ(**got, paired);
  ASSERT_TRUE((*got)->jid->device.has_value());
  EXPECT_EQ(*(*got)->jid->device, 0);
}

TYPED_TEST_P(DeviceStoreContract, PreKeysAddGetMarkConsume) {
  auto& pk = this->s().prekeys();
  std::vector<PreKey> keys;
  for (std::uint32_t id = 1; id <= 10; ++id) keys.push_back(prekey_of(id));
  ASSERT_TRUE(pk.add_prekeys(keys, 11).ok());
  EXPECT_EQ(*pk.next_prekey_id(), 11u);

  auto k5 = pk.get_prekey(5);
  ASSERT_TRUE(k5.ok() && k5->has_value());
  EXPECT_EQ(**k5, prekey_of(5));

  auto un = pk.unuploaded_prekeys(4);
  ASSERT_TRUE(un.ok());
  ASSERT_EQ(un->size(), 4u);
  for (std::size_t i = 0; i < 4; ++i) EXPECT_EQ((*un)[i].id, i + 1);  // ascending

  const std::vector<std::uint32_t> up = {1, 2, 3, 999};  // unknown ids are ignored
  ASSERT_TRUE(pk.mark_prekeys_uploaded(up).ok());
  EXPECT_EQ(*pk.uploaded_prekey_count(), 3u);
  un = pk.unuploaded_prekeys(100);
  ASSERT_TRUE(un.ok());
  ASSERT_EQ(un->size(), 7u);
  EXPECT_EQ(un->front().id, 4u);
  auto k2 = pk.get_prekey(2);
  ASSERT_TRUE(k2.ok() && k2->has_value());
  EXPECT_TRUE((*k2)->uploaded);

  // Consume by id (an incoming pkmsg used it).
  auto removed = pk.remove_prekey(2);
  ASSERT_TRUE(removed.ok());
  EXPECT_TRUE(*removed);
  EXPECT_FALSE(pk.get_prekey(2)->has_value());
  EXPECT_FALSE(*pk.remove_prekey(2));
  EXPECT_EQ(*pk.uploaded_prekey_count(), 2u);

  this->reopen();
  auto& pk2 = this->s().prekeys();
  EXPECT_EQ(*pk2.next_prekey_id(), 11u);
  EXPECT_EQ(*pk2.uploaded_prekey_count(), 2u);
  EXPECT_EQ(pk2.unuploaded_prekeys(100)->size(), 7u);
  auto k7 = pk2.get_prekey(7);
  ASSERT_TRUE(k7.ok() && k7->has_value());
  EXPECT_EQ(**k7, prekey_of(7));
}

TYPED_TEST_P(DeviceStoreContract, PreKeyIdBoundsAndWrap) {
  auto& pk = this->s().prekeys();
  // The 24-bit maximum is valid; the allocator wraps to 1 after it.
  const std::vector<PreKey> last = {prekey_of(kMaxPreKeyId - 1), prekey_of(kMaxPreKeyId)};
  ASSERT_TRUE(pk.add_prekeys(last, 1).ok());
  EXPECT_EQ(*pk.next_prekey_id(), 1u);
  EXPECT_TRUE(pk.get_prekey(kMaxPreKeyId)->has_value());

  // Out-of-range ids are rejected and nothing of the batch is stored.
  const std::vector<PreKey> bad0 = {prekey_of(5), prekey_of(0)};
  auto r = pk.add_prekeys(bad0, 6);
  EXPECT_EQ(r.code(), StoreErrc::invalid_argument);
  EXPECT_FALSE(pk.get_prekey(5)->has_value());
  EXPECT_EQ(*pk.next_prekey_id(), 1u);
  const std::vector<PreKey> big = {prekey_of(kMaxPreKeyId + 1)};
  EXPECT_EQ(pk.add_prekeys(big, 2).code(), StoreErrc::invalid_argument);
  const std::vector<PreKey> ok = {prekey_of(7)};
  EXPECT_EQ(pk.add_prekeys(ok, 0).code(), StoreErrc::invalid_argument);
  EXPECT_EQ(pk.add_prekeys(ok, kMaxPreKeyId + 1).code(), StoreErrc::invalid_argument);
  EXPECT_FALSE(pk.get_prekey(7)->has_value());

  // Re-adding an id replaces the key and resets its uploaded flag.
  const std::vector<std::uint32_t> up = {kMaxPreKeyId};
  ASSERT_TRUE(pk.mark_prekeys_uploaded(up).ok());
  PreKey replacement = prekey_of(kMaxPreKeyId);
  replacement.key = pair_of(42);
  const std::vector<PreKey> again = {replacement};
  ASSERT_TRUE(pk.add_prekeys(again, 2).ok());
  auto got = pk.get_prekey(kMaxPreKeyId);
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->key, pair_of(42));
  EXPECT_FALSE((*got)->uploaded);
  EXPECT_EQ(*pk.uploaded_prekey_count(), 0u);
}

TYPED_TEST_P(DeviceStoreContract, Sessions) {
  auto& ss = this->s().sessions();
  const Bytes a = blob_of(300, 1), b = blob_of(70000, 2), c = blob_of(1, 3);
  ASSERT_TRUE(ss.put_session({"4915112345678", 0}, a).ok());
  ASSERT_TRUE(ss.put_session({"4915112345678", 7}, b).ok());
  ASSERT_TRUE(ss.put_session({"49151123456789", 2}, c).ok());  // a name that extends the other
  ASSERT_TRUE(ss.put_session({"123_1", 2}, c).ok());

  EXPECT_EQ(*ss.get_session({"4915112345678", 0}), a);
  EXPECT_EQ(*ss.get_session({"4915112345678", 7}), b);
  EXPECT_FALSE(ss.get_session({"4915112345678", 2})->has_value());
  auto devs = ss.session_devices("4915112345678");
  ASSERT_TRUE(devs.ok());
  EXPECT_EQ(*devs, (std::vector<std::uint32_t>{0, 7}));

  ASSERT_TRUE(ss.put_session({"4915112345678", 0}, c).ok());  // replace
  EXPECT_EQ(*ss.get_session({"4915112345678", 0}), c);

  this->reopen();
  auto& ss2 = this->s().sessions();
  EXPECT_EQ(*ss2.get_session({"4915112345678", 7}), b);
  EXPECT_TRUE(*ss2.delete_session({"4915112345678", 7}));
  EXPECT_FALSE(*ss2.delete_session({"4915112345678", 7}));
  ASSERT_TRUE(ss2.put_session({"4915112345678", 9}, a).ok());
  auto n = ss2.delete_all_sessions("4915112345678");
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 2u);
  EXPECT_TRUE(ss2.session_devices("4915112345678")->empty());
  EXPECT_EQ(*ss2.get_session({"49151123456789", 2}), c);  // other users untouched
  EXPECT_EQ(*ss2.get_session({"123_1", 2}), c);
}

TYPED_TEST_P(DeviceStoreContract, Identities) {
  auto& is = this->s().identities();
  ASSERT_TRUE(is.put_identity({"111", 0}, key_of(1)).ok());
  ASSERT_TRUE(is.put_identity({"111", 1}, key_of(2)).ok());
  ASSERT_TRUE(is.put_identity({"1111", 1}, key_of(3)).ok());
  EXPECT_EQ(*is.get_identity({"111", 0}), key_of(1));
  ASSERT_TRUE(is.put_identity({"111", 0}, key_of(9)).ok());  // identity changed: replace
  EXPECT_EQ(*is.get_identity({"111", 0}), key_of(9));
  this->reopen();
  auto& is2 = this->s().identities();
  EXPECT_EQ(*is2.get_identity({"111", 1}), key_of(2));
  EXPECT_TRUE(*is2.delete_identity({"111", 1}));
  EXPECT_FALSE(*is2.delete_identity({"111", 1}));
  ASSERT_TRUE(is2.put_identity({"111", 5}, key_of(5)).ok());
  EXPECT_EQ(*is2.delete_all_identities("111"), 2u);
  EXPECT_FALSE(is2.get_identity({"111", 0})->has_value());
  EXPECT_EQ(*is2.get_identity({"1111", 1}), key_of(3));
}

TYPED_TEST_P(DeviceStoreContract, SenderKeys) {
  auto& sk = this->s().sender_keys();
  const SenderKeyName n1{"120363000000000001@g.us", {"111", 0}};
  const SenderKeyName n2{"120363000000000001@g.us", {"111", 3}};
  const SenderKeyName n3{"120363000000000002@g.us", {"111", 0}};
  ASSERT_TRUE(sk.put_sender_key(n1, blob_of(10, 1)).ok());
  ASSERT_TRUE(sk.put_sender_key(n2, blob_of(20, 2)).ok());
  ASSERT_TRUE(sk.put_sender_key(n3, blob_of(30, 3)).ok());
  EXPECT_EQ(*sk.get_sender_key(n2), blob_of(20, 2));
  ASSERT_TRUE(sk.put_sender_key(n1, blob_of(40, 4)).ok());
  this->reopen();
  auto& sk2 = this->s().sender_keys();
  EXPECT_EQ(*sk2.get_sender_key(n1), blob_of(40, 4));
  EXPECT_EQ(*sk2.get_sender_key(n3), blob_of(30, 3));
  EXPECT_TRUE(*sk2.delete_sender_key(n1));
  EXPECT_FALSE(*sk2.delete_sender_key(n1));
  EXPECT_FALSE(sk2.get_sender_key(n1)->has_value());
  EXPECT_TRUE(sk2.get_sender_key(n2)->has_value());
}

TYPED_TEST_P(DeviceStoreContract, LidMap) {
  auto& lm = this->s().lid_map();
  const std::vector<LidMapping> first = {{"100", "4911"}, {"200", "4922"}};
  ASSERT_TRUE(lm.put_lid_mappings(first).ok());
  EXPECT_EQ(*lm.pn_for_lid("100"), std::optional<std::string>("4911"));
  EXPECT_EQ(*lm.lid_for_pn("4922"), std::optional<std::string>("200"));

  // A new pair replaces older pairs sharing its LID or its PN, in both directions.
  const std::vector<LidMapping> second = {{"100", "4933"}, {"300", "4922"}};
  ASSERT_TRUE(lm.put_lid_mappings(second).ok());
  EXPECT_EQ(*lm.pn_for_lid("100"), std::optional<std::string>("4933"));
  EXPECT_FALSE(lm.lid_for_pn("4911")->has_value());
  EXPECT_EQ(*lm.lid_for_pn("4922"), std::optional<std::string>("300"));
  EXPECT_FALSE(lm.pn_for_lid("200")->has_value());

  // A batch with an invalid pair stores nothing.
  const std::vector<LidMapping> bad = {{"400", "4944"}, {"", "4955"}};
  EXPECT_EQ(lm.put_lid_mappings(bad).code(), StoreErrc::invalid_argument);
  EXPECT_FALSE(lm.pn_for_lid("400")->has_value());

  this->reopen();
  EXPECT_EQ(*this->s().lid_map().pn_for_lid("300"), std::optional<std::string>("4922"));
  EXPECT_EQ(*this->s().lid_map().lid_for_pn("4933"), std::optional<std::string>("100"));
}

TYPED_TEST_P(DeviceStoreContract, TransactionCommitsAndRollsBack) {
  auto& s = this->s();
  ASSERT_TRUE(s.save_device(sample_device()).ok());
  const std::vector<PreKey> keys = {prekey_of(1)};
  ASSERT_TRUE(s.prekeys().add_prekeys(keys, 2).ok());

  auto committed = s.transaction([&]() -> StoreResult<void> {
    if (auto r = s.sessions().put_session({"a", 1}, blob_of(5, 1)); !r) return r;
    return s.identities().put_identity({"a", 1}, key_of(1));
  });
  ASSERT_TRUE(committed.ok()) << committed.error().message();
  EXPECT_TRUE(s.sessions().get_session({"a", 1})->has_value());

  auto failed = s.transaction([&]() -> StoreResult<void> {
    DeviceRecord d = sample_device();
    d.push_name = "changed";
    if (auto r = s.save_device(d); !r) return r;
    if (auto r = s.prekeys().remove_prekey(1); !r) return r.error();
    if (auto r = s.sessions().put_session({"a", 1}, blob_of(9, 9)); !r) return r;
    if (auto r = s.sessions().put_session({"b", 2}, blob_of(9, 9)); !r) return r;
    const std::vector<LidMapping> m = {{"1", "2"}};
    if (auto r = s.lid_map().put_lid_mappings(m); !r) return r;
    return StoreError{StoreErrc::backend, "injected failure"};
  });
  EXPECT_EQ(failed.code(), StoreErrc::backend);
  EXPECT_EQ(failed.error().detail, "injected failure");
  EXPECT_EQ(s.load_device()->value().push_name, sample_device().push_name);
  EXPECT_TRUE(s.prekeys().get_prekey(1)->has_value());
  EXPECT_EQ(*s.sessions().get_session({"a", 1}), blob_of(5, 1));
  EXPECT_FALSE(s.sessions().get_session({"b", 2})->has_value());
  EXPECT_FALSE(s.lid_map().pn_for_lid("1")->has_value());

  // Nested: a failed inner transaction is undone, the outer one still commits its own writes.
  auto outer = s.transaction([&]() -> StoreResult<void> {
    if (auto r = s.sessions().put_session({"outer", 1}, blob_of(3, 3)); !r) return r;
    auto inner = s.transaction([&]() -> StoreResult<void> {
      if (auto r = s.sessions().put_session({"inner", 1}, blob_of(3, 3)); !r) return r;
      return StoreError{StoreErrc::corrupt, "inner fails"};
    });
    EXPECT_EQ(inner.code(), StoreErrc::corrupt);
    return {};
  });
  ASSERT_TRUE(outer.ok()) << outer.error().message();
  EXPECT_TRUE(s.sessions().get_session({"outer", 1})->has_value());
  EXPECT_FALSE(s.sessions().get_session({"inner", 1})->has_value());

  this->reopen();
  EXPECT_TRUE(this->s().sessions().get_session({"outer", 1})->has_value());
  EXPECT_TRUE(this->s().identities().get_identity({"a", 1})->has_value());
}

TYPED_TEST_P(DeviceStoreContract, WipeRemovesEverything) {
  auto& s = this->s();
  ASSERT_TRUE(s.save_device(sample_device()).ok());
  const std::vector<PreKey> keys = {prekey_of(1), prekey_of(2)};
  ASSERT_TRUE(s.prekeys().add_prekeys(keys, 3).ok());
  ASSERT_TRUE(s.sessions().put_session({"a", 1}, blob_of(5, 1)).ok());
  ASSERT_TRUE(s.identities().put_identity({"a", 1}, key_of(1)).ok());
  ASSERT_TRUE(s.sender_keys().put_sender_key({"g", {"a", 1}}, blob_of(5, 1)).ok());
  const std::vector<LidMapping> m = {{"1", "2"}};
  ASSERT_TRUE(s.lid_map().put_lid_mappings(m).ok());

  ASSERT_TRUE(s.wipe().ok());
  this->reopen();
  auto& w = this->s();
  EXPECT_FALSE(w.load_device()->has_value());
  EXPECT_EQ(*w.prekeys().next_prekey_id(), 1u);
  EXPECT_FALSE(w.prekeys().get_prekey(1)->has_value());
  EXPECT_FALSE(w.sessions().get_session({"a", 1})->has_value());
  EXPECT_FALSE(w.identities().get_identity({"a", 1})->has_value());
  EXPECT_FALSE(w.sender_keys().get_sender_key({"g", {"a", 1}})->has_value());
  EXPECT_FALSE(w.lid_map().pn_for_lid("1")->has_value());

  // The store stays usable for a new pairing.
  ASSERT_TRUE(w.save_device(sample_device()).ok());
  EXPECT_TRUE(w.load_device()->has_value());
}

REGISTER_TYPED_TEST_SUITE_P(DeviceStoreContract, FreshStoreIsEmpty, DeviceRecordRoundTrip,
                            UnpairedDeviceRecordAndReplace, PreKeysAddGetMarkConsume,
                            PreKeyIdBoundsAndWrap, Sessions, Identities, SenderKeys, LidMap,
                            TransactionCommitsAndRollsBack, WipeRemovesEverything);

}  // namespace wa::store::contract
