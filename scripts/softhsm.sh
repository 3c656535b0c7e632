#!/usr/bin/env bash
# SoftHSM2, the software PKCS#11 token the HSM tests and `make bench` run against.
#
#   scripts/softhsm.sh module   make sure SoftHSM2 is installed (as root with apt-get, else say
#                               which package to install) and print the module's path
#
# Debian's package `softhsm2` puts the module at /usr/lib/softhsm/libsofthsm2.so (a link to the
# multiarch path); a source build puts it under /usr/local/lib/softhsm.
set -euo pipefail

say() { echo "softhsm: $*" >&2; }
die() { echo "softhsm: error: $*" >&2; exit 1; }

find_module() {
  local m
  for m in /usr/lib/softhsm/libsofthsm2.so /usr/lib/*-linux-gnu/softhsm/libsofthsm2.so \
           /usr/local/lib/softhsm/libsofthsm2.so; do
    if [ -e "$m" ]; then echo "$m"; return 0; fi
  done
  return 1
}

installed() { command -v softhsm2-util >/dev/null 2>&1 && find_module >/dev/null; }

install_softhsm() {
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "SoftHSM2 not found; installing the 'softhsm2' package with apt-get"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq softhsm2 >&2
  else
    die "SoftHSM2 (softhsm2-util and libsofthsm2.so) not found; the HSM tests need it. Install the 'softhsm2' package, e.g. 'sudo apt-get install softhsm2' (Debian/Ubuntu)."
  fi
}

case "${1:-}" in
  module)
    installed || { install_softhsm; installed || die "SoftHSM2 still not found after installing"; }
    find_module
    ;;
  *)
    die "usage: scripts/softhsm.sh module"
    ;;
esac
