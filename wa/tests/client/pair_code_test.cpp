// Phone-number pairing crypto (docs/PROTOCOL.md §4.3) and the primitives it added.
#include "wa/client/pair_code.hpp"

#include <gtest/gtest.h>

#include <string>

using namespace wa;
using namespace wa::client;

namespace {
crypto::Bytes unhex(std::string_view h) {
  crypto::Bytes b;
  for (std::size_t i = 0; i + 1 < h.size(); i += 2)
    b.push_back(static_cast<std::uint8_t>(std::stoi(std::string(h.substr(i, 2)), nullptr, 16)));
  return b;
}
std::span<const std::uint8_t> sv(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}
}  // namespace

TEST(Primitives, Pbkdf2Sha256Rfc7914Vector) {
  auto k = crypto::pbkdf2_sha256(sv("passwd"), sv("salt"), 1, 64);
  ASSERT_TRUE(k.ok());
  EXPECT_EQ(*k, unhex("55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc"
                      "49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783"));
  EXPECT_FALSE(crypto::pbkdf2_sha256(sv("p"), sv("s"), 0, 32).ok());
}

TEST(Primitives, AesCtrNistSp80038aF55) {
  const auto key_bytes = unhex("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4");
  crypto::Key32 key{};
  std::copy(key_bytes.begin(), key_bytes.end(), key.begin());
  const auto iv = unhex("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff");
  const auto pt = unhex("6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51");
  auto ct = crypto::aes_ctr(key, std::span<const std::uint8_t, 16>(iv.data(), 16), pt);
  ASSERT_TRUE(ct.ok());
  EXPECT_EQ(*ct, unhex("601ec313775789a5b7a7f504bbf3d228f443e3ca4d62b59aca84e990cacaf5c5"));
  auto back = crypto::aes_ctr(key, std::span<const std::uint8_t, 16>(iv.data(), 16), *ct);
  EXPECT_EQ(*back, pt);
}

TEST(PairCode, EightCharactersOfTheAlphabet) {
  const std::array<std::uint8_t, 5> zero{}, ones{0xff, 0xff, 0xff, 0xff, 0xff};
  EXPECT_EQ(pair_code_from_bytes(zero), "11111111");
  EXPECT_EQ(pair_code_from_bytes(ones), "ZZZZZZZZ");
  // 0x08 0x86 0x42 0x98 0xE8 = 00001 00010 00011 00100 00101 00110 00111 01000 -> indexes 1..8
  const std::array<std::uint8_t, 5> seq{0x08, 0x86, 0x42, 0x98, 0xE8};
  EXPECT_EQ(pair_code_from_bytes(seq), "23456789");
  for (int i = 0; i < 50; ++i) {
    const auto c = generate_pair_code();
    ASSERT_EQ(c.size(), 8u);
    for (char ch : c) EXPECT_NE(kPairCodeAlphabet.find(ch), std::string_view::npos) << c;
  }
  EXPECT_EQ(format_pair_code("ABCDEFGH"), "ABCD-EFGH");
  EXPECT_EQ(format_pair_code("abcd-efgh"), "ABCD-EFGH");
}

TEST(PairCode, WrapUnwrapRoundTripAndWrongCode) {
  const auto eph = crypto::generate_key_pair();
  auto w = wrap_ephemeral_key("ABCD-EFGH", eph.pub);
  ASSERT_TRUE(w.ok());
  ASSERT_EQ(w->size(), kWrappedKeySize);
  auto u = unwrap_ephemeral_key("abcdefgh", *w);  // dash and case do not matter
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(*u, eph.pub);
  auto wrong = unwrap_ephemeral_key("ABCDEFGJ", *w);
  ASSERT_TRUE(wrong.ok());
  EXPECT_NE(*wrong, eph.pub);
  EXPECT_EQ(unwrap_ephemeral_key("ABCDEFGH", std::span(w->data(), 79)).code(),
            Errc::invalid_argument);
}

// The phone's side written out from §4.3 with the primitives: both ends agree on the adv secret
// and the phone can open the key bundle.
TEST(PairCode, FinishMatchesThePhoneSide) {
  const std::string code =
      "R2D2C3PO";  // O is not in the alphabet, but any string works for the KDF
  const auto companion_eph = crypto::generate_key_pair();
  const auto identity = crypto::generate_key_pair();
  const auto primary_eph = crypto::generate_key_pair();
  const auto primary_identity = crypto::generate_key_pair();
  auto wrapped_primary = wrap_ephemeral_key(code, primary_eph.pub);
  ASSERT_TRUE(wrapped_primary.ok());
  std::array<std::uint8_t, 32> adv_random{}, salt{};
  std::array<std::uint8_t, 12> nonce{};
  adv_random.fill(7);
  salt.fill(9);
  nonce.fill(3);
  auto fin = finish_pair_code(code, companion_eph, identity, primary_identity.pub, *wrapped_primary,
                              adv_random, salt, nonce);
  ASSERT_TRUE(fin.ok());
  const auto& b = fin->wrapped_key_bundle;
  ASSERT_EQ(b.size(), 32u + 12 + 96 + 16);
  // Phone: eph shared secret from its side.
  auto shared = crypto::x25519(primary_eph.priv, companion_eph.pub);
  ASSERT_TRUE(shared.ok());
  const auto kb =
      crypto::hkdf_sha256(*shared, std::span(b.data(), 32), sv(kPairCodeBundleInfo), 32);
  crypto::Key32 bundle_key{};
  std::copy(kb.begin(), kb.end(), bundle_key.begin());
  auto plain =
      crypto::aes_gcm_decrypt(bundle_key, std::span<const std::uint8_t, 12>(b.data() + 32, 12),
                              std::span(b.data() + 44, b.size() - 44), {});
  ASSERT_TRUE(plain.ok());
  ASSERT_EQ(plain->size(), 96u);
  EXPECT_TRUE(std::equal(identity.pub.begin(), identity.pub.end(), plain->begin()));
  EXPECT_TRUE(
      std::equal(primary_identity.pub.begin(), primary_identity.pub.end(), plain->begin() + 32));
  EXPECT_TRUE(std::equal(adv_random.begin(), adv_random.end(), plain->begin() + 64));
  auto id_shared = crypto::x25519(primary_identity.priv, identity.pub);
  crypto::Bytes ikm(shared->begin(), shared->end());
  ikm.insert(ikm.end(), id_shared->begin(), id_shared->end());
  ikm.insert(ikm.end(), adv_random.begin(), adv_random.end());
  const auto adv = crypto::hkdf_sha256(ikm, {}, sv(kPairCodeAdvInfo), 32);
  EXPECT_TRUE(std::equal(adv.begin(), adv.end(), fin->adv_secret.begin()));
  // Hostile input: a wrapped key of the wrong size is a typed error.
  EXPECT_FALSE(finish_pair_code(code, companion_eph, identity, primary_identity.pub,
                                std::span(wrapped_primary->data(), 10))
                   .ok());
}
