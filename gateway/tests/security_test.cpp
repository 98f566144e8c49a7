#include "http/security.hpp"

#include <gtest/gtest.h>

using namespace gw::http;

namespace {
Request with(std::initializer_list<std::pair<const char*, const char*>> headers,
             std::string method = "GET") {
  Request r;
  r.method = std::move(method);
  for (auto [k, v] : headers) r.headers.add(k, v);
  return r;
}
}  // namespace

TEST(Cors, EchoesOnlyAllowedOrigins) {
  CorsPolicy p({"https://a.example"});
  Response ok;
  p.apply(with({{"Origin", "https://a.example"}}), ok);
  EXPECT_EQ(ok.headers.get("Access-Control-Allow-Origin"), "https://a.example");
  EXPECT_EQ(ok.headers.get("Vary"), "Origin");
  Response no;
  p.apply(with({{"Origin", "https://b.example"}}), no);
  EXPECT_EQ(no.headers.get("Access-Control-Allow-Origin"), std::nullopt);
  Response none;
  p.apply(with({}), none);
  EXPECT_EQ(none.headers.get("Access-Control-Allow-Origin"), std::nullopt);
  EXPECT_FALSE(p.allows("*"));
}

TEST(Cors, Preflight) {
  CorsPolicy p({"https://a.example"});
  auto pre =
      with({{"Origin", "https://a.example"}, {"Access-Control-Request-Method", "POST"}}, "OPTIONS");
  EXPECT_TRUE(CorsPolicy::is_preflight(pre));
  EXPECT_FALSE(CorsPolicy::is_preflight(with({{"Origin", "https://a.example"}}, "OPTIONS")));
  EXPECT_EQ(p.preflight(pre).status, 204);
  EXPECT_NE(p.preflight(pre).headers.get("Access-Control-Allow-Methods")->find("POST"),
            std::string::npos);
  auto evil =
      with({{"Origin", "https://evil"}, {"Access-Control-Request-Method", "POST"}}, "OPTIONS");
  EXPECT_EQ(p.preflight(evil).status, 403);
}

TEST(SecurityHeaders, CspOnlyOnHtmlHstsOnlyOverTls) {
  Response json;
  json.content_type = "application/json";
  apply_security_headers(json, false);
  EXPECT_EQ(json.headers.get("X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(json.headers.get("Referrer-Policy"), "no-referrer");
  EXPECT_EQ(json.headers.get("X-Frame-Options"), "DENY");
  EXPECT_EQ(json.headers.get("Content-Security-Policy"), std::nullopt);
  EXPECT_EQ(json.headers.get("Strict-Transport-Security"), std::nullopt);
  Response html;
  html.content_type = "text/html; charset=utf-8";
  apply_security_headers(html, true);
  EXPECT_NE(html.headers.get("Content-Security-Policy")->find("frame-ancestors 'none'"),
            std::string::npos);
  EXPECT_NE(html.headers.get("Strict-Transport-Security"), std::nullopt);
}
