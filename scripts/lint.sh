#!/usr/bin/env bash
# The lint stage (`make lint`, `scripts/test.sh lint`); any finding fails it:
#   clang-format (check only) on every tracked C++ file,
#   ESLint on the JavaScript outside the dashboard (eslint.config.mjs; frontend/ lints in its stage),
#   clang-tidy (.clang-tidy, warnings are errors) on wa/src, wa/tools and gateway/src, two files at a
#   time, cached per file content under ~/.cache/wa-gateway-clang-tidy (scripts/clang_tidy.mjs).
#   LINT_TIDY=1 (`make lint`): every file, then the clean ones are recorded in
#     scripts/clang-tidy-clean.txt (commit it);
#   LINT_TIDY=changed (`make test`): only the files not recorded there, i.e. what changed since the
#     last `make lint` (a cold full run takes about half an hour on two cores);
#   LINT_TIDY=0: no clang-tidy.
# Uses the test build directory (TEST_BUILD_DIR, default build-test) for compile_commands.json and
# builds only the generated protobuf sources there.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${TEST_BUILD_DIR:-build-test}
status=0
echo "== lint: clang-format on every C++ file"
git ls-files '*.cpp' '*.hpp' | xargs clang-format --dry-run --Werror || status=1
echo "== lint: ESLint (emulator, tests, bench, scripts, library test drivers)"
node_modules/.bin/eslint . || status=1
tidy=${LINT_TIDY:-1}
if [[ $tidy == 1 || $tidy == changed ]]; then
  echo "== lint: clang-tidy on wa/ and gateway/ ($([[ $tidy == 1 ]] && echo every file || echo files changed since the last make lint))"
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DWA_SANITIZE=ON -DWA_WERROR=ON >/dev/null
  cmake --build "$build" -j"${JOBS:-2}" --target wa_proto >/dev/null
  if [[ $tidy == 1 ]]; then
    node scripts/clang_tidy.mjs --build-dir "$build" --record || status=1
  else
    node scripts/clang_tidy.mjs --build-dir "$build" --changed || status=1
  fi
else
  echo "== lint: clang-tidy not run here (LINT_TIDY=0)"
fi
exit $status
