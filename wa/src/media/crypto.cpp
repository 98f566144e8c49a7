#include "wa/media/crypto.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <limits>
#include <memory>

#include "wa/constants.hpp"

namespace wa::media {

namespace {

struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX* c) const noexcept { EVP_CIPHER_CTX_free(c); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree>;
struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const noexcept { EVP_MD_CTX_free(c); }
};
struct MacFree {
  void operator()(EVP_MAC* m) const noexcept { EVP_MAC_free(m); }
};
struct MacCtxFree {
  void operator()(EVP_MAC_CTX* c) const noexcept { EVP_MAC_CTX_free(c); }
};

constexpr std::size_t kBlock = 16;
// OpenSSL's update functions take int lengths: feed large inputs in chunks below INT_MAX.
constexpr std::size_t kChunk = std::size_t{1} << 30;

std::span<const std::uint8_t> as_span(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

// HMAC-SHA256(mac_key, iv ‖ ciphertext), truncated to kMacSize.
Result<std::array<std::uint8_t, kMacSize>> blob_mac(const MediaKeys& k,
                                                    std::span<const std::uint8_t> ciphertext) {
  std::unique_ptr<EVP_MAC, MacFree> mac(EVP_MAC_fetch(nullptr, "HMAC", nullptr));
  std::unique_ptr<EVP_MAC_CTX, MacCtxFree> ctx(mac ? EVP_MAC_CTX_new(mac.get()) : nullptr);
  char digest[] = "SHA256";
  const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string("digest", digest, 0),
                               OSSL_PARAM_construct_end()};
  if (!ctx || EVP_MAC_init(ctx.get(), k.mac_key.data(), k.mac_key.size(), params) != 1 ||
      EVP_MAC_update(ctx.get(), k.iv.data(), k.iv.size()) != 1)
    return Error{Errc::noise_crypto, "HMAC init failed"};
  for (std::size_t off = 0; off < ciphertext.size(); off += kChunk) {
    const auto n = std::min(kChunk, ciphertext.size() - off);
    if (EVP_MAC_update(ctx.get(), ciphertext.data() + off, n) != 1)
      return Error{Errc::noise_crypto, "HMAC update failed"};
  }
  std::array<std::uint8_t, 32> full{};
  std::size_t len = 0;
  if (EVP_MAC_final(ctx.get(), full.data(), &len, full.size()) != 1 || len != full.size())
    return Error{Errc::noise_crypto, "HMAC final failed"};
  std::array<std::uint8_t, kMacSize> out{};
  std::copy_n(full.begin(), kMacSize, out.begin());
  return out;
}

Result<void> check_hash_size(std::span<const std::uint8_t> h, std::string_view what) {
  if (!h.empty() && h.size() != 32)
    return Error{Errc::media_invalid, std::string(what) + " is not 32 bytes"};
  return {};
}

}  // namespace

std::string_view to_string(MediaType t) noexcept {
  switch (t) {
    case MediaType::image:
      return "image";
    case MediaType::video:
      return "video";
    case MediaType::audio:
      return "audio";
    case MediaType::document:
      return "document";
    case MediaType::sticker:
      return "sticker";
    case MediaType::history:
      return "history";
    case MediaType::app_state:
      return "app_state";
    case MediaType::link_thumbnail:
      return "link_thumbnail";
  }
  return "image";
}

std::optional<MediaType> media_type_from_string(std::string_view name) noexcept {
  for (auto t :
       {MediaType::image, MediaType::video, MediaType::audio, MediaType::document,
        MediaType::sticker, MediaType::history, MediaType::app_state, MediaType::link_thumbnail})
    if (to_string(t) == name) return t;
  return std::nullopt;
}

std::string_view hkdf_info(MediaType t) noexcept {
  switch (t) {
    case MediaType::image:
    case MediaType::sticker:
      return constants::kMediaInfoImage;
    case MediaType::video:
      return constants::kMediaInfoVideo;
    case MediaType::audio:
      return constants::kMediaInfoAudio;
    case MediaType::document:
      return constants::kMediaInfoDocument;
    case MediaType::history:
      return constants::kMediaInfoHistory;
    case MediaType::app_state:
      return constants::kMediaInfoAppState;
    case MediaType::link_thumbnail:
      return constants::kMediaInfoLinkThumbnail;
  }
  return constants::kMediaInfoImage;
}

std::string_view mms_type(MediaType t) noexcept {
  switch (t) {
    case MediaType::image:
    case MediaType::sticker:
      return "image";
    case MediaType::video:
      return "video";
    case MediaType::audio:
      return "audio";
    case MediaType::document:
      return "document";
    case MediaType::history:
      return "md-msg-hist";
    case MediaType::app_state:
      return "md-app-state";
    case MediaType::link_thumbnail:
      return "thumbnail-link";
  }
  return "image";
}

std::optional<MediaType> media_type_of(message::ContentType t) noexcept {
  switch (t) {
    case message::ContentType::image:
      return MediaType::image;
    case message::ContentType::video:
      return MediaType::video;
    case message::ContentType::audio:
      return MediaType::audio;
    case message::ContentType::document:
      return MediaType::document;
    case message::ContentType::sticker:
      return MediaType::sticker;
    default:
      return std::nullopt;
  }
}

Result<MediaKeys> derive_keys(std::span<const std::uint8_t> media_key, MediaType type) {
  if (media_key.size() != kMediaKeySize)
    return Error{Errc::media_invalid,
                 "media key of " + std::to_string(media_key.size()) + " bytes (expected 32)"};
  auto okm = crypto::hkdf_sha256(media_key, {}, as_span(hkdf_info(type)), 112);
  MediaKeys k;
  std::copy_n(okm.begin(), 16, k.iv.begin());
  std::copy_n(okm.begin() + 16, 32, k.cipher_key.begin());
  std::copy_n(okm.begin() + 48, 32, k.mac_key.begin());
  std::copy_n(okm.begin() + 80, 32, k.ref_key.begin());
  OPENSSL_cleanse(okm.data(), okm.size());
  return k;
}

Result<Encrypted> encrypt(std::span<const std::uint8_t> plaintext, MediaType type) {
  std::array<std::uint8_t, kMediaKeySize> key{};
  crypto::random_bytes(key);
  auto r = encrypt_with_key(plaintext, key, type);
  OPENSSL_cleanse(key.data(), key.size());
  return r;
}

Result<Encrypted> encrypt_with_key(std::span<const std::uint8_t> plaintext,
                                   std::span<const std::uint8_t> media_key, MediaType type) {
  auto keys = derive_keys(media_key, type);
  if (!keys) return keys.error();
  Encrypted out;
  out.media_key.assign(media_key.begin(), media_key.end());
  out.file_length = plaintext.size();
  // PKCS#7 always adds 1..16 bytes.
  const std::size_t ct_size = (plaintext.size() / kBlock + 1) * kBlock;
  out.blob.resize(ct_size + kMacSize);
  // One pass in cache-sized chunks: SHA-256 of the plaintext, AES-CBC, then the HMAC and the
  // SHA-256 of the ciphertext just written (the blob's hash gets the MAC at the end).
  CipherCtx aes(EVP_CIPHER_CTX_new());
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> plain_hash(EVP_MD_CTX_new()), blob_hash(EVP_MD_CTX_new());
  std::unique_ptr<EVP_MAC, MacFree> mac(EVP_MAC_fetch(nullptr, "HMAC", nullptr));
  std::unique_ptr<EVP_MAC_CTX, MacCtxFree> hmac(mac ? EVP_MAC_CTX_new(mac.get()) : nullptr);
  char digest[] = "SHA256";
  const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string("digest", digest, 0),
                               OSSL_PARAM_construct_end()};
  if (!aes || !plain_hash || !blob_hash || !hmac ||
      EVP_EncryptInit_ex(aes.get(), EVP_aes_256_cbc(), nullptr, keys->cipher_key.data(),
                         keys->iv.data()) != 1 ||
      EVP_DigestInit_ex(plain_hash.get(), EVP_sha256(), nullptr) != 1 ||
      EVP_DigestInit_ex(blob_hash.get(), EVP_sha256(), nullptr) != 1 ||
      EVP_MAC_init(hmac.get(), keys->mac_key.data(), keys->mac_key.size(), params) != 1 ||
      EVP_MAC_update(hmac.get(), keys->iv.data(), keys->iv.size()) != 1)
    return Error{Errc::noise_crypto, "media encryption init failed"};
  constexpr std::size_t kPiece = 64 * 1024;
  std::size_t written = 0;
  const auto absorb = [&](std::size_t from, std::size_t n) {
    const auto* p = out.blob.data() + from;
    return EVP_MAC_update(hmac.get(), p, n) == 1 && EVP_DigestUpdate(blob_hash.get(), p, n) == 1;
  };
  for (std::size_t off = 0; off < plaintext.size(); off += kPiece) {
    const auto n = std::min(kPiece, plaintext.size() - off);
    int len = 0;
    if (EVP_DigestUpdate(plain_hash.get(), plaintext.data() + off, n) != 1 ||
        EVP_EncryptUpdate(aes.get(), out.blob.data() + written, &len, plaintext.data() + off,
                          static_cast<int>(n)) != 1 ||
        !absorb(written, static_cast<std::size_t>(len)))
      return Error{Errc::noise_crypto, "media encryption failed"};
    written += static_cast<std::size_t>(len);
  }
  int fin = 0;
  if (EVP_EncryptFinal_ex(aes.get(), out.blob.data() + written, &fin) != 1 ||
      !absorb(written, static_cast<std::size_t>(fin)))
    return Error{Errc::noise_crypto, "AES-CBC final failed"};
  written += static_cast<std::size_t>(fin);
  if (written != ct_size) return Error{Errc::noise_crypto, "AES-CBC produced an odd length"};
  std::array<std::uint8_t, 32> full{};
  std::size_t mac_len = 0;
  unsigned plain_len = 0, blob_len = 0;
  if (EVP_MAC_final(hmac.get(), full.data(), &mac_len, full.size()) != 1 || mac_len != 32)
    return Error{Errc::noise_crypto, "HMAC final failed"};
  std::copy_n(full.begin(), kMacSize, out.blob.begin() + static_cast<std::ptrdiff_t>(ct_size));
  if (EVP_DigestUpdate(blob_hash.get(), full.data(), kMacSize) != 1 ||
      EVP_DigestFinal_ex(blob_hash.get(), out.file_enc_sha256.data(), &blob_len) != 1 ||
      EVP_DigestFinal_ex(plain_hash.get(), out.file_sha256.data(), &plain_len) != 1 ||
      blob_len != 32 || plain_len != 32)
    return Error{Errc::noise_crypto, "SHA-256 failed"};
  return out;
}

Result<std::vector<std::uint8_t>> decrypt(std::span<const std::uint8_t> blob,
                                          std::span<const std::uint8_t> media_key, MediaType type,
                                          std::span<const std::uint8_t> file_enc_sha256,
                                          std::span<const std::uint8_t> file_sha256) {
  if (auto c = check_hash_size(file_enc_sha256, "file_enc_sha256"); !c) return c.error();
  if (auto c = check_hash_size(file_sha256, "file_sha256"); !c) return c.error();
  auto keys = derive_keys(media_key, type);
  if (!keys) return keys.error();
  if (!file_enc_sha256.empty()) {
    const auto h = crypto::sha256({blob});
    if (!crypto::equal_ct(h, file_enc_sha256))
      return Error{Errc::media_hash_mismatch, "SHA-256 of the downloaded blob"};
  }
  if (blob.size() < kMacSize + kBlock || (blob.size() - kMacSize) % kBlock != 0)
    return Error{Errc::media_invalid,
                 "blob of " + std::to_string(blob.size()) + " bytes is not ciphertext plus MAC"};
  const auto ct = blob.first(blob.size() - kMacSize);
  auto mac = blob_mac(*keys, ct);
  if (!mac) return mac.error();
  if (!crypto::equal_ct(*mac, blob.last(kMacSize)))
    return Error{Errc::media_mac_mismatch, "HMAC of the blob"};
  std::vector<std::uint8_t> plain(ct.size());
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  if (!ctx || EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_cbc(), nullptr, keys->cipher_key.data(),
                                 keys->iv.data()) != 1)
    return Error{Errc::noise_crypto, "AES-CBC init failed"};
  std::size_t written = 0;
  for (std::size_t off = 0; off < ct.size(); off += kChunk) {
    const auto n = std::min(kChunk, ct.size() - off);
    int len = 0;
    if (EVP_DecryptUpdate(ctx.get(), plain.data() + written, &len, ct.data() + off,
                          static_cast<int>(n)) != 1)
      return Error{Errc::noise_crypto, "AES-CBC decryption failed"};
    written += static_cast<std::size_t>(len);
  }
  int fin = 0;
  if (EVP_DecryptFinal_ex(ctx.get(), plain.data() + written, &fin) != 1)
    return Error{Errc::media_invalid, "bad PKCS#7 padding"};
  written += static_cast<std::size_t>(fin);
  plain.resize(written);
  if (!file_sha256.empty() && !crypto::equal_ct(crypto::sha256({plain}), file_sha256))
    return Error{Errc::media_hash_mismatch, "SHA-256 of the decrypted file"};
  return plain;
}

}  // namespace wa::media
