#!/usr/bin/env bash
# Builds the dashboard into frontend/dist, which the gateway serves at / (docs/DASHBOARD.md).
# Installs the npm packages first when package-lock.json changed since the last install, and skips
# the build when dist/ is newer than every source. Called by `make build` / `make run` and
# scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ] ||
  [ ! -e node_modules/vite ]; then
  echo "build-frontend: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi
stamp=frontend/dist/index.html
if [ "${FORCE_FRONTEND_BUILD:-0}" != 1 ] && [ -f "$stamp" ] &&
  [ -z "$(find frontend/src frontend/public frontend/index.html frontend/*.config.js frontend/package.json \
    package-lock.json -newer "$stamp" -print -quit)" ]; then
  exit 0
fi
echo "build-frontend: vite build"
npm run build --silent -w frontend >/dev/null
echo "build-frontend: frontend/dist ready"
