// JSON request bodies: bounds, error messages, Content-Type.
#include "http/json_body.hpp"

#include <gtest/gtest.h>

#include <string>

using namespace gw::http;

namespace {
JsonBodyResult parse(std::string_view body, std::size_t max = 1024, int depth = 32) {
  return parse_json_body(body, max, depth);
}
}  // namespace

TEST(JsonBody, ParsesObject) {
  const auto r = parse(R"( {"pin":"A1B2C3","n":[1,2,{"x":null}]} )");
  ASSERT_TRUE(r.ok()) << r.message;
  EXPECT_EQ(r.value->at("pin").as_string(), "A1B2C3");
  EXPECT_TRUE(r.message.empty());
}

TEST(JsonBody, TooLargeIs413) {
  const std::string body = R"({"a":")" + std::string(100, 'x') + "\"}";
  const auto r = parse(body, 50);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error, JsonBodyError::too_large);
  EXPECT_EQ(http_status(r.error), 413);
  EXPECT_EQ(r.message, "body larger than 50 bytes");
  EXPECT_TRUE(parse(body, body.size()).ok());  // the bound is inclusive
}

TEST(JsonBody, DepthIsBounded) {
  auto nested = [](int n) {
    return std::string("{\"a\":") + std::string(static_cast<std::size_t>(n - 1), '[') + "1" +
           std::string(static_cast<std::size_t>(n - 1), ']') + "}";
  };
  EXPECT_TRUE(parse(nested(32), 1 << 20, 32).ok());
  const auto r = parse(nested(33), 1 << 20, 32);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error, JsonBodyError::too_deep);
  EXPECT_EQ(r.message, "JSON nesting deeper than 32 levels");
  EXPECT_EQ(http_status(r.error), 400);
  // Deep enough to overflow a naive recursive parser's stack.
  const auto deep = parse(std::string(100'000, '['), 1 << 20, 32);
  EXPECT_EQ(deep.error, JsonBodyError::too_deep);
}

TEST(JsonBody, SyntaxErrorNamesOffsetAndCharacter) {
  const auto r = parse(R"({"pin" "A1B2C3"})");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error, JsonBodyError::invalid);
  EXPECT_EQ(r.message, "invalid JSON at offset 7: syntax error (unexpected '\"')");
}

TEST(JsonBody, TruncatedInput) {
  const auto r = parse(R"({"pin":"A1B2)");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.message, "invalid JSON: unexpected end of input at offset 12");
}

TEST(JsonBody, TrailingData) {
  const auto r = parse(R"({"a":1} {"b":2})");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error, JsonBodyError::invalid);
  EXPECT_EQ(r.message, "invalid JSON at offset 8: unexpected data after the JSON value");
}

TEST(JsonBody, NonStandardSyntaxRefused) {
  for (std::string_view body :
       {std::string_view(R"({"a":1,})"), std::string_view(R"({"a":1 /* c */})"),
        std::string_view(R"({'a':1})"), std::string_view(R"({"a":NaN})"),
        std::string_view("{\"a\":\"\xff\"}"), std::string_view("{\"a\":\"\x01\"}")}) {
    const auto r = parse(body);
    EXPECT_FALSE(r.ok()) << body;
    EXPECT_EQ(r.error, JsonBodyError::invalid) << body;
  }
}

TEST(JsonBody, NumbersBeyondDoubleRangeRefused) {
  for (std::string_view body : {R"({"a":1e999})", R"({"a":[1,{"b":-2e22222222}]})"}) {
    const auto r = parse(body);
    ASSERT_FALSE(r.ok()) << body;
    EXPECT_EQ(r.error, JsonBodyError::invalid);
    EXPECT_EQ(r.message, "invalid JSON: number out of range");
  }
  EXPECT_TRUE(parse(R"({"a":1.7e308,"b":-1e-400,"c":18446744073709551616})").ok());
}

TEST(JsonBody, ControlByteIsShownAsHex) {
  const auto r = parse("{\"a\":\x01}");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.message, "invalid JSON at offset 5: syntax error (unexpected byte 0x01)");
}

TEST(JsonBody, EmptyBody) {
  for (std::string_view body : {std::string_view(""), std::string_view(" \r\n\t")}) {
    const auto r = parse(body);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error, JsonBodyError::empty);
  }
}

TEST(JsonBody, ObjectRequiredByDefault) {
  for (std::string_view body : {"[]", "1", "\"pin\"", "null", "true"}) {
    const auto r = parse(body);
    ASSERT_FALSE(r.ok()) << body;
    EXPECT_EQ(r.error, JsonBodyError::not_object);
    EXPECT_EQ(r.message, "expected a JSON object");
  }
  EXPECT_TRUE(parse_json_body("[1,2]", 100, 4, false).ok());
}

TEST(JsonBody, ErrorNames) {
  EXPECT_EQ(to_string(JsonBodyError::too_deep), "too_deep");
}

TEST(JsonContentType, Accepted) {
  for (const char* ct : {"application/json", "Application/JSON", "application/json; charset=utf-8",
                         "application/json;charset=UTF-8", "application/json ; charset = \"utf-8\"",
                         "  application/json  ", "application/json;"}) {
    EXPECT_TRUE(is_json_content_type(ct)) << ct;
  }
}

TEST(JsonContentType, Refused) {
  for (const char* ct :
       {"", "text/plain", "application/jsonx", "application/json-patch+json",
        "application/problem+json", "application/x-www-form-urlencoded", "multipart/form-data",
        "application/json; charset=latin1", "application/json; charset=utf-16",
        "application/json; boundary=x", "application/json; charset=utf-8; q=1",
        "application/json; charset", "application /json", "text/json", "*/*"}) {
    EXPECT_FALSE(is_json_content_type(ct)) << ct;
  }
}
