//! The VM's handlers as a fragment program.
//!
//! Every opcode has an entry in the dispatch table `ops`. An opcode with a fast path has its
//! own fragment: straight-line IR for the common types (integer and float arithmetic,
//! register moves, integer loops), with guards whose failure goes to `slow`. Every other
//! opcode, and every fast path's uncommon case, goes to `slow`, which calls `lua_exec`: the
//! native helper that runs one instruction with Lua's full semantics (metamethods, coercions,
//! errors, calls). The helper's status says where to go next (`STATUS_*`).
//!
//! Frames change only inside helpers, so `base` and `k` are reloaded from the state
//! (`reload`) after a helper says so, and the reloaded pc and constants are promoted: a trace
//! that went through a call or a return knows where it is.

use trace_ir::fragment::{Program, ProgramBuilder};
use trace_ir::{
    BinOp, Builder, CallEffect, CallHint, Callee, Conv, FCmp, ICmp, MemClass, Op as IrOp, SnapTo, Trace,
    Type, UnOp, Value,
};

use crate::bytecode::{Op, OP_COUNT};
use crate::state::{
    CI_BASE, CI_FUNC, CI_HANDLER, CI_KIND, CI_NRESULTS, CI_PC, CI_PROTO, CI_RET, CI_SIZE, CI_TOP,
};
use crate::state::{FP_CODE, FP_FRAME, FP_K};
use crate::table::{
    KEYBITS_SHIFT, NODE_KEY, NODE_SIZE, NODE_VAL, TABLE_ARRAY, TABLE_ASIZE, TABLE_HMASK, TABLE_KEYBITS,
    TABLE_META, TABLE_NODE,
};
use crate::value::{
    TVALUE_TAG, T_FALSE, T_FLOAT, T_INT, T_LCLOSURE, T_NATIVE, T_NIL, T_STR, T_TABLE, T_TRUE, T_USERDATA,
};
use crate::vm::thread::{
    MAX_FRAMES, THREAD_CI_BUF, THREAD_CI_CAP, THREAD_CI_LEN, THREAD_LIMIT, THREAD_TOP, THREAD_USED,
};

/// The slots of the VM state.
pub const PC: u32 = 0;
/// The current function's constants (`K[i]` is at `k + 16 * i`).
pub const K: u32 = 1;
/// The current frame's first register (`R[i]` is at `base + 16 * i`).
pub const BASE: u32 = 2;
/// The `State` (constant for a run).
pub const L: u32 = 3;
/// The opcode a dispatch goes on.
pub const OP: u32 = 4;
/// A helper's status, for `status`.
pub const ST: u32 = 5;
pub const SLOTS: usize = 6;

/// What `lua_exec` returns.
pub const STATUS_NEXT: u64 = 0;
/// The frame or the pc changed: reload them from the state.
pub const STATUS_RELOAD: u64 = 1;
/// A backward jump: reload, then go through the control point.
pub const STATUS_LOOP: u64 = 2;
/// Leave to the host (an error to unwind, the end of the program, a coroutine switch the
/// host does).
pub const STATUS_HOST: u64 = 3;

/// The helper's symbol.
pub const EXEC_SYMBOL: &str = "lua_exec";

/// Resume words of host exits.
pub const RESUME_HELPER: u64 = 1;
pub const RESUME_BAD_OPCODE: u64 = 2;

/// Offsets of the registers in `State` that fragments read.
pub const OFF_PC: i32 = 0;
pub const OFF_BASE: i32 = 8;
pub const OFF_K: i32 = 16;
/// The running thread (`State::thread`), for the frames CALL and RETURN push and pop.
pub const OFF_THREAD: i32 = std::mem::offset_of!(crate::state::State, thread) as i32;
pub const OFF_INDEX_KEY: i32 = std::mem::offset_of!(crate::state::State, index_key) as i32;
pub const OFF_STRING_META: i32 = std::mem::offset_of!(crate::state::State, string_meta) as i32;
pub const OFF_NEWINDEX_KEY: i32 = std::mem::offset_of!(crate::state::State, newindex_key) as i32;

const I64: Type = Type::I64;
const F64: Type = Type::F64;

/// Library functions that CALL does in place (`Native::builtin`): the index into the
/// dispatch table `natives`, whose entry 0 is `slow`.
pub const BUILTIN_SQRT: u64 = 1;
pub const BUILTIN_ABS: u64 = 2;

/// The fragment ids a handler may name.
#[derive(Clone, Copy)]
struct Ids {
    table: u32,
    fetch: u32,
    lp: u32,
    slow: u32,
    /// SELF on a string.
    self_str: u32,
    /// CALL of a native.
    call_native: u32,
}

/// One handler under construction.
struct H {
    b: Builder,
    ids: Ids,
    pc: Value,
    base: Value,
    ins: Value,
    /// Pointers to heap memory (objects and their buffers, never the Lua stack): accesses
    /// through them are `MemClass::Heap` (see `classify`).
    heap: Vec<Value>,
}

/// Gives each load and store of a finished handler its memory class: `Frame` through the
/// frame's base (registers, the function slot below them) or the constants, `Heap` through a
/// pointer the handler marked (`H::heap`) or the state, `Any` otherwise (an open upvalue's
/// value pointer, a frame pointer read from a CallInfo). Addresses are followed through
/// `add` (to the operand that has a class) and `select` (when both arms agree).
fn classify(t: &mut Trace, heap: &[Value]) {
    let n = t.insts.len();
    let mut class: Vec<Option<MemClass>> = vec![None; n];
    for i in 0..n {
        class[i] = match &t.insts[i].op {
            IrOp::Input { slot } if *slot == BASE || *slot == K => Some(MemClass::Frame),
            IrOp::Input { slot } if *slot == L => Some(MemClass::Heap),
            _ if heap.contains(&Value(i as u32)) => Some(MemClass::Heap),
            IrOp::Bin(BinOp::Add, a, b) => class[a.index()].or(class[b.index()]),
            IrOp::Bin(BinOp::Sub, a, _) => class[a.index()],
            IrOp::Select(_, a, b) if class[a.index()] == class[b.index()] => class[a.index()],
            _ => None,
        };
    }
    for inst in t.insts.iter_mut() {
        match &mut inst.op {
            IrOp::Load { base, mem, .. } | IrOp::Store { base, mem, .. } => {
                *mem = class[base.index()].unwrap_or(MemClass::Any);
            }
            _ => {}
        }
    }
}

impl H {
    fn new(name: &str, ids: Ids) -> H {
        let mut b = Builder::named(name);
        let pc = b.input(PC, I64);
        b.name(pc, "pc");
        let base = b.input(BASE, I64);
        b.name(base, "base");
        let ins = b.load(I64, pc, 0, true);
        b.name(ins, "ins");
        H { b, ids, pc, base, ins, heap: Vec::new() }
    }

    /// Marks `v` as a pointer to heap memory (see `classify`).
    fn heap(&mut self, v: Value) -> Value {
        self.heap.push(v);
        v
    }

    /// Finishes the handler at `s`, its accesses classified.
    fn exit(self, s: trace_ir::SnapId) -> Trace {
        let mut t = self.b.exit(s);
        classify(&mut t, &self.heap);
        t
    }

    fn c(&mut self, v: i64) -> Value {
        self.b.iconst(I64, v)
    }

    /// Field `(ins >> shift) & mask`.
    fn field(&mut self, shift: i64, mask: i64, name: &str) -> Value {
        let s = self.c(shift);
        let m = self.c(mask);
        let x = self.b.bin(BinOp::LShr, self.ins, s);
        let f = self.b.bin(BinOp::And, x, m);
        self.b.name(f, name)
    }

    fn a(&mut self) -> Value {
        self.field(8, 0xffff, "a")
    }

    fn b_(&mut self) -> Value {
        self.field(24, 0xffff, "b")
    }

    fn c_(&mut self) -> Value {
        self.field(40, 0xffff, "c")
    }

    /// The signed sBx field (bits 24..56): up to the top, then an arithmetic shift down.
    fn sbx(&mut self) -> Value {
        let s = self.c(8);
        let x = self.b.bin(BinOp::Shl, self.ins, s);
        let s8 = self.c(32);
        let y = self.b.bin(BinOp::AShr, x, s8);
        self.b.name(y, "sbx")
    }

    /// The address of register `r`: `base + 16 * r`.
    fn reg(&mut self, r: Value) -> Value {
        let four = self.c(4);
        let off = self.b.bin(BinOp::Shl, r, four);
        self.b.bin(BinOp::Add, self.base, off)
    }

    /// The address of constant `i`: `k + 16 * i`.
    fn konst(&mut self, i: Value) -> Value {
        let k = self.b.input(K, I64);
        self.b.name(k, "k");
        let four = self.c(4);
        let off = self.b.bin(BinOp::Shl, i, four);
        self.b.bin(BinOp::Add, k, off)
    }

    /// An operand that is `K[x]` when the flag at bit `flag` is set, else `R[x]`: guards on
    /// which it is (the flag is constant in a trace, so the guard folds).
    fn rk(&mut self, x: Value, flag: i64) -> Value {
        let bit = self.c(1 << flag);
        let f = self.b.bin(BinOp::And, self.ins, bit);
        let zero = self.c(0);
        let is_k = self.b.icmp(ICmp::Ne, f, zero);
        let r = self.reg(x);
        let k = self.konst(x);
        self.b.select(is_k, k, r)
    }

    /// Leaves to `slow` (the helper runs this instruction) unless `cond` holds.
    fn or_slow(&mut self, cond: Value) {
        let s = self.b.snapshot_to(SnapTo::Fragment(self.ids.slow), 0, &[]);
        self.b.guard(cond, s);
    }

    /// The number at `at` as a float (an integer converted), or the helper's.
    fn as_float(&mut self, at: Value) -> Value {
        let t = self.b.load(I64, at, 0, false);
        let v = self.b.load(I64, at, 8, false);
        let int = self.c(T_INT as i64);
        let flt = self.c(T_FLOAT as i64);
        let is_int = self.b.icmp(ICmp::Eq, t, int);
        let is_flt = self.b.icmp(ICmp::Eq, t, flt);
        let num = self.b.bin(BinOp::Or, is_int, is_flt);
        self.or_slow(num);
        let from_int = self.b.conv(Conv::SIToFP, v, F64);
        let bits = self.b.conv(Conv::Bitcast, v, F64);
        self.b.select(is_int, from_int, bits)
    }

    /// An i1 constant.
    fn flag(&mut self, v: bool) -> Value {
        let zero = self.c(0);
        self.b.icmp(if v { ICmp::Eq } else { ICmp::Ne }, zero, zero)
    }

    /// The negation of an i1.
    fn not(&mut self, v: Value) -> Value {
        let t = self.flag(true);
        self.b.bin(BinOp::Xor, v, t)
    }

    /// Whether `tab` has a metatable, and a probe of it for the interned name the state
    /// keeps at `name_at` (`OFF_INDEX_KEY`, ...). Without a metatable, `tab` itself is
    /// probed instead, so that every load is valid; callers ignore that probe.
    fn probe_meta(&mut self, tab: Value, name_at: i32) -> (Value, Probe) {
        let zero = self.c(0);
        let mt = self.b.load(I64, tab, TABLE_META as i32, false);
        let mt = self.heap(mt);
        let has_mt = self.b.icmp(ICmp::Ne, mt, zero);
        let l = self.b.input(L, I64);
        let key = self.b.load(I64, l, name_at, false);
        let mtab = self.b.select(has_mt, mt, tab);
        (has_mt, self.probe(mtab, key))
    }

    /// Guards that the value at `at` has tag `tag`.
    fn tag_is(&mut self, at: Value, tag: u64) {
        let t = self.b.load(I64, at, 0, false);
        let want = self.c(tag as i64);
        let ok = self.b.icmp(ICmp::Eq, t, want);
        self.or_slow(ok);
    }

    fn next_pc(&mut self) -> Value {
        let eight = self.c(8);
        let v = self.b.bin(BinOp::Add, self.pc, eight);
        self.b.name(v, "pc1")
    }

    /// `pc + 8 * (1 + sBx)`.
    fn target(&mut self) -> Value {
        let pc1 = self.next_pc();
        let sbx = self.sbx();
        let three = self.c(3);
        let off = self.b.bin(BinOp::Shl, sbx, three);
        let t = self.b.bin(BinOp::Add, pc1, off);
        self.b.name(t, "target")
    }

    /// Fetches the instruction at `pc` and dispatches on its opcode.
    fn dispatch(self, pc: Value) -> Trace {
        self.dispatch_in(pc, &[])
    }

    /// `dispatch`, in another frame (`extra` sets its K and BASE).
    fn dispatch_in(mut self, pc: Value, extra: &[(u32, Value)]) -> Trace {
        let (s, _) = dispatch_snap(&mut self.b, self.ids.table, pc, extra);
        self.exit(s)
    }

    /// Makes the state's registers name the frame the fragment goes on in: helpers that
    /// only move the pc leave base and k to be reloaded from there.
    fn set_frame(&mut self, base: Value, k: Value) {
        let l = self.b.input(L, I64);
        self.b.store(l, OFF_BASE, base);
        self.b.store(l, OFF_K, k);
    }

    /// The running thread.
    fn thread(&mut self) -> Value {
        let l = self.b.input(L, I64);
        self.b.name(l, "L");
        let th = self.b.load(I64, l, OFF_THREAD, false);
        let th = self.heap(th);
        self.b.name(th, "thread")
    }

    /// Continues at `t`, through the control point when the jump goes backwards.
    fn jump_to(mut self, t: Value) -> Trace {
        let back = self.b.icmp(ICmp::Ult, t, self.pc);
        let s = self.b.snapshot_to(SnapTo::Fragment(self.ids.lp), 0, &[(PC, t)]);
        self.b.guard_not(back, s);
        self.dispatch(t)
    }

    fn store_tv_at(&mut self, at: Value, disp: i32, tag: u64, val: Value) {
        let t = self.c(tag as i64);
        self.b.store(at, disp, t);
        self.b.store(at, disp + 8, val);
    }

    fn store_tv(&mut self, at: Value, tag: u64, val: Value) {
        let t = self.c(tag as i64);
        self.b.store(at, 0, t);
        self.b.store(at, 8, val);
    }
}

/// A dispatch on the instruction at `pc`, with `extra` slot writes.
fn dispatch_snap(
    b: &mut Builder,
    table: u32,
    pc: Value,
    extra: &[(u32, Value)],
) -> (trace_ir::SnapId, Value) {
    let ins = b.load(I64, pc, 0, true);
    let m = b.iconst(I64, 0xff);
    let op = b.bin(BinOp::And, ins, m);
    b.name(op, "op");
    let mut entries = vec![(PC, pc), (OP, op)];
    entries.extend_from_slice(extra);
    let s = b.snapshot_to(SnapTo::Dispatch { table, slot: OP }, RESUME_BAD_OPCODE, &entries);
    (s, op)
}

/// Arithmetic on two integers (add, sub, mul: they wrap in Lua, so plain machine
/// arithmetic) or two floats (div). Anything else is the helper's.
fn arith(ids: Ids, name: &str, op: Op, float_frag: Option<u32>) -> Trace {
    let mut h = H::new(name, ids);
    let b = h.b_();
    let c = h.c_();
    let rb = h.rk(b, 56);
    let rc = h.rk(c, 57);
    // Two integers here; two floats (or anything else) in the float variant, if any.
    let int = h.c(T_INT as i64);
    for r in [rb, rc] {
        let t = h.b.load(I64, r, 0, false);
        let ok = h.b.icmp(ICmp::Eq, t, int);
        let to = float_frag.unwrap_or(ids.slow);
        let s = h.b.snapshot_to(SnapTo::Fragment(to), 0, &[]);
        h.b.guard(ok, s);
    }
    let vb = h.b.load(I64, rb, 8, false);
    let vc = h.b.load(I64, rc, 8, false);
    let a = h.a();
    let ra = h.reg(a);
    let (v, tag) = match op {
        Op::Add => (h.b.bin(BinOp::Add, vb, vc), T_INT),
        Op::Sub => (h.b.bin(BinOp::Sub, vb, vc), T_INT),
        Op::Mul => (h.b.bin(BinOp::Mul, vb, vc), T_INT),
        Op::Mod | Op::IDiv => {
            // 0 and -1 divisors (errors, and MIN % -1) are the helper's.
            let zero = h.c(0);
            let m1 = h.c(-1);
            let nz = h.b.icmp(ICmp::Ne, vc, zero);
            h.or_slow(nz);
            let nm1 = h.b.icmp(ICmp::Ne, vc, m1);
            h.or_slow(nm1);
            let r = h.b.bin(BinOp::SRem, vb, vc);
            let r_nz = h.b.icmp(ICmp::Ne, r, zero);
            let x = h.b.bin(BinOp::Xor, r, vc);
            let neg = h.b.icmp(ICmp::Slt, x, zero);
            let r64 = h.b.conv(Conv::ZExt, r_nz, I64);
            let n64 = h.b.conv(Conv::ZExt, neg, I64);
            let adj = h.b.bin(BinOp::And, r64, n64);
            if op == Op::Mod {
                // r + b when r and b have opposite signs.
                let add = h.b.bin(BinOp::Mul, adj, vc);
                (h.b.bin(BinOp::Add, r, add), T_INT)
            } else {
                let q = h.b.bin(BinOp::SDiv, vb, vc);
                (h.b.bin(BinOp::Sub, q, adj), T_INT)
            }
        }
        _ => {
            // Div of two integers: as floats.
            let fb = h.b.conv(Conv::SIToFP, vb, F64);
            let fc = h.b.conv(Conv::SIToFP, vc, F64);
            let q = h.b.bin(BinOp::FDiv, fb, fc);
            (h.b.conv(Conv::Bitcast, q, I64), T_FLOAT)
        }
    };
    h.store_tv(ra, tag, v);
    let pc1 = h.next_pc();
    h.dispatch(pc1)
}

/// The float variants of ADD/SUB/MUL/DIV: two floats (`mixed` is None), else on to the
/// mixed variant (`mixed` given): two numbers, not both integers (the integer fragment took
/// those), an integer converted as Lua converts it; else the helper.
fn arith_float(ids: Ids, name: &str, op: Op, mixed: Option<u32>) -> Trace {
    let mut h = H::new(name, ids);
    let b = h.b_();
    let c = h.c_();
    let rb = h.rk(b, 56);
    let rc = h.rk(c, 57);
    let (fb, fc) = match mixed {
        Some(m) => {
            let flt = h.c(T_FLOAT as i64);
            let f = |h: &mut H, at: Value| {
                let t = h.b.load(I64, at, 0, false);
                let ok = h.b.icmp(ICmp::Eq, t, flt);
                let s = h.b.snapshot_to(SnapTo::Fragment(m), 0, &[]);
                h.b.guard(ok, s);
                let v = h.b.load(I64, at, 8, false);
                h.b.conv(Conv::Bitcast, v, F64)
            };
            (f(&mut h, rb), f(&mut h, rc))
        }
        None => (h.as_float(rb), h.as_float(rc)),
    };
    let fop = match op {
        Op::Add => BinOp::FAdd,
        Op::Sub => BinOp::FSub,
        Op::Mul => BinOp::FMul,
        _ => BinOp::FDiv,
    };
    let r = h.b.bin(fop, fb, fc);
    let bits = h.b.conv(Conv::Bitcast, r, I64);
    let a = h.a();
    let ra = h.reg(a);
    h.store_tv(ra, T_FLOAT, bits);
    let pc1 = h.next_pc();
    h.dispatch(pc1)
}

impl H {
    /// After a comparison or test whose outcome is `cond`: the JMP that follows is taken
    /// when the outcome equals the instruction's k flag, otherwise skipped.
    fn cond_jump(mut self, cond: Value) -> Trace {
        let c64 = self.b.conv(Conv::ZExt, cond, I64);
        let kbit = self.field(58, 1, "k");
        let taken = self.b.icmp(ICmp::Eq, c64, kbit);
        let pc1 = self.next_pc();
        let eight = self.c(8);
        let pc2 = self.b.bin(BinOp::Add, pc1, eight);
        let skip = self.b.snapshot_to(SnapTo::Fragment(self.ids.fetch), 0, &[(PC, pc2)]);
        self.b.guard(taken, skip);
        // The JMP at pc + 1: its target, relative to pc + 2.
        let j = self.b.load(I64, pc1, 0, true);
        let s8 = self.c(8);
        let x = self.b.bin(BinOp::Shl, j, s8);
        let s32 = self.c(32);
        let sbx = self.b.bin(BinOp::AShr, x, s32);
        let three = self.c(3);
        let off = self.b.bin(BinOp::Shl, sbx, three);
        let t = self.b.bin(BinOp::Add, pc2, off);
        self.jump_to(t)
    }
}

/// FORLOOP with an integer step: count down, step the index, jump back while the count
/// lasts. A float loop is the helper's.
fn forloop(ids: Ids, name: &str) -> Trace {
    let mut h = H::new(name, ids);
    let a = h.a();
    let ra = h.reg(a);
    h.b.name(ra, "ra");
    // R[A+2], the step, decides the kind of loop.
    let step_tag = h.b.load(I64, ra, 32, false);
    let int = h.c(T_INT as i64);
    let is_int = h.b.icmp(ICmp::Eq, step_tag, int);
    h.or_slow(is_int);
    let count = h.b.load(I64, ra, 24, false);
    let zero = h.c(0);
    let done = h.b.icmp(ICmp::Eq, count, zero);
    let pc1 = h.next_pc();
    let exit = h.b.snapshot_to(SnapTo::Fragment(ids.fetch), 0, &[(PC, pc1)]);
    h.b.guard_not(done, exit);
    let one = h.c(1);
    let c1 = h.b.bin(BinOp::Sub, count, one);
    h.b.store(ra, 24, c1);
    let i = h.b.load(I64, ra, 8, false);
    let step = h.b.load(I64, ra, 40, false);
    let i1 = h.b.bin(BinOp::Add, i, step);
    h.b.name(i1, "i");
    h.b.store(ra, 8, i1);
    h.store_tv_at(ra, 48, T_INT, i1);
    let t = h.target();
    h.jump_to(t)
}

/// FORPREP of an integer loop (integer start, limit and step): the iteration count into
/// R[A+1] and the control variable into R[A+3], as `forloop::prep` computes them; a loop
/// that runs no iteration jumps past its FORLOOP. Float loops, a zero step and limits that
/// are not integers are the helper's.
fn forprep(ids: Ids, name: &str) -> Trace {
    let mut h = H::new(name, ids);
    let a = h.a();
    let ra = h.reg(a);
    h.tag_is(ra, T_INT);
    let sixteen = h.c(16);
    let r1 = h.b.bin(BinOp::Add, ra, sixteen);
    h.tag_is(r1, T_INT);
    let thirty_two = h.c(32);
    let r2 = h.b.bin(BinOp::Add, ra, thirty_two);
    h.tag_is(r2, T_INT);
    let i = h.b.load(I64, ra, 8, false);
    let lim = h.b.load(I64, ra, 24, false);
    let step = h.b.load(I64, ra, 40, false);
    let zero = h.c(0);
    let nonzero = h.b.icmp(ICmp::Ne, step, zero);
    h.or_slow(nonzero);
    let up = h.b.icmp(ICmp::Sgt, step, zero);
    let over = h.b.icmp(ICmp::Sgt, i, lim);
    let under = h.b.icmp(ICmp::Slt, i, lim);
    let skip = h.b.select(up, over, under);
    // The count, unsigned: (lim - i) / step going up, (i - lim) / -step going down.
    let d_up = h.b.bin(BinOp::Sub, lim, i);
    let d_down = h.b.bin(BinOp::Sub, i, lim);
    let dist = h.b.select(up, d_up, d_down);
    let neg = h.b.bin(BinOp::Sub, zero, step);
    let by = h.b.select(up, step, neg);
    let count = h.b.bin(BinOp::UDiv, dist, by);
    h.store_tv_at(ra, 16, T_INT, count);
    h.store_tv_at(ra, 48, T_INT, i);
    let t = h.target();
    let eight = h.c(8);
    let past = h.b.bin(BinOp::Add, t, eight);
    let s = h.b.snapshot_to(SnapTo::Fragment(ids.fetch), 0, &[(PC, past)]);
    h.b.guard_not(skip, s);
    let pc1 = h.next_pc();
    h.dispatch(pc1)
}

/// EQ/LT/LE on two integers (and EQ on two values of one non-float, non-table type:
/// strings are interned, so that is bit equality); two floats go to the float variant.
fn compare(ids: Ids, name: &str, op: Op, float_frag: u32) -> Trace {
    let mut h = H::new(name, ids);
    let b = h.b_();
    let c = h.c_();
    let rb = h.rk(b, 56);
    let rc = h.rk(c, 57);
    let tb = h.b.load(I64, rb, 0, false);
    let tc = h.b.load(I64, rc, 0, false);
    let vb = h.b.load(I64, rb, 8, false);
    let vc = h.b.load(I64, rc, 8, false);
    let same = h.b.icmp(ICmp::Eq, tb, tc);
    if op != Op::Eq {
        h.or_slow(same);
    }
    let f = h.c(T_FLOAT as i64);
    let not_float = h.b.icmp(ICmp::Ne, tb, f);
    let s = h.b.snapshot_to(SnapTo::Fragment(float_frag), 0, &[]);
    h.b.guard(not_float, s);
    let cond = if op == Op::Eq {
        // Values of different types are different, but for an integer and a float (the
        // helper compares those); one object is equal to itself; two tables or userdata
        // may have `__eq` (the helper's); anything else is equal when its bits are.
        let int = h.c(T_INT as i64);
        let b_int = h.b.icmp(ICmp::Eq, tb, int);
        let c_flt = h.b.icmp(ICmp::Eq, tc, f);
        let mixed = h.b.bin(BinOp::And, b_int, c_flt);
        let plain = h.not(mixed);
        h.or_slow(plain);
        let bits = h.b.icmp(ICmp::Eq, vb, vc);
        let tt = h.c(T_TABLE as i64);
        let ut = h.c(T_USERDATA as i64);
        let is_t = h.b.icmp(ICmp::Eq, tb, tt);
        let is_u = h.b.icmp(ICmp::Eq, tb, ut);
        let meta_able = h.b.bin(BinOp::Or, is_t, is_u);
        let both = h.b.bin(BinOp::And, same, meta_able);
        let differ = h.not(bits);
        let ask = h.b.bin(BinOp::And, both, differ);
        let known = h.not(ask);
        h.or_slow(known);
        h.b.bin(BinOp::And, same, bits)
    } else {
        let int = h.c(T_INT as i64);
        let is_int = h.b.icmp(ICmp::Eq, tb, int);
        h.or_slow(is_int);
        h.b.icmp(if op == Op::Lt { ICmp::Slt } else { ICmp::Sle }, vb, vc)
    };
    h.cond_jump(cond)
}

/// The float variant of EQ/LT/LE: two floats, compared as IEEE does (NaN is unordered,
/// -0 equals 0), which is Lua's; anything else is the helper's.
fn compare_float(ids: Ids, name: &str, op: Op) -> Trace {
    let mut h = H::new(name, ids);
    let b = h.b_();
    let c = h.c_();
    let rb = h.rk(b, 56);
    let rc = h.rk(c, 57);
    h.tag_is(rb, T_FLOAT);
    h.tag_is(rc, T_FLOAT);
    let vb = h.b.load(I64, rb, 8, false);
    let vc = h.b.load(I64, rc, 8, false);
    let fb = h.b.conv(Conv::Bitcast, vb, F64);
    let fc = h.b.conv(Conv::Bitcast, vc, F64);
    let cmp = match op {
        Op::Eq => FCmp::Eq,
        Op::Lt => FCmp::Lt,
        _ => FCmp::Le,
    };
    let cond = h.b.fcmp(cmp, fb, fc);
    h.cond_jump(cond)
}

/// How many hash slots a probe looks at, from the key's main position.
const PROBES: usize = 3;

/// The inline-cache word of a string-key instruction (`FuncProto::ic`, zero at first):
/// where its probes last found their keys, as hash slots of `IC_SLOT_BITS` bits each (level
/// 0: the table itself; for a read through `__index`, 1: `__index` in its metatable, 2: the
/// key in the table that names), and `IC_MISS` when the last read went through `__index`
/// (`IC_DEEP`: through two).
/// The fast fragments check the cached slots before they trust them; in a trace the word is
/// a constant (a hint), so a field access is one slot's check, as LuaJIT's HREFK.
pub const IC_SLOT_BITS: u32 = 20;
pub const IC_SLOT_MASK: u64 = (1 << IC_SLOT_BITS) - 1;
pub const IC_MISS: u64 = 1 << 63;
/// With `IC_MISS`: the read went through two `__index` tables (level 2 is then `__index`
/// in the second metatable, and level 3 the key).
pub const IC_DEEP: u64 = 1 << 62;

/// What a probe of a table's hash part for a string key found.
struct Probe {
    /// The key is there with a value (at `node`).
    found: Value,
    node: Value,
    tab: Value,
    /// The table's node array.
    nodes: Value,
    hash: Value,
    /// The key is there without a value (a field set to nil), at `dead_node`.
    dead: Value,
    dead_node: Value,
    /// A probed slot has never held a key, so the key is not further on (lookups stop at
    /// the first such slot, and insertions fill the first free one).
    empty: Value,
}

impl H {
    /// Probes `tab`'s hash part for the interned string `ks` at its main position and the
    /// next `PROBES - 1` (linear probing at <= 3/4 load finds most keys there); a key
    /// further on is left to the helper.
    fn probe(&mut self, tab: Value, ks: Value) -> Probe {
        let nodes = self.b.load(I64, tab, TABLE_NODE as i32, false);
        let nodes = self.heap(nodes);
        let mask = self.b.load(I64, tab, TABLE_HMASK as i32, false);
        // Strings never change: their hash is imm (shared, and hoisted out of loops).
        let h = self.b.load(I64, ks, crate::string::STR_HASH as i32, true);
        let one = self.c(1);
        let zero = self.c(0);
        let str_tag = self.c(T_STR as i64);
        let shift = self.c(NODE_SIZE.trailing_zeros() as i64);
        let mut idx = self.b.bin(BinOp::And, h, mask);
        let mut found = self.flag(false);
        let mut dead = found;
        let mut empty = found;
        let mut node = nodes;
        let mut dead_node = nodes;
        for k in 0..PROBES {
            if k > 0 {
                let i1 = self.b.bin(BinOp::Add, idx, one);
                idx = self.b.bin(BinOp::And, i1, mask);
            }
            let off = self.b.bin(BinOp::Shl, idx, shift);
            let n = self.b.bin(BinOp::Add, nodes, off);
            let kt = self.b.load(I64, n, NODE_KEY as i32, false);
            let kv = self.b.load(I64, n, NODE_KEY as i32 + 8, false);
            let vt = self.b.load(I64, n, NODE_VAL as i32, false);
            let is_str = self.b.icmp(ICmp::Eq, kt, str_tag);
            let same = self.b.icmp(ICmp::Eq, kv, ks);
            let hit = self.b.bin(BinOp::And, is_str, same);
            let has = self.b.icmp(ICmp::Ne, vt, zero);
            let here = self.b.bin(BinOp::And, hit, has);
            node = self.b.select(here, n, node);
            found = self.b.bin(BinOp::Or, found, here);
            let no_val = self.not(has);
            let gone = self.b.bin(BinOp::And, hit, no_val);
            dead = self.b.bin(BinOp::Or, dead, gone);
            dead_node = self.b.select(gone, n, dead_node);
            let nil = self.c(T_NIL as i64);
            let free = self.b.icmp(ICmp::Eq, kt, nil);
            empty = self.b.bin(BinOp::Or, empty, free);
        }
        Probe { found, node, tab, nodes, hash: h, dead, dead_node, empty }
    }

    /// The instruction's inline-cache word (`IC_*`) as a hint: a trace takes the value it
    /// had while recording as a constant, and everything that uses it checks it first.
    fn ic_hint(&mut self) -> Value {
        let (_, g) = self.ic_word();
        self.b.hint(g);
        g
    }

    /// The address of the instruction's inline-cache word, and the word.
    fn ic_word(&mut self) -> (Value, Value) {
        let k = self.b.input(K, I64);
        let delta = self.b.load(I64, k, crate::state::IC_DELTA, true);
        let at = self.b.bin(BinOp::Add, self.pc, delta);
        let at = self.heap(at);
        let g = self.b.load(I64, at, 0, false);
        self.b.name(g, "ic");
        (at, g)
    }

    /// The hash slot for cache level `level` of the word `g`.
    fn ic_slot(&mut self, g: Value, level: u32) -> Value {
        let sh = self.c((IC_SLOT_BITS * level) as i64);
        let x = self.b.bin(BinOp::LShr, g, sh);
        let m = self.c(IC_SLOT_MASK as i64);
        self.b.bin(BinOp::And, x, m)
    }

    /// Records in the instruction's cache word where the probes at `levels` found their
    /// keys (`(level, nodes, node)`), for a key found in the table itself.
    fn ic_store(&mut self, levels: &[(u32, Value, Value)]) {
        let (at, g) = self.ic_word();
        let keep = self.c(!(IC_MISS | IC_DEEP) as i64);
        let mut g = self.b.bin(BinOp::And, g, keep);
        for &(level, nodes, node) in levels {
            g = self.ic_set(g, level, nodes, node);
        }
        self.b.store(at, 0, g);
    }

    /// `g` with the slot of cache level `level` set to where `node` is in `nodes`.
    fn ic_set(&mut self, g: Value, level: u32, nodes: Value, node: Value) -> Value {
        let shift = self.c(NODE_SIZE.trailing_zeros() as i64);
        let off = self.b.bin(BinOp::Sub, node, nodes);
        let idx = self.b.bin(BinOp::LShr, off, shift);
        let m = self.c(IC_SLOT_MASK as i64);
        let idx = self.b.bin(BinOp::And, idx, m);
        let sh = self.c((IC_SLOT_BITS * level) as i64);
        let idx = self.b.bin(BinOp::Shl, idx, sh);
        let keep = self.c(!(IC_SLOT_MASK << (IC_SLOT_BITS * level)) as i64);
        let kept = self.b.bin(BinOp::And, g, keep);
        self.b.bin(BinOp::Or, kept, idx)
    }

    /// Whether the interned string `ks` is in `tab`'s hash part at `slot` (any value: it is
    /// masked to the table's size) with a value; and that node.
    fn probe_at(&mut self, tab: Value, ks: Value, slot: Value) -> (Value, Value) {
        let nodes = self.b.load(I64, tab, TABLE_NODE as i32, false);
        let nodes = self.heap(nodes);
        let mask = self.b.load(I64, tab, TABLE_HMASK as i32, false);
        let idx = self.b.bin(BinOp::And, slot, mask);
        let shift = self.c(NODE_SIZE.trailing_zeros() as i64);
        let off = self.b.bin(BinOp::Shl, idx, shift);
        let n = self.b.bin(BinOp::Add, nodes, off);
        let kt = self.b.load(I64, n, NODE_KEY as i32, false);
        let kv = self.b.load(I64, n, NODE_KEY as i32 + 8, false);
        let vt = self.b.load(I64, n, NODE_VAL as i32, false);
        let str_tag = self.c(T_STR as i64);
        let zero = self.c(0);
        let is_str = self.b.icmp(ICmp::Eq, kt, str_tag);
        let same = self.b.icmp(ICmp::Eq, kv, ks);
        let has = self.b.icmp(ICmp::Ne, vt, zero);
        let hit = self.b.bin(BinOp::And, is_str, same);
        (self.b.bin(BinOp::And, hit, has), n)
    }

    /// Whether the key filter of `tab` has never seen the bit of a key with hash `hash`
    /// (then the key is certainly absent).
    fn unseen(&mut self, tab: Value, hash: Value) -> Value {
        let bits = self.b.load(I64, tab, TABLE_KEYBITS as i32, false);
        let sh = self.c(KEYBITS_SHIFT as i64);
        let bit = self.b.bin(BinOp::LShr, hash, sh);
        let x = self.b.bin(BinOp::LShr, bits, bit);
        let one = self.c(1);
        let low = self.b.bin(BinOp::And, x, one);
        let zero = self.c(0);
        self.b.icmp(ICmp::Eq, low, zero)
    }

    /// Whether the key `p` probed for is certainly absent from its table: not found with a
    /// value, and the probe met it without a value or met a slot that never held a
    /// key, or the key filter has never seen its bit.
    fn absent(&mut self, p: &Probe) -> Value {
        let unseen = self.unseen(p.tab, p.hash);
        let met = self.b.bin(BinOp::Or, p.dead, p.empty);
        let any = self.b.bin(BinOp::Or, unseen, met);
        let missing = self.not(p.found);
        self.b.bin(BinOp::And, any, missing)
    }

    /// The string key at `at` (a register or constant): its string, or the helper's.
    fn str_key(&mut self, at: Value) -> Value {
        self.tag_is(at, T_STR);
        self.b.load(I64, at, 8, false)
    }

    /// The table in upvalue `idx` of the running closure (GETTABUP/SETTABUP's _ENV).
    fn upval_table(&mut self, idx: Value) -> Value {
        let at = self.upval_addr(idx);
        self.tag_is(at, T_TABLE);
        self.b.load(I64, at, 8, false)
    }

    /// Where upvalue `idx` of the running closure (in the slot below `base`) keeps its value.
    fn upval_addr(&mut self, idx: Value) -> Value {
        let cl = self.b.load(I64, self.base, -8, false);
        let cl = self.heap(cl);
        self.b.name(cl, "closure");
        let upv = self.b.load(I64, cl, crate::gc::LCLOSURE_UPV as i32, false);
        let upv = self.heap(upv);
        let three = self.c(3);
        let off = self.b.bin(BinOp::Shl, idx, three);
        let at = self.b.bin(BinOp::Add, upv, off);
        let u = self.b.load(I64, at, 0, false);
        let u = self.heap(u);
        let v = self.b.load(I64, u, crate::gc::UPVAL_V as i32, false);
        self.b.name(v, "upval")
    }

    fn copy_tv(&mut self, from: Value, to: Value) {
        let t = self.b.load(I64, from, 0, false);
        let x = self.b.load(I64, from, 8, false);
        self.b.store(to, 0, t);
        self.b.store(to, 8, x);
    }
}

/// Reads and writes of a table field with a string key found by `probe` (with a value
/// there, so neither `__index` nor `__newindex` applies): GETTABLE/SETTABLE with a string
/// key, GETTABUP/SETTABUP (globals), and SELF. A read that does not find its key goes on to
/// `miss` (the `hash_miss` variant) rather than to the helper; a write, to its own variant
/// (`miss` None) that also takes a key left without a value.
fn hash_access(ids: Ids, name: &str, op: Op, miss: Option<u32>) -> Trace {
    let mut h = H::new(name, ids);
    let pc1 = h.next_pc();
    match op {
        Op::GetTable | Op::GetTabUp | Op::SelfOp => {
            let on_str = if op == Op::SelfOp { Some(ids.self_str) } else { None };
            let (tab, ks) = h.read_operands(op, on_str);
            let p = h.probe(tab, ks);
            let s = h.b.snapshot_to(SnapTo::Fragment(miss.unwrap_or(ids.slow)), 0, &[]);
            h.b.guard(p.found, s);
            h.ic_store(&[(0, p.nodes, p.node)]);
            let vo = h.c(NODE_VAL as i64);
            let val = h.b.bin(BinOp::Add, p.node, vo);
            let a = h.a();
            let ra = h.reg(a);
            h.copy_tv(val, ra);
        }
        _ => {
            let (tab, ks) = h.write_operands(op);
            let p = h.probe(tab, ks);
            let node = if let Some(m) = miss {
                let s = h.b.snapshot_to(SnapTo::Fragment(m), 0, &[]);
                h.b.guard(p.found, s);
                h.ic_store(&[(0, p.nodes, p.node)]);
                p.node
            } else {
                // The miss variant: the key left without a value (a dead key takes the value
                // back in place) when no __newindex can apply: no metatable, or one that
                // certainly lacks __newindex.
                let (has_mt, pn) = h.probe_meta(tab, OFF_NEWINDEX_KEY);
                let lacks = h.absent(&pn);
                let no_mt = h.not(has_mt);
                let plain = h.b.bin(BinOp::Or, no_mt, lacks);
                let revive = h.b.bin(BinOp::And, p.dead, plain);
                let ok = h.b.bin(BinOp::Or, p.found, revive);
                h.or_slow(ok);
                h.b.select(p.found, p.node, p.dead_node)
            };
            let cf = h.c_();
            let v = h.rk(cf, 57);
            let vo = h.c(NODE_VAL as i64);
            let val = h.b.bin(BinOp::Add, node, vo);
            h.copy_tv(v, val);
        }
    }
    h.dispatch(pc1)
}

/// A string-key read or write through the slot its inline cache names (`IC_*`): the
/// instruction's fast path, and in a trace a single slot's check. A read whose cache says it
/// went through `__index` goes to `miss_fast`; a slot that does not hold the key, to `probe`
/// (the `hash_access` variant, which caches what it finds).
fn hash_fast(ids: Ids, name: &str, op: Op, probe: u32, miss_fast: Option<u32>) -> Trace {
    let mut h = H::new(name, ids);
    let pc1 = h.next_pc();
    let read = matches!(op, Op::GetTable | Op::GetTabUp | Op::SelfOp);
    let (tab, ks) = if read {
        let on_str = if op == Op::SelfOp { Some(ids.self_str) } else { None };
        h.read_operands(op, on_str)
    } else {
        h.write_operands(op)
    };
    let g = h.ic_hint();
    if let Some(mf) = miss_fast {
        let bit = h.c(IC_MISS as i64);
        let m = h.b.bin(BinOp::And, g, bit);
        let zero = h.c(0);
        let own = h.b.icmp(ICmp::Eq, m, zero);
        let s = h.b.snapshot_to(SnapTo::Fragment(mf), 0, &[]);
        h.b.guard(own, s);
    }
    let slot = h.ic_slot(g, 0);
    let (here, node) = h.probe_at(tab, ks, slot);
    let s = h.b.snapshot_to(SnapTo::Fragment(probe), 0, &[]);
    h.b.guard(here, s);
    let vo = h.c(NODE_VAL as i64);
    let val = h.b.bin(BinOp::Add, node, vo);
    if read {
        let a = h.a();
        let ra = h.reg(a);
        h.copy_tv(val, ra);
    } else {
        let cf = h.c_();
        let v = h.rk(cf, 57);
        h.copy_tv(v, val);
    }
    h.dispatch(pc1)
}

/// A string-key read that last went through `__index` (its cache word has `IC_MISS`):
/// `depth` tables down (1, or 2 when the word also has `IC_DEEP`; a depth-1 read whose word
/// says 2 goes on to `deeper`). The key filter says each table on the way lacks the key,
/// and the cached slots find `__index` in each metatable, a table there, and at the end the
/// key. Anything else goes to `probe` (the key may be in the table) or to `miss` (the
/// `hash_miss` variant, which caches the slots).
fn miss_fast(ids: Ids, name: &str, op: Op, depth: u32, to: [u32; 2], deeper: Option<u32>) -> Trace {
    let [probe, miss] = to;
    let mut h = H::new(name, ids);
    let pc1 = h.next_pc();
    let on_str = if op == Op::SelfOp { Some(ids.self_str) } else { None };
    let (tab, ks) = h.read_operands(op, on_str);
    let g = h.ic_hint();
    let guard_to = |h: &mut H, cond: Value, frag: u32| {
        let s = h.b.snapshot_to(SnapTo::Fragment(frag), 0, &[]);
        h.b.guard(cond, s);
    };
    if let Some(d) = deeper {
        let bit = h.c(IC_DEEP as i64);
        let m = h.b.bin(BinOp::And, g, bit);
        let zero = h.c(0);
        let shallow = h.b.icmp(ICmp::Eq, m, zero);
        guard_to(&mut h, shallow, d);
    }
    let hash = h.b.load(I64, ks, crate::string::STR_HASH as i32, true);
    let l = h.b.input(L, I64);
    let ik = h.b.load(I64, l, OFF_INDEX_KEY, false);
    let tt = h.c(T_TABLE as i64);
    let zero = h.c(0);
    let mut cur = tab;
    for level in 0..depth {
        let lacks = h.unseen(cur, hash);
        guard_to(&mut h, lacks, if level == 0 { probe } else { miss });
        let mt = h.b.load(I64, cur, TABLE_META as i32, false);
        let mt = h.heap(mt);
        let has_mt = h.b.icmp(ICmp::Ne, mt, zero);
        guard_to(&mut h, has_mt, miss);
        let si = h.ic_slot(g, 1 + level);
        let (has_idx, inode) = h.probe_at(mt, ik, si);
        guard_to(&mut h, has_idx, miss);
        let itag = h.b.load(I64, inode, NODE_VAL as i32, false);
        let is_tab = h.b.icmp(ICmp::Eq, itag, tt);
        guard_to(&mut h, is_tab, miss);
        cur = h.b.load(I64, inode, NODE_VAL as i32 + 8, false);
        cur = h.heap(cur);
    }
    let sk = h.ic_slot(g, 1 + depth);
    let (here, node) = h.probe_at(cur, ks, sk);
    guard_to(&mut h, here, miss);
    let vo = h.c(NODE_VAL as i64);
    let val = h.b.bin(BinOp::Add, node, vo);
    let a = h.a();
    let ra = h.reg(a);
    h.copy_tv(val, ra);
    h.dispatch(pc1)
}

/// How many `__index` tables a read that misses follows (a class and its base class). Traces
/// take `miss_fast`'s cached slots instead, so the full probes here run only in the
/// interpreter, when the cache misses.
const INDEX_LEVELS: usize = 2;

/// A string-key read whose key the table certainly lacks: nil when the table has no
/// metatable or its metatable no `__index`; else what the table that `__index` names holds,
/// and so on for `INDEX_LEVELS` tables (nil again where one certainly lacks it and has no
/// metatable or no `__index`). SELF wants a value. Anything else (an `__index` function, a
/// longer chain, an unsure probe) is the helper's.
fn hash_miss(ids: Ids, name: &str, op: Op) -> Trace {
    let mut h = H::new(name, ids);
    let pc1 = h.next_pc();
    let (tab, ks) = h.read_operands(op, None);
    let p = h.probe(tab, ks);
    let lacks = h.absent(&p);
    h.or_slow(lacks);
    let zero = h.c(0);
    let t = h.flag(true);
    let f = h.flag(false);
    let tt = h.c(T_TABLE as i64);
    // `active`: still looking (the key is certainly not in `cur`).
    let (mut cur, mut active, mut found, mut nil, mut node) = (tab, t, f, f, p.node);
    let mut levels = Vec::new();
    for _ in 0..INDEX_LEVELS {
        let (has_mt, pi) = h.probe_meta(cur, OFF_INDEX_KEY);
        let no_mt = h.not(has_mt);
        let ends = h.b.bin(BinOp::And, active, no_mt);
        nil = h.b.bin(BinOp::Or, nil, ends);
        active = h.b.bin(BinOp::And, active, has_mt);
        let no_idx = h.absent(&pi);
        let ends = h.b.bin(BinOp::And, active, no_idx);
        nil = h.b.bin(BinOp::Or, nil, ends);
        let itag = h.b.load(I64, pi.node, NODE_VAL as i32, false);
        let itab = h.b.load(I64, pi.node, NODE_VAL as i32 + 8, false);
        let itab = h.heap(itab);
        let is_tab = h.b.icmp(ICmp::Eq, itag, tt);
        let is_tab = h.b.bin(BinOp::And, is_tab, pi.found);
        active = h.b.bin(BinOp::And, active, is_tab);
        let next = h.b.select(active, itab, cur);
        let pm = h.probe(next, ks);
        let here = h.b.bin(BinOp::And, active, pm.found);
        levels.push((pi.nodes, pi.node, pm.nodes, pm.node, here));
        node = h.b.select(here, pm.node, node);
        found = h.b.bin(BinOp::Or, found, here);
        let absent = h.absent(&pm);
        active = h.b.bin(BinOp::And, active, absent);
        cur = next;
    }
    // The last table looked in lacks the key too: nil when it has no metatable.
    let last_mt = h.b.load(I64, cur, TABLE_META as i32, false);
    let bare = h.b.icmp(ICmp::Eq, last_mt, zero);
    let ends = h.b.bin(BinOp::And, active, bare);
    nil = h.b.bin(BinOp::Or, nil, ends);
    let ok = if op == Op::SelfOp { found } else { h.b.bin(BinOp::Or, found, nil) };
    h.or_slow(ok);
    // What `miss_fast` checks: `__index` at each level down to the key's, and the key (where
    // it was found; else the word is left as it was, and the cached slots miss).
    let (at, g) = h.ic_word();
    let mut w = g;
    let mut word = g;
    for (depth, &(in_nodes, in_node, k_nodes, k_node, here)) in levels.iter().enumerate() {
        let depth = depth as u32;
        word = h.ic_set(word, 1 + depth, in_nodes, in_node);
        let with_key = h.ic_set(word, 2 + depth, k_nodes, k_node);
        let bits = IC_MISS | if depth > 0 { IC_DEEP } else { 0 };
        let keep = h.c(!IC_DEEP as i64);
        let cleared = h.b.bin(BinOp::And, with_key, keep);
        let bit = h.c(bits as i64);
        let marked = h.b.bin(BinOp::Or, cleared, bit);
        w = h.b.select(here, marked, w);
    }
    h.b.store(at, 0, w);
    let vt = h.b.load(I64, node, NODE_VAL as i32, false);
    let vv = h.b.load(I64, node, NODE_VAL as i32 + 8, false);
    let tag = h.b.select(found, vt, zero);
    let val = h.b.select(found, vv, zero);
    let a = h.a();
    let ra = h.reg(a);
    h.b.store(ra, 0, tag);
    h.b.store(ra, 8, val);
    h.dispatch(pc1)
}

impl H {
    /// The table and string key of GETTABLE (a string key), GETTABUP and SELF, which also
    /// sets R[A+1] to the object.
    fn read_operands(&mut self, op: Op, not_table: Option<u32>) -> (Value, Value) {
        let (tab, kat) = if op == Op::GetTabUp {
            let bf = self.b_();
            let tab = self.upval_table(bf);
            let tab = self.heap(tab);
            let cf = self.c_();
            (tab, self.konst(cf))
        } else {
            let bf = self.b_();
            let rb = self.reg(bf);
            let tag = self.b.load(I64, rb, 0, false);
            let want = self.c(T_TABLE as i64);
            let is_tab = self.b.icmp(ICmp::Eq, tag, want);
            let s = self.b.snapshot_to(SnapTo::Fragment(not_table.unwrap_or(self.ids.slow)), 0, &[]);
            self.b.guard(is_tab, s);
            let tab = self.b.load(I64, rb, 8, false);
            let tab = self.heap(tab);
            if op == Op::SelfOp {
                let a = self.a();
                let ra = self.reg(a);
                let tt = self.c(T_TABLE as i64);
                self.b.store(ra, 16, tt);
                self.b.store(ra, 24, tab);
            }
            let cf = self.c_();
            (tab, self.rk(cf, 57))
        };
        let ks = self.str_key(kat);
        (tab, ks)
    }

    /// The table and string key of SETTABLE (a string key) and SETTABUP: SETTABLE A B C is
    /// `R[A][RK(B)] = RK(C)`; SETTABUP A B C, `UpValue[A][K[B]] = RK(C)`.
    fn write_operands(&mut self, op: Op) -> (Value, Value) {
        let a = self.a();
        let tab = if op == Op::SetTabUp {
            self.upval_table(a)
        } else {
            let ra = self.reg(a);
            self.tag_is(ra, T_TABLE);
            self.b.load(I64, ra, 8, false)
        };
        let tab = self.heap(tab);
        let bf = self.b_();
        let kat = if op == Op::SetTabUp { self.konst(bf) } else { self.rk(bf, 56) };
        let ks = self.str_key(kat);
        (tab, ks)
    }
}

/// SELF on a string (`s:upper()`): the method from the table the string metatable's
/// `__index` names, as 5.4 finds it; anything else is the helper's.
fn self_str(ids: Ids, name: &str) -> Trace {
    let mut h = H::new(name, ids);
    let bf = h.b_();
    let rb = h.reg(bf);
    h.tag_is(rb, T_STR);
    let sv = h.b.load(I64, rb, 8, false);
    let sv = h.heap(sv);
    let a = h.a();
    let ra = h.reg(a);
    let st = h.c(T_STR as i64);
    h.b.store(ra, 16, st);
    h.b.store(ra, 24, sv);
    let cf = h.c_();
    let kat = h.rk(cf, 57);
    let ks = h.str_key(kat);
    let l = h.b.input(L, I64);
    let mt = h.b.load(I64, l, OFF_STRING_META, false);
    let mt = h.heap(mt);
    let zero = h.c(0);
    let has = h.b.icmp(ICmp::Ne, mt, zero);
    h.or_slow(has);
    let ik = h.b.load(I64, l, OFF_INDEX_KEY, false);
    let pi = h.probe(mt, ik);
    h.or_slow(pi.found);
    let itag = h.b.load(I64, pi.node, NODE_VAL as i32, false);
    let tt = h.c(T_TABLE as i64);
    let is_tab = h.b.icmp(ICmp::Eq, itag, tt);
    h.or_slow(is_tab);
    let itab = h.b.load(I64, pi.node, NODE_VAL as i32 + 8, false);
    let itab = h.heap(itab);
    let pm = h.probe(itab, ks);
    h.or_slow(pm.found);
    let vo = h.c(NODE_VAL as i64);
    let val = h.b.bin(BinOp::Add, pm.node, vo);
    h.copy_tv(val, ra);
    let pc1 = h.next_pc();
    h.dispatch(pc1)
}

/// GETUPVAL/SETUPVAL: through the running closure (in the slot below `base`) to the
/// upvalue's value, open or closed (the collector stops the world: no barrier).
fn upval(ids: Ids, name: &str, op: Op) -> Trace {
    let mut h = H::new(name, ids);
    let bf = h.b_();
    let v = h.upval_addr(bf);
    let a = h.a();
    let ra = h.reg(a);
    let (from, to) = if op == Op::GetUpval { (v, ra) } else { (ra, v) };
    h.copy_tv(from, to);
    let pc1 = h.next_pc();
    h.dispatch(pc1)
}

/// CALL of a Lua function with a fixed argument count equal to its parameter count (not
/// vararg), with room on the stack and in the call stack: pushes its `Lua` frame in place,
/// as `push_lua_frame` would, and goes on in it. Everything else is the helper's. The
/// callee's code and constants are promoted: a trace through the call knows its callee.
fn call(ids: Ids, name: &str) -> Trace {
    let mut h = H::new(name, ids);
    let a = h.a();
    let ra = h.reg(a);
    h.b.name(ra, "ra");
    let tag = h.b.load(I64, ra, 0, false);
    let lcl = h.c(T_LCLOSURE as i64);
    let is_lua = h.b.icmp(ICmp::Eq, tag, lcl);
    let s = h.b.snapshot_to(SnapTo::Fragment(ids.call_native), 0, &[]);
    h.b.guard(is_lua, s);
    let bf = h.b_();
    let zero = h.c(0);
    let one = h.c(1);
    let fixed = h.b.icmp(ICmp::Ne, bf, zero);
    h.or_slow(fixed);
    let nargs = h.b.bin(BinOp::Sub, bf, one);
    let (proto, frame) = h.callee(ra, nargs);
    let sixteen = h.c(16);
    let nbase = h.b.bin(BinOp::Add, ra, sixteen);
    h.b.name(nbase, "nbase");
    let th = h.thread();
    let ntop = h.frame_top(th, nbase, frame);
    let len = h.b.load(I64, th, THREAD_CI_LEN as i32, false);
    let cap = h.b.load(I64, th, THREAD_CI_CAP as i32, false);
    let fits = h.b.icmp(ICmp::Ult, len, cap);
    h.or_slow(fits);
    let maxf = h.c(MAX_FRAMES as i64);
    let below = h.b.icmp(ICmp::Ult, len, maxf);
    h.or_slow(below);
    let buf = h.b.load(I64, th, THREAD_CI_BUF as i32, false);
    let buf = h.heap(buf);
    let size = h.c(CI_SIZE as i64);
    let off = h.b.bin(BinOp::Mul, len, size);
    let new = h.b.bin(BinOp::Add, buf, off);
    let caller = h.b.bin(BinOp::Sub, new, size);
    // The caller waits at its CALL.
    h.b.store(caller, CI_PC as i32, h.pc);
    let code = h.b.load(I64, proto, FP_CODE as i32, true);
    h.b.name(code, "code");
    h.b.store(new, CI_FUNC as i32, ra);
    h.b.store(new, CI_BASE as i32, nbase);
    h.b.store(new, CI_TOP as i32, ntop);
    h.b.store(new, CI_PC as i32, code);
    h.b.store(new, CI_PROTO as i32, proto);
    h.b.store(new, CI_RET as i32, ra);
    // nresults = C - 1 in the low half, no varargs in the high half.
    let cf = h.c_();
    let nres = h.b.bin(BinOp::Sub, cf, one);
    let low = h.c(0xffff_ffff);
    let nres32 = h.b.bin(BinOp::And, nres, low);
    h.b.store(new, CI_NRESULTS as i32, nres32);
    // A plain Lua frame, no handler.
    h.b.store(new, CI_KIND as i32, zero);
    h.b.store(new, (CI_HANDLER + TVALUE_TAG) as i32, zero);
    let len1 = h.b.bin(BinOp::Add, len, one);
    h.b.store(th, THREAD_CI_LEN as i32, len1);
    h.raise_used(th, ntop);
    h.enter(proto, code, nbase)
}

impl H {
    /// The Lua closure at `ra` called with `nargs` fixed arguments: its prototype and frame
    /// word (`FP_FRAME`), guarding that it takes exactly `nargs` parameters, not vararg.
    fn callee(&mut self, ra: Value, nargs: Value) -> (Value, Value) {
        let cl = self.b.load(I64, ra, 8, false);
        let cl = self.heap(cl);
        let proto = self.b.load(I64, cl, crate::gc::LCLOSURE_PROTO as i32, false);
        self.b.name(proto, "proto");
        let frame = self.b.load(I64, proto, FP_FRAME as i32, true);
        // num_params and the vararg bit: equal to nargs only when not vararg.
        let m = self.c(0x1ffff);
        let np = self.b.bin(BinOp::And, frame, m);
        let exact = self.b.icmp(ICmp::Eq, np, nargs);
        self.or_slow(exact);
        (proto, frame)
    }

    /// The top of a frame at `nbase` for a prototype's `frame` word, guarding that the
    /// thread's stack has room for it.
    fn frame_top(&mut self, th: Value, nbase: Value, frame: Value) -> Value {
        let s32 = self.c(32);
        let max = self.b.bin(BinOp::LShr, frame, s32);
        let four = self.c(4);
        let msz = self.b.bin(BinOp::Shl, max, four);
        let ntop = self.b.bin(BinOp::Add, nbase, msz);
        let limit = self.b.load(I64, th, THREAD_LIMIT as i32, false);
        let room = self.b.icmp(ICmp::Ult, ntop, limit);
        self.or_slow(room);
        ntop
    }

    /// The stack's high-water mark covers a new frame up to `ntop` (the collector clears up
    /// to it).
    fn raise_used(&mut self, th: Value, ntop: Value) {
        let used = self.b.load(I64, th, THREAD_USED as i32, false);
        let up = self.b.icmp(ICmp::Ugt, ntop, used);
        let nused = self.b.select(up, ntop, used);
        self.b.store(th, THREAD_USED as i32, nused);
    }

    /// Goes on in the callee's first instruction `code`, its frame at `nbase`; its code and
    /// constants are promoted, as a call's callee is known in a trace. A call of the running
    /// function goes through the control point, as a backward jump does: recursion gets
    /// traces, and a recursive call closes its trace's loop. Other calls are inlined into
    /// the trace that records them. (Every prototype has its own `k`, even without
    /// constants: it holds the inline-cache delta just below.)
    fn enter(mut self, proto: Value, code: Value, nbase: Value) -> Trace {
        let k = self.b.load(I64, proto, FP_K as i32, true);
        self.b.name(k, "k");
        self.b.promote(code);
        self.b.promote(k);
        self.set_frame(nbase, k);
        let cur_k = self.b.input(K, I64);
        let rec = self.b.icmp(ICmp::Eq, k, cur_k);
        let s = self.b.snapshot_to(SnapTo::Fragment(self.ids.lp), 0, &[(PC, code), (K, k), (BASE, nbase)]);
        self.b.guard_not(rec, s);
        self.dispatch_in(code, &[(K, k), (BASE, nbase)])
    }

    /// The running thread's top CallInfo: the thread's frame count less one, and the
    /// CallInfo's address, guarding that it is a plain Lua frame (kind 0).
    fn lua_frame(&mut self, th: Value) -> (Value, Value) {
        let one = self.c(1);
        let zero = self.c(0);
        let len = self.b.load(I64, th, THREAD_CI_LEN as i32, false);
        let buf = self.b.load(I64, th, THREAD_CI_BUF as i32, false);
        let buf = self.heap(buf);
        let size = self.c(CI_SIZE as i64);
        let len1 = self.b.bin(BinOp::Sub, len, one);
        let off = self.b.bin(BinOp::Mul, len1, size);
        let ci = self.b.bin(BinOp::Add, buf, off);
        let kw = self.b.load(I64, ci, CI_KIND as i32, false);
        let byte = self.c(0xff);
        let kind = self.b.bin(BinOp::And, kw, byte);
        let lua = self.b.icmp(ICmp::Eq, kind, zero);
        self.or_slow(lua);
        (len1, ci)
    }
}

/// How many arguments the TAILCALL fragment moves (more go to the helper).
const TAILCALL_ARGS: i64 = 5;

/// TAILCALL of a Lua function with its exact fixed parameter count, from a plain Lua frame
/// that is not vararg and has nothing to close: the callee and its arguments move down to
/// the frame's function slot, and the frame becomes the callee's (its return slot, result
/// count and kind stay), as `tail_call` does. A call of the running function goes through
/// the control point, so self tail recursion closes a trace's loop.
fn tail_call(ids: Ids, name: &str) -> Trace {
    let mut h = H::new(name, ids);
    let zero = h.c(0);
    let one = h.c(1);
    let kf = h.field(58, 1, "k");
    let no_close = h.b.icmp(ICmp::Eq, kf, zero);
    h.or_slow(no_close);
    let cf = h.c_();
    let not_vararg = h.b.icmp(ICmp::Eq, cf, zero);
    h.or_slow(not_vararg);
    let a = h.a();
    let ra = h.reg(a);
    h.tag_is(ra, T_LCLOSURE);
    let bf = h.b_();
    let fixed = h.b.icmp(ICmp::Ne, bf, zero);
    h.or_slow(fixed);
    let nargs = h.b.bin(BinOp::Sub, bf, one);
    let most = h.c(TAILCALL_ARGS);
    let few = h.b.icmp(ICmp::Ule, nargs, most);
    h.or_slow(few);
    let (proto, frame) = h.callee(ra, nargs);
    let th = h.thread();
    let (_, ci) = h.lua_frame(th);
    let func = h.b.load(I64, ci, CI_FUNC as i32, false);
    let sixteen = h.c(16);
    let nbase = h.b.bin(BinOp::Add, func, sixteen);
    let ntop = h.frame_top(th, nbase, frame);
    // The callee and its arguments, in increasing order (the destination is below, and may
    // overlap: R[A] itself can be overwritten); the copies past the last argument copy the
    // function slot onto itself.
    for k in 0..=TAILCALL_ARGS {
        let kk = h.c(k);
        let within = h.b.icmp(ICmp::Ule, kk, nargs);
        let o = h.c(16 * k);
        let from = h.b.bin(BinOp::Add, ra, o);
        let to = h.b.bin(BinOp::Add, func, o);
        let from = h.b.select(within, from, func);
        let to = h.b.select(within, to, func);
        h.copy_tv(from, to);
    }
    let code = h.b.load(I64, proto, FP_CODE as i32, true);
    h.b.store(ci, CI_BASE as i32, nbase);
    h.b.store(ci, CI_TOP as i32, ntop);
    h.b.store(ci, CI_PC as i32, code);
    h.b.store(ci, CI_PROTO as i32, proto);
    h.raise_used(th, ntop);
    h.enter(proto, code, nbase)
}

/// CALL of a native: on to the fragment of its builtin (`BUILTIN_*`; 0, any other native,
/// goes to `slow`). In a trace the dispatch is a guard on which builtin it is.
fn call_native(ids: Ids, name: &str, natives: u32) -> Trace {
    let mut h = H::new(name, ids);
    let a = h.a();
    let ra = h.reg(a);
    h.tag_is(ra, T_NATIVE);
    let f = h.b.load(I64, ra, 8, false);
    let f = h.heap(f);
    let which = h.b.load(I64, f, crate::gc::NATIVE_BUILTIN as i32, false);
    let s = h.b.snapshot_to(SnapTo::Dispatch { table: natives, slot: OP }, RESUME_BAD_OPCODE, &[(OP, which)]);
    h.exit(s)
}

/// A builtin's work in place of the call: `math.sqrt` and `math.abs` of one number, for one
/// result (any other argument or result count, or argument type, goes to `slow`).
fn builtin(ids: Ids, name: &str, which: u64) -> Trace {
    let mut h = H::new(name, ids);
    let a = h.a();
    let ra = h.reg(a);
    let bf = h.b_();
    let cf = h.c_();
    let two = h.c(2);
    let one_arg = h.b.icmp(ICmp::Eq, bf, two);
    h.or_slow(one_arg);
    let one_result = h.b.icmp(ICmp::Eq, cf, two);
    h.or_slow(one_result);
    let sixteen = h.c(16);
    let arg = h.b.bin(BinOp::Add, ra, sixteen);
    match which {
        BUILTIN_SQRT => {
            let x = h.as_float(arg);
            let r = h.b.un(UnOp::FSqrt, x);
            let bits = h.b.conv(Conv::Bitcast, r, I64);
            h.store_tv(ra, T_FLOAT, bits);
        }
        _ => {
            let t = h.b.load(I64, arg, 0, false);
            let v = h.b.load(I64, arg, 8, false);
            let int = h.c(T_INT as i64);
            let flt = h.c(T_FLOAT as i64);
            let is_int = h.b.icmp(ICmp::Eq, t, int);
            let is_flt = h.b.icmp(ICmp::Eq, t, flt);
            let num = h.b.bin(BinOp::Or, is_int, is_flt);
            h.or_slow(num);
            // Integers wrap as in 5.4 (the smallest stays itself); floats lose the sign bit.
            let zero = h.c(0);
            let neg = h.b.icmp(ICmp::Slt, v, zero);
            let minus = h.b.bin(BinOp::Sub, zero, v);
            let iabs = h.b.select(neg, minus, v);
            let x = h.b.conv(Conv::Bitcast, v, F64);
            let fabs = h.b.un(UnOp::FAbs, x);
            let fbits = h.b.conv(Conv::Bitcast, fabs, I64);
            let tag = h.b.select(is_int, int, flt);
            let val = h.b.select(is_int, iabs, fbits);
            h.b.store(ra, 0, tag);
            h.b.store(ra, 8, val);
        }
    }
    let pc1 = h.next_pc();
    h.dispatch(pc1)
}

/// RETURN from a `Lua` frame with a fixed value count and nothing to close, to a caller that
/// wants at most one value (`all` names the variant for a caller that takes all of a return
/// of one): pops the frame in place, as `do_return` and `deliver` would, and goes on after
/// the caller's CALL (promoted, as the callee is by `call`).
fn ret(ids: Ids, name: &str, all: Option<u32>) -> Trace {
    let mut h = H::new(name, ids);
    let zero = h.c(0);
    let one = h.c(1);
    let kf = h.field(58, 1, "k");
    let no_close = h.b.icmp(ICmp::Eq, kf, zero);
    h.or_slow(no_close);
    let bf = h.b_();
    let fixed = h.b.icmp(ICmp::Ne, bf, zero);
    h.or_slow(fixed);
    let th = h.thread();
    let (len1, ci) = h.lua_frame(th);
    let nw = h.b.load(I64, ci, CI_NRESULTS as i32, false);
    let low = h.c(0xffff_ffff);
    let nres = h.b.bin(BinOp::And, nw, low);
    let a = h.a();
    let ra = h.reg(a);
    let r = h.b.load(I64, ci, CI_RET as i32, false);
    let (tag, val, dst) = if let Some(all) = all {
        // Up to one value wanted; a caller that takes them all goes to the variant.
        let small = h.b.icmp(ICmp::Ule, nres, one);
        let s = h.b.snapshot_to(SnapTo::Fragment(all), 0, &[]);
        h.b.guard(small, s);
        // The first value (nil when there is none) goes to the result slot when one is
        // wanted; otherwise it lands in the dead frame's own register.
        let tag = h.b.load(I64, ra, 0, false);
        let val = h.b.load(I64, ra, 8, false);
        let has = h.b.icmp(ICmp::Ugt, bf, one);
        let tag = h.b.select(has, tag, zero);
        let val = h.b.select(has, val, zero);
        let want = h.b.icmp(ICmp::Eq, nres, one);
        (tag, val, h.b.select(want, r, ra))
    } else {
        // The variant: all the values (-1) of a return of one, a list that ends after it.
        let every = h.b.icmp(ICmp::Eq, nres, low);
        let two = h.c(2);
        let b_one = h.b.icmp(ICmp::Eq, bf, two);
        let ok = h.b.bin(BinOp::And, every, b_one);
        h.or_slow(ok);
        let sixteen = h.c(16);
        let r1 = h.b.bin(BinOp::Add, r, sixteen);
        h.b.store(th, THREAD_TOP as i32, r1);
        let tag = h.b.load(I64, ra, 0, false);
        let val = h.b.load(I64, ra, 8, false);
        (tag, val, r)
    };
    h.b.store(dst, 0, tag);
    h.b.store(dst, 8, val);
    h.b.store(th, THREAD_CI_LEN as i32, len1);
    let size = h.c(CI_SIZE as i64);
    let caller = h.b.bin(BinOp::Sub, ci, size);
    let cpc = h.b.load(I64, caller, CI_PC as i32, false);
    h.b.name(cpc, "cpc");
    let cbase = h.b.load(I64, caller, CI_BASE as i32, false);
    let cproto = h.b.load(I64, caller, CI_PROTO as i32, false);
    let ck = h.b.load(I64, cproto, FP_K as i32, true);
    h.b.promote(cpc);
    h.b.promote(ck);
    let eight = h.c(8);
    let pc1 = h.b.bin(BinOp::Add, cpc, eight);
    h.set_frame(cbase, ck);
    h.dispatch_in(pc1, &[(K, ck), (BASE, cbase)])
}

/// GETTABLE/GETI/SETTABLE/SETI on a table's array part with an integer key in range, where
/// the slot holds a value (so no metamethod can apply). Everything else is the helper's.
fn table_access(ids: Ids, name: &str, op: Op, str_frag: Option<u32>, miss: Option<u32>) -> Trace {
    let mut h = H::new(name, ids);
    let get = matches!(op, Op::GetTable | Op::GetI);
    let (treg, kfield) = if get { (h.b_(), 40) } else { (h.a(), 24) };
    let rt = h.reg(treg);
    h.tag_is(rt, T_TABLE);
    let tab = h.b.load(I64, rt, 8, false);
    let tab = h.heap(tab);
    h.b.name(tab, "tab");
    let key = match op {
        Op::GetI | Op::SetI => h.field(kfield, 0xffff, "key"),
        _ => {
            let kx = h.field(kfield, 0xffff, "kx");
            let rk = h.rk(kx, if get { 57 } else { 56 });
            // Another key (a string, with luck) goes to the hash-part variant.
            let t = h.b.load(I64, rk, 0, false);
            let int = h.c(T_INT as i64);
            let is_int = h.b.icmp(ICmp::Eq, t, int);
            let s = h.b.snapshot_to(SnapTo::Fragment(str_frag.unwrap_or(ids.slow)), 0, &[]);
            h.b.guard(is_int, s);
            h.b.load(I64, rk, 8, false)
        }
    };
    let one = h.c(1);
    let idx = h.b.bin(BinOp::Sub, key, one);
    let asize = h.b.load(I64, tab, TABLE_ASIZE as i32, false);
    let inb = h.b.icmp(ICmp::Ult, idx, asize);
    let to = miss.unwrap_or(ids.slow);
    let s = h.b.snapshot_to(SnapTo::Fragment(to), 0, &[]);
    h.b.guard(inb, s);
    let arr = h.b.load(I64, tab, TABLE_ARRAY as i32, false);
    let arr = h.heap(arr);
    let four = h.c(4);
    let off = h.b.bin(BinOp::Shl, idx, four);
    let slot = h.b.bin(BinOp::Add, arr, off);
    let old = h.b.load(I64, slot, 0, false);
    let nil = h.c(T_NIL as i64);
    let present = h.b.icmp(ICmp::Ne, old, nil);
    let s = h.b.snapshot_to(SnapTo::Fragment(to), 0, &[]);
    h.b.guard(present, s);
    if get {
        let v = h.b.load(I64, slot, 8, false);
        let a = h.a();
        let ra = h.reg(a);
        h.b.store(ra, 0, old);
        h.b.store(ra, 8, v);
    } else {
        let c = h.c_();
        let rv = h.rk(c, 57);
        let t = h.b.load(I64, rv, 0, false);
        let v = h.b.load(I64, rv, 8, false);
        h.b.store(slot, 0, t);
        h.b.store(slot, 8, v);
    }
    let pc1 = h.next_pc();
    h.dispatch(pc1)
}

impl H {
    /// The table register, table and integer key of GETTABLE/GETI (`R[B][RK(C)]`, `R[B][C]`)
    /// and SETTABLE/SETI (`R[A][RK(B)]`, `R[A][B]`); a key that is not an integer is the
    /// helper's.
    fn int_key_operands(&mut self, op: Op) -> (Value, Value, Value) {
        let get = matches!(op, Op::GetTable | Op::GetI);
        let (treg, kfield, kflag) = if get { (self.b_(), 40, 57) } else { (self.a(), 24, 56) };
        let rt = self.reg(treg);
        self.tag_is(rt, T_TABLE);
        let tab = self.b.load(I64, rt, 8, false);
        let tab = self.heap(tab);
        let key = if matches!(op, Op::GetI | Op::SetI) {
            self.field(kfield, 0xffff, "key")
        } else {
            let kx = self.field(kfield, 0xffff, "kx");
            let rk = self.rk(kx, kflag);
            self.tag_is(rk, T_INT);
            self.b.load(I64, rk, 8, false)
        };
        (rt, tab, key)
    }
}

/// GETTABLE/GETI with an integer key that the array part does not hold a value for: nil
/// when the table has no metatable and the key cannot be in the hash part (the key is in
/// the array part's range, or the hash part has never had a key); else the helper's.
fn int_miss(ids: Ids, name: &str, op: Op) -> Trace {
    let mut h = H::new(name, ids);
    let (rt, tab, key) = h.int_key_operands(op);
    let zero = h.c(0);
    let one = h.c(1);
    let idx = h.b.bin(BinOp::Sub, key, one);
    let asize = h.b.load(I64, tab, TABLE_ASIZE as i32, false);
    let inb = h.b.icmp(ICmp::Ult, idx, asize);
    let arr = h.b.load(I64, tab, TABLE_ARRAY as i32, false);
    let arr = h.heap(arr);
    let four = h.c(4);
    let off = h.b.bin(BinOp::Shl, idx, four);
    let slot = h.b.bin(BinOp::Add, arr, off);
    // Outside the array part, read the table's own register instead (never nil).
    let at = h.b.select(inb, slot, rt);
    let tag = h.b.load(I64, at, 0, false);
    let hole = h.b.icmp(ICmp::Eq, tag, zero);
    let bits = h.b.load(I64, tab, TABLE_KEYBITS as i32, false);
    let no_hash = h.b.icmp(ICmp::Eq, bits, zero);
    let out = h.not(inb);
    let out_absent = h.b.bin(BinOp::And, out, no_hash);
    let absent = h.b.bin(BinOp::Or, hole, out_absent);
    let mt = h.b.load(I64, tab, TABLE_META as i32, false);
    let mt = h.heap(mt);
    let plain = h.b.icmp(ICmp::Eq, mt, zero);
    let ok = h.b.bin(BinOp::And, absent, plain);
    h.or_slow(ok);
    let a = h.a();
    let ra = h.reg(a);
    h.store_tv(ra, T_NIL, zero);
    let pc1 = h.next_pc();
    h.dispatch(pc1)
}

/// SETTABLE/SETI with an integer key whose array slot holds no value, on a table without a
/// metatable (so no `__newindex`): a hole in the array part takes the value in place, and
/// key `asize + 1` is appended while the array has room and the hash part has never had a
/// key (so the key is in neither part, and no key after it waits there). Else the helper's.
fn int_set_miss(ids: Ids, name: &str, op: Op) -> Trace {
    let mut h = H::new(name, ids);
    let (_, tab, key) = h.int_key_operands(op);
    let zero = h.c(0);
    let one = h.c(1);
    let mt = h.b.load(I64, tab, TABLE_META as i32, false);
    let mt = h.heap(mt);
    let plain = h.b.icmp(ICmp::Eq, mt, zero);
    h.or_slow(plain);
    let cf = h.c_();
    let rv = h.rk(cf, 57);
    let vt = h.b.load(I64, rv, 0, false);
    let vv = h.b.load(I64, rv, 8, false);
    let idx = h.b.bin(BinOp::Sub, key, one);
    let asize = h.b.load(I64, tab, TABLE_ASIZE as i32, false);
    let hole = h.b.icmp(ICmp::Ult, idx, asize);
    let at_end = h.b.icmp(ICmp::Eq, idx, asize);
    let acap = h.b.load(I64, tab, crate::table::TABLE_ACAP as i32, false);
    let room = h.b.icmp(ICmp::Ult, asize, acap);
    let bits = h.b.load(I64, tab, TABLE_KEYBITS as i32, false);
    let no_hash = h.b.icmp(ICmp::Eq, bits, zero);
    let nil = h.c(T_NIL as i64);
    let value = h.b.icmp(ICmp::Ne, vt, nil);
    let append = h.b.bin(BinOp::And, at_end, room);
    let append = h.b.bin(BinOp::And, append, no_hash);
    let append = h.b.bin(BinOp::And, append, value);
    let ok = h.b.bin(BinOp::Or, hole, append);
    h.or_slow(ok);
    let arr = h.b.load(I64, tab, TABLE_ARRAY as i32, false);
    let arr = h.heap(arr);
    let four = h.c(4);
    let off = h.b.bin(BinOp::Shl, idx, four);
    let slot = h.b.bin(BinOp::Add, arr, off);
    h.b.store(slot, 0, vt);
    h.b.store(slot, 8, vv);
    let grown = h.b.bin(BinOp::Add, asize, one);
    let size = h.b.select(append, grown, asize);
    h.b.store(tab, TABLE_ASIZE as i32, size);
    let pc1 = h.next_pc();
    h.dispatch(pc1)
}

/// LEN A B: R[A] = #R[B] for a table without a metatable whose border is plain: an empty
/// hash part, and an array part that is empty or ends in a value (so `asize` is the border
/// `Table::length` finds). A string goes to `on_str`; anything else is the helper's.
fn length(ids: Ids, name: &str, on_str: u32) -> Trace {
    let mut h = H::new(name, ids);
    let bf = h.b_();
    let rb = h.reg(bf);
    let tag = h.b.load(I64, rb, 0, false);
    let tt = h.c(T_TABLE as i64);
    let is_tab = h.b.icmp(ICmp::Eq, tag, tt);
    let s = h.b.snapshot_to(SnapTo::Fragment(on_str), 0, &[]);
    h.b.guard(is_tab, s);
    let tab = h.b.load(I64, rb, 8, false);
    let tab = h.heap(tab);
    let zero = h.c(0);
    let one = h.c(1);
    let mt = h.b.load(I64, tab, TABLE_META as i32, false);
    let mt = h.heap(mt);
    let bits = h.b.load(I64, tab, TABLE_KEYBITS as i32, false);
    let asize = h.b.load(I64, tab, TABLE_ASIZE as i32, false);
    let arr = h.b.load(I64, tab, TABLE_ARRAY as i32, false);
    let arr = h.heap(arr);
    let no_mt = h.b.icmp(ICmp::Eq, mt, zero);
    let no_hash = h.b.icmp(ICmp::Eq, bits, zero);
    let empty = h.b.icmp(ICmp::Eq, asize, zero);
    let last = h.b.bin(BinOp::Sub, asize, one);
    let four = h.c(4);
    let off = h.b.bin(BinOp::Shl, last, four);
    let at = h.b.bin(BinOp::Add, arr, off);
    // An empty array part reads the table's own register instead (never nil).
    let at = h.b.select(empty, rb, at);
    let lt = h.b.load(I64, at, 0, false);
    let nil = h.c(T_NIL as i64);
    let ends = h.b.icmp(ICmp::Ne, lt, nil);
    let plain = h.b.bin(BinOp::And, no_mt, no_hash);
    let plain = h.b.bin(BinOp::And, plain, ends);
    h.or_slow(plain);
    let a = h.a();
    let ra = h.reg(a);
    h.store_tv(ra, T_INT, asize);
    let pc1 = h.next_pc();
    h.dispatch(pc1)
}

/// LEN of a string: its byte count.
fn length_str(ids: Ids, name: &str) -> Trace {
    let mut h = H::new(name, ids);
    let bf = h.b_();
    let rb = h.reg(bf);
    h.tag_is(rb, T_STR);
    let sv = h.b.load(I64, rb, 8, false);
    let sv = h.heap(sv);
    let n = h.b.load(I64, sv, crate::string::STR_LEN as i32, false);
    let a = h.a();
    let ra = h.reg(a);
    h.store_tv(ra, T_INT, n);
    let pc1 = h.next_pc();
    h.dispatch(pc1)
}

/// LOADNIL A B: R[A..=A+B] = nil, for B < 4 (the helper does longer runs). Registers past
/// A+B get their stores sent to R[A] instead, so the fragment stays straight-line.
fn load_nil(ids: Ids, name: &str) -> Trace {
    let mut h = H::new(name, ids);
    let a = h.a();
    let bf = h.b_();
    let four = h.c(4);
    let short = h.b.icmp(ICmp::Ult, bf, four);
    h.or_slow(short);
    let ra = h.reg(a);
    let zero = h.c(0);
    h.store_tv(ra, T_NIL, zero);
    for k in 1..4 {
        let kk = h.c(k);
        let within = h.b.icmp(ICmp::Ule, kk, bf);
        let off = h.c(16 * k);
        let rk = h.b.bin(BinOp::Add, ra, off);
        let at = h.b.select(within, rk, ra);
        h.store_tv(at, T_NIL, zero);
    }
    let pc1 = h.next_pc();
    h.dispatch(pc1)
}

/// The VM as a fragment program (it verifies; see the tests).
pub fn program() -> Program {
    let mut pb = ProgramBuilder::new("lua");
    pb.green_slot("pc", I64);
    pb.green_slot("k", I64);
    pb.slot("base", I64);
    pb.green_slot("L", I64);
    pb.temp_slot("op", I64);
    pb.temp_slot("st", I64);
    let fetch = pb.declare("fetch");
    let lp = pb.declare("loop");
    let reload = pb.declare("reload");
    let reload_loop = pb.declare("reload_loop");
    let slow = pb.declare("slow");
    let status = pb.declare("status");
    let table = pb.table("ops", &[]);
    let self_str_frag = pb.declare("op_selfop_str");
    let ret_all = pb.declare("op_return_all");
    let call_native_frag = pb.declare("op_call_native");
    let len_str = pb.declare("op_len_s");
    let builtins = [(BUILTIN_SQRT, "math_sqrt"), (BUILTIN_ABS, "math_abs")];
    let builtin_frags: Vec<u32> = builtins.iter().map(|(_, n)| pb.declare(&format!("builtin_{n}"))).collect();
    let mut native_targets = vec![slow];
    for (i, &(b, _)) in builtins.iter().enumerate() {
        assert_eq!(b as usize, native_targets.len(), "builtins are numbered in order");
        native_targets.push(builtin_frags[i]);
    }
    let natives = pb.table("natives", &native_targets);
    let ids = Ids { table, fetch, lp, slow, self_str: self_str_frag, call_native: call_native_frag };
    pb.define(call_native_frag, call_native(ids, "op_call_native", natives));
    pb.define(len_str, length_str(ids, "op_len_s"));
    for (i, &(b, n)) in builtins.iter().enumerate() {
        pb.define(builtin_frags[i], builtin(ids, &format!("builtin_{n}"), b));
    }
    pb.define(self_str_frag, self_str(ids, "op_selfop_str"));
    pb.define(ret_all, ret(ids, "op_return_all", None));

    let fast: Vec<Op> = vec![
        Op::Move,
        Op::LoadI,
        Op::LoadK,
        Op::LoadFalse,
        Op::LoadTrue,
        Op::LoadNil,
        Op::Len,
        Op::Jmp,
        Op::Add,
        Op::Sub,
        Op::Mul,
        Op::Div,
        Op::Mod,
        Op::IDiv,
        Op::ForLoop,
        Op::ForPrep,
        Op::Lt,
        Op::Le,
        Op::Eq,
        Op::Test,
        Op::Not,
        Op::GetTable,
        Op::GetI,
        Op::SetTable,
        Op::SetI,
        Op::Call,
        Op::TailCall,
        Op::Return,
        Op::GetUpval,
        Op::SetUpval,
        Op::GetTabUp,
        Op::SetTabUp,
        Op::SelfOp,
    ];
    let mut targets = vec![slow; OP_COUNT];
    for &op in &fast {
        let f = pb.declare(&format!("op_{op:?}").to_lowercase());
        targets[op as usize] = f;
    }
    let str_ops = [Op::GetTable, Op::SetTable];
    let str_frags: Vec<u32> =
        str_ops.iter().map(|op| pb.declare(&format!("op_{op:?}_s").to_lowercase())).collect();
    let int_miss_ops = [Op::GetTable, Op::GetI, Op::SetTable, Op::SetI];
    let int_miss_frags: Vec<u32> =
        int_miss_ops.iter().map(|op| pb.declare(&format!("op_{op:?}_imiss").to_lowercase())).collect();
    let miss_ops = [Op::GetTable, Op::GetTabUp, Op::SelfOp, Op::SetTable, Op::SetTabUp];
    let miss_frags: Vec<u32> =
        miss_ops.iter().map(|op| pb.declare(&format!("op_{op:?}_miss").to_lowercase())).collect();
    let miss_of = |op: Op| miss_ops.iter().position(|&o| o == op).map(|i| miss_frags[i]);
    // The hash-part probes behind the cached slot (`hash_access`), and the reads' fast path
    // through `__index`.
    let probe_frags: Vec<u32> =
        miss_ops.iter().map(|op| pb.declare(&format!("op_{op:?}_probe").to_lowercase())).collect();
    let probe_of = |op: Op| probe_frags[miss_ops.iter().position(|&o| o == op).expect("a hash op")];
    let mf_ops = [Op::GetTable, Op::GetTabUp, Op::SelfOp];
    let mf_frags: Vec<u32> =
        mf_ops.iter().map(|op| pb.declare(&format!("op_{op:?}_mf").to_lowercase())).collect();
    let mf2_frags: Vec<u32> =
        mf_ops.iter().map(|op| pb.declare(&format!("op_{op:?}_mf2").to_lowercase())).collect();
    let mf_of = |op: Op| mf_ops.iter().position(|&o| o == op).map(|i| mf_frags[i]);
    let cmp_ops = [Op::Eq, Op::Lt, Op::Le];
    let cmp_frags: Vec<u32> =
        cmp_ops.iter().map(|op| pb.declare(&format!("op_{op:?}_f").to_lowercase())).collect();
    let float_ops = [Op::Add, Op::Sub, Op::Mul, Op::Div];
    let float_frags: Vec<u32> =
        float_ops.iter().map(|op| pb.declare(&format!("op_{op:?}_f").to_lowercase())).collect();
    let mixed_frags: Vec<u32> =
        float_ops.iter().map(|op| pb.declare(&format!("op_{op:?}_m").to_lowercase())).collect();
    pb.set_table(table, &targets);
    pb.entry(fetch);
    pb.control(lp);

    for (frag, name) in [(fetch, "fetch"), (lp, "loop")] {
        let mut b = Builder::named(name);
        let pc = b.input(PC, I64);
        b.name(pc, "pc");
        let (s, _) = dispatch_snap(&mut b, table, pc, &[]);
        pb.define(frag, b.exit(s));
    }

    // reload / reload_loop: the frame the helper left in the state.
    for (frag, name) in [(reload, "reload"), (reload_loop, "reload_loop")] {
        let mut b = Builder::named(name);
        let l = b.input(L, I64);
        b.name(l, "L");
        let pc = b.load(I64, l, OFF_PC, false);
        b.name(pc, "pc");
        b.promote(pc);
        let k = b.load(I64, l, OFF_K, false);
        b.name(k, "k");
        b.promote(k);
        let base = b.load(I64, l, OFF_BASE, false);
        b.name(base, "base");
        let s = if frag == reload {
            dispatch_snap(&mut b, table, pc, &[(K, k), (BASE, base)]).0
        } else {
            b.snapshot_to(SnapTo::Fragment(lp), 0, &[(PC, pc), (K, k), (BASE, base)])
        };
        pb.define(frag, b.exit(s));
    }

    // slow: the helper runs the instruction at pc.
    {
        let mut b = Builder::named("slow");
        let pc = b.input(PC, I64);
        b.name(pc, "pc");
        let l = b.input(L, I64);
        b.name(l, "L");
        let st = b.call_hinted(
            Some(I64),
            Callee::Symbol(EXEC_SYMBOL.to_string()),
            &[l, pc],
            CallEffect::Any,
            CallHint::Outline,
        );
        b.name(st, "st");
        let zero = b.iconst(I64, STATUS_NEXT as i64);
        let next = b.icmp(ICmp::Eq, st, zero);
        let s = b.snapshot_to(SnapTo::Fragment(status), 0, &[(ST, st)]);
        b.guard(next, s);
        let eight = b.iconst(I64, 8);
        let pc1 = b.bin(BinOp::Add, pc, eight);
        let (d, _) = dispatch_snap(&mut b, table, pc1, &[]);
        pb.define(slow, b.exit(d));
    }

    // status: where a helper's non-zero status goes.
    {
        let mut b = Builder::named("status");
        let st = b.input(ST, I64);
        b.name(st, "st");
        let host = b.iconst(I64, STATUS_HOST as i64);
        let is_host = b.icmp(ICmp::Eq, st, host);
        let h = b.snapshot_to(SnapTo::Host, RESUME_HELPER, &[]);
        b.guard_not(is_host, h);
        let lpst = b.iconst(I64, STATUS_LOOP as i64);
        let is_loop = b.icmp(ICmp::Eq, st, lpst);
        let s = b.snapshot_to(SnapTo::Fragment(reload_loop), 0, &[]);
        b.guard_not(is_loop, s);
        let r = b.snapshot_to(SnapTo::Fragment(reload), 0, &[]);
        pb.define(status, b.exit(r));
    }

    for &op in &fast {
        let name = format!("op_{op:?}").to_lowercase();
        let body = match op {
            Op::Move => {
                let mut h = H::new(&name, ids);
                let a = h.a();
                let b = h.b_();
                let rb = h.reg(b);
                let ra = h.reg(a);
                let t = h.b.load(I64, rb, 0, false);
                let v = h.b.load(I64, rb, 8, false);
                h.b.store(ra, 0, t);
                h.b.store(ra, 8, v);
                let pc1 = h.next_pc();
                h.dispatch(pc1)
            }
            Op::LoadK => {
                let mut h = H::new(&name, ids);
                let a = h.a();
                let bx = h.field(24, 0xffff_ffff, "bx");
                let kb = h.konst(bx);
                let ra = h.reg(a);
                let t = h.b.load(I64, kb, 0, true);
                let v = h.b.load(I64, kb, 8, true);
                h.b.store(ra, 0, t);
                h.b.store(ra, 8, v);
                let pc1 = h.next_pc();
                h.dispatch(pc1)
            }
            Op::LoadI => {
                let mut h = H::new(&name, ids);
                let a = h.a();
                let v = h.sbx();
                let ra = h.reg(a);
                h.store_tv(ra, T_INT, v);
                let pc1 = h.next_pc();
                h.dispatch(pc1)
            }
            Op::Jmp => {
                let mut h = H::new(&name, ids);
                let t = h.target();
                h.jump_to(t)
            }
            Op::Add | Op::Sub | Op::Mul | Op::Div | Op::Mod | Op::IDiv => {
                let ff = float_ops.iter().position(|&o| o == op).map(|i| float_frags[i]);
                arith(ids, &name, op, ff)
            }
            Op::LoadFalse | Op::LoadTrue => {
                let mut h = H::new(&name, ids);
                let a = h.a();
                let ra = h.reg(a);
                let zero = h.c(0);
                h.store_tv(ra, if op == Op::LoadTrue { T_TRUE } else { T_FALSE }, zero);
                let pc1 = h.next_pc();
                h.dispatch(pc1)
            }
            Op::ForLoop => forloop(ids, &name),
            Op::ForPrep => forprep(ids, &name),
            Op::LoadNil => load_nil(ids, &name),
            Op::Len => length(ids, &name, len_str),
            Op::Lt | Op::Le | Op::Eq => {
                let ff = cmp_frags[cmp_ops.iter().position(|&o| o == op).expect("a comparison")];
                compare(ids, &name, op, ff)
            }
            Op::Test => {
                let mut h = H::new(&name, ids);
                let a = h.a();
                let ra = h.reg(a);
                let t = h.b.load(I64, ra, 0, false);
                let one = h.c(T_FALSE as i64);
                let truthy = h.b.icmp(ICmp::Ugt, t, one);
                h.cond_jump(truthy)
            }
            Op::Not => {
                let mut h = H::new(&name, ids);
                let b = h.b_();
                let rb = h.reg(b);
                let t = h.b.load(I64, rb, 0, false);
                let one = h.c(T_FALSE as i64);
                let falsy = h.b.icmp(ICmp::Ule, t, one);
                let tt = h.c(T_TRUE as i64);
                let ff = h.c(T_FALSE as i64);
                let tag = h.b.select(falsy, tt, ff);
                let a = h.a();
                let ra = h.reg(a);
                let zero = h.c(0);
                h.b.store(ra, 0, tag);
                h.b.store(ra, 8, zero);
                let pc1 = h.next_pc();
                h.dispatch(pc1)
            }
            Op::GetTable | Op::GetI | Op::SetTable | Op::SetI => {
                let sf = str_ops.iter().position(|&o| o == op).map(|i| str_frags[i]);
                let mf = int_miss_ops.iter().position(|&o| o == op).map(|i| int_miss_frags[i]);
                table_access(ids, &name, op, sf, mf)
            }
            Op::Call => call(ids, &name),
            Op::TailCall => tail_call(ids, &name),
            Op::GetUpval | Op::SetUpval => upval(ids, &name, op),
            Op::GetTabUp | Op::SetTabUp | Op::SelfOp => hash_fast(ids, &name, op, probe_of(op), mf_of(op)),
            Op::Return => ret(ids, &name, Some(ret_all)),
            _ => unreachable!("{op:?} is in the fast list"),
        };
        let f = targets[op as usize];
        pb.define(f, body);
    }
    for (i, &op) in cmp_ops.iter().enumerate() {
        let name = format!("op_{op:?}_f").to_lowercase();
        pb.define(cmp_frags[i], compare_float(ids, &name, op));
    }
    for (i, &op) in str_ops.iter().enumerate() {
        let name = format!("op_{op:?}_s").to_lowercase();
        pb.define(str_frags[i], hash_fast(ids, &name, op, probe_of(op), mf_of(op)));
    }
    for (i, &op) in miss_ops.iter().enumerate() {
        let name = format!("op_{op:?}_probe").to_lowercase();
        pb.define(probe_frags[i], hash_access(ids, &name, op, miss_of(op)));
    }
    for (i, &op) in mf_ops.iter().enumerate() {
        let name = format!("op_{op:?}_mf").to_lowercase();
        let to = [probe_of(op), miss_of(op).expect("a read has a miss variant")];
        pb.define(mf_frags[i], miss_fast(ids, &name, op, 1, to, Some(mf2_frags[i])));
        let name = format!("op_{op:?}_mf2").to_lowercase();
        pb.define(mf2_frags[i], miss_fast(ids, &name, op, 2, to, None));
    }
    for (i, &op) in int_miss_ops.iter().enumerate() {
        let name = format!("op_{op:?}_imiss").to_lowercase();
        let body = match op {
            Op::SetTable | Op::SetI => int_set_miss(ids, &name, op),
            _ => int_miss(ids, &name, op),
        };
        pb.define(int_miss_frags[i], body);
    }
    for (i, &op) in miss_ops.iter().enumerate() {
        let name = format!("op_{op:?}_miss").to_lowercase();
        let body = if matches!(op, Op::SetTable | Op::SetTabUp) {
            hash_access(ids, &name, op, None)
        } else {
            hash_miss(ids, &name, op)
        };
        pb.define(miss_frags[i], body);
    }
    for (i, &op) in float_ops.iter().enumerate() {
        let name = format!("op_{op:?}_f").to_lowercase();
        pb.define(float_frags[i], arith_float(ids, &name, op, Some(mixed_frags[i])));
        let name = format!("op_{op:?}_m").to_lowercase();
        pb.define(mixed_frags[i], arith_float(ids, &name, op, None));
    }
    pb.finish().expect("every declared fragment is defined")
}
