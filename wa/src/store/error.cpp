#include "wa/store/error.hpp"

#include "wa/store/types.hpp"

namespace wa::store {

const char* errc_name(StoreErrc e) noexcept {
  switch (e) {
    case StoreErrc::ok:
      return "ok";
    case StoreErrc::backend:
      return "store_backend";
    case StoreErrc::corrupt:
      return "store_corrupt";
    case StoreErrc::invalid_argument:
      return "store_invalid_argument";
    case StoreErrc::no_device:
      return "store_no_device";
  }
  return "store_unknown";
}

std::string StoreError::message() const {
  std::string out = errc_name(code);
  if (!detail.empty()) {
    out += ": ";
    out += detail;
  }
  return out;
}

std::string Address::to_string() const {
  return name + "." + std::to_string(device);
}

}  // namespace wa::store
