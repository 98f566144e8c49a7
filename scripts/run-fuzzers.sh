#!/usr/bin/env bash
# Builds the libFuzzer targets with clang and runs each for FUZZ_SECONDS (default 60) on a scratch
# copy of its committed seed corpus (fuzz/corpus/<name>/). Fails on any crash or sanitizer report,
# and when no target was built (a run that fuzzed nothing must not pass).
# FUZZ_BUILD_DIR (default build-fuzz); FUZZ_SKIP_BUILD=1 runs what is already built there.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${FUZZ_SECONDS:-60}
build=${FUZZ_BUILD_DIR:-build-fuzz}
if [[ -z ${FUZZ_SKIP_BUILD:-} ]]; then
  cmake -S fuzz -B "$build" -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build "$build" -j"${JOBS:-2}"
fi
shopt -s nullglob
fuzzers=("$build"/bin/fuzz_*)
if ((${#fuzzers[@]} == 0)); then echo "run-fuzzers: no fuzz target was built in $build" >&2; exit 1; fi
status=0
for bin in "${fuzzers[@]}"; do
  name=${bin##*/fuzz_}
  seeds=fuzz/corpus/$name
  work=$build/work/$name
  mkdir -p "$work" "$build"/artifacts
  if [ ! -d "$seeds" ] || [ -z "$(ls -A "$seeds")" ]; then
    echo "run-fuzzers: $name has no committed seed corpus in $seeds" >&2; status=1; continue
  fi
  echo "run-fuzzers: $name for ${seconds}s"
  if ! "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=0 \
      -artifact_prefix="$build"/artifacts/"$name"- "$work" "$seeds" >"$build/$name.log" 2>&1; then
    echo "run-fuzzers: $name FAILED; tail of $build/$name.log:" >&2
    tail -40 "$build/$name.log" >&2
    status=1
  fi
done
exit $status
