#pragma once
// Plain value types held by the device store: keys, prekeys, Signal addresses and the device
// record. Everything is bytes, integers and strings so that an SQL backend stores them as columns
// (BLOB / bytea, INTEGER, TEXT) without knowing any protocol library. docs/PROTOCOL.md §2.4, §4,
// §5.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "wa/jid.hpp"

namespace wa::store {

using Bytes = std::vector<std::uint8_t>;
/// A raw Curve25519 key (public: the 32-byte u-coordinate without the 0x05 type prefix; private:
/// the clamped scalar).
using Key32 = std::array<std::uint8_t, 32>;
/// An XEdDSA signature.
using Signature64 = std::array<std::uint8_t, 64>;

/// Prekey ids are 24-bit on the wire (§5.1): 1..kMaxPreKeyId, then the allocator wraps to 1.
inline constexpr std::uint32_t kMaxPreKeyId = 0xFFFFFF;

struct KeyPair {
  Key32 pub{};
  Key32 priv{};
  friend bool operator==(const KeyPair&, const KeyPair&) = default;
};

/// A one-time prekey of our own. `uploaded` is true once the server acknowledged it.
struct PreKey {
  std::uint32_t id = 0;
  KeyPair key;
  bool uploaded = false;
  friend bool operator==(const PreKey&, const PreKey&) = default;
};

/// Our signed prekey: XEdDSA signature by the identity key over 0x05 ‖ key.pub (§2.4).
struct SignedPreKey {
  std::uint32_t id = 0;
  KeyPair key;
  Signature64 signature{};
  friend bool operator==(const SignedPreKey&, const SignedPreKey&) = default;
};

/// A Signal protocol address: one device of one user. `name` is the Signal user name
/// (`user`, or `user_<domain>` for LID/hosted users, §10.3), `device` the device id.
struct Address {
  std::string name;
  std::uint32_t device = 0;
  /// "name.device" (for logs and keys of maps).
  std::string to_string() const;
  friend bool operator==(const Address&, const Address&) = default;
  // NOLINTNEXTLINE(modernize-use-nullptr): clang-tidy 14 misreads the defaulted <=>
  friend auto operator<=>(const Address&, const Address&) = default;
};

/// Identifies one sender-key state: a group and the sending device (§7.3).
struct SenderKeyName {
  std::string group;
  Address sender;
  friend bool operator==(const SenderKeyName&, const SenderKeyName&) = default;
  // NOLINTNEXTLINE(modernize-use-nullptr): as above
  friend auto operator<=>(const SenderKeyName&, const SenderKeyName&) = default;
};

/// One LID user ↔ phone-number user pair (users only: no device, no server).
struct LidMapping {
  std::string lid;  ///< e.g. "123456789012345"
  std::string pn;   ///< e.g. "4915112345678"
  friend bool operator==(const LidMapping&, const LidMapping&) = default;
};

/// Everything about our own companion device that is not a Signal sub-store. Created with fresh
/// keys before pairing (wa::signal::new_device_record); `jid` is empty until pair-success.
struct DeviceRecord {
  KeyPair noise_key;     ///< Noise static key (§1.3); the server authenticates us by it
  KeyPair identity_key;  ///< Signal identity key
  std::uint32_t registration_id = 0;  ///< Signal registration id (14 bits)
  SignedPreKey signed_prekey;
  Key32 adv_secret{};  ///< shown in the QR; HMAC key of pair-success (§4.1-4.2)
  /// The serialized ADVSignedDeviceIdentity as verified and countersigned at pairing, including
  /// accountSignatureKey and our deviceSignature; empty before pairing (§4.2 step 8).
  Bytes account;
  std::optional<Jid>
      jid;  ///< own phone-number JID with device, e.g. 4915112345678:3@s.whatsapp.net
  std::optional<Jid> lid;     ///< own LID with device, e.g. 123456789012345:3@lid
  std::string platform;       ///< the phone's platform from pair-success (e.g. "android")
  std::string business_name;  ///< from pair-success <biz name=…>, empty for personal accounts
  std::string push_name;      ///< our display name, announced with <presence name=…>

  bool paired() const noexcept { return jid.has_value(); }
  friend bool operator==(const DeviceRecord&, const DeviceRecord&) = default;
};

}  // namespace wa::store
