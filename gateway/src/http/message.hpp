#pragma once
// Plain request/response values seen by handlers. Beast stays inside http/server.cpp; everything
// above it (router, middleware, handlers) works with these types only.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http/websocket.hpp"

namespace gw::http {

/// Header list with case-insensitive lookup. Names are kept as received.
class Headers {
 public:
  void set(std::string name, std::string value);
  void add(std::string name, std::string value);
  /// First value of a header, case-insensitive; nullopt when absent.
  [[nodiscard]] std::optional<std::string_view> get(std::string_view name) const;
  [[nodiscard]] const std::vector<std::pair<std::string, std::string>>& all() const {
    return items_;
  }

 private:
  std::vector<std::pair<std::string, std::string>> items_;
};

/// What an API key lets its caller reach. Set on a Request
/// that an API key authenticated; a login token (JWT) leaves it unset and reaches everything its
/// user owns.
struct ApiKeyGrant {
  std::string key_id;
  /// nullopt: every session of the key's user. Otherwise only these (lower-case UUIDs); the list
  /// may be empty once all of them were deleted, and then the key reaches no session at all.
  std::optional<std::vector<std::string>> session_ids;

  [[nodiscard]] bool limited() const noexcept { return session_ids.has_value(); }
  /// Whether the key may reach session `id` (compared as stored: lower-case).
  [[nodiscard]] bool covers(std::string_view id) const;
};

/// One HTTP request after parsing, plus what the middleware learned about it.
struct Request {
  std::string method;  // upper case, e.g. "GET"
  std::string target;  // as received, e.g. "/api/v1/sessions?limit=5"
  std::string path;    // target without query, percent-decoding not applied
  std::string query;   // after '?', may be empty
  Headers headers;
  std::string body;
  std::string peer_ip;    // address of the TCP peer
  std::string client_ip;  // peer, or X-Forwarded-For from a trusted proxy
  bool keep_alive = true;
  /// A WebSocket handshake (GET with Upgrade: websocket and the RFC 6455 headers).
  bool websocket_upgrade = false;

  // Filled in by the pipeline.
  std::string request_id;
  std::string route;  // matched pattern ("/api/v1/sessions/:id") or "unmatched"
  std::vector<std::pair<std::string, std::string>> params;
  std::optional<std::string> user_id;    // set once authenticated
  std::optional<std::string> token_jti;  // login tokens only
  int64_t token_exp = 0;                 // login tokens only
  std::optional<ApiKeyGrant> api_key;    // set when an API key authenticated the request
  /// Headers middleware wants on the final response, whatever it is (e.g. X-RateLimit-*).
  Headers response_headers;

  /// Path parameter by name (":id" -> "id"); empty view when absent.
  [[nodiscard]] std::string_view param(std::string_view name) const;
  /// Query parameter by name, percent-decoded; nullopt when absent.
  [[nodiscard]] std::optional<std::string> query_param(std::string_view name) const;
  /// Whether the caller may reach session `id` of its user: always with a login token, with an
  /// API key when the key is not limited or lists it. Ownership is checked separately.
  [[nodiscard]] bool may_access_session(std::string_view id) const {
    return !api_key || api_key->covers(id);
  }
};

/// One HTTP response. `content_type` is sent as Content-Type when non-empty.
struct Response {
  int status = 200;
  std::string content_type;
  Headers headers;
  std::string body;
  bool close = false;  // force Connection: close
  /// In answer to HEAD (whose body the server never sends): the Content-Length a GET would get,
  /// for a handler that spares itself reading that body. Unset: the length of `body`.
  std::optional<std::uint64_t> head_content_length;
  /// Set (with status 101) to accept a WebSocket handshake: the server completes it and runs this.
  UpgradeHandler upgrade;
};

/// Decodes %XX and '+' (as space when `plus_as_space`); invalid escapes are kept verbatim.
std::string percent_decode(std::string_view in, bool plus_as_space);

}  // namespace gw::http
