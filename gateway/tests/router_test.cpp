#include "http/router.hpp"

#include <gtest/gtest.h>

using gw::http::Access;
using gw::http::Router;

namespace {
gw::http::Handler noop() {
  return [](gw::http::Request&) -> boost::asio::awaitable<gw::http::Response> {
    co_return gw::http::Response{};
  };
}

Router sample() {
  Router r;
  r.add("GET", "/api/v1/sessions", Access::authenticated, noop());
  r.add("POST", "/api/v1/sessions", Access::authenticated, noop());
  r.add("GET", "/api/v1/sessions/:id", Access::authenticated, noop());
  r.add("DELETE", "/api/v1/sessions/:id", Access::authenticated, noop());
  r.add("GET", "/api/v1/sessions/:id/messages/:message_id", Access::authenticated, noop());
  r.add("GET", "/api/v1/sessions/stats", Access::authenticated, noop());
  r.add("GET", "/health", Access::public_route, noop());
  return r;
}
}  // namespace

TEST(Router, MatchesLiteralRoute) {
  auto r = sample();
  auto m = r.match("GET", "/health");
  ASSERT_EQ(m.outcome, Router::Outcome::found);
  EXPECT_EQ(m.route->pattern, "/health");
  EXPECT_EQ(m.route->access, Access::public_route);
  EXPECT_TRUE(m.params.empty());
}

TEST(Router, CapturesPathParameters) {
  auto r = sample();
  auto m = r.match("GET", "/api/v1/sessions/abc-123/messages/XYZ");
  ASSERT_EQ(m.outcome, Router::Outcome::found);
  EXPECT_EQ(m.pattern, "/api/v1/sessions/:id/messages/:message_id");
  ASSERT_EQ(m.params.size(), 2u);
  EXPECT_EQ(m.params[0], (std::pair<std::string, std::string>{"id", "abc-123"}));
  EXPECT_EQ(m.params[1], (std::pair<std::string, std::string>{"message_id", "XYZ"}));
}

TEST(Router, LiteralSegmentBeatsParameter) {
  auto r = sample();
  auto m = r.match("GET", "/api/v1/sessions/stats");
  ASSERT_EQ(m.outcome, Router::Outcome::found);
  EXPECT_EQ(m.route->pattern, "/api/v1/sessions/stats");
}

TEST(Router, UnknownPathIsNotFound) {
  auto r = sample();
  EXPECT_EQ(r.match("GET", "/nope").outcome, Router::Outcome::not_found);
  EXPECT_EQ(r.match("GET", "/api/v1/sessions/a/b").outcome, Router::Outcome::not_found);
  EXPECT_EQ(r.match("GET", "/healthz").outcome, Router::Outcome::not_found);
  EXPECT_EQ(r.match("GET", "/health/").outcome, Router::Outcome::not_found);
}

TEST(Router, EmptySegmentDoesNotMatchParameter) {
  auto r = sample();
  EXPECT_EQ(r.match("GET", "/api/v1/sessions/").outcome, Router::Outcome::not_found);
}

TEST(Router, WrongMethodIsMethodNotAllowedWithAllowList) {
  auto r = sample();
  auto m = r.match("PATCH", "/api/v1/sessions/42");
  ASSERT_EQ(m.outcome, Router::Outcome::method_not_allowed);
  EXPECT_EQ(m.pattern, "/api/v1/sessions/:id");
  EXPECT_EQ(m.allowed, (std::vector<std::string>{"GET", "DELETE"}));
  auto h = r.match("POST", "/health");
  EXPECT_EQ(h.outcome, Router::Outcome::method_not_allowed);
  EXPECT_EQ(h.allowed, (std::vector<std::string>{"GET"}));
}

TEST(Router, RejectsPatternWithoutSlash) {
  Router r;
  EXPECT_THROW(r.add("GET", "health", Access::public_route, noop()), std::invalid_argument);
}
