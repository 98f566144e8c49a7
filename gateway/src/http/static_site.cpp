#include "http/static_site.hpp"

#include <zlib.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <functional>
#include <sstream>
#include <stdexcept>

namespace gw::http {

namespace {

bool starts_with_segment(std::string_view path, std::string_view prefix) {
  if (path.substr(0, prefix.size()) != prefix) return false;
  return path.size() == prefix.size() || path[prefix.size()] == '/';
}

bool ieq(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i] >= 'A' && a[i] <= 'Z' ? static_cast<char>(a[i] + 32) : a[i];
    char y = b[i] >= 'A' && b[i] <= 'Z' ? static_cast<char>(b[i] + 32) : b[i];
    if (x != y) return false;
  }
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Hashed bundles: their name changes with their content, so they may be cached for good.
bool is_immutable(std::string_view name) {
  return name.substr(0, 7) == "assets/";
}

bool is_compressible(std::string_view type) {
  return type.substr(0, 5) == "text/" || type.substr(0, 22) == "application/javascript" ||
         type.substr(0, 16) == "application/json" || type.substr(0, 13) == "image/svg+xml" ||
         type.substr(0, 25) == "application/manifest+json";
}

std::string etag_of(std::string_view body) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "\"%016zx-%zx\"", std::hash<std::string_view>{}(body),
                body.size());
  return buf;
}

}  // namespace

std::optional<std::string> site_file_name(std::string_view path) {
  if (path.size() > kMaxSitePath || path.empty() || path.front() != '/') return std::nullopt;
  // An encoded separator would smuggle a segment boundary past the checks below.
  for (std::size_t i = 0; i + 2 < path.size(); ++i) {
    if (path[i] != '%') continue;
    const std::string_view esc = path.substr(i + 1, 2);
    if (ieq(esc, "2f") || ieq(esc, "5c")) return std::nullopt;
  }
  std::string decoded = percent_decode(path.substr(1), false);
  if (decoded.empty()) return decoded;
  std::string_view rest = decoded;
  while (true) {
    const auto slash = rest.find('/');
    const std::string_view seg = rest.substr(0, slash);
    // Empty, ".", ".." and hidden segments; a trailing '/' leaves an empty one too.
    if (seg.empty() || seg.front() == '.') return std::nullopt;
    for (unsigned char c : seg) {
      if (c < 0x20 || c == 0x7f || c == '\\') return std::nullopt;
    }
    if (slash == std::string_view::npos) break;
    rest.remove_prefix(slash + 1);
  }
  return decoded;
}

bool is_reserved_path(std::string_view path) noexcept {
  for (std::string_view p : {"/api", "/ws", "/media", "/metrics", "/health"}) {
    if (starts_with_segment(path, p)) return true;
  }
  return false;
}

std::string_view content_type_for(std::string_view file_name) noexcept {
  struct Entry {
    std::string_view ext, type;
  };
  static constexpr std::array<Entry, 17> kTypes{{
      {".html", "text/html; charset=utf-8"},
      {".js", "application/javascript; charset=utf-8"},
      {".mjs", "application/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json; charset=utf-8"},
      {".map", "application/json; charset=utf-8"},
      {".webmanifest", "application/manifest+json; charset=utf-8"},
      {".svg", "image/svg+xml; charset=utf-8"},
      {".png", "image/png"},
      {".jpg", "image/jpeg"},
      {".jpeg", "image/jpeg"},
      {".gif", "image/gif"},
      {".webp", "image/webp"},
      {".ico", "image/x-icon"},
      {".woff2", "font/woff2"},
      {".woff", "font/woff"},
      {".txt", "text/plain; charset=utf-8"},
  }};
  const auto dot = file_name.rfind('.');
  const auto slash = file_name.rfind('/');
  if (dot == std::string_view::npos || (slash != std::string_view::npos && dot < slash)) {
    return "application/octet-stream";
  }
  const std::string_view ext = file_name.substr(dot);
  for (const auto& e : kTypes) {
    if (ieq(e.ext, ext)) return e.type;
  }
  return "application/octet-stream";
}

bool accepts_gzip(std::string_view header) noexcept {
  while (!header.empty()) {
    const auto comma = header.find(',');
    std::string_view item = header.substr(0, comma);
    header = comma == std::string_view::npos ? std::string_view{} : header.substr(comma + 1);
    const auto semi = item.find(';');
    const std::string_view coding = trim(item.substr(0, semi));
    if (!ieq(coding, "gzip")) continue;
    if (semi == std::string_view::npos) return true;
    std::string_view params = trim(item.substr(semi + 1));
    // "q=0", "q=0.0", "q=0.00", "q=0.000" refuse it.
    if (params.substr(0, 2) == "q=" || params.substr(0, 2) == "Q=") {
      std::string_view q = params.substr(2);
      bool zero = !q.empty() && q.front() == '0';
      for (std::size_t i = 1; zero && i < q.size(); ++i) zero = q[i] == '0' || q[i] == '.';
      return !zero;
    }
    return true;
  }
  return false;
}

std::string gzip_compress(std::string_view data) {
  z_stream zs{};
  // 15 window bits + 16: a gzip header and trailer instead of zlib's.
  if (deflateInit2(&zs, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) != Z_OK) {
    throw std::runtime_error("deflateInit2 failed");
  }
  std::string out(deflateBound(&zs, static_cast<uLong>(data.size())) + 32, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&zs, Z_FINISH);
  const auto written = zs.total_out;
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) throw std::runtime_error("gzip: deflate did not finish");
  out.resize(written);
  return out;
}

void StaticSite::add(std::string name, std::string body) {
  File f;
  f.content_type = std::string(content_type_for(name));
  f.etag = etag_of(body);
  if (is_compressible(f.content_type) && body.size() >= 256) {
    f.gzip = gzip_compress(body);
    if (f.gzip.size() + 64 >= body.size()) f.gzip.clear();
  }
  f.body = std::move(body);
  files_[std::move(name)] = std::move(f);
}

StaticSite StaticSite::load(const std::filesystem::path& dir) {
  namespace fs = std::filesystem;
  StaticSite site;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return site;
  std::size_t total = 0;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    // Regular files only; a symlink is neither read nor descended into.
    if (it->is_symlink() || !it->is_regular_file()) continue;
    const std::string name = fs::relative(it->path(), dir).generic_string();
    if (!site_file_name("/" + name)) continue;  // hidden files and odd names are not served
    std::ifstream in(it->path(), std::ios::binary);
    std::ostringstream body;
    body << in.rdbuf();
    if (!in) throw std::runtime_error("cannot read " + it->path().string());
    total += body.str().size();
    if (total > kMaxSiteBytes) {
      throw std::runtime_error("dashboard directory " + dir.string() + " is larger than 64 MiB");
    }
    site.add(name, body.str());
  }
  if (ec) throw std::runtime_error("cannot list " + dir.string() + ": " + ec.message());
  return site;
}

Response StaticSite::answer(const Request& req, const std::string& name, const File& f) const {
  Response res;
  res.headers.set("Cache-Control",
                  is_immutable(name) ? "public, max-age=31536000, immutable" : "no-cache");
  res.headers.set("ETag", f.etag);
  res.headers.add("Vary", "Accept-Encoding");
  if (auto inm = req.headers.get("If-None-Match"); inm && *inm == f.etag) {
    res.status = 304;
    return res;
  }
  res.content_type = f.content_type;
  const bool gz = !f.gzip.empty() && accepts_gzip(req.headers.get("Accept-Encoding").value_or(""));
  if (gz) res.headers.set("Content-Encoding", "gzip");
  res.body = gz ? f.gzip : f.body;
  return res;
}

std::optional<Response> StaticSite::serve(const Request& req) const {
  const auto name = site_file_name(req.path);
  if (!name) return std::nullopt;
  if (!name->empty()) {
    if (auto it = files_.find(*name); it != files_.end()) return answer(req, it->first, it->second);
    // A missing asset (a name with an extension, or anything under assets/) is a 404, not the
    // app: a stale bundle must fail loudly rather than be parsed as HTML.
    const auto slash = name->rfind('/');
    const std::string_view last =
        std::string_view(*name).substr(slash == std::string::npos ? 0 : slash + 1);
    if (is_immutable(*name) || last.find('.') != std::string_view::npos) return std::nullopt;
  }
  auto it = files_.find("index.html");
  if (it == files_.end()) return std::nullopt;
  return answer(req, it->first, it->second);
}

}  // namespace gw::http
