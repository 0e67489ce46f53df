#!/usr/bin/env bash
# Starts the local PostgreSQL and Redis when they are not answering (only for
# local addresses: a remote service is the operator's to run).
set -euo pipefail

db_url=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/jobflow}
redis_url=${REDIS_URL:-redis://127.0.0.1:6379}

is_local() { [[ "$1" =~ @?(127\.0\.0\.1|localhost|\[::1\])(:|/|$) ]]; }

pg_up() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }
redis_up() { (exec 3<>/dev/tcp/127.0.0.1/6379 && printf 'PING\r\n' >&3 && head -c 5 <&3 | grep -q PONG) 2>/dev/null; }

if is_local "$db_url" && ! pg_up; then
  if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
    echo "Starting PostgreSQL..."
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start || true
    for _ in $(seq 1 30); do pg_up && break; sleep 0.5; done
  fi
  pg_up || { echo "PostgreSQL is not running at 127.0.0.1:5432 and could not be started: install PostgreSQL 15 or set DATABASE_URL." >&2; exit 1; }
fi

if is_local "$redis_url" && ! redis_up; then
  if command -v redis-server >/dev/null 2>&1; then
    echo "Starting Redis..."
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null
    for _ in $(seq 1 30); do redis_up && break; sleep 0.2; done
  fi
  redis_up || { echo "Redis is not running at 127.0.0.1:6379 and could not be started: install Redis 7 or set REDIS_URL." >&2; exit 1; }
fi
