#!/usr/bin/env bash
# Larger crash and fault campaigns (see docs/CAMPAIGNS.md) on SQLite and a throwaway PostgreSQL.
# Usage: bench/campaign/run.sh   Environment: RUNS=5 MESSAGES=60 KILLS=5 PG_STOPS=2 FAULTS=10
#   ONLY=crash-sqlite,crash-postgres,pg-postgres,fault-sqlite,fault-postgres OUT=FILE
#   GATEWAY_BIN=PATH (default: the sanitizer build, build-test/bin/wa-gateway, so that a memory
#   error during a crash or fault is reported too)
set -euo pipefail
cd "$(dirname "$0")/../.."
export GATEWAY_BIN=${GATEWAY_BIN:-$PWD/build-test/bin/wa-gateway}
[ -x "$GATEWAY_BIN" ] || { echo "no gateway binary at $GATEWAY_BIN (build the wa-gateway target of build-test)" >&2; exit 1; }
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0}
pgdir=$(mktemp -d)
trap 'scripts/pg.sh destroy "$pgdir/pg" >/dev/null 2>&1 || true; rm -rf "$pgdir"' EXIT
export TEST_DATABASE_URL=$(scripts/pg.sh init "$pgdir/pg")
export TEST_PG_DIR=$pgdir/pg
node bench/campaign/run.mjs --runs "${RUNS:-5}" --messages "${MESSAGES:-60}" --kills "${KILLS:-5}" \
  --pg-stops "${PG_STOPS:-2}" --faults "${FAULTS:-10}" \
  ${ONLY:+--only "$ONLY"} ${OUT:+--out "$OUT"}
