#include "wa/crypto/curve25519.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <signal/curve.h>
#include <signal/signal_protocol.h>

#include <algorithm>
#include <cstdlib>
#include <memory>

#include "wa/crypto/primitives.hpp"

namespace wa::crypto {

namespace {

struct PkeyFree {
  void operator()(EVP_PKEY* p) const noexcept { EVP_PKEY_free(p); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;
struct PkeyCtxFree {
  void operator()(EVP_PKEY_CTX* p) const noexcept { EVP_PKEY_CTX_free(p); }
};

// libsignal-protocol-c needs a global context only for the 64 random bytes of a signature; the
// other callbacks are never reached by the curve functions, so they fail loudly if they ever are.
int sg_random(uint8_t* data, size_t len, void*) {
  return RAND_bytes(data, static_cast<int>(len)) == 1 ? 0 : SG_ERR_UNKNOWN;
}
int sg_hmac_init(void**, const uint8_t*, size_t, void*) {
  return SG_ERR_UNKNOWN;
}
int sg_hmac_update(void*, const uint8_t*, size_t, void*) {
  return SG_ERR_UNKNOWN;
}
int sg_hmac_final(void*, signal_buffer**, void*) {
  return SG_ERR_UNKNOWN;
}
void sg_hmac_cleanup(void*, void*) {}
int sg_sha512_init(void**, void*) {
  return SG_ERR_UNKNOWN;
}
int sg_sha512_update(void*, const uint8_t*, size_t, void*) {
  return SG_ERR_UNKNOWN;
}
int sg_sha512_final(void*, signal_buffer**, void*) {
  return SG_ERR_UNKNOWN;
}
void sg_sha512_cleanup(void*, void*) {}
int sg_encrypt(signal_buffer**, int, const uint8_t*, size_t, const uint8_t*, size_t, const uint8_t*,
               size_t, void*) {
  return SG_ERR_UNKNOWN;
}

signal_context* signal_ctx() {
  static signal_context* const ctx = [] {
    signal_context* c = nullptr;
    signal_crypto_provider p{};
    p.random_func = sg_random;
    p.hmac_sha256_init_func = sg_hmac_init;
    p.hmac_sha256_update_func = sg_hmac_update;
    p.hmac_sha256_final_func = sg_hmac_final;
    p.hmac_sha256_cleanup_func = sg_hmac_cleanup;
    p.sha512_digest_init_func = sg_sha512_init;
    p.sha512_digest_update_func = sg_sha512_update;
    p.sha512_digest_final_func = sg_sha512_final;
    p.sha512_digest_cleanup_func = sg_sha512_cleanup;
    p.encrypt_func = sg_encrypt;
    p.decrypt_func = sg_encrypt;
    if (signal_context_create(&c, nullptr) != 0 || signal_context_set_crypto_provider(c, &p) != 0)
      std::abort();
    return c;  // lives for the process
  }();
  return ctx;
}

template <class T>
struct SignalUnref {
  void operator()(T* p) const noexcept { SIGNAL_UNREF(p); }
};

PrivateKey clamp(PrivateKey k) {
  k[0] &= 248;
  k[31] &= 127;
  k[31] |= 64;
  return k;
}

}  // namespace

KeyPair key_pair_from_private(const PrivateKey& priv) {
  KeyPair kp;
  kp.priv = clamp(priv);
  Pkey key(EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, nullptr, kp.priv.data(), kp.priv.size()));
  std::size_t len = kp.pub.size();
  if (!key || EVP_PKEY_get_raw_public_key(key.get(), kp.pub.data(), &len) != 1 ||
      len != kp.pub.size())
    std::abort();
  return kp;
}

KeyPair generate_key_pair() {
  PrivateKey priv{};
  random_bytes(priv);
  KeyPair kp = key_pair_from_private(priv);
  OPENSSL_cleanse(priv.data(), priv.size());
  return kp;
}

Result<std::array<std::uint8_t, 32>> x25519(const PrivateKey& priv, const PublicKey& peer) {
  Pkey own(EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, nullptr, priv.data(), priv.size()));
  Pkey other(EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, nullptr, peer.data(), peer.size()));
  if (!own || !other) return {Errc::noise_crypto, "X25519 key import failed"};
  std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree> ctx(EVP_PKEY_CTX_new(own.get(), nullptr));
  std::array<std::uint8_t, 32> out{};
  std::size_t len = out.size();
  // OpenSSL refuses an all-zero result (low-order peer point), as Noise permits.
  if (!ctx || EVP_PKEY_derive_init(ctx.get()) != 1 ||
      EVP_PKEY_derive_set_peer(ctx.get(), other.get()) != 1 ||
      EVP_PKEY_derive(ctx.get(), out.data(), &len) != 1 || len != out.size())
    return {Errc::noise_crypto, "X25519 agreement failed (low-order peer key?)"};
  return out;
}

Result<Signature> xeddsa_sign(const PrivateKey& priv, std::span<const std::uint8_t> message) {
  ec_private_key* raw = nullptr;
  if (curve_decode_private_point(&raw, priv.data(), priv.size(), signal_ctx()) != 0)
    return {Errc::noise_crypto, "XEdDSA: private key import failed"};
  std::unique_ptr<ec_private_key, SignalUnref<ec_private_key>> key(raw);
  signal_buffer* sig = nullptr;
  static constexpr std::uint8_t kEmpty = 0;
  if (curve_calculate_signature(signal_ctx(), &sig, key.get(),
                                message.empty() ? &kEmpty : message.data(), message.size()) != 0 ||
      !sig)
    return {Errc::noise_crypto, "XEdDSA signing failed"};
  Signature out{};
  const bool ok = signal_buffer_len(sig) == out.size();
  if (ok) std::copy_n(signal_buffer_data(sig), out.size(), out.begin());
  signal_buffer_free(sig);
  if (!ok) return {Errc::noise_crypto, "XEdDSA signature has the wrong length"};
  return out;
}

bool xeddsa_verify(const PublicKey& pub, std::span<const std::uint8_t> message,
                   std::span<const std::uint8_t> signature) {
  if (signature.size() != 64) return false;
  std::array<std::uint8_t, 33> point{};
  point[0] = 0x05;  // DJB key type, as libsignal expects
  std::copy(pub.begin(), pub.end(), point.begin() + 1);
  ec_public_key* raw = nullptr;
  if (curve_decode_point(&raw, point.data(), point.size(), signal_ctx()) != 0) return false;
  std::unique_ptr<ec_public_key, SignalUnref<ec_public_key>> key(raw);
  static constexpr std::uint8_t kEmpty = 0;
  return curve_verify_signature(key.get(), message.empty() ? &kEmpty : message.data(),
                                message.size(), signature.data(), signature.size()) == 1;
}

}  // namespace wa::crypto
