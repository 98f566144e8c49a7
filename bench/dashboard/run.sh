#!/usr/bin/env bash
# The dashboard benchmark (docs/BENCHMARKS.md "Dashboard"): initial JS + CSS gzipped, First
# Contentful Paint and Time to Interactive of /dashboard with 100 sessions in Debian's headless
# Chromium on localhost (ROUNDS rounds, cold cache), and responsiveness while the 100 sessions
# send status updates. Uses the Release binary (build/) when there is one, else build-test/.
set -euo pipefail
cd "$(dirname "$0")/../.."
scripts/install-deps.sh --test >/dev/null
scripts/build-frontend.sh
if [ -z "${GATEWAY_BIN:-}" ]; then
  if [ -x build/bin/wa-gateway ]; then GATEWAY_BIN=$PWD/build/bin/wa-gateway; else GATEWAY_BIN=$PWD/build-test/bin/wa-gateway; fi
fi
export GATEWAY_BIN ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0}
echo "bench/dashboard: gateway $GATEWAY_BIN"
node bench/dashboard/bench.mjs
