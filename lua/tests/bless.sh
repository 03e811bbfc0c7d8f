#!/usr/bin/env bash
# Writes NAME.expected for every conformance program from Debian's lua5.4 (qemu/setup.sh
# installs it): the exit status, the first line of stderr, then stdout.
set -euo pipefail
cd "$(dirname "$0")/lua"
luabin=$(mktemp -d)
trap 'rm -rf "$luabin"' EXIT
ln -s "$(command -v lua5.4)" "$luabin/lua"
for f in ${1:-*.lua}; do
  case "$f" in lib_*) continue ;; esac
  set +e
  # Run as `lua` so messages start "lua: ", as the issue and tracery-lua print them.
  PATH="$luabin:$PATH" lua "$f" > /tmp/bless.out 2> /tmp/bless.err
  code=$?
  set -e
  { echo "exit $code"; echo "stderr $(head -n1 /tmp/bless.err)"; echo "---"; cat /tmp/bless.out; } > "${f%.lua}.expected"
done
