#include "media/signing.hpp"

#include "auth/crypto.hpp"

namespace gw::media {

namespace {

// Up to 18 digits: a Unix time that large is far beyond any expiry and still fits int64.
constexpr std::size_t kMaxExpDigits = 18;
constexpr std::size_t kSigHexChars = 64;

std::optional<std::int64_t> parse_exp(std::string_view s) {
  if (s.empty() || s.size() > kMaxExpDigits) return std::nullopt;
  if (s.size() > 1 && s.front() == '0') return std::nullopt;  // one spelling per value
  std::int64_t n = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + (c - '0');
  }
  return n;
}

bool is_lower_hex(std::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace

UrlSigner::UrlSigner(std::string key, std::string_view public_url) : key_(std::move(key)) {
  while (!public_url.empty() && public_url.back() == '/') public_url.remove_suffix(1);
  base_ = std::string(public_url);
}

std::string UrlSigner::derive_key(std::string_view jwt_key) {
  return auth::hex_encode(auth::hmac_sha256(jwt_key, "wa-gateway/media-url/v1"));
}

std::string UrlSigner::signature(std::string_view id, std::int64_t expires_unix) const {
  // A separator that neither part can contain keeps (id, exp) pairs from colliding.
  std::string data(id);
  data += '\n';
  data += std::to_string(expires_unix);
  return auth::hex_encode(auth::hmac_sha256(key_, data));
}

std::string UrlSigner::path(std::string_view id, std::int64_t expires_unix) const {
  return "/media/" + std::string(id) + "?exp=" + std::to_string(expires_unix) +
         "&sig=" + signature(id, expires_unix);
}

std::string UrlSigner::url(std::string_view id, std::int64_t expires_unix) const {
  return base_ + path(id, expires_unix);
}

SignatureCheck UrlSigner::verify(std::string_view id, const std::optional<std::string>& exp,
                                 const std::optional<std::string>& sig,
                                 std::int64_t now_unix) const {
  if (!exp || !sig || exp->empty() || sig->empty()) return SignatureCheck::missing;
  const auto expires = parse_exp(*exp);
  if (!expires || sig->size() != kSigHexChars || !is_lower_hex(*sig)) {
    return SignatureCheck::malformed;
  }
  if (!auth::constant_time_equal(signature(id, *expires), *sig)) return SignatureCheck::forged;
  if (*expires < now_unix) return SignatureCheck::expired;
  return SignatureCheck::ok;
}

}  // namespace gw::media
