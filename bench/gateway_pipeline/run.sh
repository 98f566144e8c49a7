#!/usr/bin/env bash
# The incoming-message pipeline emulator -> wa-gateway (Release) -> webhook receiver, on SQLite
# and on a throwaway PostgreSQL, interleaved, ROUNDS times: the gateway's latency at 100
# messages/s spread over 100 bot sessions, and the highest rate sustained for STEP_S seconds with
# nothing lost. Usage:
#   bench/gateway_pipeline/run.sh [SESSIONS]        default 100
# Environment: SENDERS=10 (Baileys sender peers, each writing to every bot) ROUNDS=2
#   LATENCY_RATE=100 LATENCY_S=30 RATES=250,500,750,1000,1500,2000,2500 (ramp, stops at the first
#   rate not sustained) STEP_S=30 ONLY=sqlite,postgres (order of one round) OUT=FILE (append the
#   JSON lines) GATEWAY_ENV="K=V ..." (extra gateway variables).
# One JSON line per measurement on stdout, then a summary; results go to docs/BENCHMARKS.md by hand.
set -euo pipefail
cd "$(dirname "$0")/../.."
n=${1:-100}
only=${ONLY:-sqlite,postgres}

scripts/install-deps.sh --bench
flock /tmp/wa-build.lock sh -c '
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DWA_BUILD_TESTS=OFF >/dev/null &&
  cmake --build build -j"${JOBS:-2}" --target wa-gateway >/dev/null'
grep -q '^CMAKE_BUILD_TYPE:STRING=Release$' build/CMakeCache.txt || { echo "build/ is not a Release build" >&2; exit 1; }

tmp=$(mktemp -d)
pgdir="$tmp/pg"
cleanup() {
  if [ -d "$pgdir" ]; then scripts/pg.sh destroy "$pgdir"; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
# A private copy: a rebuild of build/ by someone else must not change the binary mid-run.
cp build/bin/wa-gateway "$tmp/wa-gateway"
echo "gateway $(git rev-parse --short HEAD 2>/dev/null)$(git diff --quiet HEAD -- gateway wa 2>/dev/null || echo '+uncommitted changes'), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)" >&2

pg_url=
case ",$only," in *,postgres,*) pg_url=$(scripts/pg.sh init "$pgdir") ;; esac

node bench/gateway_pipeline/run.mjs --bin "$tmp/wa-gateway" ${pg_url:+--pg-url "$pg_url"} --sessions "$n" \
  --senders "${SENDERS:-10}" --rounds "${ROUNDS:-2}" --only "$only" \
  --latency-rate "${LATENCY_RATE:-100}" --latency-s "${LATENCY_S:-30}" \
  --rates "${RATES:-250,500,750,1000,1500,2000,2500}" --step-s "${STEP_S:-30}" ${OUT:+--out "$OUT"}
