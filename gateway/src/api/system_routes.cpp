#include "api/system_routes.hpp"

#include <boost/json/object.hpp>
#include <cmath>

#include "app/health.hpp"
#include "cluster/cluster.hpp"
#include "http/envelope.hpp"
#include "util/time.hpp"

namespace gw::api {

void register_system_routes(http::Router& router, app::Context& ctx) {
  router.add("GET", "/health", http::Access::public_route,
             [&ctx](http::Request&) -> boost::asio::awaitable<http::Response> {
               bool db_up = ctx.health.database_up();
               boost::json::object o;
               o["status"] = db_up ? "healthy" : "unhealthy";
               o["database"] = db_up ? "connected" : "disconnected";
               o["active_sessions"] = ctx.active_sessions ? ctx.active_sessions() : 0;
               o["memory_usage_mb"] = static_cast<int64_t>(std::llround(
                   static_cast<double>(obs::resident_memory_bytes()) / (1024.0 * 1024.0)));
               // The dashboard shows a SANDBOX banner (docs/SANDBOX.md).
               if (ctx.config.sandbox) o["sandbox"] = true;
               // Cluster mode (docs/CLUSTER.md): which node answered, and what it sees.
               if (ctx.cluster) {
                 o["cluster"] = {{"node_id", ctx.cluster->node_id()},
                                 {"sessions", static_cast<int64_t>(ctx.cluster->owned())},
                                 {"live_nodes", ctx.cluster->live_nodes()},
                                 {"clock_correction_ms", util::clock_correction_ms()}};
               }
               o["uptime_seconds"] = std::chrono::duration_cast<std::chrono::seconds>(
                                         std::chrono::steady_clock::now() - ctx.started)
                                         .count();
               auto res = http::json_response(o, db_up ? 200 : 503);
               res.headers.set("Cache-Control", "no-store");
               co_return res;
             });

  router.add("GET", "/metrics", http::Access::public_route,
             [&ctx](http::Request&) -> boost::asio::awaitable<http::Response> {
               http::Response res;
               res.content_type = "text/plain; version=0.0.4; charset=utf-8";
               res.body = ctx.metrics.render();
               co_return res;
             });
}

}  // namespace gw::api
