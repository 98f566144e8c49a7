#!/usr/bin/env bash
# Wire-layer benchmark: node encode/decode throughput, ours (Release build) vs Baileys, on the
# committed conformance corpus wa/tests/vectors/nodes.jsonl. Usage: bench/wire/run.sh [seconds]
# Extra cmake arguments can be passed in BENCH_CMAKE_ARGS.
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-3}
cmake -S . -B build-bench-wire -G Ninja -DCMAKE_BUILD_TYPE=Release -DWA_BUILD_GATEWAY=OFF -DWA_BUILD_TESTS=OFF \
  ${BENCH_CMAKE_ARGS:-} >/dev/null
cmake --build build-bench-wire -j"${JOBS:-2}" --target wa-bench-wire >/dev/null
corpus=wa/tests/vectors/nodes.jsonl
ours=$(build-bench-wire/bin/wa-bench-wire "$corpus" "$seconds")
theirs=$(node bench/wire/bench_baileys.mjs "$corpus" "$seconds")
echo "$ours"
echo "$theirs"
node -e '
const [a, b] = process.argv.slice(1).map(JSON.parse);
const r = (k) => (a[k] / b[k]).toFixed(1);
console.log(`corpus: ${a.nodes} nodes, ${a.bytes} bytes`);
console.log(`encode: ours ${a.encode_mb_s} MB/s (${a.encode_nodes_s} nodes/s), baileys ${b.encode_mb_s} MB/s (${b.encode_nodes_s} nodes/s), ratio ${r("encode_mb_s")}x`);
console.log(`decode: ours ${a.decode_mb_s} MB/s (${a.decode_nodes_s} nodes/s), baileys ${b.decode_mb_s} MB/s (${b.decode_nodes_s} nodes/s), ratio ${r("decode_mb_s")}x`);
' "$ours" "$theirs"
