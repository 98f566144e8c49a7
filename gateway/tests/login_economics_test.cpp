// docs/SECURITY.md states the expected time for an attacker to find some PIN; this test recomputes
// every row of that table and checks that the limits it assumes are the configured defaults and
// that the PIN alphabet and length are the generator's.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "auth/pin.hpp"
#include "config/config.hpp"

using namespace gw;

namespace {

std::string read_doc() {
  const auto path = std::filesystem::path(WA_REPO_ROOT) / "docs" / "SECURITY.md";
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> cells(const std::string& row) {
  std::vector<std::string> out;
  std::stringstream ss(row);
  std::string cell;
  std::getline(ss, cell, '|');  // before the first '|'
  while (std::getline(ss, cell, '|')) {
    const auto b = cell.find_first_not_of(' ');
    const auto e = cell.find_last_not_of(' ');
    out.push_back(b == std::string::npos ? "" : cell.substr(b, e - b + 1));
  }
  return out;
}

}  // namespace

TEST(LoginEconomics, DocumentedTableFollowsTheConfiguredLimits) {
  const std::string doc = read_doc();
  ASSERT_FALSE(doc.empty()) << "docs/SECURITY.md not found";

  // The assumptions line.
  const std::string tag = "<!-- pin-economics-assumes:";
  const auto a = doc.find(tag);
  ASSERT_NE(a, std::string::npos);
  std::map<std::string, long long> assumed;
  {
    std::stringstream ss(doc.substr(a + tag.size(), doc.find("-->", a) - a - tag.size()));
    std::string kv;
    while (ss >> kv) {
      const auto eq = kv.find('=');
      ASSERT_NE(eq, std::string::npos) << kv;
      assumed[kv.substr(0, eq)] = std::stoll(kv.substr(eq + 1));
    }
  }
  const auto loaded = config::load({});
  ASSERT_TRUE(std::holds_alternative<config::Config>(loaded));
  const auto& cfg = std::get<config::Config>(loaded);
  EXPECT_EQ(assumed.at("LOGIN_FAILURES_PER_MINUTE"), cfg.login_failures_per_minute);
  EXPECT_EQ(assumed.at("LOGIN_FAILURES_GLOBAL_PER_MINUTE"), cfg.login_failures_global_per_minute);
  EXPECT_EQ(assumed.at("PIN_ALPHABET"), static_cast<long long>(auth::kPinAlphabet.size()));
  EXPECT_EQ(assumed.at("PIN_LENGTH"), static_cast<long long>(auth::kPinLength));

  const long double space =
      std::pow(static_cast<long double>(auth::kPinAlphabet.size()), auth::kPinLength);
  const long long per_key = cfg.login_failures_per_minute;
  const long long global = 2LL * cfg.login_failures_global_per_minute;

  const auto begin = doc.find("<!-- pin-economics: begin -->");
  const auto end = doc.find("<!-- pin-economics: end -->");
  ASSERT_NE(begin, std::string::npos);
  ASSERT_NE(end, std::string::npos);
  std::stringstream table(doc.substr(begin, end - begin));
  std::string line;
  int rows = 0;
  while (std::getline(table, line)) {
    if (line.rfind("| ", 0) != 0 || line.find("---") != std::string::npos) continue;
    const auto c = cells(line);
    ASSERT_GE(c.size(), 5U) << line;
    if (c[1] == "client keys K") continue;  // header
    const long long keys = std::stoll(c[1]);
    const long long accounts = std::stoll(c[2]);
    const long long rate = std::stoll(c[3]);
    const long long minutes = std::stoll(c[4]);
    EXPECT_EQ(rate, std::min(keys * per_key, global)) << line;
    EXPECT_EQ(minutes, std::llround(space / (static_cast<long double>(accounts) * rate))) << line;
    ++rows;
  }
  EXPECT_GE(rows, 5);
}
