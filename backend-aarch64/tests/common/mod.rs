//! Test support: test allocators (one location per value, never reused) beside the shared
//! allocator, sample values, the single-trace op cases (expected results from `trace_ir::oracle`).
#![allow(dead_code)]

use backend_aarch64::regs::regfile;
use backend_aarch64::A64;
#[cfg(target_arch = "aarch64")]
use trace_ir::backend::{BackendError, ExitInfo, Jit};
use trace_ir::exit::CTX_SPILL_SLOTS;
use trace_ir::ir::*;
use trace_ir::regalloc::{sequentialize, Allocation, Loc, Move, Reg, RegClass};
use trace_ir::{Symbols, Type};

pub const CALLEE_GPRS: [u8; 9] = [19, 20, 21, 22, 23, 24, 25, 26, 27];
pub const CALLEE_FPRS: [u8; 8] = [8, 9, 10, 11, 12, 13, 14, 15];
pub const ALL_GPRS: &[u8] = &backend_aarch64::regs::ALLOC_GPRS;
pub const ALL_FPRS: &[u8] = &backend_aarch64::regs::ALLOC_FPRS;

/// The shared allocator's allocation, proven by `regalloc::check`.
pub fn shared(t: &Trace) -> Allocation {
    let rf = regfile();
    let al = trace_ir::regalloc::allocate(t, &rf)
        .unwrap_or_else(|e| panic!("allocate: {e}\n{}", trace_ir::text::print(t)));
    if let Err(e) = trace_ir::regalloc::check(t, &al, &rf) {
        panic!("check: {e}\n{}", trace_ir::regalloc::annotate(t, &al, &rf));
    }
    al
}

/// Every value gets its own register from the pools until they run out, then its own spill
/// slot; constants stay constants. Correct for any trace because nothing is shared.
pub fn naive(t: &Trace, gprs: &[u8], fprs: &[u8]) -> Allocation {
    let (mut gi, mut fi, mut spill) = (0usize, 0usize, 0u32);
    let mut locs = Vec::new();
    for inst in &t.insts {
        let loc = match (&inst.op, inst.ty) {
            (Op::Const { bits }, _) => Loc::Const(*bits),
            (_, None) => Loc::None,
            (_, Some(ty)) if ty.is_float() && fi < fprs.len() => {
                fi += 1;
                Loc::Reg(Reg::fpr(fprs[fi - 1]))
            }
            (_, Some(ty)) if !ty.is_float() && gi < gprs.len() => {
                gi += 1;
                Loc::Reg(Reg::gpr(gprs[gi - 1]))
            }
            _ => {
                spill += 1;
                Loc::Spill(spill - 1)
            }
        };
        locs.push(loc);
    }
    with_moves(t, locs, spill)
}

/// The allocation `locs` of `t`, with its preheader and back-edge moves sequenced by the
/// shared parallel-move sequencer for this backend's register file.
pub fn with_moves(t: &Trace, locs: Vec<Loc>, spill_slots: u32) -> Allocation {
    assert!(spill_slots as usize <= CTX_SPILL_SLOTS, "test trace needs {spill_slots} spill slots");
    let rf = regfile();
    let params = t.loop_params();
    let moves = |from: &[Value]| {
        let par: Vec<Move> = params
            .iter()
            .zip(from)
            .map(|(&p, &v)| Move {
                from: locs[v.index()],
                to: locs[p.index()],
                class: RegClass::of(t.ty(p).unwrap()),
            })
            .collect();
        sequentialize(&par, &rf)
    };
    let preheader_moves = moves(&t.loop_inits);
    let backedge_moves = match &t.term {
        Terminator::Jump(next) => moves(next),
        _ => Vec::new(),
    };
    Allocation { locs, spill_slots, preheader_moves, backedge_moves }
}

/// `naive` over every allocatable register.
pub fn regs(t: &Trace) -> Allocation {
    naive(t, ALL_GPRS, ALL_FPRS)
}

/// `naive` with every value in a spill slot.
pub fn spilled(t: &Trace) -> Allocation {
    naive(t, &[], &[])
}

/// Installs `t` under `al`, which must succeed.
pub fn install(jit: &mut A64, t: &Trace, al: &Allocation, syms: &Symbols) -> u32 {
    jit.install_with(t, al, syms).unwrap_or_else(|e| panic!("install: {e}\n{}", trace_ir::text::print(t)))
}

/// Installs `t` under `al` in a new backend and runs it once on `slots`.
#[cfg(target_arch = "aarch64")]
pub fn run(t: &Trace, al: &Allocation, syms: &Symbols, slots: &mut [u64]) -> ExitInfo {
    let mut jit = A64::new();
    let id = install(&mut jit, t, al, syms);
    jit.run_checked(id, slots).unwrap_or_else(|e| panic!("run: {e}"))
}

/// Interesting canonical values of an integer type.
pub fn samples(ty: Type) -> Vec<u64> {
    let m = ty.mask();
    let min = if ty.bits() == 1 { 1 } else { 1u64 << (ty.bits() - 1) };
    let mut v = vec![0, 1, m, min, min.wrapping_sub(1) & m, 2 & m, 7 & m, 0x1234_5678_9abc_def0 & m];
    v.sort();
    v.dedup();
    v
}

/// Interesting f64 values.
pub fn fsamples() -> Vec<f64> {
    vec![0.0, -0.0, 1.0, -2.5, 0.1, 1e300, f64::INFINITY, f64::NEG_INFINITY, f64::NAN, 3.0]
}

/// A trace whose inputs are `a` (slot 0) and `b` (slot 1) and whose exit snapshot writes
/// each result to its own slot from 2 on.
pub struct Case {
    pub name: String,
    pub trace: Trace,
    pub in_ty: Type,
    /// (slot, value written there, description); expected results come from `oracle`.
    pub checks: Vec<(u32, Value, String)>,
}

struct CaseBuilder {
    b: trace_ir::Builder,
    results: Vec<(Value, String)>,
}

impl CaseBuilder {
    fn new() -> Self {
        CaseBuilder { b: trace_ir::Builder::new(), results: Vec::new() }
    }
    fn check(&mut self, v: Value, what: String) {
        self.results.push((v, what));
    }
    fn finish(mut self, name: String, in_ty: Type) -> Case {
        let entries: Vec<(u32, Value)> =
            self.results.iter().enumerate().map(|(i, r)| (2 + i as u32, r.0)).collect();
        let s = self.b.snapshot(99, &entries);
        let trace = self.b.exit(s);
        let checks = self.results.into_iter().enumerate().map(|(i, (v, w))| (2 + i as u32, v, w)).collect();
        Case { name, trace, in_ty, checks }
    }
}

/// Constants that exercise every immediate form (masked to the type).
pub fn imm_consts(ty: Type) -> Vec<u64> {
    let mut v: Vec<u64> = [
        0u64,
        1,
        4095,
        4096,
        0x0100_0000,
        0x5555_5555_5555_5555,
        0x1234,
        u64::MAX,
        (-4096i64) as u64,
        i64::MIN as u64,
        i64::MAX as u64,
        0xff,
    ]
    .iter()
    .map(|k| k & ty.mask())
    .collect();
    v.sort();
    v.dedup();
    v
}

pub fn float_consts() -> Vec<u64> {
    [0.0f64, -0.0, 1.0, -2.5, 0.1, f64::INFINITY, f64::NAN].iter().map(|f| f.to_bits()).collect()
}

/// `op` at type `ty` with register and constant operands in both positions.
pub fn bin_case(op: BinOp, ty: Type) -> Case {
    let mut c = CaseBuilder::new();
    let a = c.b.input(0, ty);
    let bb = c.b.input(1, ty);
    let r = c.b.bin(op, a, bb);
    c.check(r, format!("{} a, b", op.name()));
    let ks = if ty.is_float() { float_consts() } else { imm_consts(ty) };
    for k in ks {
        let kv = c.b.konst(ty, k);
        let r = c.b.bin(op, a, kv);
        c.check(r, format!("{} a, {k:#x}", op.name()));
        let r = c.b.bin(op, kv, a);
        c.check(r, format!("{} {k:#x}, a", op.name()));
    }
    c.finish(format!("{}.{ty}", op.name()), ty)
}

/// Unary ops, compares, select and conversions from `ty`.
pub fn misc_case(ty: Type) -> Case {
    let mut c = CaseBuilder::new();
    let a = c.b.input(0, ty);
    let bb = c.b.input(1, ty);
    if ty.is_float() {
        for op in UnOp::ALL.into_iter().filter(|op| op.is_float()) {
            let r = c.b.un(op, a);
            c.check(r, op.name().into());
        }
        for cc in FCmp::ALL {
            let r = c.b.fcmp(cc, a, bb);
            c.check(r, format!("fcmp.{}", cc.name()));
            for k in [0.0f64, -0.0, 1.5] {
                let kv = c.b.fconst(k);
                let r = c.b.fcmp(cc, a, kv);
                c.check(r, format!("fcmp.{} a, {k}", cc.name()));
            }
        }
        let lt = c.b.fcmp(FCmp::Lt, a, bb);
        let r = c.b.select(lt, a, bb);
        c.check(r, "select".into());
        let k = c.b.fconst(0.1);
        let r = c.b.select(lt, k, a);
        c.check(r, "select k".into());
        for to in &Type::INTS[1..] {
            let to = *to;
            let r = c.b.conv(Conv::FPToSI, a, to);
            c.check(r, format!("fptosi.{to}"));
        }
        let r = c.b.conv(Conv::Bitcast, a, Type::I64);
        c.check(r, "bitcast".into());
        return c.finish("misc.f64".into(), ty);
    }
    for op in UnOp::ALL.into_iter().filter(|op| !op.is_float()) {
        let r = c.b.un(op, a);
        c.check(r, op.name().into());
    }
    for cc in ICmp::ALL {
        let r = c.b.icmp(cc, a, bb);
        c.check(r, format!("icmp.{}", cc.name()));
        for k in [0u64, 1, 4096, 0x1234, u64::MAX, i64::MIN as u64, i64::MAX as u64].map(|k| k & ty.mask()) {
            let kv = c.b.konst(ty, k);
            let r = c.b.icmp(cc, a, kv);
            c.check(r, format!("icmp.{} a, {k:#x}", cc.name()));
            let r = c.b.icmp(cc, kv, a);
            c.check(r, format!("icmp.{} {k:#x}, a", cc.name()));
        }
    }
    let lt = c.b.icmp(ICmp::Ult, a, bb);
    let r = c.b.select(lt, a, bb);
    c.check(r, "select".into());
    let k = c.b.konst(ty, 0x1234_5678_9abc & ty.mask());
    let r = c.b.select(lt, k, a);
    c.check(r, "select k".into());
    for to in Type::INTS {
        if to.bits() > ty.bits() {
            let r = c.b.conv(Conv::ZExt, a, to);
            c.check(r, format!("zext.{to}"));
            let r = c.b.conv(Conv::SExt, a, to);
            c.check(r, format!("sext.{to}"));
        } else if to.bits() < ty.bits() {
            let r = c.b.conv(Conv::Trunc, a, to);
            c.check(r, format!("trunc.{to}"));
        }
    }
    if ty != Type::I1 {
        let r = c.b.conv(Conv::SIToFP, a, Type::F64);
        c.check(r, "sitofp".into());
    }
    if ty == Type::I64 {
        let r = c.b.conv(Conv::Bitcast, a, Type::F64);
        c.check(r, "bitcast".into());
    }
    c.finish(format!("misc.{ty}"), ty)
}

/// Every single-trace op case.
pub fn all_cases() -> Vec<Case> {
    let mut v = Vec::new();
    for ty in Type::INTS {
        for op in BinOp::ALL.into_iter().filter(|o| !o.is_float()) {
            v.push(bin_case(op, ty));
        }
        v.push(misc_case(ty));
    }
    for op in BinOp::ALL.into_iter().filter(|o| o.is_float()) {
        v.push(bin_case(op, Type::F64));
    }
    v.push(misc_case(Type::F64));
    v
}

/// Input pairs for a type.
pub fn inputs(ty: Type) -> Vec<(u64, u64)> {
    let vals: Vec<u64> =
        if ty.is_float() { fsamples().iter().map(|f| f.to_bits()).collect() } else { samples(ty) };
    let mut v = Vec::new();
    for &x in &vals {
        for &y in &vals {
            v.push((x, y));
        }
    }
    v
}

/// A trace over 1 MiB of code: a guard at the top whose exit stub lies past the end of a
/// chain of `n` adds, all in one register (each value dies where the next is defined).
pub fn huge_trace(n: usize) -> (Trace, Allocation) {
    huge_trace_against(n, 10)
}

/// `huge_trace` with the guard `x < k`.
pub fn huge_trace_against(n: usize, k: i64) -> (Trace, Allocation) {
    let mut b = trace_ir::Builder::new();
    let x = b.input(0, Type::I64);
    let ten = b.iconst(Type::I64, k);
    let one = b.iconst(Type::I64, 1);
    let c = b.icmp(ICmp::Slt, x, ten);
    let s0 = b.snapshot(1, &[(0, x)]);
    b.guard(c, s0);
    let mut v = x;
    for _ in 0..n {
        v = b.bin(BinOp::Add, v, one);
    }
    let s1 = b.snapshot(2, &[(0, v)]);
    let t = b.exit(s1);
    let r = Loc::Reg(Reg::gpr(19));
    let locs = t
        .insts
        .iter()
        .map(|i| match (&i.op, i.ty) {
            (Op::Const { bits }, _) => Loc::Const(*bits),
            (Op::ICmp(..), _) => Loc::Reg(Reg::gpr(20)),
            (_, Some(_)) => r,
            _ => Loc::None,
        })
        .collect();
    (t, Allocation { locs, spill_slots: 0, preheader_moves: vec![], backedge_moves: vec![] })
}

/// Runs installed traces in tests. Every test trace loads, stores and calls only through
/// buffers the test owns and keeps alive for the run (their addresses go in the slots) and
/// the functions of its symbol table, with their declared signatures, and guards its
/// divisions: that is `Jit::run`'s contract, so the tests call it through this one place.
#[cfg(target_arch = "aarch64")]
pub trait RunChecked {
    fn run_checked(&mut self, id: u32, slots: &mut [u64]) -> Result<ExitInfo, BackendError>;
}

#[cfg(target_arch = "aarch64")]
impl<J: Jit> RunChecked for J {
    fn run_checked(&mut self, id: u32, slots: &mut [u64]) -> Result<ExitInfo, BackendError> {
        // SAFETY: see the trait's doc: test traces only touch memory and functions the test
        // provides and keeps alive for the run.
        unsafe { self.run(id, slots) }
    }
}
