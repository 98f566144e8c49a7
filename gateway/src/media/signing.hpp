#pragma once
// Signed, expiring media URLs: /media/<id>?exp=<unix>&sig=<hex>, where
// sig is HMAC-SHA256 over the id and the expiry under a key of its own, derived from the
// gateway's JWT key (auth/secrets.hpp) so that a media URL can never be turned into a token or the
// other way round. Whoever holds the URL may download the file until it expires; nobody can make
// one for another id or a later expiry.
//
// Thread safety: a UrlSigner is immutable after construction; every member is const and safe to
// call from any thread.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace gw::media {

/// Why a download's signature is refused (all of them answer 403).
enum class SignatureCheck {
  ok,
  missing,    ///< no exp or no sig
  malformed,  ///< exp is not a canonical decimal number, or sig not 64 lower-case hex characters
  forged,     ///< the signature does not match the id and exp
  expired,    ///< a genuine signature whose exp is in the past
};

class UrlSigner {
 public:
  /// `key`: the media URL key (derive_key); `public_url`: PUBLIC_URL, or "" for relative URLs.
  UrlSigner(std::string key, std::string_view public_url);

  /// The media URL key for a JWT key: HMAC-SHA256(jwt_key, "wa-gateway/media-url/v1").
  static std::string derive_key(std::string_view jwt_key);

  /// "/media/<id>?exp=<expires_unix>&sig=<hex>".
  [[nodiscard]] std::string path(std::string_view id, std::int64_t expires_unix) const;
  /// path() after PUBLIC_URL (without its trailing '/') when one is set, else path() alone.
  [[nodiscard]] std::string url(std::string_view id, std::int64_t expires_unix) const;

  /// Checks a download's exp and sig query parameters (as percent-decoded) for `id` at
  /// `now_unix`. The signature is compared in constant time, before the expiry.
  [[nodiscard]] SignatureCheck verify(std::string_view id, const std::optional<std::string>& exp,
                                      const std::optional<std::string>& sig,
                                      std::int64_t now_unix) const;

 private:
  [[nodiscard]] std::string signature(std::string_view id, std::int64_t expires_unix) const;

  std::string key_;
  std::string base_;  // PUBLIC_URL without trailing '/'
};

}  // namespace gw::media
