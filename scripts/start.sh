#!/usr/bin/env bash
# One command from a fresh clone to a running Jobflow: services, dependencies,
# database and migrations, UI build, then the server and the workers. Settings
# come from the environment and .env (JOBFLOW_ENV_FILE names another file);
# the secrets a local install needs (JWT_SECRET, SECRETS_KEY) are generated into
# it once when unset, and kept from then on.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-env.sh
set -a; . "${JOBFLOW_ENV_FILE:-.env}"; set +a
bash scripts/services.sh
bash scripts/install.sh
npx tsx scripts/migrate.ts
bash scripts/build-ui.sh
exec npx tsx scripts/run-all.ts
