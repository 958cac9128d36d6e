#!/usr/bin/env bash
# Database servers for dagbox's service tests, on a Debian 12 machine, as root. Idempotent.
#
# - The local-process provider needs the PostgreSQL and MariaDB server binaries: installed with apt
#   only when missing.
# - The external-provider tests use the machine's own servers, postgres://postgres@127.0.0.1:5432/postgres
#   (trust) and mysql://root@127.0.0.1:3306/test (empty password). This script starts them when they
#   do not answer (never assuming someone started them by hand), waits until both answer, and on a
#   fresh install grants exactly that access to 127.0.0.1. It edits pg_hba.conf / MariaDB accounts
#   only when CI=true (or DAGBOX_CI_GRANT=1), because doing it on a developer's machine would be rude;
#   elsewhere it prints what to run instead.
set -euo pipefail

log() { echo "== services: $*"; }
fail() { echo "services: $*" >&2; exit 1; }
may_grant() { [[ "${CI:-}" == "true" || "${DAGBOX_CI_GRANT:-}" == "1" ]]; }

[[ $(id -u) -eq 0 ]] || fail "run me as root (I install packages and start the system database servers)."

# --- binaries -----------------------------------------------------------------------------------
pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
missing=()
{ [[ -n "$(pg_bin)" && -x "$(pg_bin)/postgres" && -x "$(pg_bin)/initdb" ]] && command -v psql >/dev/null; } || missing+=(postgresql)
{ [[ -x /usr/sbin/mariadbd ]] && command -v mariadb-install-db >/dev/null && command -v mariadb >/dev/null; } || missing+=(mariadb-server)
if ((${#missing[@]})); then
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  log "postgresql and mariadb-server binaries present"
fi
command -v setpriv >/dev/null || fail "setpriv (util-linux) is missing; dagbox runs servers with it when it runs as root."

# --- PostgreSQL ---------------------------------------------------------------------------------
pg_version=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1)
[[ -n "$pg_version" ]] || fail "no cluster under /etc/postgresql; create one with: pg_createcluster $(basename "$(dirname "$(pg_bin)")") main"
install -d -o postgres -g postgres -m 2775 /var/run/postgresql
pg_answers() { "$(pg_bin)/pg_isready" -q -h 127.0.0.1 -p 5432; }
if ! pg_answers; then
  log "starting PostgreSQL $pg_version/main"
  pg_ctlcluster --skip-systemctl-redirect "$pg_version" main start || pg_answers || true
fi

# --- MariaDB ------------------------------------------------------------------------------------
install -d -o mysql -g mysql -m 755 /run/mysqld
my_answers() { mariadb-admin --protocol=socket -uroot ping >/dev/null 2>&1 || mariadb-admin -h 127.0.0.1 -P 3306 -uroot ping >/dev/null 2>&1; }
if ! my_answers; then
  log "starting MariaDB"
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
fi

# --- wait for both ------------------------------------------------------------------------------
for _ in $(seq 1 120); do
  pg_answers && my_answers && break
  sleep 0.5
done
pg_answers || fail "PostgreSQL does not answer on 127.0.0.1:5432 after 60s; see /var/log/postgresql/postgresql-$pg_version-main.log"
my_answers || fail "MariaDB does not answer after 60s; start it by hand to see why: /usr/sbin/mariadbd"
log "PostgreSQL and MariaDB answer"

# --- access the external-provider tests use -------------------------------------------------------
pg_hba=/etc/postgresql/$pg_version/main/pg_hba.conf
pg_trusts() { psql -w -h 127.0.0.1 -p 5432 -U postgres -d postgres -Atc 'select 1' >/dev/null 2>&1; }
if ! pg_trusts; then
  may_grant || fail "postgres@127.0.0.1 needs a password here; for the tests, add 'host all postgres 127.0.0.1/32 trust' at the top of $pg_hba and reload (pg_ctlcluster $pg_version main reload), or set DAGBOX_TEST_POSTGRES_URI."
  log "letting postgres@127.0.0.1 in without a password ($pg_hba)"
  sed -i '1i host all postgres 127.0.0.1/32 trust # dagbox CI' "$pg_hba"
  pg_ctlcluster --skip-systemctl-redirect "$pg_version" main reload
  for _ in $(seq 1 20); do pg_trusts && break; sleep 0.25; done
  pg_trusts || fail "postgres@127.0.0.1 still cannot log in without a password; check $pg_hba"
fi

my_tcp() { mariadb -h 127.0.0.1 -P 3306 -uroot --skip-password -e 'select 1' >/dev/null 2>&1; }
if ! my_tcp; then
  may_grant || fail "root@127.0.0.1 cannot log in to MariaDB with an empty password here; for the tests, grant it or set DAGBOX_TEST_MYSQL_URI."
  log "letting root@127.0.0.1 into MariaDB with an empty password"
  # Debian's root@localhost takes unix_socket only; TCP from 127.0.0.1 may match it or root@127.0.0.1.
  mariadb --protocol=socket -uroot <<'SQL'
ALTER USER 'root'@'localhost' IDENTIFIED VIA unix_socket OR mysql_native_password USING PASSWORD('');
CREATE USER IF NOT EXISTS 'root'@'127.0.0.1' IDENTIFIED BY '';
GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION;
FLUSH PRIVILEGES;
SQL
  my_tcp || fail "root@127.0.0.1 still cannot log in to MariaDB"
fi
mariadb -h 127.0.0.1 -P 3306 -uroot --skip-password -e 'CREATE DATABASE IF NOT EXISTS test'
log "ready: postgres://postgres@127.0.0.1:5432/postgres and mysql://root@127.0.0.1:3306/test"
