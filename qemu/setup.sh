#!/usr/bin/env bash
# Installs everything the build and the tests need on Debian/Ubuntu, for the host (x86-64 or
# AArch64) and for the AArch64 cross build run under qemu-user. Idempotent and
# non-interactive: a second run only checks. Fails loudly, naming what could not be installed.
set -euo pipefail

say() { printf 'setup: %s\n' "$*"; }
die() { printf 'setup: FAILED: %s\n' "$*" >&2; exit 1; }

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || die "not root and no sudo: cannot install Debian packages"
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive

command -v cargo >/dev/null || die "cargo not found: install Rust (rustup) first"

host_arch=$(uname -m)
# python3 runs the compare scripts in ../shared/tools; libipt and OpenCSD are the reference
# decoders that the differential tests and benchmarks link against. lua5.4 is the reference
# tracery-lua's conformance outputs come from (lua/tests/bless.sh), luajit the one
# bench/run.sh also measures against.
pkgs=(python3 lua5.4 luajit)
case "$host_arch" in
  x86_64) pkgs+=(gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user libipt-dev libopencsd-dev) ;;
  aarch64) pkgs+=(gcc libopencsd-dev) ;;
  *) die "unsupported host architecture $host_arch (x86_64 or aarch64)" ;;
esac

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  say "installing Debian packages: ${missing[*]}"
  $SUDO apt-get update -qq || die "apt-get update failed"
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
    || die "apt-get install ${missing[*]} failed"
else
  say "Debian packages present: ${pkgs[*]}"
fi

# Rust components used by the test command.
if command -v rustup >/dev/null; then
  for c in rustfmt clippy; do
    if ! rustup component list --installed 2>/dev/null | grep -q "^$c"; then
      say "adding rustup component $c"
      rustup component add "$c" || die "rustup component add $c failed"
    fi
  done
fi

if [ "$host_arch" = x86_64 ]; then
  target=aarch64-unknown-linux-gnu
  if rustup target list --installed 2>/dev/null | grep -qx "$target"; then
    say "rust std for $target present (rustup)"
  elif timeout 300 rustup target add "$target"; then
    say "rust std for $target added with rustup"
  else
    # Fallback: Debian's rustc with an arm64 std. The test command then builds the aarch64
    # half with RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc (see qemu/test.sh).
    say "rustup could not add $target; falling back to Debian rustc-web + arm64 std"
    $SUDO dpkg --add-architecture arm64
    $SUDO apt-get update -qq || die "apt-get update (arm64) failed"
    $SUDO apt-get install -y -qq rustc-web libstd-rust-web-dev:arm64 >/dev/null \
      || die "neither rustup nor Debian could provide the $target standard library"
    touch "$(dirname "$0")/.use-debian-rustc"
  fi
  command -v qemu-aarch64 >/dev/null || die "qemu-aarch64 missing after install"
  command -v aarch64-linux-gnu-gcc >/dev/null || die "aarch64-linux-gnu-gcc missing after install"
fi
say "done ($host_arch)"
