// Authorization header parsing: Basic (login) and Bearer (JWT).
#include <gtest/gtest.h>

#include <string>

#include "auth/basic_auth.hpp"
#include "auth/crypto.hpp"

using namespace gw::auth;

namespace {

BasicAuthError error_of(std::string_view header) {
  const auto r = parse_basic_auth(header);
  EXPECT_FALSE(r.ok()) << "accepted: " << header;
  return r.error;
}

std::string basic(std::string_view user_pass) {
  return "Basic " + base64_encode(user_pass);
}

}  // namespace

TEST(BasicAuth, CurlPinWithEmptyPassword) {
  // curl -u "A1B2C3:" sends exactly this header.
  const auto r = parse_basic_auth("Basic QTFCMkMzOg==");
  ASSERT_TRUE(r.ok()) << to_string(r.error);
  EXPECT_EQ(r.credentials->user, "A1B2C3");
  EXPECT_EQ(r.credentials->password, "");
}

TEST(BasicAuth, RfcExample) {
  // RFC 7617 §2: Aladdin / open sesame.
  const auto r = parse_basic_auth("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.credentials->user, "Aladdin");
  EXPECT_EQ(r.credentials->password, "open sesame");
}

TEST(BasicAuth, SchemeIsCaseInsensitiveAndSpacesTolerated) {
  for (const char* h : {"basic QTFCMkMzOg==", "BASIC QTFCMkMzOg==", "bAsIc   QTFCMkMzOg==",
                        "  Basic QTFCMkMzOg==  ", "\tBasic QTFCMkMzOg==\t"}) {
    const auto r = parse_basic_auth(h);
    ASSERT_TRUE(r.ok()) << h;
    EXPECT_EQ(r.credentials->user, "A1B2C3");
  }
}

TEST(BasicAuth, PasswordMayContainColons) {
  const auto r = parse_basic_auth(basic("user:pa:ss:"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.credentials->user, "user");
  EXPECT_EQ(r.credentials->password, "pa:ss:");
}

TEST(BasicAuth, Utf8PassesThrough) {
  const auto r = parse_basic_auth(basic("t\xc3\xa9st:p\xc3\xa4ss"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.credentials->user, "t\xc3\xa9st");
}

TEST(BasicAuth, EmptyUserIsParsedNotJudged) {
  // Whether an empty PIN is acceptable is the login handler's business (it is not: 401).
  const auto r = parse_basic_auth(basic(":"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.credentials->user, "");
}

TEST(BasicAuth, Refusals) {
  EXPECT_EQ(error_of(""), BasicAuthError::empty);
  EXPECT_EQ(error_of("   "), BasicAuthError::empty);
  EXPECT_EQ(error_of("Basic"), BasicAuthError::wrong_scheme);
  EXPECT_EQ(error_of("Basic "), BasicAuthError::wrong_scheme);
  EXPECT_EQ(error_of("BasicQTFCMkMzOg=="), BasicAuthError::wrong_scheme);
  EXPECT_EQ(error_of("Bearer QTFCMkMzOg=="), BasicAuthError::wrong_scheme);
  EXPECT_EQ(error_of("Basi QTFCMkMzOg=="), BasicAuthError::wrong_scheme);
  EXPECT_EQ(error_of("Digest username=x"), BasicAuthError::wrong_scheme);
  EXPECT_EQ(error_of("Basic\tQTFCMkMzOg=="), BasicAuthError::wrong_scheme);
  EXPECT_EQ(error_of("Basic QTFCMkMzOg"), BasicAuthError::bad_base64);
  EXPECT_EQ(error_of("Basic QTFC MkMzOg=="), BasicAuthError::bad_base64);
  EXPECT_EQ(error_of("Basic !!!!"), BasicAuthError::bad_base64);
  EXPECT_EQ(error_of("Basic QTFCMkMzOg==, Basic QTFCMkMzOg=="), BasicAuthError::bad_base64);
  EXPECT_EQ(error_of(basic("A1B2C3")), BasicAuthError::missing_colon);
  EXPECT_EQ(error_of(basic("")), BasicAuthError::wrong_scheme);  // "Basic " + nothing
  EXPECT_EQ(error_of(basic("A1B2C3\n:")), BasicAuthError::control_char);
  EXPECT_EQ(error_of(basic("A1B2C3:\x7f")), BasicAuthError::control_char);
  EXPECT_EQ(error_of(basic(std::string_view("A1\0B2C3:", 8))), BasicAuthError::control_char);
}

TEST(BasicAuth, LengthIsBounded) {
  const std::string long_user(kMaxAuthorizationLength, 'A');
  EXPECT_EQ(error_of(basic(long_user + ":")), BasicAuthError::too_long);
  std::string padded = "Basic QTFCMkMzOg==";
  padded.append(kMaxAuthorizationLength, ' ');
  EXPECT_EQ(error_of(padded), BasicAuthError::too_long);
}

TEST(BasicAuth, ErrorNames) {
  EXPECT_EQ(to_string(BasicAuthError::missing_colon), "missing_colon");
}

TEST(Bearer, ExtractsToken) {
  EXPECT_EQ(bearer_token("Bearer abc.def.ghi"), "abc.def.ghi");
  EXPECT_EQ(bearer_token("bearer abc.def.ghi"), "abc.def.ghi");
  EXPECT_EQ(bearer_token("  BEARER   a-b_c~d+e/f==  "), "a-b_c~d+e/f==");
}

TEST(Bearer, Refusals) {
  for (const char* h :
       {"", "Bearer", "Bearer ", "Bearer    ", "Basic abc", "Bearerabc", "Bearer abc def",
        "Bearer abc,def", "Bearer =abc", "Bearer ab=c", "Bearer abc\x01", "Token abc"}) {
    EXPECT_FALSE(bearer_token(h).has_value()) << h;
  }
  EXPECT_FALSE(bearer_token("Bearer " + std::string(kMaxAuthorizationLength, 'a')).has_value());
}

TEST(Bearer, ReturnsViewIntoInput) {
  const std::string h = "Bearer tok";
  const auto t = bearer_token(h);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->data(), h.data() + 7);
}
