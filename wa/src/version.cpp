#include "wa/version.hpp"

namespace wa {

std::string_view library_version() noexcept {
  return "0.1.0";
}

}  // namespace wa
