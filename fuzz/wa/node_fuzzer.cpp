// libFuzzer target: the binary node decoder (with the flag byte, so zlib inflation is covered) and
// the JSON rendering of whatever it accepts; every accepted node must encode again.
#include <cstddef>
#include <cstdint>

#include "wa/binary/node.hpp"
#include "wa/binary/node_json.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  wa::binary::DecodeLimits limits;
  limits.max_inflated = 1u << 20;
  auto node = wa::binary::decode(std::span(data, size), limits);
  if (!node) return 0;
  (void)wa::binary::node_to_json_string(*node);
  (void)wa::binary::to_debug_string(*node);
  auto again = wa::binary::encode(*node);
  if (!again) __builtin_trap();
  return 0;
}
