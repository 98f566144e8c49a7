#pragma once
// /api/v1/sandbox/sessions/:id/…: the sandbox's simulated phone and contacts (docs/SANDBOX.md).
// Registered only when the gateway runs with --sandbox; the handlers check the session like every
// session route (another user's session is 404), validate the body, and send one command to the
// sandbox driver.
#include "app/context.hpp"
#include "http/router.hpp"
#include "sandbox/driver.hpp"
#include "sessions/manager.hpp"
#include "webhooks/http_client.hpp"

namespace gw::api {

/// `client` carries the commands to the driver at `link.control_url`.
void register_sandbox_routes(http::Router& router, app::Context& ctx, sessions::Manager& manager,
                             webhooks::HttpClient& client, const sandbox::Link& link);

}  // namespace gw::api
