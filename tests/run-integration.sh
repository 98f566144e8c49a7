#!/usr/bin/env bash
# The black-box suite (`npm test -w tests`). Files that stop the shared PostgreSQL or depend on
# tight start-up timing run alone, after the others; the others run TESTS_CONCURRENCY files at a
# time (default 2: each file starts its own gateways, databases and emulators on free ports, and
# most of their time is spent waiting on them). TESTS_CONCURRENCY=1 runs everything one by one.
set -euo pipefail
cd "$(dirname "$0")"
# cluster.test.mjs runs three sanitizer gateways, 30 sessions and PostgreSQL stops on 4 s leases
# with timed failovers: on a two-core machine it runs alone.
serial=(integration/foundation.test.mjs integration/campaigns.test.mjs integration/cluster.test.mjs)
parallel=()
for f in integration/*.test.mjs; do
  [[ " ${serial[*]} " == *" $f "* ]] || parallel+=("$f")
done
status=0
node --test --test-concurrency="${TESTS_CONCURRENCY:-2}" "${parallel[@]}" || status=1
node --test --test-concurrency=1 "${serial[@]}" || status=1
exit $status
