#include "app/pipeline.hpp"

#include <cmath>
#include <random>

#include "db/value.hpp"
#include "http/envelope.hpp"
#include "log/log.hpp"

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
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id(32, '0');
  for (int half = 0; half < 2; ++half) {
    uint64_t v = rng();
    for (int i = 0; i < 16; ++i) id[static_cast<size_t>(half * 16 + i)] = kHex[(v >> (i * 4)) & 0xf];
  }
  return id;
}

boost::asio::awaitable<http::Response> Pipeline::handle(http::Request& req) {
  auto started = std::chrono::steady_clock::now();
  auto given = req.headers.get("X-Request-Id");
  req.request_id = given && is_valid_request_id(*given) ? std::string(*given) : new_request_id();

  http::Response res;
  std::exception_ptr failure;
  try {
    res = co_await dispatch(req);
  } catch (...) {
    failure = std::current_exception();
  }
  if (failure) {
    try {
      std::rethrow_exception(failure);
    } catch (const http::ApiError& e) {
      res = http::error_response(e);
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
  finish(req, res, started);
  co_return res;
}

boost::asio::awaitable<http::Response> Pipeline::dispatch(http::Request& req) {
  auto m = router_.match(req.method, req.path);
  req.route = m.outcome == http::Router::Outcome::not_found ? "unmatched" : m.pattern;
  if (m.outcome == http::Router::Outcome::not_found) {
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
  co_return co_await m.route->handler(req);
}

http::Response Pipeline::reject(http::Request& req, http::ErrorKind kind,
                                const std::string& message) {
  auto started = std::chrono::steady_clock::now();
  req.request_id = new_request_id();
  req.route = "unmatched";
  if (req.method.empty()) req.method = "-";
  auto res = http::error_response(kind, message);
  res.close = true;
  finish(req, res, started);
  return res;
}

void Pipeline::finish(http::Request& req, http::Response& res,
                      std::chrono::steady_clock::time_point started) {
  res.headers.set("X-Request-Id", req.request_id);
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
