#!/usr/bin/env bash
# The main job on a fresh machine: installs PostgreSQL from Debian's packages if its binaries are
# missing, then runs `stringee-es demo`, which starts its own private cluster (as the postgres user
# when run as root), the local server and the scripted clients. Extra arguments go to the demo.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! ls -d /usr/lib/postgresql/*/bin >/dev/null 2>&1 && ! command -v pg_config >/dev/null 2>&1; then
  if [ "$(id -u)" -ne 0 ]; then echo "PostgreSQL is not installed: run 'apt-get install postgresql' as root" >&2; exit 1; fi
  echo "installing Debian's postgresql package" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2 && apt-get install -y -qq postgresql >&2
fi
exec dotnet run --project src/Cli -c Release -- demo "$@"
