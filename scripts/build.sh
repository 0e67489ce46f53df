#!/usr/bin/env bash
# Builds what changed since the last build: the UI into ui/dist, and the server
# and worker into compiled JavaScript (server/dist, worker/dist).
set -euo pipefail
cd "$(dirname "$0")/.."

# True when the output file is missing or older than any of the sources.
stale() {
  local out=$1
  shift
  [ ! -f "$out" ] || [ -n "$(find "$@" -newer "$out" -print -quit 2>/dev/null)" ]
}

if stale ui/dist/index.html ui/src ui/public ui/index.html ui/vite.config.ts ui/*.plugin.ts shared/src; then
  echo "Building the UI..."
  npm run build --workspace ui --silent
fi
engine=(shared/src core/src package-lock.json scripts/bundle.mjs)
if stale server/dist/main.js server/src server/package.json "${engine[@]}"; then
  echo "Building the server..."
  npm run build --workspace server --silent
fi
if stale worker/dist/main.js worker/src worker/package.json "${engine[@]}"; then
  echo "Building the worker..."
  npm run build --workspace worker --silent
fi
