#include "config/config.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

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
  auto c = ok({{"ENV", "production"}, {"JWT_SECRET", std::string(32, 'k')}});
  EXPECT_EQ(c.env, Env::production);
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
