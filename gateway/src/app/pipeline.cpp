#include "app/pipeline.hpp"

#include <cmath>
#include <random>

#include "cluster/cluster.hpp"
#include "db/value.hpp"
#include "http/envelope.hpp"
#include "http/json_body.hpp"
#include "http/static_site.hpp"
#include "log/log.hpp"
#include "sessions/manager.hpp"
#include "util/strings.hpp"
#include "wa/hex.hpp"

namespace gw::app {

bool is_valid_request_id(std::string_view id) noexcept {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.';
    if (!ok) return false;
  }
  return true;
}

std::string new_request_id() {
  // Uniqueness, not secrecy: a per-thread PRNG seeded from the OS is enough.
  thread_local std::mt19937_64 rng{std::random_device{}()};
  std::string id(32, '0');
  for (std::size_t half = 0; half < 2; ++half) {
    uint64_t v = rng();
    for (std::size_t i = 0; i < 16; ++i) id[half * 16 + i] = wa::hex::kDigits[(v >> (i * 4)) & 0xf];
  }
  return id;
}

namespace {
void set_rate_limit_headers(http::Headers& h, const auth::RateLimitDecision& d) {
  h.set("X-RateLimit-Limit", std::to_string(d.limit));
  h.set("X-RateLimit-Remaining", std::to_string(d.remaining));
  h.set("X-RateLimit-Reset", std::to_string(d.reset_unix_seconds));
  if (!d.allowed) h.set("Retry-After", std::to_string(d.retry_after_seconds));
}

bool is_api_path(std::string_view path) {
  return path.rfind("/api/", 0) == 0;
}
}  // namespace

void check_api_key_access(const http::Route& route, const http::Request& req) {
  const auto& grant = *req.api_key;
  switch (route.access) {
    case http::Access::public_route:
    case http::Access::any_caller:
      return;
    case http::Access::login_only:
      throw http::ApiError(http::ErrorKind::forbidden,
                           "API keys cannot call " + req.method + " " + route.pattern +
                               ": log in (POST /api/v1/auth/login) and use the login token");
    case http::Access::unlimited:
      if (!grant.limited()) return;
      break;
    case http::Access::authenticated:
      if (!grant.limited()) return;
      if (!route.session_param.empty()) {
        // Answered like a session of another user: nothing to learn about what exists.
        if (!grant.covers(req.param(route.session_param))) {
          throw http::ApiError(http::ErrorKind::not_found, "session not found");
        }
        return;
      }
      break;
  }
  throw http::ApiError(http::ErrorKind::forbidden,
                       "this API key is limited to some sessions and cannot call " + req.method +
                           " " + route.pattern);
}

http::Response rate_limited_response(const auth::RateLimitDecision& d, std::string_view what) {
  auto res = http::error_response(
      http::ErrorKind::rate_limited,
      std::string(what) + "; retry in " + std::to_string(d.retry_after_seconds) + " s");
  set_rate_limit_headers(res.headers, d);
  return res;
}

boost::asio::awaitable<http::Response> Pipeline::handle(http::Request& req) {
  auto started = std::chrono::steady_clock::now();
  std::string forwarded;  // several X-Forwarded-For headers count as one list
  for (const auto& [name, value] : req.headers.all()) {
    if (util::iequals(name, "X-Forwarded-For")) forwarded += (forwarded.empty() ? "" : ",") + value;
  }
  req.client_ip = http::client_ip(req.peer_ip, forwarded, ctx_.trusted_proxies);
  auto given = req.headers.get("X-Request-Id");
  req.request_id = given && is_valid_request_id(*given) ? std::string(*given) : new_request_id();

  http::Response res;
  std::exception_ptr failure;
  try {
    res = co_await dispatch(req);
  } catch (...) {
    failure = std::current_exception();
  }
  if (failure) res = error_of(failure, req);
  for (const auto& [name, value] : req.response_headers.all()) res.headers.set(name, value);
  ctx_.cors.apply(req, res);
  finish(req, res, started);
  co_return res;
}

http::Response Pipeline::error_of(const std::exception_ptr& failure, const http::Request& req) {
  http::Response res;
  {
    try {
      std::rethrow_exception(failure);
    } catch (const http::ApiError& e) {
      res = http::error_response(e);
      if (e.kind() == http::ErrorKind::unauthorized) res.headers.set("WWW-Authenticate", "Bearer");
    } catch (const sessions::SessionError& e) {
      // E.g. cluster mode: the session was taken by another node while this request ran.
      res = http::error_response(e.kind() == sessions::SessionError::Kind::conflict
                                     ? http::ErrorKind::conflict
                                     : http::ErrorKind::unavailable,
                                 e.what());
    } catch (const db::DbError& e) {
      if (e.kind() == db::DbError::Kind::unavailable) {
        log::warn("database unavailable", {{"request_id", req.request_id}, {"error", e.what()}});
        res = http::error_response(http::ErrorKind::unavailable,
                                   "the database is unavailable, try again shortly");
        res.headers.set("Retry-After", "2");
      } else {
        log::error("database error", {{"request_id", req.request_id}, {"error", e.what()}});
        res = http::error_response(http::ErrorKind::internal, "internal error");
      }
    } catch (const std::exception& e) {
      log::error("unhandled error", {{"request_id", req.request_id}, {"error", e.what()}});
      res = http::error_response(http::ErrorKind::internal, "internal error");
    }
  }
  return res;
}

boost::asio::awaitable<http::Response> Pipeline::execute_relayed(http::Request& req) {
  http::Response res;
  std::exception_ptr failure;
  try {
    auto m = router_.match(req.method, req.path);
    if (m.outcome != http::Router::Outcome::found) {
      throw http::ApiError(http::ErrorKind::not_found,
                           "no route for " + req.method + " " + req.path);
    }
    req.route = m.pattern;
    req.params = std::move(m.params);
    res = co_await m.route->handler(req);
  } catch (...) {
    failure = std::current_exception();
  }
  if (failure) res = error_of(failure, req);
  for (const auto& [name, value] : req.response_headers.all()) res.headers.set(name, value);
  log::info("relayed request", {{"method", req.method},
                                {"route", req.route},
                                {"status", res.status},
                                {"request_id", req.request_id}});
  co_return res;
}

boost::asio::awaitable<http::Response> Pipeline::dispatch(http::Request& req) {
  if (http::CorsPolicy::is_preflight(req)) {
    req.route = "preflight";
    co_return ctx_.cors.preflight(req);
  }
  auto m = router_.match(req.method, req.path);
  req.route = m.outcome == http::Router::Outcome::not_found ? "unmatched" : m.pattern;
  if (m.outcome == http::Router::Outcome::not_found) {
    if (router_.fallback() && (req.method == "GET" || req.method == "HEAD") &&
        !http::is_reserved_path(req.path)) {
      req.route = "dashboard";
      co_return co_await router_.fallback()(req);
    }
    throw http::ApiError(http::ErrorKind::not_found, "no route for " + req.method + " " + req.path);
  }
  if (m.outcome == http::Router::Outcome::method_not_allowed) {
    std::string allow;
    for (const auto& a : m.allowed) allow += (allow.empty() ? "" : ", ") + a;
    auto res = http::error_response(http::ApiError(
        http::ErrorKind::method_not_allowed,
        "method " + req.method + " not allowed on " + m.pattern + " (allowed: " + allow + ")"));
    res.headers.set("Allow", allow);
    co_return res;
  }
  req.params = std::move(m.params);
  const http::Route& route = *m.route;

  // Who is calling, then whether they may call again now: per user when authenticated (a
  // user's API keys and login tokens share one budget), per client IP otherwise (a bad
  // credential counts against the IP).
  const bool needs_caller = route.access != http::Access::public_route;
  bool authenticated = false;
  if (needs_caller) {
    if (auto credential = auth::Authenticator::credential(req)) {
      if (auto id = co_await ctx_.auth.authenticate(*credential)) {
        req.user_id = id->user_id;
        if (id->api_key) {
          req.api_key = std::move(id->api_key);
        } else {
          req.token_jti = id->jti;
          req.token_exp = id->expires_unix;
        }
        authenticated = true;
      }
    }
  }
  if (is_api_path(req.path)) {
    auto key = authenticated ? "user:" + *req.user_id : "ip:" + http::rate_limit_key(req.client_ip);
    auto decision = ctx_.api_limiter.check(key, ctx_.now_ms());
    set_rate_limit_headers(req.response_headers, decision);
    if (!decision.allowed) co_return rate_limited_response(decision, "too many requests");
  }
  if (needs_caller && !authenticated) {
    throw http::ApiError(http::ErrorKind::unauthorized, "missing, invalid or expired token");
  }
  if (req.api_key) check_api_key_access(route, req);
  if (route.body == http::Body::json && !req.body.empty()) {
    auto type = req.headers.get("Content-Type");
    if (!type || !http::is_json_content_type(*type)) {
      throw http::ApiError(
          http::ErrorKind::unsupported_media_type,
          "Content-Type must be application/json, got " + std::string(type ? *type : "none"));
    }
  }
  if (ctx_.cluster) {
    if (auto node = co_await ctx_.cluster->route_to(req, route)) {
      co_return co_await ctx_.cluster->relay(*node, req);
    }
  }
  co_return co_await route.handler(req);
}

http::Response Pipeline::reject(http::Request& req, http::ErrorKind kind,
                                const std::string& message) {
  auto started = std::chrono::steady_clock::now();
  req.request_id = new_request_id();
  req.route = "unmatched";
  if (req.method.empty()) req.method = "-";
  auto res = http::error_response(kind, message);
  res.close = true;
  ctx_.cors.apply(req, res);
  finish(req, res, started);
  return res;
}

void Pipeline::finish(http::Request& req, http::Response& res,
                      std::chrono::steady_clock::time_point started) {
  res.headers.set("X-Request-Id", req.request_id);
  http::apply_security_headers(res, ctx_.config.served_over_tls());
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  ctx_.metrics.observe_request(req.method, req.route, res.status, seconds);
  auto level = res.status >= 500 ? log::Level::error : log::Level::info;
  if (log::enabled(level)) {
    log::Fields f{{"method", req.method},
                  {"route", req.route},
                  {"path", req.path},
                  {"status", res.status},
                  {"duration_ms", std::round(seconds * 1e6) / 1e3},
                  {"request_id", req.request_id},
                  {"client_ip", req.client_ip}};
    if (req.user_id) f["user_id"] = *req.user_id;
    log::write(level, "request", f);
  }
}

http::ServerHooks Pipeline::hooks() {
  return {[this](http::Request& r) { return handle(r); },
          [this](http::Request& r, http::ErrorKind k, const std::string& m) {
            return reject(r, k, m);
          }};
}

}  // namespace gw::app
