#!/usr/bin/env bash
# The database servers ganymede-db's tests run against (idempotent):
#   * PostgreSQL (Debian's cluster "main", 127.0.0.1:5432, user postgres, trust on 127.0.0.1);
#   * MariaDB (127.0.0.1:3306, root with an empty password over TCP).
# Each test creates and drops its own ganymede_test_<random> database on them.
#
#   bash scripts/databases.sh      install what is missing, start what is stopped, print facts
#
# Facts (KEY=VALUE) go to stdout, progress and errors to stderr, so
# `eval "$(bash scripts/databases.sh)"` exports the URLs the tests read.
# Nothing is restarted if it already answers; only missing access is granted.
set -euo pipefail

PG_PORT=5432
MY_PORT=3306
DEADLINE_SECONDS=60

log() { echo "[databases] $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

apt_install() {
  local missing=() p try made_policy=0
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
  done
  ((${#missing[@]})) || return 0
  log "apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # Package scripts must not start daemons; this script starts them itself.
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    made_policy=1
  fi
  for try in 1 2 3 4 5; do
    if apt-get -o DPkg::Lock::Timeout=600 -y -qq install --no-install-recommends \
        "${missing[@]}" >/tmp/databases-apt.$$.log 2>&1; then
      break
    fi
    if [ "$try" = 5 ]; then
      tail -20 /tmp/databases-apt.$$.log >&2
      ((made_policy)) && rm -f /usr/sbin/policy-rc.d
      die "could not install ${missing[*]}"
    fi
    log "apt-get install failed (try $try); apt-get update and retry"
    apt-get -o DPkg::Lock::Timeout=600 -qq update >/dev/null 2>&1 || sleep 5
  done
  rm -f /tmp/databases-apt.$$.log
  ((made_policy)) && rm -f /usr/sbin/policy-rc.d
  return 0
}

# wait_for <what> <command...>: polls the command until it succeeds or the deadline passes.
wait_for() {
  local what=$1 deadline=$((SECONDS + DEADLINE_SECONDS))
  shift
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || die "$what did not come up within ${DEADLINE_SECONDS}s"
    sleep 0.2
  done
}

# --- PostgreSQL -------------------------------------------------------------------------

pg_ready() { pg_isready -q -h 127.0.0.1 -p "$PG_PORT" >/dev/null 2>&1; }
pg_login() { psql -w -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -qAtc 'SELECT 1' >/dev/null 2>&1; }

postgres_up() {
  if ! command -v pg_ctlcluster >/dev/null || ! command -v psql >/dev/null; then
    apt_install postgresql postgresql-client
  fi
  local version="" dir
  for dir in /etc/postgresql/*/main; do
    [ -d "$dir" ] && version=$(basename "$(dirname "$dir")")
  done
  [ -n "$version" ] || die "no PostgreSQL cluster under /etc/postgresql (pg_createcluster 15 main)"
  if ! pg_ready; then
    log "starting PostgreSQL $version/main"
    pg_ctlcluster --skip-systemctl-redirect "$version" main start
    wait_for "PostgreSQL" pg_ready
  fi
  if ! pg_login; then
    # A fresh Debian cluster asks for a password on TCP; the tests log in as postgres
    # without one, from 127.0.0.1 only.
    local hba="/etc/postgresql/$version/main/pg_hba.conf"
    log "trusting postgres logins from 127.0.0.1 in $hba"
    sed -i '1i host all all 127.0.0.1/32 trust' "$hba"
    pg_ctlcluster --skip-systemctl-redirect "$version" main reload
    wait_for "PostgreSQL login" pg_login
  fi
  if [ -z "$(psql -w -h 127.0.0.1 -U postgres -d postgres -qAtc \
      "SELECT 1 FROM pg_database WHERE datname = 'test'")" ]; then
    psql -w -h 127.0.0.1 -U postgres -d postgres -qc 'CREATE DATABASE test'
  fi
}

# --- MariaDB ----------------------------------------------------------------------------

# `mariadb-admin ping` succeeds whenever the server answers, even if the login is refused.
my_ready() { mariadb-admin --protocol=tcp -h 127.0.0.1 -P "$MY_PORT" -u root --connect-timeout=2 ping >/dev/null 2>&1; }
my_socket_ready() { mariadb-admin --protocol=socket -u root --connect-timeout=2 ping >/dev/null 2>&1; }
my_login() { mariadb --protocol=tcp -h 127.0.0.1 -P "$MY_PORT" -u root -e 'SELECT 1' >/dev/null 2>&1; }

mariadb_up() {
  if [ ! -x /usr/sbin/mariadbd ] || ! command -v mariadb >/dev/null; then
    apt_install mariadb-server mariadb-client
  fi
  if ! my_ready && ! my_socket_ready; then
    install -d -o mysql -g mysql -m 755 /run/mysqld
    if [ ! -d /var/lib/mysql/mysql ]; then
      log "initialising /var/lib/mysql"
      mariadb-install-db --user=mysql --datadir=/var/lib/mysql >/tmp/databases-mariadb.$$.log 2>&1 \
        || { tail -20 /tmp/databases-mariadb.$$.log >&2; die "mariadb-install-db failed"; }
      rm -f /tmp/databases-mariadb.$$.log
    fi
    log "starting MariaDB"
    start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd -- --user=mysql
    wait_for "MariaDB" my_socket_ready
  fi
  if ! my_login; then
    # Debian's root logs in through the unix socket only; let it in over TCP from
    # 127.0.0.1 with an empty password, as the tests do.
    log "allowing root@127.0.0.1 without a password"
    mariadb --protocol=socket -u root <<'SQL'
CREATE USER IF NOT EXISTS 'root'@'127.0.0.1' IDENTIFIED BY '';
GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION;
ALTER USER 'root'@'localhost' IDENTIFIED VIA unix_socket OR mysql_native_password USING PASSWORD('');
FLUSH PRIVILEGES;
SQL
    wait_for "MariaDB login" my_login
  fi
  mariadb --protocol=tcp -h 127.0.0.1 -P "$MY_PORT" -u root -e 'CREATE DATABASE IF NOT EXISTS test'
}

[ "$(id -u)" = 0 ] || die "run as root (it may install packages and start system daemons)"
postgres_up
mariadb_up
log "PostgreSQL and MariaDB are up"
cat <<EOF
GANYMEDE_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:$PG_PORT/postgres
GANYMEDE_TEST_MYSQL_URL=mysql://root@127.0.0.1:$MY_PORT/mysql
EOF
