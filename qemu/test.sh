#!/usr/bin/env bash
# The one test command: formatting, lints, every test on the host, then every test built for
# aarch64-unknown-linux-gnu and run under qemu-aarch64 (ARMv8.0 baseline `cortex-a53`, and the
# differential suite once more with `-cpu max`). Ends with one summary line per architecture.
# Run qemu/setup.sh first on a fresh machine.
set -euo pipefail
cd "$(dirname "$0")/.."

A64=aarch64-unknown-linux-gnu
log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT

# Sums the `test result:` lines of a cargo test log into "N passed, N failed, N ignored".
summarize() {
  awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i) ~ /^passed/) p += $(i-1); if ($(i) ~ /^failed/) f += $(i-1); if ($(i) ~ /^ignored/) g += $(i-1) } }
       END { printf "%d passed, %d failed, %d ignored\n", p, f, g }' "$1"
}

step() { printf '\n=== %s\n' "$*"; }

step "cargo fmt --check"
cargo fmt --all --check

step "cargo clippy (host)"
cargo clippy --workspace --all-targets --quiet -- -D warnings

host=$(uname -m)
step "tests on $host"
status=0
cargo test --workspace 2>&1 | tee "$log/host.txt" || status=1

a64_status=0
if [ "$host" = x86_64 ]; then
  if [ -f qemu/.use-debian-rustc ]; then
    export RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc
  fi
  # Tests that start our own binaries run them under the same emulator.
  export TRACERY_TEST_RUNNER="qemu-aarch64 -L /usr/aarch64-linux-gnu -E LD_LIBRARY_PATH=/usr/aarch64-linux-gnu/lib"
  step "tests on aarch64 under qemu (cortex-a53, ARMv8.0)"
  QEMU_CPU=cortex-a53 cargo test --workspace --target "$A64" 2>&1 | tee "$log/a64.txt" || a64_status=1
  step "differential suite on aarch64 under qemu (-cpu max)"
  QEMU_CPU=max cargo test -p cross-tests --target "$A64" 2>&1 | tee "$log/a64max.txt" || a64_status=1
  cat "$log/a64max.txt" >> "$log/a64.txt"
fi

step "summary"
echo "$host: $(summarize "$log/host.txt")"
if [ "$host" = x86_64 ]; then
  echo "aarch64 (qemu): $(summarize "$log/a64.txt")"
fi
if [ $status -ne 0 ] || [ $a64_status -ne 0 ]; then
  echo "FAILED"
  exit 1
fi
total_p=$(cat "$log"/host.txt "$log"/a64.txt 2>/dev/null > "$log/all.txt"; summarize "$log/all.txt")
echo "total: ${total_p%, * ignored}"
