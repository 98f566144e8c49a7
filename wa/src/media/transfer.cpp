#include "wa/media/transfer.hpp"

#include <boost/json/parse.hpp>
#include <charconv>

namespace wa::media {

using binary::Node;

Node media_conn_query() {
  return Node{"iq",
              {{"xmlns", "w:m"}, {"type", "set"}, {"to", "s.whatsapp.net"}},
              std::vector<Node>{Node{"media_conn", {}, {}}}};
}

Result<MediaConn> parse_media_conn(const Node& iq) {
  const auto* mc = iq.child("media_conn");
  if (!mc) return Error{Errc::node_invalid, "w:m answer without <media_conn>"};
  const auto* auth = mc->attr("auth");
  if (!auth || auth->empty()) return Error{Errc::node_invalid, "<media_conn> without auth"};
  MediaConn out;
  out.auth = *auth;
  if (const auto* ttl = mc->attr("ttl")) {
    long v = 0;
    auto [p, ec] = std::from_chars(ttl->data(), ttl->data() + ttl->size(), v);
    if (ec == std::errc{} && v > 0) out.ttl = std::chrono::seconds(v);
  }
  for (const auto& h : mc->children()) {
    const auto* name = h.attr("hostname");
    if (h.tag != "host" || !name || name->empty()) continue;
    MediaConn::Host host{*name, 0};
    if (const auto* max = h.attr("maxContentLengthBytes")) {
      std::uint64_t v = 0;
      auto [p, ec] = std::from_chars(max->data(), max->data() + max->size(), v);
      if (ec == std::errc{}) host.max_content_length = v;
    }
    out.hosts.push_back(std::move(host));
  }
  if (out.hosts.empty()) return Error{Errc::media_unavailable, "<media_conn> lists no host"};
  return out;
}

std::string base64url(std::span<const std::uint8_t> in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  out.reserve((in.size() * 4 + 2) / 3);
  std::size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    const std::uint32_t v = in[i] << 16 | in[i + 1] << 8 | in[i + 2];
    for (int s : {18, 12, 6, 0}) out.push_back(kAlphabet[(v >> s) & 63]);
  }
  if (const auto rest = in.size() - i; rest > 0) {
    std::uint32_t v = in[i] << 16;
    if (rest == 2) v |= in[i + 1] << 8;
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    if (rest == 2) out.push_back(kAlphabet[(v >> 6) & 63]);
  }
  return out;
}

namespace {

std::string percent_encode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    const bool plain = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                       c == '-' || c == '_' || c == '.' || c == '~';
    if (plain) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

}  // namespace

std::string upload_url(std::string_view host, MediaType type,
                       std::span<const std::uint8_t> file_enc_sha256, std::string_view auth) {
  const auto token = base64url(file_enc_sha256);
  std::string url = "https://";
  url += host;
  url += "/mms/";
  url += mms_type(type);
  url += "/" + token + "?auth=" + percent_encode(auth) + "&token=" + token;
  return url;
}

Result<UploadAnswer> parse_upload_answer(std::string_view body) {
  boost::system::error_code ec;
  auto v = boost::json::parse(body, ec);
  if (ec || !v.is_object()) return Error{Errc::media_http, "upload answer is not a JSON object"};
  const auto& o = v.as_object();
  UploadAnswer a;
  if (const auto* u = o.if_contains("url"); u && u->is_string()) a.url = u->as_string();
  if (const auto* d = o.if_contains("direct_path"); d && d->is_string())
    a.direct_path = d->as_string();
  if (a.url.empty() && a.direct_path.empty())
    return Error{Errc::media_http, "upload answer without url or direct_path"};
  return a;
}

Result<std::string> download_url(std::string_view host, const message::MediaDescriptor& media,
                                 MediaType type) {
  const auto& path = media.direct_path;
  if (path.empty() || path.front() != '/')
    return Error{Errc::media_invalid, "direct path must start with '/'"};
  std::string url = "https://";
  url += host;
  url += path;
  url += path.find('?') == std::string::npos ? '?' : '&';
  url += "hash=" + base64url(media.file_enc_sha256) + "&mms-type=" + std::string(mms_type(type)) +
         "&__wa-mms=";
  return url;
}

}  // namespace wa::media
