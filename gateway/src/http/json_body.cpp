#include "http/json_body.hpp"

#include <boost/json/error.hpp>
#include <boost/json/parse_options.hpp>
#include <boost/json/stream_parser.hpp>
#include <cmath>
#include <utility>
#include <vector>

#include "http/errors.hpp"
#include "util/strings.hpp"
#include "wa/hex.hpp"

namespace gw::http {
namespace {

namespace json = boost::json;

bool is_ws(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}
using util::iequals;
using util::trim_ows;

// How the byte at the error position looks to a reader: 'x', or \xNN for non-printables.
std::string describe_byte(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (u >= 0x20 && u < 0x7F) return std::string("'") + c + "'";
  std::string out = "byte 0x";
  wa::hex::append(out, u);
  return out;
}

// Boost.JSON 1.81 turns numbers beyond the double range (1e999) into infinities, which it then
// serialises as "Infinity" (not JSON): such numbers are refused instead. Iterative, since the
// depth is bounded by the parser but a stack is cheaper than recursion anyway.
bool all_numbers_finite(const json::value& root) {
  std::vector<const json::value*> todo{&root};
  while (!todo.empty()) {
    const json::value* v = todo.back();
    todo.pop_back();
    if (v->is_double()) {
      if (!std::isfinite(v->get_double())) return false;
    } else if (v->is_array()) {
      for (const json::value& e : v->get_array()) todo.push_back(&e);
    } else if (v->is_object()) {
      for (const auto& kv : v->get_object()) todo.push_back(&kv.value());
    }
  }
  return true;
}

JsonBodyResult fail(JsonBodyError e, std::string message) {
  return JsonBodyResult{std::nullopt, e, std::move(message)};
}

}  // namespace

std::string_view to_string(JsonBodyError e) noexcept {
  switch (e) {
    case JsonBodyError::empty:
      return "empty";
    case JsonBodyError::too_large:
      return "too_large";
    case JsonBodyError::too_deep:
      return "too_deep";
    case JsonBodyError::invalid:
      return "invalid";
    case JsonBodyError::not_object:
      return "not_object";
  }
  return "unknown";
}

int http_status(JsonBodyError e) noexcept {
  return e == JsonBodyError::too_large ? 413 : 400;
}

JsonBodyResult parse_json_body(std::string_view body, std::size_t max_bytes, int max_depth,
                               bool require_object) {
  if (body.size() > max_bytes) {
    return fail(JsonBodyError::too_large,
                "body larger than " + std::to_string(max_bytes) + " bytes");
  }
  bool blank = true;
  for (const char c : body) {
    if (!is_ws(c)) {
      blank = false;
      break;
    }
  }
  if (blank) return fail(JsonBodyError::empty, "request body is empty; a JSON object is expected");

  const int depth = max_depth < 1 ? 1 : max_depth;
  json::parse_options opts;
  opts.max_depth = static_cast<std::size_t>(depth);
  json::stream_parser parser(json::storage_ptr(), opts);
  json::error_code ec;
  const std::size_t consumed = parser.write(body.data(), body.size(), ec);
  if (!ec) parser.finish(ec);
  if (ec) {
    if (ec == json::error::too_deep) {
      return fail(JsonBodyError::too_deep,
                  "JSON nesting deeper than " + std::to_string(depth) + " levels");
    }
    if (ec == json::error::incomplete) {
      return fail(JsonBodyError::invalid,
                  "invalid JSON: unexpected end of input at offset " + std::to_string(body.size()));
    }
    std::string msg = "invalid JSON at offset " + std::to_string(consumed) + ": ";
    if (ec == json::error::extra_data) {
      msg += "unexpected data after the JSON value";
    } else {
      msg += ec.message();
    }
    if (consumed < body.size() && ec != json::error::extra_data) {
      msg += " (unexpected " + describe_byte(body[consumed]) + ")";
    }
    return fail(JsonBodyError::invalid, std::move(msg));
  }
  json::value v = parser.release();
  if (!all_numbers_finite(v)) {
    return fail(JsonBodyError::invalid, "invalid JSON: number out of range");
  }
  if (require_object && !v.is_object()) {
    return fail(JsonBodyError::not_object, "expected a JSON object");
  }
  return JsonBodyResult{std::move(v), JsonBodyError::invalid, {}};
}

bool is_json_content_type(std::string_view content_type) noexcept {
  std::string_view rest = trim_ows(content_type);
  const std::size_t semi = rest.find(';');
  if (!iequals(trim_ows(rest.substr(0, semi)), "application/json")) return false;
  if (semi == std::string_view::npos) return true;
  // Exactly one parameter is accepted: charset=utf-8 (a trailing ';' alone is tolerated).
  const std::string_view param = trim_ows(rest.substr(semi + 1));
  if (param.empty()) return true;
  const std::size_t eq = param.find('=');
  if (eq == std::string_view::npos || !iequals(trim_ows(param.substr(0, eq)), "charset")) {
    return false;
  }
  std::string_view value = trim_ows(param.substr(eq + 1));
  if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
    value = value.substr(1, value.size() - 2);
  }
  return iequals(value, "utf-8");
}

boost::json::object require_json_object(std::string_view body, std::size_t max_bytes,
                                        int max_depth) {
  auto parsed = parse_json_body(body, max_bytes, max_depth);
  if (!parsed) {
    throw ApiError(parsed.error == JsonBodyError::too_large ? ErrorKind::payload_too_large
                                                            : ErrorKind::bad_request,
                   parsed.message);
  }
  return std::move(parsed.value->as_object());
}

}  // namespace gw::http
