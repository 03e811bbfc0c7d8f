#!/usr/bin/env bash
# bench/run.sh [--runs N] [FILTER]
#
# Times every benchmark in bench/lua/*.lua (or those whose name contains FILTER) under four
# engines on the same file and arguments:
#   tracery-on   $TRACERY_LUA $TRACERY_LUA_FLAGS_ON   (default flags: -j on)
#   tracery-off  $TRACERY_LUA $TRACERY_LUA_FLAGS_OFF  (default flags: -j off)
#   lua5.4       the reference interpreter (PUC Lua 5.4, $LUA54, default lua5.4)
#   luajit       LuaJIT ($LUAJIT, default luajit; skipped with "n/a" if missing)
# and compares everything against lua5.4: ratio = lua5.4 time / engine time (higher is faster).
#
# Each benchmark runs N times (default 5) per engine; the four engines are interleaved within
# each run (and their order rotated) so they share machine noise; the median wall time is
# reported. Every engine's stdout must equal lua5.4's: a differing output or a failing run is
# shown as MISMATCH / FAIL instead of a ratio, and is left out of the geometric means.
#
# The tracery-lua binary is ${TRACERY_LUA:-target/release/tracery-lua}, relative to the repo root;
# build it with:   cargo build --release -p tracery-lua
# Self-test without tracery:  TRACERY_LUA=lua5.4 TRACERY_LUA_FLAGS_ON= TRACERY_LUA_FLAGS_OFF= bench/run.sh --runs 1
# Other knobs: BENCH_ARGS (extra arguments for every benchmark, e.g. a smaller size),
#              BENCH_TIMEOUT (seconds per single run, default 300).
# Needs only bash and python3.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
RUNS=5
FILTER=""
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) RUNS="$2"; shift 2 ;;
    --runs=*) RUNS="${1#--runs=}"; shift ;;
    -h|--help) sed -n '2,25p' "$0"; exit 0 ;;
    *) FILTER="$1"; shift ;;
  esac
done

TR="${TRACERY_LUA:-target/release/tracery-lua}"
case "$TR" in
  */*) case "$TR" in /*) ;; *) TR="$ROOT/$TR" ;; esac
       if [ ! -x "$TR" ]; then
         echo "error: tracery-lua not found at $TR" >&2
         echo "       build it with: cargo build --release -p tracery-lua   (or set TRACERY_LUA)" >&2
         exit 1
       fi ;;
  *) if ! command -v "$TR" >/dev/null 2>&1; then
       echo "error: tracery-lua command '$TR' not found on PATH (set TRACERY_LUA)" >&2; exit 1
     fi ;;
esac
LUA54="${LUA54:-lua5.4}"
if ! command -v "$LUA54" >/dev/null 2>&1; then echo "error: reference interpreter '$LUA54' not found" >&2; exit 1; fi
LUAJIT="${LUAJIT:-luajit}"
command -v "$LUAJIT" >/dev/null 2>&1 || LUAJIT=""

export BENCH_ROOT="$ROOT" BENCH_RUNS="$RUNS" BENCH_FILTER="$FILTER" BENCH_TR="$TR" BENCH_LUA54="$LUA54" BENCH_LUAJIT="$LUAJIT"
export BENCH_FLAGS_ON="${TRACERY_LUA_FLAGS_ON--j on}" BENCH_FLAGS_OFF="${TRACERY_LUA_FLAGS_OFF--j off}"
exec python3 - <<'PY'
import glob, math, os, shlex, subprocess, sys, time

root = os.environ["BENCH_ROOT"]
runs = int(os.environ["BENCH_RUNS"])
filt = os.environ["BENCH_FILTER"]
extra = shlex.split(os.environ.get("BENCH_ARGS", ""))
timeout = float(os.environ.get("BENCH_TIMEOUT", "300"))
engines = [
    ("tracery-on", [os.environ["BENCH_TR"]] + shlex.split(os.environ["BENCH_FLAGS_ON"])),
    ("tracery-off", [os.environ["BENCH_TR"]] + shlex.split(os.environ["BENCH_FLAGS_OFF"])),
    ("lua5.4", [os.environ["BENCH_LUA54"]]),
    ("luajit", [os.environ["BENCH_LUAJIT"]] if os.environ["BENCH_LUAJIT"] else None),
]
REF = "lua5.4"
files = sorted(f for f in glob.glob(os.path.join(root, "bench", "lua", "*.lua"))
               if filt in os.path.basename(f)[:-4])
if not files:
    sys.exit("error: no benchmark matches '%s'" % filt)
print("engines:", "; ".join("%s = %s" % (n, " ".join(c) if c else "n/a (not installed)") for n, c in engines))
print("runs per engine: %d, extra args: %s" % (runs, " ".join(extra) or "(none)"))
sys.stdout.flush()

def run_once(cmd, path):
    t0 = time.perf_counter()
    try:
        p = subprocess.run(cmd + [path] + extra, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           cwd=os.path.dirname(path), timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, b"", "timeout after %gs" % timeout
    dt = time.perf_counter() - t0
    if p.returncode != 0:
        err = p.stderr.decode(errors="replace").strip().splitlines()
        return None, p.stdout, "exit %d: %s" % (p.returncode, err[0] if err else "")
    return dt, p.stdout, None

rows, notes = [], []
for path in files:
    name = os.path.basename(path)[:-4]
    times = {n: [] for n, c in engines if c}
    outs, fails = {}, {}
    active = [(n, c) for n, c in engines if c]
    for r in range(runs):
        k = r % len(active)
        for n, c in active[k:] + active[:k]:
            if n in fails:
                continue
            dt, out, err = run_once(c, path)
            if err:
                fails[n] = err
                continue
            times[n].append(dt)
            outs.setdefault(n, out)
    med = {}
    for n, ts in times.items():
        if ts and n not in fails:
            ts = sorted(ts)
            m = len(ts)
            med[n] = ts[m // 2] if m % 2 else (ts[m // 2 - 1] + ts[m // 2]) / 2
    status = {}
    for n, c in engines:
        if not c:
            status[n] = "n/a"
        elif n in fails:
            status[n] = "FAIL"
            notes.append("%s: %s %s" % (name, n, fails[n]))
        elif REF in outs and outs[n] != outs[REF]:
            status[n] = "MISMATCH"
            a = outs[REF].decode(errors="replace").strip().splitlines()[:1]
            b = outs[n].decode(errors="replace").strip().splitlines()[:1]
            notes.append("%s: %s output differs from lua5.4 (lua5.4: %r, %s: %r)" % (name, n, a, n, b))
        else:
            status[n] = "ok"
    rows.append((name, med, status))
    ref = med.get(REF)
    cells = []
    for n, c in engines:
        cells.append("%s=%s" % (n, ("%.3f" % med[n]) if n in med else status[n]))
    print("  %-16s %s" % (name, "  ".join(cells)))
    sys.stdout.flush()

names = [n for n, _ in engines]
ratio_names = [n for n in names if n != REF]
hdr = ["benchmark"] + [n + " s" for n in names] + [n + " x" for n in ratio_names]
table = []
logs = {n: [] for n in ratio_names}
for name, med, status in rows:
    line = [name]
    for n in names:
        line.append("%.3f" % med[n] if n in med else status[n])
    ref = med.get(REF) if status.get(REF) == "ok" else None
    for n in ratio_names:
        if status[n] != "ok" or n not in med or ref is None:
            line.append(status[n] if status[n] != "ok" else "-")
        else:
            x = ref / med[n]
            logs[n].append(math.log(x))
            line.append("%.2f" % x)
    table.append(line)
gm = ["geomean"] + [""] * len(names)
for n in ratio_names:
    gm.append("%.2f" % math.exp(sum(logs[n]) / len(logs[n])) if logs[n] else "-")
table.append(gm)
w = [max(len(str(r[i])) for r in [hdr] + table) for i in range(len(hdr))]
print()
print("ratio x = lua5.4 time / engine time (higher is faster); times are medians of %d runs" % runs)
fmt = lambda r: "  ".join(str(c).ljust(w[0]) if i == 0 else str(c).rjust(w[i]) for i, c in enumerate(r))
print(fmt(hdr))
print("  ".join("-" * x for x in w))
for r in table[:-1]:
    print(fmt(r))
print("  ".join("-" * x for x in w))
print(fmt(table[-1]))
if notes:
    print()
    print("problems:")
    for n in notes:
        print("  " + n)
    sys.exit(2)
PY
