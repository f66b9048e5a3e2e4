#!/usr/bin/env bash
# Makes sure the PostgreSQL the tests talk to is up: Debian's cluster at 127.0.0.1:5432 with a
# role and database `tuoyu_test` (password `tuoyu_test`). Installs and starts it from Debian's
# packages where it is missing (as root). Debian's pg_hba.conf asks TCP logins for a password
# (scram-sha-256), so the role gets one; the set-up itself talks over the local socket as the
# `postgres` system user (peer authentication).
set -euo pipefail

pg_ready() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }
as_postgres() { runuser -u postgres -- psql -v ON_ERROR_STOP=1 -qtA "$@"; }

if ! command -v pg_isready >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing PostgreSQL from Debian's packages" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  else
    echo "PostgreSQL is not installed; install the 'postgresql' package (as root)" >&2
    exit 1
  fi
fi
if ! pg_ready; then
  cluster=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1)
  [ -n "$cluster" ] && pg_ctlcluster --skip-systemctl-redirect "$cluster" main start || true
  for _ in $(seq 1 30); do pg_ready && break; sleep 1; done
fi
pg_ready || { echo "PostgreSQL is not answering at 127.0.0.1:5432" >&2; exit 1; }

if [ "$(as_postgres -c "SELECT 1 FROM pg_roles WHERE rolname='tuoyu_test'" postgres)" != 1 ]; then
  as_postgres -c "CREATE ROLE tuoyu_test LOGIN PASSWORD 'tuoyu_test'" postgres
fi
if [ "$(as_postgres -c "SELECT 1 FROM pg_database WHERE datname='tuoyu_test'" postgres)" != 1 ]; then
  as_postgres -c "CREATE DATABASE tuoyu_test OWNER tuoyu_test" postgres
fi
