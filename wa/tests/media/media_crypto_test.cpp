// Media crypto (docs/PROTOCOL.md §8.2, §8.3) against vectors recorded from Baileys' getMediaKeys
// and encryptedStream (wa/tests/node/gen_media_vectors.mjs -> wa/tests/vectors/media.jsonl).
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <fstream>

#include "../test_hex.hpp"
#include "wa/media/crypto.hpp"

using namespace wa::media;
namespace json = boost::json;
using wa_test::hex;
using wa_test::unhex;

namespace {

std::vector<json::object> vectors(std::string_view kind) {
  std::ifstream in(std::string(WA_VECTORS_DIR) + "/media.jsonl");
  std::vector<json::object> out;
  std::string line;
  while (std::getline(in, line)) {
    auto o = json::parse(line).as_object();
    if (o["kind"].as_string() == kind) out.push_back(std::move(o));
  }
  return out;
}
std::string str(const json::object& o, std::string_view k) {
  return std::string(o.at(k).as_string());
}
MediaType type_of(const json::object& o) {
  auto t = media_type_from_string(str(o, "type"));
  if (!t) throw std::runtime_error("unknown type " + str(o, "type"));
  return *t;
}

}  // namespace

TEST(MediaKeys, MatchBaileysForEveryType) {
  const auto all = vectors("keys");
  ASSERT_EQ(all.size(), 8u);
  for (const auto& v : all) {
    SCOPED_TRACE(str(v, "type"));
    EXPECT_EQ(hkdf_info(type_of(v)), str(v, "info"));
    auto k = derive_keys(unhex(str(v, "media_key")), type_of(v));
    ASSERT_TRUE(k.ok()) << k.error().message();
    EXPECT_EQ(hex(k->iv), str(v, "iv"));
    EXPECT_EQ(hex(k->cipher_key), str(v, "cipher_key"));
    EXPECT_EQ(hex(k->mac_key), str(v, "mac_key"));
    EXPECT_EQ(hex(k->ref_key), str(v, "ref_key"));
  }
}

TEST(MediaKeys, RejectAKeyOfTheWrongSize) {
  std::vector<std::uint8_t> k(31, 1);
  auto r = derive_keys(k, MediaType::image);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.code(), wa::Errc::media_invalid);
}

// Our encryption with Baileys' media key gives Baileys' blob byte for byte; our decryption of
// Baileys' blob gives the plaintext back.
TEST(MediaCrypto, EncryptAndDecryptMatchBaileys) {
  const auto all = vectors("blob");
  ASSERT_GE(all.size(), 30u);
  for (const auto& v : all) {
    const auto plain = unhex(str(v, "plaintext"));
    SCOPED_TRACE(str(v, "type") + " " + std::to_string(plain.size()));
    const auto key = unhex(str(v, "media_key"));
    auto e = encrypt_with_key(plain, key, type_of(v));
    ASSERT_TRUE(e.ok()) << e.error().message();
    EXPECT_EQ(hex(e->blob), str(v, "blob"));
    EXPECT_EQ(hex(e->file_sha256), str(v, "file_sha256"));
    EXPECT_EQ(hex(e->file_enc_sha256), str(v, "file_enc_sha256"));
    EXPECT_EQ(e->file_length, v.at("file_length").to_number<std::uint64_t>());
    auto d = decrypt(unhex(str(v, "blob")), key, type_of(v), unhex(str(v, "file_enc_sha256")),
                     unhex(str(v, "file_sha256")));
    ASSERT_TRUE(d.ok()) << d.error().message();
    EXPECT_EQ(*d, plain);
  }
}

TEST(MediaCrypto, FreshKeysRoundTrip) {
  std::vector<std::uint8_t> plain(100'003);
  for (std::size_t i = 0; i < plain.size(); ++i) plain[i] = static_cast<std::uint8_t>(i * 7);
  auto a = encrypt(plain, MediaType::video);
  auto b = encrypt(plain, MediaType::video);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(a->media_key, b->media_key);
  EXPECT_EQ(a->media_key.size(), 32u);
  EXPECT_EQ(a->blob.size(), (plain.size() / 16 + 1) * 16 + 10);
  auto d = decrypt(a->blob, a->media_key, MediaType::video, a->file_enc_sha256, a->file_sha256);
  ASSERT_TRUE(d.ok()) << d.error().message();
  EXPECT_EQ(*d, plain);
  // The type is part of the key derivation: audio keys do not open a video.
  auto wrong = decrypt(a->blob, a->media_key, MediaType::audio, a->file_enc_sha256, {});
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.code(), wa::Errc::media_mac_mismatch);
}

// Each check has its own error, in the order enc hash, MAC, padding, plaintext hash.
TEST(MediaCrypto, DecryptNamesTheFailedCheck) {
  const std::vector<std::uint8_t> plain(1000, 0x41);
  auto e = encrypt(plain, MediaType::document);
  ASSERT_TRUE(e.ok());
  auto blob = e->blob;
  blob[5] ^= 1;
  auto r = decrypt(blob, e->media_key, MediaType::document, e->file_enc_sha256, e->file_sha256);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.code(), wa::Errc::media_hash_mismatch);
  // Without the enc hash the MAC catches it.
  r = decrypt(blob, e->media_key, MediaType::document, {}, e->file_sha256);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.code(), wa::Errc::media_mac_mismatch);
  // A correct blob whose announced plaintext hash is wrong.
  auto bad_plain_hash = e->file_sha256;
  bad_plain_hash[0] ^= 0xff;
  r = decrypt(e->blob, e->media_key, MediaType::document, e->file_enc_sha256, bad_plain_hash);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.code(), wa::Errc::media_hash_mismatch);
  // Shapes: truncated blob, wrong hash sizes, wrong key size.
  r = decrypt(std::span(e->blob).first(20), e->media_key, MediaType::document, {}, {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.code(), wa::Errc::media_invalid);
  r = decrypt(e->blob, e->media_key, MediaType::document, std::span(e->file_enc_sha256).first(31),
              {});
  EXPECT_EQ(r.code(), wa::Errc::media_invalid);
  r = decrypt(e->blob, std::span(e->media_key).first(16), MediaType::document, {}, {});
  EXPECT_EQ(r.code(), wa::Errc::media_invalid);
  // Garbage of a plausible shape fails the MAC.
  std::vector<std::uint8_t> garbage(64 + 10, 0x5a);
  r = decrypt(garbage, e->media_key, MediaType::document, {}, {});
  EXPECT_EQ(r.code(), wa::Errc::media_mac_mismatch);
}

TEST(MediaTypes, PathsAndNames) {
  EXPECT_EQ(mms_type(MediaType::sticker), "image");
  EXPECT_EQ(mms_type(MediaType::history), "md-msg-hist");
  EXPECT_EQ(mms_type(MediaType::link_thumbnail), "thumbnail-link");
  EXPECT_EQ(hkdf_info(MediaType::sticker), "WhatsApp Image Keys");
  EXPECT_EQ(media_type_of(wa::message::ContentType::sticker), MediaType::sticker);
  EXPECT_EQ(media_type_of(wa::message::ContentType::text), std::nullopt);
  for (auto t :
       {MediaType::image, MediaType::video, MediaType::audio, MediaType::document,
        MediaType::sticker, MediaType::history, MediaType::app_state, MediaType::link_thumbnail})
    EXPECT_EQ(media_type_from_string(to_string(t)), t);
  EXPECT_EQ(media_type_from_string("gif"), std::nullopt);
}
