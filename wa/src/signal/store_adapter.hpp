#pragma once
// Adapters from libsignal's store callback structs to our DeviceStore (internal). libsignal keeps
// serialized records; we keep raw keys for prekeys, the signed prekey and identities (so an SQL
// backend stores plain 32-byte blobs) and opaque records for sessions and sender keys.
#include <optional>

#include "signal/handles.hpp"
#include "wa/signal/protocol.hpp"
#include "wa/store/device_store.hpp"

namespace wa::signal::detail {

/// The user_data behind every callback. Must stay at a fixed address while bound.
struct StoreAdapter {
  store::DeviceStore& store;
  TrustPolicy trust{};
  signal_context* ctx = nullptr;
  /// The last store failure seen by a callback (callbacks can only return an int).
  std::optional<store::StoreError> last_error;
};

/// A store context whose callbacks all go to `adapter`.
SignalResult<StoreContext> bind_store(StoreAdapter& adapter);

}  // namespace wa::signal::detail
