#pragma once
// /api/v1/analytics…: a session's analytics and the overview of all of a user's sessions
// (docs/API.md "Analytics"). Thin handlers: validate the query,
// call analytics/report, shape with analytics/format. Another user's session is 404.
#include "analytics/zone.hpp"
#include "app/context.hpp"
#include "http/router.hpp"

namespace gw::api {

/// `default_zone`: ANALYTICS_TIMEZONE, used when a request has no `tz`.
void register_analytics_routes(http::Router& router, app::Context& ctx,
                               const analytics::Zone& default_zone);

}  // namespace gw::api
