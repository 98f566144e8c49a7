#pragma once
// Operational endpoints: GET /health, GET /metrics (Prometheus).
#include "app/context.hpp"
#include "http/router.hpp"

namespace gw::api {

void register_system_routes(http::Router& router, app::Context& ctx);

}  // namespace gw::api
