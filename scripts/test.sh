#!/usr/bin/env bash
# Runs every test against real PostgreSQL, Redis and Chromium, starting the
# services when they are down; extra arguments go to vitest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/services.sh
bash scripts/install.sh
npx tsc -p tsconfig.json
npx eslint .
npx madge --circular shared/src core/src server/src worker/src client/src cli/src ui/src
npx prettier --check . --log-level warn
bash scripts/build.sh
# The packages published to npm: built, then checked as npm would ship them
# (the client is ESM only, hence attw's esm-only profile).
node scripts/build-packages.mjs --if-stale
npx publint client --strict
npx publint cli --strict
npx attw --pack client --profile esm-only
npx vitest run "$@"
