#!/usr/bin/env bash
# Prints the path of a Node.js 24 LTS binary, installing it from the npm
# registry (the node-linux-<arch> package) into a cache outside the repository
# the first time: `"$(bash scripts/node24.sh)" server/dist/main.js`.
set -euo pipefail
version=24.22.3
case "$(uname -m)" in
  x86_64) arch=x64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) echo "No Node.js package for $(uname -m)" >&2; exit 1 ;;
esac
dir=${JOBFLOW_NODE24_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/jobflow-node24}
bin=$dir/node_modules/node-linux-$arch/bin/node
if [ ! -x "$bin" ] || [ "$("$bin" --version 2>/dev/null)" != "v$version" ]; then
  echo "Installing Node.js $version into $dir..." >&2
  mkdir -p "$dir"
  npm install --prefix "$dir" --no-save --no-package-lock --no-audit --no-fund --loglevel=error "node-linux-$arch@$version" >&2
fi
echo "$bin"
