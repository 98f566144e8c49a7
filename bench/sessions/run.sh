#!/usr/bin/env bash
# Resident memory per idle connected session: one wa-bench-sessions process holding N paired,
# logged-in clients against the offline emulator (Release build). Usage:
#   bench/sessions/run.sh [COUNT...]        default: 100 1000
set -euo pipefail
cd "$(dirname "$0")/../.."
cmake -S . -B build-bench-sessions -G Ninja -DCMAKE_BUILD_TYPE=Release -DWA_BUILD_GATEWAY=OFF -DWA_BUILD_TESTS=OFF \
  ${BENCH_CMAKE_ARGS:-} >/dev/null
cmake --build build-bench-sessions -j"${JOBS:-2}" --target wa-bench-sessions >/dev/null
counts=("$@")
[ ${#counts[@]} -eq 0 ] && counts=(100 1000)
for n in "${counts[@]}"; do
  node bench/sessions/run.mjs build-bench-sessions/bin/wa-bench-sessions "$n"
done
