# credvault: `make run` serves on 127.0.0.1:8080, `make test` runs every check CI runs.
# Without DATABASE_URL both start a private PostgreSQL under .data/ (scripts/dev-db.sh).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
CARGO ?= cargo
BIND ?= 127.0.0.1:8080
# The database: DATABASE_URL when set, else the private cluster (started or reused).
WITH_DB = export DATABASE_URL="$${DATABASE_URL:-$$(scripts/dev-db.sh start)}";

.PHONY: run test fmt lint openapi sdk sdk-check sdk-test vault-clients bench rustyvault reliability test-browser docker-test stop-db db help

# The contract fuzzer of `make reliability`, pinned, in a git-ignored virtualenv.
SCHEMATHESIS_VERSION := 4.32.5
VENV := .venv
# The SDK generators, pinned in clients/typescript/package-lock.json (openapi-typescript, openapi-fetch,
# typescript) and clients/python-tools.txt (openapi-python-client), installed in git-ignored
# directories and again only when those files change; npm's and pip's caches under .data/sdk.
SDK_NODE := clients/typescript/node_modules/.credvault-installed
SDK_VENV := .data/sdk/venv
SDK_TOOLS := $(SDK_NODE) $(SDK_VENV)/.credvault-installed
# The debug binary `make test` builds (cargo's target directory may be elsewhere).
DEBUG_BIN = "$$($(CARGO) metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')/debug/credvault"

help:
	@echo "make run      build, start the private database, create a dev master key, serve on http://$(BIND)"
	@echo "make test     cargo fmt --check, clippy -D warnings, every test (against a private PostgreSQL), the SDK checks"
	@echo "make openapi  regenerate openapi/openapi.json from the code"
	@echo "make openapi-lint  lint openapi/openapi.json with Redocly's recommended rules (pinned, through npx): 0 errors, 0 warnings"
	@echo "make sdk      regenerate the TypeScript and Python clients in clients/ from openapi/openapi.json"
	@echo "make vault-clients  hvac and node-vault (pinned) against a live server through the Vault-compatible reads"
	@echo "make bench    release-build benchmarks with printed figures; fails when a target is missed (BENCH_STRICT=0: report only)"
	@echo "make reliability  contract fuzzing and PostgreSQL/server kills under load (3 to 5 minutes; CI runs it after make test)"
	@echo "make test-browser examples/spa in headless chromium from another origin: sign-in, list, edit, the OAuth round trip"
	@echo "make docker-test  build the Docker image and check that a container answers /healthz"
	@echo "make stop-db  stop the private PostgreSQL"

run:
	$(CARGO) build -p credvault-api --bin credvault
	@mkdir -p .data
	@if [ -z "$${CREDVAULT_MASTER_KEY:-}$${CREDVAULT_MASTER_KEY_FILE:-}" ] && [ ! -s .data/master.key ]; then \
	  umask 077; head -c 32 /dev/urandom | base64 > .data/master.key; \
	  echo "WARNING: created a development master key in .data/master.key. It is for development only:"; \
	  echo "         in production set CREDVAULT_MASTER_KEY or CREDVAULT_MASTER_KEY_FILE to a key you keep safe."; \
	fi
	@$(WITH_DB) \
	if [ -z "$${CREDVAULT_MASTER_KEY:-}$${CREDVAULT_MASTER_KEY_FILE:-}" ]; then export CREDVAULT_MASTER_KEY_FILE=.data/master.key; fi; \
	export CREDVAULT_LOG_FORMAT="$${CREDVAULT_LOG_FORMAT:-pretty}"; \
	unset CREDVAULT_TLS_CERT CREDVAULT_TLS_KEY; \
	echo "credvault: serving plain HTTP on http://$(BIND) (docs: http://$(BIND)/docs); Ctrl-C stops"; \
	exec $(CARGO) run -q -p credvault-api --bin credvault -- serve --bind "$(BIND)"

test: $(SDK_TOOLS)
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	$(CARGO) build -p credvault-api --bin credvault
	@scripts/sdk.sh check
	@$(WITH_DB) CREDVAULT_TEST_PKCS11_MODULE="$$(scripts/softhsm.sh module)"; export CREDVAULT_TEST_PKCS11_MODULE; $(CARGO) test --workspace
	@$(WITH_DB) export CREDVAULT_BIN=$(DEBUG_BIN); scripts/sdk.sh test
	@$(WITH_DB) export CREDVAULT_BIN=$(DEBUG_BIN); scripts/vault-clients.sh test

fmt:
	$(CARGO) fmt --all

lint:
	$(CARGO) clippy --workspace --all-targets -- -D warnings

openapi:
	$(CARGO) run -q -p credvault-api -- openapi -o openapi/openapi.json
	@echo "wrote openapi/openapi.json"

# Redocly's recommended rules, no config of ours: warnings fail too (redocly itself fails on
# errors only).
REDOCLY_VERSION := 2.77.0
.PHONY: openapi-lint
openapi-lint:
	@command -v npx >/dev/null || { echo "openapi-lint: npx is needed (apt-get install npm)"; exit 1; }
	@mkdir -p .data
	@REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true NO_UPDATE_NOTIFIER=1 \
	  npx --yes @redocly/cli@$(REDOCLY_VERSION) lint openapi/openapi.json --format=json --max-problems=1000 \
	  >.data/openapi-lint.json 2>/dev/null || true
	@python3 -c 'import json,sys; d=json.load(open(".data/openapi-lint.json")); t=d.get("totals",{}); \
	  [print(p["severity"], p["ruleId"], p["message"], (p.get("location") or [{}])[0].get("pointer","")) for p in d.get("problems",[])]; \
	  print("openapi-lint: %d errors, %d warnings (redocly %s)" % (t.get("errors",0), t.get("warnings",0), d.get("version",""))); \
	  sys.exit(1 if t.get("errors",0) or t.get("warnings",0) else 0)'

# clients/typescript/src/schema.ts (openapi-typescript; openapi-fetch makes the requests) and
# clients/python (openapi-python-client), from openapi/openapi.json; `make test` fails when they
# are stale, and runs a scenario through each against a live server (sdk-check, sdk-test alone).
sdk: $(SDK_TOOLS)
	@scripts/sdk.sh generate

sdk-check: $(SDK_TOOLS)
	@scripts/sdk.sh check

# hvac and node-vault (pinned in tests/vault-clients/, installed under .data/vault-clients/) against
# a live server through the Vault-compatible read path; `make test` runs it too.
vault-clients:
	$(CARGO) build -q -p credvault-api --bin credvault
	@$(WITH_DB) export CREDVAULT_BIN=$(DEBUG_BIN); scripts/vault-clients.sh test

sdk-test: $(SDK_TOOLS)
	$(CARGO) build -q -p credvault-api --bin credvault
	@$(WITH_DB) export CREDVAULT_BIN=$(DEBUG_BIN); scripts/sdk.sh test

$(SDK_NODE): clients/typescript/package.json clients/typescript/package-lock.json
	@scripts/sdk.sh need node
	cd clients/typescript && npm_config_cache="$(CURDIR)/.data/sdk/npm-cache" npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	@touch $@

$(SDK_VENV)/.credvault-installed: clients/python-tools.txt
	@scripts/sdk.sh need python
	rm -rf $(SDK_VENV)
	python3 -m venv $(SDK_VENV)
	PIP_CACHE_DIR="$(CURDIR)/.data/sdk/pip-cache" $(SDK_VENV)/bin/pip install -q --disable-pip-version-check -r clients/python-tools.txt
	@touch $@

bench:
	@command -v wrk >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null 2>&1; } \
	  || echo "bench: wrk is not installed; the resolve load will run in-process (apt-get install wrk)"
	@$(MAKE) -s rustyvault || echo "bench: RustyVault could not be installed; its comparison is skipped"
	$(CARGO) run -q --release -p credvault-crypto --example crypto_bench
	$(CARGO) build -q --release -p credvault-api --bin credvault
	@$(WITH_DB) export CREDVAULT_BIN="$$($(CARGO) metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')/release/credvault"; \
	CREDVAULT_TEST_PKCS11_MODULE="$$(scripts/softhsm.sh module)"; export CREDVAULT_TEST_PKCS11_MODULE; \
	$(CARGO) run -q --release -p credvault-tests --example bench

# RustyVault, for the bench's comparison with its KV GET: installed once into the target
# directory (the newest release the registry holds; RUSTY_VAULT_BIN names another binary).
RUSTY_VAULT_VERSION := 0.2.1
rustyvault:
	@[ -n "$${RUSTY_VAULT_BIN:-}" ] && exit 0; \
	root="$$($(CARGO) metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')/rusty_vault"; \
	[ -x "$$root/bin/rvault" ] && exit 0; \
	echo "bench: installing RustyVault $(RUSTY_VAULT_VERSION) into $$root for the comparison (once; about 20 minutes on 2 cores)"; \
	$(CARGO) install -q rusty_vault --version $(RUSTY_VAULT_VERSION) --root "$$root"

# Schemathesis against the spec on a real server, then PostgreSQL and the server killed under
# load; prints a table of (check, cases, failures). Always on the private cluster, which it kills.
reliability: $(VENV)/.schemathesis-$(SCHEMATHESIS_VERSION)
	$(CARGO) build -q -p credvault-api --bin credvault
	$(CARGO) build -q -p credvault-tests --example reliability
	@export DATABASE_URL="$$(scripts/dev-db.sh start)"; \
	export CREDVAULT_BIN="$$($(CARGO) metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')/debug/credvault"; \
	export SCHEMATHESIS="$(CURDIR)/$(VENV)/bin/schemathesis" DEV_DB="$(CURDIR)/scripts/dev-db.sh"; \
	$(CARGO) run -q -p credvault-tests --example reliability

$(VENV)/.schemathesis-$(SCHEMATHESIS_VERSION):
	@command -v python3 >/dev/null || { echo "reliability: python3 is needed for schemathesis (apt-get install python3 python3-venv)"; exit 1; }
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --disable-pip-version-check "schemathesis==$(SCHEMATHESIS_VERSION)"
	@touch $@

# examples/spa in Debian's chromium, headless, driven over the DevTools protocol (a pipe, Python's
# standard library only), against the debug build and a fake OAuth provider; see tests/browser/.
# As root it installs what is missing; otherwise it names the packages and stops.
CHROMIUM ?= chromium

test-browser:
	@missing=""; \
	command -v $(CHROMIUM) >/dev/null 2>&1 || missing="$$missing chromium"; \
	command -v python3 >/dev/null 2>&1 || missing="$$missing python3"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "test-browser: installing$$missing with apt-get"; \
	    DEBIAN_FRONTEND=noninteractive apt-get update -qq; \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	  else \
	    echo "test-browser: needs the Debian package(s)$$missing (sudo apt-get install$$missing)"; exit 1; \
	  fi; \
	fi
	$(CARGO) build -q -p credvault-api --bin credvault
	@$(WITH_DB) \
	export CREDVAULT_BIN="$$($(CARGO) metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')/debug/credvault"; \
	export CHROMIUM="$(CHROMIUM)"; \
	python3 tests/browser/spa.py

# Needs a running Docker engine: without one the test fails and says what is missing.
docker-test:
	@$(WITH_DB) $(CARGO) test -p credvault-tests --test api container:: -- --ignored --nocapture

db:
	@scripts/dev-db.sh start

stop-db:
	@scripts/dev-db.sh stop
