#!/usr/bin/env bash
# Makes sure the env file (.env, or JOBFLOW_ENV_FILE) exists (mode 0600, it holds
# keys) and has every secret a local install needs, generating the missing ones
# once: later starts read the same values. A secret already set in the
# environment is left to the environment; an empty NAME= line counts as unset.
set -euo pipefail
cd "$(dirname "$0")/.."
env_file=${JOBFLOW_ENV_FILE:-.env}
umask 077
[ -f "$env_file" ] || : > "$env_file"
chmod 600 "$env_file"

# ensure_secret NAME BYTES ENCODING: NAME=<BYTES random bytes> unless the env file or the environment has it.
ensure_secret() {
  local name=$1 bytes=$2 encoding=$3
  if [ -n "${!name:-}" ] || grep -qE "^[[:space:]]*(export[[:space:]]+)?${name}=.+" "$env_file"; then return 0; fi
  sed -i -E "/^[[:space:]]*(export[[:space:]]+)?${name}=[[:space:]]*$/d" "$env_file"
  [ -s "$env_file" ] && [ -n "$(tail -c1 "$env_file")" ] && echo >> "$env_file"
  printf '%s=%s\n' "$name" "$(node -e "process.stdout.write(require('node:crypto').randomBytes($bytes).toString('$encoding'))")" >> "$env_file"
  echo "Generated $name in $env_file (mode 0600); keep it with the database." >&2
}

# Signs session tokens: whoever knows it can sign in as anyone (changing it signs everyone out).
ensure_secret JWT_SECRET 48 base64url
# Seals the secrets stored in jobs and runs: losing it loses them.
ensure_secret SECRETS_KEY 32 hex
