// libFuzzer target for one protobuf entry point; WA_FUZZ_PROTO_TYPE names the message (set per
// target in fuzzers.cmake). Parsing must never crash; whatever parses must serialize and re-parse.
#include <cstddef>
#include <cstdint>
#include <string>

#include "wa/proto/wa.pb.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  WA_FUZZ_PROTO_TYPE msg;
  if (!msg.ParseFromArray(data, static_cast<int>(size))) return 0;
  std::string out;
  if (!msg.SerializeToString(&out)) __builtin_trap();
  WA_FUZZ_PROTO_TYPE back;
  if (!back.ParseFromString(out)) __builtin_trap();
  return 0;
}
