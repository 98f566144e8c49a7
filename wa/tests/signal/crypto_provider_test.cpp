// The libsignal crypto provider over OpenSSL, called through its function table exactly as
// libsignal calls it, against RFC 4231 (HMAC-SHA256), FIPS 180-4 (SHA-512) and NIST SP 800-38A
// (AES-256-CBC, AES-256-CTR) vectors.
#include "signal/crypto_provider.hpp"

#include <gtest/gtest.h>

#include <string>

#include "../test_hex.hpp"
#include "signal/handles.hpp"

namespace {

using wa::signal::detail::Buffer;
using wa::signal::detail::openssl_crypto_provider;
using wa::signal::detail::view;
using wa_test::bytes;
using wa_test::hex;
using wa_test::unhex;

const signal_crypto_provider& P() {
  return openssl_crypto_provider();
}

std::string hmac(const std::vector<std::uint8_t>& key, const std::vector<std::uint8_t>& data,
                 std::size_t split = 0) {
  void* ctx = nullptr;
  EXPECT_EQ(P().hmac_sha256_init_func(&ctx, key.data(), key.size(), P().user_data), 0);
  // Feed in two parts when asked, as libsignal does for MACs over several fields.
  if (split && split < data.size()) {
    EXPECT_EQ(P().hmac_sha256_update_func(ctx, data.data(), split, P().user_data), 0);
    EXPECT_EQ(
        P().hmac_sha256_update_func(ctx, data.data() + split, data.size() - split, P().user_data),
        0);
  } else {
    EXPECT_EQ(P().hmac_sha256_update_func(ctx, data.data(), data.size(), P().user_data), 0);
  }
  signal_buffer* out = nullptr;
  EXPECT_EQ(P().hmac_sha256_final_func(ctx, &out, P().user_data), 0);
  P().hmac_sha256_cleanup_func(ctx, P().user_data);
  Buffer owned(out);
  return hex(view(owned.get()));
}

TEST(CryptoProvider, HmacSha256Rfc4231) {
  EXPECT_EQ(hmac(std::vector<std::uint8_t>(20, 0x0b), bytes("Hi There")),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  EXPECT_EQ(hmac(bytes("Jefe"), bytes("what do ya want for nothing?"), 7),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_EQ(hmac(std::vector<std::uint8_t>(20, 0xaa), std::vector<std::uint8_t>(50, 0xdd)),
            "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");
  EXPECT_EQ(hmac(unhex("0102030405060708090a0b0c0d0e0f10111213141516171819"),
                 std::vector<std::uint8_t>(50, 0xcd)),
            "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b");
  EXPECT_EQ(hmac(std::vector<std::uint8_t>(131, 0xaa),
                 bytes("Test Using Larger Than Block-Size Key - Hash Key First")),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
  EXPECT_EQ(hmac(std::vector<std::uint8_t>(131, 0xaa),
                 bytes("This is a test using a larger than block-size key and a larger than "
                       "block-size data. The key "
                       "needs to be hashed before being used by the HMAC algorithm."),
                 40),
            "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
}

// Contexts are pooled per thread: several may be open at once (libsignal nests them), and one
// returned to the pool must not carry anything into the next HMAC.
TEST(CryptoProvider, HmacContextsInterleaveAndAreReused) {
  const std::vector<std::uint8_t> k1(20, 0x0b), k2(20, 0xaa);
  const auto d1 = bytes("Hi There");
  const std::vector<std::uint8_t> d2(50, 0xdd);
  for (int round = 0; round < 3; ++round) {
    void* a = nullptr;
    void* b = nullptr;
    ASSERT_EQ(P().hmac_sha256_init_func(&a, k1.data(), k1.size(), P().user_data), 0);
    ASSERT_EQ(P().hmac_sha256_init_func(&b, k2.data(), k2.size(), P().user_data), 0);
    ASSERT_EQ(P().hmac_sha256_update_func(b, d2.data(), d2.size(), P().user_data), 0);
    ASSERT_EQ(P().hmac_sha256_update_func(a, d1.data(), d1.size(), P().user_data), 0);
    signal_buffer* ra = nullptr;
    signal_buffer* rb = nullptr;
    ASSERT_EQ(P().hmac_sha256_final_func(b, &rb, P().user_data), 0);
    ASSERT_EQ(P().hmac_sha256_final_func(a, &ra, P().user_data), 0);
    P().hmac_sha256_cleanup_func(a, P().user_data);
    P().hmac_sha256_cleanup_func(b, P().user_data);
    Buffer oa(ra), ob(rb);
    EXPECT_EQ(hex(view(oa.get())),
              "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
    EXPECT_EQ(hex(view(ob.get())),
              "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");
  }
  // A context cleaned up without a final (libsignal's error paths) leaves nothing behind.
  void* abandoned = nullptr;
  ASSERT_EQ(P().hmac_sha256_init_func(&abandoned, k2.data(), k2.size(), P().user_data), 0);
  ASSERT_EQ(P().hmac_sha256_update_func(abandoned, d2.data(), 7, P().user_data), 0);
  P().hmac_sha256_cleanup_func(abandoned, P().user_data);
  EXPECT_EQ(hmac(k1, d1), "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  // An empty key is a block of zeros.
  EXPECT_EQ(hmac({}, {}), "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

std::string sha512_final(void* ctx) {
  signal_buffer* out = nullptr;
  EXPECT_EQ(P().sha512_digest_final_func(ctx, &out, P().user_data), 0);
  Buffer owned(out);
  return hex(view(owned.get()));
}

constexpr const char* kSha512Abc =
    "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feeb"
    "bd454d4423643ce80e2a"
    "9ac94fa54ca49f";
constexpr const char* kSha512Empty =
    "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec"
    "2f63b931bd47417a81a5"
    "38327af927da3e";
constexpr const char* kSha512TwoBlock =
    "8e959b75dae313da8cf4f72814fc143f8f7779c6eb9f7fa17299aeadb6889018501d289e4900f7e4331b99dec4b543"
    "3ac7d329eeb6dd2654"
    "5e96e55b874be909";

TEST(CryptoProvider, Sha512Fips180IncludingContextReuse) {
  void* ctx = nullptr;
  ASSERT_EQ(P().sha512_digest_init_func(&ctx, P().user_data), 0);
  const auto abc = bytes("abc");
  ASSERT_EQ(P().sha512_digest_update_func(ctx, abc.data(), abc.size(), P().user_data), 0);
  EXPECT_EQ(sha512_final(ctx), kSha512Abc);
  // The same context, straight after a final: it must start a fresh digest (deps-notes.md).
  EXPECT_EQ(sha512_final(ctx), kSha512Empty);
  const auto two = bytes(
      "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmno"
      "pqrsmnopqrstnopqrstu");
  ASSERT_EQ(P().sha512_digest_update_func(ctx, two.data(), 50, P().user_data), 0);
  ASSERT_EQ(P().sha512_digest_update_func(ctx, two.data() + 50, two.size() - 50, P().user_data), 0);
  EXPECT_EQ(sha512_final(ctx), kSha512TwoBlock);
  ASSERT_EQ(P().sha512_digest_update_func(ctx, abc.data(), abc.size(), P().user_data), 0);
  EXPECT_EQ(sha512_final(ctx), kSha512Abc);
  P().sha512_digest_cleanup_func(ctx, P().user_data);
}

const auto kAesKey = unhex("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4");
const auto kPlain = unhex(
    "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e5130c81c46a35ce411e5fbc1191a0a52"
    "eff69f2445df4f9b17ad"
    "2b417be66c3710");

struct CipherOut {
  int rc;
  std::vector<std::uint8_t> data;
};
CipherOut run(bool enc, int mode, const std::vector<std::uint8_t>& key,
              const std::vector<std::uint8_t>& iv, const std::vector<std::uint8_t>& in) {
  signal_buffer* out = nullptr;
  auto fn = enc ? P().encrypt_func : P().decrypt_func;
  int rc = fn(&out, mode, key.data(), key.size(), iv.data(), iv.size(), in.data(), in.size(),
              P().user_data);
  Buffer owned(out);
  auto v = view(owned.get());
  return {rc, {v.begin(), v.end()}};
}

TEST(CryptoProvider, Aes256CbcSp80038a) {
  const auto iv = unhex("000102030405060708090a0b0c0d0e0f");
  const std::string expected =
      "f58c4c04d6e5f1ba779eabfb5f7bfbd69cfc4e967edb808d679f777bc6702c7d39f23369a9d9bacfa530e2630423"
      "1461b2eb05e2c39be9fcda"
      "6c19078c6a9d1b";
  auto enc = run(true, SG_CIPHER_AES_CBC_PKCS5, kAesKey, iv, kPlain);
  ASSERT_EQ(enc.rc, 0);
  // PKCS#5 padding appends one full block to a block-aligned plaintext; the first four are NIST's.
  ASSERT_EQ(enc.data.size(), kPlain.size() + 16);
  EXPECT_EQ(hex(std::span(enc.data).first(64)), expected);
  auto dec = run(false, SG_CIPHER_AES_CBC_PKCS5, kAesKey, iv, enc.data);
  ASSERT_EQ(dec.rc, 0);
  EXPECT_EQ(dec.data, kPlain);

  // Unaligned plaintext round trip, and a corrupted padding fails instead of returning garbage.
  const auto msg = bytes("seventeen bytes!!");
  auto e2 = run(true, SG_CIPHER_AES_CBC_PKCS5, kAesKey, iv, msg);
  ASSERT_EQ(e2.rc, 0);
  EXPECT_EQ(e2.data.size(), 32u);
  EXPECT_EQ(run(false, SG_CIPHER_AES_CBC_PKCS5, kAesKey, iv, e2.data).data, msg);
  auto bad = e2.data;
  bad.back() ^= 0x01;
  EXPECT_LT(run(false, SG_CIPHER_AES_CBC_PKCS5, kAesKey, iv, bad).rc, 0);
  // Cipher contexts are reused per thread: a failed decryption does not spoil the next one, and
  // encryption and decryption alternate on the same context.
  EXPECT_EQ(run(false, SG_CIPHER_AES_CBC_PKCS5, kAesKey, iv, e2.data).data, msg);
  auto e3 = run(true, SG_CIPHER_AES_CBC_PKCS5, kAesKey, iv, msg);
  EXPECT_EQ(e3.data, e2.data);
  auto empty = run(true, SG_CIPHER_AES_CBC_PKCS5, kAesKey, iv, {});
  ASSERT_EQ(empty.rc, 0);
  EXPECT_EQ(empty.data.size(), 16u);
  auto back = run(false, SG_CIPHER_AES_CBC_PKCS5, kAesKey, iv, empty.data);
  EXPECT_EQ(back.rc, 0);
  EXPECT_TRUE(back.data.empty());
}

TEST(CryptoProvider, Aes256CtrSp80038a) {
  const auto counter = unhex("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff");
  const std::string expected =
      "601ec313775789a5b7a7f504bbf3d228f443e3ca4d62b59aca84e990cacaf5c52b0930daa23de94ce87017ba2d84"
      "988ddfc9c58db67aada6"
      "13c2dd08457941a6";
  auto enc = run(true, SG_CIPHER_AES_CTR_NOPADDING, kAesKey, counter, kPlain);
  ASSERT_EQ(enc.rc, 0);
  EXPECT_EQ(hex(enc.data), expected);
  auto dec = run(false, SG_CIPHER_AES_CTR_NOPADDING, kAesKey, counter, enc.data);
  ASSERT_EQ(dec.rc, 0);
  EXPECT_EQ(dec.data, kPlain);
  // CTR keeps the length of partial blocks.
  const std::vector<std::uint8_t> five(kPlain.begin(), kPlain.begin() + 5);
  auto e5 = run(true, SG_CIPHER_AES_CTR_NOPADDING, kAesKey, counter, five);
  ASSERT_EQ(e5.rc, 0);
  EXPECT_EQ(hex(e5.data), expected.substr(0, 10));
}

TEST(CryptoProvider, RejectsBadParameters) {
  const auto iv = unhex("000102030405060708090a0b0c0d0e0f");
  EXPECT_EQ(run(true, SG_CIPHER_AES_CBC_PKCS5, unhex("0011"), iv, kPlain).rc, SG_ERR_INVAL);
  EXPECT_EQ(run(true, SG_CIPHER_AES_CBC_PKCS5, kAesKey, unhex("0011"), kPlain).rc, SG_ERR_INVAL);
  EXPECT_EQ(run(true, 99, kAesKey, iv, kPlain).rc, SG_ERR_INVAL);
}

TEST(CryptoProvider, RandomFillsBuffers) {
  std::vector<std::uint8_t> a(64, 0), b(64, 0);
  ASSERT_EQ(P().random_func(a.data(), a.size(), P().user_data), 0);
  ASSERT_EQ(P().random_func(b.data(), b.size(), P().user_data), 0);
  EXPECT_NE(a, b);
  EXPECT_NE(a, std::vector<std::uint8_t>(64, 0));
}

}  // namespace
