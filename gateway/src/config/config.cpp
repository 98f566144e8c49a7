#include "config/config.hpp"

#include <algorithm>
#include <boost/url/parse.hpp>
#include <cctype>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <functional>
#include <span>
#include <sstream>
#include <string_view>
#include <thread>

#include "analytics/zone.hpp"
#include "auth/crypto.hpp"
#include "http/client_ip.hpp"
#include "sessions/validation.hpp"
#include "util/strings.hpp"

extern char** environ;  // NOLINT(readability-redundant-declaration): POSIX has programs declare it

namespace gw::config {

namespace {

// A setter returns an empty string on success, else the expected form ("an integer 1-65535").
using Setter = std::function<std::string(Config&, std::string_view)>;

struct Var {
  const char* name;
  std::string default_value;  // parsed like a given value; shown in --help; "" means unset
  const char* description;
  Setter set;
};

bool parse_int(std::string_view s, long long& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc{} && p == s.data() + s.size();
}

Setter int_in(int Config::*field, long long lo, long long hi) {
  return [=](Config& c, std::string_view v) -> std::string {
    long long n = 0;
    if (!parse_int(v, n) || n < lo || n > hi) {
      return "an integer from " + std::to_string(lo) + " to " + std::to_string(hi);
    }
    c.*field = static_cast<int>(n);
    return {};
  };
}

Setter size_in(std::size_t Config::*field, long long lo, long long hi) {
  return [=](Config& c, std::string_view v) -> std::string {
    long long n = 0;
    if (!parse_int(v, n) || n < lo || n > hi) {
      return "a byte count from " + std::to_string(lo) + " to " + std::to_string(hi);
    }
    c.*field = static_cast<std::size_t>(n);
    return {};
  };
}

// Durations: "250ms", "30s", "5m", "2h", or a bare number of seconds.
bool parse_duration_ms(std::string_view v, long long& ms) {
  long long mult = 1000;
  if (v.ends_with("ms")) {
    mult = 1;
    v.remove_suffix(2);
  } else if (v.ends_with("s")) {
    v.remove_suffix(1);
  } else if (v.ends_with("m")) {
    mult = 60'000;
    v.remove_suffix(1);
  } else if (v.ends_with("h")) {
    mult = 3'600'000;
    v.remove_suffix(1);
  }
  long long n = 0;
  if (v.empty() || !parse_int(v, n) || n < 0 || n > 100LL * 365 * 24 * 3600) return false;
  ms = n * mult;
  return true;
}

template <typename Duration>
Setter duration_in(Duration Config::*field, long long min_ms, long long max_ms) {
  return [=](Config& c, std::string_view v) -> std::string {
    long long ms = 0;
    if (!parse_duration_ms(v, ms) || ms < min_ms || ms > max_ms) {
      return "a duration like 30s, 500ms, 5m or 1h, between " + std::to_string(min_ms) + "ms and " +
             std::to_string(max_ms / 1000) + "s";
    }
    c.*field = std::chrono::duration_cast<Duration>(std::chrono::milliseconds(ms));
    return {};
  };
}

Setter text(std::string Config::*field) {
  return [=](Config& c, std::string_view v) -> std::string {
    c.*field = std::string(v);
    return {};
  };
}

Setter flag(bool Config::*field) {
  return [=](Config& c, std::string_view v) -> std::string {
    const auto l = util::to_lower(v);
    if (l == "true" || l == "1" || l == "yes" || l == "on")
      c.*field = true;
    else if (l == "false" || l == "0" || l == "no" || l == "off")
      c.*field = false;
    else
      return "true or false";
    return {};
  };
}

// The library's defaults, spelled as the variables spell them, so that --help, .env.example and
// the parsed defaults all come from wa/constants.hpp and follow it when it changes.
std::string version_text(const std::array<std::uint32_t, 3>& v) {
  return std::to_string(v[0]) + "." + std::to_string(v[1]) + "." + std::to_string(v[2]);
}

std::string default_root_key_hex() {
  return auth::hex_encode(std::span<const std::uint8_t>(wa::constants::kCertRootKey));
}

// "A.B.C", each part a decimal uint32 (no sign, no spaces).
bool parse_version(std::string_view v, std::array<std::uint32_t, 3>& out) {
  for (std::size_t i = 0; i < out.size(); ++i) {
    const auto dot = v.find('.');
    const bool last = i + 1 == out.size();
    if (last != (dot == std::string_view::npos)) return false;
    const std::string_view part = last ? v : v.substr(0, dot);
    std::uint32_t n = 0;
    auto [p, ec] = std::from_chars(part.data(), part.data() + part.size(), n);
    if (part.empty() || ec != std::errc{} || p != part.data() + part.size()) return false;
    out[i] = n;
    if (!last) v.remove_prefix(dot + 1);
  }
  return true;
}

const std::vector<Var>& vars() {
  static const std::vector<Var> table = {
      {"PORT", "8080", "TCP port of the HTTP API and dashboard (0 picks a free port)",
       [](Config& c, std::string_view v) -> std::string {
         long long n = 0;
         if (!parse_int(v, n) || n < 0 || n > 65535) return "an integer from 0 to 65535";
         c.port = static_cast<uint16_t>(n);
         return {};
       }},
      {"BIND_ADDRESS", "0.0.0.0", "address to listen on (127.0.0.1 for local only)",
       text(&Config::bind_address)},
      {"ENV", "development",
       "development or production (production requires JWT_SECRET and PIN_SECRET)",
       [](Config& c, std::string_view v) -> std::string {
         if (v == "development")
           c.env = Env::development;
         else if (v == "production")
           c.env = Env::production;
         else
           return "development or production";
         return {};
       }},
      {"PUBLIC_URL", "", "external base URL; an https:// URL turns on Strict-Transport-Security",
       [](Config& c, std::string_view v) -> std::string {
         if (!v.empty() && v.rfind("http://", 0) != 0 && v.rfind("https://", 0) != 0) {
           return "an absolute http:// or https:// URL";
         }
         c.public_url = std::string(v);
         return {};
       }},
      {"HTTP_THREADS", "0", "I/O threads serving HTTP (0: one per CPU core)",
       int_in(&Config::http_threads, 0, 256)},
      {"HTTP_MAX_BODY_BYTES", "1048576", "largest accepted request body; larger gets 413",
       size_in(&Config::http_max_body_bytes, 1024, 1LL << 30)},
      {"HTTP_MAX_HEADER_BYTES", "16384", "largest accepted request line + headers; larger gets 431",
       size_in(&Config::http_max_header_bytes, 1024, 1 << 20)},
      {"HTTP_HEADER_TIMEOUT", "10s", "time a client has to send a request's headers",
       duration_in(&Config::http_header_timeout, 100, 3'600'000)},
      {"HTTP_BODY_TIMEOUT", "30s", "time a client has to send a request's body",
       duration_in(&Config::http_body_timeout, 100, 3'600'000)},
      {"HTTP_IDLE_TIMEOUT", "60s", "how long an idle keep-alive connection stays open",
       duration_in(&Config::http_idle_timeout, 100, 3'600'000)},
      {"SHUTDOWN_TIMEOUT", "10s", "on SIGTERM/SIGINT, how long in-flight requests may finish",
       duration_in(&Config::shutdown_timeout, 0, 3'600'000)},
      {"HTTP_MAX_CONNECTIONS", "4096",
       "open HTTP connections at most (all clients); beyond, new ones get 503 and are closed",
       int_in(&Config::http_max_connections, 1, 1'000'000)},
      {"HTTP_MAX_CONNECTIONS_PER_IP", "256",
       "open HTTP connections at most per client address (IPv6: per /64; not for TRUSTED_PROXIES)",
       int_in(&Config::http_max_connections_per_ip, 1, 1'000'000)},
      {"WS_MAX_CONNECTIONS", "4096", "open WebSockets at most (all clients); beyond, 503",
       int_in(&Config::ws_max_connections, 1, 1'000'000)},
      {"WS_MAX_CONNECTIONS_PER_IP", "64",
       "open WebSockets at most per client address (IPv6: per /64; not for TRUSTED_PROXIES)",
       int_in(&Config::ws_max_connections_per_ip, 1, 1'000'000)},
      {"DASHBOARD_DIR", "",
       "directory of the built dashboard (default: frontend/dist found from the executable, "
       "build/bin/../../frontend/dist, or ./frontend/dist)",
       text(&Config::dashboard_dir)},
      {"SANDBOX_EMULATOR_DIR", "",
       "emulator directory used by `wa-gateway --sandbox` (default: emulator/ found from the "
       "executable, build/bin/../../emulator, or ./emulator)",
       text(&Config::sandbox_emulator_dir)},
      {"DATA_DIR", "./data", "directory for the SQLite database, secrets and media",
       [](Config& c, std::string_view v) -> std::string {
         if (v.empty()) return "a directory path";
         c.data_dir = std::string(v);
         return {};
       }},
      {"DATABASE_URL", "", "postgres://user:pass@host:port/db to use PostgreSQL; empty: SQLite",
       [](Config& c, std::string_view v) -> std::string {
         if (!v.empty() && v.rfind("postgres://", 0) != 0 && v.rfind("postgresql://", 0) != 0) {
           return "empty (SQLite) or a postgres:// or postgresql:// URL";
         }
         c.database_url = std::string(v);
         return {};
       }},
      {"DB_MAX_CONNECTIONS", "20", "size of the database connection pool",
       int_in(&Config::db_max_connections, 1, 1000)},
      {"DB_MAX_IDLE_CONNECTIONS", "5",
       "connections kept open when idle (more while used in the last 30 s)",
       int_in(&Config::db_max_idle_connections, 0, 1000)},
      {"DB_CONNECTION_MAX_LIFETIME", "300s", "a pooled connection is replaced after this long",
       duration_in(&Config::db_connection_max_lifetime, 1000, 365LL * 24 * 3'600'000)},
      {"JWT_SECRET", "", "HMAC key for tokens, >= 32 characters; required when ENV=production",
       text(&Config::jwt_secret)},
      {"PIN_SECRET", "",
       "key of the stored PIN hashes, >= 32 characters; required when ENV=production (changing "
       "it makes every PIN unusable); in development generated and kept in SECRETS_DIR",
       [](Config& c, std::string_view v) -> std::string {
         if (!v.empty() && v.size() < 32) return "empty or at least 32 characters";
         c.pin_secret = std::string(v);
         return {};
       }},
      {"SECRETS_DIR", "./secrets",
       "development only: where the generated PIN key is kept, apart from DATA_DIR (a copy of the "
       "database and DATA_DIR must not yield the key)",
       [](Config& c, std::string_view v) -> std::string {
         if (v.empty()) return "a directory path";
         c.secrets_dir = std::string(v);
         return {};
       }},
      {"JWT_TTL", "24h", "lifetime of a login token",
       duration_in(&Config::jwt_ttl, 1000, 365LL * 24 * 3'600'000)},
      {"RATE_LIMIT_PER_MINUTE", "100", "requests per minute per user (per IP when anonymous)",
       int_in(&Config::rate_limit_per_minute, 1, 1'000'000)},
      {"LOGIN_FAILURES_PER_MINUTE", "10",
       "failed logins per minute per IPv4 address or IPv6 /48 before 429",
       int_in(&Config::login_failures_per_minute, 1, 1'000'000)},
      {"LOGIN_FAILURES_GLOBAL_PER_MINUTE", "100",
       "failed logins per minute over all clients; beyond, every login waits its turn (one per "
       "60 s / this value), logged and in /metrics",
       int_in(&Config::login_failures_global_per_minute, 1, 1'000'000)},
      {"LOGIN_SLOWDOWN_MAX_DELAY", "30s",
       "longest wait of a slowed login; one that would wait longer gets 429 + Retry-After",
       duration_in(&Config::login_slowdown_max_delay, 0, 600'000)},
      {"GENERATE_PIN_PER_HOUR", "10", "accounts created per hour per IP",
       int_in(&Config::generate_pin_per_hour, 1, 1'000'000)},
      {"RATE_LIMIT_MAX_KEYS", "100000",
       "clients (users and IPs) the rate limiters remember at most",
       size_in(&Config::rate_limit_max_keys, 100, 100'000'000)},
      {"CORS_ALLOWED_ORIGINS", "", "comma-separated origins allowed to call the API from a browser",
       [](Config& c, std::string_view v) -> std::string {
         c.cors_allowed_origins.clear();
         for (auto& o : util::split_list(v, ',')) {
           if (o == "*" || (o.rfind("http://", 0) != 0 && o.rfind("https://", 0) != 0)) {
             return "a comma-separated list of origins like https://app.example.com (no *)";
           }
           while (!o.empty() && o.back() == '/') o.pop_back();
           c.cors_allowed_origins.push_back(o);
         }
         return {};
       }},
      {"TRUSTED_PROXIES", "", "comma-separated IPs/CIDRs whose X-Forwarded-For is believed",
       [](Config& c, std::string_view v) -> std::string {
         auto parsed = http::parse_trusted_proxies(v);
         if (!parsed.ok()) {
           return "a comma-separated list of IP addresses or CIDRs (bad: " +
                  parsed.invalid_entries.front() + ")";
         }
         c.trusted_proxies = std::string(v);
         return {};
       }},
      {"CLUSTER_ENABLED", "false",
       "run as one node of several gateway processes sharing DATABASE_URL (PostgreSQL only): "
       "sessions are leased to nodes, requests and events reach the right node (docs/CLUSTER.md)",
       flag(&Config::cluster_enabled)},
      {"NODE_ID", "",
       "this process's name in the cluster: 1-64 of [A-Za-z0-9._-] (default: host name + random "
       "suffix, new at every start)",
       [](Config& c, std::string_view v) -> std::string {
         if (v.size() > 64) return "1-64 characters of A-Z a-z 0-9 . _ -";
         for (char ch : v) {
           if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '.' && ch != '_' && ch != '-')
             return "1-64 characters of A-Z a-z 0-9 . _ -";
         }
         c.node_id = std::string(v);
         return {};
       }},
      {"LEASE_TTL_SECONDS", "15",
       "cluster: how long a session's lease lasts without renewal; a dead node's sessions move "
       "after it (15, 15s or 2500ms)",
       duration_in(&Config::lease_ttl, 2'000, 600'000)},
      {"LEASE_RENEW_SECONDS", "3",
       "cluster: how often a node renews its leases and claims sessions; less than half of "
       "LEASE_TTL_SECONDS",
       duration_in(&Config::lease_renew, 100, 300'000)},
      {"MAX_SESSIONS_PER_NODE", "0", "cluster: most sessions one node runs (0: no cap)",
       int_in(&Config::max_sessions_per_node, 0, 1'000'000)},
      {"CLUSTER_REBALANCE", "true",
       "cluster: a node holding more than its share + 1 of the running sessions (for example "
       "after another node joined) hands the surplus to the other nodes, a few per lease round",
       flag(&Config::cluster_rebalance)},
      {"CLUSTER_CLOCK_SKEW_SECONDS", "0",
       "tests only: shifts this process's wall clock by this many seconds (leases never use a "
       "node's clock; this shows it)",
       int_in(&Config::clock_skew_seconds, -86'400, 86'400)},
      {"WHATSAPP_THREADS", "0",
       "threads running the WhatsApp sessions, apart from HTTP (0: one per CPU core)",
       int_in(&Config::whatsapp_threads, 0, 256)},
      {"WHATSAPP_SERVER_URL", std::string(wa::constants::kDefaultUrl),
       "WebSocket URL of the WhatsApp server (ws:// or wss://; the emulator's URL for tests)",
       [](Config& c, std::string_view v) -> std::string {
         auto u = boost::urls::parse_absolute_uri(v);
         if (!u ||
             (u->scheme_id() != boost::urls::scheme::ws &&
              u->scheme_id() != boost::urls::scheme::wss) ||
             u->encoded_host().empty()) {
           return "an absolute ws:// or wss:// URL with a host";
         }
         c.whatsapp_server_url = std::string(v);
         return {};
       }},
      {"WHATSAPP_ROOT_PUBLIC_KEY", default_root_key_hex(),
       "Curve25519 key (hex) at the root of the server's Noise certificate chain (the "
       "emulator has its own)",
       [](Config& c, std::string_view v) -> std::string {
         std::array<std::uint8_t, 32> key{};
         if (v.size() != key.size() * 2) return "64 hexadecimal characters (32 bytes)";
         for (std::size_t i = 0; i < key.size(); ++i) {
           const int hi = util::hex_value(v[2 * i]);
           const int lo = util::hex_value(v[2 * i + 1]);
           if (hi < 0 || lo < 0) return "64 hexadecimal characters (32 bytes)";
           key[i] = static_cast<std::uint8_t>(hi * 16 + lo);
         }
         c.whatsapp_root_public_key = key;
         return {};
       }},
      {"WHATSAPP_CA_FILE", "",
       "extra PEM certificate trusted for wss:// and media HTTPS, besides the system's (tests)",
       [](Config& c, std::string_view v) -> std::string {
         if (!v.empty()) {
           std::error_code ec;
           const std::filesystem::path path(v);
           if (!std::filesystem::is_regular_file(path, ec) || !std::ifstream(path)) {
             return "empty or the path of an existing, readable PEM file";
           }
         }
         c.whatsapp_ca_file = std::string(v);
         return {};
       }},
      {"WHATSAPP_AUTO_RECONNECT", "true",
       "reconnect a session after a dropped connection (false: it stays disconnected)",
       flag(&Config::whatsapp_auto_reconnect)},
      {"WHATSAPP_RECONNECT_INTERVAL_SECONDS", "2s",
       "base of the exponential backoff between reconnect attempts (2, 2s or 500ms)",
       duration_in(&Config::whatsapp_reconnect_interval, 1, 3'600'000)},
      {"WHATSAPP_MAX_RECONNECT_ATTEMPTS", "20",
       "failed reconnects in a row after which a session gives up and stays disconnected",
       int_in(&Config::whatsapp_max_reconnect_attempts, 1, 100'000)},
      {"WHATSAPP_DEVICE_NAME", "WA Gateway",
       "name the phone shows in its linked-devices list (1-50 characters)",
       [](Config& c, std::string_view v) -> std::string {
         std::string name;
         if (sessions::validate_label(v, 50, "device name", name)) {
           return "1 to 50 characters, valid UTF-8 without control characters";
         }
         c.whatsapp_device_name = std::move(name);
         return {};
       }},
      {"WHATSAPP_VERSION", version_text(wa::constants::kWaVersion),
       "WhatsApp Web version announced at login; bump this when sessions fail with "
       "status_reason client_outdated (WhatsApp answers 405 to versions it no longer accepts)",
       [](Config& c, std::string_view v) -> std::string {
         std::array<std::uint32_t, 3> version{};
         if (!parse_version(v, version)) {
           return "a version A.B.C of three unsigned 32-bit numbers, like 2.3000.1045649367";
         }
         c.whatsapp_version = version;
         return {};
       }},
      {"WHATSAPP_QR_TIMEOUT_SECONDS", "60s",
       "how long the first QR code of a pairing is shown (WhatsApp rotates it after 60s)",
       duration_in(&Config::whatsapp_qr_timeout, 100, 3'600'000)},
      {"WHATSAPP_QR_REFRESH_SECONDS", "20s",
       "how long each later QR code is shown (WhatsApp rotates them every 20s)",
       duration_in(&Config::whatsapp_qr_refresh, 100, 3'600'000)},
      {"WEBHOOK_ALLOW_PRIVATE_NETWORKS", "true",
       "webhook URLs may point at private and loopback addresses (cloud metadata: never)",
       flag(&Config::webhook_allow_private_networks)},
      {"WEBHOOK_TIMEOUT_SECONDS", "30s",
       "how long one webhook request may take before it counts as failed (30, 30s or 500ms)",
       duration_in(&Config::webhook_timeout, 1, 600'000)},
      {"WEBHOOK_MAX_RETRIES", "3", "retries after the first failed webhook attempt",
       int_in(&Config::webhook_max_retries, 0, 100)},
      {"WEBHOOK_RETRY_BACKOFF_SECONDS", "1s",
       "wait before the first retry; doubled before each further one (1s, 2s, 4s, ...)",
       duration_in(&Config::webhook_retry_backoff, 1, 3'600'000)},
      {"WEBHOOK_TYPING_DELAY_SECONDS", "500ms",
       "how long a message's webhook is pending before the chat shows \"typing…\" (until the "
       "answer); a receiver that answers sooner sends no typing state (0: at once)",
       duration_in(&Config::webhook_typing_delay, 0, 60'000)},
      {"WEBHOOK_CONCURRENCY", "64", "webhook requests in flight at once (across all sessions)",
       int_in(&Config::webhook_concurrency, 1, 10'000)},
      {"WEBHOOK_POLL_INTERVAL_SECONDS", "1s",
       "how often the webhook worker reads the whole outbox as a safety net (deliveries go chat "
       "by chat without it; retries and restarts are found by it too)",
       duration_in(&Config::webhook_poll_interval, 10, 3'600'000)},
      {"SEND_RATE_PER_MINUTE", "120",
       "messages one session may send per minute (API and webhook replies); beyond it the API "
       "answers 429 and replies wait",
       int_in(&Config::send_rate_per_minute, 1, 1'000'000)},
      {"SEND_TYPING", "false",
       "show \"typing...\" before each text for a time that grows with its length (human-like)",
       flag(&Config::send_typing)},
      {"MEDIA_DIR", "", "directory of stored media files (default: DATA_DIR/media)",
       text(&Config::media_dir)},
      {"MEDIA_MAX_BYTES", "16777216",
       "largest media file sent from media_url/media_base64 or stored; larger gets 413",
       size_in(&Config::media_max_bytes, 1024, 100LL * 1024 * 1024)},
      {"MEDIA_RETENTION_DAYS", "30", "stored media older than this are deleted (0: kept forever)",
       int_in(&Config::media_retention_days, 0, 36'500)},
      {"MEDIA_URL_TTL_SECONDS", "7d",
       "how long a signed media URL stays valid (at most MEDIA_RETENTION_DAYS; 604800, 12h, 7d)",
       [](Config& c, std::string_view v) -> std::string {
         constexpr const char* kExpected =
             "a duration like 604800, 3600s, 12h or 7d, between 1s and 3650d";
         long long ms = 0;
         if (v.ends_with("d") && v.size() > 1) {
           long long days = 0;
           if (!parse_int(v.substr(0, v.size() - 1), days) || days < 1 || days > 3650) {
             return kExpected;
           }
           ms = days * 86'400'000LL;
         } else if (!parse_duration_ms(v, ms) || ms < 1000 || ms > 3650LL * 86'400'000) {
           return kExpected;
         }
         c.media_url_ttl = std::chrono::seconds(ms / 1000);
         return {};
       }},
      {"MEDIA_ALLOW_PRIVATE_NETWORKS", "true",
       "media_url downloads may reach private and loopback addresses (cloud metadata: never)",
       flag(&Config::media_allow_private_networks)},
      {"MEDIA_FETCH_TIMEOUT_SECONDS", "60s",
       "how long downloading one media_url may take, redirects included (60, 60s or 500ms)",
       duration_in(&Config::media_fetch_timeout, 1, 3'600'000)},
      {"MEDIA_DOWNLOAD_WAIT_SECONDS", "30s",
       "how long the webhook of a received photo, video, audio, document or sticker waits for its "
       "download before it goes out with media_error (30, 30s or 500ms)",
       duration_in(&Config::media_download_wait, 0, 3'600'000)},
      {"ANALYTICS_TIMEZONE", "UTC",
       "IANA time zone (e.g. Asia/Jakarta) of analytics days, weeks, months and peak hours when a "
       "request gives no tz",
       [](Config& c, std::string_view v) -> std::string {
         if (!analytics::Zone::find(v)) return "an IANA time zone name such as Asia/Jakarta or UTC";
         c.analytics_timezone = std::string(v);
         return {};
       }},
      {"ANALYTICS_RETENTION_DAYS", "90",
       "raw analytics rows older than this are deleted (hourly); the rollups that answer the "
       "analytics API are kept; 0 keeps raw rows for ever",
       int_in(&Config::analytics_retention_days, 0, 100'000)},
      {"METRICS_MAX_SESSION_LABELS", "100",
       "sessions that get their own session label in /metrics; the others are summed under "
       "session=\"other\"",
       int_in(&Config::metrics_max_session_labels, 0, 100'000)},
      {"LOG_LEVEL", "info", "debug, info, warn or error",
       [](Config& c, std::string_view v) -> std::string {
         auto l = util::to_lower(v);
         if (l == "debug")
           c.log_level = LogLevel::debug;
         else if (l == "info")
           c.log_level = LogLevel::info;
         else if (l == "warn" || l == "warning")
           c.log_level = LogLevel::warn;
         else if (l == "error")
           c.log_level = LogLevel::error;
         else
           return "debug, info, warn or error";
         return {};
       }},
      {"LOG_FORMAT", "json", "json (one JSON object per line) or text (for humans)",
       [](Config& c, std::string_view v) -> std::string {
         if (v == "json")
           c.log_format = LogFormat::json;
         else if (v == "text")
           c.log_format = LogFormat::text;
         else
           return "json or text";
         return {};
       }},
  };
  return table;
}

}  // namespace

std::variant<Config, ConfigError> load(const EnvMap& env) {
  Config c;
  for (const auto& v : vars()) {
    auto it = env.find(v.name);
    std::string_view value =
        it != env.end() ? std::string_view(it->second) : std::string_view(v.default_value);
    if (it != env.end()) value = util::trim(value);
    if (auto expected = v.set(c, value); !expected.empty()) {
      return ConfigError{v.name, std::string("invalid ") + v.name + "=\"" + std::string(value) +
                                     "\": expected " + expected};
    }
  }
  if (c.db_max_idle_connections > c.db_max_connections) {
    return ConfigError{"DB_MAX_IDLE_CONNECTIONS",
                       "invalid DB_MAX_IDLE_CONNECTIONS: expected at most DB_MAX_CONNECTIONS (" +
                           std::to_string(c.db_max_connections) + ")"};
  }
  if (c.env == Env::production && c.jwt_secret.size() < 32) {
    return ConfigError{"JWT_SECRET",
                       "invalid JWT_SECRET: expected at least 32 characters when ENV=production"};
  }
  if (c.env == Env::production && c.pin_secret.size() < 32) {
    return ConfigError{
        "PIN_SECRET",
        "invalid PIN_SECRET: expected at least 32 characters when ENV=production (the key of the "
        "stored PIN hashes is never generated next to the database in production)"};
  }
  if (c.cluster_enabled && c.database_url.empty()) {
    return ConfigError{"CLUSTER_ENABLED",
                       "invalid CLUSTER_ENABLED=true: cluster mode needs PostgreSQL (set "
                       "DATABASE_URL); with SQLite the gateway is a single process"};
  }
  if (c.lease_renew * 2 >= c.lease_ttl) {
    return ConfigError{
        "LEASE_RENEW_SECONDS",
        "invalid LEASE_RENEW_SECONDS: expected less than half of LEASE_TTL_SECONDS (" +
            std::to_string(c.lease_ttl.count()) + " ms)"};
  }
  if (c.media_dir.empty()) c.media_dir = (std::filesystem::path(c.data_dir) / "media").string();
  if (c.media_retention_days > 0 && c.media_url_ttl > std::chrono::days(c.media_retention_days)) {
    return ConfigError{"MEDIA_URL_TTL_SECONDS",
                       "invalid MEDIA_URL_TTL_SECONDS: expected at most MEDIA_RETENTION_DAYS (" +
                           std::to_string(c.media_retention_days) +
                           " days), or a file would be gone before its URL expires"};
  }
  const int cores = static_cast<int>(std::max(1U, std::thread::hardware_concurrency()));
  if (c.http_threads == 0) c.http_threads = cores;
  if (c.whatsapp_threads == 0) c.whatsapp_threads = cores;
  return c;
}

std::variant<EnvMap, ConfigError> read_env_file(const std::string& path) {
  EnvMap out;
  std::ifstream in(path);
  if (!in) return out;
  std::string line;
  int lineno = 0;
  while (std::getline(in, line)) {
    ++lineno;
    std::string_view l = util::trim(line);
    if (l.empty() || l.front() == '#') continue;
    if (l.rfind("export ", 0) == 0) l = util::trim(l.substr(7));
    auto eq = l.find('=');
    if (eq == std::string_view::npos || eq == 0) {
      return ConfigError{path, path + ":" + std::to_string(lineno) + ": expected KEY=VALUE"};
    }
    std::string key(util::trim(l.substr(0, eq)));
    std::string_view value = util::trim(l.substr(eq + 1));
    if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') &&
        value.back() == value.front()) {
      value = value.substr(1, value.size() - 2);
    } else if (auto hash = value.find(" #"); hash != std::string_view::npos) {
      value = util::trim(value.substr(0, hash));
    }
    out[key] = std::string(value);
  }
  return out;
}

EnvMap process_environment() {
  EnvMap out;
  for (char** e = environ; e && *e; ++e) {
    std::string_view kv(*e);
    auto eq = kv.find('=');
    if (eq == std::string_view::npos) continue;
    out.emplace(std::string(kv.substr(0, eq)), std::string(kv.substr(eq + 1)));
  }
  return out;
}

std::string help_text() {
  std::ostringstream o;
  o << "Configuration (environment variables; a .env file in the working directory is read too,\n"
       "the environment wins; ENV_FILE names another file):\n\n";
  std::size_t width = 0;
  for (const auto& v : vars()) width = std::max(width, std::string_view(v.name).size() + 2);
  for (const auto& v : vars()) {
    o << "  " << v.name;
    for (size_t i = std::string_view(v.name).size(); i < width; ++i) o << ' ';
    o << v.description << " (default: " << (v.default_value.empty() ? "unset" : v.default_value)
      << ")\n";
  }
  return o.str();
}

std::string env_example_text() {
  std::ostringstream o;
  o << "# Every configuration variable of wa-gateway, commented out, with its default.\n"
       "# Copy to .env (read from the working directory; ENV_FILE names another file) and\n"
       "# uncomment what you change; the environment wins over the file. None is required.\n"
       "# Generated from the table in gateway/src/config/config.cpp (a unit test keeps it "
       "equal).\n";
  for (const auto& v : vars()) {
    o << "\n# " << v.description << "\n# " << v.name << '=';
    // read_env_file() strips one pair of quotes and cuts " #" comments from unquoted values.
    const bool quote = v.default_value.find_first_of(" #\"'") != std::string::npos;
    o << (quote ? "\"" : "") << v.default_value << (quote ? "\"" : "") << '\n';
  }
  return o.str();
}

}  // namespace gw::config
