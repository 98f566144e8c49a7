// The dashboard's static files: path resolution (no traversal), content types, caching, gzip and
// the single-page-app fallback.
#include "http/static_site.hpp"

#include <gtest/gtest.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>

#include "http/security.hpp"

using namespace gw::http;

namespace {

Request get(std::string path, std::vector<std::pair<std::string, std::string>> headers = {}) {
  Request r;
  r.method = "GET";
  r.path = std::move(path);
  for (auto& [k, v] : headers) r.headers.set(k, v);
  return r;
}

std::string gunzip(const std::string& in) {
  z_stream zs{};
  inflateInit2(&zs, 15 + 16);
  std::string out(1 << 20, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(inflate(&zs, Z_FINISH), Z_STREAM_END);
  out.resize(zs.total_out);
  inflateEnd(&zs);
  return out;
}

StaticSite sample() {
  StaticSite s;
  s.add("index.html", "<!doctype html><title>x</title>" + std::string(400, ' '));
  s.add("assets/index-abc123.js", "console.log(1);" + std::string(2000, ';'));
  s.add("assets/index-abc123.css", "body{}");
  s.add("favicon.svg", "<svg/>");
  return s;
}

}  // namespace

TEST(StaticSite, FileNamesRefuseTraversalAndOddNames) {
  EXPECT_EQ(site_file_name("/"), "");
  EXPECT_EQ(site_file_name("/assets/a.js"), "assets/a.js");
  EXPECT_EQ(site_file_name("/analytics/1f0c"), "analytics/1f0c");
  EXPECT_EQ(site_file_name("/a%20b"), "a b");
  for (const char* bad : {"", "a", "/..", "/../etc/passwd", "/assets/../../x", "/%2e%2e/x",
                          "/%2E%2E%2Fx", "/assets%2fa.js", "/a%5cb", "/a\\b", "/.env",
                          "/assets/.hidden", "//x", "/a//b", "/a/", "/a/./b", "/a%00b", "/a%0ab"}) {
    EXPECT_EQ(site_file_name(bad), std::nullopt) << bad;
  }
  EXPECT_EQ(site_file_name("/" + std::string(kMaxSitePath, 'a')), std::nullopt);
}

TEST(StaticSite, ReservedPathsStayWithTheApi) {
  for (const char* p :
       {"/api", "/api/v1/nope", "/ws", "/ws/sessions/x", "/media/abc", "/metrics", "/health"}) {
    EXPECT_TRUE(is_reserved_path(p)) << p;
  }
  for (const char* p : {"/", "/dashboard", "/apis", "/wsx", "/healthy", "/login", "/assets/a.js"}) {
    EXPECT_FALSE(is_reserved_path(p)) << p;
  }
}

TEST(StaticSite, ContentTypes) {
  EXPECT_EQ(content_type_for("index.html"), "text/html; charset=utf-8");
  EXPECT_EQ(content_type_for("assets/a.js"), "application/javascript; charset=utf-8");
  EXPECT_EQ(content_type_for("assets/a.CSS"), "text/css; charset=utf-8");
  EXPECT_EQ(content_type_for("favicon.svg"), "image/svg+xml; charset=utf-8");
  EXPECT_EQ(content_type_for("x.woff2"), "font/woff2");
  EXPECT_EQ(content_type_for("x.exe"), "application/octet-stream");
  EXPECT_EQ(content_type_for("dir.js/file"), "application/octet-stream");
}

TEST(StaticSite, AcceptsGzip) {
  EXPECT_TRUE(accepts_gzip("gzip, deflate, br"));
  EXPECT_TRUE(accepts_gzip("br;q=1.0, GZIP;q=0.5"));
  EXPECT_FALSE(accepts_gzip("gzip;q=0"));
  EXPECT_FALSE(accepts_gzip("gzip;q=0.000"));
  EXPECT_FALSE(accepts_gzip("identity"));
  EXPECT_FALSE(accepts_gzip("xgzip"));
  EXPECT_FALSE(accepts_gzip(""));
}

TEST(StaticSite, HashedAssetsAreImmutableIndexIsNoCache) {
  auto site = sample();
  auto js = site.serve(get("/assets/index-abc123.js"));
  ASSERT_TRUE(js);
  EXPECT_EQ(js->status, 200);
  EXPECT_EQ(js->content_type, "application/javascript; charset=utf-8");
  EXPECT_EQ(js->headers.get("Cache-Control"), "public, max-age=31536000, immutable");
  EXPECT_EQ(js->headers.get("Content-Encoding"), std::nullopt);
  auto index = site.serve(get("/"));
  ASSERT_TRUE(index);
  EXPECT_EQ(index->content_type, "text/html; charset=utf-8");
  EXPECT_EQ(index->headers.get("Cache-Control"), "no-cache");
}

TEST(StaticSite, SpaFallbackOnlyForPages) {
  auto site = sample();
  for (const char* page : {"/dashboard", "/login", "/analytics/0b7e1c2a", "/sessions/x/detail"}) {
    auto r = site.serve(get(page));
    ASSERT_TRUE(r) << page;
    EXPECT_EQ(r->content_type, "text/html; charset=utf-8") << page;
  }
  // A missing asset or file-like name is a 404, never the app as HTML.
  EXPECT_FALSE(site.serve(get("/assets/index-old.js")));
  EXPECT_FALSE(site.serve(get("/assets/nothing")));
  EXPECT_FALSE(site.serve(get("/robots.txt")));
  EXPECT_FALSE(site.serve(get("/../etc/passwd")));
  EXPECT_FALSE(site.serve(get("/.env")));
}

TEST(StaticSite, GzipWhenAcceptedAndEtag) {
  auto site = sample();
  auto plain = site.serve(get("/assets/index-abc123.js"));
  auto gz = site.serve(get("/assets/index-abc123.js", {{"Accept-Encoding", "gzip, br"}}));
  ASSERT_TRUE(plain && gz);
  EXPECT_EQ(gz->headers.get("Content-Encoding"), "gzip");
  EXPECT_LT(gz->body.size(), plain->body.size());
  EXPECT_EQ(gunzip(gz->body), plain->body);
  EXPECT_EQ(gz->headers.get("Vary"), "Accept-Encoding");
  // Small files are not worth compressing.
  auto css = site.serve(get("/assets/index-abc123.css", {{"Accept-Encoding", "gzip"}}));
  EXPECT_EQ(css->headers.get("Content-Encoding"), std::nullopt);
  auto etag = std::string(*plain->headers.get("ETag"));
  auto again = site.serve(get("/assets/index-abc123.js", {{"If-None-Match", etag}}));
  EXPECT_EQ(again->status, 304);
  EXPECT_TRUE(again->body.empty());
}

TEST(StaticSite, LoadReadsRegularFilesOnly) {
  namespace fs = std::filesystem;
  auto dir = fs::temp_directory_path() / ("static-site-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir / "assets");
  std::ofstream(dir / "index.html") << "<!doctype html>";
  std::ofstream(dir / "assets" / "a.js") << "1";
  std::ofstream(dir / ".secret") << "x";
  fs::create_symlink("/etc", dir / "etc");
  auto site = StaticSite::load(dir);
  EXPECT_EQ(site.size(), 2U);
  EXPECT_TRUE(site.has_index());
  auto through_link = site.serve(get("/etc/passwd"));  // the app's page route, never the file
  ASSERT_TRUE(through_link);
  EXPECT_EQ(through_link->body, "<!doctype html>");
  EXPECT_FALSE(site.serve(get("/.secret")));
  EXPECT_TRUE(StaticSite::load(dir / "absent").empty());
  fs::remove_all(dir);
}

TEST(SecurityHeaders, DashboardCspIsStrict) {
  Response html;
  html.content_type = "text/html; charset=utf-8";
  apply_security_headers(html, false);
  const std::string csp(*html.headers.get("Content-Security-Policy"));
  EXPECT_NE(csp.find("script-src 'self';"), std::string::npos);
  EXPECT_NE(csp.find("connect-src 'self';"), std::string::npos);
  EXPECT_EQ(csp.find("unsafe-eval"), std::string::npos);
  EXPECT_EQ(csp.find("ws:"), std::string::npos);
}
