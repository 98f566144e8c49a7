#pragma once
// The body of POST /api/v1/sandbox/sessions/:id/incoming: what a simulated contact sends to a
// session (docs/SANDBOX.md). Read from untrusted bytes and fuzzed (fuzz/gateway/
// sandbox_incoming_fuzz.cpp): bad input is an http::ApiError (400 naming the field, 413 when too
// large), never a crash.
//
// Thread safety: stateless, safe from any thread.
#include <boost/json/object.hpp>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace gw::sandbox {

/// The attachment of a simulated message (image, document or voice note).
struct IncomingMedia {
  std::string type;                      // image | document | audio
  std::optional<std::string> data;       // base64; absent: a built-in sample
  std::optional<std::string> mimetype;   // type/subtype
  std::optional<std::string> file_name;  // documents
};

/// A validated incoming body.
struct Incoming {
  std::string from;                  // the contact's phone number, digits with country code
  std::optional<std::string> name;   // the contact's push name
  std::optional<std::string> group;  // the group's subject; absent: a direct message
  bool mention_bot = false;          // groups only
  std::string text;                  // may be empty with media (then it is the caption)
  std::optional<std::string> quote;  // id of a message of the same chat to quote
  std::optional<IncomingMedia> media;
};

/// Limits of the body's fields.
inline constexpr std::size_t kMaxText = 4096;
inline constexpr std::size_t kMaxName = 100;
inline constexpr std::size_t kMaxQuote = 128;

/// Parses and validates a body of at most `max_bytes`. Throws http::ApiError: 413 over
/// max_bytes, 400 for invalid JSON, 400 (validation, details {field: problem}) for a bad field.
Incoming parse_incoming(std::string_view body, std::size_t max_bytes);

/// The driver's /incoming command for `in` (docs/SANDBOX.md, "The driver").
boost::json::object to_command(const Incoming& in, const std::string& session_id,
                               const std::string& bot_phone);

}  // namespace gw::sandbox
