// libsignal crypto callbacks over OpenSSL 3 EVP (no deprecated APIs). deps-notes.md: the SHA-512
// final callback must leave its context ready for the next digest, so it re-initialises it.
#include "signal/crypto_provider.hpp"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include <climits>
#include <memory>

namespace wa::signal::detail {

namespace {

struct MacFree {
  void operator()(EVP_MAC* m) const noexcept { EVP_MAC_free(m); }
};
struct MacCtxFree {
  void operator()(EVP_MAC_CTX* c) const noexcept { EVP_MAC_CTX_free(c); }
};
struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX* c) const noexcept { EVP_CIPHER_CTX_free(c); }
};

EVP_MAC* hmac_algorithm() {
  // Fetched once; EVP_MAC objects are immutable and safe to share between threads.
  static const std::unique_ptr<EVP_MAC, MacFree> mac(
      EVP_MAC_fetch(nullptr, OSSL_MAC_NAME_HMAC, nullptr));
  return mac.get();
}

int random_bytes(uint8_t* data, size_t len, void*) {
  while (len > 0) {
    const int chunk = len > static_cast<size_t>(INT_MAX) ? INT_MAX : static_cast<int>(len);
    if (RAND_bytes(data, chunk) != 1) return kCryptoFailure;
    data += chunk;
    len -= static_cast<size_t>(chunk);
  }
  return SG_SUCCESS;
}

int hmac_init(void** context, const uint8_t* key, size_t key_len, void*) {
  EVP_MAC* mac = hmac_algorithm();
  if (!mac) return kCryptoFailure;
  std::unique_ptr<EVP_MAC_CTX, MacCtxFree> ctx(EVP_MAC_CTX_new(mac));
  if (!ctx) return SG_ERR_NOMEM;
  char digest[] = "SHA256";
  const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                               OSSL_PARAM_construct_end()};
  static const uint8_t kEmptyKey = 0;  // a null key would mean "keep the previous key"
  if (EVP_MAC_init(ctx.get(), key ? key : &kEmptyKey, key_len, params) != 1) return kCryptoFailure;
  *context = ctx.release();
  return SG_SUCCESS;
}

int hmac_update(void* context, const uint8_t* data, size_t len, void*) {
  return EVP_MAC_update(static_cast<EVP_MAC_CTX*>(context), data, len) == 1 ? SG_SUCCESS
                                                                            : kCryptoFailure;
}

int hmac_final(void* context, signal_buffer** output, void*) {
  uint8_t md[EVP_MAX_MD_SIZE];
  size_t len = 0;
  if (EVP_MAC_final(static_cast<EVP_MAC_CTX*>(context), md, &len, sizeof md) != 1)
    return kCryptoFailure;
  signal_buffer* out = signal_buffer_create(md, len);
  if (!out) return SG_ERR_NOMEM;
  *output = out;
  return SG_SUCCESS;
}

void hmac_cleanup(void* context, void*) {
  EVP_MAC_CTX_free(static_cast<EVP_MAC_CTX*>(context));
}

int sha512_init(void** context, void*) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  if (!ctx) return SG_ERR_NOMEM;
  if (EVP_DigestInit_ex(ctx, EVP_sha512(), nullptr) != 1) {
    EVP_MD_CTX_free(ctx);
    return kCryptoFailure;
  }
  *context = ctx;
  return SG_SUCCESS;
}

int sha512_update(void* context, const uint8_t* data, size_t len, void*) {
  return EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(context), data, len) == 1 ? SG_SUCCESS
                                                                             : kCryptoFailure;
}

int sha512_final(void* context, signal_buffer** output, void*) {
  auto* ctx = static_cast<EVP_MD_CTX*>(context);
  uint8_t md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(ctx, md, &len) != 1) return kCryptoFailure;
  // libsignal reuses the context for the next digest (XEdDSA hashes twice): re-initialise it.
  if (EVP_DigestInit_ex(ctx, EVP_sha512(), nullptr) != 1) return kCryptoFailure;
  signal_buffer* out = signal_buffer_create(md, len);
  if (!out) return SG_ERR_NOMEM;
  *output = out;
  return SG_SUCCESS;
}

void sha512_cleanup(void* context, void*) {
  EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(context));
}

const EVP_CIPHER* aes_cipher(int mode, size_t key_len) {
  if (mode == SG_CIPHER_AES_CBC_PKCS5) {
    switch (key_len) {
      case 16:
        return EVP_aes_128_cbc();
      case 24:
        return EVP_aes_192_cbc();
      case 32:
        return EVP_aes_256_cbc();
      default:
        return nullptr;
    }
  }
  if (mode == SG_CIPHER_AES_CTR_NOPADDING) {
    switch (key_len) {
      case 16:
        return EVP_aes_128_ctr();
      case 24:
        return EVP_aes_192_ctr();
      case 32:
        return EVP_aes_256_ctr();
      default:
        return nullptr;
    }
  }
  return nullptr;
}

int aes(bool encrypt, signal_buffer** output, int mode, const uint8_t* key, size_t key_len,
        const uint8_t* iv, size_t iv_len, const uint8_t* in, size_t in_len) {
  const EVP_CIPHER* cipher = aes_cipher(mode, key_len);
  if (!cipher || iv_len != 16 || in_len > static_cast<size_t>(INT_MAX) - 32) return SG_ERR_INVAL;
  std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree> ctx(EVP_CIPHER_CTX_new());
  if (!ctx) return SG_ERR_NOMEM;
  if (EVP_CipherInit_ex(ctx.get(), cipher, nullptr, key, iv, encrypt ? 1 : 0) != 1)
    return kCryptoFailure;
  if (EVP_CIPHER_CTX_set_padding(ctx.get(), mode == SG_CIPHER_AES_CBC_PKCS5 ? 1 : 0) != 1)
    return kCryptoFailure;
  // Room for one padding block; a signal_buffer of the final length is made afterwards.
  signal_buffer* tmp = signal_buffer_alloc(in_len + 16);
  if (!tmp) return SG_ERR_NOMEM;
  uint8_t* out = signal_buffer_data(tmp);
  int n1 = 0, n2 = 0;
  static const uint8_t kNothing = 0;
  const bool ok =
      EVP_CipherUpdate(ctx.get(), out, &n1, in ? in : &kNothing, static_cast<int>(in_len)) == 1 &&
      EVP_CipherFinal_ex(ctx.get(), out + n1, &n2) == 1;
  if (!ok) {
    signal_buffer_bzero_free(tmp);
    return kCryptoFailure;  // e.g. bad CBC padding on decrypt
  }
  signal_buffer* result = signal_buffer_create(out, static_cast<size_t>(n1 + n2));
  signal_buffer_bzero_free(tmp);
  if (!result) return SG_ERR_NOMEM;
  *output = result;
  return SG_SUCCESS;
}

int encrypt_cb(signal_buffer** output, int cipher, const uint8_t* key, size_t key_len,
               const uint8_t* iv, size_t iv_len, const uint8_t* plaintext, size_t plaintext_len,
               void*) {
  return aes(true, output, cipher, key, key_len, iv, iv_len, plaintext, plaintext_len);
}

int decrypt_cb(signal_buffer** output, int cipher, const uint8_t* key, size_t key_len,
               const uint8_t* iv, size_t iv_len, const uint8_t* ciphertext, size_t ciphertext_len,
               void*) {
  return aes(false, output, cipher, key, key_len, iv, iv_len, ciphertext, ciphertext_len);
}

const signal_crypto_provider kProvider = {
    random_bytes,  hmac_init,    hmac_update,    hmac_final, hmac_cleanup, sha512_init,
    sha512_update, sha512_final, sha512_cleanup, encrypt_cb, decrypt_cb,   nullptr,
};

}  // namespace

const signal_crypto_provider& openssl_crypto_provider() noexcept {
  return kProvider;
}

}  // namespace wa::signal::detail
