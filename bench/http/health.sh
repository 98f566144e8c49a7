#!/usr/bin/env bash
# GET /health under wrk: 64 connections, 2 wrk threads, DURATION seconds (default 20), against a
# Release build on SQLite, access log on (written to a file, as in production).
#   bench/http/health.sh            # prints wrk's report, including the latency distribution
set -euo pipefail
cd "$(dirname "$0")/../.."
duration=${DURATION:-20}
command -v wrk >/dev/null || { echo "wrk not installed: scripts/install-deps.sh --bench" >&2; exit 1; }
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DWA_BUILD_TESTS=OFF >/dev/null
cmake --build build -j2 --target wa-gateway >/dev/null
tmp=$(mktemp -d)
port=$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
env PORT=$port BIND_ADDRESS=127.0.0.1 DATA_DIR=$tmp ${GATEWAY_ENV:-} build/bin/wa-gateway >"$tmp/gateway.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$tmp"' EXIT
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break; sleep 0.1; done
wrk -t2 -c64 -d"${duration}s" --latency "http://127.0.0.1:$port/health"
echo "resident memory after the run: $(awk '/VmRSS/{print $2, $3}' /proc/$pid/status)"
