#pragma once
// The gateway process: opens the database and migrates it, serves HTTP until SIGTERM/SIGINT,
// then shuts down gracefully.
#include "config/config.hpp"
#include "sandbox/driver.hpp"

namespace gw::app {

/// Runs the server; returns the process exit code (0 after a graceful shutdown).
/// With `sandbox` (wa-gateway --sandbox), the sandbox routes are added and talk to that driver.
int run_server(const config::Config& config, const sandbox::Link* sandbox = nullptr);

/// `wa-gateway routes`: builds the application exactly as run_server does (so it needs the same
/// configuration and a reachable database) and prints every route of the router as a JSON array
/// of {"method", "pattern", "access"}, without listening; returns the process exit code. The
/// authorization-matrix test enumerates the routes this way. With `sandbox`
/// (`wa-gateway routes --sandbox`), the sandbox-only routes are included (no driver is started).
int run_print_routes(const config::Config& config, bool sandbox = false);

/// `wa-gateway migrate up|down [N]|status`; returns the process exit code.
int run_migrate(const config::Config& config, const std::vector<std::string>& args);

/// `wa-gateway media-url <id>`: prints a signed URL of a stored media file, valid for
/// MEDIA_URL_TTL_SECONDS (absolute when PUBLIC_URL is set); returns the process exit code.
int run_media_url(const config::Config& config, const std::vector<std::string>& args);

}  // namespace gw::app
