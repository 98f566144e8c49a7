// media_conn, upload and download addressing (docs/PROTOCOL.md §8.1, §8.4, §8.5).
#include <gtest/gtest.h>

#include "wa/media/transfer.hpp"

using namespace wa::media;
using wa::binary::Node;

TEST(MediaConn, QueryShape) {
  const auto q = media_conn_query();
  EXPECT_EQ(q.tag, "iq");
  EXPECT_EQ(*q.attr("xmlns"), "w:m");
  EXPECT_EQ(*q.attr("type"), "set");
  EXPECT_EQ(*q.attr("to"), "s.whatsapp.net");
  ASSERT_NE(q.child("media_conn"), nullptr);
}

TEST(MediaConn, ParsesHostsAuthAndTtl) {
  Node iq{"iq",
          {{"type", "result"}},
          std::vector<Node>{
              Node{"media_conn",
                   {{"auth", "AUTH+/="}, {"ttl", "300"}, {"max_buckets", "12"}},
                   std::vector<Node>{
                       Node{"host",
                            {{"hostname", "mmg.example:8443"}, {"maxContentLengthBytes", "1000"}},
                            {}},
                       Node{"host", {{"hostname", "mmg2.example"}}, {}}, Node{"other", {}, {}}}}}};
  auto mc = parse_media_conn(iq);
  ASSERT_TRUE(mc.ok()) << mc.error().message();
  EXPECT_EQ(mc->auth, "AUTH+/=");
  EXPECT_EQ(mc->ttl.count(), 300);
  ASSERT_EQ(mc->hosts.size(), 2u);
  EXPECT_EQ(mc->hosts[0].hostname, "mmg.example:8443");
  EXPECT_EQ(mc->hosts[0].max_content_length, 1000u);
  EXPECT_EQ(mc->hosts[1].max_content_length, 0u);
}

TEST(MediaConn, RefusesAnswersWithoutAuthOrHosts) {
  Node none{"iq", {{"type", "result"}}, {}};
  EXPECT_EQ(parse_media_conn(none).code(), wa::Errc::node_invalid);
  Node no_auth{"iq", {}, std::vector<Node>{Node{"media_conn", {{"ttl", "1"}}, {}}}};
  EXPECT_EQ(parse_media_conn(no_auth).code(), wa::Errc::node_invalid);
  Node no_host{"iq", {}, std::vector<Node>{Node{"media_conn", {{"auth", "a"}, {"ttl", "x"}}, {}}}};
  EXPECT_EQ(parse_media_conn(no_host).code(), wa::Errc::media_unavailable);
}

TEST(MediaUpload, Base64UrlWithoutPadding) {
  const std::vector<std::uint8_t> a{0xfb, 0xff}, b{0xfb, 0xff, 0xfe}, c{0x66};
  EXPECT_EQ(base64url(a), "-_8");
  EXPECT_EQ(base64url(b), "-__-");
  EXPECT_EQ(base64url(c), "Zg");
  EXPECT_EQ(base64url({}), "");
}

TEST(MediaUpload, UrlCarriesTokenAndEncodedAuth) {
  std::vector<std::uint8_t> h(32, 0xff);
  const auto token = base64url(h);
  EXPECT_EQ(upload_url("h.example:1", MediaType::sticker, h, "a+b/c="),
            "https://h.example:1/mms/image/" + token + "?auth=a%2Bb%2Fc%3D&token=" + token);
  EXPECT_EQ(upload_url("h", MediaType::history, h, "x").substr(0, 27),
            "https://h/mms/md-msg-hist/" + token.substr(0, 1));
}

TEST(MediaUpload, ParsesTheAnswer) {
  auto a =
      parse_upload_answer(R"({"url":"https://h/v/x?y=1","direct_path":"/v/x?y=1","handle":"z"})");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->url, "https://h/v/x?y=1");
  EXPECT_EQ(a->direct_path, "/v/x?y=1");
  EXPECT_EQ(parse_upload_answer("<html>").code(), wa::Errc::media_http);
  EXPECT_EQ(parse_upload_answer(R"({"error":"no"})").code(), wa::Errc::media_http);
}

TEST(MediaDownload, UrlOfADirectPath) {
  wa::message::MediaDescriptor m;
  m.direct_path = "/v/t62/abc?ccb=1";
  m.file_enc_sha256 = {0xfb, 0xff};
  auto u = download_url("mmg.example", m, MediaType::audio);
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(*u, "https://mmg.example/v/t62/abc?ccb=1&hash=-_8&mms-type=audio&__wa-mms=");
  m.direct_path = "/v/plain";
  EXPECT_EQ(*download_url("h", m, MediaType::image),
            "https://h/v/plain?hash=-_8&mms-type=image&__wa-mms=");
  m.direct_path = "evil.example/v";
  EXPECT_EQ(download_url("h", m, MediaType::image).code(), wa::Errc::media_invalid);
}
