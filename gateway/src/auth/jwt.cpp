#include "auth/jwt.hpp"

#include <array>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <utility>

#include "auth/crypto.hpp"
#include "util/strings.hpp"

namespace gw::auth::jwt {
namespace {

namespace json = boost::json;

constexpr std::string_view kHeaderJson = R"({"alg":"HS256","typ":"JWT"})";
// Header and payload are flat objects; anything deeper is not ours.
constexpr std::size_t kMaxJsonDepth = 4;

std::optional<json::object> parse_object(std::string_view text) {
  json::parse_options opts;
  opts.max_depth = kMaxJsonDepth;
  json::error_code ec;
  json::value v = json::parse(text, ec, json::storage_ptr(), opts);
  if (ec || !v.is_object()) return std::nullopt;
  return std::move(v.as_object());
}

// True when `later` is more than `margin` seconds after `now`, without signed overflow.
bool too_far_ahead(std::int64_t later, std::int64_t now, std::int64_t margin) noexcept {
  if (later <= now) return false;
  const auto diff = static_cast<std::uint64_t>(later) - static_cast<std::uint64_t>(now);
  return diff > static_cast<std::uint64_t>(margin);
}

enum class Field { ok, absent, wrong };

Field get_string(const json::object& o, std::string_view key, std::string& out) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr) return Field::absent;
  if (!v->is_string() || v->as_string().empty()) return Field::wrong;
  out.assign(v->as_string().data(), v->as_string().size());
  return Field::ok;
}

Field get_int(const json::object& o, std::string_view key, std::int64_t& out) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr) return Field::absent;
  if (!v->is_int64()) return Field::wrong;  // fractions, strings, > INT64_MAX
  out = v->as_int64();
  return Field::ok;
}

std::string signature_for(std::string_view signing_input, std::string_view secret) {
  const Sha256Digest mac = hmac_sha256(secret, signing_input);
  return base64url_encode(mac);
}

}  // namespace

std::string_view to_string(Error e) noexcept {
  switch (e) {
    case Error::malformed:
      return "malformed";
    case Error::bad_header:
      return "bad_header";
    case Error::unsupported_alg:
      return "unsupported_alg";
    case Error::bad_signature:
      return "bad_signature";
    case Error::expired:
      return "expired";
    case Error::missing_claim:
      return "missing_claim";
    case Error::not_yet_valid:
      return "not_yet_valid";
  }
  return "unknown";
}

std::string new_jti() {
  std::array<std::uint8_t, 16> b{};
  random_fill(b);
  return hex_encode(b);
}

Claims make_claims(std::string sub, std::int64_t now_unix, std::int64_t ttl_seconds) {
  return Claims{std::move(sub), now_unix, now_unix + ttl_seconds, new_jti()};
}

std::string sign(const Claims& claims, std::string_view secret) {
  json::object payload;
  payload["sub"] = claims.sub;
  payload["iat"] = claims.iat;
  payload["exp"] = claims.exp;
  payload["jti"] = claims.jti;
  std::string token = base64url_encode(kHeaderJson);
  token += '.';
  token += base64url_encode(json::serialize(payload));
  const std::string sig = signature_for(token, secret);
  token += '.';
  token += sig;
  return token;
}

VerifyResult verify(std::string_view token, std::string_view secret, std::int64_t now_unix) {
  auto fail = [](Error e) { return VerifyResult{std::nullopt, e}; };

  if (token.empty() || token.size() > kMaxTokenLength) return fail(Error::malformed);
  const std::size_t dot1 = token.find('.');
  if (dot1 == std::string_view::npos) return fail(Error::malformed);
  const std::size_t dot2 = token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos) {
    return fail(Error::malformed);
  }
  const std::string_view header_b64 = token.substr(0, dot1);
  const std::string_view payload_b64 = token.substr(dot1 + 1, dot2 - dot1 - 1);
  const std::string_view sig_b64 = token.substr(dot2 + 1);
  if (header_b64.empty() || payload_b64.empty()) return fail(Error::malformed);

  // 1. Header: decides the algorithm before any signature work.
  const auto header_json = base64url_decode(header_b64);
  if (!header_json) return fail(Error::malformed);
  const auto header = parse_object(*header_json);
  if (!header) return fail(Error::bad_header);
  const json::value* alg = header->if_contains("alg");
  if (alg == nullptr || !alg->is_string()) return fail(Error::bad_header);
  if (alg->as_string() != "HS256") return fail(Error::unsupported_alg);
  if (const json::value* typ = header->if_contains("typ")) {
    if (!typ->is_string() || !util::iequals(typ->as_string(), "JWT")) {
      return fail(Error::bad_header);
    }
  }
  // RFC 7515 §4.1.11: extensions we do not understand must make the token invalid.
  if (header->contains("crit")) return fail(Error::bad_header);

  // 2. Signature over the ASCII "header.payload", compared in constant time.
  const auto sig = base64url_decode(sig_b64);
  if (!sig) return fail(Error::malformed);
  const Sha256Digest expected = hmac_sha256(secret, token.substr(0, dot2));
  if (!constant_time_equal(*sig, std::string_view(reinterpret_cast<const char*>(expected.data()),
                                                  expected.size()))) {
    return fail(Error::bad_signature);
  }

  // 3. Payload: only looked at once it is known to be ours.
  const auto payload_json = base64url_decode(payload_b64);
  if (!payload_json) return fail(Error::malformed);
  const auto payload = parse_object(*payload_json);
  if (!payload) return fail(Error::malformed);

  Claims c;
  for (const Field f : {get_string(*payload, "sub", c.sub), get_int(*payload, "iat", c.iat),
                        get_int(*payload, "exp", c.exp), get_string(*payload, "jti", c.jti)}) {
    if (f != Field::ok) return fail(Error::missing_claim);
  }

  if (now_unix >= c.exp) return fail(Error::expired);
  if (too_far_ahead(c.iat, now_unix, kAllowedSkewSeconds)) return fail(Error::not_yet_valid);
  if (const json::value* nbf = payload->if_contains("nbf")) {
    if (!nbf->is_int64()) return fail(Error::malformed);
    if (too_far_ahead(nbf->as_int64(), now_unix, kAllowedSkewSeconds)) {
      return fail(Error::not_yet_valid);
    }
  }
  return VerifyResult{std::move(c), Error::malformed};
}

}  // namespace gw::auth::jwt
