#pragma once
// What a dashboard client may send on its live-event socket: the only message is
// {"type":"ping"}. Pure function, safe from any thread.
#include <cstddef>
#include <string_view>

namespace gw::ws {

/// True when `text` (at most `max_bytes` long) is a JSON object whose "type" is the string
/// "ping"; other members are ignored. Anything else (too long, not JSON, not an object, another
/// type) is false.
bool is_ping(std::string_view text, std::size_t max_bytes);

}  // namespace gw::ws
