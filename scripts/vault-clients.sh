#!/usr/bin/env bash
# Real HashiCorp Vault clients against a live credvault (the README's "Using Vault clients"); the
# Makefile runs this script from `make test`.
#
#   scripts/vault-clients.sh install   install hvac (pinned in tests/vault-clients/requirements.txt)
#                                      and node-vault (pinned in tests/vault-clients/package-lock.json)
#                                      into .data/vault-clients/, again only when a pin changes
#   scripts/vault-clients.sh test      install if needed, start `credvault serve` on a database of
#                                      its own with a local OAuth2 token endpoint allowed, seed a
#                                      workspace, and run each client's scenario; needs DATABASE_URL
#                                      and CREDVAULT_BIN (as scripts/sdk.sh test)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
pins="$root/tests/vault-clients"
work="$root/.data/vault-clients"
venv="$work/venv"
node_dir="$work/node"

say() { echo "vault-clients: $*" >&2; }
die() { echo "vault-clients: error: $*" >&2; exit 1; }
mkdir -p "$work"

# The fingerprint of a set of pin files: a directory is installed again only when it changes.
pin_of() { cat "$@" | sha256sum | cut -d' ' -f1; }

install() {
  "$root/scripts/sdk.sh" need python
  "$root/scripts/sdk.sh" need node
  local want
  want=$(pin_of "$pins/requirements.txt")
  if [ "$(cat "$venv/.credvault-pin" 2>/dev/null)" != "$want" ]; then
    say "installing hvac (tests/vault-clients/requirements.txt) into .data/vault-clients/venv"
    rm -rf "$venv"
    python3 -m venv "$venv"
    PIP_CACHE_DIR="$work/pip-cache" "$venv/bin/pip" install -q --disable-pip-version-check \
      --require-virtualenv -r "$pins/requirements.txt"
    echo "$want" >"$venv/.credvault-pin"
  fi
  want=$(pin_of "$pins/package.json" "$pins/package-lock.json")
  if [ "$(cat "$node_dir/.credvault-pin" 2>/dev/null)" != "$want" ]; then
    say "installing node-vault (tests/vault-clients/package-lock.json) into .data/vault-clients/node"
    rm -rf "$node_dir"
    mkdir -p "$node_dir"
    cp "$pins/package.json" "$pins/package-lock.json" "$node_dir/"
    (cd "$node_dir" && npm_config_cache="$work/npm-cache" npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
    echo "$want" >"$node_dir/.credvault-pin"
  fi
}

# shellcheck source=lib/scratch-server.sh
. "$root/scripts/lib/scratch-server.sh"

provider_pid=""

cleanup() {
  [ -z "$provider_pid" ] || kill -TERM "$provider_pid" 2>/dev/null || true
  stop_scratch_server
}

scenarios() {
  install
  local t0=$SECONDS
  trap cleanup EXIT
  # The OAuth2 provider's token endpoint, on loopback: the server may call it only because
  # CREDVAULT_OUTBOUND_ALLOW lists 127.0.0.1.
  rm -f "$work/provider.port"
  python3 "$pins/token_endpoint.py" "$work/provider.port" >"$work/provider.log" 2>&1 &
  provider_pid=$!
  for _ in $(seq 1 50); do [ -s "$work/provider.port" ] && break; sleep 0.1; done
  [ -s "$work/provider.port" ] || die "the token endpoint did not start (log: .data/vault-clients/provider.log)"
  local provider="http://127.0.0.1:$(cat "$work/provider.port")"
  local log="$work/server.log"
  start_scratch_server vault "$log" CREDVAULT_OUTBOUND_ALLOW=127.0.0.1
  say "credvault serve is ready on $scratch_url (log .data/vault-clients/server.log) after $((SECONDS - t0)) s"
  CREDVAULT_URL="$scratch_url" PROVIDER_URL="$provider" python3 "$pins/world.py" >"$work/world.json" \
    || die "seeding the workspace failed"

  local passed=0 failed=0 t
  t=$SECONDS
  if WORLD="$work/world.json" PYTHONDONTWRITEBYTECODE=1 "$venv/bin/python" "$pins/hvac_scenario.py" >"$work/hvac.log" 2>&1; then
    passed=$((passed + 1)); say "PASS hvac ($((SECONDS - t)) s): $(tail -n 1 "$work/hvac.log")"
  else
    failed=$((failed + 1)); say "FAIL hvac ($((SECONDS - t)) s):"; tail -n 25 "$work/hvac.log" >&2
  fi
  t=$SECONDS
  if WORLD="$work/world.json" NODE_PATH="$node_dir/node_modules" node "$pins/node_vault_scenario.js" >"$work/node-vault.log" 2>&1; then
    passed=$((passed + 1)); say "PASS node-vault ($((SECONDS - t)) s): $(tail -n 1 "$work/node-vault.log")"
  else
    failed=$((failed + 1)); say "FAIL node-vault ($((SECONDS - t)) s):"; tail -n 25 "$work/node-vault.log" >&2
  fi

  [ "$failed" = 0 ] || { say "server log: $log"; tail -n 10 "$log" >&2; }
  echo "vault client scenarios: $passed passed, $failed failed (in $((SECONDS - t0)) s)"
  [ "$failed" = 0 ]
}

case "${1:-}" in
  install) install ;;
  test) scenarios ;;
  *) echo "usage: $0 install | test" >&2; exit 2 ;;
esac
