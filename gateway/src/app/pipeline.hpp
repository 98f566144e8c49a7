#pragma once
// The request pipeline every HTTP request goes through, in this order:
//   client IP (X-Forwarded-For from trusted proxies only) -> request id -> CORS preflight ->
//   route match (404/405) -> authentication (login token or API key) -> rate limit (/api) ->
//   401 -> what an API key may call (403/404, http::Access) -> Content-Type (415) -> handler ->
//   error mapping -> rate-limit, CORS and security headers -> metrics + access log.
// Handlers throw http::ApiError (or db::DbError) and never build error envelopes themselves.
// Thread safety: handle()/reject() are called concurrently from connection strands; the pipeline
// holds no mutable state of its own.
#include <boost/asio/awaitable.hpp>
#include <chrono>

#include "app/context.hpp"
#include "http/router.hpp"
#include "http/server.hpp"

namespace gw::app {

class Pipeline {
 public:
  Pipeline(Context& ctx, const http::Router& router) : ctx_(ctx), router_(router) {}

  boost::asio::awaitable<http::Response> handle(http::Request& req);
  /// A request relayed from another cluster node, which authenticated and authorized it: the
  /// route's handler with the error mapping, nothing else (docs/CLUSTER.md).
  boost::asio::awaitable<http::Response> execute_relayed(http::Request& req);
  http::Response reject(http::Request& req, http::ErrorKind kind, const std::string& message);
  http::ServerHooks hooks();

 private:
  boost::asio::awaitable<http::Response> dispatch(http::Request& req);
  http::Response error_of(const std::exception_ptr& failure, const http::Request& req);
  void finish(http::Request& req, http::Response& res,
              std::chrono::steady_clock::time_point started);

  Context& ctx_;
  const http::Router& router_;
};

/// Whether the API key of `req` (req.api_key set) may call `route` (http::Access); throws
/// ApiError 403 when the route is not for such a key, 404 when it names a session the key does not
/// cover (as for another user's session).
void check_api_key_access(const http::Route& route, const http::Request& req);

/// 429 in the error envelope with Retry-After and the X-RateLimit-* headers.
http::Response rate_limited_response(const auth::RateLimitDecision& d, std::string_view what);

/// An X-Request-Id we accept from clients: 1-128 chars of [A-Za-z0-9._-].
bool is_valid_request_id(std::string_view id) noexcept;
/// A new random request id (32 hex chars).
std::string new_request_id();

}  // namespace gw::app
