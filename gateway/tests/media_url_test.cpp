// Signed media URLs (every part tampered with is refused, expiry is enforced), the Range header
// parser, Content-Disposition, and the mapping of a failed media_url download to the API error.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "api/media_routes.hpp"
#include "config/config.hpp"
#include "media/range.hpp"
#include "media/signing.hpp"

namespace gw::media {
namespace {

const std::string kId = "0123456789abcdef0123456789abcdef";
constexpr std::int64_t kNow = 1'800'000'000;

struct Parts {
  std::string id, exp, sig;
};

// Splits "/media/<id>?exp=<exp>&sig=<sig>".
Parts split(const std::string& path) {
  const auto q = path.find('?');
  const auto amp = path.find('&');
  EXPECT_EQ(path.substr(0, 7), "/media/");
  EXPECT_EQ(path.substr(q, 5), "?exp=");
  EXPECT_EQ(path.substr(amp, 5), "&sig=");
  return {path.substr(7, q - 7), path.substr(q + 5, amp - q - 5), path.substr(amp + 5)};
}

SignatureCheck check(const UrlSigner& s, const Parts& p, std::int64_t now = kNow) {
  return s.verify(p.id, p.exp, p.sig, now);
}

TEST(MediaSigning, AGenuineUrlVerifiesUntilItExpires) {
  const UrlSigner signer(UrlSigner::derive_key("jwt key of at least thirty-two chars"), "");
  const auto p = split(signer.path(kId, kNow + 60));
  EXPECT_EQ(p.id, kId);
  EXPECT_EQ(p.exp, std::to_string(kNow + 60));
  EXPECT_EQ(p.sig.size(), 64U);
  EXPECT_EQ(check(signer, p), SignatureCheck::ok);
  EXPECT_EQ(check(signer, p, kNow + 60), SignatureCheck::ok) << "valid through its last second";
  EXPECT_EQ(check(signer, p, kNow + 61), SignatureCheck::expired);
}

TEST(MediaSigning, TamperingWithAnyPartIsRefused) {
  const UrlSigner signer(UrlSigner::derive_key("jwt key of at least thirty-two chars"), "");
  const auto p = split(signer.path(kId, kNow + 60));

  Parts other_id = p;
  other_id.id[0] = '1';
  EXPECT_EQ(check(signer, other_id), SignatureCheck::forged);

  Parts later = p;
  later.exp = std::to_string(kNow + 61);
  EXPECT_EQ(check(signer, later), SignatureCheck::forged);

  for (std::size_t i = 0; i < p.sig.size(); i += 7) {
    Parts flipped = p;
    flipped.sig[i] = flipped.sig[i] == '0' ? '1' : '0';
    EXPECT_EQ(check(signer, flipped), SignatureCheck::forged) << i;
  }

  const UrlSigner other_key(UrlSigner::derive_key("another jwt key of thirty-two chars"), "");
  EXPECT_EQ(check(other_key, p), SignatureCheck::forged);
  // The signature is not the HMAC under the JWT key itself.
  const UrlSigner raw_jwt_key("jwt key of at least thirty-two chars", "");
  EXPECT_EQ(check(raw_jwt_key, p), SignatureCheck::forged);
}

TEST(MediaSigning, MissingAndMalformedPartsAreRefused) {
  const UrlSigner signer(UrlSigner::derive_key("k"), "");
  const auto p = split(signer.path(kId, kNow + 60));
  EXPECT_EQ(signer.verify(kId, std::nullopt, p.sig, kNow), SignatureCheck::missing);
  EXPECT_EQ(signer.verify(kId, p.exp, std::nullopt, kNow), SignatureCheck::missing);
  EXPECT_EQ(signer.verify(kId, std::string(), p.sig, kNow), SignatureCheck::missing);
  for (const std::string& exp : std::vector<std::string>{
           "0" + p.exp, "+" + p.exp, p.exp + " ", "-1", "1e9", std::string(19, '9'), "abc"}) {
    EXPECT_EQ(signer.verify(kId, exp, p.sig, kNow), SignatureCheck::malformed) << exp;
  }
  std::string upper = p.sig;
  for (auto& c : upper) c = static_cast<char>(std::toupper(c));
  for (const std::string& sig :
       std::vector<std::string>{p.sig.substr(1), p.sig + "0", std::string(64, 'g'), upper}) {
    if (sig == p.sig) continue;
    EXPECT_EQ(signer.verify(kId, p.exp, sig, kNow), SignatureCheck::malformed) << sig;
  }
}

TEST(MediaSigning, UrlsAreAbsoluteUnderPublicUrl) {
  const std::string key = UrlSigner::derive_key("k");
  const UrlSigner relative(key, "");
  const UrlSigner absolute(key, "https://gw.example.com/");
  EXPECT_EQ(relative.url(kId, 5), relative.path(kId, 5));
  EXPECT_EQ(absolute.url(kId, 5), "https://gw.example.com" + relative.path(kId, 5));
  EXPECT_EQ(UrlSigner::derive_key("k").size(), 64U);
  EXPECT_NE(UrlSigner::derive_key("k"), UrlSigner::derive_key("l"));
}

// ---------------------------------------------------------------------------------------------
// Range

using Kind = RangeRequest::Kind;

void expect_partial(std::string_view header, std::uint64_t size, std::uint64_t first,
                    std::uint64_t last) {
  const auto r = parse_range(header, size);
  ASSERT_EQ(r.kind, Kind::partial) << header;
  EXPECT_EQ(r.first, first) << header;
  EXPECT_EQ(r.last, last) << header;
  EXPECT_EQ(r.length(), last - first + 1);
}

TEST(MediaRange, SingleRangesOfEveryForm) {
  expect_partial("bytes=0-0", 10, 0, 0);
  expect_partial("bytes=2-5", 10, 2, 5);
  expect_partial("bytes=2-", 10, 2, 9);
  expect_partial("bytes=-3", 10, 7, 9);
  expect_partial("bytes=-30", 10, 0, 9);
  expect_partial("bytes=5-1000", 10, 5, 9);
  expect_partial("BYTES=1-2", 10, 1, 2);
  expect_partial("bytes= 1-2 ", 10, 1, 2);
  expect_partial("bytes=9-99999999999999999999999", 10, 9, 9);
}

TEST(MediaRange, UnsatisfiableRanges) {
  for (const std::string& h : std::vector<std::string>{"bytes=10-", "bytes=10-20", "bytes=-0",
                                                       "bytes=99999999999999999999-"}) {
    EXPECT_EQ(parse_range(h, 10).kind, Kind::unsatisfiable) << h;
  }
  EXPECT_EQ(parse_range("bytes=-5", 0).kind, Kind::unsatisfiable);
  EXPECT_EQ(parse_range("bytes=0-", 0).kind, Kind::unsatisfiable);
}

TEST(MediaRange, WhatIsIgnoredServesTheWholeFile) {
  for (const std::string& h : std::vector<std::string>{
           "", "bytes", "bytes=", "bytes=-", "bytes=5-2", "bytes=a-b", "bytes=1-2,4-5", "items=0-1",
           "bytes =0-1", "bytes=0x1-2", "bytes=1--2", "bytes=+1-2", "bytes=1-2-3"}) {
    EXPECT_EQ(parse_range(h, 10).kind, Kind::whole) << h;
  }
}

}  // namespace
}  // namespace gw::media

namespace gw::api {
namespace {

TEST(MediaRoutes, ContentDispositionInlineOrAttachmentWithBothNames) {
  EXPECT_EQ(content_disposition("photo.jpg", "image/jpeg"),
            "inline; filename=\"photo.jpg\"; filename*=UTF-8''photo.jpg");
  EXPECT_EQ(content_disposition("voice.ogg", "audio/ogg; codecs=opus"),
            "inline; filename=\"voice.ogg\"; filename*=UTF-8''voice.ogg");
  EXPECT_EQ(content_disposition("page.html", "text/html"),
            "attachment; filename=\"page.html\"; filename*=UTF-8''page.html");
  EXPECT_EQ(content_disposition("x.svg", "image/svg+xml").substr(0, 11), "attachment;");
  EXPECT_EQ(content_disposition("caf\xc3\xa9 \"1\";.pdf", "application/pdf"),
            "attachment; filename=\"caf_ _1_;.pdf\"; "
            "filename*=UTF-8''caf%C3%A9%20%221%22%3B.pdf");
}

TEST(MediaRoutes, FailedDownloadsMapTo413Or400NamingMediaUrl) {
  webhooks::FetchResult r;
  r.error = webhooks::FetchError::too_large;
  r.message = "too large: the body exceeds 100 bytes";
  auto e = media_url_error(r, 100);
  EXPECT_EQ(http::http_status(e.kind()), 413);
  EXPECT_NE(std::string(e.what()).find("MEDIA_MAX_BYTES"), std::string::npos);
  for (auto kind : {webhooks::FetchError::invalid_url, webhooks::FetchError::refused_address,
                    webhooks::FetchError::timeout, webhooks::FetchError::network,
                    webhooks::FetchError::http_status, webhooks::FetchError::too_many_redirects}) {
    r.error = kind;
    r.status = 404;
    r.message = "why";
    e = media_url_error(r, 100);
    EXPECT_EQ(http::http_status(e.kind()), 400) << webhooks::fetch_error_name(kind);
    EXPECT_TRUE(std::string(e.what()).starts_with("media_url ")) << e.what();
    EXPECT_EQ(e.details().as_object().at("media_url").as_string(), "why");
  }
}

}  // namespace
}  // namespace gw::api

namespace gw::config {
namespace {

Config load_ok(const EnvMap& vars) {
  auto r = load(vars);
  if (auto* e = std::get_if<ConfigError>(&r)) ADD_FAILURE() << e->message;
  return std::get<Config>(r);
}

TEST(MediaConfig, DefaultsAndForms) {
  auto c = load_ok({{"DATA_DIR", "/srv/gw"}});
  EXPECT_EQ(c.media_dir, "/srv/gw/media");
  EXPECT_EQ(c.media_max_bytes, 16U * 1024 * 1024);
  EXPECT_EQ(c.media_retention_days, 30);
  EXPECT_EQ(c.media_url_ttl, std::chrono::seconds(7 * 24 * 3600));
  EXPECT_TRUE(c.media_allow_private_networks);
  EXPECT_EQ(c.media_fetch_timeout, std::chrono::seconds(60));

  c = load_ok({{"MEDIA_DIR", "/var/media"},
               {"MEDIA_URL_TTL_SECONDS", "3600"},
               {"MEDIA_ALLOW_PRIVATE_NETWORKS", "false"},
               {"MEDIA_RETENTION_DAYS", "0"}});
  EXPECT_EQ(c.media_dir, "/var/media");
  EXPECT_EQ(c.media_url_ttl, std::chrono::seconds(3600));
  EXPECT_FALSE(c.media_allow_private_networks);
  EXPECT_EQ(load_ok({{"MEDIA_URL_TTL_SECONDS", "12h"}}).media_url_ttl, std::chrono::hours(12));
  EXPECT_EQ(
      load_ok({{"MEDIA_URL_TTL_SECONDS", "3650d"}, {"MEDIA_RETENTION_DAYS", "0"}}).media_url_ttl,
      std::chrono::days(3650));
}

TEST(MediaConfig, BadValuesNameTheirVariable) {
  for (const auto& [name, value] :
       std::vector<std::pair<std::string, std::string>>{{"MEDIA_MAX_BYTES", "100"},
                                                        {"MEDIA_MAX_BYTES", "104857601"},
                                                        {"MEDIA_RETENTION_DAYS", "-1"},
                                                        {"MEDIA_URL_TTL_SECONDS", "0"},
                                                        {"MEDIA_URL_TTL_SECONDS", "d"},
                                                        {"MEDIA_URL_TTL_SECONDS", "3651d"},
                                                        {"MEDIA_ALLOW_PRIVATE_NETWORKS", "maybe"},
                                                        {"MEDIA_FETCH_TIMEOUT_SECONDS", "2h"}}) {
    auto r = load({{name, value}});
    ASSERT_TRUE(std::holds_alternative<ConfigError>(r)) << name << "=" << value;
    EXPECT_EQ(std::get<ConfigError>(r).variable, name);
  }
  // A URL must not outlive the file it points at.
  auto r = load({{"MEDIA_RETENTION_DAYS", "1"}, {"MEDIA_URL_TTL_SECONDS", "2d"}});
  ASSERT_TRUE(std::holds_alternative<ConfigError>(r));
  EXPECT_EQ(std::get<ConfigError>(r).variable, "MEDIA_URL_TTL_SECONDS");
  EXPECT_NO_THROW(load_ok({{"MEDIA_RETENTION_DAYS", "1"}, {"MEDIA_URL_TTL_SECONDS", "1d"}}));
}

}  // namespace
}  // namespace gw::config
