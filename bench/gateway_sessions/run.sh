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

. bench/lib/release_gateway.sh

node bench/gateway_sessions/run.mjs --bin "$gateway" ${pg_url:+--pg-url "$pg_url"} --sessions "$n" \
  --baileys "${BAILEYS:-100}" --rounds "${ROUNDS:-2}" --batch "${BATCH:-50}" --baileys-batch "${BAILEYS_BATCH:-10}" \
  --idle "${IDLE:-10}" --duration "${DURATION:-15}" --only "$only" ${OUT:+--out "$OUT"}
