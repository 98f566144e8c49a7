#pragma once
// Version of the WhatsApp protocol library.
#include <string_view>

namespace wa {

/// The library's own version (not the WhatsApp Web client version it announces).
std::string_view library_version() noexcept;

}  // namespace wa
