// wa-gateway: the WhatsApp multi-session API gateway.
//   wa-gateway                       serve (configuration from the environment and .env)
//   wa-gateway migrate up|down [N]|status
//   wa-gateway media-url <id>
//   wa-gateway routes
//   wa-gateway --help | --version
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "app/app.hpp"
#include "config/config.hpp"
#include "log/log.hpp"

#ifndef WA_GATEWAY_VERSION
#define WA_GATEWAY_VERSION "0.0.0"
#endif

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (!args.empty() && (args[0] == "--help" || args[0] == "-h" || args[0] == "help")) {
    std::cout << "wa-gateway " << WA_GATEWAY_VERSION
              << " - WhatsApp multi-session API gateway\n\n"
                 "Usage:\n"
                 "  wa-gateway                               start the server\n"
                 "  wa-gateway migrate up|down [N]|status    manage the database schema\n"
                 "  wa-gateway media-url <id>                print a signed URL of stored media\n"
                 "  wa-gateway routes                        print every HTTP route as JSON\n"
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
  if (routes && args.size() != 1) {
    std::cerr << "usage: wa-gateway routes\n";
    return 2;
  }
  if (!args.empty() && !migrate && !media_url && !routes) {
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
  auto loaded = gw::config::load(vars);
  if (auto* err = std::get_if<gw::config::ConfigError>(&loaded)) {
    std::cerr << "wa-gateway: " << err->message << "\n";
    return 2;
  }
  const auto& cfg = std::get<gw::config::Config>(loaded);
  // `routes` prints JSON on stdout: only errors are logged (they go there too).
  gw::log::init(routes ? gw::config::LogLevel::error : cfg.log_level, cfg.log_format);
  int rc = migrate     ? gw::app::run_migrate(cfg, {args.begin() + 1, args.end()})
           : media_url ? gw::app::run_media_url(cfg, {args.begin() + 1, args.end()})
           : routes    ? gw::app::run_print_routes(cfg)
                       : gw::app::run_server(cfg);
  gw::log::shutdown();
  return rc;
}
