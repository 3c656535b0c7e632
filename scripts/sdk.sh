#!/usr/bin/env bash
# The generated SDKs in clients/ (see the README's "SDKs"); the Makefile runs this script.
#
#   scripts/sdk.sh need node|python    check Node.js and npm, or Python 3 with venv, are there; as
#                                      root, install what is missing with apt-get, else stop
#                                      naming the package
#   scripts/sdk.sh generate            regenerate clients/typescript/src/schema.ts and clients/python
#                                      from openapi/openapi.json (`make sdk`)
#   scripts/sdk.sh check               regenerate into a temporary directory and fail when the
#                                      committed clients differ ("run make sdk")
#   scripts/sdk.sh test                start `credvault serve` on a database of its own and run
#                                      each client's scenario against it; needs DATABASE_URL (any
#                                      database of the server: the scenario's database is created
#                                      beside it and dropped afterwards) and CREDVAULT_BIN
#
# The generators are pinned in clients/typescript/package-lock.json and clients/python-tools.txt
# and installed by the Makefile (clients/typescript/node_modules, .data/sdk/venv).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
spec="$root/openapi/openapi.json"
ts="$root/clients/typescript"
venv="$root/.data/sdk/venv"
work="$root/.data/sdk"

say() { echo "sdk: $*" >&2; }
die() { echo "sdk: error: $*" >&2; exit 1; }
mkdir -p "$work"

# --- system packages -------------------------------------------------------------------------

# Installs the Debian packages named when running as root with apt-get; else stops, naming the
# caller's whole `missing` list when it has one (bash locals are visible to the functions called).
apt_install() {
  local what="$1"; shift
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "$what: installing $* with apt-get"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >&2
  else
    die "$what not found: run 'sudo apt-get install ${missing[*]:-$*}' (Debian/Ubuntu), then make again"
  fi
}

need_node() {
  local missing=()
  command -v node >/dev/null 2>&1 || missing+=(nodejs)
  command -v npm >/dev/null 2>&1 || missing+=(npm)
  if [ ${#missing[@]} -gt 0 ]; then
    # One at a time: where Node.js comes from NodeSource's packages, its `nodejs` brings npm and
    # conflicts with Debian's `npm`; Debian's own `nodejs` does not.
    apt_install "Node.js and npm (for the TypeScript SDK)" "${missing[0]}"
    command -v npm >/dev/null 2>&1 || apt_install "npm (for the TypeScript SDK)" npm
  fi
  local major
  major=$(node -p 'process.versions.node.split(".")[0]')
  [ "$major" -ge 18 ] || die "the TypeScript SDK's tools need Node.js 18 or newer; this is $(node --version)"
}

need_python() {
  local missing=()
  command -v python3 >/dev/null 2>&1 || missing+=(python3)
  # Debian's python3 creates a venv only with python3-venv (it brings ensurepip).
  if [ ${#missing[@]} -gt 0 ] || ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then
    missing+=(python3-venv)
  fi
  [ ${#missing[@]} -eq 0 ] || apt_install "Python 3 with venv (for the Python SDK)" "${missing[@]}"
  python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
    || die "the Python SDK needs Python 3.11 or newer; this is $(python3 --version)"
}

# --- generation ------------------------------------------------------------------------------

tools_installed() {
  [ -x "$ts/node_modules/.bin/openapi-typescript" ] && [ -x "$venv/bin/openapi-python-client" ] \
    || die "the generators are not installed: run 'make sdk' (or 'make test'), which installs them"
}

# Writes the TypeScript schema to $1 and the Python package to $2 (replaced), both at once.
generate_into() {
  local ts_out="$1" py_out="$2" ts_pid
  # Objects declared without properties (free-form, like an audit event's `details`) take any
  # field: `Record<string, unknown>`, not openapi-typescript's default `Record<string, never>`.
  # A property with a `default` stays optional unless the schema requires it (by default
  # openapi-typescript makes it required, in request bodies too, where the server fills it in).
  "$ts/node_modules/.bin/openapi-typescript" "$spec" --empty-objects-unknown --default-non-nullable false -o "$ts_out" \
    >"$work/openapi-typescript.log" 2>&1 &
  ts_pid=$!
  # openapi-python-client formats its output with ruff, which it expects on PATH (and which would
  # leave its cache in the output).
  (cd "$root" && PATH="$venv/bin:$PATH" RUFF_NO_CACHE=true "$venv/bin/openapi-python-client" generate --path "$spec" \
    --config clients/openapi-python-client.yml --meta poetry --output-path "$py_out" --overwrite --fail-on-warning) \
    >"$work/openapi-python-client.log" 2>&1 \
    || { cat "$work/openapi-python-client.log" >&2; wait "$ts_pid" || true; die "openapi-python-client failed"; }
  wait "$ts_pid" || { cat "$work/openapi-typescript.log" >&2; die "openapi-typescript failed"; }
}

generate() {
  tools_installed
  generate_into "$ts/src/schema.ts" "$root/clients/python"
  say "regenerated clients/typescript/src/schema.ts ($(wc -l <"$ts/src/schema.ts") lines) and clients/python ($(find "$root/clients/python" -name '*.py' | wc -l) modules) from openapi/openapi.json"
}

check() {
  tools_installed
  local tmp
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' RETURN
  generate_into "$tmp/schema.ts" "$tmp/python"
  local stale=0
  diff -u "$ts/src/schema.ts" "$tmp/schema.ts" >"$work/stale.diff" || stale=1
  diff -ru -x __pycache__ "$root/clients/python" "$tmp/python" >>"$work/stale.diff" || stale=1
  if [ "$stale" = 1 ]; then
    head -n 40 "$work/stale.diff" >&2
    die "the generated clients in clients/ differ from openapi/openapi.json (whole diff: .data/sdk/stale.diff): run make sdk"
  fi
  say "clients/typescript and clients/python match openapi/openapi.json"
}

# --- the scenarios against a live server -----------------------------------------------------

# shellcheck source=lib/scratch-server.sh
. "$root/scripts/lib/scratch-server.sh"

tsc_pid=""

cleanup() {
  [ -z "$tsc_pid" ] || wait "$tsc_pid" 2>/dev/null || true
  stop_scratch_server
}

scenarios() {
  tools_installed
  local t0=$SECONDS

  # TypeScript: the scenario compiles under the package's strict settings (noEmitOnError: a type
  # error stops it before anything runs) while the server starts, then runs on node.
  (cd "$ts" && exec node_modules/.bin/tsc -p test) >"$work/typescript.log" 2>&1 &
  tsc_pid=$!
  trap cleanup EXIT
  local log="$work/server.log"
  start_scratch_server sdk "$log"
  local url="$scratch_url"
  say "credvault serve is ready on $url (database $scratch_db, log .data/sdk/server.log) after $((SECONDS - t0)) s"

  local passed=0 failed=0 t
  t=$SECONDS
  if wait "$tsc_pid" && CREDVAULT_URL="$url" node "$ts/build/test/scenario.js" >>"$work/typescript.log" 2>&1; then
    passed=$((passed + 1)); say "PASS typescript client ($((SECONDS - t)) s): $(tail -n 1 "$work/typescript.log")"
  else
    failed=$((failed + 1)); say "FAIL typescript client ($((SECONDS - t)) s):"; tail -n 20 "$work/typescript.log" >&2
  fi
  # Python: the scenario runs in the generators' venv, which holds the client's dependencies.
  t=$SECONDS
  if CREDVAULT_URL="$url" PYTHONPATH="$root/clients/python" PYTHONDONTWRITEBYTECODE=1 \
      "$venv/bin/python" "$root/clients/python_scenario.py" >"$work/python.log" 2>&1; then
    passed=$((passed + 1)); say "PASS python client ($((SECONDS - t)) s): $(tail -n 1 "$work/python.log")"
  else
    failed=$((failed + 1)); say "FAIL python client ($((SECONDS - t)) s):"; tail -n 20 "$work/python.log" >&2
  fi

  [ "$failed" = 0 ] || { say "server log: $log"; tail -n 10 "$log" >&2; }
  echo "sdk scenarios: $passed passed, $failed failed (in $((SECONDS - t0)) s)"
  [ "$failed" = 0 ]
}

case "${1:-}" in
  need)
    case "${2:-}" in
      node) need_node ;;
      python) need_python ;;
      *) echo "usage: $0 need node|python" >&2; exit 2 ;;
    esac ;;
  generate) generate ;;
  check) check ;;
  test) scenarios ;;
  *) echo "usage: $0 need node|python | generate | check | test" >&2; exit 2 ;;
esac
