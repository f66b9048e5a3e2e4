#!/usr/bin/env bash
# Makes sure the services the tests talk to are up: PostgreSQL at 127.0.0.1:5432 with a
# database `test`. Installs and starts it from Debian's packages where it is missing (as root).
set -euo pipefail

pg_ready() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }

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
  cluster=$(ls /etc/postgresql 2>/dev/null | head -n 1)
  [ -n "$cluster" ] && pg_ctlcluster --skip-systemctl-redirect "$cluster" main start || true
  for _ in $(seq 1 30); do pg_ready && break; sleep 1; done
fi
pg_ready || { echo "PostgreSQL is not answering at 127.0.0.1:5432" >&2; exit 1; }
# trust auth for local TCP is how the machine comes; create the test database if it is missing.
psql -h 127.0.0.1 -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='test'" postgres | grep -q 1 \
  || psql -h 127.0.0.1 -U postgres -c "CREATE DATABASE test" postgres >/dev/null
