// wa-bench-wire: encode/decode throughput of the node codec on the committed conformance corpus.
//   wa-bench-wire wa/tests/vectors/nodes.jsonl [seconds]
// Prints one JSON line: {"impl":"wa","nodes":N,"bytes":B,"encode_mb_s":..,"encode_nodes_s":..,...}
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "wa/binary/node.hpp"
#include "wa/binary/node_json.hpp"

namespace {
using Clock = std::chrono::steady_clock;

template <class F>
double run_for(double seconds, F&& once, std::size_t& rounds) {
  const auto start = Clock::now();
  rounds = 0;
  double elapsed = 0;
  do {
    once();
    ++rounds;
    elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  } while (elapsed < seconds);
  return elapsed;
}
}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: wa-bench-wire nodes.jsonl [seconds]\n";
    return 2;
  }
  const double seconds = argc > 2 ? std::stod(argv[2]) : 3.0;
  std::ifstream in(argv[1]);
  std::vector<wa::binary::Node> nodes;
  std::vector<wa::binary::Bytes> payloads;
  std::string line;
  boost::json::parse_options opt;
  opt.max_depth = 1024;
  while (std::getline(in, line)) {
    auto v = boost::json::parse(line, {}, opt).as_object();
    // Encode vectors that both codecs also decode (a "decoded": null vector cannot be decoded).
    if (!v.contains("node") || (v.contains("decoded") && v.at("decoded").is_null())) continue;
    auto n = wa::binary::node_from_json(v.at("node"));
    if (!n) return 1;
    auto b = wa::binary::encode(*n);
    if (!b) return 1;
    nodes.push_back(std::move(*n));
    payloads.push_back(std::move(*b));
  }
  std::size_t total_bytes = 0;
  for (const auto& p : payloads) total_bytes += p.size();

  std::size_t sink = 0, enc_rounds = 0, dec_rounds = 0;
  const double enc_t = run_for(
      seconds,
      [&] {
        for (const auto& n : nodes) sink += wa::binary::encode(n)->size();
      },
      enc_rounds);
  const double dec_t = run_for(
      seconds,
      [&] {
        for (const auto& p : payloads) sink += wa::binary::decode(p)->attrs.size();
      },
      dec_rounds);
  const double mb = static_cast<double>(total_bytes) / 1e6;
  std::printf(
      "{\"impl\":\"wa\",\"nodes\":%zu,\"bytes\":%zu,\"encode_mb_s\":%.1f,\"encode_nodes_s\":%.0f,"
      "\"decode_mb_s\":%.1f,\"decode_nodes_s\":%.0f,\"sink\":%zu}\n",
      nodes.size(), total_bytes, mb * static_cast<double>(enc_rounds) / enc_t,
      static_cast<double>(nodes.size() * enc_rounds) / enc_t,
      mb * static_cast<double>(dec_rounds) / dec_t,
      static_cast<double>(nodes.size() * dec_rounds) / dec_t, sink % 10);
  return 0;
}
