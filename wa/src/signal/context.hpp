#pragma once
// Shared internals of the Signal layer: libsignal contexts, key conversion between our 32-byte raw
// keys and libsignal objects, and libsignal return codes mapped to SignalError.
#include <signal/curve.h>

#include <span>

#include "signal/handles.hpp"
#include "wa/signal/error.hpp"
#include "wa/store/types.hpp"

namespace wa::signal::detail {

/// Returned by store callbacks when the DeviceStore failed (below SG_ERR_MINIMUM).
inline constexpr int kStoreFailure = SG_ERR_MINIMUM - 1;

/// A new libsignal context with our OpenSSL crypto provider.
SignalResult<Context> make_context();

/// Maps a negative libsignal return code; `what` names the failing call.
SignalError error_from(int rc, const char* what);

/// 0x05 ‖ key → ec_public_key.
SignalResult<Ref<ec_public_key>> decode_public(const store::Key32& key, signal_context* ctx);
SignalResult<Ref<ec_private_key>> decode_private(const store::Key32& key, signal_context* ctx);
SignalResult<Ref<ec_key_pair>> decode_key_pair(const store::KeyPair& kp, signal_context* ctx);
/// ec_public_key → 32 bytes raw (the 0x05 type byte stripped).
SignalResult<store::Key32> encode_public(const ec_public_key* key);
SignalResult<store::Key32> encode_private(const ec_private_key* key);
/// A serialized public key as libsignal passes it to callbacks (33 bytes, 0x05 first) → raw.
bool raw_public_from_serialized(std::span<const std::uint8_t> serialized, store::Key32& out);

}  // namespace wa::signal::detail
