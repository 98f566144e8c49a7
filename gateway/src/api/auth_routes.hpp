#pragma once
// /api/v1/auth: generate-pin, login (HTTP Basic or JSON), logout, me (docs/API.md).
#include "app/context.hpp"
#include "http/router.hpp"

namespace gw::api {

void register_auth_routes(http::Router& router, app::Context& ctx);

}  // namespace gw::api
