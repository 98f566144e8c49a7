#pragma once
// Key generation for our own device (docs/PROTOCOL.md §2.4, §5.1, §10): registration id, signed
// prekey, one-time prekeys with wrapping 24-bit ids, a fresh device record. Keys and XEdDSA come
// from wa/crypto/curve25519.hpp (clamped Curve25519 private keys; libsignal's XEdDSA), so there is
// one XEdDSA implementation in the library; tests cross-check it against the Signal sessions.
// Thread safety: all functions are safe to call concurrently (randomness comes from OpenSSL).
#include <cstddef>
#include <cstdint>
#include <vector>

#include "wa/signal/error.hpp"
#include "wa/store/device_store.hpp"

namespace wa::signal {

/// A fresh Curve25519 key pair (clamped private key).
store::KeyPair generate_key_pair();
/// A fresh Signal registration id in 1..16380 (fits WhatsApp's 14 bits).
std::uint32_t generate_registration_id();
/// A fresh signed prekey `id`, signed by `identity` over 0x05 ‖ pub (§2.4).
SignalResult<store::SignedPreKey> generate_signed_prekey(const store::KeyPair& identity,
                                                         std::uint32_t id);

/// The prekey id after `id`: 24-bit ids wrap from kMaxPreKeyId to 1 (0 is never used).
constexpr std::uint32_t next_prekey_id(std::uint32_t id) noexcept {
  return (id >= store::kMaxPreKeyId || id == 0) ? 1 : id + 1;
}
/// `count` fresh one-time prekeys with ids first_id, next_prekey_id(first_id), … (not uploaded).
SignalResult<std::vector<store::PreKey>> generate_prekeys(std::uint32_t first_id,
                                                          std::size_t count);

/// A new unpaired device: noise key, identity key, registration id, signed prekey (id 1) and a
/// random 32-byte ADV secret (§4.1). Push name, JIDs and account stay empty.
SignalResult<store::DeviceRecord> new_device_record();

/// `count` prekeys to upload (§5.1): the store's not-yet-uploaded keys first, then freshly
/// generated ones (ids continue from the store's allocator, wrap at 2^24, and skip ids still in
/// use), persisted in one transaction. Mark them uploaded after the server's ack.
SignalResult<std::vector<store::PreKey>> get_or_generate_prekeys(store::DeviceStore& store,
                                                                 std::size_t count);

}  // namespace wa::signal
