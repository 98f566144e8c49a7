#include <gtest/gtest.h>

#include <boost/asio/ip/address.hpp>
#include <string>

#include "sessions/validation.hpp"

using namespace gw::sessions;

namespace {

std::string name_ok(std::string_view raw) {
  std::string out = "untouched";
  auto err = validate_session_name(raw, out);
  EXPECT_FALSE(err) << raw << ": " << err.value_or("");
  return out;
}

std::string name_bad(std::string_view raw) {
  std::string out = "untouched";
  auto err = validate_session_name(raw, out);
  EXPECT_TRUE(err) << raw;
  EXPECT_EQ(out, "untouched");  // no partial result on error
  return err.value_or("");
}

void url_ok(std::string_view url, bool allow_private) {
  auto err = validate_webhook_url(url, allow_private);
  EXPECT_FALSE(err) << url << " (allow_private=" << allow_private << "): " << err.value_or("");
}

std::string url_bad(std::string_view url, bool allow_private) {
  auto err = validate_webhook_url(url, allow_private);
  EXPECT_TRUE(err) << url << " (allow_private=" << allow_private << ")";
  return err.value_or("");
}

AddressClass cls(const char* text) {
  return classify_address(boost::asio::ip::make_address(text));
}

}  // namespace

// --- session names ----------------------------------------------------------------------------

TEST(SessionName, TrimsAsciiWhitespace) {
  EXPECT_EQ(name_ok("Support line"), "Support line");
  EXPECT_EQ(name_ok(" \t\r\n Sales \f\v"), "Sales");
  EXPECT_EQ(name_ok("a"), "a");
  EXPECT_EQ(name_ok("inner   spaces"), "inner   spaces") << "only the ends are trimmed";
  name_bad("inner\ttab");  // a tab inside is a control character
}

TEST(SessionName, LengthCountsCodePointsNotBytes) {
  std::string hundred_umlauts;
  for (int i = 0; i < 100; ++i) hundred_umlauts += "\xC3\xBC";  // ü, 2 bytes each
  EXPECT_EQ(name_ok(hundred_umlauts), hundred_umlauts);
  std::string hundred_emoji;
  for (int i = 0; i < 100; ++i) hundred_emoji += "\xF0\x9F\x98\x80";  // 4 bytes each
  name_ok(hundred_emoji);
  EXPECT_EQ(name_ok("  " + std::string(100, 'x') + "  ").size(), 100U);

  EXPECT_NE(name_bad(std::string(101, 'x')).find("100"), std::string::npos);
  name_bad(hundred_umlauts + "\xC3\xBC");
}

TEST(SessionName, RefusesEmpty) {
  EXPECT_NE(name_bad("").find("empty"), std::string::npos);
  name_bad("   \t\n");
}

TEST(SessionName, RefusesControlCharacters) {
  EXPECT_NE(name_bad("a\x01z").find("control"), std::string::npos);
  name_bad(std::string("a\0z", 3));
  name_bad("a\x1b[31mred");
  name_bad("a\x7fz");      // DEL
  name_bad("a\xC2\x80z");  // U+0080, C1
  name_bad("a\xC2\x9Fz");  // U+009F, C1
  name_ok("a\xC2\xA0z");   // U+00A0 no-break space is not a control character
  name_bad("line one\nline two");
}

TEST(SessionName, RefusesInvalidUtf8) {
  EXPECT_NE(name_bad("\xFF").find("UTF-8"), std::string::npos);
  name_bad("abc\xC3");           // truncated
  name_bad("\xC0\xAF");          // overlong '/'
  name_bad("\xE0\x80\xAF");      // overlong
  name_bad("\xF0\x80\x80\xAF");  // overlong
  name_bad("\xED\xA0\x80");      // surrogate U+D800
  name_bad("\xF4\x90\x80\x80");  // U+110000
  name_bad("\x80");              // lone continuation byte
  name_bad("\xE2\x82");          // truncated 3-byte
  name_ok("\xF4\x8F\xBF\xBF");   // U+10FFFF, the last code point
  name_ok("\xEF\xBF\xBD");       // U+FFFD
}

TEST(SessionName, GeneralLabelUsesItsOwnLimitAndName) {
  std::string out;
  auto err = validate_label(std::string(51, 'x'), 50, "device name", out);
  ASSERT_TRUE(err);
  EXPECT_NE(err->find("device name"), std::string::npos);
  EXPECT_NE(err->find("50"), std::string::npos);
  EXPECT_FALSE(validate_label(std::string(50, 'x'), 50, "device name", out));
}

// --- webhook URLs -----------------------------------------------------------------------------

TEST(WebhookUrl, AcceptsAbsoluteHttpAndHttpsUrls) {
  for (bool allow : {true, false}) {
    url_ok("https://n8n.example.com/webhook/abc-123", allow);
    url_ok("http://n8n.example.com:5678/webhook/abc?x=1#frag", allow);
    url_ok("HTTPS://N8N.EXAMPLE.COM/", allow);
    url_ok("https://8.8.8.8/hook", allow);
    url_ok("https://[2001:db8::1]:8443/hook", allow);
    url_ok("https://example.com:65535/", allow);
    url_ok("https://example.com:1/", allow);
    url_ok("https://example.com:00443/", allow);
    url_ok("https://my_host.example.com/", allow);
    url_ok("https://example.com./", allow);  // absolute DNS name
  }
}

TEST(WebhookUrl, RefusesWhatIsNotAnAbsoluteHttpUrl) {
  for (bool allow : {true, false}) {
    EXPECT_NE(url_bad("", allow).find("empty"), std::string::npos);
    url_bad("n8n.example.com/webhook", allow);
    url_bad("/webhook", allow);
    url_bad("https://", allow);
    url_bad("https:///path", allow);
    url_bad("https:/example.com", allow);
    url_bad(" https://example.com", allow);
    url_bad("https://exa mple.com/", allow);
    EXPECT_NE(url_bad("ftp://example.com/", allow).find("http"), std::string::npos);
    url_bad("ws://example.com/", allow);
    url_bad("file:///etc/passwd", allow);
    url_bad("javascript:alert(1)", allow);
    url_bad("gopher://127.0.0.1:6379/_INFO", allow);
    url_bad("https://[v1.fe]/", allow);  // IPvFuture
  }
}

TEST(WebhookUrl, LengthLimitIs2048) {
  const std::string base = "https://example.com/";
  url_ok(base + std::string(kMaxWebhookUrlBytes - base.size(), 'a'), true);
  EXPECT_NE(
      url_bad(base + std::string(kMaxWebhookUrlBytes - base.size() + 1, 'a'), true).find("2048"),
      std::string::npos);
}

TEST(WebhookUrl, RefusesCredentials) {
  const auto msg = url_bad("https://user:secret@n8n.example.com/hook", true);
  EXPECT_NE(msg.find("password"), std::string::npos);
  EXPECT_NE(msg.find("logs"), std::string::npos);
  url_bad("https://user@n8n.example.com/hook", true);
  url_bad("https://:pw@n8n.example.com/hook", true);
  url_bad("https://@n8n.example.com/hook", true);  // empty userinfo is still userinfo
}

TEST(WebhookUrl, PathMustFollowTheHostWithASlash) {
  // Boost.URL 1.81 reads these as host + a path without '/'; other parsers read another host.
  url_bad("http://a:b:c/", true);
  url_bad("http://1.2.3.4./", true);
  url_bad("http://127.0.0.1.nip.io/", true);
  url_bad("http://[::1]x/", true);
  url_ok("http://example.com?x=1", true);
  url_ok("http://example.com", true);
}

TEST(WebhookUrl, PortMustBe1To65535) {
  EXPECT_NE(url_bad("https://example.com:0/", true).find("65535"), std::string::npos);
  url_bad("https://example.com:65536/", true);
  url_bad("https://example.com:99999999999999999999/", true);
  url_bad("https://example.com:/", true);  // an empty port is not "default", it is a typo
  url_bad("https://example.com:0000/", true);
  url_bad("https://example.com:443a/", true);
}

TEST(WebhookUrl, CloudMetadataIsAlwaysRefused) {
  for (bool allow : {true, false}) {
    for (const char* url : {
             "http://169.254.169.254/latest/meta-data/",
             "http://169.254.170.2/v2/credentials",  // ECS task metadata
             "http://169.254.0.1/",
             "http://169.254.255.255:8080/",
             "http://[fd00:ec2::254]/latest/meta-data/",
             "http://[::ffff:169.254.169.254]/",
             "http://[::ffff:a9fe:a9fe]/",
             "http://[64:ff9b::169.254.169.254]/",        // through NAT64
             "http://100.100.100.200/latest/meta-data/",  // Alibaba Cloud
             "http://metadata.google.internal/computeMetadata/v1/",
             "http://METADATA.google.internal./",
             "http://metadata/computeMetadata/v1/",
         }) {
      const auto msg = url_bad(url, allow);
      EXPECT_NE(msg.find("metadata"), std::string::npos) << url << ": " << msg;
    }
  }
}

TEST(WebhookUrl, PrivateNetworksFollowTheSetting) {
  for (const char* url : {
           "http://127.0.0.1:5678/webhook",
           "http://127.255.0.9/",
           "http://[::1]:5678/",
           "http://localhost:5678/webhook",
           "http://LOCALHOST./",
           "http://n8n.localhost/",
           "http://10.0.0.5/",
           "http://172.16.0.1/",
           "http://172.31.255.255/",
           "http://192.168.1.20:5678/",
           "http://100.64.0.1/",
           "http://100.127.255.255/",
           "http://[fc00::1]/",
           "http://[fd12:3456::1]/",
           "http://[fe80::1]/",
           "http://0.0.0.0:5678/",
           "http://0.1.2.3/",
           "http://[::]/",
           "http://[::ffff:127.0.0.1]/",
           "http://[::ffff:10.1.2.3]/",
           "http://n8n:5678/webhook",  // a Docker service name: not resolved here
       }) {
    url_ok(url, true);
    if (std::string_view(url) != "http://n8n:5678/webhook") {
      EXPECT_NE(url_bad(url, false).find("private"), std::string::npos) << url;
    }
  }
  url_ok("http://n8n:5678/webhook", false);  // names are re-checked after resolution
  // Just outside the ranges.
  url_ok("http://172.32.0.1/", false);
  url_ok("http://100.128.0.1/", false);
  url_ok("http://11.0.0.1/", false);
  url_ok("http://169.253.255.255/", false);
  url_ok("http://notlocalhost/", false);
  url_ok("http://localhost.example.com/", false);
}

TEST(WebhookUrl, RefusesNumericHostsInNonStandardForms) {
  for (bool allow : {true, false}) {
    for (const char* url :
         {"http://2130706433/", "http://0x7f000001/", "http://0x7f.1/", "http://127.1/",
          "http://127.000.000.001/", "http://0177.0.0.1/", "http://169.254.43518/",
          "http://2852039166/", "http://01.2.3.4/", "http://example.0x10/"}) {
      EXPECT_NE(url_bad(url, allow).find("IPv4"), std::string::npos) << url;
    }
  }
  url_ok("http://1example.com/", false);
  url_ok("http://0xcafe.example.com/", false);
}

TEST(WebhookUrl, HostNamesAreAsciiOnly) {
  url_bad("http://exa%6dple.com%00.evil/", true);
  url_bad("http://b\xC3\xBC ro.example/", true);
  url_bad("http://b%C3%BCro.example/", true);
  url_ok("http://xn--bro-hoa.example/", true);
  url_ok("http://ex%61mple.com/", false);  // percent-encoded letters decode to a plain name
  url_bad("http://%6cocalhost/", false);   // ... and are checked decoded
}

// --- address classes --------------------------------------------------------------------------

TEST(ClassifyAddress, Ipv4) {
  EXPECT_EQ(cls("8.8.8.8"), AddressClass::public_addr);
  EXPECT_EQ(cls("1.1.1.1"), AddressClass::public_addr);
  EXPECT_EQ(cls("0.0.0.0"), AddressClass::unspecified);
  EXPECT_EQ(cls("0.255.255.255"), AddressClass::unspecified);
  EXPECT_EQ(cls("127.0.0.1"), AddressClass::loopback);
  EXPECT_EQ(cls("127.255.255.254"), AddressClass::loopback);
  EXPECT_EQ(cls("169.254.169.254"), AddressClass::link_local_or_metadata);
  EXPECT_EQ(cls("169.254.0.0"), AddressClass::link_local_or_metadata);
  EXPECT_EQ(cls("100.100.100.200"), AddressClass::link_local_or_metadata);
  EXPECT_EQ(cls("100.100.100.201"), AddressClass::private_addr);
  EXPECT_EQ(cls("10.255.255.255"), AddressClass::private_addr);
  EXPECT_EQ(cls("172.16.0.0"), AddressClass::private_addr);
  EXPECT_EQ(cls("172.15.255.255"), AddressClass::public_addr);
  EXPECT_EQ(cls("192.168.0.1"), AddressClass::private_addr);
  EXPECT_EQ(cls("192.169.0.1"), AddressClass::public_addr);
  EXPECT_EQ(cls("100.63.255.255"), AddressClass::public_addr);
  EXPECT_EQ(cls("100.64.0.0"), AddressClass::private_addr);
  EXPECT_EQ(cls("224.0.0.1"), AddressClass::private_addr);
  EXPECT_EQ(cls("255.255.255.255"), AddressClass::private_addr);
}

TEST(ClassifyAddress, Ipv6) {
  EXPECT_EQ(cls("2001:4860:4860::8888"), AddressClass::public_addr);
  EXPECT_EQ(cls("::"), AddressClass::unspecified);
  EXPECT_EQ(cls("::1"), AddressClass::loopback);
  EXPECT_EQ(cls("fd00:ec2::254"), AddressClass::link_local_or_metadata);
  EXPECT_EQ(cls("fd00:ec2::253"), AddressClass::private_addr);
  EXPECT_EQ(cls("fc00::"), AddressClass::private_addr);
  EXPECT_EQ(cls("fdff:ffff::1"), AddressClass::private_addr);
  EXPECT_EQ(cls("fe80::1"), AddressClass::private_addr);
  EXPECT_EQ(cls("febf::1"), AddressClass::private_addr);
  EXPECT_EQ(cls("ff02::1"), AddressClass::private_addr);
  EXPECT_EQ(cls("::ffff:8.8.8.8"), AddressClass::public_addr);
  EXPECT_EQ(cls("::ffff:127.0.0.1"), AddressClass::loopback);
  EXPECT_EQ(cls("::ffff:169.254.169.254"), AddressClass::link_local_or_metadata);
  EXPECT_EQ(cls("::ffff:0.0.0.0"), AddressClass::unspecified);
  EXPECT_EQ(cls("64:ff9b::10.0.0.1"), AddressClass::private_addr);
  EXPECT_EQ(cls("64:ff9b::8.8.8.8"), AddressClass::public_addr);
}

TEST(ClassifyAddress, PolicyTable) {
  EXPECT_TRUE(address_allowed(AddressClass::public_addr, false));
  EXPECT_TRUE(address_allowed(AddressClass::private_addr, true));
  EXPECT_FALSE(address_allowed(AddressClass::private_addr, false));
  EXPECT_TRUE(address_allowed(AddressClass::loopback, true));
  EXPECT_FALSE(address_allowed(AddressClass::loopback, false));
  EXPECT_TRUE(address_allowed(AddressClass::unspecified, true));
  EXPECT_FALSE(address_allowed(AddressClass::unspecified, false));
  EXPECT_FALSE(address_allowed(AddressClass::link_local_or_metadata, true));
  EXPECT_FALSE(address_allowed(AddressClass::link_local_or_metadata, false));
}

// --- phone numbers ----------------------------------------------------------------------------

TEST(NormalizePhone, AcceptsCommonWritings) {
  EXPECT_EQ(normalize_phone("+49 151 2345 6789"), "4915123456789");
  EXPECT_EQ(normalize_phone("4915123456789"), "4915123456789");
  EXPECT_EQ(normalize_phone("+1 (555) 010-0199"), "15550100199");
  EXPECT_EQ(normalize_phone("  +62-812-3456-7890 \n"), "6281234567890");
  EXPECT_EQ(normalize_phone("1234567"), "1234567");                  // 7 digits
  EXPECT_EQ(normalize_phone("123456789012345"), "123456789012345");  // 15 digits
  EXPECT_EQ(normalize_phone("+ 49 (151) 2345-6789"), "4915123456789");
}

TEST(NormalizePhone, RefusesEverythingElse) {
  for (const char* bad :
       {"", "+", "123456", "+ 49 151", "1234567890123456", "++4915123456789", "49+15123456789",
        "4915123456789+", "+49.151.2345.6789", "+49 151 2345 678x", "0151 23456789",
        "+0049 151 23456789", "49151\t23456789",
        "\xD9\xA1\xD9\xA2\xD9\xA3\xD9\xA4\xD9\xA5\xD9\xA6\xD9\xA7",
        "4915123456789@s.whatsapp.net"}) {
    EXPECT_EQ(normalize_phone(bad), std::nullopt) << bad;
  }
  EXPECT_EQ(normalize_phone(std::string(10'000, '1')), std::nullopt);
}
