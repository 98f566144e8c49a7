#!/usr/bin/env bash
# Line and branch coverage of the library (wa/src) and the gateway (gateway/src), measured over the
# C++ unit tests (ctest, including the library's end-to-end tests against the emulator) and the
# gateway's black-box suite (tests/). Builds in its own directory (COVERAGE_BUILD_DIR, default
# build-coverage) at -O0 with gcov instrumentation and no sanitizers, so it never disturbs
# build-test. Reports with gcovr: a summary, the per-file table (least covered first) in
# build-coverage/coverage.txt, and an HTML report in build-coverage/coverage/index.html.
# Branch figures leave out the compiler's exception-only branches (--exclude-throw-branches):
# every call that may throw adds one, and no test can take them all.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${COVERAGE_BUILD_DIR:-build-coverage}
jobs=${JOBS:-2}

scripts/install-deps.sh --coverage
npm ci --no-audit --no-fund --loglevel=error
FORCE_FRONTEND_BUILD=1 scripts/build-frontend.sh

cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DWA_COVERAGE=ON >/dev/null
# One target at a time under the shared build lock (when present) so that other builds on the
# machine can interleave with this long one.
for target in wa wa-tool wa-gateway all; do
  flock /tmp/wa-build.lock cmake --build "$build" -j"$jobs" --target "$target"
done
find "$build" -name '*.gcda' -delete

export GATEWAY_BIN=$PWD/$build/bin/wa-gateway
export REQUIRE_POSTGRES=1
pg_tmp=$(mktemp -d /tmp/wa-gateway-cov-pg.XXXXXX)
cleanup() { scripts/pg.sh destroy "$pg_tmp/pg" >/dev/null 2>&1 || true; rm -rf "$pg_tmp"; }
trap cleanup EXIT
TEST_DATABASE_URL=$(scripts/pg.sh init "$pg_tmp/pg")
export TEST_DATABASE_URL TEST_PG_DIR=$pg_tmp/pg

# A failing test still leaves its coverage; the figures are reported either way and the exit status
# says whether every test passed.
status=0
echo "== coverage: unit tests (ctest)"
ctest --test-dir "$build" --output-on-failure -j"$jobs" --timeout 600 || status=1
echo "== coverage: gateway black-box tests"
npm test --silent -w tests || status=1

echo "== coverage: report"
mkdir -p "$build/coverage"
# gcov runs once (the JSON trace); every report below reads that trace.
gcovr --root . --object-directory "$build" --filter 'wa/src/' --filter 'gateway/src/' \
  --exclude-throw-branches --exclude-unreachable-branches --gcov-ignore-parse-errors \
  --json "$build/coverage.json"
trace=(--root . --add-tracefile "$build/coverage.json")
gcovr "${trace[@]}" --sort-percentage --txt "$build/coverage.txt"
gcovr "${trace[@]}" --sort-percentage --branches --txt "$build/coverage-branches.txt"
gcovr "${trace[@]}" --html-details "$build/coverage/index.html"
{
  for area in wa/src gateway/src; do
    echo "-- $area"
    gcovr "${trace[@]}" --filter "$area/" --print-summary --txt /dev/null
  done
  echo "-- both"
  gcovr "${trace[@]}" --print-summary --txt /dev/null
} | tee "$build/coverage-summary.txt"
echo "coverage: per-file table in $build/coverage.txt, HTML in $build/coverage/index.html"
exit $status
