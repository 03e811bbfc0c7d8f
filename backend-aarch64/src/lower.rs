//! Per-op lowering of an allocated trace.
//!
//! Operands are read from their one location: a register as is, a spill slot reloaded into a
//! scratch register, a constant as an immediate where the instruction has a form for it and
//! otherwise materialized into a scratch register. Results that live in a spill slot are
//! computed into a scratch register and stored. Integers stay zero-extended to 64 bits: W
//! forms do it for free, 8/16-bit results get uxtb/uxth, and signed operations on narrow
//! types sign-extend their operands first. Multi-instruction sequences read every operand
//! before they write the destination, because the allocator may give the result the register
//! of an operand that dies here.

// dynasm's expansion converts every register number with `.into()`.
#![allow(clippy::useless_conversion)]

use dynasmrt::{DynamicLabel, DynasmApi, DynasmLabelApi};
use trace_ir::backend::{BackendError, ListingPart};
use trace_ir::exit::TraceCtx;
use trace_ir::ir::*;
use trace_ir::regalloc::{Allocation, Loc, Move, Reg, RegClass, RegFile, Schedule};
use trace_ir::{Symbols, Type};

use crate::emit::*;
use crate::regs::{ARG_FPRS, ARG_GPRS, CTX, F0, F1, S0, S1, S2, ZR};

/// Stack-passed call arguments the fixed outgoing area holds.
pub const MAX_STACK_ARGS: usize = 64;

/// Byte offset of spill slot `k` from the context pointer.
pub fn spill_off(k: u32) -> i64 {
    (std::mem::offset_of!(TraceCtx, spill) + 8 * k as usize) as i64
}

pub fn gpr_off(hw: u8) -> i64 {
    (std::mem::offset_of!(TraceCtx, gpr) + 8 * hw as usize) as i64
}

pub fn fpr_off(hw: u8) -> i64 {
    (std::mem::offset_of!(TraceCtx, fpr) + 8 * hw as usize) as i64
}

pub fn width(ty: Type) -> W {
    if ty.bits() == 64 {
        W::X64
    } else {
        W::W32
    }
}

/// Keeps an integer result of `ty` canonical after a W-form operation.
pub fn normalize(a: &mut Asm, ty: Type, rd: u8) {
    match ty {
        Type::I1 => a64!(a; and WSP(rd), W(rd), 1),
        Type::I8 | Type::I16 => zext_bits(a, rd, rd, ty.bits()),
        _ => {}
    }
}

fn icmp_cond(c: ICmp) -> Cond {
    match c {
        ICmp::Eq => Cond::Eq,
        ICmp::Ne => Cond::Ne,
        ICmp::Slt => Cond::Lt,
        ICmp::Sle => Cond::Le,
        ICmp::Sgt => Cond::Gt,
        ICmp::Sge => Cond::Ge,
        ICmp::Ult => Cond::Lo,
        ICmp::Ule => Cond::Ls,
        ICmp::Ugt => Cond::Hi,
        ICmp::Uge => Cond::Hs,
    }
}

/// After `fcmp`, an unordered result sets C and V and clears N and Z. These conditions are
/// false on NaN except `ne` (true, as in C) and `uno` (exactly NaN).
pub fn fcmp_cond(c: FCmp) -> Cond {
    match c {
        FCmp::Eq => Cond::Eq,
        FCmp::Ne => Cond::Ne,
        FCmp::Lt => Cond::Mi,
        FCmp::Le => Cond::Ls,
        FCmp::Gt => Cond::Gt,
        FCmp::Ge => Cond::Ge,
        FCmp::Uno => Cond::Vs,
    }
}

/// What the lowering needs to know about the world around the trace.
pub struct Target<'a> {
    /// Address the code will run at (0 for a cross listing).
    pub base: u64,
    /// The id written to `TraceCtx::exit_trace`.
    pub trace_id: u32,
    /// The internal entry of an installed trace, for `link T`.
    pub resolve: &'a dyn Fn(u32) -> Option<u64>,
}

/// A trace's code plus the offsets the installer patches.
#[derive(Clone, Debug)]
pub struct Compiled {
    pub code: Vec<u8>,
    pub parts: Vec<ListingPart>,
    pub entry: usize,
    pub internal: usize,
    /// Offset of the loop header (the back edge's target), when the trace loops.
    pub loop_head: Option<usize>,
    /// Offset of the back-edge branch, when the trace loops.
    pub back_edge: Option<usize>,
    /// Per snapshot: the patchable `b` every exit to it goes through.
    pub stubs: Vec<usize>,
    /// Per snapshot: the deopt path (the stub's unlinked target).
    pub deopts: Vec<usize>,
    /// Per snapshot: the code that writes the snapshot to the slots (a linked stub's target).
    pub link_paths: Vec<usize>,
    /// Per snapshot: the patchable `b` at the end of the link path.
    pub link_tails: Vec<usize>,
    /// A `link T` to a trace that was not installed yet: the offset of its `b` (now to the
    /// deopt path) and `T`.
    pub pending_link: Option<(usize, u32)>,
    /// Offset of the terminator's `link` branch, when the trace ends in `link`, or its
    /// dispatch's `br`.
    pub link_branch: Option<usize>,
    /// Dispatch table entries for traces not installed yet: `(offset of the 8-byte entry, T)`.
    pub pending_entries: Vec<(usize, u32)>,
    /// Per part: the instruction it is the code of (None for labels such as `entry`).
    pub part_inst: Vec<Option<usize>>,
}

pub struct Lower<'a> {
    pub a: Asm,
    pub t: &'a Trace,
    pub al: &'a Allocation,
    syms: &'a Symbols,
    pub tgt: &'a Target<'a>,
    pub stub: Vec<DynamicLabel>,
    uses: Vec<u32>,
    /// The compare whose flags are live for the guard or select that consumes it.
    flags: Option<(usize, Cond)>,
    pub parts: Vec<ListingPart>,
    /// The instruction each part is the code of (None for labels).
    pub part_inst: Vec<Option<usize>>,
    /// Where fused instructions run: address arithmetic and `and`s folded into their single
    /// consumer (an addressing mode, `tst`), base updates written back by a post-indexed
    /// access. Planned with `Schedule::holds` and proved by `regalloc::check_fused`.
    pub sched: Schedule,
    /// The register file the allocation was made for (constraints and clobbers).
    rf: RegFile,
    /// Compares that leave their result in the flags for their consumer.
    flag_fused: Vec<bool>,
    /// Addressing modes of loads and stores whose address arithmetic was folded.
    addr: std::collections::HashMap<usize, AddrMode>,
    /// `icmp.{eq,ne} (and x, y), 0` compares folded into `tst x, y`: compare -> the `and`.
    tst: std::collections::HashMap<usize, usize>,
    /// Post-indexed accesses: memory instruction -> the increment of its base.
    post: std::collections::HashMap<usize, i64>,
    /// `icmp.slt x, 0` / `icmp.sge x, 0` right before their guard: a sign-bit test
    /// (`tbz`/`tbnz`, ±32 KiB) replaces compare and branch.
    sign_test: Vec<bool>,
    /// The register and sign bit of a planned sign test, and whether the compare is true
    /// when the bit is set.
    sign: Option<(usize, u8, u32, bool)>,
    /// Sign tests may be used (off when the trace is too large for `tbz`).
    pub tbz_ok: bool,
    /// Conditional exits go through an unconditional `b` (for traces over 1 MiB).
    pub far: bool,
}

/// `[base + index << shift + disp]` (with `index`, `disp` is 0).
#[derive(Clone, Copy, Debug)]
struct AddrMode {
    base: Value,
    index: Option<(Value, u32)>,
    disp: i64,
}

/// The offset part of an address.
#[derive(Clone, Copy, Debug)]
enum At {
    /// `[base, index, lsl shift]`
    Index(u8, u32),
    /// `[base + disp]`
    Disp(i64),
    /// `[base], #inc`: post-indexed, the base register advances by `inc`.
    Post(i64),
}

/// Whether the lowering of `op` writes the condition flags.
fn sets_flags(op: &Op) -> bool {
    matches!(op, Op::ICmp(..) | Op::FCmp(..) | Op::Ovf(..) | Op::Select(..) | Op::Call { .. })
}

fn inv(m: impl Into<String>) -> BackendError {
    BackendError::Invalid(m.into())
}

impl<'a> Lower<'a> {
    pub fn new(t: &'a Trace, al: &'a Allocation, syms: &'a Symbols, tgt: &'a Target<'a>) -> Lower<'a> {
        let mut a = Asm::new(tgt.base as usize);
        let stub = t.snaps.iter().map(|_| a.new_dynamic_label()).collect();
        let mut uses = vec![0u32; t.insts.len()];
        let mut count = |v: Value| {
            if let Some(u) = uses.get_mut(v.index()) {
                *u += 1;
            }
        };
        for i in &t.insts {
            i.op.visit_operands(&mut count);
        }
        for s in &t.snaps {
            s.entries.iter().for_each(|e| count(e.1));
        }
        t.term.visit_operands(&mut count);
        t.loop_inits.iter().copied().for_each(&mut count);
        let n = t.insts.len();
        let mut l = Lower {
            a,
            t,
            al,
            syms,
            tgt,
            stub,
            uses,
            flags: None,
            parts: Vec::new(),
            part_inst: Vec::new(),
            sched: Schedule::new(t),
            rf: crate::regs::regfile(),
            flag_fused: vec![false; n],
            addr: Default::default(),
            tst: Default::default(),
            post: Default::default(),
            sign_test: vec![false; n],
            sign: None,
            tbz_ok: false,
            far: false,
        };
        l.plan_fusions();
        l
    }

    /// Plans sign-bit tests (call once `tbz_ok` is set).
    pub fn plan_sign_tests(&mut self) {
        if !self.tbz_ok {
            return;
        }
        let t = self.t;
        for i in 0..t.insts.len() {
            if let Op::ICmp(ICmp::Slt | ICmp::Sge, x, y) = t.insts[i].op {
                let v = Value(i as u32);
                let next_guard =
                    matches!(t.insts.get(i + 1).map(|n| &n.op), Some(Op::Guard { cond, .. }) if *cond == v);
                if self.konst(y) == Some(0)
                    && self.konst(x).is_none()
                    && self.uses[i] == 1
                    && next_guard
                    && t.loop_start != Some(i + 1)
                    && !self.tst.contains_key(&i)
                {
                    self.sign_test[i] = true;
                    self.flag_fused[i] = false;
                }
            }
        }
    }

    /// The instruction defining `v` when it is positioned (not an input or constant).
    fn def(&self, v: Value) -> Option<&'a Op> {
        let t: &'a Trace = self.t;
        t.insts.get(v.index()).map(|i| &i.op).filter(|op| !op.is_positionless())
    }

    /// True when code for instruction `j` can be emitted at `i` instead (see
    /// `Schedule::can_fold`); `also` are folded into `j` with it.
    fn movable(&self, j: usize, i: usize, also: &[Value]) -> bool {
        self.sched.can_fold(self.t, self.al, &self.rf, j, i, also)
    }

    /// Decides which address computations fold into loads and stores, which `and`s fold into
    /// `tst`, and which compares hand their flags to a guard or select.
    fn plan_fusions(&mut self) {
        let t = self.t;
        for i in 0..t.insts.len() {
            match &t.insts[i].op {
                Op::Load { base, disp, .. } | Op::Store { base, disp, .. } => {
                    let size = match &t.insts[i].op {
                        Op::Store { value, .. } => t.ty(*value).map(|t| t.bytes()).unwrap_or(8),
                        _ => t.insts[i].ty.map(|t| t.bytes()).unwrap_or(8),
                    };
                    if let Some(m) = self.plan_address(i, *base, *disp as i64, size) {
                        self.addr.insert(i, m);
                    } else if *disp == 0 {
                        if let Some((k, inc)) = self.plan_post_index(i, *base) {
                            self.sched.write_back(k, i);
                            self.post.insert(i, inc);
                        }
                    }
                }
                Op::ICmp(ICmp::Eq | ICmp::Ne, x, y) if self.konst(*y) == Some(0) => {
                    if let Some(Op::Bin(BinOp::And, ..)) = self.def(*x) {
                        let j = x.index();
                        if self.uses[j] == 1 && j < i && self.movable(j, i, &[]) {
                            self.sched.fold(j, i);
                            self.tst.insert(i, j);
                        }
                    }
                }
                _ => {}
            }
            if matches!(t.insts[i].op, Op::ICmp(..) | Op::FCmp(..)) && self.uses[i] == 1 {
                let v = Value(i as u32);
                let consumer = (i + 1..t.insts.len()).find(|&k| {
                    matches!(&t.insts[k].op, Op::Guard { cond, .. } if *cond == v)
                        || matches!(&t.insts[k].op, Op::Select(c, ..) if *c == v)
                });
                if let Some(k) = consumer {
                    let crosses = t.loop_start.is_some_and(|s| i < s && k >= s);
                    if !crosses && (i + 1..k).all(|m| !sets_flags(&t.insts[m].op)) {
                        self.flag_fused[i] = true;
                    }
                }
            }
        }
    }

    /// `ldr/str [q]` at `i` followed by `q1 = add q, c` that takes over q's register, with
    /// nothing between reading q (no operand, no snapshot): the access post-increments q
    /// (`ldr x, [q], #c`) and the add disappears. Returns (the add, c).
    fn plan_post_index(&self, i: usize, q: Value) -> Option<(usize, i64)> {
        let t = self.t;
        let Loc::Reg(r) = self.loc(q) else { return None };
        if r.class != RegClass::Gpr {
            return None;
        }
        if let Op::Store { value, .. } = t.insts[i].op {
            // A write-back store whose data register is its base is unpredictable.
            if self.loc(value) == self.loc(q) {
                return None;
            }
        }
        let end = t.loop_start.filter(|&s| s > i).unwrap_or(t.insts.len());
        for k in i + 1..end {
            let op = &t.insts[k].op;
            if let Op::Bin(BinOp::Add, x, y) = op {
                let c = if *x == q {
                    self.konst(*y)
                } else if *y == q {
                    self.konst(*x)
                } else {
                    None
                };
                if let Some(c) = c {
                    let c = c as i64;
                    let ok = (-256..256).contains(&c)
                        && self.loc(Value(k as u32)) == Loc::Reg(r)
                        && t.insts[k].ty == Some(Type::I64)
                        && !self.sched.is_fused(k)
                        && self.sched.written_back_at(i).is_none();
                    return ok.then_some((k, c));
                }
            }
            let mut reads = false;
            op.visit_operands(|v| reads |= v == q);
            if let Some(s) = op.snap() {
                reads |= t.snaps.get(s.index()).is_some_and(|sn| sn.entries.iter().any(|e| e.1 == q));
            }
            if reads {
                return None;
            }
        }
        None
    }

    /// Folds `base = add x, y` (and `y = shl z, log2(size)`) into the access at `i`.
    fn plan_address(&mut self, i: usize, base: Value, disp: i64, size: u32) -> Option<AddrMode> {
        let Some(Op::Bin(BinOp::Add, x, y)) = self.def(base) else { return None };
        let j = base.index();
        if self.uses[j] != 1 || j >= i || self.t.ty(base) != Some(Type::I64) {
            return None;
        }
        let (mut x, mut y) = (*x, *y);
        if self.konst(x).is_some() {
            std::mem::swap(&mut x, &mut y);
        }
        if self.konst(x).is_some() {
            return None;
        }
        if let Some(k) = self.konst(y) {
            if !self.movable(j, i, &[]) {
                return None;
            }
            self.sched.fold(j, i);
            return Some(AddrMode { base: x, index: None, disp: disp.wrapping_add(k as i64) });
        }
        if disp != 0 {
            return None;
        }
        let scale = size.trailing_zeros();
        for (b, ix) in [(x, y), (y, x)] {
            if let Some(Op::Bin(BinOp::Shl, z, k)) = self.def(ix) {
                let js = ix.index();
                if self.konst(*k) == Some(scale as u64)
                    && scale > 0
                    && self.uses[js] == 1
                    && self.konst(*z).is_none()
                    && js < j
                    && !self.sched.is_fused(js)
                    && self.movable(j, i, &[ix])
                {
                    self.sched.fold(j, i);
                    self.sched.fold(js, j);
                    return Some(AddrMode { base: b, index: Some((*z, scale)), disp: 0 });
                }
            }
        }
        if self.konst(y).is_none() && self.movable(j, i, &[]) {
            self.sched.fold(j, i);
            return Some(AddrMode { base: x, index: Some((y, 0)), disp: 0 });
        }
        None
    }

    pub fn offset(&self) -> usize {
        self.a.offset().0
    }

    pub fn part(&mut self, what: String, start: usize) {
        let len = self.offset() - start;
        self.parts.push(ListingPart { what, offset: start, len });
        self.part_inst.push(None);
    }

    /// A part that is the code of instruction `i`.
    pub fn part_of(&mut self, i: usize, what: String, start: usize) {
        self.part(what, start);
        if let Some(last) = self.part_inst.last_mut() {
            *last = Some(i);
        }
    }

    fn ty(&self, v: Value) -> Result<Type, BackendError> {
        self.t.ty(v).ok_or_else(|| inv(format!("value %{} has no type", v.0)))
    }

    fn loc(&self, v: Value) -> Loc {
        self.al.loc(v)
    }

    fn konst(&self, v: Value) -> Option<u64> {
        match self.loc(v) {
            Loc::Const(b) => Some(b),
            _ => None,
        }
    }

    /// `v` in a GPR: its register, or `scratch` loaded from its spill slot or constant.
    pub fn gpr(&mut self, v: Value, scratch: u8) -> Result<u8, BackendError> {
        match self.loc(v) {
            Loc::Reg(Reg { class: RegClass::Gpr, hw }) => Ok(hw),
            Loc::Spill(k) => {
                mem(&mut self.a, Mem::LdX, scratch, CTX, spill_off(k), scratch);
                Ok(scratch)
            }
            Loc::Const(bits) => {
                let w = width(self.ty(v)?);
                mov_imm(&mut self.a, w, scratch, bits);
                Ok(scratch)
            }
            l => Err(inv(format!("%{} is an integer operand at {l:?}", v.0))),
        }
    }

    /// `v` in an FPR; constants go through the GPR `tmp`.
    pub fn fpr(&mut self, v: Value, scratch: u8, tmp: u8) -> Result<u8, BackendError> {
        match self.loc(v) {
            Loc::Reg(Reg { class: RegClass::Fpr, hw }) => Ok(hw),
            Loc::Spill(k) => {
                mem(&mut self.a, Mem::LdD, scratch, CTX, spill_off(k), tmp);
                Ok(scratch)
            }
            Loc::Const(bits) => {
                fmov_imm(&mut self.a, scratch, bits, tmp);
                Ok(scratch)
            }
            l => Err(inv(format!("%{} is a float operand at {l:?}", v.0))),
        }
    }

    /// Where to compute `v`: its register, or `S0` when it is spilled or unused.
    fn dst(&self, v: Value) -> u8 {
        match self.loc(v) {
            Loc::Reg(Reg { class: RegClass::Gpr, hw }) => hw,
            _ => S0,
        }
    }

    fn fdst(&self, v: Value) -> u8 {
        match self.loc(v) {
            Loc::Reg(Reg { class: RegClass::Fpr, hw }) => hw,
            _ => F0,
        }
    }

    /// Stores a result computed into a scratch register to its spill slot.
    fn fin(&mut self, v: Value, r: u8) {
        if let Loc::Spill(k) = self.loc(v) {
            mem(&mut self.a, Mem::StX, r, CTX, spill_off(k), S1);
        }
    }

    fn ffin(&mut self, v: Value, r: u8) {
        if let Loc::Spill(k) = self.loc(v) {
            mem(&mut self.a, Mem::StD, r, CTX, spill_off(k), S1);
        }
    }

    /// One move between locations (`S1` is its own temporary; `S0`/`F0` may be the
    /// allocator's cycle breaker and are treated like any register).
    pub fn mov(&mut self, m: &Move) -> Result<(), BackendError> {
        let a = &mut self.a;
        match (m.class, m.from, m.to) {
            (_, f, t) if f == t => {}
            (_, _, Loc::None) | (_, Loc::None, _) => {}
            (RegClass::Gpr, Loc::Reg(f), Loc::Reg(t)) => mov_rr(a, W::X64, t.hw, f.hw),
            (RegClass::Fpr, Loc::Reg(f), Loc::Reg(t)) => fmov_rr(a, t.hw, f.hw),
            (RegClass::Gpr, Loc::Reg(f), Loc::Spill(k)) => mem(a, Mem::StX, f.hw, CTX, spill_off(k), S1),
            (RegClass::Fpr, Loc::Reg(f), Loc::Spill(k)) => mem(a, Mem::StD, f.hw, CTX, spill_off(k), S1),
            (RegClass::Gpr, Loc::Spill(k), Loc::Reg(t)) => mem(a, Mem::LdX, t.hw, CTX, spill_off(k), S1),
            (RegClass::Fpr, Loc::Spill(k), Loc::Reg(t)) => mem(a, Mem::LdD, t.hw, CTX, spill_off(k), S1),
            (_, Loc::Spill(j), Loc::Spill(k)) => {
                mem(a, Mem::LdX, S1, CTX, spill_off(j), S1);
                mem(a, Mem::StX, S1, CTX, spill_off(k), S1);
            }
            (RegClass::Gpr, Loc::Const(b), Loc::Reg(t)) => mov_imm(a, W::X64, t.hw, b),
            (RegClass::Fpr, Loc::Const(b), Loc::Reg(t)) => fmov_imm(a, t.hw, b, S1),
            (_, Loc::Const(b), Loc::Spill(k)) => {
                let r = if b == 0 { ZR } else { S1 };
                if b != 0 {
                    mov_imm(a, W::X64, S1, b);
                }
                mem(a, Mem::StX, r, CTX, spill_off(k), S1);
            }
            (_, f, t) => return Err(inv(format!("cannot move {f:?} to {t:?}"))),
        }
        Ok(())
    }

    pub fn moves(&mut self, ms: &[Move]) -> Result<(), BackendError> {
        ms.iter().try_for_each(|m| self.mov(m))
    }

    /// Lowers instruction `i`.
    pub fn inst(&mut self, i: usize) -> Result<(), BackendError> {
        let inst = &self.t.insts[i];
        let v = Value(i as u32);
        if self.sched.is_fused(i) {
            return Ok(());
        }
        match &inst.op {
            // A promote is a hint for recording and trace building; it runs as nothing.
            Op::Input { .. }
            | Op::Const { .. }
            | Op::LoopParam { .. }
            | Op::Promote(_)
            | Op::Hint(_)
            | Op::Nop => Ok(()),
            Op::Bin(op, x, y) => {
                if op.is_float() {
                    self.fbin(v, *op, *x, *y)
                } else {
                    self.ibin(v, *op, *x, *y)
                }
            }
            Op::Un(op, x) => self.un(v, *op, *x),
            Op::Ovf(op, x, y, s) => self.ovf(v, *op, *x, *y, *s),
            Op::ICmp(c, x, y) => {
                if self.sign_test[i] {
                    let ty = self.ty(*x)?;
                    let r = self.gpr(*x, S0)?;
                    self.sign = Some((i, r, ty.bits() - 1, *c == ICmp::Slt));
                    return Ok(());
                }
                let cond = match self.tst.get(&i) {
                    Some(&j) => self.tst(j, *c)?,
                    None => self.icmp(*c, *x, *y)?,
                };
                self.setcc(i, v, cond);
                Ok(())
            }
            Op::FCmp(c, x, y) => {
                let r = self.fpr(*x, F0, S1)?;
                match self.konst(*y) {
                    Some(0) | Some(0x8000_0000_0000_0000) => a64!(self.a; fcmp D(r), 0.0),
                    _ => {
                        let q = self.fpr(*y, F1, S1)?;
                        a64!(self.a; fcmp D(r), D(q));
                    }
                }
                self.setcc(i, v, fcmp_cond(*c));
                Ok(())
            }
            Op::Select(c, x, y) => self.select(v, *c, *x, *y),
            Op::Conv(c, x) => self.conv(v, *c, *x),
            Op::Load { base, disp, .. } => self.load(i, v, *base, *disp),
            Op::Store { base, disp, value, .. } => self.store(i, *base, *disp, *value),
            Op::Call { callee, args, .. } => self.call(v, callee, args),
            Op::Guard { cond, expect, snap } => self.guard(*cond, *expect, *snap),
        }
    }

    /// Leaves the flags for the guard that follows when it is the compare's only use;
    /// otherwise materializes the `i1`.
    fn setcc(&mut self, i: usize, v: Value, cond: Cond) {
        if self.flag_fused[i] {
            self.flags = Some((i, cond));
            return;
        }
        if self.loc(v) == Loc::None {
            return;
        }
        let d = self.dst(v);
        cset(&mut self.a, cond, d);
        self.fin(v, d);
    }

    fn ibin(&mut self, v: Value, op: BinOp, mut x: Value, mut y: Value) -> Result<(), BackendError> {
        let ty = self.ty(v)?;
        let w = width(ty);
        let bits = ty.bits();
        if op.is_commutative() && self.konst(x).is_some() && self.konst(y).is_none() {
            std::mem::swap(&mut x, &mut y);
        }
        let d = self.dst(v);
        match op {
            BinOp::Add | BinOp::Sub => {
                let ra = self.gpr(x, S0)?;
                if let Some(k) = self.konst(y) {
                    let k = if op == BinOp::Sub { k.wrapping_neg() } else { k };
                    add_imm(&mut self.a, w, d, ra, k, S1);
                } else {
                    let rb = self.gpr(y, S1)?;
                    match (op, w) {
                        (BinOp::Add, W::W32) => a64!(self.a; add W(d), W(ra), W(rb)),
                        (BinOp::Add, W::X64) => a64!(self.a; add X(d), X(ra), X(rb)),
                        (_, W::W32) => a64!(self.a; sub W(d), W(ra), W(rb)),
                        (_, W::X64) => a64!(self.a; sub X(d), X(ra), X(rb)),
                    }
                }
                normalize(&mut self.a, ty, d);
            }
            BinOp::Mul => {
                let ra = self.gpr(x, S0)?;
                let rb = self.gpr(y, S1)?;
                match w {
                    W::W32 => a64!(self.a; mul W(d), W(ra), W(rb)),
                    W::X64 => a64!(self.a; mul X(d), X(ra), X(rb)),
                }
                normalize(&mut self.a, ty, d);
            }
            BinOp::And | BinOp::Or | BinOp::Xor => {
                let lop = match op {
                    BinOp::And => Logic::And,
                    BinOp::Or => Logic::Orr,
                    _ => Logic::Eor,
                };
                let ra = self.gpr(x, S0)?;
                if let Some(k) = self.konst(y) {
                    logic_imm(&mut self.a, lop, w, d, ra, k, S1);
                } else {
                    let rb = self.gpr(y, S1)?;
                    logic_rr(&mut self.a, lop, w, d, ra, rb);
                }
            }
            BinOp::Shl | BinOp::LShr | BinOp::AShr => self.shift(ty, op, d, x, y)?,
            BinOp::SDiv | BinOp::UDiv | BinOp::SRem | BinOp::URem => {
                let signed = matches!(op, BinOp::SDiv | BinOp::SRem) && ty != Type::I1;
                let narrow = bits < 32;
                let ra = self.gpr(x, S0)?;
                let rb = self.gpr(y, S1)?;
                let (ta, tb, q) = if signed && narrow {
                    sext_bits(&mut self.a, W::W32, S2, ra, bits);
                    sext_bits(&mut self.a, W::W32, S1, rb, bits);
                    (S2, S1, S0)
                } else {
                    (ra, rb, S2)
                };
                let rem = matches!(op, BinOp::SRem | BinOp::URem);
                let qd = if rem { q } else { d };
                match (signed, w) {
                    (true, W::W32) => a64!(self.a; sdiv W(qd), W(ta), W(tb)),
                    (true, W::X64) => a64!(self.a; sdiv X(qd), X(ta), X(tb)),
                    (false, W::W32) => a64!(self.a; udiv W(qd), W(ta), W(tb)),
                    (false, W::X64) => a64!(self.a; udiv X(qd), X(ta), X(tb)),
                }
                if rem {
                    match w {
                        W::W32 => a64!(self.a; msub W(d), W(q), W(tb), W(ta)),
                        W::X64 => a64!(self.a; msub X(d), X(q), X(tb), X(ta)),
                    }
                }
                if signed && narrow {
                    normalize(&mut self.a, ty, d);
                }
            }
            _ => return Err(inv(format!("{} on an integer type", op.name()))),
        }
        self.fin(v, d);
        Ok(())
    }

    /// Shifts: counts modulo the type width. lslv/lsrv/asrv already take 32/64-bit counts
    /// modulo the register width; 8/16-bit counts are masked here.
    fn shift(&mut self, ty: Type, op: BinOp, d: u8, x: Value, y: Value) -> Result<(), BackendError> {
        let bits = ty.bits();
        let w = width(ty);
        let ra = self.gpr(x, S0)?;
        if ty == Type::I1 {
            mov_rr(&mut self.a, W::X64, d, ra);
            return Ok(());
        }
        if let Some(k) = self.konst(y) {
            let c = (k % bits as u64) as u32;
            if c == 0 {
                // Shift by zero (lsl #0 would print as lsr #0).
                mov_rr(&mut self.a, w, d, ra);
                return Ok(());
            }
            match (op, w) {
                (BinOp::Shl, W::W32) => a64!(self.a; lsl W(d), W(ra), c),
                (BinOp::Shl, W::X64) => a64!(self.a; lsl X(d), X(ra), c),
                (BinOp::LShr, W::W32) => a64!(self.a; lsr W(d), W(ra), c),
                (BinOp::LShr, W::X64) => a64!(self.a; lsr X(d), X(ra), c),
                (_, W::X64) => a64!(self.a; asr X(d), X(ra), c),
                (_, W::W32) if bits == 32 => a64!(self.a; asr W(d), W(ra), c),
                (_, W::W32) => {
                    sext_bits(&mut self.a, W::W32, d, ra, bits);
                    a64!(self.a; asr W(d), W(d), c);
                }
            }
            normalize(&mut self.a, ty, d);
            return Ok(());
        }
        let mut rb = self.gpr(y, S1)?;
        if bits < 32 {
            a64!(self.a; and WSP(S2), W(rb), bits - 1);
            rb = S2;
        }
        match (op, w) {
            (BinOp::Shl, W::W32) => a64!(self.a; lsl W(d), W(ra), W(rb)),
            (BinOp::Shl, W::X64) => a64!(self.a; lsl X(d), X(ra), X(rb)),
            (BinOp::LShr, W::W32) => a64!(self.a; lsr W(d), W(ra), W(rb)),
            (BinOp::LShr, W::X64) => a64!(self.a; lsr X(d), X(ra), X(rb)),
            (_, W::X64) => a64!(self.a; asr X(d), X(ra), X(rb)),
            (_, W::W32) if bits == 32 => a64!(self.a; asr W(d), W(ra), W(rb)),
            (_, W::W32) => {
                sext_bits(&mut self.a, W::W32, S1, ra, bits);
                a64!(self.a; asr W(d), W(S1), W(rb));
            }
        }
        normalize(&mut self.a, ty, d);
        Ok(())
    }

    fn fbin(&mut self, v: Value, op: BinOp, x: Value, y: Value) -> Result<(), BackendError> {
        let ra = self.fpr(x, F0, S1)?;
        let rb = self.fpr(y, F1, S1)?;
        let d = self.fdst(v);
        match op {
            BinOp::FAdd => a64!(self.a; fadd D(d), D(ra), D(rb)),
            BinOp::FSub => a64!(self.a; fsub D(d), D(ra), D(rb)),
            BinOp::FMul => a64!(self.a; fmul D(d), D(ra), D(rb)),
            _ => a64!(self.a; fdiv D(d), D(ra), D(rb)),
        }
        self.ffin(v, d);
        Ok(())
    }

    fn un(&mut self, v: Value, op: UnOp, x: Value) -> Result<(), BackendError> {
        let ty = self.ty(v)?;
        if op.is_float() {
            let r = self.fpr(x, F0, S1)?;
            let d = self.fdst(v);
            match op {
                UnOp::FNeg => a64!(self.a; fneg D(d), D(r)),
                UnOp::FAbs => a64!(self.a; fabs D(d), D(r)),
                _ => a64!(self.a; fsqrt D(d), D(r)),
            }
            self.ffin(v, d);
            return Ok(());
        }
        let r = self.gpr(x, S0)?;
        let d = self.dst(v);
        match (op, width(ty)) {
            (UnOp::Neg, W::W32) => a64!(self.a; neg W(d), W(r)),
            (UnOp::Neg, W::X64) => a64!(self.a; neg X(d), X(r)),
            (_, W::W32) => a64!(self.a; mvn W(d), W(r)),
            (_, W::X64) => a64!(self.a; mvn X(d), X(r)),
        }
        normalize(&mut self.a, ty, d);
        self.fin(v, d);
        Ok(())
    }

    /// Whether register `hw` holds a value of snapshot `s` (then a result must not be written
    /// there before the overflow check, since the exit reads the old value).
    fn snap_uses_gpr(&self, s: SnapId, hw: u8) -> bool {
        self.t
            .snaps
            .get(s.index())
            .is_some_and(|sn| sn.entries.iter().any(|&(_, e)| self.loc(e) == Loc::Reg(Reg::gpr(hw))))
    }

    fn ovf(
        &mut self,
        v: Value,
        op: OvfOp,
        mut x: Value,
        mut y: Value,
        s: SnapId,
    ) -> Result<(), BackendError> {
        let ty = self.ty(v)?;
        let bits = ty.bits();
        let stub = *self.stub.get(s.index()).ok_or_else(|| inv(format!("no snap{}", s.0)))?;
        if op != OvfOp::Sub && self.konst(x).is_some() && self.konst(y).is_none() {
            std::mem::swap(&mut x, &mut y);
        }
        let d = self.dst(v);
        if bits >= 32 && op != OvfOp::Mul {
            // adds/subs set V on signed overflow of the operation width.
            let w = width(ty);
            let t = if self.snap_uses_gpr(s, d) { S2 } else { d };
            let ra = self.gpr(x, S0)?;
            let k = self.konst(y).map(|k| if op == OvfOp::Sub { k.wrapping_neg() } else { k });
            let k = k.map(|k| if w == W::W32 { k & 0xffff_ffff } else { k });
            let kneg =
                k.map(|k| if w == W::W32 { (k as u32).wrapping_neg() as u64 } else { k.wrapping_neg() });
            match (k.and_then(imm12), kneg.and_then(imm12), k) {
                (Some((i, sh)), _, _) => match (w, sh) {
                    (W::W32, false) => a64!(self.a; adds W(t), WSP(ra), i),
                    (W::W32, true) => a64!(self.a; adds W(t), WSP(ra), i, lsl 12),
                    (W::X64, false) => a64!(self.a; adds X(t), XSP(ra), i),
                    (W::X64, true) => a64!(self.a; adds X(t), XSP(ra), i, lsl 12),
                },
                // a + k == a - (-k), with the same overflow, as long as -k is not the minimum
                // (imm12 values never are).
                (None, Some((i, sh)), _) => match (w, sh) {
                    (W::W32, false) => a64!(self.a; subs W(t), WSP(ra), i),
                    (W::W32, true) => a64!(self.a; subs W(t), WSP(ra), i, lsl 12),
                    (W::X64, false) => a64!(self.a; subs X(t), XSP(ra), i),
                    (W::X64, true) => a64!(self.a; subs X(t), XSP(ra), i, lsl 12),
                },
                _ => {
                    let rb = self.gpr(y, S1)?;
                    match (op, w) {
                        (OvfOp::Add, W::W32) => a64!(self.a; adds W(t), W(ra), W(rb)),
                        (OvfOp::Add, W::X64) => a64!(self.a; adds X(t), X(ra), X(rb)),
                        (_, W::W32) => a64!(self.a; subs W(t), W(ra), W(rb)),
                        (_, W::X64) => a64!(self.a; subs X(t), X(ra), X(rb)),
                    }
                }
            }
            self.exit_if(Cond::Vs, stub);
            mov_rr(&mut self.a, W::X64, d, t);
            self.fin(v, d);
            return Ok(());
        }
        let ra = self.gpr(x, S0)?;
        let rb = self.gpr(y, S1)?;
        if ty == Type::I64 {
            // The product fits when the high half is the sign extension of the low half.
            a64!(self.a
                ; mul X(S2), X(ra), X(rb)
                ; smulh X(S1), X(ra), X(rb)
                ; cmp X(S1), X(S2), asr 63
            );
            self.exit_if(Cond::Ne, stub);
            mov_rr(&mut self.a, W::X64, d, S2);
        } else if ty == Type::I32 {
            a64!(self.a
                ; smull X(S2), W(ra), W(rb)
                ; cmp XSP(S2), W(S2), sxtw
            );
            self.exit_if(Cond::Ne, stub);
            a64!(self.a; mov W(d), W(S2));
        } else {
            // Narrow: compute exactly in 32 bits from sign-extended operands, then check
            // that the result survives truncation and sign extension.
            sext_bits(&mut self.a, W::W32, S2, ra, bits);
            sext_bits(&mut self.a, W::W32, S1, rb, bits);
            match op {
                OvfOp::Add => a64!(self.a; add W(S2), W(S2), W(S1)),
                OvfOp::Sub => a64!(self.a; sub W(S2), W(S2), W(S1)),
                OvfOp::Mul => a64!(self.a; mul W(S2), W(S2), W(S1)),
            }
            sext_bits(&mut self.a, W::W32, S1, S2, bits);
            cmp_rr(&mut self.a, W::W32, S2, S1);
            self.exit_if(Cond::Ne, stub);
            zext_bits(&mut self.a, d, S2, bits);
        }
        self.fin(v, d);
        Ok(())
    }

    /// Emits the flag-setting compare and returns the condition that holds when it is true.
    fn icmp(&mut self, mut c: ICmp, mut x: Value, mut y: Value) -> Result<Cond, BackendError> {
        let ty = self.ty(x)?;
        if self.konst(x).is_some() && self.konst(y).is_none() {
            std::mem::swap(&mut x, &mut y);
            c = c.swapped();
        }
        let bits = ty.bits();
        let signed = matches!(c, ICmp::Slt | ICmp::Sle | ICmp::Sgt | ICmp::Sge);
        let sx = signed && bits < 32;
        let w = width(ty);
        let mut ra = self.gpr(x, S0)?;
        if sx {
            sext_bits(&mut self.a, W::W32, S2, ra, bits);
            ra = S2;
        }
        if let Some(k) = self.konst(y) {
            let k = if sx { ty.sext(k) as u64 } else { k };
            cmp_imm(&mut self.a, w, ra, k, S1);
        } else {
            let mut rb = self.gpr(y, S1)?;
            if sx {
                sext_bits(&mut self.a, W::W32, S1, rb, bits);
                rb = S1;
            }
            cmp_rr(&mut self.a, w, ra, rb);
        }
        Ok(icmp_cond(c))
    }

    /// When the loop body starts with a compare whose flags feed the guard right after it,
    /// the loop can be rotated: that pair runs once before the loop and again after the
    /// back-edge moves, where a single `b.cond` closes the loop. Returns (compare, guard).
    pub fn rotation(&self) -> Option<(usize, usize)> {
        let s = self.t.loop_start?;
        if !matches!(self.t.term, Terminator::Jump(_)) {
            return None;
        }
        let c = (s..self.t.insts.len()).find(|&i| {
            let op = &self.t.insts[i].op;
            !op.is_positionless() && !matches!(op, Op::Nop | Op::LoopParam { .. })
        })?;
        let fused = self.flag_fused[c] && matches!(self.t.insts[c].op, Op::ICmp(..) | Op::FCmp(..));
        let guard = matches!(self.t.insts.get(c + 1).map(|i| &i.op), Some(Op::Guard { cond, .. }) if cond.index() == c);
        (fused && guard && !self.tst.contains_key(&c)).then_some((c, c + 1))
    }

    /// The rotated loop's closing branch: back to `head` while guard `g` holds (its compare
    /// was just emitted), otherwise on to its exit stub.
    pub fn bottom_guard(&mut self, g: usize, head: DynamicLabel) -> Result<(), BackendError> {
        let Op::Guard { cond, expect, snap } = self.t.insts[g].op else {
            return Err(inv("loop rotation without a guard"));
        };
        let Some((_, c)) = self.flags.take().filter(|&(i, _)| i == cond.index()) else {
            return Err(inv("loop rotation without the guard's flags"));
        };
        let stay = if expect { c } else { c.invert() };
        let stub = *self.stub.get(snap.index()).ok_or_else(|| inv(format!("no snap{}", snap.0)))?;
        bcond(&mut self.a, stay, head);
        a64!(self.a; b =>stub);
        Ok(())
    }

    /// Branches to an exit stub when `c` holds. `b.cond` reaches ±1 MiB; a trace larger than
    /// that is compiled again with `far` set, and then every conditional exit hops over an
    /// unconditional `b` (±128 MiB) with the inverted condition.
    pub fn exit_if(&mut self, c: Cond, stub: DynamicLabel) {
        if self.far {
            let skip = self.a.new_dynamic_label();
            bcond(&mut self.a, c.invert(), skip);
            a64!(self.a; b =>stub; =>skip);
        } else {
            bcond(&mut self.a, c, stub);
        }
    }

    /// Branches to an exit stub when `wr` is zero (`zero`) or non-zero (`!zero`).
    fn exit_if_zero(&mut self, r: u8, zero: bool, stub: DynamicLabel) {
        if self.far {
            let skip = self.a.new_dynamic_label();
            match zero {
                true => a64!(self.a; cbnz W(r), =>skip; b =>stub; =>skip),
                false => a64!(self.a; cbz W(r), =>skip; b =>stub; =>skip),
            }
        } else {
            match zero {
                true => a64!(self.a; cbz W(r), =>stub),
                false => a64!(self.a; cbnz W(r), =>stub),
            }
        }
    }

    /// `tst` for `icmp.{eq,ne} (and p, q), 0`, with `q` as a bitmask immediate when it has one.
    fn tst(&mut self, j: usize, c: ICmp) -> Result<Cond, BackendError> {
        let Op::Bin(BinOp::And, mut p, mut q) = self.t.insts[j].op else {
            return Err(inv("tst fusion without an and"));
        };
        let ty = self.ty(p)?;
        let w = width(ty);
        if self.konst(p).is_some() {
            std::mem::swap(&mut p, &mut q);
        }
        let rp = self.gpr(p, S0)?;
        let imm = self.konst(q).filter(|&k| match w {
            W::W32 => dynasmrt::aarch64::encode_logical_immediate_32bit(k as u32).is_some(),
            W::X64 => dynasmrt::aarch64::encode_logical_immediate_64bit(k).is_some(),
        });
        match (imm, w) {
            (Some(k), W::W32) => a64!(self.a; tst W(rp), k as u32),
            (Some(k), W::X64) => a64!(self.a; tst X(rp), k),
            (None, _) => {
                let rq = self.gpr(q, S1)?;
                match w {
                    W::W32 => a64!(self.a; tst W(rp), W(rq)),
                    W::X64 => a64!(self.a; tst X(rp), X(rq)),
                }
            }
        }
        Ok(if c == ICmp::Eq { Cond::Eq } else { Cond::Ne })
    }

    /// The condition under which `c` is true: the flags of a fused compare, or `c != 0`.
    fn cond_flags(&mut self, c: Value) -> Result<Cond, BackendError> {
        if let Some((i, cond)) = self.flags {
            if i == c.index() {
                self.flags = None;
                return Ok(cond);
            }
        }
        let rc = self.gpr(c, S2)?;
        a64!(self.a; cmp WSP(rc), 0);
        Ok(Cond::Ne)
    }

    fn select(&mut self, v: Value, c: Value, x: Value, y: Value) -> Result<(), BackendError> {
        let ty = self.ty(v)?;
        if let Some(k) = self.konst(c) {
            let from = if k & 1 != 0 { x } else { y };
            let to = self.loc(v);
            return self.mov(&Move { from: self.loc(from), to, class: RegClass::of(ty) });
        }
        let cond = self.cond_flags(c)?;
        if ty.is_float() {
            let ra = self.fpr(x, F0, S0)?;
            let rb = self.fpr(y, F1, S1)?;
            let d = self.fdst(v);
            fcsel(&mut self.a, cond, d, ra, rb);
            self.ffin(v, d);
        } else {
            let ra = self.gpr(x, S0)?;
            let rb = self.gpr(y, S1)?;
            let d = self.dst(v);
            csel(&mut self.a, cond, d, ra, rb);
            self.fin(v, d);
        }
        Ok(())
    }

    fn conv(&mut self, v: Value, c: Conv, x: Value) -> Result<(), BackendError> {
        let to = self.ty(v)?;
        let from = self.ty(x)?;
        match c {
            Conv::ZExt => {
                let r = self.gpr(x, S0)?;
                let d = self.dst(v);
                mov_rr(&mut self.a, W::X64, d, r);
                self.fin(v, d);
            }
            Conv::SExt => {
                let r = self.gpr(x, S0)?;
                let d = self.dst(v);
                sext_bits(&mut self.a, width(to), d, r, from.bits());
                normalize(&mut self.a, to, d);
                self.fin(v, d);
            }
            Conv::Trunc => {
                let r = self.gpr(x, S0)?;
                let d = self.dst(v);
                match to {
                    Type::I1 => a64!(self.a; and WSP(d), W(r), 1),
                    Type::I64 => mov_rr(&mut self.a, W::X64, d, r),
                    t => zext_bits(&mut self.a, d, r, t.bits()),
                }
                self.fin(v, d);
            }
            Conv::SIToFP => {
                let mut r = self.gpr(x, S0)?;
                let d = self.fdst(v);
                match from.bits() {
                    64 => a64!(self.a; scvtf D(d), X(r)),
                    32 => a64!(self.a; scvtf D(d), W(r)),
                    b => {
                        sext_bits(&mut self.a, W::W32, S2, r, b);
                        r = S2;
                        a64!(self.a; scvtf D(d), W(r));
                    }
                }
                self.ffin(v, d);
            }
            Conv::FPToSI => {
                let r = self.fpr(x, F0, S1)?;
                let d = self.dst(v);
                if to == Type::I64 {
                    a64!(self.a; fcvtzs X(d), D(r));
                } else {
                    a64!(self.a; fcvtzs W(d), D(r));
                    normalize(&mut self.a, to, d);
                }
                self.fin(v, d);
            }
            Conv::Bitcast => match (from.is_float(), to.is_float()) {
                (false, true) => {
                    let r = self.gpr(x, S0)?;
                    let d = self.fdst(v);
                    a64!(self.a; fmov D(d), X(r));
                    self.ffin(v, d);
                }
                (true, false) => {
                    let r = self.fpr(x, F0, S1)?;
                    let d = self.dst(v);
                    a64!(self.a; fmov X(d), D(r));
                    self.fin(v, d);
                }
                _ => {
                    let m = Move { from: self.loc(x), to: self.loc(v), class: RegClass::of(to) };
                    self.mov(&m)?;
                }
            },
        }
        Ok(())
    }

    /// The base register and displacement of `[base + disp]`; a constant base folds the
    /// displacement into the materialized address.
    fn address(&mut self, base: Value, disp: i32) -> Result<(u8, i64), BackendError> {
        if let Some(k) = self.konst(base) {
            mov_imm(&mut self.a, W::X64, S0, k.wrapping_add(disp as i64 as u64));
            return Ok((S0, 0));
        }
        Ok((self.gpr(base, S0)?, disp as i64))
    }

    /// Base register, and either an index register with its shift or a displacement, for
    /// the access at instruction `i`.
    fn operand_address(&mut self, i: usize, base: Value, disp: i32) -> Result<(u8, At), BackendError> {
        if let Some(&inc) = self.post.get(&i) {
            return Ok((self.gpr(base, S0)?, At::Post(inc)));
        }
        match self.addr.get(&i).copied() {
            Some(AddrMode { base, index: Some((ix, sh)), .. }) => {
                let rb = self.gpr(base, S0)?;
                let ri = self.gpr(ix, S1)?;
                Ok((rb, At::Index(ri, sh)))
            }
            Some(AddrMode { base, index: None, disp }) => Ok((self.gpr(base, S0)?, At::Disp(disp))),
            None => {
                let (rb, off) = self.address(base, disp)?;
                Ok((rb, At::Disp(off)))
            }
        }
    }

    fn access(&mut self, m: Mem, rt: u8, rb: u8, at: At) {
        match at {
            At::Index(ri, sh) => mem_index(&mut self.a, m, rt, rb, ri, sh),
            At::Disp(off) => mem(&mut self.a, m, rt, rb, off, S1),
            At::Post(inc) => mem_post(&mut self.a, m, rt, rb, inc as i32),
        }
    }

    fn load(&mut self, i: usize, v: Value, base: Value, disp: i32) -> Result<(), BackendError> {
        let ty = self.ty(v)?;
        let (rb, at) = self.operand_address(i, base, disp)?;
        if ty.is_float() {
            let d = self.fdst(v);
            self.access(Mem::LdD, d, rb, at);
            self.ffin(v, d);
            return Ok(());
        }
        let d = self.dst(v);
        let m = match ty {
            Type::I1 | Type::I8 => Mem::LdB,
            Type::I16 => Mem::LdH,
            Type::I32 => Mem::LdW,
            _ => Mem::LdX,
        };
        self.access(m, d, rb, at);
        if ty == Type::I1 {
            normalize(&mut self.a, ty, d);
        }
        self.fin(v, d);
        Ok(())
    }

    fn store(&mut self, i: usize, base: Value, disp: i32, value: Value) -> Result<(), BackendError> {
        let ty = self.ty(value)?;
        let (rb, at) = self.operand_address(i, base, disp)?;
        if ty.is_float() {
            let r = if self.konst(value) == Some(0) { None } else { Some(self.fpr(value, F0, S2)?) };
            match r {
                Some(r) => self.access(Mem::StD, r, rb, at),
                None => self.access(Mem::StX, ZR, rb, at),
            }
            return Ok(());
        }
        let r = if self.konst(value) == Some(0) { ZR } else { self.gpr(value, S2)? };
        let m = match ty {
            Type::I1 | Type::I8 => Mem::StB,
            Type::I16 => Mem::StH,
            Type::I32 => Mem::StW,
            _ => Mem::StX,
        };
        self.access(m, r, rb, at);
        Ok(())
    }

    fn guard(&mut self, cond: Value, expect: bool, s: SnapId) -> Result<(), BackendError> {
        let stub = *self.stub.get(s.index()).ok_or_else(|| inv(format!("no snap{}", s.0)))?;
        if let Some((i, r, bit, true_when_set)) = self.sign.take() {
            if i == cond.index() {
                // Leaves when the compare differs from `expect`.
                if true_when_set != expect {
                    a64!(self.a; tbnz X(r), bit, =>stub);
                } else {
                    a64!(self.a; tbz X(r), bit, =>stub);
                }
                return Ok(());
            }
        }
        if let Some((i, c)) = self.flags {
            if i == cond.index() {
                self.flags = None;
                let leave = if expect { c.invert() } else { c };
                self.exit_if(leave, stub);
                return Ok(());
            }
        }
        if let Some(k) = self.konst(cond) {
            if (k & 1 != 0) != expect {
                a64!(self.a; b =>stub);
            }
            return Ok(());
        }
        let r = self.gpr(cond, S0)?;
        if expect {
            self.exit_if_zero(r, true, stub);
        } else {
            self.exit_if_zero(r, false, stub);
        }
        Ok(())
    }

    fn call(&mut self, v: Value, callee: &Callee, args: &[Value]) -> Result<(), BackendError> {
        // The target goes to S2 first: the argument moves may overwrite its register.
        match callee {
            Callee::Symbol(name) => {
                let addr = self.syms.addr(name).ok_or_else(|| BackendError::UnknownSymbol(name.clone()))?;
                mov_imm(&mut self.a, W::X64, S2, addr);
            }
            Callee::Value(f) => {
                let r = self.gpr(*f, S2)?;
                mov_rr(&mut self.a, W::X64, S2, r);
            }
        }
        let (mut ni, mut nf, mut ns) = (0usize, 0usize, 0usize);
        let mut reg_moves = Vec::new();
        for &arg in args {
            let ty = self.ty(arg)?;
            let from = self.loc(arg);
            let class = RegClass::of(ty);
            let slot = match class {
                RegClass::Gpr if ni < ARG_GPRS.len() => {
                    reg_moves.push(Move { from, to: Loc::Reg(Reg::gpr(ARG_GPRS[ni])), class });
                    ni += 1;
                    continue;
                }
                RegClass::Fpr if nf < ARG_FPRS.len() => {
                    reg_moves.push(Move { from, to: Loc::Reg(Reg::fpr(ARG_FPRS[nf])), class });
                    nf += 1;
                    continue;
                }
                _ => {
                    ns += 1;
                    ns - 1
                }
            };
            if slot >= MAX_STACK_ARGS {
                return Err(BackendError::Unsupported(format!(
                    "a call with more than {MAX_STACK_ARGS} stack-passed arguments"
                )));
            }
            // Stack arguments first: they only read locations.
            let off = 8 * slot as i64;
            match (class, from) {
                (RegClass::Fpr, Loc::Reg(r)) => mem(&mut self.a, Mem::StD, r.hw, 31, off, S1),
                _ => {
                    let r = match from {
                        Loc::Const(0) => ZR,
                        Loc::Reg(r) => r.hw,
                        Loc::Spill(k) => {
                            mem(&mut self.a, Mem::LdX, S0, CTX, spill_off(k), S0);
                            S0
                        }
                        Loc::Const(b) => {
                            mov_imm(&mut self.a, W::X64, S0, b);
                            S0
                        }
                        Loc::None => return Err(inv("a call argument has no location")),
                    };
                    mem(&mut self.a, Mem::StX, r, 31, off, S1);
                }
            }
        }
        let seq = sequence_moves(&reg_moves);
        self.moves(&seq)?;
        a64!(self.a; blr X(S2));
        let Some(ty) = self.t.ty(v) else { return Ok(()) };
        if self.loc(v) == Loc::None {
            return Ok(());
        }
        if ty.is_float() {
            let d = self.fdst(v);
            fmov_rr(&mut self.a, d, 0);
            self.ffin(v, d);
        } else {
            // AAPCS64 leaves the bits above a narrow result unspecified.
            let d = self.dst(v);
            match ty {
                Type::I64 => mov_rr(&mut self.a, W::X64, d, 0),
                Type::I1 => a64!(self.a; and WSP(d), W(0), 1),
                t => zext_bits(&mut self.a, d, 0, t.bits()),
            }
            self.fin(v, d);
        }
        Ok(())
    }

    /// Writes snapshot `s` to `ctx.slots` (for `link` and linked side exits).
    pub fn snapshot_store(&mut self, s: SnapId) -> Result<(), BackendError> {
        let snap = self.t.snaps.get(s.index()).ok_or_else(|| inv(format!("no snap{}", s.0)))?;
        if snap.entries.is_empty() {
            return Ok(());
        }
        mem(&mut self.a, Mem::LdX, S2, CTX, std::mem::offset_of!(TraceCtx, slots) as i64, S2);
        for &(slot, v) in &snap.entries {
            let off = 8 * slot as i64;
            match self.loc(v) {
                Loc::Reg(Reg { class: RegClass::Fpr, hw }) => mem(&mut self.a, Mem::StD, hw, S2, off, S1),
                Loc::Reg(r) => mem(&mut self.a, Mem::StX, r.hw, S2, off, S1),
                Loc::Spill(k) => {
                    mem(&mut self.a, Mem::LdX, S0, CTX, spill_off(k), S0);
                    mem(&mut self.a, Mem::StX, S0, S2, off, S1);
                }
                Loc::Const(0) => mem(&mut self.a, Mem::StX, ZR, S2, off, S1),
                Loc::Const(b) => {
                    mov_imm(&mut self.a, W::X64, S0, b);
                    mem(&mut self.a, Mem::StX, S0, S2, off, S1);
                }
                Loc::None => {
                    return Err(BackendError::Restore(format!("snap{} slot {slot} has no location", s.0)))
                }
            }
        }
        Ok(())
    }
}

/// Sequences a parallel move: emits a move once no pending move still reads its destination;
/// a cycle is broken by parking one destination's value in the class's scratch register
/// (`S0`/`F0`, the allocator's convention).
pub fn sequence_moves(moves: &[Move]) -> Vec<Move> {
    let mut pending: Vec<Move> =
        moves.iter().copied().filter(|m| m.from != m.to && m.to != Loc::None).collect();
    let mut out = Vec::new();
    while !pending.is_empty() {
        let ready = (0..pending.len()).find(|&i| !pending.iter().any(|m| m.from == pending[i].to));
        match ready {
            Some(i) => out.push(pending.remove(i)),
            None => {
                let m = pending[0];
                let scratch = match m.class {
                    RegClass::Gpr => Loc::Reg(Reg::gpr(S0)),
                    RegClass::Fpr => Loc::Reg(Reg::fpr(F0)),
                };
                out.push(Move { from: m.to, to: scratch, class: m.class });
                for p in pending.iter_mut() {
                    if p.from == m.to {
                        p.from = scratch;
                    }
                }
            }
        }
    }
    out
}
