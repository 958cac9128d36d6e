#!/bin/sh
# The official postgres image's contract on Debian 12's postgresql-15: POSTGRES_USER, POSTGRES_PASSWORD,
# POSTGRES_DB and PGDATA at first start; arguments starting with `-` (or `postgres ...`) go to postgres.
# The temporary server that sets the database up logs "database system is ready to accept connections"
# once and the real one once more, as the official image does.
set -eu
PG_BIN=/usr/lib/postgresql/15/bin
export PATH="$PG_BIN:$PATH"
: "${PGDATA:=/var/lib/postgresql/data}"
export PGDATA

case "${1:-postgres}" in -*) set -- postgres "$@" ;; esac
[ "$#" -gt 0 ] || set -- postgres
if [ "$1" != postgres ]; then exec "$@"; fi
shift

if [ "$(id -u)" = 0 ]; then
  mkdir -p "$PGDATA" /var/run/postgresql
  chown postgres:postgres "$PGDATA" /var/run/postgresql
  chmod 700 "$PGDATA"
  exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" postgres "$@"
fi

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  : "${POSTGRES_USER:=postgres}"
  : "${POSTGRES_DB:=$POSTGRES_USER}"
  if [ -z "${POSTGRES_PASSWORD:-}" ]; then
    echo "entrypoint: POSTGRES_PASSWORD is not set; set it (this image, like the official one, needs a password)." >&2
    exit 1
  fi
  pwfile=$(mktemp)
  printf '%s\n' "$POSTGRES_PASSWORD" > "$pwfile"
  initdb --username="$POSTGRES_USER" --pwfile="$pwfile" -E UTF8 --locale=C.UTF-8 --auth-local=trust --auth-host=scram-sha-256 >/dev/null
  rm -f "$pwfile"
  echo "listen_addresses = '*'" >> "$PGDATA/postgresql.conf"
  echo "host all all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
  postgres -c listen_addresses='' -c unix_socket_directories=/var/run/postgresql &
  pid=$!
  until pg_isready -q -h /var/run/postgresql -U "$POSTGRES_USER" -d postgres; do sleep 0.1; done
  if [ "$POSTGRES_DB" != postgres ]; then
    # psql quotes the name (:"db") from a variable; it interpolates only in what it reads, not in -c.
    echo 'CREATE DATABASE :"db"' | psql -v ON_ERROR_STOP=1 -q -h /var/run/postgresql -U "$POSTGRES_USER" -d postgres -v db="$POSTGRES_DB"
  fi
  kill -INT "$pid"
  wait "$pid" || true
  echo "PostgreSQL init process complete; ready for start up."
fi
exec postgres "$@"
