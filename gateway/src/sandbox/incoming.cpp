#include "sandbox/incoming.hpp"

#include <algorithm>
#include <array>

#include "http/errors.hpp"
#include "http/json_body.hpp"
#include "sessions/validation.hpp"

namespace gw::sandbox {

namespace json = boost::json;

namespace {

constexpr int kMaxDepth = 4;
constexpr std::size_t kMaxMime = 255;
constexpr std::size_t kMaxFileName = 255;

[[noreturn]] void bad(std::string_view field, const std::string& problem) {
  json::object details;
  details[field] = problem;
  throw http::ApiError(http::ErrorKind::validation, std::string(field) + ": " + problem,
                       std::move(details));
}

// A string field; nullopt when absent or null.
std::optional<std::string> text_of(const json::object& o, std::string_view key,
                                   std::string_view field) {
  auto it = o.find(key);
  if (it == o.end() || it->value().is_null()) return std::nullopt;
  if (!it->value().is_string()) bad(field, "must be a string");
  return std::string(it->value().get_string());
}

bool has_control(std::string_view s) {
  return std::any_of(s.begin(), s.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
}

bool is_base64(std::string_view s) {
  if (s.empty() || s.size() % 4 != 0) return false;
  std::size_t pad = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '=') {
      if (i + 2 < s.size()) return false;
      ++pad;
      continue;
    }
    if (pad > 0) return false;
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '+' || c == '/';
    if (!ok) return false;
  }
  return pad <= 2;
}

bool is_mime(std::string_view s) {
  const auto slash = s.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == s.size()) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::string_view("/+-.;= _").find(c) != std::string_view::npos;
  });
}

void only_known(const json::object& o, std::initializer_list<std::string_view> known,
                std::string_view prefix) {
  for (const auto& kv : o) {
    if (std::find(known.begin(), known.end(), kv.key()) == known.end()) {
      bad(std::string(prefix) + std::string(kv.key()), "unknown field");
    }
  }
}

IncomingMedia media_of(const json::value& v) {
  if (!v.is_object()) bad("media", "must be an object {type, data?, mimetype?, file_name?}");
  const auto& o = v.get_object();
  only_known(o, {"type", "data", "mimetype", "file_name"}, "media.");
  IncomingMedia m;
  auto type = text_of(o, "type", "media.type");
  constexpr std::array kTypes{"image", "document", "audio"};
  if (!type || std::find(kTypes.begin(), kTypes.end(), *type) == kTypes.end()) {
    bad("media.type", "must be image, document or audio");
  }
  m.type = *type;
  m.data = text_of(o, "data", "media.data");
  if (m.data && !is_base64(*m.data)) bad("media.data", "must be standard base64 (padded)");
  m.mimetype = text_of(o, "mimetype", "media.mimetype");
  if (m.mimetype && (m.mimetype->size() > kMaxMime || !is_mime(*m.mimetype))) {
    bad("media.mimetype", "must be a media type like image/jpeg");
  }
  m.file_name = text_of(o, "file_name", "media.file_name");
  if (m.file_name && (m.file_name->empty() || m.file_name->size() > kMaxFileName ||
                      has_control(*m.file_name) || m.file_name->find('/') != std::string::npos)) {
    bad("media.file_name", "must be 1-255 characters, no '/' or control characters");
  }
  if (m.file_name && m.type != "document") bad("media.file_name", "only for documents");
  return m;
}

}  // namespace

Incoming parse_incoming(std::string_view body, std::size_t max_bytes) {
  const auto o = http::require_json_object(body, max_bytes, kMaxDepth);
  only_known(o, {"from", "name", "group", "mention_bot", "text", "quote", "media"}, "");
  Incoming in;
  auto from = text_of(o, "from", "from");
  if (!from)
    bad("from", "required: the contact's phone number with country code, e.g. 6281234567890");
  auto phone = sessions::normalize_phone(*from);
  if (!phone) bad("from", "a phone number with country code, 7-15 digits, e.g. 6281234567890");
  in.from = *phone;
  in.name = text_of(o, "name", "name");
  if (in.name && (in.name->empty() || in.name->size() > kMaxName || has_control(*in.name))) {
    bad("name", "must be 1-100 characters without control characters");
  }
  in.group = text_of(o, "group", "group");
  if (in.group && (in.group->empty() || in.group->size() > kMaxName || has_control(*in.group))) {
    bad("group", "must be the group's name: 1-100 characters without control characters");
  }
  if (auto it = o.find("mention_bot"); it != o.end() && !it->value().is_null()) {
    if (!it->value().is_bool()) bad("mention_bot", "must be true or false");
    in.mention_bot = it->value().get_bool();
  }
  if (in.mention_bot && !in.group) bad("mention_bot", "only for group messages (give group)");
  if (auto it = o.find("media"); it != o.end() && !it->value().is_null()) {
    in.media = media_of(it->value());
  }
  in.text = text_of(o, "text", "text").value_or("");
  if (in.text.size() > kMaxText) bad("text", "at most 4096 bytes");
  if (in.text.empty() && !in.media) bad("text", "required (it may be empty only with media)");
  if (!in.text.empty() && in.media && in.media->type == "audio") {
    bad("text", "a voice note has no caption: leave text empty");
  }
  in.quote = text_of(o, "quote", "quote");
  if (in.quote && (in.quote->empty() || in.quote->size() > kMaxQuote ||
                   !std::all_of(in.quote->begin(), in.quote->end(), [](char c) {
                     return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                            (c >= '0' && c <= '9') || c == '-' || c == '_';
                   }))) {
    bad("quote", "must be a message id (letters, digits, '-' or '_', at most 128)");
  }
  return in;
}

json::object to_command(const Incoming& in, const std::string& session_id,
                        const std::string& bot_phone) {
  json::object c{{"session_id", session_id},
                 {"bot_phone", bot_phone},
                 {"from", in.from},
                 {"mention_bot", in.mention_bot},
                 {"text", in.text}};
  if (in.name) c["name"] = *in.name;
  if (in.group) c["group"] = *in.group;
  if (in.quote) c["quote"] = *in.quote;
  if (in.media) {
    json::object m{{"type", in.media->type}};
    if (in.media->data) m["data"] = *in.media->data;
    if (in.media->mimetype) m["mimetype"] = *in.media->mimetype;
    if (in.media->file_name) m["file_name"] = *in.media->file_name;
    c["media"] = std::move(m);
  }
  return c;
}

}  // namespace gw::sandbox
