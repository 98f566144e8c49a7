#!/usr/bin/env bash
# N connected idle WhatsApp sessions in one wa-gateway process (Release) against the offline
# emulator, on SQLite and on a throwaway PostgreSQL, interleaved with BAILEYS unmodified Baileys
# clients in one Node process on the same emulator, ROUNDS times: resident memory per session
# (and the Baileys/gateway ratio), GET /api/v1/sessions under wrk while they run, and the time
# until all N are connected again after a gateway restart. Usage:
#   bench/gateway_sessions/run.sh [N]        default N=1000
# Environment: BAILEYS=100 (Baileys pairs ~2.4 clients/s here: 1,000 would add ~7 min a round)
#   ROUNDS=2 BATCH=50 (gateway sessions paired at a time) BAILEYS_BATCH=10 IDLE=10 (s before
#   reading RSS) DURATION=15 (s of wrk) ONLY=sqlite,baileys,postgres (order of one round)
#   OUT=FILE (append the JSON lines) GATEWAY_ENV="K=V ..." (extra gateway variables).
# One JSON line per measurement on stdout, then a summary; results go to docs/BENCHMARKS.md by hand.
set -euo pipefail
cd "$(dirname "$0")/../.."
n=${1:-1000}
only=${ONLY:-sqlite,baileys,postgres}

scripts/install-deps.sh --bench
# Release build of the gateway, through the lock the other builds of this tree share.
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
# A private copy: a rebuild of build/ by someone else must not change the binary between a
# measurement and its restart.
cp build/bin/wa-gateway "$tmp/wa-gateway"
echo "gateway $(git rev-parse --short HEAD 2>/dev/null)$(git diff --quiet HEAD -- gateway wa 2>/dev/null || echo '+uncommitted changes'), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)" >&2

pg_url=
case ",$only," in *,postgres,*) pg_url=$(scripts/pg.sh init "$pgdir") ;; esac

node bench/gateway_sessions/run.mjs --bin "$tmp/wa-gateway" ${pg_url:+--pg-url "$pg_url"} --sessions "$n" \
  --baileys "${BAILEYS:-100}" --rounds "${ROUNDS:-2}" --batch "${BATCH:-50}" --baileys-batch "${BAILEYS_BATCH:-10}" \
  --idle "${IDLE:-10}" --duration "${DURATION:-15}" --only "$only" ${OUT:+--out "$OUT"}
