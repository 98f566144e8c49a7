#!/usr/bin/env bash
# The incoming-message pipeline emulator -> wa-gateway (Release) -> webhook receiver, on SQLite
# and on a throwaway PostgreSQL, interleaved, ROUNDS times: the gateway's latency at 100
# messages/s spread over 100 bot sessions, and the highest rate sustained for STEP_S seconds with
# nothing lost. Usage:
#   bench/gateway_pipeline/run.sh [SESSIONS]        default 100
# Environment: SENDERS=10 (Baileys sender peers, each writing to every bot) ROUNDS=2
#   LATENCY_RATE=100 LATENCY_S=30 RATES=250,500,750,1000,1500,2000,2500 (ramp, stops at the first
#   rate not sustained) STEP_S=30 ONLY=sqlite,postgres (order of one round) OUT=FILE (append the
#   JSON lines) GATEWAY_ENV="K=V ..." (extra gateway variables) COMPARE_BIN=PATH (another
#   wa-gateway measured in the same rounds, before this tree's in odd rounds and after it in even
#   ones, on each database: an A/B run)
#   COMPARE_ENV="K=V ..." (gateway variables of the COMPARE_BIN run only: COMPARE_BIN set to
#   "self" measures this tree's binary twice, with and without them) COMPARE_WITHOUT_ROLLUPS=1
#   (the COMPARE_BIN run without the analytics rollup triggers: with COMPARE_BIN=self, what the
#   rollups cost the pipeline). TOGGLE_ROLLUPS=PAIRS (instead of the ramp: PAIRS pairs of STEP_S
#   steps at TOGGLE_RATE=600 messages/s, with and without the rollup triggers, in one gateway
#   process and database; set the rate above what either variant sustains, so that what got
#   through measures the pipeline's throughput).
# CPU is reported per process for each step: the gateway, the emulator, the driver with the
# receiver, and the PostgreSQL server (its postmaster and children) on postgres.
# One JSON line per measurement on stdout, then a summary; results go to docs/BENCHMARKS.md by hand.
set -euo pipefail
cd "$(dirname "$0")/../.."
n=${1:-100}
only=${ONLY:-sqlite,postgres}

. bench/lib/release_gateway.sh

node bench/gateway_pipeline/run.mjs --bin "$gateway" ${pg_url:+--pg-url "$pg_url" --pg-dir "$pgdir"} --sessions "$n" \
  --senders "${SENDERS:-10}" --rounds "${ROUNDS:-2}" --only "$only" \
  --latency-rate "${LATENCY_RATE:-100}" --latency-s "${LATENCY_S:-30}" \
  --rates "${RATES:-250,500,750,1000,1500,2000,2500}" --step-s "${STEP_S:-30}" ${OUT:+--out "$OUT"} \
  ${COMPARE_BIN:+--compare-bin "$([ "$COMPARE_BIN" = self ] && echo "$gateway" || echo "$COMPARE_BIN")"} \
  ${COMPARE_ENV:+--compare-env "$COMPARE_ENV"} ${COMPARE_WITHOUT_ROLLUPS:+--compare-without-rollups} \
  ${TOGGLE_ROLLUPS:+--toggle-rollups "$TOGGLE_ROLLUPS" --toggle-rate "${TOGGLE_RATE:-600}"}
