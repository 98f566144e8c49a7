// PIN generation (format, uniformity of the sampler) and the keyed hash stored in the database.
#include <gtest/gtest.h>

#include <array>
#include <map>
#include <set>
#include <vector>

#include "auth/crypto.hpp"
#include "auth/pin.hpp"

using namespace gw::auth;

TEST(Pin, GeneratedPinsHaveTheFormat) {
  for (int i = 0; i < 2000; ++i) {
    const auto pin = generate_pin();
    ASSERT_TRUE(is_valid_pin_format(pin)) << pin;
  }
}

TEST(Pin, GeneratedPinsAreDistinct) {
  std::set<std::string> seen;
  for (int i = 0; i < 2000; ++i) seen.insert(generate_pin());
  // 36^6 ≈ 2.2e9 PINs: a collision among 2000 has probability < 0.1 %.
  EXPECT_GE(seen.size(), 1999U);
}

TEST(Pin, AllCharactersOccurRoughlyEvenly) {
  std::map<char, int> counts;
  constexpr int kPins = 6000;  // 36,000 characters, 1,000 expected per symbol
  for (int i = 0; i < kPins; ++i) {
    for (const char c : generate_pin()) ++counts[c];
  }
  ASSERT_EQ(counts.size(), 36U);
  for (const auto& [c, n] : counts) {
    // ±25 % is > 7 standard deviations: a flaky failure is practically impossible.
    EXPECT_GT(n, 750) << c;
    EXPECT_LT(n, 1250) << c;
  }
}

TEST(Pin, SamplerRejectsBiasedBytes) {
  // Bytes 252..255 would make 0..3 ('A'..'D') more likely: they must be skipped.
  std::vector<std::uint8_t> stream = {255, 0, 254, 253, 252, 35, 36, 251, 7, 100};
  std::size_t pos = 0;
  const RandomFill fill = [&](std::span<std::uint8_t> out) {
    for (auto& b : out) b = pos < stream.size() ? stream[pos++] : 0;
  };
  // 0->'A', 35->'9', 36->'A', 251 % 36 = 35 -> '9', 7->'H', 100 % 36 = 28 -> '2'
  EXPECT_EQ(generate_pin(fill), "A9A9H2");
}

TEST(Pin, SamplerKeepsDrawingUntilEnoughAccepted) {
  int calls = 0;
  const RandomFill fill = [&](std::span<std::uint8_t> out) {
    ++calls;
    for (auto& b : out) b = calls < 3 ? 255 : 1;  // two whole buffers rejected
  };
  EXPECT_EQ(generate_pin(fill), "BBBBBB");
  EXPECT_EQ(calls, 3);
}

TEST(Pin, FormatCheck) {
  EXPECT_TRUE(is_valid_pin_format("A1B2C3"));
  EXPECT_TRUE(is_valid_pin_format("000000"));
  EXPECT_TRUE(is_valid_pin_format("ZZZZZZ"));
  EXPECT_FALSE(is_valid_pin_format(""));
  EXPECT_FALSE(is_valid_pin_format("A1B2C"));
  EXPECT_FALSE(is_valid_pin_format("A1B2C3D"));
  EXPECT_FALSE(is_valid_pin_format("a1b2c3"));
  EXPECT_FALSE(is_valid_pin_format("A1B2C "));
  EXPECT_FALSE(is_valid_pin_format("A1-2C3"));
  EXPECT_FALSE(is_valid_pin_format(std::string_view("A1B2\0C", 6)));
}

TEST(Pin, HashIsKeyedHmacHex) {
  // printf '%s' 'A1B2C3' | openssl dgst -sha256 -hmac 'pin-key'
  EXPECT_EQ(pin_hash("pin-key", "A1B2C3"),
            "2ecdd7a5a385dee3f3d442c1b810373b3f6f332c9f85ba5348fa0c191ae02db3");
  EXPECT_NE(pin_hash("other-key", "A1B2C3"), pin_hash("pin-key", "A1B2C3"));
  EXPECT_NE(pin_hash("pin-key", "A1B2C4"), pin_hash("pin-key", "A1B2C3"));
  EXPECT_EQ(pin_hash("pin-key", "A1B2C3").size(), 64U);
}

// --- crypto helpers ---------------------------------------------------------------------------

TEST(Crypto, HmacSha256Rfc4231) {
  // RFC 4231 test case 2.
  EXPECT_EQ(hex_encode(hmac_sha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  // Test case 1: key = 20 x 0x0b, data "Hi There".
  EXPECT_EQ(hex_encode(hmac_sha256(std::string(20, '\x0b'), "Hi There")),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  // Test case 6: a key longer than the block size.
  EXPECT_EQ(hex_encode(hmac_sha256(std::string(131, '\xaa'),
                                   "Test Using Larger Than Block-Size Key - Hash Key First")),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

TEST(Crypto, HmacEmptyKeyEqualsZeroKey) {
  // printf '' | openssl dgst -sha256 -mac HMAC -macopt hexkey:00
  EXPECT_EQ(hmac_sha256("", "abc"), hmac_sha256(std::string_view("\0", 1), "abc"));
  EXPECT_EQ(hex_encode(hmac_sha256("", "")),
            "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

TEST(Crypto, ConstantTimeEqual) {
  EXPECT_TRUE(constant_time_equal("", ""));
  EXPECT_TRUE(constant_time_equal("abc", "abc"));
  EXPECT_FALSE(constant_time_equal("abc", "abd"));
  EXPECT_FALSE(constant_time_equal("abc", "ab"));
  EXPECT_FALSE(constant_time_equal("", "a"));
}

TEST(Crypto, RandomBytes) {
  EXPECT_TRUE(random_bytes(0).empty());
  const auto a = random_bytes(32);
  const auto b = random_bytes(32);
  EXPECT_EQ(a.size(), 32U);
  EXPECT_NE(a, b);
}

TEST(Crypto, HexEncode) {
  EXPECT_EQ(hex_encode(std::string_view("\x00\x01\xab\xff", 4)), "0001abff");
  EXPECT_EQ(hex_encode(std::string_view()), "");
}

TEST(Crypto, Base64UrlRfc4648Vectors) {
  const std::pair<const char*, const char*> v[] = {
      {"", ""},           {"f", "Zg"},          {"fo", "Zm8"},         {"foo", "Zm9v"},
      {"foob", "Zm9vYg"}, {"fooba", "Zm9vYmE"}, {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, enc] : v) {
    EXPECT_EQ(base64url_encode(std::string_view(plain)), enc);
    EXPECT_EQ(base64url_decode(enc), std::string(plain));
  }
  EXPECT_EQ(base64url_encode(std::string_view("\xfb\xff\xfe", 3)), "-__-");
  EXPECT_EQ(base64url_decode("-__-"), std::string("\xfb\xff\xfe", 3));
}

TEST(Crypto, Base64UrlIsStrict) {
  EXPECT_FALSE(base64url_decode("Zg=="));   // padding
  EXPECT_FALSE(base64url_decode("Z"));      // impossible length
  EXPECT_FALSE(base64url_decode("Zm9v+"));  // standard alphabet
  EXPECT_FALSE(base64url_decode("Zm9/"));
  EXPECT_FALSE(base64url_decode("Zm 9v"));  // whitespace
  EXPECT_FALSE(base64url_decode("Zh"));     // non-zero unused bits ("Zg" is canonical)
  EXPECT_FALSE(base64url_decode("Zm9"));    // ditto ("Zm8")
  EXPECT_FALSE(base64url_decode(std::string_view("Zm\09v", 5)));
}

TEST(Crypto, Base64Standard) {
  EXPECT_EQ(base64_encode("A1B2C3:"), "QTFCMkMzOg==");
  EXPECT_EQ(base64_decode("QTFCMkMzOg=="), "A1B2C3:");
  EXPECT_EQ(base64_decode("Zm9vYmFy"), "foobar");
  EXPECT_EQ(base64_decode("Zm9vYmE="), "fooba");
  EXPECT_EQ(base64_decode(""), "");
  EXPECT_EQ(base64_decode("+/+/"), std::string("\xfb\xff\xbf", 3));
  EXPECT_FALSE(base64_decode("QTFCMkMzOg"));    // padding missing
  EXPECT_FALSE(base64_decode("QTFCMkMzOg="));   // wrong length
  EXPECT_FALSE(base64_decode("QTFCMkMzO==="));  // too much padding
  EXPECT_FALSE(base64_decode("QT=CMkMz"));      // padding inside
  EXPECT_FALSE(base64_decode("===="));
  EXPECT_FALSE(base64_decode("-_-_"));  // url alphabet
  EXPECT_FALSE(base64_decode("Zh=="));  // non-zero unused bits
}

TEST(Crypto, UuidV4) {
  const auto u = uuid_v4();
  ASSERT_EQ(u.size(), 36U);
  EXPECT_EQ(u[8], '-');
  EXPECT_EQ(u[13], '-');
  EXPECT_EQ(u[18], '-');
  EXPECT_EQ(u[23], '-');
  EXPECT_EQ(u[14], '4');
  EXPECT_NE(std::string("89ab").find(u[19]), std::string::npos);
  EXPECT_NE(uuid_v4(), u);
}
