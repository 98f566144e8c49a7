# Sourced by the gateway benchmarks' run.sh (from the repository root, with `only` set to the
# comma-separated databases of a round): installs what the benchmarks need, builds the Release
# gateway through the lock the other builds of this tree share, and sets
#   tmp      a scratch directory, removed on exit (with the PostgreSQL server below)
#   gateway  a private copy of the binary: a rebuild of build/ by someone else must not change it
#            between a measurement and its restart
#   pg_url   a throwaway PostgreSQL server's URL when `only` names postgres, else empty
scripts/install-deps.sh --bench
flock /tmp/wa-build.lock sh -c '
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DWA_BUILD_TESTS=OFF >/dev/null &&
  cmake --build build -j"${JOBS:-2}" --target wa-gateway >/dev/null'
grep -q '^CMAKE_BUILD_TYPE:STRING=Release$' build/CMakeCache.txt || { echo "build/ is not a Release build" >&2; exit 1; }

tmp=$(mktemp -d)
pgdir="$tmp/pg"
cleanup() {
  if [ -d "$pgdir" ]; then scripts/pg.sh destroy "$pgdir"; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
gateway="$tmp/wa-gateway"
cp build/bin/wa-gateway "$gateway"
echo "gateway $(git rev-parse --short HEAD 2>/dev/null)$(git diff --quiet HEAD -- gateway wa 2>/dev/null || echo '+uncommitted changes'), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)" >&2

pg_url=
case ",$only," in *,postgres,*) pg_url=$(scripts/pg.sh init "$pgdir") ;; esac
