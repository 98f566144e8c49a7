// Key generation for our own device (docs/PROTOCOL.md §2.4, §5.1, §10.1). Curve25519 and XEdDSA
// come from wa::crypto (the single implementation in the library).
#include "wa/signal/keys.hpp"

#include <cstring>

#include "wa/crypto/curve25519.hpp"
#include "wa/crypto/primitives.hpp"

namespace wa::signal {

store::KeyPair generate_key_pair() {
  const crypto::KeyPair kp = crypto::generate_key_pair();
  return store::KeyPair{kp.pub, kp.priv};
}

std::uint32_t generate_registration_id() {
  std::array<std::uint8_t, 4> r{};
  crypto::random_bytes(r);
  std::uint32_t v = 0;
  std::memcpy(&v, r.data(), r.size());
  return v % 16380 + 1;  // as libsignal's key helper: 1..16380
}

SignalResult<store::SignedPreKey> generate_signed_prekey(const store::KeyPair& identity,
                                                         std::uint32_t id) {
  if (id == 0 || id > store::kMaxPreKeyId)
    return {SignalErrc::invalid_argument, "signed prekey id out of range"};
  const store::KeyPair key = generate_key_pair();
  // The signature covers the serialized public key: 0x05 ‖ pub (§2.4 eSkeySig).
  std::uint8_t message[33];
  message[0] = 0x05;
  std::memcpy(message + 1, key.pub.data(), 32);
  auto sig = crypto::xeddsa_sign(identity.priv, message);
  if (!sig) return {SignalErrc::crypto, sig.error().message()};
  return store::SignedPreKey{id, key, *sig};
}

SignalResult<std::vector<store::PreKey>> generate_prekeys(std::uint32_t first_id,
                                                          std::size_t count) {
  if (first_id == 0 || first_id > store::kMaxPreKeyId)
    return {SignalErrc::invalid_argument, "prekey id out of range"};
  if (count > store::kMaxPreKeyId) return {SignalErrc::invalid_argument, "too many prekeys"};
  std::vector<store::PreKey> out;
  out.reserve(count);
  std::uint32_t id = first_id;
  for (std::size_t i = 0; i < count; ++i, id = next_prekey_id(id))
    out.push_back({id, generate_key_pair(), false});
  return out;
}

SignalResult<store::DeviceRecord> new_device_record() {
  store::DeviceRecord d;
  d.noise_key = generate_key_pair();
  d.identity_key = generate_key_pair();
  d.registration_id = generate_registration_id();
  auto spk = generate_signed_prekey(d.identity_key, 1);
  if (!spk) return std::move(spk).error();
  d.signed_prekey = *spk;
  crypto::random_bytes(d.adv_secret);
  return d;
}

SignalResult<std::vector<store::PreKey>> get_or_generate_prekeys(store::DeviceStore& store,
                                                                 std::size_t count) {
  if (count > store::kMaxPreKeyId) return {SignalErrc::invalid_argument, "too many prekeys"};
  std::vector<store::PreKey> result;
  auto tx = store.transaction([&]() -> store::StoreResult<void> {
    auto existing = store.prekeys().unuploaded_prekeys(count);
    if (!existing) return std::move(existing).error();
    result = std::move(*existing);
    if (result.size() >= count) return {};
    auto next = store.prekeys().next_prekey_id();
    if (!next) return std::move(next).error();
    std::uint32_t id = (*next == 0 || *next > store::kMaxPreKeyId) ? 1 : *next;
    std::vector<store::PreKey> fresh;
    std::size_t probed = 0;
    while (result.size() + fresh.size() < count) {
      if (++probed > store::kMaxPreKeyId) {
        return store::StoreError{store::StoreErrc::invalid_argument, "every prekey id is in use"};
      }
      // After a wrap the id may still belong to an old key that was never consumed: skip it.
      auto old = store.prekeys().get_prekey(id);
      if (!old) return std::move(old).error();
      if (!old->has_value()) fresh.push_back({id, generate_key_pair(), false});
      id = next_prekey_id(id);
    }
    if (auto r = store.prekeys().add_prekeys(fresh, id); !r) return r;
    result.insert(result.end(), fresh.begin(), fresh.end());
    return {};
  });
  if (!tx) return SignalError{SignalErrc::store, tx.error().message()};
  return result;
}

}  // namespace wa::signal
