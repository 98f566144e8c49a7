#!/usr/bin/env bash
# Soak: 100 linked sessions in one wa-gateway (Release) with steady traffic for MINUTES (default
# 30), sampling resident memory, open file descriptors and database size. Usage:
#   bench/soak/run.sh [sqlite|postgres]
# Environment: SESSIONS=100 SENDERS=4 RATE=5 (messages/s) MINUTES=30 SAMPLE=60 (s) OUT=FILE
#   DRAIN=60 (s a message may take to reach the receiver after the last send ended)
#   LATE_WAIT=0 (s more to wait for the lost ones, to tell a late delivery from a lost message)
#   KEEP_DATA=1 (keep the gateway's data directory and log; their paths are printed)
#   GATEWAY_BIN=PATH (measure that binary instead of building the Release one)
set -euo pipefail
cd "$(dirname "$0")/../.."
dialect=${1:-sqlite}
if [[ -n ${GATEWAY_BIN:-} ]]; then
  gateway=$GATEWAY_BIN; pg_url=
  if [[ $dialect == postgres ]]; then pgdir=$(mktemp -d); pg_url=$(scripts/pg.sh init "$pgdir/pg"); trap 'scripts/pg.sh destroy "$pgdir/pg"; rm -rf "$pgdir"' EXIT; fi
else
  only=$dialect
  . bench/lib/release_gateway.sh
fi
node bench/soak/run.mjs --bin "$gateway" --dialect "$dialect" ${pg_url:+--pg-url "$pg_url"} \
  --sessions "${SESSIONS:-100}" --senders "${SENDERS:-4}" --rate "${RATE:-5}" --minutes "${MINUTES:-30}" \
  --sample "${SAMPLE:-60}" --drain "${DRAIN:-60}" --late-wait "${LATE_WAIT:-0}" ${OUT:+--out "$OUT"}
