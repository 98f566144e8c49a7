#!/usr/bin/env bash
# Cluster mode (CLUSTER_ENABLED=true: several wa-gateway processes, Release, on one throwaway
# PostgreSQL, against the emulator): the failover time (kill -9 of one node until every session
# it ran is connected again on the others) for SESSIONS sessions over NODES nodes, ROUNDS times;
# the same after SIGTERM (the handover), HANDOVER_ROUNDS times; then the total throughput of the incoming-message pipeline (emulator -> gateways -> webhook
# receiver) with 1, 2, ... NODES nodes on the same database. Usage:
#   bench/cluster/run.sh [SESSIONS]        default 300
# Environment: NODES=3 ROUNDS=3 HANDOVER_ROUNDS=3 (the same with SIGTERM)
#   LEASE_TTL_SECONDS=15 LEASE_RENEW_SECONDS=3 (the gateway's defaults) BATCH=30 (sessions paired at a time) SKIP_THROUGHPUT=1 (failover only)
#   TP_BOTS=60 TP_SENDERS=6 TP_MESSAGES=6000 TP_RATE=3000 (messages released per second, above
#   what the gateways drain, so that the drain rate is the throughput) OUT=FILE (append the JSON
#   lines) GATEWAY_ENV="K=V ..." (extra gateway variables) GATEWAY_BIN=PATH (use this binary, no
#   Release build: for trying the benchmark with another build; its figures are not Release ones).
# One JSON line per measurement on stdout, then a summary; results go to docs/BENCHMARKS.md by hand.
set -euo pipefail
cd "$(dirname "$0")/../.."
n=${1:-300}
only=postgres

if [ -n "${GATEWAY_BIN:-}" ]; then
  tmp=$(mktemp -d)
  pgdir="$tmp/pg"
  cleanup() {
    if [ -d "$pgdir" ]; then scripts/pg.sh destroy "$pgdir"; fi
    rm -rf "$tmp"
  }
  trap cleanup EXIT
  gateway=$GATEWAY_BIN
  echo "gateway $gateway (GATEWAY_BIN, not the Release build), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
  pg_url=$(scripts/pg.sh init "$pgdir")
else
  . bench/lib/release_gateway.sh
fi

node bench/cluster/run.mjs --bin "$gateway" --pg-url "$pg_url" --sessions "$n" \
  --nodes "${NODES:-3}" --rounds "${ROUNDS:-3}" --handover-rounds "${HANDOVER_ROUNDS:-3}" --ttl "${LEASE_TTL_SECONDS:-15}" \
  --renew "${LEASE_RENEW_SECONDS:-3}" --batch "${BATCH:-30}" ${SKIP_THROUGHPUT:+--skip-throughput} \
  --tp-bots "${TP_BOTS:-60}" --tp-senders "${TP_SENDERS:-6}" --tp-messages "${TP_MESSAGES:-6000}" \
  --tp-rate "${TP_RATE:-3000}" ${OUT:+--out "$OUT"}
