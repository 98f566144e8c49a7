#!/usr/bin/env bash
# Installs what the n8n stage of the tests needs (scripts/install-deps.sh --test calls this):
#   tests/n8n-runtime   the pinned n8n release the end-to-end test runs (its package-lock.json).
#                       npm's install scripts are turned off: recent n8n releases pull native
#                       modules that do not build here, and this one runs without them (its data
#                       goes to PostgreSQL, not to the sqlite3 native module).
#   integrations/n8n    the community node package: its dev dependencies, then `npm run build`.
# A cold n8n install takes several minutes; it is kept in tests/n8n-runtime/node_modules and
# redone only when the lockfile changes, so later runs return at once.
set -euo pipefail
cd "$(dirname "$0")/.."

install_locked() {  # dir: `npm ci` unless node_modules was installed from this very lockfile
  local dir=$1 stamp=$1/node_modules/.wa-gateway-lock.sha256 want
  want=$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)
  if [[ -f $stamp && $(cat "$stamp") == "$want" ]]; then return 0; fi
  echo "install-n8n: npm ci in $dir"
  (cd "$dir" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
  echo "$want" >"$stamp"
}

install_locked tests/n8n-runtime
test -x tests/n8n-runtime/node_modules/n8n/bin/n8n || {
  echo "install-n8n: n8n did not install (tests/n8n-runtime/node_modules/n8n/bin/n8n missing)" >&2
  exit 1
}
install_locked integrations/n8n
(cd integrations/n8n && npm run build --silent)
