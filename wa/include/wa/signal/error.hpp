#pragma once
// Errors of the Signal layer (wa::signal): libsignal-protocol-c's codes mapped to a closed set,
// plus failures of our store and crypto provider underneath it.
#include <string>

#include "wa/basic_result.hpp"

namespace wa::signal {

enum class SignalErrc {
  ok = 0,
  invalid_argument,  ///< a key or buffer of the wrong size, an unknown message type, ...
  no_memory,
  invalid_message,  ///< bytes that do not parse as the expected Signal message / protobuf
  invalid_version,  ///< a message version other than 3
  legacy_message,
  invalid_mac,        ///< MAC check failed: wrong session or tampered ciphertext
  duplicate_message,  ///< counter already used (replay)
  invalid_key,        ///< a malformed key, or a bad signed-prekey signature in a bundle
  invalid_key_id,     ///< the referenced one-time / signed prekey is not in our store
  no_session,         ///< no session (or no sender key) for that address
  stale_key_exchange,
  untrusted_identity,  ///< the peer's identity changed and the trust policy refused it
  store,               ///< the device store failed underneath the Signal library
  crypto,              ///< the crypto provider (OpenSSL) failed
  no_device,           ///< the store has no device record (no identity key)
  unknown,
};

/// A short stable name, e.g. "signal_invalid_mac".
const char* errc_name(SignalErrc e) noexcept;

struct SignalError {
  SignalErrc code = SignalErrc::ok;
  std::string detail;
  std::string message() const;
};

template <class T>
using SignalResult = BasicResult<T, SignalError>;

}  // namespace wa::signal
