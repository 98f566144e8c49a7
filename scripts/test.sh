#!/usr/bin/env bash
# Runs every test: installs what is missing, builds with AddressSanitizer + UndefinedBehaviorSanitizer
# and warnings as errors, starts a throwaway PostgreSQL, then runs
#   lint        scripts/lint.sh: clang-format (check only) on every C++ file, ESLint outside the
#               dashboard (the frontend's ESLint runs in frontend); clang-tidy only with LINT_TIDY=1
#               (`make lint` runs it: cold, it takes about half an hour on two cores)
#   unit        ctest (C++ unit tests, both databases; library conformance tests)
#   integration black-box tests of the built binary (tests/, both databases) and the emulator's
#   frontend    the dashboard: ESLint, Vitest, and the browser tests (headless Chromium against the
#               built binary and the emulator; screenshots in frontend/artifacts/)
#   n8n         the n8n community node (integrations/n8n): its linter and unit tests, then the
#               end-to-end test in a real n8n (tests/n8n) with the built binary and the emulator
#   fuzz        every libFuzzer target for FUZZ_SECONDS (default 20 here, two at a time; `make fuzz` runs longer) each
# `scripts/test.sh lint|unit|integration|frontend|n8n|fuzz` runs one stage; no argument runs all.
set -euo pipefail
cd "$(dirname "$0")/.."
stage=${1:-all}
jobs=${JOBS:-2}
build=${TEST_BUILD_DIR:-build-test}

scripts/install-deps.sh --test
npm ci --no-audit --no-fund --loglevel=error
FORCE_FRONTEND_BUILD=1 scripts/build-frontend.sh

# The pinned n8n and the community node install while C++ compiles (mostly network and disk; a
# cold install takes minutes). The n8n stage waits for it.
n8n_install_pid=
n8n_install_log=$(mktemp /tmp/wa-gateway-n8n-install.XXXXXX)
if [[ $stage == all || $stage == n8n ]]; then
  scripts/install-n8n.sh >"$n8n_install_log" 2>&1 &
  n8n_install_pid=$!
fi

if [[ $stage == all || $stage == lint ]]; then
  LINT_TIDY=${LINT_TIDY:-0} scripts/lint.sh
fi

cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DWA_SANITIZE=ON -DWA_WERROR=ON >/dev/null
cmake --build "$build" -j"$jobs"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export GATEWAY_BIN=$PWD/$build/bin/wa-gateway
export REQUIRE_POSTGRES=1

pg_tmp=$(mktemp -d /tmp/wa-gateway-pg.XXXXXX)
cleanup() {
  scripts/pg.sh destroy "$pg_tmp/pg" >/dev/null 2>&1 || true
  rm -rf "$pg_tmp" "$n8n_install_log"
}
trap cleanup EXIT
TEST_DATABASE_URL=$(scripts/pg.sh init "$pg_tmp/pg")
export TEST_DATABASE_URL TEST_PG_DIR=$pg_tmp/pg
echo "test.sh: PostgreSQL for tests at $TEST_DATABASE_URL"

if [[ $stage == all || $stage == unit ]]; then
  echo "== unit tests (ctest)"
  ctest --test-dir "$build" --output-on-failure -j"$jobs" --timeout 600
fi
if [[ $stage == all || $stage == integration ]]; then
  echo "== gateway black-box tests"
  npm test --silent -w tests
  if node -e 'process.exit(require("./emulator/package.json").scripts?.test ? 0 : 1)'; then
    echo "== emulator tests"
    npm test --silent -w emulator
  fi
fi
if [[ $stage == all || $stage == frontend ]]; then
  echo "== dashboard: lint, unit tests, browser tests"
  npm run lint --silent -w frontend
  npm test --silent -w frontend
  npm run test:browser --silent -w frontend
fi
if [[ $stage == all || $stage == n8n ]]; then
  echo "== n8n: the community node's lint and unit tests, then a real n8n end to end"
  if ! wait "$n8n_install_pid"; then
    cat "$n8n_install_log" >&2
    echo "test.sh: scripts/install-n8n.sh failed" >&2
    exit 1
  fi
  (cd integrations/n8n && npm run lint --silent && npm test --silent)
  (cd tests && node --test --test-concurrency=1 n8n/)
fi
if [[ $stage == all || $stage == fuzz ]]; then
  # Short runs keep `make test` within its time budget as targets are added; `make fuzz` runs
  # each target for a minute.
  export FUZZ_SECONDS=${FUZZ_SECONDS:-20}
  echo "== fuzzing (${FUZZ_SECONDS}s per target)"
  scripts/run-fuzzers.sh
fi
echo "test.sh: all passed"
