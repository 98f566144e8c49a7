#!/usr/bin/env bash
# Prints the Debian packages a built binary needs at run time (one per line), found from the
# shared libraries it links (ldd) and the packages that ship them (dpkg -S). The Dockerfile's
# runtime stage installs exactly these, so it never drifts from what the build links.
#   scripts/runtime-packages.sh build/bin/wa-gateway
set -euo pipefail
bin=${1:?usage: scripts/runtime-packages.sh BINARY}
[ -x "$bin" ] || { echo "runtime-packages: $bin is not an executable" >&2; exit 2; }
if ldd "$bin" | grep -q 'not found'; then
  echo "runtime-packages: $bin links libraries that are not installed:" >&2
  ldd "$bin" | grep 'not found' >&2
  exit 1
fi
ldd "$bin" | awk '/=> \// {print $3}' | while read -r lib; do
  name=$(basename "$lib")
  # Merged /usr: the package may record /lib/… or /usr/lib/…; the multiarch directory of this
  # machine keeps 32-bit copies (libc6-i386) out.
  pkg=$(dpkg -S "*/$(dirname "$lib" | sed 's|.*/||')/$name" 2>/dev/null | head -n1 | cut -d: -f1)
  if [ -z "$pkg" ]; then
    echo "runtime-packages: no package ships $lib" >&2
    exit 1
  fi
  echo "$pkg"
done | sort -u
