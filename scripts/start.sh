#!/usr/bin/env bash
# One command from a fresh clone to a running Jobflow: services, dependencies,
# database and migrations, UI build, then the server and the workers.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-env.sh
set -a; . ./.env; set +a
bash scripts/services.sh
bash scripts/install.sh
npx tsx scripts/migrate.ts
bash scripts/build-ui.sh
exec npx tsx scripts/run-all.ts
