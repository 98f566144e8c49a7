#include "http/security.hpp"

#include <algorithm>

#include "http/envelope.hpp"

namespace gw::http {

bool CorsPolicy::allows(std::string_view origin) const {
  return std::find(origins_.begin(), origins_.end(), origin) != origins_.end();
}

bool CorsPolicy::is_preflight(const Request& req) {
  return req.method == "OPTIONS" && req.headers.get("Origin") &&
         req.headers.get("Access-Control-Request-Method");
}

Response CorsPolicy::preflight(const Request& req) const {
  auto origin = req.headers.get("Origin").value_or("");
  if (!allows(origin)) {
    return error_response(ErrorKind::forbidden, "origin " + std::string(origin) +
                                                    " is not allowed (CORS_ALLOWED_ORIGINS)");
  }
  Response res;
  res.status = 204;
  res.headers.set("Access-Control-Allow-Methods", kAllowedMethods);
  res.headers.set("Access-Control-Allow-Headers", kAllowedHeaders);
  res.headers.set("Access-Control-Max-Age", "600");
  return res;
}

void CorsPolicy::apply(const Request& req, Response& res) const {
  auto origin = req.headers.get("Origin");
  res.headers.add("Vary", "Origin");
  if (!origin || !allows(*origin)) return;
  res.headers.set("Access-Control-Allow-Origin", std::string(*origin));
  res.headers.set("Access-Control-Expose-Headers", kExposedHeaders);
}

void apply_security_headers(Response& res, bool tls) {
  res.headers.set("X-Content-Type-Options", "nosniff");
  res.headers.set("Referrer-Policy", "no-referrer");
  res.headers.set("X-Frame-Options", "DENY");
  if (res.content_type.rfind("text/html", 0) == 0) {
    res.headers.set("Content-Security-Policy", kContentSecurityPolicy);
  }
  if (tls) res.headers.set("Strict-Transport-Security", "max-age=31536000; includeSubDomains");
}

}  // namespace gw::http
