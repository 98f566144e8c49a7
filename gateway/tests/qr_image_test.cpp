#include "sessions/qr_image.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <stdexcept>
#include <string>

#include "auth/crypto.hpp"

using gw::sessions::qr_png_data_url;

namespace {

constexpr std::string_view kPrefix = "data:image/png;base64,";

// A pairing string shaped like WhatsApp's (ref, noise key, identity key, adv secret, platform),
// from a fixed seed so that the test is reproducible.
std::string whatsapp_like_qr(std::uint32_t seed) {
  static constexpr std::string_view kB64 =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::mt19937 rng(seed);
  std::string ref = "2@";
  for (int i = 0; i < 100; ++i) ref += kB64[rng() % kB64.size()];
  const auto key = [&rng] {
    std::string bytes(32, '\0');
    for (auto& b : bytes) b = static_cast<char>(rng() & 0xFF);
    return gw::auth::base64_encode(bytes);  // 44 characters
  };
  return ref + "," + key() + "," + key() + "," + key() + ",9";
}

std::string png_of(const std::string& data_url) {
  EXPECT_EQ(data_url.substr(0, kPrefix.size()), kPrefix);
  auto png = gw::auth::base64_decode(std::string_view(data_url).substr(kPrefix.size()));
  EXPECT_TRUE(png) << "payload is not strict base64";
  return png.value_or("");
}

// Decodes the QR code in a PNG with zbarimg, as a phone would scan it from the dashboard.
std::string zbar_decode(const std::string& png) {
  const auto path = std::filesystem::temp_directory_path() /
                    ("gw-qr-test-" + std::to_string(::getpid()) + ".png");
  std::ofstream(path, std::ios::binary) << png;
  const std::string cmd =
      "zbarimg --raw -q '" + path.string() + "' 2>/dev/null";  // stderr: D-Bus noise
  std::string out;
  if (FILE* p = ::popen(cmd.c_str(), "r")) {
    char buf[4096];
    std::size_t n = 0;
    while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    ::pclose(p);
  }
  std::filesystem::remove(path);
  if (out.ends_with('\n')) out.pop_back();  // zbarimg ends each symbol with a newline
  return out;
}

std::uint32_t be32(const std::string& s, std::size_t at) {
  std::uint32_t v = 0;
  for (std::size_t i = 0; i < 4; ++i) v = (v << 8) | static_cast<unsigned char>(s[at + i]);
  return v;
}

class QrImage : public ::testing::Test {
 protected:
  void SetUp() override {
    // Not a skip: without zbarimg nothing here proves that the image is a readable QR code.
    ASSERT_EQ(std::system("command -v zbarimg >/dev/null 2>&1"), 0)
        << "zbarimg is missing: install zbar-tools (scripts/install-deps.sh --test)";
  }
};

}  // namespace

TEST_F(QrImage, WhatsAppPairingStringRoundTripsThroughAScanner) {
  for (std::uint32_t seed : {1U, 2U, 3U}) {
    const auto text = whatsapp_like_qr(seed);
    ASSERT_EQ(text.size(), 2U + 100 + 3 * 45 + 2);
    const auto url = qr_png_data_url(text);
    EXPECT_LT(url.size(), 4096U) << "a data URL this large is not a 1-bit PNG";
    EXPECT_EQ(zbar_decode(png_of(url)), text);
  }
}

TEST_F(QrImage, ShortAndLongTextsRoundTrip) {
  for (const std::string& text :
       {std::string("x"), std::string("HELLO 123"), std::string(1000, 'a') + "Z",
        std::string("mixed CASE text, with punctuation: ;/?@&=+$#")}) {
    EXPECT_EQ(zbar_decode(png_of(qr_png_data_url(text))), text);
  }
}

TEST_F(QrImage, IsASquareOneBitGrayscalePngWithQuietZone) {
  const auto png = png_of(qr_png_data_url(whatsapp_like_qr(7)));
  ASSERT_GT(png.size(), 33U);
  EXPECT_EQ(png.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  EXPECT_EQ(png.substr(12, 4), "IHDR");
  const auto width = be32(png, 16);
  const auto height = be32(png, 20);
  EXPECT_EQ(width, height);
  EXPECT_EQ(width % gw::sessions::kQrModulePixels, 0U);
  const auto modules = width / gw::sessions::kQrModulePixels;
  const auto symbol = modules - 2 * gw::sessions::kQrQuietZoneModules;
  EXPECT_EQ((symbol - 17) % 4, 0U) << "a QR symbol is 17 + 4 * version modules wide";
  EXPECT_GE(symbol, 21U);
  EXPECT_EQ(png[24], 1) << "bit depth";
  EXPECT_EQ(png[25], 0) << "colour type: grayscale";
}

TEST_F(QrImage, RefusesWhatCannotBeEncoded) {
  EXPECT_THROW(qr_png_data_url(""), std::runtime_error);
  EXPECT_THROW(qr_png_data_url(std::string("a\0b", 3)), std::runtime_error);
  std::string too_long;
  std::mt19937 rng(9);
  for (int i = 0; i < 4000; ++i) too_long += static_cast<char>('!' + rng() % 90);
  EXPECT_THROW(qr_png_data_url(too_long), std::runtime_error);
}
