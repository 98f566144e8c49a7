#include "ws/client_message.hpp"

#include <boost/json/parse.hpp>

namespace gw::ws {

bool is_ping(std::string_view text, std::size_t max_bytes) {
  if (text.size() > max_bytes) return false;
  boost::system::error_code ec;
  auto v = boost::json::parse(text, ec);
  if (ec || !v.is_object()) return false;
  const auto* type = v.as_object().if_contains("type");
  return type && type->is_string() && type->as_string() == "ping";
}

}  // namespace gw::ws
