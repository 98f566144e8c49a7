#pragma once
// Gateway configuration: environment variables, plus an optional .env file (the environment wins).
// Every variable, its default and its expected form live in one table (config.cpp); --help prints
// that table, and a bad value stops start-up with one line naming the variable.
#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <variant>
#include <vector>

#include "wa/constants.hpp"

namespace gw::config {

enum class Env { development, production };
enum class LogLevel { debug, info, warn, error };
enum class LogFormat { json, text };

struct Config {
  // Server
  uint16_t port = 8080;
  std::string bind_address = "0.0.0.0";
  Env env = Env::development;
  int http_threads = 0;  // 0: one per core
  std::size_t http_max_body_bytes = 1024 * 1024;
  std::size_t http_max_header_bytes = 16 * 1024;
  std::chrono::milliseconds http_header_timeout{10'000};
  std::chrono::milliseconds http_body_timeout{30'000};
  std::chrono::milliseconds http_idle_timeout{60'000};
  std::chrono::milliseconds shutdown_timeout{10'000};
  // Connection caps (docs/SECURITY.md): beyond them new connections are refused with 503.
  int http_max_connections = 4096;        // open HTTP connections, all clients
  int http_max_connections_per_ip = 256;  // per client address (IPv6: per /64)
  int ws_max_connections = 4096;          // open WebSockets, all clients
  int ws_max_connections_per_ip = 64;     // per client address (IPv6: per /64)
  std::string public_url;                 // how clients reach us; https:// turns on HSTS

  // Storage
  std::string data_dir = "./data";
  std::string database_url;  // empty: SQLite in data_dir
  int db_max_connections = 20;
  int db_max_idle_connections = 5;
  std::chrono::seconds db_connection_max_lifetime{300};

  // Security
  std::string jwt_secret;  // empty in development: generated and kept in data_dir
  std::string pin_secret;  // key of the PIN hash; required in production; empty in development:
                           // generated and kept in secrets_dir
  std::string secrets_dir = "./secrets";  // development secrets kept apart from data_dir
  std::chrono::seconds jwt_ttl{24 * 3600};
  int rate_limit_per_minute = 100;
  int login_failures_per_minute = 10;                          // per IPv4 address / IPv6 /48
  int login_failures_global_per_minute = 100;                  // beyond: logins paced for everyone
  std::chrono::milliseconds login_slowdown_max_delay{30'000};  // longer wait: 429
  int generate_pin_per_hour = 10;
  std::size_t rate_limit_max_keys = 100'000;
  std::vector<std::string> cors_allowed_origins;
  std::string trusted_proxies;

  // Cluster mode: many processes on one PostgreSQL (docs/CLUSTER.md)
  bool cluster_enabled = false;
  std::string node_id;  // empty before load(): generated
  std::chrono::milliseconds lease_ttl{15'000};
  std::chrono::milliseconds lease_renew{3'000};
  int max_sessions_per_node = 0;  // 0: no cap
  bool cluster_rebalance = true;  // a node over its share + 1 hands sessions to others
  int clock_skew_seconds = 0;     // tests only: shifts this process's wall clock

  // WhatsApp (the defaults talk to the real WhatsApp; the emulator needs URL, root key and CA)
  int whatsapp_threads = 0;  // 0: one per core
  std::string whatsapp_server_url{wa::constants::kDefaultUrl};
  /// Root of the server's Noise certificate chain, as the 32 key bytes (given as 64 hex chars).
  std::array<std::uint8_t, 32> whatsapp_root_public_key = wa::constants::kCertRootKey;
  std::string whatsapp_ca_file;  // extra trusted PEM for wss:// and media HTTPS; empty: none
  bool whatsapp_auto_reconnect = true;
  std::chrono::milliseconds whatsapp_reconnect_interval{2'000};  // backoff base
  int whatsapp_max_reconnect_attempts = 20;
  std::string whatsapp_device_name = "WA Gateway";  // shown in the phone's linked devices
  std::array<std::uint32_t, 3> whatsapp_version = wa::constants::kWaVersion;
  std::chrono::milliseconds whatsapp_qr_timeout{60'000};  // how long the first QR is shown
  std::chrono::milliseconds whatsapp_qr_refresh{20'000};  // how long each later QR is shown

  // Webhooks
  /// Whether webhook URLs may point at private/loopback addresses (cloud metadata never may).
  bool webhook_allow_private_networks = true;
  std::chrono::milliseconds webhook_timeout{30'000};
  int webhook_max_retries = 3;
  std::chrono::milliseconds webhook_retry_backoff{1'000};
  std::chrono::milliseconds webhook_typing_delay{500};
  std::chrono::milliseconds webhook_poll_interval{1'000};
  int webhook_concurrency = 64;

  // Sending
  int send_rate_per_minute = 120;  // per session: API sends and webhook replies together
  bool send_typing = false;        // human-like "typing…" before each text unless told otherwise
  // Media (docs/media.md)
  std::string media_dir;  // empty before load(): DATA_DIR/media
  std::size_t media_max_bytes = 16 * 1024 * 1024;
  int media_retention_days = 30;  // 0: keep forever
  std::chrono::seconds media_url_ttl{7 * 24 * 3600};
  /// Whether media_url downloads may reach private/loopback addresses (cloud metadata never may).
  bool media_allow_private_networks = true;
  std::chrono::milliseconds media_fetch_timeout{60'000};
  /// How long the webhook of a received attachment waits for its download.
  std::chrono::milliseconds media_download_wait{30'000};

  // Analytics
  std::string analytics_timezone = "UTC";  // IANA name; requests may give another with tz
  int analytics_retention_days = 90;       // raw rows kept; 0: for ever (rollups always kept)
  int metrics_max_session_labels = 100;    // beyond: one session="other" series

  // Dashboard (docs/DASHBOARD.md)
  std::string dashboard_dir;  // empty: found beside the executable (api/dashboard_routes.cpp)

  // Sandbox (docs/SANDBOX.md)
  std::string sandbox_emulator_dir;  // empty: found beside the executable (sandbox/driver.cpp)
  bool sandbox = false;              // set by `wa-gateway --sandbox`, not by a variable

  // Logging
  LogLevel log_level = LogLevel::info;
  LogFormat log_format = LogFormat::json;

  [[nodiscard]] bool uses_postgres() const { return !database_url.empty(); }
  [[nodiscard]] bool served_over_tls() const { return public_url.rfind("https://", 0) == 0; }
};

/// A configuration problem: the variable and a one-line message with the expected form.
struct ConfigError {
  std::string variable;
  std::string message;
};

using EnvMap = std::map<std::string, std::string>;

/// Builds the configuration from variables (environment merged over .env).
std::variant<Config, ConfigError> load(const EnvMap& vars);

/// Reads KEY=VALUE lines (comments with #, optional quotes, optional "export ").
/// A missing file yields an empty map; a malformed line yields a ConfigError.
std::variant<EnvMap, ConfigError> read_env_file(const std::string& path);

/// The process environment as a map.
EnvMap process_environment();

/// Text for --help: every variable with its default and description.
std::string help_text();

/// The committed .env.example, generated from the same table: every variable commented out with
/// its default and description (a unit test keeps the file equal to this text).
std::string env_example_text();

}  // namespace gw::config
