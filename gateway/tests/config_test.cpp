#include "config/config.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "wa/constants.hpp"

using namespace gw::config;

namespace {
Config ok(const EnvMap& vars) {
  auto r = load(vars);
  if (auto* e = std::get_if<ConfigError>(&r)) ADD_FAILURE() << e->message;
  return std::get<Config>(r);
}
ConfigError bad(const EnvMap& vars) {
  auto r = load(vars);
  EXPECT_TRUE(std::holds_alternative<ConfigError>(r));
  return std::holds_alternative<ConfigError>(r) ? std::get<ConfigError>(r) : ConfigError{};
}
}  // namespace

TEST(Config, DefaultsNeedNoVariables) {
  auto c = ok({});
  EXPECT_EQ(c.port, 8080);
  EXPECT_EQ(c.env, Env::development);
  EXPECT_EQ(c.data_dir, "./data");
  EXPECT_FALSE(c.uses_postgres());
  EXPECT_EQ(c.db_max_connections, 20);
  EXPECT_EQ(c.db_max_idle_connections, 5);
  EXPECT_EQ(c.db_connection_max_lifetime, std::chrono::seconds(300));
  EXPECT_EQ(c.log_level, LogLevel::info);
  EXPECT_EQ(c.log_format, LogFormat::json);
  EXPECT_EQ(c.jwt_ttl, std::chrono::hours(24));
  EXPECT_GE(c.http_threads, 1);
}

TEST(Config, ParsesEveryKind) {
  auto c = ok({{"PORT", "9090"},
               {"DATABASE_URL", "postgres://u:p@127.0.0.1:5432/db"},
               {"DB_MAX_CONNECTIONS", "7"},
               {"DB_MAX_IDLE_CONNECTIONS", "2"},
               {"DB_CONNECTION_MAX_LIFETIME", "5m"},
               {"LOG_LEVEL", "DEBUG"},
               {"LOG_FORMAT", "text"},
               {"HTTP_HEADER_TIMEOUT", "250ms"},
               {"JWT_TTL", "2h"},
               {"CORS_ALLOWED_ORIGINS", "http://localhost:3000, https://app.example.com/"}});
  EXPECT_EQ(c.port, 9090);
  EXPECT_TRUE(c.uses_postgres());
  EXPECT_EQ(c.db_max_connections, 7);
  EXPECT_EQ(c.db_max_idle_connections, 2);
  EXPECT_EQ(c.db_connection_max_lifetime, std::chrono::seconds(300));
  EXPECT_EQ(c.log_level, LogLevel::debug);
  EXPECT_EQ(c.log_format, LogFormat::text);
  EXPECT_EQ(c.http_header_timeout, std::chrono::milliseconds(250));
  EXPECT_EQ(c.jwt_ttl, std::chrono::hours(2));
  EXPECT_EQ(c.cors_allowed_origins,
            (std::vector<std::string>{"http://localhost:3000", "https://app.example.com"}));
}

TEST(Config, BareNumberDurationIsSeconds) {
  EXPECT_EQ(ok({{"DB_CONNECTION_MAX_LIFETIME", "42"}}).db_connection_max_lifetime,
            std::chrono::seconds(42));
}

TEST(Config, InvalidValuesNameTheVariableAndTheExpectedForm) {
  auto e = bad({{"PORT", "eighty"}});
  EXPECT_EQ(e.variable, "PORT");
  EXPECT_NE(e.message.find("PORT"), std::string::npos);
  EXPECT_NE(e.message.find("0 to 65535"), std::string::npos);

  EXPECT_EQ(bad({{"PORT", "70000"}}).variable, "PORT");
  EXPECT_EQ(bad({{"ENV", "staging"}}).variable, "ENV");
  EXPECT_EQ(bad({{"LOG_LEVEL", "loud"}}).variable, "LOG_LEVEL");
  EXPECT_EQ(bad({{"LOG_FORMAT", "xml"}}).variable, "LOG_FORMAT");
  EXPECT_EQ(bad({{"DB_MAX_CONNECTIONS", "0"}}).variable, "DB_MAX_CONNECTIONS");
  EXPECT_EQ(bad({{"DB_CONNECTION_MAX_LIFETIME", "soon"}}).variable, "DB_CONNECTION_MAX_LIFETIME");
  EXPECT_EQ(bad({{"DATABASE_URL", "mysql://x"}}).variable, "DATABASE_URL");
  EXPECT_EQ(bad({{"CORS_ALLOWED_ORIGINS", "*"}}).variable, "CORS_ALLOWED_ORIGINS");
  EXPECT_EQ(bad({{"DB_MAX_CONNECTIONS", "3"}, {"DB_MAX_IDLE_CONNECTIONS", "4"}}).variable,
            "DB_MAX_IDLE_CONNECTIONS");
}

TEST(Config, ProductionRequiresLongJwtSecret) {
  EXPECT_EQ(bad({{"ENV", "production"}}).variable, "JWT_SECRET");
  EXPECT_EQ(bad({{"ENV", "production"}, {"JWT_SECRET", "short"}}).variable, "JWT_SECRET");
  auto c = ok({{"ENV", "production"},
               {"JWT_SECRET", std::string(32, 'k')},
               {"PIN_SECRET", std::string(32, 'p')}});
  EXPECT_EQ(c.env, Env::production);
}

TEST(Config, ProductionRequiresLongPinSecret) {
  const std::string jwt(32, 'k');
  // Missing: production never falls back to a generated key.
  const auto missing = bad({{"ENV", "production"}, {"JWT_SECRET", jwt}});
  EXPECT_EQ(missing.variable, "PIN_SECRET");
  EXPECT_NE(missing.message.find("32 characters when ENV=production"), std::string::npos);
  EXPECT_EQ(bad({{"ENV", "production"}, {"JWT_SECRET", jwt}, {"PIN_SECRET", "short"}}).variable,
            "PIN_SECRET");
  EXPECT_EQ(bad({{"ENV", "production"}, {"JWT_SECRET", jwt}, {"PIN_SECRET", std::string(31, 'p')}})
                .variable,
            "PIN_SECRET");
  // Development: optional (generated into SECRETS_DIR).
  EXPECT_TRUE(ok({}).pin_secret.empty());
  EXPECT_EQ(ok({}).secrets_dir, "./secrets");
}

TEST(Config, LoginAndConnectionLimits) {
  const auto c = ok({});
  EXPECT_EQ(c.login_failures_per_minute, 10);
  EXPECT_EQ(c.login_failures_global_per_minute, 100);
  EXPECT_EQ(c.login_slowdown_max_delay, std::chrono::seconds(30));
  EXPECT_EQ(c.http_max_connections, 4096);
  EXPECT_EQ(c.http_max_connections_per_ip, 256);
  EXPECT_EQ(c.ws_max_connections, 4096);
  EXPECT_EQ(c.ws_max_connections_per_ip, 64);
  EXPECT_EQ(bad({{"LOGIN_FAILURES_GLOBAL_PER_MINUTE", "0"}}).variable,
            "LOGIN_FAILURES_GLOBAL_PER_MINUTE");
  EXPECT_EQ(bad({{"HTTP_MAX_CONNECTIONS_PER_IP", "0"}}).variable, "HTTP_MAX_CONNECTIONS_PER_IP");
  EXPECT_EQ(ok({{"LOGIN_SLOWDOWN_MAX_DELAY", "0s"}}).login_slowdown_max_delay.count(), 0);
}

TEST(Config, HttpsPublicUrlMeansTls) {
  EXPECT_TRUE(ok({{"PUBLIC_URL", "https://wa.example.com"}}).served_over_tls());
  EXPECT_FALSE(ok({{"PUBLIC_URL", "http://localhost:8080"}}).served_over_tls());
  EXPECT_EQ(bad({{"PUBLIC_URL", "wa.example.com"}}).variable, "PUBLIC_URL");
}

TEST(Config, EnvFileParsing) {
  auto path = std::filesystem::temp_directory_path() / "gw-config-test.env";
  {
    std::ofstream f(path);
    f << "# comment\n\nPORT=9000\nexport LOG_FORMAT=\"text\"\nDATA_DIR='/tmp/x y'\n"
         "LOG_LEVEL=debug # trailing comment\n";
  }
  auto r = read_env_file(path.string());
  ASSERT_TRUE(std::holds_alternative<EnvMap>(r));
  auto m = std::get<EnvMap>(r);
  EXPECT_EQ(m["PORT"], "9000");
  EXPECT_EQ(m["LOG_FORMAT"], "text");
  EXPECT_EQ(m["DATA_DIR"], "/tmp/x y");
  EXPECT_EQ(m["LOG_LEVEL"], "debug");
  {
    std::ofstream f(path);
    f << "PORT=1\nthis line is wrong\n";
  }
  auto e = read_env_file(path.string());
  ASSERT_TRUE(std::holds_alternative<ConfigError>(e));
  EXPECT_NE(std::get<ConfigError>(e).message.find(":2:"), std::string::npos);
  std::filesystem::remove(path);
  EXPECT_TRUE(std::get<EnvMap>(read_env_file(path.string())).empty());
}

TEST(Config, HelpListsEveryVariableWithDefault) {
  auto h = help_text();
  for (const char* name : {"PORT", "ENV", "DATABASE_URL", "DB_MAX_CONNECTIONS",
                           "DB_MAX_IDLE_CONNECTIONS", "DB_CONNECTION_MAX_LIFETIME", "LOG_LEVEL",
                           "LOG_FORMAT", "DATA_DIR", "JWT_SECRET", "RATE_LIMIT_PER_MINUTE"}) {
    EXPECT_NE(h.find(name), std::string::npos) << name;
  }
  EXPECT_NE(h.find("(default: 8080)"), std::string::npos);
}

TEST(Config, WhatsAppAndWebhookDefaultsFollowTheLibrary) {
  auto c = ok({});
  EXPECT_GE(c.whatsapp_threads, 1);  // 0 means one per core
  EXPECT_EQ(c.whatsapp_server_url, wa::constants::kDefaultUrl);
  EXPECT_EQ(c.whatsapp_root_public_key, wa::constants::kCertRootKey);
  EXPECT_EQ(c.whatsapp_ca_file, "");
  EXPECT_TRUE(c.whatsapp_auto_reconnect);
  EXPECT_EQ(c.whatsapp_reconnect_interval, std::chrono::seconds(2));
  EXPECT_EQ(c.whatsapp_max_reconnect_attempts, 20);
  EXPECT_EQ(c.whatsapp_device_name, "WA Gateway");
  EXPECT_EQ(c.whatsapp_version, wa::constants::kWaVersion);
  EXPECT_EQ(c.whatsapp_qr_timeout, std::chrono::seconds(60));
  EXPECT_EQ(c.whatsapp_qr_refresh, std::chrono::seconds(20));
  EXPECT_TRUE(c.webhook_allow_private_networks);
  EXPECT_EQ(c.webhook_typing_delay, std::chrono::milliseconds(500));
  EXPECT_EQ(ok({{"WEBHOOK_TYPING_DELAY_SECONDS", "0"}}).webhook_typing_delay,
            std::chrono::milliseconds(0));
  EXPECT_EQ(ok({{"WEBHOOK_TYPING_DELAY_SECONDS", "2s"}}).webhook_typing_delay,
            std::chrono::seconds(2));
}

TEST(Config, ParsesWhatsAppVariables) {
  auto ca = std::filesystem::temp_directory_path() / "gw-config-test-ca.pem";
  std::ofstream(ca) << "-----BEGIN CERTIFICATE-----\n";
  std::string key_hex;
  for (int i = 0; i < 32; ++i) key_hex += (i % 2 == 0) ? "0A" : "ff";  // either case
  auto c = ok({{"WHATSAPP_THREADS", "3"},
               {"WHATSAPP_SERVER_URL", "ws://127.0.0.1:40123/ws/chat"},
               {"WHATSAPP_ROOT_PUBLIC_KEY", key_hex},
               {"WHATSAPP_CA_FILE", ca.string()},
               {"WHATSAPP_AUTO_RECONNECT", "false"},
               {"WHATSAPP_RECONNECT_INTERVAL_SECONDS", "500ms"},
               {"WHATSAPP_MAX_RECONNECT_ATTEMPTS", "100000"},
               {"WHATSAPP_DEVICE_NAME", "  B\xC3\xBCro Gateway  "},
               {"WHATSAPP_VERSION", "2.3000.4294967295"},
               {"WHATSAPP_QR_TIMEOUT_SECONDS", "1500ms"},
               {"WHATSAPP_QR_REFRESH_SECONDS", "1"},
               {"WEBHOOK_ALLOW_PRIVATE_NETWORKS", "false"}});
  EXPECT_EQ(c.whatsapp_threads, 3);
  EXPECT_EQ(c.whatsapp_server_url, "ws://127.0.0.1:40123/ws/chat");
  for (std::size_t i = 0; i < 32; ++i) {
    EXPECT_EQ(c.whatsapp_root_public_key[i], i % 2 == 0 ? 0x0A : 0xFF) << i;
  }
  EXPECT_EQ(c.whatsapp_ca_file, ca.string());
  EXPECT_FALSE(c.whatsapp_auto_reconnect);
  EXPECT_EQ(c.whatsapp_reconnect_interval, std::chrono::milliseconds(500));
  EXPECT_EQ(c.whatsapp_max_reconnect_attempts, 100000);
  EXPECT_EQ(c.whatsapp_device_name, "B\xC3\xBCro Gateway");
  EXPECT_EQ(c.whatsapp_version, (std::array<std::uint32_t, 3>{2, 3000, 4294967295U}));
  EXPECT_EQ(c.whatsapp_qr_timeout, std::chrono::milliseconds(1500));
  EXPECT_EQ(c.whatsapp_qr_refresh, std::chrono::seconds(1));
  EXPECT_FALSE(c.webhook_allow_private_networks);
  std::filesystem::remove(ca);

  EXPECT_EQ(ok({{"WHATSAPP_SERVER_URL", "WSS://wa.example.test"}}).whatsapp_server_url,
            "WSS://wa.example.test");
  EXPECT_EQ(ok({{"WHATSAPP_RECONNECT_INTERVAL_SECONDS", "7"}}).whatsapp_reconnect_interval,
            std::chrono::seconds(7));
  for (const char* yes : {"true", "TRUE", "1", "yes", "on"}) {
    EXPECT_TRUE(ok({{"WHATSAPP_AUTO_RECONNECT", yes}}).whatsapp_auto_reconnect) << yes;
  }
  for (const char* no : {"false", "False", "0", "no", "off"}) {
    EXPECT_FALSE(ok({{"WEBHOOK_ALLOW_PRIVATE_NETWORKS", no}}).webhook_allow_private_networks) << no;
  }
  EXPECT_EQ(ok({{"WHATSAPP_DEVICE_NAME", std::string(50, 'x')}}).whatsapp_device_name.size(), 50U);
}

TEST(Config, RejectsBadWhatsAppValuesNamingTheVariable) {
  const auto named = [](const char* var, const std::string& value) {
    auto e = bad({{var, value}});
    EXPECT_EQ(e.variable, var) << value;
    EXPECT_NE(e.message.find(var), std::string::npos) << e.message;
    EXPECT_EQ(e.message.find('\n'), std::string::npos) << e.message;
  };
  named("WHATSAPP_THREADS", "257");
  named("WHATSAPP_THREADS", "-1");
  named("WHATSAPP_THREADS", "many");
  named("WHATSAPP_SERVER_URL", "https://web.whatsapp.com/ws/chat");
  named("WHATSAPP_SERVER_URL", "wss://");
  named("WHATSAPP_SERVER_URL", "web.whatsapp.com");
  named("WHATSAPP_ROOT_PUBLIC_KEY", std::string(63, 'a'));
  named("WHATSAPP_ROOT_PUBLIC_KEY", std::string(66, 'a'));
  named("WHATSAPP_ROOT_PUBLIC_KEY", std::string(62, 'a') + "zz");
  named("WHATSAPP_CA_FILE", "/nonexistent/ca.pem");
  named("WHATSAPP_CA_FILE", std::filesystem::temp_directory_path().string());  // a directory
  named("WHATSAPP_AUTO_RECONNECT", "maybe");
  named("WHATSAPP_RECONNECT_INTERVAL_SECONDS", "0");
  named("WHATSAPP_RECONNECT_INTERVAL_SECONDS", "0ms");
  named("WHATSAPP_RECONNECT_INTERVAL_SECONDS", "soon");
  named("WHATSAPP_MAX_RECONNECT_ATTEMPTS", "0");
  named("WHATSAPP_MAX_RECONNECT_ATTEMPTS", "100001");
  named("WHATSAPP_DEVICE_NAME", "");
  named("WHATSAPP_DEVICE_NAME", "   ");
  named("WHATSAPP_DEVICE_NAME", std::string(51, 'x'));
  named("WHATSAPP_DEVICE_NAME", "bad\x01name");
  named("WHATSAPP_DEVICE_NAME", "bad\xC2\x85name");  // C1 control (NEL)
  named("WHATSAPP_DEVICE_NAME", "bad\xFFname");      // not UTF-8
  named("WHATSAPP_VERSION", "2.3000");
  named("WHATSAPP_VERSION", "2.3000.1.4");
  named("WHATSAPP_VERSION", "2.3000.");
  named("WHATSAPP_VERSION", "2..1");
  named("WHATSAPP_VERSION", "a.b.c");
  named("WHATSAPP_VERSION", "-2.3000.1");
  named("WHATSAPP_VERSION", "+2.3000.1");
  named("WHATSAPP_VERSION", "2.3000.4294967296");
  named("WHATSAPP_QR_TIMEOUT_SECONDS", "0");
  named("WHATSAPP_QR_TIMEOUT_SECONDS", "50ms");
  named("WHATSAPP_QR_REFRESH_SECONDS", "2d");
  named("WEBHOOK_ALLOW_PRIVATE_NETWORKS", "sometimes");
}

TEST(Config, HelpExplainsTheNewVariables) {
  auto h = help_text();
  for (const char* name :
       {"WHATSAPP_THREADS", "WHATSAPP_SERVER_URL", "WHATSAPP_ROOT_PUBLIC_KEY", "WHATSAPP_CA_FILE",
        "WHATSAPP_AUTO_RECONNECT", "WHATSAPP_RECONNECT_INTERVAL_SECONDS",
        "WHATSAPP_MAX_RECONNECT_ATTEMPTS", "WHATSAPP_DEVICE_NAME", "WHATSAPP_VERSION",
        "WHATSAPP_QR_TIMEOUT_SECONDS", "WHATSAPP_QR_REFRESH_SECONDS",
        "WEBHOOK_ALLOW_PRIVATE_NETWORKS"}) {
    EXPECT_NE(h.find(name), std::string::npos) << name;
  }
  EXPECT_NE(h.find("(default: " + std::string(wa::constants::kDefaultUrl) + ")"),
            std::string::npos);
  EXPECT_NE(h.find("(default: 1423"), std::string::npos);  // the root key, in hex
  EXPECT_NE(h.find("client_outdated"), std::string::npos);
  EXPECT_NE(h.find("405"), std::string::npos);
}

namespace {
// Every variable name in --help (lines "  NAME   description (default: ...)").
std::vector<std::string> help_variables() {
  std::vector<std::string> names;
  std::istringstream in(help_text());
  for (std::string line; std::getline(in, line);) {
    if (line.size() > 2 && line.rfind("  ", 0) == 0 && line[2] >= 'A' && line[2] <= 'Z') {
      names.push_back(line.substr(2, line.find(' ', 2) - 2));
    }
  }
  return names;
}
}  // namespace

TEST(Config, EnvExampleListsEveryVariableAndItsDefaultsLoad) {
  const auto text = env_example_text();
  const auto names = help_variables();
  ASSERT_GE(names.size(), 37U);
  for (const auto& name : names) {
    EXPECT_NE(text.find("\n# " + name + "="), std::string::npos) << name;
  }
  // Uncommented, the example is a valid .env that yields the defaults.
  auto path = std::filesystem::temp_directory_path() / "gw-config-test-example.env";
  {
    std::ofstream f(path);
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
      const bool assignment = line.rfind("# ", 0) == 0 && line.find('=') != std::string::npos &&
                              line[2] >= 'A' && line[2] <= 'Z' &&
                              line.find(' ', 2) > line.find('=');
      f << (assignment ? line.substr(2) : line) << '\n';
    }
  }
  auto vars = read_env_file(path.string());
  std::filesystem::remove(path);
  ASSERT_TRUE(std::holds_alternative<EnvMap>(vars));
  EXPECT_EQ(std::get<EnvMap>(vars).size(), names.size());
  auto c = ok(std::get<EnvMap>(vars));
  EXPECT_EQ(c.whatsapp_device_name, "WA Gateway");
  EXPECT_EQ(c.whatsapp_version, wa::constants::kWaVersion);
  EXPECT_EQ(c.whatsapp_root_public_key, wa::constants::kCertRootKey);
  EXPECT_EQ(c.port, 8080);
}

TEST(Config, CommittedEnvExampleIsUpToDate) {
  const auto path = std::filesystem::path(WA_REPO_ROOT) / ".env.example";
  std::ifstream in(path, std::ios::binary);
  ASSERT_TRUE(in) << "cannot read " << path;
  std::ostringstream committed;
  committed << in.rdbuf();
  if (committed.str() != env_example_text()) {
    const auto expected = std::filesystem::temp_directory_path() / "wa-gateway.env.example";
    std::ofstream(expected, std::ios::binary) << env_example_text();
    ADD_FAILURE() << path
                  << " is out of date with the table in config.cpp; the expected text is in "
                  << expected << " (cp it over " << path << ")";
  }
}
