// Client address behind trusted proxies, TRUSTED_PROXIES parsing, IPv6 rate-limit keys.
#include "http/client_ip.hpp"

#include <gtest/gtest.h>

using namespace gw::http;

namespace {
TrustedProxies trusted(std::string_view csv) {
  auto p = parse_trusted_proxies(csv);
  EXPECT_TRUE(p.ok()) << csv;
  return p.proxies;
}
}  // namespace

TEST(ParseIp, Forms) {
  EXPECT_EQ(to_string(*parse_ip("10.0.0.1")), "10.0.0.1");
  EXPECT_EQ(to_string(*parse_ip("2001:DB8:0:0:0:0:0:1")), "2001:db8::1");
  EXPECT_EQ(to_string(*parse_ip("[2001:db8::1]")), "2001:db8::1");
  EXPECT_EQ(to_string(*parse_ip("fe80::1%eth0")), "fe80::1");
  EXPECT_EQ(to_string(*parse_ip("::ffff:192.0.2.7")), "192.0.2.7");  // dual-stack socket
  EXPECT_FALSE(parse_ip("::ffff:192.0.2.7")->v6);
  EXPECT_TRUE(parse_ip("::1")->v6);
  for (const char* bad :
       {"", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "1.2.3.4 ", "[1.2.3.4]", "fe80::1%",
        "2001:db8::g", "localhost", "1.2.3.4:80", "1.2.3.4/32"}) {
    EXPECT_FALSE(parse_ip(bad).has_value()) << bad;
  }
  EXPECT_FALSE(parse_ip(std::string(100, '1')).has_value());
}

TEST(ParseCidr, Forms) {
  const auto c = parse_cidr("10.1.2.3/8");
  ASSERT_TRUE(c);
  EXPECT_EQ(to_string(c->network), "10.0.0.0");
  EXPECT_EQ(c->prefix, 8);
  EXPECT_EQ(parse_cidr("192.0.2.1")->prefix, 32);
  EXPECT_EQ(parse_cidr("2001:db8::/32")->prefix, 32);
  EXPECT_EQ(parse_cidr("::1")->prefix, 128);
  EXPECT_EQ(parse_cidr("0.0.0.0/0")->prefix, 0);
  const auto mapped = parse_cidr("::ffff:10.0.0.0/104");
  ASSERT_TRUE(mapped);
  EXPECT_FALSE(mapped->network.v6);
  EXPECT_EQ(mapped->prefix, 8);
  for (const char* bad :
       {"10.0.0.0/33", "2001:db8::/129", "10.0.0.0/", "10.0.0.0/-1", "10.0.0.0/8/8", "10.0.0.0/ 8",
        "10.0.0.0/0008", "x/8", "/8", "::ffff:10.0.0.0/64"}) {
    EXPECT_FALSE(parse_cidr(bad).has_value()) << bad;
  }
}

TEST(Cidr, Contains) {
  const auto c = *parse_cidr("172.16.0.0/12");
  EXPECT_TRUE(c.contains(*parse_ip("172.16.0.1")));
  EXPECT_TRUE(c.contains(*parse_ip("172.31.255.255")));
  EXPECT_FALSE(c.contains(*parse_ip("172.32.0.0")));
  EXPECT_FALSE(c.contains(*parse_ip("::ffff:172.32.0.0")));
  EXPECT_TRUE(c.contains(*parse_ip("::ffff:172.20.0.1")));
  EXPECT_FALSE(c.contains(*parse_ip("2001:db8::1")));
  const auto v6 = *parse_cidr("2001:db8:abcd::/48");
  EXPECT_TRUE(v6.contains(*parse_ip("2001:db8:abcd:12::1")));
  EXPECT_FALSE(v6.contains(*parse_ip("2001:db8:abce::1")));
  EXPECT_FALSE(v6.contains(*parse_ip("10.0.0.1")));
  EXPECT_TRUE(parse_cidr("0.0.0.0/0")->contains(*parse_ip("8.8.8.8")));
  EXPECT_TRUE(parse_cidr("::/0")->contains(*parse_ip("2001:db8::1")));
}

TEST(TrustedProxiesParse, ListWithInvalidEntries) {
  const auto p = parse_trusted_proxies(" 10.0.0.0/8, ,192.168.1.1 ,fd00::/8, bogus, 10.0.0.0/99,");
  EXPECT_EQ(p.proxies.networks().size(), 3U);
  ASSERT_EQ(p.invalid_entries.size(), 2U);
  EXPECT_EQ(p.invalid_entries[0], "bogus");
  EXPECT_EQ(p.invalid_entries[1], "10.0.0.0/99");
  EXPECT_FALSE(p.ok());
  EXPECT_TRUE(parse_trusted_proxies("").ok());
  EXPECT_TRUE(parse_trusted_proxies("").proxies.empty());
}

TEST(ClientIp, UntrustedPeerIgnoresForwardedFor) {
  const auto t = trusted("10.0.0.0/8");
  EXPECT_EQ(client_ip("203.0.113.9", "1.2.3.4", t), "203.0.113.9");
  EXPECT_EQ(client_ip("203.0.113.9", "1.2.3.4", TrustedProxies{}), "203.0.113.9");
  EXPECT_EQ(client_ip("::ffff:203.0.113.9", "", t), "203.0.113.9");
}

TEST(ClientIp, TrustedPeerRightMostUntrusted) {
  const auto t = trusted("10.0.0.0/8, 2001:db8:ff::/48");
  EXPECT_EQ(client_ip("10.0.0.2", "198.51.100.7", t), "198.51.100.7");
  // The client forged the left part; the proxies appended the rest.
  EXPECT_EQ(client_ip("10.0.0.2", "6.6.6.6, 198.51.100.7, 10.0.0.3", t), "198.51.100.7");
  EXPECT_EQ(client_ip("10.0.0.2", "1.1.1.1,198.51.100.7,10.0.0.3,10.9.9.9", t), "198.51.100.7");
  EXPECT_EQ(client_ip("2001:db8:ff::1", "2001:DB8:1::5", t), "2001:db8:1::5");
  EXPECT_EQ(client_ip("::ffff:10.1.1.1", "198.51.100.7", t), "198.51.100.7");
}

TEST(ClientIp, PortsInForwardedForAreDropped) {
  const auto t = trusted("10.0.0.0/8");
  EXPECT_EQ(client_ip("10.0.0.2", "198.51.100.7:4711", t), "198.51.100.7");
  EXPECT_EQ(client_ip("10.0.0.2", "[2001:db8::7]:443", t), "2001:db8::7");
  EXPECT_EQ(client_ip("10.0.0.2", "[2001:db8::7]", t), "2001:db8::7");
}

TEST(ClientIp, AllTrustedTakesLeftMost) {
  const auto t = trusted("10.0.0.0/8");
  EXPECT_EQ(client_ip("10.0.0.2", "10.0.0.5, 10.0.0.4", t), "10.0.0.5");
}

TEST(ClientIp, EmptyOrGarbageForwardedFor) {
  const auto t = trusted("10.0.0.0/8");
  EXPECT_EQ(client_ip("10.0.0.2", "", t), "10.0.0.2");
  EXPECT_EQ(client_ip("10.0.0.2", "   ", t), "10.0.0.2");
  EXPECT_EQ(client_ip("10.0.0.2", "garbage", t), "10.0.0.2");
  EXPECT_EQ(client_ip("10.0.0.2", "1.2.3.4, garbage, 10.0.0.3", t), "10.0.0.3");
  EXPECT_EQ(client_ip("10.0.0.2", "198.51.100.7,", t), "10.0.0.2");
  EXPECT_EQ(client_ip("10.0.0.2", "unknown, 198.51.100.7", t), "198.51.100.7");
  EXPECT_EQ(client_ip("10.0.0.2", "1.2.3.4:x", t), "10.0.0.2");
  EXPECT_EQ(client_ip("10.0.0.2", "[::1", t), "10.0.0.2");
}

TEST(ClientIp, HopBound) {
  const auto t = trusted("10.0.0.0/8");
  std::string xff = "198.51.100.7";
  for (std::size_t i = 0; i < kMaxForwardedHops + 5; ++i) xff += ", 10.0.0.9";
  EXPECT_EQ(client_ip("10.0.0.2", xff, t), "10.0.0.9");
}

TEST(ClientIp, UnparseablePeerReturnedAsIs) {
  EXPECT_EQ(client_ip("unix:/run/x.sock", "1.2.3.4", trusted("0.0.0.0/0")), "unix:/run/x.sock");
}

TEST(RateLimitKey, Ipv6ByPrefix) {
  EXPECT_EQ(rate_limit_key("203.0.113.9"), "203.0.113.9");
  EXPECT_EQ(rate_limit_key("2001:db8:1:2:aaaa:bbbb:cccc:dddd"), "2001:db8:1:2::/64");
  EXPECT_EQ(rate_limit_key("2001:db8:1:2::1"), rate_limit_key("2001:db8:1:2:ffff::9"));
  EXPECT_EQ(rate_limit_key("::ffff:203.0.113.9"), "203.0.113.9");
  EXPECT_EQ(rate_limit_key("not-an-ip"), "not-an-ip");
}

TEST(ClientIp, LoginLimitKeyGroupsIpv6By48AndIpv4ByAddress) {
  EXPECT_EQ(login_limit_key("203.0.113.9"), "203.0.113.9");
  EXPECT_NE(login_limit_key("203.0.113.9"), login_limit_key("203.0.113.10"));
  // IPv4-mapped IPv6 is the IPv4 address, not a /48 of ::ffff:0:0/96.
  EXPECT_EQ(login_limit_key("::ffff:203.0.113.9"), "203.0.113.9");
  EXPECT_NE(login_limit_key("::ffff:203.0.113.9"), login_limit_key("::ffff:203.0.113.10"));
  EXPECT_EQ(login_limit_key("2001:db8:1:2:aaaa:bbbb:cccc:dddd"), "2001:db8:1::/48");
  // Every /64 of one /48 shares the key; the next /48 does not.
  EXPECT_EQ(login_limit_key("2001:db8:1:ffff::1"), login_limit_key("2001:db8:1:0::9"));
  EXPECT_NE(login_limit_key("2001:db8:1::1"), login_limit_key("2001:db8:2::1"));
  EXPECT_EQ(login_limit_key("[2001:DB8:abcd:12::1]"), "2001:db8:abcd::/48");
  EXPECT_EQ(login_limit_key("::1"), "::/48");
  EXPECT_EQ(login_limit_key("not-an-ip"), "not-an-ip");
  // Prefixes that are not whole bytes.
  EXPECT_EQ(prefix_key("2001:db8:ffff::1", 36), "2001:db8:f000::/36");
  EXPECT_EQ(prefix_key("2001:db8::1", 0), "::/0");
}
