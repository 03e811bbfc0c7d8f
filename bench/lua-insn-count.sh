#!/usr/bin/env bash
# The AArch64 code of tracery-lua's hot traces against gcc -O2 on the same loop in C
# (issue: numeric kernels' loop-body instruction counts). For each kernel the AArch64
# tracery-lua runs the benchmark under qemu-aarch64 with a small size and TRACERY_DUMP=asm;
# the count is trace 1's loop body (from the back-edge's target to the back-edge,
# inclusive), the innermost loop, which is the kernel. The C twin in
# bench/c/NAME.c is compiled with aarch64-linux-gnu-gcc -O2 -ffp-contract=off (the trace
# rounds each operation, as Lua does) and its largest loop counted from objdump.
# Static counts, not time: both run under emulation here. Usage: bench/lua-insn-count.sh
set -euo pipefail
cd "$(dirname "$0")/.."
A64=aarch64-unknown-linux-gnu
CC=${CC:-aarch64-linux-gnu-gcc}
OBJDUMP=${OBJDUMP:-aarch64-linux-gnu-objdump}
command -v "$CC" >/dev/null || { echo "lua-insn-count: $CC not found (run qemu/setup.sh)" >&2; exit 1; }
cargo build -q --release --target "$A64" -p tracery-lua
BIN=target/$A64/release/tracery-lua
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Largest backward-branch loop in objdump output (branch targets as "ADDR <").
gcc_loop() {
  "$OBJDUMP" -d --no-show-raw-insn "$1" | awk '
    function hex(s,   i, v) { v = 0; for (i = 1; i <= length(s); i++) v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1; return v }
    /^ *[0-9a-f]+:\t/ {
      addr = hex(substr($1, 1, length($1) - 1)); op = $2
      if (op ~ /^(b|b\.[a-z]+|cbz|cbnz|tbz|tbnz)$/ && match($0, /[0-9a-f]+ </)) {
        target = hex(substr($0, RSTART, RLENGTH - 2))
        if (target <= addr) { n = (addr - target) / 4 + 1; if (n > best) best = n }
      }
    }
    END { print best + 0 }'
}

# The loop of trace 1 (the innermost loop, the first to get hot) in a TRACERY_DUMP=asm
# listing: its "ADDR:  WORD  b $-0xOFF" line before the exit stubs is the back-edge (the
# stubs' own jumps go back to the shared exit code).
trace_loop() {
  awk '
    function hex(s,   i, v, c) { v = 0; s = tolower(s); for (i = 1; i <= length(s); i++) { c = index("0123456789abcdef", substr(s, i, 1)); if (c == 0) break; v = v * 16 + c - 1 } return v }
    /^--- trace/ { first = ($3 == "1"); stubs = 0 }
    /^exit stub/ { stubs = 1 }
    first && !stubs && $3 == "b" && $4 ~ /^\$-0x/ { n = hex(substr($4, 5)) / 4 + 1; if (n > best) best = n }
    END { print best + 0 }' "$1"
}

printf '%-12s %8s %8s %8s\n' kernel trace gcc ratio
for k in loop_sum:1000 mandelbrot:40 matrix_mul:24; do
  name=${k%%:*}; size=${k#*:}
  TRACERY_DUMP=asm qemu-aarch64 -L /usr/aarch64-linux-gnu "$BIN" "bench/lua/$name.lua" "$size" \
    > /dev/null 2> "$tmp/$name.asm"
  ours=$(trace_loop "$tmp/$name.asm")
  "$CC" -O2 -ffp-contract=off -c -o "$tmp/$name.o" "bench/c/$name.c"
  theirs=$(gcc_loop "$tmp/$name.o")
  ratio=$(awk -v a="$ours" -v b="$theirs" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')
  printf '%-12s %8s %8s %8s\n' "$name" "$ours" "$theirs" "$ratio"
done
