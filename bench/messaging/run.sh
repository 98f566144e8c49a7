#!/usr/bin/env bash
# Messaging benchmark: incoming-message throughput of the receive path (decrypt + unpad + parse +
# event), ours (Release build) vs Baileys' decryptMessageNode on the same kind of stream, for one
# session and for 100 sessions in one process. Usage: bench/messaging/run.sh [messages]
# Extra cmake arguments can be passed in BENCH_CMAKE_ARGS.
set -euo pipefail
cd "$(dirname "$0")/../.."
messages=${1:-20000}
cmake -S . -B build-bench-messaging -G Ninja -DCMAKE_BUILD_TYPE=Release -DWA_BUILD_GATEWAY=OFF \
  -DWA_BUILD_TESTS=OFF ${BENCH_CMAKE_ARGS:-} >/dev/null
cmake --build build-bench-messaging -j"${JOBS:-2}" --target wa-bench-messaging >/dev/null
for sessions in 1 100; do
  ours=$(build-bench-messaging/bin/wa-bench-messaging --messages "$messages" --sessions "$sessions")
  theirs=$(node bench/messaging/bench_baileys.mjs --messages "$messages" --sessions "$sessions")
  echo "ours:    $ours"
  echo "baileys: $theirs"
  node -e '
const [a, b] = process.argv.slice(1).map(JSON.parse);
console.log(`${a.sessions} session(s): ours ${Math.round(a.msgs_per_cpu_s)} msgs/CPU-s, baileys ${Math.round(b.msgs_per_cpu_s)} msgs/CPU-s, ratio ${(a.msgs_per_cpu_s / b.msgs_per_cpu_s).toFixed(1)}x`);
' "$ours" "$theirs"
done
