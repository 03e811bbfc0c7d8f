#!/usr/bin/env bash
# Static code quality of the toy VM's native interpreter on AArch64, without AArch64
# hardware: for a few handlers of examples/toyvm/toyvm.tir, the instruction count of the
# plain copy's handler body (from `tracery asm --target aarch64-unknown-linux-gnu`) next to
# aarch64-linux-gnu-gcc -O2 -S compiling the same handler as a case of a C switch-case
# interpreter (qemu/toyvm-switch.c: same encoding, same overflow and bounds checks), and the
# ratio. Both count one VM instruction's straight path (no check failing), from the handler's
# entry to the point where the next instruction's opcode is in a register, without the
# dispatch jump itself:
# - tracery: the listing of "; fragment NAME (plain copy)" from the first IR line after the
#   "internal entry: inputs" block (those input loads and the prologue exist only because
#   `asm` lists each fragment as a standalone trace; the native interpreter keeps the pinned
#   slots in registers) to the first `icmp.eq %op` (the dispatch, which `asm` lists as a
#   compare chain where the interpreter jumps through a table) or the first exit. Guard
#   branches on the way count once (not taken). For op_jlt that is the taken forward jump
#   (the not-taken and backward cases leave to other fragments).
# - gcc: the loop head's fetch and decode (from the loop head label to the compare that
#   starts the switch's bounds check and jump-table dispatch), plus the case: from its
#   jump-table label along the path that reaches the branch back to the loop head (that
#   branch excluded), following gcc's jumps between shared blocks; conditional branches on
#   the way count once. For jlt gcc selects the target branch-free (csel), so it has one path.
# Usage: qemu/handler-count.sh [--listing]    (runs on x86-64 and AArch64 hosts)
set -euo pipefail
cd "$(dirname "$0")/.."

listing=""
[ "${1:-}" = "--listing" ] && listing=1

CC=${CC:-aarch64-linux-gnu-gcc}
if [ "$(uname -m)" = aarch64 ] && ! command -v "$CC" >/dev/null; then
  CC=gcc
fi
command -v "$CC" >/dev/null || { echo "handler-count: $CC not found (run qemu/setup.sh)" >&2; exit 1; }
command -v python3 >/dev/null || { echo "handler-count: python3 not found" >&2; exit 1; }

handlers=(op_add op_addi op_sub op_mul op_jlt op_jeq op_jmp op_mov op_movi op_load op_store)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cargo run -q -p tracery -- asm examples/toyvm/toyvm.tir --target aarch64-unknown-linux-gnu > "$tmp/tracery.txt"
"$CC" -O2 -S -o "$tmp/gcc.s" qemu/toyvm-switch.c

python3 - "$tmp/tracery.txt" "$tmp/gcc.s" "$listing" "${handlers[@]}" <<'PY'
import re, sys

tracery_path, gcc_path, listing, handlers = sys.argv[1], sys.argv[2], sys.argv[3] == "1", sys.argv[4:]
log = (lambda *a, **k: print(*a, **k, file=sys.stderr)) if listing else (lambda *a, **k: None)
insn_line = re.compile(r"^\s+[0-9a-f]+:\s+[0-9a-f]{8}\s+(.*)$")

text = open(tracery_path).read().splitlines()
def tracery_count(name):
    try:
        i = text.index(f"; fragment {name} (plain copy)")
    except ValueError:
        sys.exit(f"handler-count: no plain copy of {name} in the listing")
    while text[i] != "internal entry: inputs":
        i += 1
    i += 1
    while insn_line.match(text[i]):
        i += 1
    n = 0
    log(f"tracery {name}:")
    for l in text[i:]:
        if l.startswith(";") or re.match(r"^(exit|deopt|link path|common exit)", l) or re.search(r"= icmp\.eq %op,", l):
            break
        m = insn_line.match(l)
        if m:
            n += 1
            log("   ", m.group(1))
    return n

# gcc: split the function into labelled blocks of instructions.
blocks, order, cur, jtab = {}, [], None, []
for raw in open(gcc_path):
    l = raw.split("//")[0].rstrip()
    m = re.match(r"^(\.?\w+):$", l.strip())
    if m:
        cur = m.group(1)
        blocks[cur] = []
        order.append(cur)
        continue
    s = l.strip()
    m = re.match(r"^\.(byte|hword|2byte|word|4byte)\s+\(?(\.L\w+)\s*-", s)
    if m:
        jtab.append(m.group(2))
        continue
    if not s or s.startswith(".") or cur is None:
        continue
    blocks[cur].append(s)
# A label's instructions run on into the next label's (fall through).
def stream(label):
    k = order.index(label)
    for lab in order[k:]:
        for ins in blocks[lab]:
            yield lab, ins
def target(ins):
    m = re.search(r"(\.L\w+)\s*$", ins)
    return m.group(1) if m else None
uncond = lambda ins: re.match(r"^b\s", ins)
cond = lambda ins: re.match(r"^(b\.\w+|b(eq|ne|cs|hs|cc|lo|mi|pl|vs|vc|hi|ls|ge|lt|gt|le)|cbn?z|tbn?z)\s", ins)
# The loop head: the label most unconditional branches go back to.
backs = {}
for lab in order:
    for ins in blocks[lab]:
        if uncond(ins) and target(ins):
            backs[target(ins)] = backs.get(target(ins), 0) + 1
head = max(backs, key=backs.get)
# Fetch and decode: from the loop head to the compare before the first conditional branch.
decode = []
for lab, ins in stream(head):
    if cond(ins):
        if decode and decode[-1].startswith("cmp"):
            decode.pop()
        break
    decode.append(ins)

# Every instruction in order, and where each label starts in that order (a label's
# instructions run on into the next label's).
flat, at = [], {}
for lab in order:
    at[lab] = len(flat)
    flat.extend(blocks[lab])

def walk(pos, depth=0):
    """The instructions from `pos` to a `b` back to the loop head (that branch excluded), or
    None when every way returns. A conditional branch's fall-through is tried first."""
    out = []
    while depth < 64 and pos < len(flat):
        ins = flat[pos]
        if ins.startswith("ret") or ins.startswith("br"):
            return None
        if uncond(ins):
            if target(ins) == head:
                return out
            rest = walk(at[target(ins)], depth + 1)
            return None if rest is None else out + [ins] + rest
        out.append(ins)
        if cond(ins) and target(ins):
            rest = walk(pos + 1, depth + 1)
            if rest is None:
                rest = walk(at[target(ins)], depth + 1)
            return None if rest is None else out + rest
        pos += 1
    return None

# The order of toyvm.tir's dispatch table `ops`, which is the opcode numbering (the C enum
# follows it).
opcodes = ["op_add", "op_addi", "op_jlt", "op_mov", "op_movi", "op_sub", "op_mul", "op_jeq",
           "op_jne", "op_jmp", "op_load", "op_store", "op_call", "op_ret", "op_hash"]
if len(jtab) < 12:
    sys.exit(f"handler-count: gcc made no jump table ({len(jtab)} entries)")
log(f"gcc loop head {head}, fetch and decode: {decode}")
print(f"{'handler':<10} {'tracery':>8} {'gcc':>8} {'ratio':>8}")
for h in handlers:
    ours = tracery_count(h)
    case = walk(at[jtab[opcodes.index(h)]])
    if case is None:
        sys.exit(f"handler-count: no path from gcc's case for {h} back to the loop head")
    theirs = len(decode) + len(case)
    log(f"gcc {h} ({len(decode)} fetch and decode +):", *case, sep="\n    ")
    print(f"{h:<10} {ours:>8} {theirs:>8} {ours / theirs:>8.2f}")
PY
