// Webhook deliveries of a session (the dead-letter view): list them with their attempts, and put
// a failed one back in the queue. Another user's session is 404.
#include <boost/json/object.hpp>

#include "api/session_routes.hpp"
#include "http/envelope.hpp"
#include "http/errors.hpp"
#include "log/log.hpp"
#include "sessions/repository.hpp"
#include "util/time.hpp"

namespace gw::api {

namespace {

namespace json = boost::json;

std::string iso_ms(int64_t ms) {
  return util::iso8601_from_ms(ms);
}

json::value opt_int(const db::Row& r, std::size_t i) {
  if (r.is_null(i)) return nullptr;
  return r.integer(i);
}

json::value opt_str(const db::Row& r, std::size_t i) {
  if (r.is_null(i)) return nullptr;
  return json::string(r.text(i));
}

}  // namespace

void register_webhook_routes(http::Router& router, app::Context& ctx,
                             const std::function<void()>& wake_worker) {
  using Res = boost::asio::awaitable<http::Response>;
  auto& db = ctx.db;

  router.add(
      "GET", "/api/v1/sessions/:id/deliveries", http::Access::authenticated,
      [&db](http::Request& req) -> Res {
        auto id = session_id_of(req);
        auto status = req.query_param("status");
        if (status && *status != "pending" && *status != "delivered" && *status != "failed") {
          throw http::ApiError(http::ErrorKind::validation, "invalid status filter",
                               json::object{{"status", "pending, delivered or failed"}});
        }
        int64_t limit = 50;
        if (auto l = req.query_param("limit")) {
          try {
            std::size_t used = 0;
            limit = std::stoll(*l, &used);
            if (used != l->size() || limit < 1 || limit > 500) throw std::out_of_range("limit");
          } catch (const std::exception&) {
            throw http::ApiError(http::ErrorKind::validation, "invalid limit",
                                 json::object{{"limit", "an integer from 1 to 500"}});
          }
        }
        auto user = *req.user_id;
        auto out = co_await db.run([&](db::Connection& c) -> std::optional<json::array> {
          if (!owns_session(c, id, user)) return std::nullopt;
          std::string sql =
              "SELECT id, delivery_id, event, message_id, status, attempts, created_ms, "
              "finished_ms, last_status_code, last_error, next_attempt_ms "
              "FROM webhook_deliveries WHERE session_id = ?";
          std::vector<db::Value> params{id};
          if (status) {
            sql += " AND status = ?";
            params.emplace_back(*status);
          }
          sql += " ORDER BY id DESC LIMIT ?";
          params.emplace_back(limit);
          auto rows = c.query(sql, params);
          json::array list;
          for (const auto& r : rows.rows) {
            json::object d;
            d["delivery_id"] = r.text(1);
            d["event"] = r.text(2);
            d["message_id"] = opt_str(r, 3);
            d["status"] = r.text(4);
            d["attempt_count"] = r.integer(5);
            d["created_at"] = iso_ms(r.integer(6));
            d["finished_at"] =
                r.is_null(7) ? json::value(nullptr) : json::value(iso_ms(r.integer(7)));
            d["last_status_code"] = opt_int(r, 8);
            d["last_error"] = opt_str(r, 9);
            d["next_attempt_at"] =
                r.text(4) == "pending" ? json::value(iso_ms(r.integer(10))) : json::value(nullptr);
            auto att = c.query(
                "SELECT attempt, started_ms, duration_ms, status_code, error FROM webhook_attempts "
                "WHERE delivery_id = ? ORDER BY id",
                {r.integer(0)});
            json::array attempts;
            for (const auto& a : att.rows) {
              attempts.push_back(json::object{{"attempt", a.integer(0)},
                                              {"started_at", iso_ms(a.integer(1))},
                                              {"duration_ms", a.integer(2)},
                                              {"status_code", opt_int(a, 3)},
                                              {"error", opt_str(a, 4)}});
            }
            d["attempts"] = std::move(attempts);
            list.push_back(std::move(d));
          }
          return list;
        });
        if (!out) throw http::ApiError(http::ErrorKind::not_found, "session not found");
        co_return http::ok(std::move(*out), "Deliveries retrieved successfully");
      });

  router.add(
      "POST", "/api/v1/sessions/:id/deliveries/:delivery_id/retry", http::Access::authenticated,
      [&db, &ctx, wake_worker](http::Request& req) -> Res {
        auto id = session_id_of(req);
        auto delivery = sessions::normalize_session_id(req.param("delivery_id"));
        if (!delivery) throw http::ApiError(http::ErrorKind::not_found, "delivery not found");
        auto user = *req.user_id;
        auto t = ctx.now_ms();
        enum class Outcome { no_session, no_delivery, not_failed, queued };
        auto outcome = co_await db.run([&](db::Connection& c) {
          if (!owns_session(c, id, user)) return Outcome::no_session;
          auto r = c.query(
              "SELECT status FROM webhook_deliveries WHERE session_id = ? AND delivery_id = ?",
              {id, *delivery});
          if (r.rows.empty()) return Outcome::no_delivery;
          if (r.rows.front().text(0) != "failed") return Outcome::not_failed;
          // A fresh round of attempts (the first plus WEBHOOK_MAX_RETRIES), same delivery id.
          c.query(
              "UPDATE webhook_deliveries SET status = 'pending', attempts = 0, "
              "next_attempt_ms = ?, finished_ms = NULL WHERE session_id = ? AND delivery_id = ?",
              {t, id, *delivery});
          return Outcome::queued;
        });
        if (outcome == Outcome::no_session)
          throw http::ApiError(http::ErrorKind::not_found, "session not found");
        if (outcome == Outcome::no_delivery)
          throw http::ApiError(http::ErrorKind::not_found, "delivery not found");
        if (outcome == Outcome::not_failed)
          throw http::ApiError(http::ErrorKind::conflict, "only a failed delivery can be retried");
        wake_worker();
        log::info("webhook delivery re-queued", {{"session_id", id}, {"delivery_id", *delivery}});
        co_return http::ok(json::object{{"delivery_id", *delivery}, {"status", "pending"}},
                           "Delivery queued again");
      });
}

}  // namespace gw::api
