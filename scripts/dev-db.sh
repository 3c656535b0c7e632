#!/usr/bin/env bash
# The private development PostgreSQL cluster of `make run` and `make test`.
#
#   scripts/dev-db.sh start   start (or reuse) the cluster; prints its DATABASE_URL on stdout
#   scripts/dev-db.sh stop    stop it
#   scripts/dev-db.sh kill    stop it the hard way (`pg_ctl stop -m immediate`: no shutdown
#                             checkpoint, crash recovery at the next start), for fault tests
#   scripts/dev-db.sh status  say whether it runs
#
# The cluster lives under .data/postgres, listens on 127.0.0.1 only, on a spare port kept in
# .data/postgres.port, and trusts local connections (it is for development and tests only).
# PostgreSQL refuses to run as root: as root, the server runs as the `postgres` user.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
data="$root/.data"
pgdata="$data/postgres"
portfile="$data/postgres.port"
log="$data/postgres.log"
dbname=credvault

say() { echo "dev-db: $*" >&2; }
die() { echo "dev-db: error: $*" >&2; exit 1; }

find_bindir() {
  local d
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then echo "$d"; return 0; fi
  done
  if command -v pg_ctl >/dev/null 2>&1 && command -v initdb >/dev/null 2>&1; then
    dirname "$(command -v pg_ctl)"; return 0
  fi
  return 1
}

install_server() {
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "PostgreSQL server binaries not found; installing the 'postgresql' package with apt-get"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
  else
    die "PostgreSQL server binaries (initdb, pg_ctl) not found. Install them, e.g. 'sudo apt-get install postgresql' (Debian/Ubuntu), or set DATABASE_URL to an existing server."
  fi
}

bindir=$(find_bindir) || { install_server; bindir=$(find_bindir) || die "PostgreSQL still not found after installing"; }

# As root, the server runs as `postgres`; everything it touches must belong to it.
as_pg=()
if [ "$(id -u)" = 0 ]; then
  id postgres >/dev/null 2>&1 || die "running as root needs the 'postgres' OS user (it comes with the postgresql package)"
  as_pg=(runuser -u postgres --)
fi
pg() { "${as_pg[@]}" "$@"; }

mkdir -p "$data"
exec 9>"$data/dev-db.lock"
flock 9

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

running() { [ -f "$pgdata/PG_VERSION" ] && pg "$bindir/pg_ctl" -D "$pgdata" status >/dev/null 2>&1; }

url() { echo "postgres://postgres@127.0.0.1:$(cat "$portfile")/$dbname"; }

init_cluster() {
  # The postgres user must be able to reach the data directory; a checkout under a private home
  # (/root, mode 700) is not reachable, so the cluster then lives under /var/tmp, linked from .data.
  local target="$pgdata"
  if [ ${#as_pg[@]} -gt 0 ] && ! runuser -u postgres -- test -x "$data"; then
    target="/var/tmp/credvault-pg-$(echo -n "$root" | sha256sum | cut -c1-12)"
    rm -rf "$target"
    ln -sfn "$target" "$pgdata"
    say "the checkout is not readable by the postgres user; the cluster lives in $target"
  fi
  mkdir -p "$target"
  [ ${#as_pg[@]} -gt 0 ] && chown postgres:postgres "$target"
  chmod 700 "$target"
  say "creating a PostgreSQL cluster in $pgdata"
  pg "$bindir/initdb" -D "$target" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >"$data/initdb.log" 2>&1 \
    || pg "$bindir/initdb" -D "$target" -U postgres --auth=trust --encoding=UTF8 --no-locale >"$data/initdb.log" 2>&1 \
    || die "initdb failed; see $data/initdb.log"
  cat >>"$target/postgresql.conf" <<'CONF'
listen_addresses = '127.0.0.1'
unix_socket_directories = ''
max_connections = 400
shared_buffers = 256MB
log_min_messages = warning
CONF
}

start() {
  if [ ! -f "$pgdata/PG_VERSION" ]; then rm -rf "$pgdata"; init_cluster; fi
  if running && [ -f "$portfile" ]; then
    say "reusing the running cluster on port $(cat "$portfile")"
  else
    # The last port again when it is free, so clients of a restarted cluster reconnect.
    local port=54329
    if [ -f "$portfile" ] && ! port_in_use "$(cat "$portfile")"; then port=$(cat "$portfile"); fi
    while port_in_use "$port"; do port=$((port + 1)); done
    echo "$port" >"$portfile"
    touch "$log"; [ ${#as_pg[@]} -gt 0 ] && chown postgres "$log"
    say "starting PostgreSQL on 127.0.0.1:$port (log: $log)"
    pg "$bindir/pg_ctl" -D "$pgdata" -l "$log" -o "-p $port" -w -t 60 start </dev/null >/dev/null 2>&1 9>&- \
      || die "PostgreSQL did not start; see $log"
  fi
  local port; port=$(cat "$portfile")
  if ! "$bindir/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -tAc \
      "SELECT 1 FROM pg_database WHERE datname = '$dbname'" | grep -q 1; then
    "$bindir/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -qc "CREATE DATABASE $dbname" >&2
  fi
  url
}

stop() {
  if running; then
    pg "$bindir/pg_ctl" -D "$pgdata" -m fast -w stop >/dev/null
    say "stopped"
  else
    say "not running"
  fi
}

kill_hard() {
  if running; then
    pg "$bindir/pg_ctl" -D "$pgdata" -m immediate -w stop >/dev/null
    say "killed (immediate shutdown)"
  else
    say "not running"
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  kill) kill_hard ;;
  status) if running; then say "running: $(url)"; else say "not running"; exit 3; fi ;;
  url) url ;;
  *) echo "usage: $0 start|stop|kill|status|url" >&2; exit 2 ;;
esac
