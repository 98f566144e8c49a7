#pragma once
// The gateway's error policy at the HTTP edge: every failure a handler can report is an ApiError
// of one kind, and one table (http_status) maps kinds to status codes.
#include <boost/json/value.hpp>
#include <stdexcept>
#include <string>
#include <string_view>

namespace gw::http {

enum class ErrorKind {
  bad_request,             // 400: malformed request or body
  validation,              // 400: well-formed but invalid fields (details per field)
  unauthorized,            // 401
  forbidden,               // 403
  not_found,               // 404
  method_not_allowed,      // 405
  request_timeout,         // 408
  conflict,                // 409
  upgrade_required,        // 426: a WebSocket route got a plain request
  payload_too_large,       // 413
  unsupported_media_type,  // 415
  headers_too_large,       // 431
  rate_limited,            // 429
  internal,                // 500
  bad_gateway,             // 502: WhatsApp (or a media host) refused or failed
  unavailable,             // 503
  gateway_timeout,         // 504: WhatsApp did not answer in time
};

/// HTTP status for an error kind (the one mapping table).
int http_status(ErrorKind kind) noexcept;
/// Stable machine-readable code for an error kind, e.g. "not_found".
std::string_view error_code(ErrorKind kind) noexcept;

/// Thrown by handlers and middleware; turned into the error envelope in one place.
class ApiError : public std::runtime_error {
 public:
  ApiError(ErrorKind kind, const std::string& message, boost::json::value details = nullptr)
      : std::runtime_error(message), kind_(kind), details_(std::move(details)) {}

  [[nodiscard]] ErrorKind kind() const noexcept { return kind_; }
  [[nodiscard]] const boost::json::value& details() const noexcept { return details_; }

 private:
  ErrorKind kind_;
  boost::json::value details_;
};

}  // namespace gw::http
