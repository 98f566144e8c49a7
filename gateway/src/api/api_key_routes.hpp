#pragma once
// /api/v1/api-keys: create, list and revoke a user's API keys for machine clients
// (the keys themselves: auth/api_keys.hpp). Managing keys needs a login token: an API key gets 403
// here (http::Access::login_only).
#include "app/context.hpp"
#include "http/router.hpp"

namespace gw::api {

void register_api_key_routes(http::Router& router, app::Context& ctx);

}  // namespace gw::api
