#!/usr/bin/env bash
# Makes sure .env exists (mode 0600, it holds keys) and has every secret a local
# install needs, generating the missing ones once: later starts read the same values.
# A secret already set in the environment is left to the environment.
set -euo pipefail
cd "$(dirname "$0")/.."
umask 077
[ -f .env ] || : > .env
chmod 600 .env

# ensure_secret NAME BYTES: NAME=<BYTES random bytes as hex> unless .env or the environment has it.
ensure_secret() {
  local name=$1 bytes=$2
  if [ -n "${!name:-}" ] || grep -qE "^${name}=.+" .env; then return 0; fi
  printf '%s=%s\n' "$name" "$(node -e "process.stdout.write(require('node:crypto').randomBytes($bytes).toString('hex'))")" >> .env
  echo "Generated $name in .env (mode 0600); keep it with the database." >&2
}

# Seals the secrets stored in jobs and runs: losing it loses them.
ensure_secret SECRETS_KEY 32
