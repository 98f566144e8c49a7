// Fuzzes the dashboard's path resolver (any request path from the network) and Accept-Encoding.
// Invariants: no crash; a resolved name is relative, has no empty, ".", ".." or hidden segment, no
// backslash or control byte; resolving "/" + name gives the name back when it has no '%' (a
// decoded '%' may form a new escape); serving any path from a small site never crashes and
// answers only one of its files.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "http/static_site.hpp"

namespace {
void check(bool ok) {
  if (!ok) std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  if (auto name = gw::http::site_file_name(in)) {
    check(name->empty() || name->front() != '/');
    std::string_view rest = *name;
    while (!rest.empty()) {
      const auto slash = rest.find('/');
      const std::string_view seg = rest.substr(0, slash);
      check(!seg.empty() && seg.front() != '.');
      for (unsigned char c : seg) check(c >= 0x20 && c != 0x7f && c != '\\');
      if (slash == std::string_view::npos) break;
      rest.remove_prefix(slash + 1);
    }
    if (name->find('%') == std::string::npos) check(gw::http::site_file_name("/" + *name) == name);
  }
  (void)gw::http::accepts_gzip(in);
  (void)gw::http::is_reserved_path(in);
  (void)gw::http::content_type_for(in);

  static const gw::http::StaticSite site = [] {
    gw::http::StaticSite s;
    s.add("index.html", "<!doctype html>");
    s.add("assets/a.js", "1");
    return s;
  }();
  gw::http::Request req;
  req.method = "GET";
  req.path = std::string(in);
  if (auto res = site.serve(req)) check(res->body == "<!doctype html>" || res->body == "1");
  return 0;
}
