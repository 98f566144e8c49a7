#pragma once
// The ClientPayload sent encrypted in the client finish message (docs/PROTOCOL.md §2): the device's
// key material and the registration payload of a new device (§2.4). Login payloads (§2.5) come
// with pairing.
#include <array>
#include <cstdint>
#include <string>

#include "wa/constants.hpp"
#include "wa/crypto/curve25519.hpp"
#include "wa/proto/wa.pb.h"

namespace wa::payload {

/// The long-term keys of one companion device, generated once before registration.
struct DeviceKeys {
  crypto::KeyPair noise;             ///< Noise static key: authenticates the device to the server
  crypto::KeyPair identity;          ///< Signal identity key
  std::uint32_t registration_id{};   ///< Signal registration id (14 bits)
  std::uint32_t signed_prekey_id{};  ///< 24-bit id
  crypto::KeyPair signed_prekey;
  crypto::Signature signed_prekey_sig{};      ///< XEdDSA by identity over 0x05 || signed_prekey.pub
  std::array<std::uint8_t, 32> adv_secret{};  ///< HMAC key shown in the QR code (§4.1)
};

/// Fresh keys: random key pairs, registration id in [1, 16383], signed prekey id 1.
DeviceKeys generate_device_keys();

/// What the client says about itself (base values of §2.2; DeviceProps of §2.4).
struct ClientInfo {
  std::array<std::uint32_t, 3> version = constants::kWaVersion;
  std::string os = "WA Gateway";  ///< shown on the phone's "linked devices" list
  proto::DeviceProps::PlatformType platform = proto::DeviceProps::DESKTOP;
  std::string push_name;  ///< optional
};

/// The registration ClientPayload of a device that has no JID yet (§2.4).
proto::ClientPayload registration_payload(const DeviceKeys& keys, const ClientInfo& info = {});

}  // namespace wa::payload
