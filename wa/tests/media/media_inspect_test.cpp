// Picture headers, thumbnails and PDF page counts (wa/media/inspect.hpp) on pictures written by
// sharp (wa/tests/node/gen_picture_vectors.mjs -> wa/tests/vectors/pictures/).
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

#include "wa/media/inspect.hpp"

using namespace wa::media;

namespace {
std::vector<std::uint8_t> picture(const std::string& name) {
  std::ifstream in(std::string(WA_VECTORS_DIR) + "/pictures/" + name, std::ios::binary);
  if (!in) throw std::runtime_error("missing " + name);
  return {std::istreambuf_iterator<char>(in), {}};
}
void expect_info(const std::string& name, ImageFormat f, std::uint32_t w, std::uint32_t h) {
  SCOPED_TRACE(name);
  auto info = image_info(picture(name));
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->format, f);
  EXPECT_EQ(info->width, w);
  EXPECT_EQ(info->height, h);
}
}  // namespace

TEST(MediaInspect, DimensionsFromHeaders) {
  expect_info("photo_640x480.jpg", ImageFormat::jpeg, 640, 480);
  expect_info("progressive_300x500.jpg", ImageFormat::jpeg, 300, 500);
  expect_info("alpha_40x30.png", ImageFormat::png, 40, 30);
  expect_info("sticker_512x512.webp", ImageFormat::webp, 512, 512);
  expect_info("lossy_64x48.webp", ImageFormat::webp, 64, 48);
  expect_info("lossless_33x17.webp", ImageFormat::webp, 33, 17);
}

TEST(MediaInspect, TruncatedOrForeignBytesHaveNoInfo) {
  auto jpg = picture("photo_640x480.jpg");
  for (std::size_t n : {0, 3, 10, 20}) {
    EXPECT_FALSE(image_info(std::span(jpg).first(n)).has_value()) << n;
  }
  const std::string gif = "GIF89a\x10\x00\x10\x00";
  EXPECT_FALSE(image_info({reinterpret_cast<const std::uint8_t*>(gif.data()), gif.size()}));
  auto png = picture("alpha_40x30.png");
  EXPECT_FALSE(image_info(std::span(png).first(20)).has_value());
}

TEST(MediaInspect, ThumbnailsAreSmallJpegsWithTheAspectKept) {
  auto t = jpeg_thumbnail(picture("photo_640x480.jpg"), 72);
  ASSERT_TRUE(t.ok()) << t.error().message();
  auto info = image_info(*t);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->format, ImageFormat::jpeg);
  EXPECT_EQ(info->width, 72u);
  EXPECT_EQ(info->height, 54u);
  EXPECT_LT(t->size(), 4000u);
  auto p = jpeg_thumbnail(picture("alpha_40x30.png"), 72);  // never upscaled
  ASSERT_TRUE(p.ok()) << p.error().message();
  info = image_info(*p);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->width, 40u);
  EXPECT_EQ(info->height, 30u);
  auto q = jpeg_thumbnail(picture("progressive_300x500.jpg"), 50);
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(image_info(*q)->height, 50u);
  EXPECT_EQ(image_info(*q)->width, 30u);
}

TEST(MediaInspect, ThumbnailRefusals) {
  EXPECT_EQ(jpeg_thumbnail(picture("sticker_512x512.webp")).code(), wa::Errc::media_invalid);
  auto jpg = picture("photo_640x480.jpg");
  // A valid header with the scan cut off: libjpeg's error must come back as an error.
  auto cut = std::vector<std::uint8_t>(jpg.begin(), jpg.begin() + 400);
  auto r = jpeg_thumbnail(cut);
  if (r) {
    EXPECT_TRUE(image_info(*r).has_value());  // libjpeg may pad a truncated scan: still a JPEG
  }
  EXPECT_EQ(jpeg_thumbnail(jpg, 72, 1000).code(), wa::Errc::media_invalid);  // pixel cap
  std::vector<std::uint8_t> junk(jpg.begin(), jpg.begin() + 200);
  for (std::size_t i = 100; i < junk.size(); ++i) junk[i] = 0xFF;
  (void)jpeg_thumbnail(junk);  // no crash, whatever the answer
}

TEST(MediaInspect, BlankJpeg) {
  auto b = blank_jpeg(72, 40);
  auto info = image_info(b);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->width, 72u);
  EXPECT_EQ(info->height, 40u);
  EXPECT_EQ(image_info(blank_jpeg(0, 5000))->height, 512u);
}

TEST(MediaInspect, PdfPageCount) {
  const std::string pdf =
      "%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
      "2 0 obj << /Type /Pages /Kids [3 0 R 4 0 R 5 0 R] /Count 3 >> endobj\n"
      "3 0 obj << /Type /Page /Parent 2 0 R >> endobj\n4 0 obj <</Type/Page/Parent 2 0 R>> endobj\n"
      "5 0 obj << /Type\n/Page >> endobj\n%%EOF\n";
  const auto bytes = std::span(reinterpret_cast<const std::uint8_t*>(pdf.data()), pdf.size());
  EXPECT_EQ(pdf_page_count(bytes), 3u);
  EXPECT_EQ(pdf_page_count(bytes.subspan(1)), std::nullopt);
  const std::string empty = "%PDF-1.7\n%%EOF";
  EXPECT_EQ(pdf_page_count({reinterpret_cast<const std::uint8_t*>(empty.data()), empty.size()}),
            std::nullopt);
}
