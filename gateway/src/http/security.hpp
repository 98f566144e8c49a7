#pragma once
// Browser-facing protections applied to every response: CORS for allowed origins only (never
// "*"), and security headers (nosniff, no-referrer, frame denial, CSP on HTML, HSTS over TLS).
#include <string>
#include <vector>

#include "http/message.hpp"

namespace gw::http {

class CorsPolicy {
 public:
  explicit CorsPolicy(std::vector<std::string> allowed_origins)
      : origins_(std::move(allowed_origins)) {}
  [[nodiscard]] bool allows(std::string_view origin) const;
  /// An OPTIONS request with Origin and Access-Control-Request-Method.
  [[nodiscard]] static bool is_preflight(const Request& req);
  /// 204 with the allowed methods/headers for an allowed origin, 403 otherwise.
  [[nodiscard]] Response preflight(const Request& req) const;
  /// Adds Access-Control-Allow-Origin (echoed) and Vary: Origin when the origin is allowed.
  void apply(const Request& req, Response& res) const;

  static constexpr const char* kAllowedMethods = "GET, POST, PUT, DELETE, OPTIONS";
  static constexpr const char* kAllowedHeaders =
      "Authorization, Content-Type, X-Api-Key, X-Request-Id";
  static constexpr const char* kExposedHeaders =
      "X-Request-Id, Retry-After, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset";

 private:
  std::vector<std::string> origins_;
};

/// The dashboard's Content-Security-Policy (sent on HTML responses).
inline constexpr const char* kContentSecurityPolicy =
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; connect-src 'self'; font-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Security headers on every response; CSP when the body is HTML; HSTS when `tls`.
void apply_security_headers(Response& res, bool tls);

}  // namespace gw::http
