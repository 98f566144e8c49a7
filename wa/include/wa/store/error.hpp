#pragma once
// Errors of the device store (wa::store). Store implementations report failures as values; a
// missing record is not an error (it is an empty std::optional).
#include <string>

#include "wa/basic_result.hpp"

namespace wa::store {

enum class StoreErrc {
  ok = 0,
  backend,           ///< the storage backend failed (I/O, SQL error, locked database, ...)
  corrupt,           ///< a stored value does not decode (wrong blob length, bad JID text, ...)
  invalid_argument,  ///< the caller passed a value the store cannot hold (e.g. prekey id 0)
  no_device,         ///< an operation needs a saved device record and there is none
};

/// A short stable name, e.g. "backend".
const char* errc_name(StoreErrc e) noexcept;

struct StoreError {
  StoreErrc code = StoreErrc::ok;
  std::string detail;
  /// "code_name: detail".
  std::string message() const;
};

template <class T>
using StoreResult = BasicResult<T, StoreError>;

}  // namespace wa::store
