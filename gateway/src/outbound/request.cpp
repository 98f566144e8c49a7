#include "outbound/request.hpp"

#include <algorithm>
#include <array>
#include <boost/json/parse.hpp>
#include <cmath>

#include "auth/crypto.hpp"
#include "http/errors.hpp"
#include "util/strings.hpp"

namespace gw::outbound {

namespace json = boost::json;

namespace {

constexpr std::array<std::pair<std::string_view, SendType>, 8> kTypes = {{
    {"text", SendType::text},
    {"image", SendType::image},
    {"document", SendType::document},
    {"audio", SendType::audio},
    {"video", SendType::video},
    {"sticker", SendType::sticker},
    {"location", SendType::location},
    {"contact", SendType::contact},
}};

constexpr std::size_t kMaxUrl = 2048;
constexpr std::size_t kMaxName = 256;
constexpr std::size_t kMaxVcard = 16 * 1024;
constexpr std::size_t kMaxMessageId = 128;

bool has_control(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char ch) {
    auto u = static_cast<unsigned char>(ch);
    return u < 0x20 || u == 0x7f;
  });
}

// Reads the fields of one body, collecting every problem in `errors`.
class Reader {
 public:
  Reader(const json::object& o, json::object& errors) : o_(o), errors_(errors) {}

  bool has(std::string_view name) const {
    auto it = o_.find(name);
    return it != o_.end() && !it->value().is_null();
  }
  std::optional<std::string> string(std::string_view name) {
    auto it = o_.find(name);
    if (it == o_.end() || it->value().is_null()) return std::nullopt;
    if (!it->value().is_string()) {
      errors_[name] = "must be a string";
      return std::nullopt;
    }
    return std::string(it->value().as_string());
  }
  std::optional<bool> boolean(std::string_view name) {
    auto it = o_.find(name);
    if (it == o_.end() || it->value().is_null()) return std::nullopt;
    if (!it->value().is_bool()) {
      errors_[name] = "must be true or false";
      return std::nullopt;
    }
    return it->value().as_bool();
  }
  const json::value* value(std::string_view name) const {
    auto it = o_.find(name);
    return it == o_.end() || it->value().is_null() ? nullptr : &it->value();
  }
  void error(std::string_view name, const std::string& message) { errors_[name] = message; }
  bool failed(std::string_view name) const { return errors_.contains(name); }

 private:
  const json::object& o_;
  json::object& errors_;
};

std::optional<double> number(const json::value& v) {
  if (v.is_double()) return v.as_double();
  if (v.is_int64()) return static_cast<double>(v.as_int64());
  if (v.is_uint64()) return static_cast<double>(v.as_uint64());
  return std::nullopt;
}

std::optional<Recipient> recipient(std::string_view to, std::string& why) {
  auto text = util::trim(to);
  if (text.find('@') == std::string_view::npos) {
    auto phone = normalize_phone(text);
    if (!phone) {
      why = "must be a phone number with country code (digits, '+' allowed) or a JID";
      return std::nullopt;
    }
    return Recipient{wa::Jid::user_jid(*phone), true};
  }
  auto jid = wa::Jid::parse(text);
  if (!jid || jid->user.empty()) {
    why = "not a valid JID";
    return std::nullopt;
  }
  if (!(jid->is_pn() || jid->is_lid() || jid->is_group())) {
    why = "only user (@s.whatsapp.net), LID (@lid) and group (@g.us) chats can be sent to";
    return std::nullopt;
  }
  const bool digits = std::all_of(jid->user.begin(), jid->user.end(),
                                  [](char ch) { return (ch >= '0' && ch <= '9') || ch == '-'; });
  if (!digits || jid->user.size() > 64) {
    why = "not a valid JID";
    return std::nullopt;
  }
  return Recipient{jid->to_non_ad(), false};
}

// media_base64: plain base64, or a data: URL ("data:image/png;base64,…") whose type is used when
// no mimetype was given. Line breaks and spaces (as some tools wrap base64) are ignored.
std::optional<std::string> decode_media(std::string_view text, std::string& mimetype,
                                        std::string& why) {
  if (text.rfind("data:", 0) == 0) {
    auto comma = text.find(',');
    auto header = text.substr(5, comma == std::string_view::npos ? 0 : comma - 5);
    if (comma == std::string_view::npos || header.size() < 7 ||
        header.substr(header.size() - 7) != ";base64") {
      why = "a data: URL must be data:<mimetype>;base64,<data>";
      return std::nullopt;
    }
    if (mimetype.empty()) mimetype = std::string(header.substr(0, header.size() - 7));
    text = text.substr(comma + 1);
  }
  std::string compact;
  compact.reserve(text.size());
  for (char ch : text)
    if (ch != '\n' && ch != '\r' && ch != ' ' && ch != '\t') compact.push_back(ch);
  auto bytes = auth::base64_decode(compact);
  if (!bytes) {
    why = "not valid base64";
    return std::nullopt;
  }
  if (bytes->empty()) {
    why = "is empty";
    return std::nullopt;
  }
  return bytes;
}

bool valid_mimetype(std::string_view m) {
  auto slash = m.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == m.size() || m.size() > 255)
    return false;
  return !has_control(m) && m.find(' ') == std::string_view::npos;
}

}  // namespace

std::string_view to_string(SendType t) noexcept {
  for (const auto& [name, type] : kTypes)
    if (type == t) return name;
  return "text";
}

std::string_view send_type_list() noexcept {
  return "text, image, document, audio, video, sticker, location, contact";
}

bool is_media(SendType t) noexcept {
  return t == SendType::image || t == SendType::document || t == SendType::audio ||
         t == SendType::video || t == SendType::sticker;
}

std::optional<std::string> normalize_phone(std::string_view text) {
  std::string digits;
  text = util::trim(text);
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  for (char ch : text) {
    if (ch >= '0' && ch <= '9')
      digits.push_back(ch);
    else if (ch != ' ' && ch != '-' && ch != '.' && ch != '(' && ch != ')')
      return std::nullopt;
  }
  if (digits.size() < 5 || digits.size() > 20 || digits.front() == '0') return std::nullopt;
  return digits;
}

std::string make_vcard(std::string_view name, std::string_view phone) {
  std::string v = "BEGIN:VCARD\nVERSION:3.0\nFN:";
  v += name;
  v += "\n";
  if (!phone.empty()) {
    v += "TEL;type=CELL;type=VOICE;waid=";
    v += phone;
    v += ":+";
    v += phone;
    v += "\n";
  }
  v += "END:VCARD";
  return v;
}

namespace {

// The send API's body; a webhook reply has no recipient of its own (`to` is the chat answered:
// with_recipient false neither reads nor requires it).
SendRequest parse_body(const json::object& body, const RequestLimits& limits, bool with_recipient) {
  json::object errors;
  Reader r(body, errors);
  SendRequest out;

  if (with_recipient) {
    if (auto to = r.string("to")) {
      std::string why;
      if (auto rc = recipient(*to, why))
        out.to = *rc;
      else
        r.error("to", why);
    } else if (!r.failed("to")) {
      r.error("to", "required");
    }
  }

  if (auto type = r.string("type")) {
    auto it = std::find_if(kTypes.begin(), kTypes.end(),
                           [&](const auto& p) { return p.first == util::to_lower(*type); });
    if (it == kTypes.end())
      r.error("type", "must be one of: " + std::string(send_type_list()));
    else
      out.type = it->second;
  }
  const auto type = out.type;
  const bool media = is_media(type);

  if (auto content = r.string("content")) {
    if (content->size() > limits.max_text) {
      r.error("content", "longer than " + std::to_string(limits.max_text) + " bytes");
    } else if (type == SendType::audio || type == SendType::sticker || type == SendType::location ||
               type == SendType::contact) {
      if (!util::trim(*content).empty())
        r.error("content", std::string(to_string(type)) + " messages carry no text");
    } else {
      out.content = util::to_storable_text(*content);
    }
  }
  if (type == SendType::text && util::trim(out.content).empty() && !r.failed("content"))
    r.error("content", "required: the text to send");

  auto url = r.string("media_url");
  auto b64 = r.string("media_base64");
  if (auto m = r.string("mimetype")) {
    if (!valid_mimetype(*m))
      r.error("mimetype", "must look like type/subtype, e.g. image/jpeg");
    else
      out.mimetype = util::to_lower(*m);
  }
  if (auto f = r.string("filename")) {
    if (f->empty() || f->size() > kMaxName || has_control(*f) ||
        f->find_first_of("/\\") != std::string::npos)
      r.error("filename", "1-256 characters, no control characters or slashes");
    else
      out.filename = *f;
  }
  std::size_t too_large = 0;
  if (media) {
    if (url && b64) {
      r.error("media_url", "give media_url or media_base64, not both");
    } else if (!url && !b64 && !r.failed("media_url") && !r.failed("media_base64")) {
      r.error("media_url",
              "required for " + std::string(to_string(type)) + ": media_url or media_base64");
    }
    if (url) {
      auto u = util::trim(*url);
      if (u.size() > kMaxUrl || !(u.rfind("http://", 0) == 0 || u.rfind("https://", 0) == 0) ||
          has_control(u) || u.find(' ') != std::string_view::npos)
        r.error("media_url", "must be an absolute http or https URL of at most 2048 characters");
      else
        out.media_url = std::string(u);
    }
    if (b64 && !url) {
      // Size first: base64 takes 4 characters per 3 bytes.
      if (b64->size() / 4 * 3 > limits.max_media_bytes + 3) {
        too_large = b64->size() / 4 * 3;
      } else {
        std::string why;
        if (auto bytes = decode_media(*b64, out.mimetype, why)) {
          if (bytes->size() > limits.max_media_bytes)
            too_large = bytes->size();
          else
            out.media_bytes = std::move(*bytes);
        } else {
          r.error("media_base64", why);
        }
        if (!out.mimetype.empty() && !valid_mimetype(out.mimetype))
          r.error("mimetype", "must look like type/subtype, e.g. image/jpeg");
      }
      if (out.mimetype.empty() && !r.failed("mimetype") && !r.failed("media_base64"))
        r.error("mimetype", "required with media_base64 (or use a data: URL)");
    }
  } else {
    if (url) r.error("media_url", std::string(to_string(type)) + " messages carry no media");
    if (b64) r.error("media_base64", std::string(to_string(type)) + " messages carry no media");
  }
  if (auto ptt = r.boolean("ptt")) {
    if (*ptt && type != SendType::audio)
      r.error("ptt", "only audio can be a voice note");
    else
      out.ptt = *ptt;
  }

  if (const auto* loc = r.value("location")) {
    if (type != SendType::location) {
      r.error("location", "only for type location");
    } else if (!loc->is_object()) {
      r.error("location", "must be an object {latitude, longitude, name?, address?}");
    } else {
      const auto& o = loc->as_object();
      Location l;
      auto lat = o.contains("latitude") ? number(o.at("latitude")) : std::nullopt;
      auto lng = o.contains("longitude") ? number(o.at("longitude")) : std::nullopt;
      auto text_of = [&o](std::string_view k) -> std::optional<std::string> {
        auto it = o.find(k);
        if (it == o.end() || it->value().is_null()) return std::string();
        if (!it->value().is_string()) return std::nullopt;
        return std::string(it->value().as_string());
      };
      auto name = text_of("name");
      auto address = text_of("address");
      if (!lat || !std::isfinite(*lat) || *lat < -90 || *lat > 90)
        r.error("location.latitude", "required, a number from -90 to 90");
      else if (!lng || !std::isfinite(*lng) || *lng < -180 || *lng > 180)
        r.error("location.longitude", "required, a number from -180 to 180");
      else if (!name || !address || name->size() > kMaxName || address->size() > kMaxName)
        r.error("location", "name and address must be strings of at most 256 characters");
      else
        out.location =
            Location{*lat, *lng, util::to_storable_text(*name), util::to_storable_text(*address)};
    }
  } else if (type == SendType::location) {
    r.error("location", "required for type location: {latitude, longitude, name?, address?}");
  }

  if (const auto* ct = r.value("contact")) {
    if (type != SendType::contact) {
      r.error("contact", "only for type contact");
    } else if (!ct->is_object()) {
      r.error("contact", "must be an object {name, phone?, vcard?}");
    } else {
      const auto& o = ct->as_object();
      auto str = [&o](std::string_view k) -> std::optional<std::string> {
        auto it = o.find(k);
        if (it == o.end() || !it->value().is_string()) return std::nullopt;
        return std::string(it->value().as_string());
      };
      auto name = str("name");
      auto phone = str("phone");
      auto vcard = str("vcard");
      std::optional<std::string> digits;
      if (phone) digits = normalize_phone(*phone);
      if (!name || util::trim(*name).empty() || name->size() > kMaxName || has_control(*name))
        r.error("contact.name", "required, 1-256 characters");
      else if (phone && !digits)
        r.error("contact.phone", "must be a phone number with country code");
      else if (vcard && (vcard->size() > kMaxVcard || vcard->rfind("BEGIN:VCARD", 0) != 0))
        r.error("contact.vcard", "must be a vCard (BEGIN:VCARD…) of at most 16 KiB");
      else if (!vcard && !digits)
        r.error("contact", "give phone (or a full vcard)");
      else
        out.contact = Contact{std::string(util::trim(*name)),
                              vcard ? *vcard : make_vcard(util::trim(*name), *digits)};
    }
  } else if (type == SendType::contact) {
    r.error("contact", "required for type contact: {name, phone} or {name, vcard}");
  }

  if (auto q = r.string("quoted_message_id")) {
    if (q->empty() || q->size() > kMaxMessageId || has_control(*q) ||
        q->find(' ') != std::string::npos)
      r.error("quoted_message_id", "a WhatsApp message id (1-128 characters)");
    else
      out.quoted_message_id = *q;
  }

  if (const auto* m = r.value("mentions")) {
    if (!m->is_array()) {
      r.error("mentions", "must be an array of phone numbers");
    } else if (m->as_array().size() > limits.max_mentions) {
      r.error("mentions", "at most " + std::to_string(limits.max_mentions) + " numbers");
    } else {
      for (const auto& v : m->as_array()) {
        std::optional<std::string> digits;
        if (v.is_string()) {
          auto s = std::string_view(v.as_string());
          if (auto at = s.find('@'); at != std::string_view::npos &&
                                     (s.substr(at) == "@s.whatsapp.net" || s.substr(at) == "@lid"))
            s = s.substr(0, at);
          digits = normalize_phone(s);
        }
        if (!digits) {
          r.error("mentions", "each entry must be a phone number with country code");
          break;
        }
        out.mentions.push_back(*digits);
      }
    }
  }
  out.typing = r.boolean("typing");

  for (const auto& [k, v] : body) {
    static constexpr std::array<std::string_view, 14> kKnown = {
        "to",  "type",     "content", "media_url", "media_base64", "mimetype",          "filename",
        "ptt", "location", "contact", "mentions",  "typing",       "quoted_message_id", "caption"};
    if (std::find(kKnown.begin(), kKnown.end(), std::string_view(k)) == kKnown.end())
      errors[k] = "unknown field";
  }
  // "caption" is accepted as another name of content for media (n8n users write it).
  if (auto caption = r.string("caption")) {
    if (body.contains("content"))
      r.error("caption", "give content or caption, not both");
    else if (type != SendType::image && type != SendType::video && type != SendType::document)
      r.error("caption", "only image, video and document have a caption");
    else if (caption->size() > limits.max_text)
      r.error("caption", "longer than " + std::to_string(limits.max_text) + " bytes");
    else
      out.content = util::to_storable_text(*caption);
  }

  if (!errors.empty()) {
    std::string msg = "invalid send request: ";
    bool first = true;
    for (const auto& [k, v] : errors) {
      if (!first) msg += "; ";
      first = false;
      msg += std::string(k) + " " + std::string(v.as_string());
    }
    throw http::ApiError(http::ErrorKind::validation, msg, errors);
  }
  if (too_large) {
    throw http::ApiError(http::ErrorKind::payload_too_large,
                         "media_base64: the media is larger than MEDIA_MAX_BYTES (" +
                             std::to_string(limits.max_media_bytes) + " bytes)",
                         json::object{{"media_base64", "too large"}});
  }
  return out;
}

}  // namespace

SendRequest parse_send_request(const json::object& body, const RequestLimits& limits) {
  return parse_body(body, limits, true);
}

std::optional<SendRequest> parse_webhook_reply(std::string_view response_body,
                                               const RequestLimits& limits) {
  boost::system::error_code ec;
  auto v = boost::json::parse(response_body, ec);
  if (ec || !v.is_object()) return std::nullopt;
  const auto& o = v.as_object();
  auto it = o.find("reply");
  if (it == o.end()) return std::nullopt;
  boost::json::object body;
  if (it->value().is_string()) {
    if (it->value().as_string().empty()) return std::nullopt;
    body = {{"type", "text"}, {"content", it->value().as_string()}};
  } else if (it->value().is_object()) {
    body = it->value().as_object();
    // An empty text answer means "no answer", as with the plain string.
    const auto* type = body.if_contains("type");
    const bool text = !type || (type->is_string() && type->as_string() == "text");
    const auto* content = body.if_contains("content");
    if (text && (!content || (content->is_string() && content->as_string().empty())))
      return std::nullopt;
    if (!type) body["type"] = "text";
  } else {
    return std::nullopt;
  }
  // The chat answered is the recipient; a reply quotes the message it answers (in groups).
  body.erase("quoted_message_id");
  return parse_body(body, limits, false);
}

}  // namespace gw::outbound
