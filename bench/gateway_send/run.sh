#!/usr/bin/env bash
# Text sends per second through POST /api/v1/sessions/:id/send (Release gateway -> emulator), on
# SQLite and on a throwaway PostgreSQL, interleaved, ROUNDS times: one bot session, then SESSIONS
# bot sessions, each closed-loop with CONCURRENCY requests in flight for DURATION_S seconds.
# Usage:
#   bench/gateway_send/run.sh [SESSIONS]        default 100
# Environment: ROUNDS=3 CONCURRENCY=32 DURATION_S=20 RECIPIENTS=4 ONLY=sqlite,postgres OUT=FILE
#   GATEWAY_ENV="K=V ..." (extra gateway variables).
# One JSON line per measurement on stdout, then a summary; results go to docs/BENCHMARKS.md by hand.
set -euo pipefail
cd "$(dirname "$0")/../.."
n=${1:-100}
only=${ONLY:-sqlite,postgres}

. bench/lib/release_gateway.sh

node bench/gateway_send/run.mjs --bin "$gateway" ${pg_url:+--pg-url "$pg_url"} --sessions "$n" \
  --rounds "${ROUNDS:-3}" --only "$only" --concurrency "${CONCURRENCY:-32}" \
  --duration-s "${DURATION_S:-20}" --recipients "${RECIPIENTS:-4}" ${OUT:+--out "$OUT"}
