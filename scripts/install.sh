#!/usr/bin/env bash
# Installs dependencies when node_modules is missing or older than the lock file,
# then builds the `jobflow` command (cli/dist/jobflow.js) when its sources changed.
set -euo pipefail
cd "$(dirname "$0")/.."
stamp=node_modules/.jobflow-lock-hash
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "Installing dependencies (npm ci)..."
  npm ci --no-audit --no-fund --loglevel=error
  echo "$want" > "$stamp"
fi
node scripts/build-packages.mjs cli --if-stale
