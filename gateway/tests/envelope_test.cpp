#include "http/envelope.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <limits>

#include "util/json_text.hpp"

using namespace gw::http;
namespace json = boost::json;

TEST(Envelope, SuccessCarriesDataAndMessage) {
  auto r = ok(json::object{{"user_id", "u1"}}, "done", 201);
  EXPECT_EQ(r.status, 201);
  EXPECT_EQ(r.content_type, "application/json");
  auto v = json::parse(r.body).as_object();
  EXPECT_EQ(v["success"], true);
  EXPECT_EQ(v["data"].as_object()["user_id"], "u1");
  EXPECT_EQ(v["message"], "done");
}

// Rates and percentages read as people write them (boost::json::serialize gives 9.51E1), and the
// text is the same JSON otherwise: it parses back to the value it was made from.
TEST(Envelope, NumbersAreWrittenPlainly) {
  auto r = ok(json::object{{"success_rate", 95.1}, {"uptime_percentage", 100.0}, {"n", 7}}, "x");
  EXPECT_NE(r.body.find("\"success_rate\":95.1,"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("\"uptime_percentage\":100,"), std::string::npos) << r.body;
  EXPECT_EQ(r.body.find('E'), std::string::npos) << r.body;
  EXPECT_EQ(gw::util::json_text(0.001), "0.001");
  EXPECT_EQ(gw::util::json_text(-2.5), "-2.5");
  EXPECT_EQ(gw::util::json_text(std::numeric_limits<double>::quiet_NaN()), "null");
  EXPECT_EQ(gw::util::json_text(std::numeric_limits<double>::infinity()), "null");

  json::value v = json::object{
      {"s", "quote \" backslash \\ control \x01 unicode \xc3\xa9 \xf0\x9f\x98\x80"},
      {"a", json::array{1, -1, 18446744073709551615ULL, -9223372036854775807LL - 1, 0.1, 1e21,
                        5e-324, 1.7976931348623157e308, true, false, nullptr}},
      {"o", json::object{{"", json::array{}}, {"k\n", json::object{}}}}};
  const auto text = gw::util::json_text(v);
  EXPECT_EQ(json::parse(text), v) << text;
  EXPECT_EQ(json::parse(text), json::parse(json::serialize(v)));
}

TEST(Envelope, SuccessWithoutDataOmitsIt) {
  auto v = json::parse(ok(nullptr, "Logout successful").body).as_object();
  EXPECT_FALSE(v.contains("data"));
  EXPECT_EQ(v["success"], true);
}

TEST(Envelope, ErrorShapeAndDetails) {
  auto r = error_response(ApiError(ErrorKind::validation, "invalid fields",
                                   json::object{{"session_name", "required"}}));
  EXPECT_EQ(r.status, 400);
  auto v = json::parse(r.body).as_object();
  EXPECT_EQ(v["success"], false);
  EXPECT_EQ(v["message"], "invalid fields");
  EXPECT_EQ(v["error"].as_object()["code"], "validation_failed");
  EXPECT_EQ(v["error"].as_object()["details"].as_object()["session_name"], "required");
}

TEST(Envelope, ErrorWithoutDetailsHasOnlyCode) {
  auto v = json::parse(error_response(ErrorKind::not_found, "no such session").body).as_object();
  EXPECT_EQ(v["error"].as_object().size(), 1u);
  EXPECT_EQ(v["error"].as_object()["code"], "not_found");
}

TEST(ErrorMapping, EveryKindHasItsStatus) {
  const std::pair<ErrorKind, int> expected[] = {
      {ErrorKind::bad_request, 400},       {ErrorKind::validation, 400},
      {ErrorKind::unauthorized, 401},      {ErrorKind::forbidden, 403},
      {ErrorKind::not_found, 404},         {ErrorKind::method_not_allowed, 405},
      {ErrorKind::request_timeout, 408},   {ErrorKind::conflict, 409},
      {ErrorKind::payload_too_large, 413}, {ErrorKind::unsupported_media_type, 415},
      {ErrorKind::headers_too_large, 431}, {ErrorKind::rate_limited, 429},
      {ErrorKind::internal, 500},          {ErrorKind::unavailable, 503},
      {ErrorKind::upgrade_required, 426},
  };
  for (auto [kind, status] : expected) {
    EXPECT_EQ(http_status(kind), status) << error_code(kind);
    EXPECT_FALSE(error_code(kind).empty());
  }
}

TEST(Message, QueryParamsArePercentDecoded) {
  Request r;
  r.query = "a=1&name=hello%20world&plus=a+b&flag&bad=%zz";
  EXPECT_EQ(r.query_param("a"), "1");
  EXPECT_EQ(r.query_param("name"), "hello world");
  EXPECT_EQ(r.query_param("plus"), "a b");
  EXPECT_EQ(r.query_param("flag"), "");
  EXPECT_EQ(r.query_param("bad"), "%zz");
  EXPECT_EQ(r.query_param("missing"), std::nullopt);
}

TEST(Message, HeadersAreCaseInsensitive) {
  Headers h;
  h.add("Content-Type", "application/json");
  EXPECT_EQ(h.get("content-type"), "application/json");
  h.set("CONTENT-TYPE", "text/plain");
  EXPECT_EQ(h.get("Content-Type"), "text/plain");
  EXPECT_EQ(h.all().size(), 1u);
  EXPECT_EQ(h.get("x-missing"), std::nullopt);
}
