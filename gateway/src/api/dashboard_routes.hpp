#pragma once
// The web dashboard (frontend/, docs/DASHBOARD.md): GET and HEAD / and every page path the API does
// not own answer the built single-page app (http::StaticSite), with its Content-Security-Policy
// (http/security.hpp). Without a built dashboard, / explains how to build it.
#include <filesystem>
#include <string>

#include "app/context.hpp"
#include "http/router.hpp"
#include "http/static_site.hpp"

namespace gw::api {

/// Where the built dashboard is: DASHBOARD_DIR when set, else the first of
/// <executable dir>/../../frontend/dist (a build tree: build/bin/wa-gateway),
/// <executable dir>/../share/wa-gateway/dashboard (an installed binary) and ./frontend/dist that
/// holds an index.html; DASHBOARD_DIR's value (possibly empty) when none does.
std::filesystem::path resolve_dashboard_dir(const std::string& configured);

/// Registers / and the router's fallback. `site` outlives the router.
void register_dashboard_routes(http::Router& router, app::Context& ctx,
                               const http::StaticSite& site);

}  // namespace gw::api
