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
# FUZZ_PARALLEL (default 2) targets run at once, so that the stage's wall time stays about
# targets / 2 * FUZZ_SECONDS on this two-core machine. Each target's final stats (inputs run,
# corpus size) go to $build/<name>.log; a summary line per target is printed at the end.
parallel=${FUZZ_PARALLEL:-2}
status=0
run_one() {
  local bin=$1 name=${1##*/fuzz_}
  local seeds=fuzz/corpus/$name work=$build/work/$name
  mkdir -p "$work" "$build"/artifacts
  if [ ! -d "$seeds" ] || [ -z "$(ls -A "$seeds")" ]; then
    echo "run-fuzzers: $name has no committed seed corpus in $seeds" >&2; return 1
  fi
  echo "run-fuzzers: $name for ${seconds}s"
  if ! "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
      -artifact_prefix="$build"/artifacts/"$name"- "$work" "$seeds" >"$build/$name.log" 2>&1; then
    echo "run-fuzzers: $name FAILED; tail of $build/$name.log:" >&2
    tail -40 "$build/$name.log" >&2
    return 1
  fi
}
running=0
for bin in "${fuzzers[@]}"; do
  if ((running >= parallel)); then
    wait -n || status=1
    running=$((running - 1))
  fi
  run_one "$bin" &
  running=$((running + 1))
done
while ((running > 0)); do
  wait -n || status=1
  running=$((running - 1))
done
for bin in "${fuzzers[@]}"; do
  name=${bin##*/fuzz_}
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$build/$name.log" 2>/dev/null | tail -1)
  corpus=$(find "$build/work/$name" -type f 2>/dev/null | wc -l)
  echo "run-fuzzers: $name: ${runs:-?} inputs in ${seconds}s, corpus $corpus"
done
exit $status
