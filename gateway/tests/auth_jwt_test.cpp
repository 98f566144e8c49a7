// HS256 JWT: known-answer vectors made outside our code, and every refusal path.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "auth/crypto.hpp"
#include "auth/jwt.hpp"

namespace jwt = gw::auth::jwt;
using jwt::Error;

namespace {

// The vectors below were produced independently of this code base with coreutils and the
// OpenSSL CLI (Debian 12, OpenSSL 3.0):
//   b64url() { base64 -w0 | tr '+/' '-_' | tr -d '='; }
//   secret='test-secret-that-is-at-least-32-chars!'
//   mk() { h=$(printf '%s' "$1" | b64url); p=$(printf '%s' "$2" | b64url)
//          s=$(printf '%s' "$h.$p" | openssl dgst -$3 -hmac "$secret" -binary | b64url)
//          echo "$h.$p.$s"; }
//   mk '{"alg":"HS256","typ":"JWT"}' '<payload>' sha256      (HS512: sha512)
// alg:none is "$h.$p." with an empty signature.
constexpr std::string_view kSecret = "test-secret-that-is-at-least-32-chars!";
constexpr std::int64_t kIat = 1700000000;
constexpr std::int64_t kExp = 1700086400;
constexpr std::string_view kJti = "0123456789abcdef0123456789abcdef";

// payload {"sub":"user-123","iat":1700000000,"exp":1700086400,"jti":"0123...cdef"}
constexpr std::string_view kValid =
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
    "eyJzdWIiOiJ1c2VyLTEyMyIsImlhdCI6MTcwMDAwMDAwMCwiZXhwIjoxNzAwMDg2NDAwLCJqdGkiOiIwMTIzNDU2Nzg5"
    "YWJjZGVmMDEyMzQ1Njc4OWFiY2RlZiJ9."
    "l_KpyUUVO55rRqA49jOaN0_ATsCRUxrHnilm-iDYjf4";
// Same payload, header {"alg":"HS512","typ":"JWT"}, signed with HMAC-SHA512.
constexpr std::string_view kHs512 =
    "eyJhbGciOiJIUzUxMiIsInR5cCI6IkpXVCJ9."
    "eyJzdWIiOiJ1c2VyLTEyMyIsImlhdCI6MTcwMDAwMDAwMCwiZXhwIjoxNzAwMDg2NDAwLCJqdGkiOiIwMTIzNDU2Nzg5"
    "YWJjZGVmMDEyMzQ1Njc4OWFiY2RlZiJ9."
    "8q-6JLQTVqMSje1XUV9n-jzMCNx0qFJZQp1pzzvvLZYKEVjkjIU1pMKIEMyvRqgm68HUTxbYs_pYDHt4mvZSig";
// Same payload, header {"alg":"none","typ":"JWT"}, no signature.
constexpr std::string_view kNone =
    "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0."
    "eyJzdWIiOiJ1c2VyLTEyMyIsImlhdCI6MTcwMDAwMDAwMCwiZXhwIjoxNzAwMDg2NDAwLCJqdGkiOiIwMTIzNDU2Nzg5"
    "YWJjZGVmMDEyMzQ1Njc4OWFiY2RlZiJ9.";
// payload {"sub":"user-123","iat":1700000000,"jti":"0123...cdef"} (no exp), correctly signed.
constexpr std::string_view kNoExp =
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
    "eyJzdWIiOiJ1c2VyLTEyMyIsImlhdCI6MTcwMDAwMDAwMCwianRpIjoiMDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlh"
    "YmNkZWYifQ."
    "nEwWSAmG97x_v4Wz5KQ89XuVR5NGbjzKw8rR4zH0LMg";
// header {"alg":"HS256"} (no typ), payload {"sub":"u","iat":1700000000,"exp":1700086400,"jti":"j"}
constexpr std::string_view kNoTyp =
    "eyJhbGciOiJIUzI1NiJ9."
    "eyJzdWIiOiJ1IiwiaWF0IjoxNzAwMDAwMDAwLCJleHAiOjE3MDAwODY0MDAsImp0aSI6ImoifQ."
    "SOTihz_LRN5sQ0WPMiPteJUErucYAMcM6_fJ_Sq_Qq8";
// payload with iat 1700001000 (1000 s after kIat), otherwise as kValid.
constexpr std::string_view kIatFuture =
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
    "eyJzdWIiOiJ1c2VyLTEyMyIsImlhdCI6MTcwMDAwMTAwMCwiZXhwIjoxNzAwMDg2NDAwLCJqdGkiOiIwMTIzNDU2Nzg5"
    "YWJjZGVmMDEyMzQ1Njc4OWFiY2RlZiJ9."
    "n7CjQOcp_EO4Iig2r8rtpYX6moB3CsqZ2iVU9I3PfI8";

// The well-known jwt.io example (secret "your-256-bit-secret"): a valid signature, but no exp.
constexpr std::string_view kJwtIo =
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
    "eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ."
    "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";

Error error_of(std::string_view token, std::string_view secret = kSecret,
               std::int64_t now = kIat + 10) {
  const auto r = jwt::verify(token, secret, now);
  EXPECT_FALSE(r.ok()) << "token unexpectedly accepted: " << token;
  return r.error;
}

std::string with_payload(std::string_view token, std::string_view payload_json) {
  const auto d1 = token.find('.');
  const auto d2 = token.rfind('.');
  return std::string(token.substr(0, d1 + 1)) + gw::auth::base64url_encode(payload_json) +
         std::string(token.substr(d2));
}

}  // namespace

TEST(Jwt, VerifiesIndependentVector) {
  const auto r = jwt::verify(kValid, kSecret, kIat + 10);
  ASSERT_TRUE(r.ok()) << jwt::to_string(r.error);
  EXPECT_EQ(r.claims->sub, "user-123");
  EXPECT_EQ(r.claims->iat, kIat);
  EXPECT_EQ(r.claims->exp, kExp);
  EXPECT_EQ(r.claims->jti, kJti);
}

TEST(Jwt, SignReproducesIndependentVectorByteForByte) {
  const jwt::Claims c{"user-123", kIat, kExp, std::string(kJti)};
  EXPECT_EQ(jwt::sign(c, kSecret), kValid);
}

TEST(Jwt, TypIsOptional) {
  const auto r = jwt::verify(kNoTyp, kSecret, kIat);
  ASSERT_TRUE(r.ok()) << jwt::to_string(r.error);
  EXPECT_EQ(r.claims->sub, "u");
}

TEST(Jwt, JwtIoExampleSignatureChecksButLacksExp) {
  EXPECT_EQ(error_of(kJwtIo, "your-256-bit-secret"), Error::missing_claim);
  EXPECT_EQ(error_of(kJwtIo, "another-secret"), Error::bad_signature);
}

TEST(Jwt, RoundTripWithFreshClaims) {
  const auto c = jwt::make_claims("42", 1'000'000, 86'400);
  EXPECT_EQ(c.exp, 1'086'400);
  EXPECT_EQ(c.jti.size(), 32U);
  const auto token = jwt::sign(c, kSecret);
  const auto r = jwt::verify(token, kSecret, 1'000'000);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.claims->sub, "42");
  EXPECT_EQ(r.claims->jti, c.jti);
}

TEST(Jwt, JtiIsUniqueHex) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    const auto j = jwt::new_jti();
    ASSERT_EQ(j.size(), 32U);
    ASSERT_EQ(j.find_first_not_of("0123456789abcdef"), std::string::npos);
    seen.insert(j);
  }
  EXPECT_EQ(seen.size(), 1000U);
}

TEST(Jwt, WrongSecretIsBadSignature) {
  EXPECT_EQ(error_of(kValid, "test-secret-that-is-at-least-32-chars?"), Error::bad_signature);
}

TEST(Jwt, TamperedPayloadIsBadSignature) {
  const auto forged = with_payload(
      kValid,
      R"({"sub":"admin","iat":1700000000,"exp":1700086400,"jti":"0123456789abcdef0123456789abcdef"})");
  EXPECT_EQ(error_of(forged), Error::bad_signature);
}

TEST(Jwt, TamperedSignatureIsBadSignature) {
  std::string t(kValid);
  t[t.size() - 5] = t[t.size() - 5] == 'A' ? 'B' : 'A';
  EXPECT_EQ(error_of(t), Error::bad_signature);
  // Truncated signature (40 chars, 30 bytes): decodes, but to the wrong length.
  EXPECT_EQ(error_of(kValid.substr(0, kValid.size() - 3)), Error::bad_signature);
  // Empty signature.
  EXPECT_EQ(error_of(kValid.substr(0, kValid.rfind('.') + 1)), Error::bad_signature);
}

TEST(Jwt, NonCanonicalSignatureEncodingIsRefused) {
  // The last char of a 43-char base64url signature carries 2 unused bits; setting them gives a
  // different string for the same bytes, which strict decoding refuses.
  std::string t(kValid);
  ASSERT_EQ(t.back(), '4');  // '4' = 56 = 0b111000, unused low bits 00
  t.back() = '5';
  EXPECT_EQ(error_of(t), Error::malformed);
}

TEST(Jwt, AlgNoneIsUnsupported) {
  EXPECT_EQ(error_of(kNone), Error::unsupported_alg);
}

TEST(Jwt, AlgHs512IsUnsupported) {
  EXPECT_EQ(error_of(kHs512), Error::unsupported_alg);
}

TEST(Jwt, OtherAlgsAreUnsupported) {
  for (const char* alg : {"RS256", "hs256", "HS256 ", "ES256", ""}) {
    const std::string h = gw::auth::base64url_encode(std::string(R"({"alg":")") + alg + "\"}");
    const std::string t = h + std::string(kValid.substr(kValid.find('.')));
    EXPECT_EQ(error_of(t), Error::unsupported_alg) << alg;
  }
}

TEST(Jwt, BadHeaders) {
  const std::string rest(kValid.substr(kValid.find('.')));
  for (const char* header :
       {R"({"typ":"JWT"})", R"({"alg":256})", R"(["HS256"])", R"({"alg":"HS256","typ":"JWS"})",
        R"({"alg":"HS256","typ":1})", R"({"alg":"HS256","crit":["exp"]})", "not json",
        R"({"alg":"HS256")"}) {
    EXPECT_EQ(error_of(gw::auth::base64url_encode(header) + rest), Error::bad_header) << header;
  }
}

TEST(Jwt, MissingExpIsMissingClaim) {
  EXPECT_EQ(error_of(kNoExp), Error::missing_claim);
}

TEST(Jwt, ClaimsOfWrongTypeAreMissing) {
  const std::string secret(kSecret);
  for (const char* payload :
       {R"({"sub":"u","iat":1,"exp":"1700086400","jti":"j"})",
        R"({"sub":"u","iat":1,"exp":1700086400.5,"jti":"j"})",
        R"({"sub":"","iat":1,"exp":1700086400,"jti":"j"})",
        R"({"sub":7,"iat":1,"exp":1700086400,"jti":"j"})",
        R"({"sub":"u","exp":1700086400,"jti":"j"})", R"({"sub":"u","iat":1,"exp":1700086400})",
        R"({"sub":"u","iat":1,"exp":18446744073709551615,"jti":"j"})"}) {
    // Sign by hand so that only the claims are at fault.
    const std::string input = gw::auth::base64url_encode(std::string_view(R"({"alg":"HS256"})")) +
                              "." + gw::auth::base64url_encode(std::string_view(payload));
    const std::string token =
        input + "." + gw::auth::base64url_encode(gw::auth::hmac_sha256(secret, input));
    EXPECT_EQ(error_of(token), Error::missing_claim) << payload;
  }
}

TEST(Jwt, ExpiryUsesInjectedClock) {
  EXPECT_TRUE(jwt::verify(kValid, kSecret, kExp - 1).ok());
  EXPECT_EQ(error_of(kValid, kSecret, kExp), Error::expired);
  EXPECT_EQ(error_of(kValid, kSecret, kExp + 3600), Error::expired);
}

TEST(Jwt, IssuedInTheFutureBeyondSkew) {
  // iat = kIat + 1000: fine from kIat + 940 on (60 s skew), refused before.
  EXPECT_TRUE(jwt::verify(kIatFuture, kSecret, kIat + 1000 - 60).ok());
  EXPECT_EQ(error_of(kIatFuture, kSecret, kIat + 1000 - 61), Error::not_yet_valid);
  EXPECT_EQ(error_of(kIatFuture, kSecret, kIat), Error::not_yet_valid);
}

TEST(Jwt, GarbageIsMalformed) {
  for (std::string_view t :
       {std::string_view(""), std::string_view("."), std::string_view(".."),
        std::string_view("abc"), std::string_view("a.b"), std::string_view("a.b.c.d"),
        std::string_view("!!!.eyJ9.abc"), std::string_view(".eyJzdWIiOiJ1In0.abc"),
        std::string_view("eyJhbGciOiJIUzI1NiJ9..abc"),
        std::string_view("eyJhbGciOiJIUzI1NiJ9=.e30.abc"),
        std::string_view("eyJhbGciOiJIUzI1NiJ9.e30.a b")}) {
    EXPECT_EQ(error_of(t), Error::malformed) << t;
  }
}

TEST(Jwt, OverlongTokenIsMalformedWithoutDecoding) {
  std::string t(kValid);
  t.insert(t.find('.') + 1, jwt::kMaxTokenLength, 'A');
  EXPECT_EQ(error_of(t), Error::malformed);
}

TEST(Jwt, PayloadNotAnObjectAfterGoodSignatureIsMalformed) {
  const std::string secret(kSecret);
  const std::string input = gw::auth::base64url_encode(std::string_view(R"({"alg":"HS256"})")) +
                            "." + gw::auth::base64url_encode(std::string_view("[1,2]"));
  const std::string token =
      input + "." + gw::auth::base64url_encode(gw::auth::hmac_sha256(secret, input));
  EXPECT_EQ(error_of(token), Error::malformed);
}

TEST(Jwt, ErrorNames) {
  EXPECT_EQ(jwt::to_string(Error::bad_signature), "bad_signature");
  EXPECT_EQ(jwt::to_string(Error::not_yet_valid), "not_yet_valid");
}
