#!/usr/bin/env bash
# One command from a fresh clone to a running Jobflow: services, dependencies,
# the build (UI, server and worker, when their sources changed), database and
# migrations, then the server and the workers as compiled JavaScript.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-env.sh
set -a; . ./.env; set +a
bash scripts/services.sh
bash scripts/install.sh
bash scripts/build.sh
node server/dist/migrate.js
exec npx tsx scripts/run-all.ts
