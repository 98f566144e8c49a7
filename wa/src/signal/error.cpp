#include "wa/signal/error.hpp"

namespace wa::signal {

const char* errc_name(SignalErrc e) noexcept {
  switch (e) {
    case SignalErrc::ok:
      return "ok";
    case SignalErrc::invalid_argument:
      return "signal_invalid_argument";
    case SignalErrc::no_memory:
      return "signal_no_memory";
    case SignalErrc::invalid_message:
      return "signal_invalid_message";
    case SignalErrc::invalid_version:
      return "signal_invalid_version";
    case SignalErrc::legacy_message:
      return "signal_legacy_message";
    case SignalErrc::invalid_mac:
      return "signal_invalid_mac";
    case SignalErrc::duplicate_message:
      return "signal_duplicate_message";
    case SignalErrc::invalid_key:
      return "signal_invalid_key";
    case SignalErrc::invalid_key_id:
      return "signal_invalid_key_id";
    case SignalErrc::no_session:
      return "signal_no_session";
    case SignalErrc::stale_key_exchange:
      return "signal_stale_key_exchange";
    case SignalErrc::untrusted_identity:
      return "signal_untrusted_identity";
    case SignalErrc::store:
      return "signal_store";
    case SignalErrc::crypto:
      return "signal_crypto";
    case SignalErrc::no_device:
      return "signal_no_device";
    case SignalErrc::unknown:
      return "signal_unknown";
  }
  return "signal_unknown";
}

std::string SignalError::message() const {
  std::string out = errc_name(code);
  if (!detail.empty()) {
    out += ": ";
    out += detail;
  }
  return out;
}

}  // namespace wa::signal
