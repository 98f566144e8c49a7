#!/usr/bin/env bash
# Analytics at scale: 5 million analytics rows over 100 sessions (generated with SQL),
# p50/p99 of the session endpoint for 30 days and 1 year and of the overview, and the write cost of
# the rollup triggers, on SQLite and on a throwaway PostgreSQL, with the Release gateway. Usage:
#   bench/analytics/run.sh
# Environment: ROWS=5000000 REQUESTS=300 WRITES=5000 ONLY=sqlite,postgres KEEP_DATA=1 (keep the
# SQLite data directory and print it with the PIN, for profiling) OUT=FILE (append the
# JSON lines) ROUNDS=1 (read rounds) COMPARE_BIN=PATH (an older wa-gateway: on SQLite its read
# rounds alternate with this build's, each on its own copy of the same data) BURN=0 (that many
# busy shell loops run beside the read cases: outside load on the machine's cores). One JSON
# line per measurement on stdout; results go to docs/BENCHMARKS.md by hand.
set -euo pipefail
cd "$(dirname "$0")/../.."
only=${ONLY:-sqlite,postgres}

. bench/lib/release_gateway.sh

node bench/analytics/run.mjs --bin "$gateway" ${pg_url:+--pg-url "$pg_url"} --rows "${ROWS:-5000000}" \
  --requests "${REQUESTS:-300}" --writes "${WRITES:-5000}" --only "$only" \
  --pgbench "$(ls /usr/lib/postgresql/*/bin/pgbench 2>/dev/null | head -1)" ${OUT:+--out "$OUT"} \
  --rounds "${ROUNDS:-1}" --burn "${BURN:-0}" ${COMPARE_BIN:+--compare-bin "$COMPARE_BIN"}
