//! Test support: test allocators (every value its own location, or a small linear scan) beside
//! the shared allocator, run helpers, sample values, and the oracle for expected results.
#![allow(dead_code)]

pub mod kernels;
pub mod oracle;

use backend_x64::regs::*;
use backend_x64::X64;
#[cfg(target_arch = "x86_64")]
use trace_ir::backend::{ExitInfo, Jit};
use trace_ir::ir::*;
use trace_ir::regalloc::{Allocation, Loc, Move, Reg, RegClass};
use trace_ir::{Symbols, Type};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Registers first, spill slots when they run out.
    Regs,
    /// Every value in a spill slot.
    Spill,
    /// Registers in reverse preference order (rcx/rdx/rax first where allowed).
    Reverse,
    /// Linear scan with register reuse: a result may take the register of an operand that
    /// dies at it, as the shared allocator does.
    Scan,
    /// Linear scan with only three registers per class, so reuse and spilling mix.
    Scan3,
    /// The shared allocator (`trace_ir::regalloc::allocate`), its result proven by
    /// `regalloc::check`.
    Shared,
}

pub const MODES: [Mode; 6] = [Mode::Regs, Mode::Spill, Mode::Reverse, Mode::Scan, Mode::Scan3, Mode::Shared];

fn has_call(t: &Trace) -> bool {
    t.insts.iter().any(|i| matches!(i.op, Op::Call { .. }))
}

fn has_fixed(t: &Trace) -> bool {
    t.insts.iter().any(|i| matches!(i.op, Op::Bin(op, ..) if matches!(op, BinOp::Shl | BinOp::LShr | BinOp::AShr) || op.is_division()))
}

/// Every non-constant value gets its own register or spill slot. Caller-saved registers
/// are avoided in traces with calls; rax/rcx/rdx in traces with shifts or divisions.
pub fn naive_alloc(t: &Trace, mode: Mode) -> Allocation {
    if mode == Mode::Shared {
        let rf = regfile();
        let al = trace_ir::regalloc::allocate(t, &rf)
            .unwrap_or_else(|e| panic!("allocate: {e}\n{}", trace_ir::text::print(t)));
        if let Err(e) = trace_ir::regalloc::check(t, &al, &rf) {
            panic!("check: {e}\n{}", trace_ir::regalloc::annotate(t, &al, &rf));
        }
        return al;
    }
    if matches!(mode, Mode::Scan | Mode::Scan3) {
        return scan_alloc(t, if mode == Mode::Scan { 99 } else { 3 });
    }
    let call = has_call(t);
    let mut gprs: Vec<u8> = if call {
        vec![RBX, R12, R13, R14, RBP]
    } else if has_fixed(t) {
        vec![RSI, RDI, R8, R9, RBX, R12, R13, R14, RBP]
    } else {
        ALLOC_GPRS.to_vec()
    };
    let mut fprs: Vec<u8> = if call { vec![] } else { ALLOC_FPRS.to_vec() };
    match mode {
        Mode::Spill => {
            gprs.clear();
            fprs.clear();
        }
        Mode::Reverse => {
            gprs.reverse();
            fprs.reverse();
        }
        _ => {}
    }
    let (mut gi, mut fi, mut spill) = (0, 0, 0u32);
    let mut locs = Vec::new();
    for inst in &t.insts {
        let loc = match (&inst.op, inst.ty) {
            (Op::Const { bits }, _) => Loc::Const(*bits),
            (_, None) => Loc::None,
            (_, Some(Type::F64)) if fi < fprs.len() => {
                fi += 1;
                Loc::Reg(Reg::fpr(fprs[fi - 1]))
            }
            (_, Some(ty)) if ty != Type::F64 && gi < gprs.len() => {
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
    let params = t.loop_params();
    let class = |v: Value| RegClass::of(t.ty(v).unwrap_or(Type::I64));
    let preheader = params
        .iter()
        .zip(&t.loop_inits)
        .map(|(&p, &i)| Move { from: locs[i.index()], to: locs[p.index()], class: class(p) })
        .collect();
    let back = match &t.term {
        Terminator::Jump(next) => sequence(
            params
                .iter()
                .zip(next)
                .map(|(&p, &n)| Move { from: locs[n.index()], to: locs[p.index()], class: class(p) })
                .collect(),
        ),
        _ => vec![],
    };
    Allocation { locs, spill_slots: spill, preheader_moves: preheader, backedge_moves: back }
}

/// Sequences a parallel move, breaking cycles through r11 / xmm15.
pub fn sequence(moves: Vec<Move>) -> Vec<Move> {
    let mut pending: Vec<Move> = moves.into_iter().filter(|m| m.from != m.to).collect();
    let mut out = Vec::new();
    while !pending.is_empty() {
        if let Some(i) = pending.iter().position(|m| !pending.iter().any(|o| o.from == m.to)) {
            out.push(pending.remove(i));
        } else {
            let m = pending[0];
            let tmp = Loc::Reg(match m.class {
                RegClass::Gpr => Reg::gpr(S0),
                RegClass::Fpr => Reg::fpr(XS0),
            });
            out.push(Move { from: m.to, to: tmp, class: m.class });
            for o in pending.iter_mut() {
                if o.from == m.to {
                    o.from = tmp;
                }
            }
        }
    }
    out
}

/// Installs `t` with the naive allocator and runs it once on `slots`.
#[cfg(target_arch = "x86_64")]
pub fn run(t: &Trace, mode: Mode, slots: &mut [u64]) -> ExitInfo {
    let mut jit = X64::new();
    let id = install(&mut jit, t, mode, &Symbols::new());
    jit.run(id, slots).expect("run")
}

pub fn install(jit: &mut X64, t: &Trace, mode: Mode, syms: &Symbols) -> u32 {
    let al = naive_alloc(t, mode);
    jit.install_with(t, &al, syms).unwrap_or_else(|e| panic!("install: {e}\n{t:?}"))
}

/// Interesting canonical values of a type.
pub fn samples(ty: Type) -> Vec<u64> {
    let m = ty.mask();
    if ty == Type::I1 {
        return vec![0, 1];
    }
    let bits = ty.bits();
    let min = 1u64 << (bits - 1);
    let mut v = vec![0, 1, 2, 3, 7, m, m - 1, min, min - 1, min + 1, 0x5a5a_5a5a_5a5a_5a5a & m, 100];
    v.iter_mut().for_each(|x| *x &= m);
    v.sort();
    v.dedup();
    v
}

pub fn fsamples() -> Vec<f64> {
    vec![0.0, -0.0, 1.0, -1.5, 3.25, 1e300, -1e-300, f64::INFINITY, f64::NEG_INFINITY, f64::NAN]
}

/// A small linear scan (live ranges from definition to last use, registers freed at the last
/// use so a result can reuse an operand's register, spill the new value when none is free).
/// Stands in for the shared allocator until it lands.
pub fn scan_alloc(t: &Trace, max_regs: usize) -> Allocation {
    let n = t.insts.len();
    let end = n + 1;
    let call = has_call(t);
    let mut gprs: Vec<u8> = if call {
        vec![RBX, R12, R13, R14, RBP]
    } else if has_fixed(t) {
        vec![RSI, RDI, R8, R9, RBX, R12, R13, R14, RBP]
    } else {
        ALLOC_GPRS.to_vec()
    };
    let mut fprs: Vec<u8> = if call { vec![] } else { ALLOC_FPRS.to_vec() };
    gprs.truncate(max_regs);
    fprs.truncate(max_regs);
    let loop_start = t.loop_start.unwrap_or(n);
    let mut last = vec![0usize; n];
    let use_at = |v: Value, at: usize, last: &mut Vec<usize>| {
        // Values from before the loop that the loop reads stay live to the back edge.
        let before = v.index() < loop_start || t.insts[v.index()].op.is_positionless();
        let at = if before && at >= loop_start { end } else { at };
        last[v.index()] = last[v.index()].max(at);
    };
    for (i, inst) in t.insts.iter().enumerate() {
        inst.op.visit_operands(|v| use_at(v, i, &mut last));
        if let Some(s) = inst.op.snap() {
            for &(_, v) in &t.snaps[s.index()].entries {
                use_at(v, i, &mut last);
            }
        }
    }
    for &v in &t.loop_inits {
        use_at(v, loop_start, &mut last);
    }
    t.term.visit_operands(|v| use_at(v, end, &mut last));
    if let Some(s) = t.term.snap() {
        for &(_, v) in &t.snaps[s.index()].entries {
            use_at(v, end, &mut last);
        }
    }
    for p in t.loop_params() {
        last[p.index()] = end;
    }
    let mut locs = vec![Loc::None; n];
    let mut active: Vec<(usize, Loc)> = Vec::new();
    let mut spill = 0u32;
    let mut assign = |v: usize, active: &mut Vec<(usize, Loc)>, locs: &mut Vec<Loc>| {
        let ty = t.insts[v].ty.unwrap_or(Type::I64);
        let pool = if ty == Type::F64 { &fprs } else { &gprs };
        let class = RegClass::of(ty);
        let free =
            pool.iter().copied().find(|&r| !active.iter().any(|&(_, l)| l == Loc::Reg(Reg { class, hw: r })));
        let loc = match free {
            Some(r) => Loc::Reg(Reg { class, hw: r }),
            None => {
                spill += 1;
                Loc::Spill(spill - 1)
            }
        };
        locs[v] = loc;
        if matches!(loc, Loc::Reg(_)) {
            active.push((v, loc));
        }
    };
    for (i, inst) in t.insts.iter().enumerate() {
        match inst.op {
            Op::Const { bits } => locs[i] = Loc::Const(bits),
            Op::Input { .. } if last[i] > 0 => assign(i, &mut active, &mut locs),
            _ => {}
        }
    }
    for (i, inst) in t.insts.iter().enumerate() {
        if inst.op.is_positionless() {
            continue;
        }
        active.retain(|&(v, _)| last[v] > i);
        if inst.ty.is_some() && (last[i] > 0 || matches!(inst.op, Op::LoopParam { .. })) {
            assign(i, &mut active, &mut locs);
        }
    }
    let params = t.loop_params();
    let class = |v: Value| RegClass::of(t.ty(v).unwrap_or(Type::I64));
    let preheader = sequence(
        params
            .iter()
            .zip(&t.loop_inits)
            .map(|(&p, &i)| Move { from: locs[i.index()], to: locs[p.index()], class: class(p) })
            .collect(),
    );
    let back = match &t.term {
        Terminator::Jump(next) => sequence(
            params
                .iter()
                .zip(next)
                .map(|(&p, &v)| Move { from: locs[v.index()], to: locs[p.index()], class: class(p) })
                .collect(),
        ),
        _ => vec![],
    };
    Allocation { locs, spill_slots: spill, preheader_moves: preheader, backedge_moves: back }
}
