#!/usr/bin/env bash
# One command from a fresh clone to a running Jobflow: services, dependencies,
# the build (UI, server and worker, when their sources changed), database and
# migrations, then the server and the workers as compiled JavaScript. Settings
# come from the environment and .env (JOBFLOW_ENV_FILE names another file); the
# secrets a local install needs (JWT_SECRET, SECRETS_KEY) are generated into it
# once when unset, and kept from then on.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-env.sh
set -a; . "${JOBFLOW_ENV_FILE:-.env}"; set +a
bash scripts/services.sh
bash scripts/install.sh
bash scripts/build.sh
node server/dist/migrate.js
exec npx tsx scripts/run-all.ts
