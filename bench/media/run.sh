#!/usr/bin/env bash
# Media benchmark: encrypt + upload throughput of a 10 MB video, ours (wa-tool upload, Release
# build in build/) vs Baileys (encryptedStream + waUploadToServer), to the same emulator HTTPS media
# host in its own process; interleaved rounds. Usage: bench/media/run.sh [rounds] [uploads-per-round]
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${1:-5}
per=${2:-3}
flock /tmp/wa-build.lock sh -c '
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DWA_BUILD_TESTS=OFF >/dev/null &&
  cmake --build build -j"${JOBS:-2}" --target wa-tool >/dev/null'
grep -q '^CMAKE_BUILD_TYPE:STRING=Release$' build/CMakeCache.txt || { echo "build/ is not a Release build" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp build/bin/wa-tool "$tmp/wa-tool"  # a rebuild of build/ by someone else must not change it mid-run
echo "wa $(git rev-parse --short HEAD 2>/dev/null)$(git diff --quiet HEAD -- wa 2>/dev/null || echo '+uncommitted changes'), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
node bench/media/run.mjs "$tmp/wa-tool" --rounds "$rounds" --per-round "$per"
