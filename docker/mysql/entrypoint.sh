#!/bin/sh
# The official mysql image's contract on Debian 12's MariaDB 10.11: MYSQL_ROOT_PASSWORD, MYSQL_DATABASE,
# MYSQL_USER and MYSQL_PASSWORD at first start; arguments starting with `-` are options of the server.
# The server that sets the data directory up runs without networking; only the real one says
# "ready for connections" on port 3306.
set -eu
DATADIR=/var/lib/mysql
SOCKET=/run/mysqld/mysqld.sock

case "${1:-mysqld}" in -*) set -- mysqld "$@" ;; esac
[ "$#" -gt 0 ] || set -- mysqld
case "$1" in mysqld|mariadbd) shift ;; *) exec "$@" ;; esac

mkdir -p "$DATADIR" /run/mysqld
chown mysql:mysql "$DATADIR" /run/mysqld

if [ ! -d "$DATADIR/mysql" ]; then
  if [ -z "${MYSQL_ROOT_PASSWORD:-}" ]; then
    echo "entrypoint: MYSQL_ROOT_PASSWORD is not set; set it (this image, like the official one, needs a root password)." >&2
    exit 1
  fi
  mariadb-install-db --user=mysql --datadir="$DATADIR" --auth-root-authentication-method=normal --skip-test-db >/dev/null
  mariadbd --user=mysql --datadir="$DATADIR" --skip-networking --socket="$SOCKET" --skip-log-bin &
  pid=$!
  until mariadb-admin --socket="$SOCKET" -uroot ping >/dev/null 2>&1; do sleep 0.1; done
  # Values reach SQL as quoted literals and identifiers (quotes doubled), never raw.
  lit() { printf "'%s'" "$(printf '%s' "$1" | sed "s/\\\\/\\\\\\\\/g; s/'/''/g")"; }
  ident() { printf '`%s`' "$(printf '%s' "$1" | sed 's/`/``/g')"; }
  {
    echo "SET @@SESSION.SQL_LOG_BIN=0;"
    echo "DELETE FROM mysql.user WHERE user = '';"
    echo "ALTER USER 'root'@'localhost' IDENTIFIED BY $(lit "$MYSQL_ROOT_PASSWORD");"
    echo "CREATE USER 'root'@'%' IDENTIFIED BY $(lit "$MYSQL_ROOT_PASSWORD");"
    echo "GRANT ALL ON *.* TO 'root'@'%' WITH GRANT OPTION;"
    if [ -n "${MYSQL_DATABASE:-}" ]; then echo "CREATE DATABASE IF NOT EXISTS $(ident "$MYSQL_DATABASE");"; fi
    if [ -n "${MYSQL_USER:-}" ] && [ -n "${MYSQL_PASSWORD:-}" ]; then
      echo "CREATE USER $(lit "$MYSQL_USER")@'%' IDENTIFIED BY $(lit "$MYSQL_PASSWORD");"
      if [ -n "${MYSQL_DATABASE:-}" ]; then echo "GRANT ALL ON $(ident "$MYSQL_DATABASE").* TO $(lit "$MYSQL_USER")@'%';"; fi
    fi
    echo "FLUSH PRIVILEGES;"
  } | mariadb --socket="$SOCKET" -uroot
  MYSQL_PWD="$MYSQL_ROOT_PASSWORD" mariadb-admin --socket="$SOCKET" -uroot shutdown
  wait "$pid" || true
  echo "MariaDB init process done. Ready for start up."
fi
exec mariadbd --user=mysql --datadir="$DATADIR" --socket="$SOCKET" --bind-address=0.0.0.0 --port=3306 "$@"
