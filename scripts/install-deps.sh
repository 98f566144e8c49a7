#!/usr/bin/env bash
# Installs the Debian packages this project needs, only those missing.
# Idempotent; works as root and uses sudo otherwise.
#   scripts/install-deps.sh          build + run dependencies
#   scripts/install-deps.sh --test   also what the test suite needs (n8n: scripts/install-n8n.sh, run by scripts/test.sh)
#   scripts/install-deps.sh --bench  also what the benchmarks need
#   scripts/install-deps.sh --coverage  also what `make coverage` needs (the test tools + gcovr)
set -euo pipefail

packages=(
  g++ cmake ninja-build pkg-config ccache make
  libboost1.81-dev libboost-url1.81-dev libboost-json1.81-dev
  libssl-dev zlib1g-dev ca-certificates
  libpq-dev libsqlite3-dev sqlite3
  libsignal-protocol-c-dev libprotobuf-dev protobuf-compiler
  libqrencode-dev libpng-dev libjpeg-dev
  libspdlog-dev libfmt-dev libhowardhinnant-date-dev tzdata
)
# Node.js and npm build the dashboard (frontend/); Debian's own when none is installed.
if ! command -v node >/dev/null 2>&1; then packages+=(nodejs); fi
if ! command -v npm >/dev/null 2>&1; then packages+=(npm); fi
for arg in "$@"; do
  case "$arg" in
    --test) packages+=(postgresql libgtest-dev libgmock-dev clang libclang-rt-14-dev clang-format clang-tidy zbar-tools curl openssl
                       chromium fonts-dejavu-core) ;;
    --bench) packages+=(wrk libbenchmark-dev postgresql) ;;
    --coverage) packages+=(postgresql libgtest-dev libgmock-dev clang-format zbar-tools curl openssl gcovr) ;;
    *) echo "install-deps: unknown option $arg (expected --test, --bench or --coverage)" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  sudo=()
  if [ "$(id -u)" -ne 0 ]; then sudo=(sudo); fi
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

needs_node=0
for arg in "$@"; do [ "$arg" = --test ] || [ "$arg" = --coverage ] && needs_node=1; done
if [ "$needs_node" -eq 1 ] && ! command -v node >/dev/null 2>&1; then
  echo "install-deps: Node.js >= 20 is required (for the emulator and the tests) and was not found" >&2
  exit 1
fi
if [ "$needs_node" -eq 1 ] && [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 20 ]; then
  echo "install-deps: Node.js >= 20 is required, found $(node --version)" >&2
  exit 1
fi
