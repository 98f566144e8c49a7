#include "api/dashboard_routes.hpp"

#include <system_error>

#include "http/errors.hpp"

namespace gw::api {

namespace {

constexpr const char* kNotBuiltPage = R"html(<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>WhatsApp API Gateway</title></head>
<body>
<h1>WhatsApp API Gateway</h1>
<p>The dashboard is not built: run <code>make build</code> (or <code>npm ci &amp;&amp; npm run build
-w frontend</code>) and restart, or point <code>DASHBOARD_DIR</code> at a built one.</p>
<p>The API is served under <code>/api/v1</code>; health at <a href="/health">/health</a>,
metrics at <a href="/metrics">/metrics</a>.</p>
</body>
</html>
)html";

std::filesystem::path executable_dir() {
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::filesystem::path{} : exe.parent_path();
}

}  // namespace

std::filesystem::path resolve_dashboard_dir(const std::string& configured) {
  if (!configured.empty()) return configured;
  std::vector<std::filesystem::path> candidates;
  if (auto dir = executable_dir(); !dir.empty()) {
    candidates.push_back(dir / ".." / ".." / "frontend" / "dist");
    candidates.push_back(dir / ".." / "share" / "wa-gateway" / "dashboard");
  }
  candidates.emplace_back("frontend/dist");
  for (const auto& c : candidates) {
    std::error_code ec;
    if (std::filesystem::is_regular_file(c / "index.html", ec)) {
      return std::filesystem::weakly_canonical(c, ec);
    }
  }
  return {};
}

void register_dashboard_routes(http::Router& router, app::Context&, const http::StaticSite& site) {
  auto handler = [&site](http::Request& req) -> boost::asio::awaitable<http::Response> {
    if (site.has_index()) {
      if (auto res = site.serve(req)) co_return std::move(*res);
      throw http::ApiError(http::ErrorKind::not_found, "no such file: " + req.path);
    }
    if (req.path == "/") {
      http::Response res;
      res.content_type = "text/html; charset=utf-8";
      res.headers.set("Cache-Control", "no-cache");
      res.body = kNotBuiltPage;
      co_return res;
    }
    throw http::ApiError(http::ErrorKind::not_found, "no route for " + req.method + " " + req.path);
  };
  router.add("GET", "/", http::Access::public_route, handler);
  router.add("HEAD", "/", http::Access::public_route, handler);
  router.set_fallback(handler);
}

}  // namespace gw::api
