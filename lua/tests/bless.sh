#!/usr/bin/env bash
# Writes NAME.expected for every conformance program from Debian's lua5.4 (qemu/setup.sh
# installs it): the exit status, the first line of stderr, then stdout.
set -euo pipefail
cd "$(dirname "$0")/lua"
for f in ${1:-*.lua}; do
  case "$f" in lib_*) continue ;; esac
  set +e
  lua5.4 "$f" > /tmp/bless.out 2> /tmp/bless.err
  code=$?
  set -e
  { echo "exit $code"; echo "stderr $(head -n1 /tmp/bless.err)"; echo "---"; cat /tmp/bless.out; } > "${f%.lua}.expected"
done
