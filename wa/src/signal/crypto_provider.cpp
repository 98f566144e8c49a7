// libsignal crypto callbacks over OpenSSL 3 EVP (no deprecated APIs). deps-notes.md: the SHA-512
// final callback must leave its context ready for the next digest, so it re-initialises it.
#include "signal/crypto_provider.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <array>
#include <climits>
#include <cstring>
#include <memory>
#include <vector>

namespace wa::signal::detail {

namespace {

struct MdFree {
  void operator()(EVP_MD* m) const noexcept { EVP_MD_free(m); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const noexcept { EVP_MD_CTX_free(c); }
};
struct CipherFree {
  void operator()(EVP_CIPHER* c) const noexcept { EVP_CIPHER_free(c); }
};
struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX* c) const noexcept { EVP_CIPHER_CTX_free(c); }
};

// Algorithms are fetched once: OpenSSL 3 otherwise looks them up in its provider registry on
// every init (implicitly for EVP_sha512()/EVP_aes_*(), by name for an HMAC digest parameter),
// which cost more than the hashing itself on the per-message path (docs/BENCHMARKS.md,
// Messaging). Fetched EVP_MD and EVP_CIPHER objects are immutable and shared between threads.
const EVP_MD* sha256_algorithm() {
  static const std::unique_ptr<EVP_MD, MdFree> md(EVP_MD_fetch(nullptr, "SHA256", nullptr));
  return md.get();
}

const EVP_MD* sha512_algorithm() {
  static const std::unique_ptr<EVP_MD, MdFree> md(EVP_MD_fetch(nullptr, "SHA512", nullptr));
  return md.get();
}

// HMAC-SHA256 (RFC 2104) over a SHA-256 digest context: H((K ^ opad) || H((K ^ ipad) || m)).
// libsignal runs about seven HMACs per message, each with a new key; OpenSSL's EVP_MAC layer
// costs twice the two digests it wraps, so the construction is spelled out here. `md` is bound
// to SHA-256 once and re-initialised per digest; `opad` holds K ^ opad between init and final.
constexpr std::size_t kSha256Block = 64;
constexpr std::size_t kSha256Size = 32;

struct Hmac {
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> md;
  std::array<uint8_t, kSha256Block> opad{};
};

// Idle HMAC contexts, per thread: a digest context is allocated once and then reused. Idle ones
// hold no key material (the final digest wipes the SHA-256 state, cleanup wipes `opad`).
class HmacPool {
 public:
  HmacPool() = default;
  HmacPool(const HmacPool&) = delete;
  HmacPool& operator=(const HmacPool&) = delete;
  ~HmacPool() {
    for (auto* h : idle_) delete h;
  }

  Hmac* take() {
    if (!idle_.empty()) {
      Hmac* h = idle_.back();
      idle_.pop_back();
      return h;
    }
    const EVP_MD* md = sha256_algorithm();
    if (!md) return nullptr;
    auto h = std::make_unique<Hmac>();
    h->md.reset(EVP_MD_CTX_new());
    if (!h->md || EVP_DigestInit_ex2(h->md.get(), md, nullptr) != 1) return nullptr;
    return h.release();
  }

  void give_back(Hmac* h) {
    OPENSSL_cleanse(h->opad.data(), h->opad.size());
    if (idle_.size() < kMaxIdle) {
      idle_.push_back(h);
      return;
    }
    delete h;
  }

 private:
  static constexpr std::size_t kMaxIdle = 8;
  std::vector<Hmac*> idle_;
};

HmacPool& hmac_pool() {
  thread_local HmacPool pool;
  return pool;
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
  Hmac* h = hmac_pool().take();
  if (!h) return SG_ERR_NOMEM;
  EVP_MD_CTX* md = h->md.get();
  // A key longer than the block is replaced by its digest; a shorter one is zero-padded.
  std::array<uint8_t, kSha256Block> k{};
  bool ok = true;
  if (key_len > kSha256Block) {
    unsigned int len = 0;
    ok = EVP_DigestInit_ex2(md, nullptr, nullptr) == 1 && EVP_DigestUpdate(md, key, key_len) == 1 &&
         EVP_DigestFinal_ex(md, k.data(), &len) == 1;
  } else if (key_len > 0) {
    std::memcpy(k.data(), key, key_len);
  }
  std::array<uint8_t, kSha256Block> ipad{};
  for (std::size_t i = 0; i < kSha256Block; ++i) {
    ipad[i] = static_cast<uint8_t>(k[i] ^ 0x36);
    h->opad[i] = static_cast<uint8_t>(k[i] ^ 0x5c);
  }
  ok = ok && EVP_DigestInit_ex2(md, nullptr, nullptr) == 1 &&
       EVP_DigestUpdate(md, ipad.data(), ipad.size()) == 1;
  OPENSSL_cleanse(k.data(), k.size());
  OPENSSL_cleanse(ipad.data(), ipad.size());
  if (!ok) {
    delete h;  // not returned to the pool: its state is unknown
    return kCryptoFailure;
  }
  *context = h;
  return SG_SUCCESS;
}

int hmac_update(void* context, const uint8_t* data, size_t len, void*) {
  return EVP_DigestUpdate(static_cast<Hmac*>(context)->md.get(), data, len) == 1 ? SG_SUCCESS
                                                                                 : kCryptoFailure;
}

int hmac_final(void* context, signal_buffer** output, void*) {
  auto* h = static_cast<Hmac*>(context);
  EVP_MD_CTX* md = h->md.get();
  uint8_t inner[kSha256Size];
  uint8_t mac[kSha256Size];
  unsigned int len = 0;
  const bool ok = EVP_DigestFinal_ex(md, inner, &len) == 1 && len == kSha256Size &&
                  EVP_DigestInit_ex2(md, nullptr, nullptr) == 1 &&
                  EVP_DigestUpdate(md, h->opad.data(), h->opad.size()) == 1 &&
                  EVP_DigestUpdate(md, inner, sizeof inner) == 1 &&
                  EVP_DigestFinal_ex(md, mac, &len) == 1 && len == kSha256Size;
  OPENSSL_cleanse(inner, sizeof inner);
  if (!ok) return kCryptoFailure;
  signal_buffer* out = signal_buffer_create(mac, sizeof mac);
  if (!out) return SG_ERR_NOMEM;
  *output = out;
  return SG_SUCCESS;
}

void hmac_cleanup(void* context, void*) {
  hmac_pool().give_back(static_cast<Hmac*>(context));
}

int sha512_init(void** context, void*) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  if (!ctx) return SG_ERR_NOMEM;
  if (EVP_DigestInit_ex(ctx, sha512_algorithm(), nullptr) != 1) {
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
  if (EVP_DigestInit_ex(ctx, sha512_algorithm(), nullptr) != 1) return kCryptoFailure;
  signal_buffer* out = signal_buffer_create(md, len);
  if (!out) return SG_ERR_NOMEM;
  *output = out;
  return SG_SUCCESS;
}

void sha512_cleanup(void* context, void*) {
  EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(context));
}

// The six AES variants libsignal may ask for: CBC/PKCS#7 and CTR, each with 128/192/256-bit keys.
constexpr int kAesVariants = 6;

int aes_variant(int mode, size_t key_len) {
  int base = 0;
  if (mode == SG_CIPHER_AES_CBC_PKCS5)
    base = 0;
  else if (mode == SG_CIPHER_AES_CTR_NOPADDING)
    base = 3;
  else
    return -1;
  switch (key_len) {
    case 16:
      return base;
    case 24:
      return base + 1;
    case 32:
      return base + 2;
    default:
      return -1;
  }
}

const EVP_CIPHER* aes_cipher(int variant) {
  using Fetched = std::unique_ptr<EVP_CIPHER, CipherFree>;
  static const std::array<Fetched, kAesVariants> ciphers = [] {
    constexpr std::array<const char*, kAesVariants> names = {
        "AES-128-CBC", "AES-192-CBC", "AES-256-CBC", "AES-128-CTR", "AES-192-CTR", "AES-256-CTR"};
    std::array<Fetched, kAesVariants> out;
    for (int i = 0; i < kAesVariants; ++i)
      out[i].reset(EVP_CIPHER_fetch(nullptr, names[i], nullptr));
    return out;
  }();
  return ciphers[static_cast<std::size_t>(variant)].get();
}

// Per thread, one cipher context per variant, created on first use and then only re-keyed.
// `scratch` receives CBC decryptions, whose length is known only after the padding check.
struct AesCache {
  std::array<std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree>, kAesVariants> ctx;
  std::vector<uint8_t> scratch;
};

AesCache& aes_cache() {
  thread_local AesCache cache;
  return cache;
}

int aes(bool encrypt, signal_buffer** output, int mode, const uint8_t* key, size_t key_len,
        const uint8_t* iv, size_t iv_len, const uint8_t* in, size_t in_len) {
  const int variant = aes_variant(mode, key_len);
  if (variant < 0 || iv_len != 16 || in_len > static_cast<size_t>(INT_MAX) - 32)
    return SG_ERR_INVAL;
  const bool cbc = mode == SG_CIPHER_AES_CBC_PKCS5;
  auto& cache = aes_cache();
  auto& ctx = cache.ctx[static_cast<std::size_t>(variant)];
  if (!ctx) {
    const EVP_CIPHER* cipher = aes_cipher(variant);
    if (!cipher) return kCryptoFailure;
    std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree> fresh(EVP_CIPHER_CTX_new());
    if (!fresh) return SG_ERR_NOMEM;
    if (EVP_CipherInit_ex2(fresh.get(), cipher, key, iv, encrypt ? 1 : 0, nullptr) != 1 ||
        EVP_CIPHER_CTX_set_padding(fresh.get(), cbc ? 1 : 0) != 1)
      return kCryptoFailure;
    ctx = std::move(fresh);
  } else if (EVP_CipherInit_ex2(ctx.get(), nullptr, key, iv, encrypt ? 1 : 0, nullptr) != 1) {
    ctx.reset();  // state unknown: the next call starts from a new context
    return kCryptoFailure;
  }
  // Encryption lengths are known up front (CBC pads to the next whole block, CTR keeps the
  // length), so the result is written straight into its signal_buffer; CBC decryption goes
  // through the scratch buffer, wiped afterwards.
  const bool direct = encrypt || !cbc;
  const size_t room = encrypt && cbc ? (in_len / 16 + 1) * 16 : in_len + (cbc ? 16 : 0);
  signal_buffer* result = nullptr;
  uint8_t* out = nullptr;
  if (direct) {
    result = signal_buffer_alloc(room);
    if (!result) return SG_ERR_NOMEM;
    out = signal_buffer_data(result);
  } else {
    if (cache.scratch.size() < room) cache.scratch.resize(room);
    out = cache.scratch.data();
  }
  int n1 = 0, n2 = 0;
  static const uint8_t kNothing = 0;
  const bool ok =
      EVP_CipherUpdate(ctx.get(), out, &n1, in ? in : &kNothing, static_cast<int>(in_len)) == 1 &&
      EVP_CipherFinal_ex(ctx.get(), out + n1, &n2) == 1;
  const auto n = static_cast<size_t>(n1) + static_cast<size_t>(n2);
  if (direct) {
    if (!ok || n != room) {
      signal_buffer_bzero_free(result);
      return kCryptoFailure;
    }
  } else {
    if (ok) result = signal_buffer_create(out, n);
    OPENSSL_cleanse(out, room);
    if (!ok) return kCryptoFailure;  // e.g. bad CBC padding on decrypt
    if (!result) return SG_ERR_NOMEM;
  }
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
