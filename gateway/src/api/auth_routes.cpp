#include "api/auth_routes.hpp"

#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/object.hpp>
#include <chrono>
#include <memory>

#include "app/pipeline.hpp"
#include "auth/accounts.hpp"
#include "auth/basic_auth.hpp"
#include "auth/login_throttle.hpp"
#include "auth/secrets.hpp"
#include "http/envelope.hpp"
#include "http/json_body.hpp"
#include "log/log.hpp"

namespace gw::api {

namespace {

constexpr std::size_t kMaxLoginBody = 4096;
constexpr int kMaxLoginDepth = 4;
constexpr const char* kBadCredentials = "invalid PIN";

struct AuthState {
  AuthState(app::Context& c, const auth::Secrets& s)
      : ctx(c),
        accounts(s.pin_key),
        failed_logins({c.config.login_failures_per_minute, 60'000, c.config.rate_limit_max_keys}),
        global_failures(
            {c.config.login_failures_global_per_minute, c.config.login_slowdown_max_delay.count()}),
        new_accounts({c.config.generate_pin_per_hour, 3'600'000, c.config.rate_limit_max_keys}) {}
  app::Context& ctx;
  auth::Accounts accounts;
  auth::RateLimiter failed_logins;      // failed logins per IPv4 address / IPv6 /48
  auth::LoginThrottle global_failures;  // failed logins over all clients
  auth::RateLimiter new_accounts;       // generate-pin per IPv4 address / IPv6 /48
  std::atomic<std::uint64_t> failures_total{0};
};

// The PIN presented by a login request: the Basic user name (with an empty password) or the
// "pin" field of a JSON body. nullopt when the credentials are malformed; that is answered
// exactly like a wrong PIN, so a caller cannot tell the two apart.
std::optional<std::string> presented_pin(const http::Request& req) {
  if (auto header = req.headers.get("Authorization")) {
    auto basic = auth::parse_basic_auth(*header);
    if (!basic || !basic.credentials->password.empty()) return std::nullopt;
    return basic.credentials->user;
  }
  if (req.body.empty()) return std::nullopt;
  const auto obj = http::require_json_object(req.body, kMaxLoginBody, kMaxLoginDepth);
  auto it = obj.find("pin");
  if (it == obj.end() || !it->value().is_string()) {
    throw http::ApiError(http::ErrorKind::validation, "body must be {\"pin\": \"<6 characters>\"}",
                         boost::json::object{{"pin", "required string"}});
  }
  return std::string(it->value().as_string());
}

}  // namespace

void register_auth_routes(http::Router& router, app::Context& ctx) {
  auto state = std::make_shared<AuthState>(ctx, auth::resolve_secrets(ctx.config));
  ctx.metrics.add_gauge("rate_limiter_keys", "Clients tracked by each rate limiter (bounded).",
                        "limiter=\"failed_logins\"",
                        [state] { return static_cast<double>(state->failed_logins.size()); });
  ctx.metrics.add_gauge("rate_limiter_keys", "Clients tracked by each rate limiter (bounded).",
                        "limiter=\"generate_pin\"",
                        [state] { return static_cast<double>(state->new_accounts.size()); });
  ctx.metrics.add_counter("login_failures_total", "Failed logins (wrong, malformed or no PIN).", "",
                          [state] { return static_cast<double>(state->failures_total.load()); });
  ctx.metrics.add_gauge(
      "login_failures_global_window",
      "Failed logins counted in the current minute against LOGIN_FAILURES_GLOBAL_PER_MINUTE.", "",
      [state] {
        return static_cast<double>(state->global_failures.window_count(state->ctx.now_ms()));
      });
  ctx.metrics.add_gauge(
      "login_failures_global_budget", "LOGIN_FAILURES_GLOBAL_PER_MINUTE.", "",
      [state] { return static_cast<double>(state->global_failures.config().budget_per_minute); });
  ctx.metrics.add_counter(
      "login_slowed_total", "Logins made to wait because failed logins were over the budget.", "",
      [state] { return static_cast<double>(state->global_failures.slowed_total()); });
  ctx.metrics.add_counter(
      "login_slowdown_refused_total",
      "Logins refused (429) because their wait would exceed LOGIN_SLOWDOWN_MAX_DELAY.", "",
      [state] { return static_cast<double>(state->global_failures.refused_total()); });
  ctx.metrics.add_gauge(
      "login_delay_seconds", "How long a login made now waits (0 under the global budget).", "",
      [state] {
        return static_cast<double>(state->global_failures.current_delay_ms(state->ctx.now_ms())) /
               1000.0;
      });

  router.add(
      "POST", "/api/v1/auth/generate-pin", http::Access::public_route,
      [state](http::Request& req) -> boost::asio::awaitable<http::Response> {
        auto& s = *state;
        auto d = s.new_accounts.check(http::login_limit_key(req.client_ip), s.ctx.now_ms());
        if (!d.allowed)
          co_return app::rate_limited_response(d, "too many accounts created from this address");
        auto account =
            co_await s.ctx.db.run([&s](db::Connection& c) { return s.accounts.create(c); });
        log::info("account created",
                  {{"user_id", account.user_id}, {"request_id", req.request_id}});
        req.user_id = account.user_id;
        co_return http::ok(boost::json::object{{"user_id", account.user_id}, {"pin", account.pin}},
                           "PIN generated successfully. Please save this PIN for login.", 201);
      });

  router.add(
      "POST", "/api/v1/auth/login", http::Access::public_route,
      [state](http::Request& req) -> boost::asio::awaitable<http::Response> {
        auto& s = *state;
        // Every attempt is counted before its PIN is tested, in the same locked step as the
        // decision (per client key, then over all clients), and given back when the PIN was
        // right: concurrent wrong PINs cannot all pass the check before any is counted.
        auto ip_key = http::login_limit_key(req.client_ip);
        if (auto d = s.failed_logins.check(ip_key, s.ctx.now_ms()); !d.allowed) {
          co_return app::rate_limited_response(d, "too many failed logins from this address");
        }
        const auto admission = s.global_failures.admit(s.ctx.now_ms());
        if (!admission.allowed) {
          s.failed_logins.refund(ip_key, s.ctx.now_ms());
          auth::RateLimitDecision d;
          d.allowed = false;
          d.limit = s.global_failures.config().budget_per_minute;
          d.retry_after_seconds = admission.retry_after_seconds;
          d.reset_unix_seconds = s.ctx.now_ms() / 1000 + admission.retry_after_seconds;
          co_return app::rate_limited_response(
              d, "too many failed logins on this server; logins are slowed down, try again later");
        }
        if (admission.budget_just_exceeded) {
          log::warn("failed logins over the global budget: logins slowed down",
                    {{"budget_per_minute", s.global_failures.config().budget_per_minute},
                     {"interval_ms", s.global_failures.interval_ms()}});
        }
        if (admission.delay_ms > 0) {
          boost::asio::steady_timer wait(co_await boost::asio::this_coro::executor,
                                         std::chrono::milliseconds(admission.delay_ms));
          co_await wait.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
        }
        auto pin = presented_pin(req);
        std::optional<std::string> user_id;
        if (pin) {
          user_id = co_await s.ctx.db.run(
              [&s, &pin](db::Connection& c) { return s.accounts.login(c, *pin); });
        }
        if (!user_id) {
          ++s.failures_total;
          log::warn("login failed", {{"client_ip", req.client_ip},
                                     {"request_id", req.request_id},
                                     {"delay_ms", admission.delay_ms}});
          throw http::ApiError(http::ErrorKind::unauthorized, kBadCredentials);
        }
        s.failed_logins.refund(ip_key, s.ctx.now_ms());
        s.global_failures.refund(admission);
        req.user_id = user_id;
        auto token = s.ctx.auth.issue(*user_id);
        co_return http::ok(
            boost::json::object{{"user_id", *user_id}, {"token", token}, {"pin", *pin}},
            "Login successful");
      },
      http::Body::json);

  // A login token only: an API key is revoked with DELETE /api/v1/api-keys/:id.
  router.add("POST", "/api/v1/auth/logout", http::Access::login_only,
             [state](http::Request& req) -> boost::asio::awaitable<http::Response> {
               auto& s = *state;
               co_await s.ctx.db.run([&req](db::Connection& c) {
                 auth::Accounts::revoke(c, *req.token_jti, *req.user_id, req.token_exp);
               });
               s.ctx.auth.forget(*req.token_jti);
               co_return http::ok(nullptr, "Logout successful");
             });

  router.add("GET", "/api/v1/auth/me", http::Access::any_caller,
             [state](http::Request& req) -> boost::asio::awaitable<http::Response> {
               auto& s = *state;
               auto p = co_await s.ctx.db.run(
                   [&s, &req](db::Connection& c) { return s.accounts.profile(c, *req.user_id); });
               if (!p)
                 throw http::ApiError(http::ErrorKind::unauthorized, "account no longer exists");
               boost::json::object o{{"user_id", p->user_id}, {"created_at", p->created_at}};
               o["last_login"] = p->last_login ? boost::json::value(*p->last_login) : nullptr;
               co_return http::ok(o, "OK");
             });
}

}  // namespace gw::api
