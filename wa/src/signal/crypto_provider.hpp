#pragma once
// The crypto provider libsignal-protocol-c needs, over OpenSSL 3 (internal): HMAC-SHA256,
// SHA-512, AES-CBC/PKCS#7 and AES-CTR (128/192/256-bit keys) and OpenSSL's CSPRNG.
#include <signal/signal_protocol.h>

namespace wa::signal::detail {

/// Returned by the provider's callbacks when OpenSSL fails (below SG_ERR_MINIMUM so that it is
/// told apart from the library's own codes).
inline constexpr int kCryptoFailure = SG_ERR_MINIMUM - 2;

/// The provider (a static table; user_data unused). Thread-safe: algorithms are fetched once and
/// shared, contexts are pooled per thread.
const signal_crypto_provider& openssl_crypto_provider() noexcept;

}  // namespace wa::signal::detail
