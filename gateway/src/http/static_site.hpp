#pragma once
// The built dashboard (frontend/dist), served from memory: every file is read once at start-up,
// so a request can only ever name a file that was in the directory then — no path reaches the
// file system, and "../" has nothing to climb. Unknown paths that look like pages get index.html
// (the single-page app routes them); hashed assets under /assets/ are cached for a year.
// Thread safety: load() before the server starts; serve() is const and safe from any thread.
#include <cstddef>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "http/message.hpp"

namespace gw::http {

/// The site-relative file a request path names ("/assets/a.js" -> "assets/a.js", "/" -> ""),
/// after percent-decoding. nullopt for anything that is not a plain relative name: "." or ".."
/// segments, hidden segments (".env"), empty segments ("//"), backslashes, NUL or other control
/// bytes, an encoded '/', or more than kMaxSitePath bytes.
std::optional<std::string> site_file_name(std::string_view path);
inline constexpr std::size_t kMaxSitePath = 512;

/// Paths the dashboard never answers: the API, WebSockets, media, metrics and health keep their
/// own routes and their JSON 404.
bool is_reserved_path(std::string_view path) noexcept;

/// Content-Type by file extension (text types with charset=utf-8); application/octet-stream
/// when unknown.
std::string_view content_type_for(std::string_view file_name) noexcept;

/// Whether an Accept-Encoding header value accepts gzip (a "gzip" token without q=0).
bool accepts_gzip(std::string_view accept_encoding) noexcept;

/// gzip (RFC 1952) of `data` at the best compression level.
std::string gzip_compress(std::string_view data);

class StaticSite {
 public:
  /// Reads every regular file under `dir` (symlinks are not followed out of it). An absent
  /// directory gives an empty site. Throws std::runtime_error when a file cannot be read or the
  /// site is larger than kMaxSiteBytes.
  static StaticSite load(const std::filesystem::path& dir);
  static constexpr std::size_t kMaxSiteBytes = std::size_t{64} * 1024 * 1024;

  /// Adds one file (tests; load() uses it too).
  void add(std::string name, std::string body);

  [[nodiscard]] bool empty() const noexcept { return files_.empty(); }
  [[nodiscard]] bool has_index() const noexcept { return files_.count("index.html") != 0; }
  [[nodiscard]] std::size_t size() const noexcept { return files_.size(); }

  /// The answer to a GET or HEAD of `req.path`: the file, index.html for a page route, or nullopt
  /// for a path that names no file and is not a page (a missing asset, a bad name): the caller
  /// answers 404.
  [[nodiscard]] std::optional<Response> serve(const Request& req) const;

 private:
  struct File {
    std::string body;
    std::string gzip;  // empty when compressing does not pay
    std::string content_type;
    std::string etag;
  };
  Response answer(const Request& req, const std::string& name, const File& f) const;
  std::map<std::string, File, std::less<>> files_;
};

}  // namespace gw::http
