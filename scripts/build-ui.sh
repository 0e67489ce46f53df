#!/usr/bin/env bash
# Builds the UI when its sources (or the shared contracts) changed since the last build.
set -euo pipefail
cd "$(dirname "$0")/.."
out=ui/dist/index.html
if [ ! -f "$out" ] || [ -n "$(find ui/src ui/public ui/index.html ui/vite.config.ts ui/params-validators.plugin.ts shared/src -newer "$out" -print -quit 2>/dev/null)" ]; then
  echo "Building the UI..."
  npm run build --workspace ui --silent
fi
