// wa-gateway: the WhatsApp multi-session API gateway.
//   wa-gateway                       serve (configuration from the environment and .env)
//   wa-gateway --sandbox             serve, wired to a simulated WhatsApp (docs/SANDBOX.md)
//   wa-gateway migrate up|down [N]|status
//   wa-gateway media-url <id>
//   wa-gateway routes [--sandbox]
//   wa-gateway --help | --version
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "app/app.hpp"
#include "config/config.hpp"
#include "log/log.hpp"
#include "sandbox/driver.hpp"
#include "util/strings.hpp"

#ifndef WA_GATEWAY_VERSION
#define WA_GATEWAY_VERSION "0.0.0"
#endif

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (!args.empty() && (args[0] == "--help" || args[0] == "-h" || args[0] == "help")) {
    std::cout
        << "wa-gateway " << WA_GATEWAY_VERSION
        << " - WhatsApp multi-session API gateway\n\n"
           "Usage:\n"
           "  wa-gateway                               start the server\n"
           "  wa-gateway --sandbox                     start it wired to a simulated WhatsApp\n"
           "                                           (the emulator; docs/SANDBOX.md)\n"
           "  wa-gateway migrate up|down [N]|status    manage the database schema\n"
           "  wa-gateway media-url <id>                print a signed URL of stored media\n"
           "  wa-gateway routes [--sandbox]            print every HTTP route as JSON (with\n"
           "                                           --sandbox: also the sandbox-only ones)\n"
           "  wa-gateway --version                     print the version\n\n"
        << gw::config::help_text();
    return 0;
  }
  if (!args.empty() && (args[0] == "--version" || args[0] == "-v")) {
    std::cout << "wa-gateway " << WA_GATEWAY_VERSION << "\n";
    return 0;
  }
  bool migrate = !args.empty() && args[0] == "migrate";
  bool media_url = !args.empty() && args[0] == "media-url";
  bool routes = !args.empty() && args[0] == "routes";
  bool sandbox = !args.empty() && args[0] == "--sandbox";
  if (sandbox && args.size() != 1) {
    std::cerr << "usage: wa-gateway --sandbox\n";
    return 2;
  }
  const bool routes_sandbox = routes && args.size() == 2 && args[1] == "--sandbox";
  if (routes && args.size() != 1 && !routes_sandbox) {
    std::cerr << "usage: wa-gateway routes [--sandbox]\n";
    return 2;
  }
  if (!args.empty() && !migrate && !media_url && !routes && !sandbox) {
    std::cerr << "wa-gateway: unknown argument \"" << args[0] << "\" (see wa-gateway --help)\n";
    return 2;
  }

  auto env = gw::config::process_environment();
  std::string env_file = env.count("ENV_FILE") ? env["ENV_FILE"] : ".env";
  auto file_vars = gw::config::read_env_file(env_file);
  if (auto* err = std::get_if<gw::config::ConfigError>(&file_vars)) {
    std::cerr << "wa-gateway: " << err->message << "\n";
    return 2;
  }
  auto vars = std::get<gw::config::EnvMap>(file_vars);
  for (auto& [k, v] : env) vars[k] = v;
  // Checked before anything else about the configuration: never a simulated WhatsApp in production.
  if (sandbox && vars.count("ENV") && gw::util::to_lower(vars["ENV"]) == "production") {
    std::cerr << "wa-gateway: --sandbox is refused with ENV=production: the sandbox simulates "
                 "WhatsApp for development and testing only\n";
    return 2;
  }
  auto loaded = gw::config::load(vars);
  if (auto* err = std::get_if<gw::config::ConfigError>(&loaded)) {
    std::cerr << "wa-gateway: " << err->message << "\n";
    return 2;
  }
  auto cfg = std::get<gw::config::Config>(loaded);
  std::unique_ptr<gw::sandbox::Driver> driver;
  if (sandbox) {
    try {
      driver = gw::sandbox::Driver::start(
          gw::sandbox::resolve_emulator_dir(cfg.sandbox_emulator_dir),
          std::filesystem::path(cfg.data_dir) / "sandbox", std::chrono::seconds(60));
    } catch (const std::exception& e) {
      std::cerr << "wa-gateway: cannot start the sandbox: " << e.what() << "\n";
      return 1;
    }
    // The sandbox's WhatsApp server and media host replace the real ones.
    const auto& link = driver->link();
    vars["WHATSAPP_SERVER_URL"] = link.ws_url;
    vars["WHATSAPP_ROOT_PUBLIC_KEY"] = link.root_public_key;
    vars["WHATSAPP_CA_FILE"] = link.ca_file;
    auto again = gw::config::load(vars);
    if (auto* err = std::get_if<gw::config::ConfigError>(&again)) {
      std::cerr << "wa-gateway: " << err->message << "\n";
      return 2;
    }
    cfg = std::get<gw::config::Config>(again);
    cfg.sandbox = true;
  }
  // `routes` prints JSON on stdout: only errors are logged (they go there too).
  gw::log::init(routes ? gw::config::LogLevel::error : cfg.log_level, cfg.log_format);
  if (driver) {
    gw::log::warn(
        "SANDBOX MODE: WhatsApp is simulated by the emulator; nothing reaches real "
        "WhatsApp",
        {{"whatsapp_server_url", driver->link().ws_url}});
  }
  int rc = migrate     ? gw::app::run_migrate(cfg, {args.begin() + 1, args.end()})
           : media_url ? gw::app::run_media_url(cfg, {args.begin() + 1, args.end()})
           : routes    ? gw::app::run_print_routes(cfg, routes_sandbox)
                       : gw::app::run_server(cfg, driver ? &driver->link() : nullptr);
  gw::log::shutdown();
  return rc;
}
