#!/usr/bin/env bash
# Static code quality of the AArch64 backend without AArch64 hardware: for each kernel in
# examples/kernels/*.tir, the instruction count of our loop body (loop header to back-edge
# branch, from the shared allocator and backend-aarch64 on any host) next to
# aarch64-linux-gnu-gcc -O2 compiling the same kernel in C (backend-aarch64/kernels/NAME.c;
# the loop is the range from a backward branch's target to that branch, from objdump), and
# the ratio. Extra gcc flags keep the C semantics equal to the trace's: -ffp-contract=off
# (no fused multiply-add; the trace rounds twice) and -fno-tree-loop-distribute-patterns
# (keep the copy loop rather than calling memcpy).
# Usage: qemu/insn-count.sh [--listing]    (runs on x86-64 and AArch64 hosts)
set -euo pipefail
cd "$(dirname "$0")/.."

listing=""
[ "${1:-}" = "--listing" ] && listing="--listing"

CC=${CC:-aarch64-linux-gnu-gcc}
OBJDUMP=${OBJDUMP:-aarch64-linux-gnu-objdump}
if [ "$(uname -m)" = aarch64 ] && ! command -v "$CC" >/dev/null; then
  CC=gcc
  OBJDUMP=objdump
fi
command -v "$CC" >/dev/null || { echo "insn-count: $CC not found (run qemu/setup.sh)" >&2; exit 1; }
command -v "$OBJDUMP" >/dev/null || { echo "insn-count: $OBJDUMP not found" >&2; exit 1; }
CFLAGS=(-O2 -ffp-contract=off -fno-tree-loop-distribute-patterns)

kernels=(examples/kernels/*.tir)
[ -e "${kernels[0]}" ] || { echo "insn-count: no examples/kernels/*.tir" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cargo run -q -p backend-aarch64 --example insn_count -- $listing "${kernels[@]}" > "$tmp/ours.txt"

# The largest loop in an object: over all backward branches (b, b.cond, cbz/cbnz, tbz/tbnz),
# the most instructions from the target to the branch inclusive.
gcc_loop() {
  "$OBJDUMP" -d --no-show-raw-insn "$1" | awk '
    function hex(s,   i, v) { v = 0; for (i = 1; i <= length(s); i++) v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1; return v }
    /^ *[0-9a-f]+:\t/ {
      addr = hex(substr($1, 1, length($1) - 1))
      op = $2
      if (op ~ /^(b|b\.[a-z]+|cbz|cbnz|tbz|tbnz)$/ && match($0, /[0-9a-f]+ </)) {
        target = hex(substr($0, RSTART, RLENGTH - 2))
        if (target <= addr) { n = (addr - target) / 4 + 1; if (n > best) best = n }
      }
    }
    END { print best + 0 }'
}

printf '%-12s %8s %8s %8s\n' kernel ours gcc ratio
status=0
while read -r name ours; do
  c="backend-aarch64/kernels/$name.c"
  if [ ! -f "$c" ]; then
    printf '%-12s %8s %8s %8s\n' "$name" "$ours" "-" "no C twin"
    status=1
    continue
  fi
  "$CC" "${CFLAGS[@]}" -c -o "$tmp/$name.o" "$c"
  if [ -n "$listing" ]; then
    echo "gcc $name:" >&2
    "$OBJDUMP" -d --no-show-raw-insn "$tmp/$name.o" | sed -n '/>:$/,$p' >&2
  fi
  theirs=$(gcc_loop "$tmp/$name.o")
  ratio=$(awk -v a="$ours" -v b="$theirs" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')
  printf '%-12s %8s %8s %8s\n' "$name" "$ours" "$theirs" "$ratio"
done < "$tmp/ours.txt"
exit $status
