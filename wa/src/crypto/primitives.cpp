#include "wa/crypto/primitives.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <cstdlib>
#include <memory>

namespace wa::crypto {

namespace {

struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX* c) const noexcept { EVP_CIPHER_CTX_free(c); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree>;
struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const noexcept { EVP_MD_CTX_free(c); }
};

// OpenSSL takes int lengths; every length here is bounded by the 16 MiB frame limit or smaller.
int int_len(std::size_t n) {
  return static_cast<int>(n);
}

template <std::size_t N>
std::array<std::uint8_t, N> digest(const EVP_MD* md,
                                   std::initializer_list<std::span<const std::uint8_t>> parts) {
  std::array<std::uint8_t, N> out{};
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  unsigned int len = 0;
  if (!ctx || EVP_DigestInit_ex(ctx.get(), md, nullptr) != 1) std::abort();
  for (auto p : parts)
    if (!p.empty() && EVP_DigestUpdate(ctx.get(), p.data(), p.size()) != 1) std::abort();
  if (EVP_DigestFinal_ex(ctx.get(), out.data(), &len) != 1 || len != N) std::abort();
  return out;
}

}  // namespace

Digest32 sha256(std::initializer_list<std::span<const std::uint8_t>> parts) {
  return digest<32>(EVP_sha256(), parts);
}

std::array<std::uint8_t, 16> md5(std::span<const std::uint8_t> data) {
  return digest<16>(EVP_md5(), {data});
}

Digest32 hmac_sha256(std::span<const std::uint8_t> key, std::span<const std::uint8_t> data) {
  Digest32 out{};
  unsigned int len = 0;
  static constexpr std::uint8_t kEmpty = 0;
  // HMAC() wants non-null pointers even for empty inputs.
  if (!HMAC(EVP_sha256(), key.empty() ? &kEmpty : key.data(), int_len(key.size()),
            data.empty() ? &kEmpty : data.data(), data.size(), out.data(), &len) ||
      len != out.size())
    std::abort();
  return out;
}

Bytes hkdf_sha256(std::span<const std::uint8_t> ikm, std::span<const std::uint8_t> salt,
                  std::span<const std::uint8_t> info, std::size_t length) {
  // RFC 5869 by hand over HMAC: OpenSSL's EVP_KDF rejects the empty IKM that Noise's Split uses.
  static constexpr Digest32 kZeroSalt{};
  const Digest32 prk =
      hmac_sha256(salt.empty() ? std::span<const std::uint8_t>(kZeroSalt) : salt, ikm);
  Bytes out;
  out.reserve(length);
  Bytes block;
  Digest32 t{};
  for (std::uint8_t i = 1; out.size() < length; ++i) {
    block.clear();
    if (i > 1) block.insert(block.end(), t.begin(), t.end());
    block.insert(block.end(), info.begin(), info.end());
    block.push_back(i);
    t = hmac_sha256(prk, block);
    const std::size_t take = std::min(t.size(), length - out.size());
    out.insert(out.end(), t.begin(), t.begin() + static_cast<std::ptrdiff_t>(take));
  }
  OPENSSL_cleanse(block.data(), block.size());
  return out;
}

Result<Bytes> aes_gcm_encrypt(const Key32& key, std::span<const std::uint8_t, kGcmIvSize> iv,
                              std::span<const std::uint8_t> plaintext,
                              std::span<const std::uint8_t> aad) {
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  Bytes out(plaintext.size() + kGcmTagSize);
  int len = 0, fin = 0;
  if (!ctx ||
      EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key.data(), iv.data()) != 1 ||
      (!aad.empty() &&
       EVP_EncryptUpdate(ctx.get(), nullptr, &len, aad.data(), int_len(aad.size())) != 1) ||
      (!plaintext.empty() && EVP_EncryptUpdate(ctx.get(), out.data(), &len, plaintext.data(),
                                               int_len(plaintext.size())) != 1) ||
      EVP_EncryptFinal_ex(ctx.get(), out.data() + len, &fin) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, int_len(kGcmTagSize),
                          out.data() + plaintext.size()) != 1)
    return {Errc::noise_crypto, "AES-GCM encryption failed"};
  return out;
}

Result<Bytes> aes_gcm_decrypt(const Key32& key, std::span<const std::uint8_t, kGcmIvSize> iv,
                              std::span<const std::uint8_t> ciphertext,
                              std::span<const std::uint8_t> aad) {
  if (ciphertext.size() < kGcmTagSize)
    return {Errc::noise_decrypt, "ciphertext shorter than the GCM tag"};
  const std::size_t n = ciphertext.size() - kGcmTagSize;
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  Bytes out(n);
  int len = 0, fin = 0;
  std::array<std::uint8_t, kGcmTagSize> tag{};
  std::copy(ciphertext.begin() + static_cast<std::ptrdiff_t>(n), ciphertext.end(), tag.begin());
  if (!ctx ||
      EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key.data(), iv.data()) != 1 ||
      (!aad.empty() &&
       EVP_DecryptUpdate(ctx.get(), nullptr, &len, aad.data(), int_len(aad.size())) != 1) ||
      (n != 0 &&
       EVP_DecryptUpdate(ctx.get(), out.data(), &len, ciphertext.data(), int_len(n)) != 1) ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, int_len(kGcmTagSize), tag.data()) != 1)
    return {Errc::noise_crypto, "AES-GCM decryption setup failed"};
  if (EVP_DecryptFinal_ex(ctx.get(), out.data() + (n != 0 ? len : 0), &fin) != 1) {
    OPENSSL_cleanse(out.data(), out.size());
    return {Errc::noise_decrypt, "AES-GCM authentication failed"};
  }
  return out;
}

Result<Bytes> pbkdf2_sha256(std::span<const std::uint8_t> password,
                            std::span<const std::uint8_t> salt, unsigned iterations,
                            std::size_t length) {
  Bytes out(length);
  if (iterations == 0 || length == 0 ||
      PKCS5_PBKDF2_HMAC(reinterpret_cast<const char*>(password.data()), int_len(password.size()),
                        salt.data(), int_len(salt.size()), static_cast<int>(iterations),
                        EVP_sha256(), int_len(length), out.data()) != 1)
    return {Errc::noise_crypto, "PBKDF2 failed"};
  return out;
}

Result<Bytes> aes_ctr(const Key32& key, std::span<const std::uint8_t, kCtrIvSize> iv,
                      std::span<const std::uint8_t> data) {
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  Bytes out(data.size());
  int len = 0, fin = 0;
  if (!ctx ||
      EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_ctr(), nullptr, key.data(), iv.data()) != 1 ||
      (!data.empty() &&
       EVP_EncryptUpdate(ctx.get(), out.data(), &len, data.data(), int_len(data.size())) != 1) ||
      EVP_EncryptFinal_ex(ctx.get(), out.data() + len, &fin) != 1)
    return {Errc::noise_crypto, "AES-CTR failed"};
  return out;
}

void random_bytes(std::span<std::uint8_t> out) {
  if (!out.empty() && RAND_bytes(out.data(), int_len(out.size())) != 1) std::abort();
}

bool equal_ct(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) noexcept {
  return a.size() == b.size() && (a.empty() || CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0);
}

}  // namespace wa::crypto
