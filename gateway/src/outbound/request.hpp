#pragma once
// The body of POST /api/v1/sessions/:id/send, validated
// (docs/API.md "Sending messages"): who to send to, what, and how. Every problem is reported per
// field in one 400, so a client fixes its request in one round.
//
// Fed untrusted bytes and fuzzed (fuzz/gateway/send_request_fuzz.cpp): throws only
// http::ApiError (400 bad_request / validation, 413 payload_too_large) on bad input.
// Thread safety: stateless.
#include <boost/json/object.hpp>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "wa/jid.hpp"

namespace gw::outbound {

enum class SendType { text, image, document, audio, video, sticker, location, contact };
std::string_view to_string(SendType t) noexcept;
/// "text, image, …" for error messages.
std::string_view send_type_list() noexcept;
[[nodiscard]] bool is_media(SendType t) noexcept;

/// Where the recipient came from: a phone number must be looked up (is it on WhatsApp?), a JID
/// is used as given.
struct Recipient {
  wa::Jid jid;              // user (phone or LID, no device) or group
  bool from_phone = false;  // `to` was a number: jid.user is its digits
};

struct Location {
  double latitude = 0, longitude = 0;
  std::string name, address;
};

struct Contact {
  std::string name;
  std::string vcard;  // built from name + phone when not given
};

struct SendRequest {
  Recipient to;
  SendType type = SendType::text;
  std::string content;  // text, or caption of image/video/document
  // Media: exactly one of media_url / media_bytes for media types.
  std::optional<std::string> media_url;
  std::optional<std::string> media_bytes;  // decoded media_base64
  std::string mimetype;                    // given, or from a data: URL; may be empty for URLs
  std::string filename;
  bool ptt = false;  // audio as a voice note
  std::optional<Location> location;
  std::optional<Contact> contact;
  std::optional<std::string> quoted_message_id;
  std::vector<std::string> mentions;  // phone numbers (digits)
  std::optional<bool> typing;         // human-like typing before sending; nullopt = default
};

/// Limits of a send request.
struct RequestLimits {
  std::size_t max_media_bytes = 16 * 1024 * 1024;  // MEDIA_MAX_BYTES (decoded media_base64)
  std::size_t max_text = 65'536;                   // characters (bytes) of content
  std::size_t max_mentions = 256;
};

/// A phone number as typed by people ("+62 812-3456-7890", "(0062)…" is not accepted): the
/// digits, or nullopt when it is not 5–20 digits after removing '+', spaces, dashes, dots and
/// parentheses.
std::optional<std::string> normalize_phone(std::string_view text);

/// Validates the JSON body. Throws http::ApiError: validation (400) with `details` naming each
/// bad field, payload_too_large (413) when the decoded media is over the limit.
SendRequest parse_send_request(const boost::json::object& body, const RequestLimits& limits);

/// What to send back from a webhook response body (docs/webhooks.md "Replies"): {"reply": "…"}
/// is a text; {"reply": {type, content, media_url | media_base64, mimetype, filename, ptt,
/// latitude, longitude, contact_name, …, mentions}} is any message the send API accepts (its
/// body without `to`, which is the chat; a `quoted_message_id` is ignored). nullopt when the body
/// has no reply (not JSON, no `reply`, an empty text). Throws http::ApiError naming the field for
/// a reply object the send API would refuse.
std::optional<SendRequest> parse_webhook_reply(std::string_view response_body,
                                               const RequestLimits& limits);

/// A vCard 3.0 for a contact card with a name and an optional phone number (digits).
std::string make_vcard(std::string_view name, std::string_view phone);

}  // namespace gw::outbound
