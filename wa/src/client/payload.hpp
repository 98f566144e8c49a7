#pragma once
// The ClientPayload of a stored device (docs/PROTOCOL.md §2): registration for an unpaired device
// (§2.4), login for a paired one (§2.5). Both reuse wa::payload's base values, so the two cannot
// drift apart.
#include <cstdint>
#include <vector>

#include "wa/client/client.hpp"
#include "wa/error.hpp"
#include "wa/payload/client_payload.hpp"
#include "wa/store/types.hpp"

namespace wa::client {

/// The keys of a stored device in the payload layer's form.
payload::DeviceKeys device_keys(const store::DeviceRecord& device);
/// What the client says about itself, from the options (version, DeviceProps os, push name).
payload::ClientInfo client_info(const Options& options, const store::DeviceRecord& device);

/// The serialized registration payload (passive=false, pull=false, devicePairingData).
Result<std::vector<std::uint8_t>> registration_payload(const store::DeviceRecord& device,
                                                       const Options& options);
/// The serialized login payload: username = own phone number, device = own device id,
/// passive=true, pull=true, lidDbMigrated, lc=1, no devicePairingData. invalid_argument when the
/// device is not paired or its JID user is not a number.
Result<std::vector<std::uint8_t>> login_payload(const store::DeviceRecord& device,
                                                const Options& options);

}  // namespace wa::client
