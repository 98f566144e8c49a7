#pragma once
// Reading JSON request bodies: Content-Type check, size and depth bounds, and error messages
// that name the problem (returned to the client in the 400 envelope).
//
// Fed untrusted bytes and fuzzed (fuzz/gateway/json_body_fuzz.cpp): never throws on bad input
// (only std::bad_alloc could escape). Not Asio/Beast-dependent: the handler passes the body.
//
// Thread safety: stateless, safe from any thread.
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace gw::http {

/// Why a body was refused, with the HTTP status the gateway should answer.
enum class JsonBodyError {
  empty,       ///< 400: no body (or only whitespace)
  too_large,   ///< 413: more than max_bytes
  too_deep,    ///< 400: nesting deeper than max_depth
  invalid,     ///< 400: not valid JSON (syntax, bad UTF-8, trailing data, truncated)
  not_object,  ///< 400: valid JSON but the top level is not an object
};

std::string_view to_string(JsonBodyError e) noexcept;
/// 413 for too_large, 400 otherwise.
int http_status(JsonBodyError e) noexcept;

/// Outcome of parse_json_body().
struct JsonBodyResult {
  std::optional<boost::json::value> value;       ///< set on success
  JsonBodyError error = JsonBodyError::invalid;  ///< meaningful only when value is empty
  std::string message;  ///< for the client when refused, e.g. "invalid JSON at offset 12: ..."

  bool ok() const noexcept { return value.has_value(); }
  explicit operator bool() const noexcept { return ok(); }
};

/// Parses body as one strict JSON text (RFC 8259: no comments, no trailing commas, valid UTF-8,
/// nothing but whitespace after the value). Refuses bodies over max_bytes before parsing, and
/// nesting deeper than max_depth (arrays and objects; max_depth < 1 is treated as 1). With
/// require_object (the default) the top-level value must be an object.
JsonBodyResult parse_json_body(std::string_view body, std::size_t max_bytes, int max_depth,
                               bool require_object = true);

/// parse_json_body() for a route handler: the top-level object, or an ApiError with the parser's
/// message (413 payload_too_large when over max_bytes, else 400 bad_request).
boost::json::object require_json_object(std::string_view body, std::size_t max_bytes,
                                        int max_depth);

/// True for "application/json", optionally with a charset=utf-8 parameter (quoted or not);
/// media type and charset compared case-insensitively, spaces around ';' and '=' allowed (and
/// around the whole value). Anything else (other types, other parameters, empty) is false:
/// the caller answers 415.
bool is_json_content_type(std::string_view content_type) noexcept;

}  // namespace gw::http
