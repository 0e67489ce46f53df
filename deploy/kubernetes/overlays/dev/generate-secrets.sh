#!/usr/bin/env bash
# Writes secrets.env beside this script with fresh random values (once: an
# existing file is kept, so the database password stays the one PostgreSQL was
# created with). The file is not committed; the overlay's secretGenerator reads it.
set -euo pipefail
cd "$(dirname "$0")"
[ -f secrets.env ] && exit 0
umask 077
pg=$(openssl rand -hex 24)
redis=$(openssl rand -hex 24)
cat > secrets.env <<ENV
POSTGRES_PASSWORD=$pg
REDIS_PASSWORD=$redis
DATABASE_URL=postgres://jobflow:$pg@postgres:5432/jobflow
REDIS_URL=redis://default:$redis@redis:6379
JWT_SECRET=$(openssl rand -hex 32)
SECRETS_KEY=$(openssl rand -base64 32)
ENV
echo "Wrote $(pwd)/secrets.env"
