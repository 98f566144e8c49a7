#include "signal/context.hpp"

#include <cstring>
#include <string>

#include "signal/crypto_provider.hpp"

namespace wa::signal::detail {

namespace {
constexpr std::uint8_t kDjbType = 0x05;  // Curve25519 key type byte (§2.4 eKeytype)
}

SignalResult<Context> make_context() {
  signal_context* raw = nullptr;
  if (int rc = signal_context_create(&raw, nullptr); rc < 0)
    return error_from(rc, "signal_context_create");
  Context ctx(raw);
  if (int rc = signal_context_set_crypto_provider(raw, &openssl_crypto_provider()); rc < 0) {
    return error_from(rc, "signal_context_set_crypto_provider");
  }
  return ctx;
}

SignalError error_from(int rc, const char* what) {
  SignalErrc code = SignalErrc::unknown;
  switch (rc) {
    case SG_ERR_NOMEM:
      code = SignalErrc::no_memory;
      break;
    case SG_ERR_INVAL:
      code = SignalErrc::invalid_argument;
      break;
    case SG_ERR_DUPLICATE_MESSAGE:
      code = SignalErrc::duplicate_message;
      break;
    case SG_ERR_INVALID_KEY:
      code = SignalErrc::invalid_key;
      break;
    case SG_ERR_INVALID_KEY_ID:
      code = SignalErrc::invalid_key_id;
      break;
    case SG_ERR_INVALID_MAC:
      code = SignalErrc::invalid_mac;
      break;
    case SG_ERR_INVALID_MESSAGE:
    case SG_ERR_INVALID_PROTO_BUF:
      code = SignalErrc::invalid_message;
      break;
    case SG_ERR_INVALID_VERSION:
      code = SignalErrc::invalid_version;
      break;
    case SG_ERR_LEGACY_MESSAGE:
      code = SignalErrc::legacy_message;
      break;
    case SG_ERR_NO_SESSION:
      code = SignalErrc::no_session;
      break;
    case SG_ERR_STALE_KEY_EXCHANGE:
      code = SignalErrc::stale_key_exchange;
      break;
    case SG_ERR_UNTRUSTED_IDENTITY:
      code = SignalErrc::untrusted_identity;
      break;
    case SG_ERR_VRF_SIG_VERIF_FAILED:
      code = SignalErrc::invalid_key;
      break;
    case kStoreFailure:
      code = SignalErrc::store;
      break;
    case kCryptoFailure:
      code = SignalErrc::crypto;
      break;
    default:
      break;
  }
  return {code, std::string(what) + " (" + std::to_string(rc) + ")"};
}

SignalResult<Ref<ec_public_key>> decode_public(const store::Key32& key, signal_context* ctx) {
  std::uint8_t buf[33];
  buf[0] = kDjbType;
  std::memcpy(buf + 1, key.data(), key.size());
  Ref<ec_public_key> out;
  if (int rc = curve_decode_point(out.out(), buf, sizeof buf, ctx); rc < 0)
    return error_from(rc, "curve_decode_point");
  return out;
}

SignalResult<Ref<ec_private_key>> decode_private(const store::Key32& key, signal_context* ctx) {
  Ref<ec_private_key> out;
  if (int rc = curve_decode_private_point(out.out(), key.data(), key.size(), ctx); rc < 0) {
    return error_from(rc, "curve_decode_private_point");
  }
  return out;
}

SignalResult<Ref<ec_key_pair>> decode_key_pair(const store::KeyPair& kp, signal_context* ctx) {
  auto pub = decode_public(kp.pub, ctx);
  if (!pub) return std::move(pub).error();
  auto priv = decode_private(kp.priv, ctx);
  if (!priv) return std::move(priv).error();
  Ref<ec_key_pair> out;
  if (int rc = ec_key_pair_create(out.out(), pub->get(), priv->get()); rc < 0)
    return error_from(rc, "ec_key_pair_create");
  return out;
}

SignalResult<store::Key32> encode_public(const ec_public_key* key) {
  signal_buffer* raw = nullptr;
  if (int rc = ec_public_key_serialize(&raw, key); rc < 0)
    return error_from(rc, "ec_public_key_serialize");
  Buffer buf(raw);
  store::Key32 out{};
  if (!raw_public_from_serialized(view(buf.get()), out))
    return {SignalErrc::invalid_key, "public key is not 0x05 + 32 bytes"};
  return out;
}

SignalResult<store::Key32> encode_private(const ec_private_key* key) {
  signal_buffer* raw = nullptr;
  if (int rc = ec_private_key_serialize(&raw, key); rc < 0)
    return error_from(rc, "ec_private_key_serialize");
  Buffer buf(raw);
  auto v = view(buf.get());
  if (v.size() != 32) return {SignalErrc::invalid_key, "private key is not 32 bytes"};
  store::Key32 out{};
  std::memcpy(out.data(), v.data(), out.size());
  return out;
}

bool raw_public_from_serialized(std::span<const std::uint8_t> serialized, store::Key32& out) {
  if (serialized.size() != 33 || serialized[0] != kDjbType) return false;
  std::memcpy(out.data(), serialized.data() + 1, out.size());
  return true;
}

}  // namespace wa::signal::detail
