#include "wa/client/pair_code.hpp"

#include <algorithm>

namespace wa::client {

namespace {
std::span<const std::uint8_t> bytes_of(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}
// The code without the dash, upper-case: what both sides feed to PBKDF2.
std::string plain_code(std::string_view code) {
  std::string out;
  for (char c : code) {
    if (c == '-') continue;
    out.push_back(c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c);
  }
  return out;
}
Result<crypto::Key32> code_key(std::string_view code, std::span<const std::uint8_t> salt) {
  const auto plain = plain_code(code);
  auto k = crypto::pbkdf2_sha256(bytes_of(plain), salt, kPairCodeIterations, 32);
  if (!k) return k.error();
  crypto::Key32 key{};
  std::copy(k->begin(), k->end(), key.begin());
  return key;
}
}  // namespace

std::string pair_code_from_bytes(std::span<const std::uint8_t, 5> b) {
  std::uint64_t v = 0;
  for (auto x : b) v = v << 8 | x;
  std::string out(8, '?');
  for (int i = 7; i >= 0; --i) {
    out[static_cast<std::size_t>(i)] = kPairCodeAlphabet[v & 31];
    v >>= 5;
  }
  return out;
}

std::string generate_pair_code() {
  std::array<std::uint8_t, 5> b{};
  crypto::random_bytes(b);
  return pair_code_from_bytes(b);
}

std::string format_pair_code(std::string_view code) {
  auto p = plain_code(code);
  if (p.size() != 8) return p;
  return p.substr(0, 4) + "-" + p.substr(4);
}

Result<crypto::Bytes> wrap_ephemeral_key(std::string_view code, const crypto::PublicKey& pub,
                                         std::span<const std::uint8_t, 32> salt,
                                         std::span<const std::uint8_t, 16> iv) {
  auto key = code_key(code, salt);
  if (!key) return key.error();
  auto ct = crypto::aes_ctr(*key, iv, pub);
  if (!ct) return ct.error();
  crypto::Bytes out(salt.begin(), salt.end());
  out.insert(out.end(), iv.begin(), iv.end());
  out.insert(out.end(), ct->begin(), ct->end());
  return out;
}

Result<crypto::Bytes> wrap_ephemeral_key(std::string_view code, const crypto::PublicKey& pub) {
  std::array<std::uint8_t, 32> salt{};
  std::array<std::uint8_t, 16> iv{};
  crypto::random_bytes(salt);
  crypto::random_bytes(iv);
  return wrap_ephemeral_key(code, pub, salt, iv);
}

Result<crypto::PublicKey> unwrap_ephemeral_key(std::string_view code,
                                               std::span<const std::uint8_t> wrapped) {
  if (wrapped.size() != kWrappedKeySize)
    return {Errc::invalid_argument,
            "wrapped ephemeral key must be 80 bytes, got " + std::to_string(wrapped.size())};
  auto key = code_key(code, wrapped.subspan(0, 32));
  if (!key) return key.error();
  auto plain = crypto::aes_ctr(*key, wrapped.subspan<32, 16>(), wrapped.subspan(48, 32));
  if (!plain) return plain.error();
  crypto::PublicKey pub{};
  std::copy(plain->begin(), plain->end(), pub.begin());
  return pub;
}

Result<PairCodeFinish> finish_pair_code(std::string_view code,
                                        const crypto::KeyPair& companion_ephemeral,
                                        const crypto::KeyPair& identity,
                                        const crypto::PublicKey& primary_identity_pub,
                                        std::span<const std::uint8_t> wrapped_primary_ephemeral,
                                        std::span<const std::uint8_t, 32> adv_random,
                                        std::span<const std::uint8_t, 32> bundle_salt,
                                        std::span<const std::uint8_t, 12> nonce) {
  auto primary_eph = unwrap_ephemeral_key(code, wrapped_primary_ephemeral);
  if (!primary_eph) return primary_eph.error();
  auto eph_shared = crypto::x25519(companion_ephemeral.priv, *primary_eph);
  if (!eph_shared) return eph_shared.error();
  const auto bundle_key_bytes =
      crypto::hkdf_sha256(*eph_shared, bundle_salt, bytes_of(kPairCodeBundleInfo), 32);
  crypto::Key32 bundle_key{};
  std::copy(bundle_key_bytes.begin(), bundle_key_bytes.end(), bundle_key.begin());
  crypto::Bytes plain(identity.pub.begin(), identity.pub.end());
  plain.insert(plain.end(), primary_identity_pub.begin(), primary_identity_pub.end());
  plain.insert(plain.end(), adv_random.begin(), adv_random.end());
  auto ct = crypto::aes_gcm_encrypt(bundle_key, nonce, plain, {});
  if (!ct) return ct.error();
  PairCodeFinish out;
  out.wrapped_key_bundle.assign(bundle_salt.begin(), bundle_salt.end());
  out.wrapped_key_bundle.insert(out.wrapped_key_bundle.end(), nonce.begin(), nonce.end());
  out.wrapped_key_bundle.insert(out.wrapped_key_bundle.end(), ct->begin(), ct->end());
  auto identity_shared = crypto::x25519(identity.priv, primary_identity_pub);
  if (!identity_shared) return identity_shared.error();
  crypto::Bytes ikm(eph_shared->begin(), eph_shared->end());
  ikm.insert(ikm.end(), identity_shared->begin(), identity_shared->end());
  ikm.insert(ikm.end(), adv_random.begin(), adv_random.end());
  const auto adv = crypto::hkdf_sha256(ikm, {}, bytes_of(kPairCodeAdvInfo), 32);
  std::copy(adv.begin(), adv.end(), out.adv_secret.begin());
  return out;
}

Result<PairCodeFinish> finish_pair_code(std::string_view code,
                                        const crypto::KeyPair& companion_ephemeral,
                                        const crypto::KeyPair& identity,
                                        const crypto::PublicKey& primary_identity_pub,
                                        std::span<const std::uint8_t> wrapped_primary_ephemeral) {
  std::array<std::uint8_t, 32> adv_random{}, salt{};
  std::array<std::uint8_t, 12> nonce{};
  crypto::random_bytes(adv_random);
  crypto::random_bytes(salt);
  crypto::random_bytes(nonce);
  return finish_pair_code(code, companion_ephemeral, identity, primary_identity_pub,
                          wrapped_primary_ephemeral, adv_random, salt, nonce);
}

}  // namespace wa::client
