#include "api/analytics_routes.hpp"

#include <boost/json/object.hpp>

#include "analytics/format.hpp"
#include "analytics/report.hpp"
#include "api/session_routes.hpp"
#include "http/envelope.hpp"
#include "http/errors.hpp"

namespace gw::api {

namespace {

namespace json = boost::json;
using analytics::Day;

constexpr Day kMaxRangeDays = 366;
constexpr Day kDefaultRangeDays = 30;

struct Common {
  analytics::Zone zone;
  bool csv = false;
};

// tz and format, with their problems added to `bad`.
Common common_params(const http::Request& req, const analytics::Zone& default_zone,
                     json::object& bad) {
  Common c{default_zone};
  if (auto tz = req.query_param("tz")) {
    if (auto z = analytics::Zone::find(*tz)) {
      c.zone = *z;
    } else {
      bad["tz"] = "an IANA time zone name such as Asia/Jakarta or UTC";
    }
  }
  if (auto f = req.query_param("format")) {
    if (*f == "csv") {
      c.csv = true;
    } else if (*f != "json") {
      bad["format"] = "json or csv";
    }
  }
  return c;
}

void refuse_if(const json::object& bad) {
  if (bad.empty()) return;
  std::string names;
  for (const auto& kv : bad) names += (names.empty() ? "" : ", ") + std::string(kv.key());
  throw http::ApiError(http::ErrorKind::validation, "invalid query parameter: " + names, bad);
}

http::Response csv_response(std::string body, const std::string& filename) {
  http::Response res;
  res.content_type = "text/csv; charset=utf-8";
  res.headers.set("Content-Disposition", "attachment; filename=\"" + filename + "\"");
  res.headers.set("Cache-Control", "no-store");
  res.body = std::move(body);
  return res;
}

}  // namespace

void register_analytics_routes(http::Router& router, app::Context& ctx,
                               const analytics::Zone& default_zone) {
  using Res = boost::asio::awaitable<http::Response>;
  auto& db = ctx.db;
  auto now_ms = ctx.now_ms;

  router.add(
      "GET", "/api/v1/analytics/sessions/:id", http::Access::authenticated,
      [&db, now_ms, &default_zone](http::Request& req) -> Res {
        auto id = session_id_of(req);
        auto user = *req.user_id;
        json::object bad;
        auto common = common_params(req, default_zone, bad);
        analytics::SessionQuery q;
        q.session_id = id;
        q.now_ms = now_ms();
        if (auto p = req.query_param("period")) {
          if (*p == "daily") {
            q.period = analytics::Period::daily;
          } else if (*p == "weekly") {
            q.period = analytics::Period::weekly;
          } else if (*p == "monthly") {
            q.period = analytics::Period::monthly;
          } else {
            bad["period"] = "daily, weekly or monthly";
          }
        }
        std::optional<Day> start, end;
        for (auto [name, out] : {std::pair{"start_date", &start}, std::pair{"end_date", &end}}) {
          if (auto v = req.query_param(name)) {
            *out = analytics::parse_date(*v);
            if (!*out) bad[name] = "a date as YYYY-MM-DD";
          }
        }
        refuse_if(bad);
        const Day today = common.zone.day_at(q.now_ms / 1000);
        q.end = end.value_or(today);
        q.start = start.value_or(q.end - (kDefaultRangeDays - 1));
        if (q.start > q.end) {
          bad["start_date"] = "on or before end_date (" + analytics::format_date(q.end) + ")";
        } else if (q.end - q.start + 1 > kMaxRangeDays) {
          bad["end_date"] = "at most 366 days from start_date, both included";
        }
        refuse_if(bad);
        auto out = co_await db.run([&](db::Connection& c)
                                       -> std::optional<
                                           std::pair<std::string, analytics::SessionReport>> {
          auto s =
              c.query("SELECT session_name FROM sessions WHERE id = ? AND user_id = ?", {id, user});
          if (s.rows.empty()) return std::nullopt;
          return std::pair{s.rows.front().text(0), analytics::session_report(c, common.zone, q)};
        });
        if (!out) throw http::ApiError(http::ErrorKind::not_found, "session not found");
        if (common.csv) {
          co_return csv_response(analytics::session_csv(out->second),
                                 "analytics-" + id + "-" + analytics::format_date(q.start) + "-" +
                                     analytics::format_date(q.end) + ".csv");
        }
        co_return http::ok(analytics::session_json({id, out->first}, common.zone, q, out->second),
                           "Analytics retrieved successfully");
      });

  router.add("GET", "/api/v1/analytics/overview", http::Access::authenticated,
             [&db, now_ms, &default_zone](http::Request& req) -> Res {
               auto user = *req.user_id;
               json::object bad;
               auto common = common_params(req, default_zone, bad);
               refuse_if(bad);
               const int64_t now = now_ms();
               auto o = co_await db.run([&](db::Connection& c) {
                 return analytics::overview(c, common.zone, user, now);
               });
               if (common.csv) {
                 co_return csv_response(analytics::overview_csv(o),
                                        "analytics-overview-" +
                                            analytics::format_date(common.zone.day_at(now / 1000)) +
                                            ".csv");
               }
               co_return http::ok(analytics::overview_json(o), "Overview retrieved successfully");
             });
}

}  // namespace gw::api
