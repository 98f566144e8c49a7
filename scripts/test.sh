#!/usr/bin/env bash
# Runs every test: installs what is missing, builds with AddressSanitizer + UndefinedBehaviorSanitizer
# and warnings as errors, starts a throwaway PostgreSQL, then runs
#   lint        scripts/lint.sh: clang-format (check only) on every C++ file, ESLint outside the
#               dashboard (the frontend's ESLint runs in frontend), clang-tidy on the files changed
#               since the last `make lint` (LINT_TIDY=changed; `make lint` checks every file and
#               records the clean ones in scripts/clang-tidy-clean.txt)
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

n8n_install_pid= fuzz_build_pid= pg_tmp= n8n_install_log= fuzz_build_log=
cleanup() {
  # Background work still running when a stage failed stops with the run.
  [[ -n $fuzz_build_pid ]] && kill -- "-$fuzz_build_pid" 2>/dev/null
  [[ -n $n8n_install_pid ]] && kill -- "-$n8n_install_pid" 2>/dev/null
  [[ -n $pg_tmp ]] && scripts/pg.sh destroy "$pg_tmp/pg" >/dev/null 2>&1
  rm -rf "$pg_tmp" "$n8n_install_log" "$fuzz_build_log"
  return 0
}
trap cleanup EXIT

# The pinned n8n and the community node install while C++ compiles (mostly network and disk; a
# cold install takes minutes). The n8n stage waits for it.
n8n_install_log=$(mktemp /tmp/wa-gateway-n8n-install.XXXXXX)
if [[ $stage == all || $stage == n8n ]]; then
  setsid scripts/install-n8n.sh >"$n8n_install_log" 2>&1 &
  n8n_install_pid=$!
fi

if [[ $stage == all || $stage == lint ]]; then
  LINT_TIDY=${LINT_TIDY:-changed} scripts/lint.sh
fi

cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DWA_SANITIZE=ON -DWA_WERROR=ON >/dev/null
cmake --build "$build" -j"$jobs"

# The libFuzzer targets (clang, their own build directory) compile in the background, one job at a
# low priority, while the test stages below spend most of their time waiting on sockets and
# timers; the fuzz stage waits for them. (`scripts/test.sh fuzz` alone builds them in the stage.)
fuzz_build=${FUZZ_BUILD_DIR:-build-fuzz}
fuzz_build_log=$(mktemp /tmp/wa-gateway-fuzz-build.XXXXXX)
if [[ $stage == all ]]; then
  setsid bash -c "cmake -S fuzz -B '$fuzz_build' -G Ninja -DCMAKE_CXX_COMPILER=clang++ \
      -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null && nice -n 10 cmake --build '$fuzz_build' -j1" \
    >"$fuzz_build_log" 2>&1 &
  fuzz_build_pid=$!
fi

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export GATEWAY_BIN=$PWD/$build/bin/wa-gateway
export REQUIRE_POSTGRES=1

pg_tmp=$(mktemp -d /tmp/wa-gateway-pg.XXXXXX)
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
  n8n_install_pid=
  (cd integrations/n8n && npm run lint --silent && npm test --silent)
  (cd tests && node --test --test-concurrency=1 n8n/)
fi
if [[ $stage == all || $stage == fuzz ]]; then
  # Short runs keep `make test` within its time budget as targets are added; `make fuzz` runs
  # each target for a minute.
  export FUZZ_SECONDS=${FUZZ_SECONDS:-20}
  echo "== fuzzing (${FUZZ_SECONDS}s per target)"
  if [[ -n $fuzz_build_pid ]]; then
    if ! wait "$fuzz_build_pid"; then
      cat "$fuzz_build_log" >&2
      echo "test.sh: building the fuzz targets failed" >&2
      exit 1
    fi
    fuzz_build_pid=
    FUZZ_SKIP_BUILD=1 FUZZ_BUILD_DIR=$fuzz_build scripts/run-fuzzers.sh
  else
    FUZZ_BUILD_DIR=$fuzz_build scripts/run-fuzzers.sh
  fi
fi
echo "test.sh: all passed"
