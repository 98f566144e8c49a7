#!/usr/bin/env bash
# Builds the libFuzzer targets with clang and runs each for FUZZ_SECONDS (default 60) on a scratch
# copy of its committed seed corpus (fuzz/corpus/<name>/). Fails on any crash or sanitizer report.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${FUZZ_SECONDS:-60}
cmake -S fuzz -B build-fuzz -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-fuzz -j"${JOBS:-2}"
shopt -s nullglob
fuzzers=(build-fuzz/bin/fuzz_*)
if ((${#fuzzers[@]} == 0)); then echo "run-fuzzers: no fuzz targets are defined yet"; exit 0; fi
status=0
for bin in "${fuzzers[@]}"; do
  name=${bin##*/fuzz_}
  seeds=fuzz/corpus/$name
  work=build-fuzz/work/$name
  mkdir -p "$work" build-fuzz/artifacts
  if [ ! -d "$seeds" ] || [ -z "$(ls -A "$seeds")" ]; then
    echo "run-fuzzers: $name has no committed seed corpus in $seeds" >&2; status=1; continue
  fi
  echo "run-fuzzers: $name for ${seconds}s"
  if ! "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=0 \
      -artifact_prefix=build-fuzz/artifacts/"$name"- "$work" "$seeds" >"build-fuzz/$name.log" 2>&1; then
    echo "run-fuzzers: $name FAILED; tail of build-fuzz/$name.log:" >&2
    tail -40 "build-fuzz/$name.log" >&2
    status=1
  fi
done
exit $status
