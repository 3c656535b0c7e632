# `credvault serve` on a database of its own, for the scripts that drive real clients against a
# live server (scripts/sdk.sh, scripts/vault-clients.sh). Sourced, not run:
#
#   start_scratch_server NAME LOG [VAR=value ...]
#       creates a database beside DATABASE_URL's (dropped at exit), starts $CREDVAULT_BIN serve on
#       a free port with the extra environment given, waits until it is ready, and sets
#       `scratch_url` (http://127.0.0.1:PORT). Needs DATABASE_URL and CREDVAULT_BIN.
#
# The caller defines `say` and `die`, and calls `stop_scratch_server` from its EXIT trap.

find_psql() {
  if command -v psql >/dev/null 2>&1; then command -v psql; return 0; fi
  ls -d /usr/lib/postgresql/*/bin/psql 2>/dev/null | sort -V | tail -n 1 | grep . || return 1
}

server_pid=""
scratch_db=""
scratch_url=""
admin_url=""
psql_bin=""

stop_scratch_server() {
  if [ -n "$server_pid" ]; then
    kill -TERM "$server_pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  if [ -n "$scratch_db" ]; then
    "$psql_bin" "$admin_url" -qc "DROP DATABASE IF EXISTS $scratch_db WITH (FORCE)" >/dev/null 2>&1 || true
  fi
}

start_scratch_server() {
  local name="$1" log="$2"; shift 2
  : "${DATABASE_URL:?set DATABASE_URL (make test does)}"
  : "${CREDVAULT_BIN:?set CREDVAULT_BIN to the credvault binary (make test does)}"
  [ -x "$CREDVAULT_BIN" ] || die "no credvault binary at $CREDVAULT_BIN"
  psql_bin=$(find_psql) || die "psql not found (it comes with PostgreSQL's packages: apt-get install postgresql-client)"

  # A database of its own, beside DATABASE_URL's, dropped at the end.
  local base="${DATABASE_URL%%\?*}" query=""
  [ "$base" = "$DATABASE_URL" ] || query="?${DATABASE_URL#*\?}"
  scratch_db="credvault_${name}_$$_$RANDOM"
  admin_url="${base%/*}/postgres$query"
  "$psql_bin" "$admin_url" -qc "CREATE DATABASE $scratch_db" >/dev/null || die "cannot create a database through $admin_url"

  local port
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  env -u CREDVAULT_MASTER_KEY_FILE -u CREDVAULT_TLS_CERT -u CREDVAULT_TLS_KEY -u CREDVAULT_PUBLIC_URL \
    DATABASE_URL="${base%/*}/$scratch_db$query" \
    CREDVAULT_MASTER_KEY="$(head -c 32 /dev/urandom | base64)" \
    CREDVAULT_BIND="127.0.0.1:$port" CREDVAULT_SIGNUP=open CREDVAULT_DB_POOL_SIZE=4 \
    CREDVAULT_LOG_FORMAT=json RUST_LOG=warn "$@" \
    "$CREDVAULT_BIN" serve >"$log" 2>&1 &
  server_pid=$!
  scratch_url="http://127.0.0.1:$port"
  python3 - "$scratch_url/readyz" "$server_pid" <<'PY' || { tail -n 20 "$log" >&2; die "credvault serve did not get ready (log: $log)"; }
import os, sys, time, urllib.request
url, pid = sys.argv[1], int(sys.argv[2])
deadline = time.monotonic() + 60
while time.monotonic() < deadline:
    try:
        os.kill(pid, 0)
    except OSError:
        sys.exit(1)
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            if r.status == 200:
                sys.exit(0)
    except OSError:
        pass
    time.sleep(0.1)
sys.exit(1)
PY
}
