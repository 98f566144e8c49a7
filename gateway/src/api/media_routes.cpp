#include "api/media_routes.hpp"

#include <boost/json/object.hpp>
#include <filesystem>

#include "http/envelope.hpp"
#include "log/log.hpp"
#include "media/range.hpp"

namespace gw::api {

namespace {

namespace json = boost::json;
using media::RangeRequest;

// Served inline (a browser may show them); anything else, HTML and SVG included, is a download.
bool shown_inline(std::string_view mimetype) {
  const std::string_view bare = mimetype.substr(0, mimetype.find(';'));
  return bare == "image/jpeg" || bare == "image/png" || bare == "image/gif" ||
         bare == "image/webp" || bare.starts_with("audio/") || bare.starts_with("video/");
}

// RFC 8187 attr-char: ALPHA / DIGIT / "!" / "#" / "$" / "&" / "+" / "-" / "." / "^" / "_" /
// "`" / "|" / "~"; every other byte is percent-encoded.
std::string ext_value(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                       std::string_view("!#$&+-.^_`|~").find(ch) != std::string_view::npos;
    if (plain) {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xF]);
    }
  }
  return out;
}

// ASCII stand-in for clients that ignore filename*: printable ASCII except '"' and '\'.
std::string ascii_fallback(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      while (i + 1 < s.size() && (static_cast<unsigned char>(s[i + 1]) & 0xC0) == 0x80) ++i;
      out.push_back('_');
    } else if (c < 0x20 || c == 0x7F || c == '"' || c == '\\') {
      out.push_back('_');
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  return out;
}

[[noreturn]] void forbidden(const std::string& message) {
  throw http::ApiError(http::ErrorKind::forbidden, message);
}

[[noreturn]] void not_found() {
  throw http::ApiError(http::ErrorKind::not_found, "media not found");
}

// What the handler learns on the blocking pool.
struct Lookup {
  std::optional<media::MediaRecord> record;
  RangeRequest range;
  bool file_missing = false;
  std::string bytes;
};

}  // namespace

std::string content_disposition(std::string_view file_name, std::string_view mimetype) {
  return std::string(shown_inline(mimetype) ? "inline" : "attachment") + "; filename=\"" +
         ascii_fallback(file_name) + "\"; filename*=UTF-8''" + ext_value(file_name);
}

http::ApiError media_url_error(const webhooks::FetchResult& result, std::size_t max_bytes) {
  using webhooks::FetchError;
  if (result.error == FetchError::too_large) {
    return http::ApiError(http::ErrorKind::payload_too_large,
                          "media_url: the file is larger than MEDIA_MAX_BYTES (" +
                              std::to_string(max_bytes) + " bytes)",
                          json::object{{"media_url", result.message}});
  }
  std::string what;
  switch (result.error) {
    case FetchError::invalid_url:
      what = "is not a usable http(s) URL";
      break;
    case FetchError::refused_address:
      what = "points at an address the gateway may not reach";
      break;
    case FetchError::timeout:
      what = "did not download in time";
      break;
    case FetchError::http_status:
      what = "answered HTTP " + std::to_string(result.status);
      break;
    case FetchError::too_many_redirects:
      what = "redirects too many times";
      break;
    default:
      what = "could not be downloaded";
      break;
  }
  return http::ApiError(http::ErrorKind::validation, "media_url " + what,
                        json::object{{"media_url", result.message}});
}

void register_media_routes(http::Router& router, app::Context& ctx, const media::Store& store,
                           const media::UrlSigner& signer) {
  using Res = boost::asio::awaitable<http::Response>;
  auto serve = [&ctx, &store, &signer](http::Request& req) -> Res {
    const bool head = req.method == "HEAD";
    const std::string id(req.param("id"));
    if (!media::is_media_id(id)) not_found();
    const std::int64_t now = ctx.now_ms() / 1000;
    const auto exp = req.query_param("exp");
    switch (signer.verify(id, exp, req.query_param("sig"), now)) {
      case media::SignatureCheck::ok:
        break;
      case media::SignatureCheck::missing:
        forbidden("a media URL needs the exp and sig parameters of a link made by the gateway");
      case media::SignatureCheck::malformed:
        forbidden("malformed media URL signature");
      case media::SignatureCheck::forged:
        forbidden("invalid media URL signature");
      case media::SignatureCheck::expired:
        forbidden("this media URL has expired");
    }
    const std::int64_t expires = std::stoll(*exp);  // canonical digits: verify() said so

    const auto range_header = req.headers.get("Range");
    const auto if_range = req.headers.get("If-Range");
    auto lookup = co_await ctx.db.run([&](db::Connection& c) {
      Lookup l;
      l.record = store.find(c, id);
      if (!l.record) return l;
      const auto size = static_cast<std::uint64_t>(l.record->size);
      const std::string etag = "\"" + l.record->sha256.substr(0, 32) + "\"";
      // A Range under an If-Range that names another version is ignored (RFC 9110 §13.1.5); a
      // date never matches, since no Last-Modified is sent.
      if (range_header && (!if_range || *if_range == etag)) {
        l.range = media::parse_range(*range_header, size);
      }
      std::uint64_t first = 0;
      std::uint64_t length = size;
      if (head || l.range.kind == RangeRequest::Kind::unsatisfiable) {
        length = 0;  // only whether the file is there
      } else if (l.range.kind == RangeRequest::Kind::partial) {
        first = l.range.first;
        length = l.range.length();
      }
      auto bytes = store.read(*l.record, first, length);
      if (!bytes) {
        l.file_missing = true;
      } else {
        l.bytes = std::move(*bytes);
      }
      return l;
    });
    if (!lookup.record) not_found();
    const media::MediaRecord& rec = *lookup.record;
    if (lookup.file_missing) {
      log::warn("media file missing",
                {{"media_id", rec.id}, {"path", store.path_of(rec.id).string()}});
      not_found();
    }
    const auto size = static_cast<std::uint64_t>(rec.size);
    http::Response res;
    res.headers.set("Accept-Ranges", "bytes");
    res.headers.set("X-Content-Type-Options", "nosniff");
    // Files from WhatsApp senders are not trusted content of this origin.
    res.headers.set("Content-Security-Policy", "sandbox; default-src 'none'");
    if (lookup.range.kind == RangeRequest::Kind::unsatisfiable) {
      res = http::json_response(
          json::object{
              {"success", false},
              {"message", "range not satisfiable: the file has " + std::to_string(size) + " bytes"},
              {"error", json::object{{"code", "range_not_satisfiable"}}}},
          416);
      res.headers.set("Content-Range", "bytes */" + std::to_string(size));
      res.headers.set("Accept-Ranges", "bytes");
      co_return res;
    }
    res.content_type = rec.mimetype;
    res.headers.set("Content-Disposition", content_disposition(rec.file_name, rec.mimetype));
    res.headers.set("ETag", "\"" + rec.sha256.substr(0, 32) + "\"");
    res.headers.set("Cache-Control",
                    "private, max-age=" + std::to_string(std::max<std::int64_t>(0, expires - now)));
    if (lookup.range.kind == RangeRequest::Kind::partial) {
      res.status = 206;
      res.headers.set("Content-Range", "bytes " + std::to_string(lookup.range.first) + "-" +
                                           std::to_string(lookup.range.last) + "/" +
                                           std::to_string(size));
    }
    if (head) {
      res.head_content_length =
          lookup.range.kind == RangeRequest::Kind::partial ? lookup.range.length() : size;
    } else {
      res.body = std::move(lookup.bytes);
    }
    co_return res;
  };
  router.add("GET", "/media/:id", http::Access::public_route, serve);
  router.add("HEAD", "/media/:id", http::Access::public_route, serve);
}

}  // namespace gw::api
