#!/usr/bin/env bash
# Runs every benchmark (each also runs alone). Results go to docs/BENCHMARKS.md by hand, with the
# command and the machine.
set -euo pipefail
cd "$(dirname "$0")"
for b in http/health.sh wire/run.sh sessions/run.sh gateway_sessions/run.sh gateway_pipeline/run.sh messaging/run.sh media/run.sh dashboard/run.sh; do
  [ -x "$b" ] || continue
  echo "== bench/$b"
  "./$b"
done
