#include "wa/noise/noise.hpp"

#include <algorithm>

namespace wa::noise {

std::array<std::uint8_t, 12> make_iv(std::uint32_t counter) noexcept {
  std::array<std::uint8_t, 12> iv{};
  iv[8] = static_cast<std::uint8_t>(counter >> 24);
  iv[9] = static_cast<std::uint8_t>(counter >> 16);
  iv[10] = static_cast<std::uint8_t>(counter >> 8);
  iv[11] = static_cast<std::uint8_t>(counter);
  return iv;
}

SymmetricState::SymmetricState(std::string_view protocol_name) {
  const auto* p = reinterpret_cast<const std::uint8_t*>(protocol_name.data());
  if (protocol_name.size() <= h_.size()) {
    std::copy(p, p + protocol_name.size(), h_.begin());
  } else {
    h_ = crypto::sha256({std::span(p, protocol_name.size())});
  }
  ck_ = h_;
}

void SymmetricState::mix_hash(std::span<const std::uint8_t> data) {
  h_ = crypto::sha256({h_, data});
}

void SymmetricState::mix_key(std::span<const std::uint8_t> ikm) {
  const Bytes out = crypto::hkdf_sha256(ikm, ck_, {}, 64);
  std::copy(out.begin(), out.begin() + 32, ck_.begin());
  std::copy(out.begin() + 32, out.end(), k_.begin());
  n_ = 0;
  has_key_ = true;
}

Result<Bytes> SymmetricState::encrypt_and_hash(std::span<const std::uint8_t> plaintext) {
  Bytes ct;
  if (!has_key_) {
    ct.assign(plaintext.begin(), plaintext.end());
  } else {
    // A handshake encrypts at most a few messages per key: n cannot approach 2^32.
    const auto iv = make_iv(n_++);
    auto r = crypto::aes_gcm_encrypt(k_, iv, plaintext, h_);
    if (!r) return r.error();
    ct = std::move(*r);
  }
  mix_hash(ct);
  return ct;
}

Result<Bytes> SymmetricState::decrypt_and_hash(std::span<const std::uint8_t> ciphertext) {
  Bytes pt;
  if (!has_key_) {
    pt.assign(ciphertext.begin(), ciphertext.end());
  } else {
    const auto iv = make_iv(n_++);
    auto r = crypto::aes_gcm_decrypt(k_, iv, ciphertext, h_);
    if (!r) return r.error();
    pt = std::move(*r);
  }
  mix_hash(ciphertext);
  return pt;
}

std::pair<Key32, Key32> SymmetricState::split() const {
  const Bytes out = crypto::hkdf_sha256({}, ck_, {}, 64);
  std::pair<Key32, Key32> keys;
  std::copy(out.begin(), out.begin() + 32, keys.first.begin());
  std::copy(out.begin() + 32, out.end(), keys.second.begin());
  return keys;
}

TransportCipher::TransportCipher(const Key32& write_key, const Key32& read_key) noexcept
    : write_key_(write_key), read_key_(read_key) {}

Result<Bytes> TransportCipher::encrypt(std::span<const std::uint8_t> plaintext) {
  // The 32-bit counter of the IV must never repeat under one key: refuse to wrap.
  if (write_exhausted_) return {Errc::noise_counter_exhausted, "write counter exhausted"};
  const auto iv = make_iv(write_n_);
  auto r = crypto::aes_gcm_encrypt(write_key_, iv, plaintext, {});
  if (r && ++write_n_ == 0) write_exhausted_ = true;
  return r;
}

Result<Bytes> TransportCipher::decrypt(std::span<const std::uint8_t> ciphertext) {
  if (read_exhausted_) return {Errc::noise_counter_exhausted, "read counter exhausted"};
  const auto iv = make_iv(read_n_);
  auto r = crypto::aes_gcm_decrypt(read_key_, iv, ciphertext, {});
  // The counter advances per received frame, as the sender's did, whether or not it verified;
  // a failure is fatal for the connection anyway.
  if (++read_n_ == 0) read_exhausted_ = true;
  return r;
}

}  // namespace wa::noise
