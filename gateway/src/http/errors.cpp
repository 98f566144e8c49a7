#include "http/errors.hpp"

namespace gw::http {

namespace {
struct KindInfo {
  int status;
  std::string_view code;
};

constexpr KindInfo info(ErrorKind kind) noexcept {
  switch (kind) {
    case ErrorKind::bad_request:
      return {400, "bad_request"};
    case ErrorKind::validation:
      return {400, "validation_failed"};
    case ErrorKind::unauthorized:
      return {401, "unauthorized"};
    case ErrorKind::forbidden:
      return {403, "forbidden"};
    case ErrorKind::not_found:
      return {404, "not_found"};
    case ErrorKind::method_not_allowed:
      return {405, "method_not_allowed"};
    case ErrorKind::request_timeout:
      return {408, "request_timeout"};
    case ErrorKind::conflict:
      return {409, "conflict"};
    case ErrorKind::upgrade_required:
      return {426, "upgrade_required"};
    case ErrorKind::payload_too_large:
      return {413, "payload_too_large"};
    case ErrorKind::unsupported_media_type:
      return {415, "unsupported_media_type"};
    case ErrorKind::headers_too_large:
      return {431, "headers_too_large"};
    case ErrorKind::rate_limited:
      return {429, "rate_limited"};
    case ErrorKind::internal:
      return {500, "internal_error"};
    case ErrorKind::bad_gateway:
      return {502, "bad_gateway"};
    case ErrorKind::gateway_timeout:
      return {504, "gateway_timeout"};
    case ErrorKind::unavailable:
      return {503, "service_unavailable"};
  }
  return {500, "internal_error"};
}
}  // namespace

int http_status(ErrorKind kind) noexcept {
  return info(kind).status;
}
std::string_view error_code(ErrorKind kind) noexcept {
  return info(kind).code;
}

}  // namespace gw::http
