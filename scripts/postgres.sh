#!/usr/bin/env bash
# A private PostgreSQL cluster for tests and local runs. Installs PostgreSQL from Debian's packages
# where it is missing. PostgreSQL refuses to run as root, so as root the cluster runs as the
# 'postgres' system user.
#   scripts/postgres.sh start DIR  -> creates DIR (it must not exist), starts a cluster in it, prints
#                                     Host=127.0.0.1;Port=...;Username=postgres;Password=...
#   scripts/postgres.sh stop DIR   -> stops the cluster in DIR (only one this script created there)
# The folder is private (0700); logins need the generated password (scram-sha-256) or the owner's
# own account on the folder's socket: no trust authentication. A folder this script did not create
# is never adopted or stopped.
set -euo pipefail
action=${1:-}
root=${2:-}
[ -n "$action" ] && [ -n "$root" ] || { echo "usage: $0 start|stop DIR" >&2; exit 2; }
data=$root/data
marker=$root/stringee-es-ci.cluster

find_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
as_owner() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
bin=$(find_bin)

if [ "$action" = stop ]; then
  [ -f "$marker" ] || { echo "$root was not created by $0: not stopping anything there" >&2; exit 1; }
  [ -n "$bin" ] && [ -f "$data/postmaster.pid" ] && as_owner "$bin/pg_ctl" -D "$data" -m fast -w stop >&2 || true
  exit 0
fi

if [ -z "$bin" ]; then
  echo "PostgreSQL binaries not found; installing Debian's postgresql package" >&2
  if [ "$(id -u)" -ne 0 ]; then echo "run as root, or install postgresql yourself" >&2; exit 1; fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq postgresql >&2
  bin=$(find_bin)
fi

if [ -e "$root" ]; then echo "$root exists already: name a new folder" >&2; exit 1; fi
umask 077
mkdir -p "$root"
password=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
printf '%s' "$password" >"$root/pw"
if [ "$(id -u)" -eq 0 ]; then
  id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
  chmod 711 "$root"
  mkdir "$data" && chown postgres "$data" "$root/pw"
fi
as_owner "$bin/initdb" -D "$data" -U postgres --auth-local=peer --auth-host=scram-sha-256 --pwfile="$root/pw" -E UTF8 --no-locale >&2
rm -f "$root/pw"
port=55432
while (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done
printf 'port=%s\n' "$port" >"$marker"
as_owner "$bin/pg_ctl" -D "$data" -l "$data/postgres.log" -w -t 60 \
  -o "-p $port -k $data -c listen_addresses=127.0.0.1 -c fsync=on -c max_connections=300" start >&2
echo "Host=127.0.0.1;Port=$port;Username=postgres;Password=$password"
