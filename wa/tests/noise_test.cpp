// Noise_XX_25519_AESGCM_SHA256 against the published test vectors (cacophony, snow), transcribed
// as data in vectors/noise_xx_25519_aesgcm_sha256.jsonl, and the crypto primitives underneath.
// The standard rule h = name zero-padded to 32 bytes (name <= HASHLEN) is exactly WhatsApp's use of
// the padded name, so these vectors exercise the same SymmetricState the client runs.
#include "wa/noise/noise.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <fstream>
#include <string>

#include "test_hex.hpp"
#include "wa/constants.hpp"
#include "wa/crypto/curve25519.hpp"
#include "wa/crypto/primitives.hpp"

namespace {

using wa::crypto::KeyPair;
using wa::noise::SymmetricState;
using wa::noise::TransportCipher;
using wa_test::hex;
using wa_test::unhex;
using Bytes = std::vector<std::uint8_t>;

std::vector<boost::json::object> load_vectors() {
  std::ifstream in(std::string(WA_VECTORS_DIR) + "/noise_xx_25519_aesgcm_sha256.jsonl");
  std::vector<boost::json::object> out;
  std::string line;
  while (std::getline(in, line))
    if (!line.empty()) out.push_back(boost::json::parse(line).as_object());
  return out;
}

std::string str(const boost::json::object& o, const char* k) {
  return std::string(o.at(k).as_string());
}

KeyPair keys(const boost::json::object& v, const char* k) {
  // The vectors' private keys are raw scalars; X25519 clamps them, and so does
  // key_pair_from_private.
  return wa::crypto::key_pair_from_private(wa_test::unhex_array<32>(str(v, k)));
}

Bytes dh(const KeyPair& own, const wa::crypto::PublicKey& peer) {
  auto r = wa::crypto::x25519(own.priv, peer);
  if (!r) throw std::runtime_error(r.error().message());
  return Bytes(r->begin(), r->end());
}

Bytes ok(wa::Result<Bytes> r) {
  if (!r) throw std::runtime_error(r.error().message());
  return std::move(*r);
}

Bytes cat(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) {
  Bytes out(a.begin(), a.end());
  out.insert(out.end(), b.begin(), b.end());
  return out;
}

wa::crypto::PublicKey pub_of(std::span<const std::uint8_t> b) {
  wa::crypto::PublicKey k{};
  std::copy(b.begin(), b.begin() + 32, k.begin());
  return k;
}

TEST(NoiseVectors, XX25519AesGcmSha256) {
  const auto vectors = load_vectors();
  ASSERT_EQ(vectors.size(), 2u);
  for (const auto& v : vectors) {
    SCOPED_TRACE(str(v, "source"));
    ASSERT_EQ(str(v, "protocol_name"), "Noise_XX_25519_AESGCM_SHA256");
    const auto& msgs = v.at("messages").as_array();
    ASSERT_GE(msgs.size(), 5u);
    auto payload = [&](std::size_t i) { return unhex(msgs[i].at("payload").as_string()); };
    auto expected = [&](std::size_t i) { return str(msgs[i].as_object(), "ciphertext"); };

    const KeyPair is = keys(v, "init_static"), ie = keys(v, "init_ephemeral");
    const KeyPair rs = keys(v, "resp_static"), re = keys(v, "resp_ephemeral");
    SymmetricState ini("Noise_XX_25519_AESGCM_SHA256"), res("Noise_XX_25519_AESGCM_SHA256");
    ini.mix_hash(unhex(str(v, "init_prologue")));
    res.mix_hash(unhex(str(v, "resp_prologue")));

    // -> e (+ payload, hashed in clear: no key yet)
    ini.mix_hash(ie.pub);
    Bytes m0 = cat(ie.pub, ok(ini.encrypt_and_hash(payload(0))));
    EXPECT_EQ(hex(m0), expected(0));
    res.mix_hash(std::span(m0).first(32));
    EXPECT_EQ(ok(res.decrypt_and_hash(std::span(m0).subspan(32))), payload(0));

    // <- e, ee, s, es (+ payload)
    res.mix_hash(re.pub);
    res.mix_key(dh(re, ie.pub));
    Bytes m1 = cat(re.pub, ok(res.encrypt_and_hash(rs.pub)));
    res.mix_key(dh(rs, ie.pub));
    m1 = cat(m1, ok(res.encrypt_and_hash(payload(1))));
    EXPECT_EQ(hex(m1), expected(1));
    // the initiator, exactly as ClientHandshake does it
    const auto server_e = pub_of(m1);
    ini.mix_hash(server_e);
    ini.mix_key(dh(ie, server_e));
    const Bytes server_s = ok(ini.decrypt_and_hash(std::span(m1).subspan(32, 48)));
    ASSERT_EQ(server_s, Bytes(rs.pub.begin(), rs.pub.end()));
    ini.mix_key(dh(ie, pub_of(server_s)));
    EXPECT_EQ(ok(ini.decrypt_and_hash(std::span(m1).subspan(80))), payload(1));

    // -> s, se (+ payload)
    Bytes m2 = ok(ini.encrypt_and_hash(is.pub));
    ini.mix_key(dh(is, server_e));
    m2 = cat(m2, ok(ini.encrypt_and_hash(payload(2))));
    EXPECT_EQ(hex(m2), expected(2));

    if (v.contains("handshake_hash")) {
      EXPECT_EQ(hex(ini.handshake_hash()), str(v, "handshake_hash"));
    }

    // Transport: the initiator writes with the first split key and reads with the second.
    const auto [write_key, read_key] = ini.split();
    TransportCipher client(write_key, read_key);
    TransportCipher server(read_key, write_key);
    const Bytes m3 = ok(server.encrypt(payload(3)));
    EXPECT_EQ(hex(m3), expected(3));
    EXPECT_EQ(ok(client.decrypt(m3)), payload(3));
    const Bytes m4 = ok(client.encrypt(payload(4)));
    EXPECT_EQ(hex(m4), expected(4));
    if (msgs.size() > 5) {
      const Bytes m5 = ok(server.encrypt(payload(5)));
      EXPECT_EQ(hex(m5), expected(5));
      EXPECT_EQ(ok(client.decrypt(m5)), payload(5));
    }
  }
}

TEST(Noise, WhatsAppNameIsUsedUnhashedAsInitialHash) {
  // The 32-byte padded name: h = name (no SHA-256), so after MixHash(x) h = SHA256(name || x).
  SymmetricState s(wa::constants::kNoiseName);
  const Bytes x{1, 2, 3};
  s.mix_hash(x);
  const auto* n = reinterpret_cast<const std::uint8_t*>(wa::constants::kNoiseName.data());
  EXPECT_EQ(s.handshake_hash(), wa::crypto::sha256({std::span(n, 32), x}));
  // The unpadded 28-byte name gives the same state: the padding is Noise's own rule.
  SymmetricState t("Noise_XX_25519_AESGCM_SHA256");
  t.mix_hash(x);
  EXPECT_EQ(s.handshake_hash(), t.handshake_hash());
}

TEST(Noise, IvIsCounterBigEndianInLastFourBytes) {
  const auto iv = wa::noise::make_iv(0x01020304);
  EXPECT_EQ(hex(iv), "000000000000000001020304");
}

TEST(Noise, TransportCountersArePerDirection) {
  wa::crypto::Key32 a{}, b{};
  a.fill(1);
  b.fill(2);
  TransportCipher client(a, b), server(b, a);
  const Bytes p{9, 9, 9};
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(server.decrypt(ok(client.encrypt(p))).ok());
  EXPECT_EQ(client.write_counter(), 3u);
  EXPECT_EQ(client.read_counter(), 0u);
  ASSERT_TRUE(client.decrypt(ok(server.encrypt(p))).ok());
  EXPECT_EQ(client.read_counter(), 1u);
  // Out of order (replay of an old frame) fails authentication.
  const Bytes c1 = ok(client.encrypt(p));
  const Bytes c2 = ok(client.encrypt(p));
  EXPECT_EQ(server.decrypt(c2).code(), wa::Errc::noise_decrypt);
  (void)c1;
  // Too short and tampered ciphertexts are typed errors.
  EXPECT_EQ(server.decrypt(Bytes(5)).code(), wa::Errc::noise_decrypt);
}

TEST(Crypto, HkdfRfc5869) {
  // RFC 5869 A.1 and A.3 (empty salt and info).
  const Bytes ikm(22, 0x0b);
  EXPECT_EQ(hex(wa::crypto::hkdf_sha256(ikm, unhex("000102030405060708090a0b0c"),
                                        unhex("f0f1f2f3f4f5f6f7f8f9"), 42)),
            "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");
  EXPECT_EQ(hex(wa::crypto::hkdf_sha256(ikm, {}, {}, 42)),
            "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8");
}

TEST(Crypto, XEdDsaSignVerify) {
  const KeyPair k = wa::crypto::generate_key_pair();
  const Bytes msg{5, 1, 2, 3};
  auto sig = wa::crypto::xeddsa_sign(k.priv, msg);
  ASSERT_TRUE(sig.ok());
  EXPECT_TRUE(wa::crypto::xeddsa_verify(k.pub, msg, *sig));
  auto bad = *sig;
  bad[10] ^= 1;
  EXPECT_FALSE(wa::crypto::xeddsa_verify(k.pub, msg, bad));
  EXPECT_FALSE(wa::crypto::xeddsa_verify(k.pub, Bytes{5, 1, 2, 4}, *sig));
  EXPECT_FALSE(wa::crypto::xeddsa_verify(wa::crypto::generate_key_pair().pub, msg, *sig));
  EXPECT_FALSE(wa::crypto::xeddsa_verify(k.pub, msg, std::span(*sig).first(63)));
  EXPECT_TRUE(wa::crypto::xeddsa_verify(k.pub, {}, *wa::crypto::xeddsa_sign(k.priv, {})));
}

TEST(Crypto, X25519RejectsLowOrderPoint) {
  const KeyPair k = wa::crypto::generate_key_pair();
  EXPECT_EQ(wa::crypto::x25519(k.priv, wa::crypto::PublicKey{}).code(), wa::Errc::noise_crypto);
}

}  // namespace
