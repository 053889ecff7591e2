#!/usr/bin/env bash
# Starts (or reuses) a private PostgreSQL cluster for tests and local runs, and prints the
# connection string on stdout. Installs PostgreSQL from Debian's packages where it is missing.
# PostgreSQL refuses to run as root, so as root the cluster runs as the 'postgres' system user.
#   scripts/postgres.sh start   -> prints Host=127.0.0.1;Port=...;Username=postgres;Database=postgres
#   scripts/postgres.sh stop
set -euo pipefail
action=${1:-start}
root=${STRINGEE_ES_PG_DIR:-${TMPDIR:-/tmp}/stringee-es-pg}
data=$root/data
log=$root/postgres.log

find_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
bin=$(find_bin)
if [ -z "$bin" ] && [ "$action" = start ]; then
  echo "PostgreSQL binaries not found; installing Debian's postgresql package" >&2
  if [ "$(id -u)" -ne 0 ]; then echo "run as root, or install postgresql yourself" >&2; exit 1; fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq postgresql >&2
  bin=$(find_bin)
fi

as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

if [ "$action" = stop ]; then
  [ -n "$bin" ] && [ -f "$data/postmaster.pid" ] && as_owner "$bin/pg_ctl" -D "$data" -m fast -w stop >&2 || true
  exit 0
fi

mkdir -p "$root"
if [ "$(id -u)" -eq 0 ]; then
  id postgres >/dev/null 2>&1 || useradd --system --home "$root" postgres
  chown postgres "$root"
fi
if [ ! -f "$data/PG_VERSION" ]; then
  as_owner "$bin/initdb" -D "$data" -U postgres -A trust -E UTF8 --no-locale >&2
fi
if as_owner "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
  port=$(sed -n '4p' "$data/postmaster.pid")
else
  port=55432
  while (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done
  as_owner "$bin/pg_ctl" -D "$data" -l "$log" -w -t 60 \
    -o "-p $port -k $root -c listen_addresses=127.0.0.1 -c fsync=on" start >&2
fi
echo "Host=127.0.0.1;Port=$port;Username=postgres;Database=postgres"
