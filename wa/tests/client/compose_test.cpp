// The Message of every outgoing content type (send::compose, docs/PROTOCOL.md §6.3, §7.4, §8.4):
// read back with our parser and with the generated protobuf classes.
#include <gtest/gtest.h>

#include "client/send.hpp"
#include "wa/message/content.hpp"
#include "wa/proto/wa.pb.h"

using namespace wa::client;
using wa::message::ContentType;

namespace {

wa::media::UploadedMedia uploaded() {
  wa::media::UploadedMedia u;
  u.url = "https://mmg.example/v/x?y=1";
  u.direct_path = "/v/x?y=1";
  u.media_key.assign(32, 7);
  u.file_sha256.assign(32, 8);
  u.file_enc_sha256.assign(32, 9);
  u.file_length = 1234;
  u.media_key_timestamp = 1700000000;
  return u;
}

wa::proto::Message parse(const std::string& s) {
  wa::proto::Message m;
  EXPECT_TRUE(m.ParseFromString(s));
  return m;
}

wa::message::Content content(const std::string& s) {
  auto c = wa::message::parse_content({reinterpret_cast<const std::uint8_t*>(s.data()), s.size()});
  EXPECT_TRUE(c.ok());
  return c ? *c : wa::message::Content{};
}

}  // namespace

TEST(Compose, ImageWithCaptionMentionAndQuote) {
  out::Image img;
  img.mimetype = "image/png";
  img.caption = "look @15550001111";
  img.width = 40;
  img.height = 30;
  img.jpeg_thumbnail = {0xff, 0xd8, 0xff};
  SendOptions o;
  o.mentions.push_back(*wa::Jid::parse("15550001111@s.whatsapp.net"));
  o.quote =
      SendOptions::Quote{"Q1", "15550002222@s.whatsapp.net", "the doc", ContentType::document};
  const auto up = uploaded();
  auto c = send::compose(OutgoingMessage{img}, &up, o);
  ASSERT_TRUE(c.ok()) << c.error().message();
  EXPECT_EQ(c->stanza_type, "media");
  EXPECT_EQ(c->mediatype, "image");
  const auto m = parse(c->message);
  ASSERT_TRUE(m.has_image_message());
  const auto& im = m.image_message();
  EXPECT_EQ(im.url(), up.url);
  EXPECT_EQ(im.direct_path(), up.direct_path);
  EXPECT_EQ(im.media_key(), std::string(32, '\7'));
  EXPECT_EQ(im.file_length(), 1234u);
  EXPECT_EQ(im.media_key_timestamp(), 1700000000);
  EXPECT_EQ(im.mimetype(), "image/png");
  EXPECT_EQ(im.width(), 40u);
  EXPECT_EQ(im.height(), 30u);
  EXPECT_EQ(im.jpeg_thumbnail().size(), 3u);
  const auto parsed = content(c->message);
  EXPECT_EQ(parsed.type, ContentType::image);
  EXPECT_EQ(parsed.text, "look @15550001111");
  EXPECT_EQ(parsed.mentioned_jids, std::vector<std::string>{"15550001111@s.whatsapp.net"});
  ASSERT_TRUE(parsed.quoted.has_value());
  EXPECT_EQ(parsed.quoted->id, "Q1");
  EXPECT_EQ(parsed.quoted->type, ContentType::document);
  EXPECT_EQ(parsed.quoted->text, "the doc");
  ASSERT_TRUE(parsed.media.has_value());
  EXPECT_EQ(parsed.media->file_enc_sha256, up.file_enc_sha256);
}

TEST(Compose, StanzaTypesAndMediaTypes) {
  const auto up = uploaded();
  struct Case {
    OutgoingMessage m;
    std::string type, mediatype;
    ContentType content;
  };
  out::Video gif;
  gif.gif_playback = true;
  out::Audio ptt;
  ptt.ptt = true;
  ptt.seconds = 7;
  ptt.waveform = {1, 50, 100};
  std::vector<Case> cases;
  cases.push_back({out::Text{"hi"}, "text", "", ContentType::text});
  cases.push_back({out::Video{}, "media", "video", ContentType::video});
  cases.push_back({gif, "media", "gif", ContentType::video});
  cases.push_back({out::Audio{}, "media", "audio", ContentType::audio});
  cases.push_back({ptt, "media", "ptt", ContentType::audio});
  cases.push_back({out::Document{}, "media", "document", ContentType::document});
  cases.push_back({out::Sticker{}, "media", "sticker", ContentType::sticker});
  cases.push_back(
      {out::Location{52.5, 13.4, "Berlin", "Somewhere 1"}, "text", "", ContentType::location});
  cases.push_back(
      {out::Contact{"Ann", "BEGIN:VCARD\nEND:VCARD"}, "media", "vcard", ContentType::contact});
  for (const auto& k : cases) {
    SCOPED_TRACE(std::string(wa::message::to_string(k.content)) + "/" + k.mediatype);
    EXPECT_EQ(content_type(k.m), k.content);
    auto c = send::compose(k.m, media_input(k.m) ? &up : nullptr, {});
    ASSERT_TRUE(c.ok()) << c.error().message();
    EXPECT_EQ(c->stanza_type, k.type);
    EXPECT_EQ(c->mediatype, k.mediatype);
    EXPECT_EQ(content(c->message).type, k.content);
  }
  const auto a = parse(send::compose(OutgoingMessage{ptt}, &up, {})->message).audio_message();
  EXPECT_TRUE(a.ptt());
  EXPECT_EQ(a.seconds(), 7u);
  EXPECT_EQ(a.waveform(), std::string("\x01\x32\x64"));
  const auto l = parse(send::compose(cases[7].m, nullptr, {})->message).location_message();
  EXPECT_DOUBLE_EQ(l.degrees_latitude(), 52.5);
  EXPECT_EQ(l.address(), "Somewhere 1");
  // An attachment must be uploaded first.
  EXPECT_EQ(send::compose(OutgoingMessage{out::Image{}}, nullptr, {}).code(),
            wa::Errc::invalid_argument);
}

TEST(Compose, DocumentNameAndPages) {
  out::Document d;
  d.file_name = "report.pdf";
  d.mimetype = "application/pdf";
  d.caption = "Q3";
  d.media.bytes = {'%', 'P', 'D', 'F', '-', '1', ' ', '/', 'T', 'y',
                   'p', 'e', ' ', '/', 'P', 'a', 'g', 'e', ' '};
  OutgoingMessage m = d;
  complete_media_fields(m);
  EXPECT_EQ(std::get<out::Document>(m).page_count, 1u);
  const auto up = uploaded();
  const auto dm = parse(send::compose(m, &up, {})->message).document_message();
  EXPECT_EQ(dm.file_name(), "report.pdf");
  EXPECT_EQ(dm.title(), "report.pdf");
  EXPECT_EQ(dm.caption(), "Q3");
  EXPECT_EQ(dm.page_count(), 1u);
  const auto parsed = content(send::compose(m, &up, {})->message);
  EXPECT_EQ(parsed.media->file_name, "report.pdf");
  EXPECT_EQ(parsed.text, "Q3");
}

TEST(Compose, VideoGetsABlankThumbnailFittedToItsSize) {
  out::Video v;
  v.width = 1280;
  v.height = 720;
  OutgoingMessage m = v;
  complete_media_fields(m);
  const auto& t = std::get<out::Video>(m).jpeg_thumbnail;
  ASSERT_GE(t.size(), 3u);
  EXPECT_EQ(t[0], 0xff);
  EXPECT_EQ(t[1], 0xd8);
}

TEST(Compose, QuotedTextStaysAConversation) {
  SendOptions o;
  o.quote = SendOptions::Quote{"Q", "1@s.whatsapp.net", "hello", ContentType::text};
  auto c = send::compose(OutgoingMessage{out::Text{"re"}}, nullptr, o);
  const auto m = parse(c->message);
  ASSERT_TRUE(m.has_extended_text_message());
  EXPECT_EQ(m.extended_text_message().context_info().quoted_message().conversation(), "hello");
}
