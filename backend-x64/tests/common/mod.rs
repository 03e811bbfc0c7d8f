//! Test support: test allocators (every value its own location, or a small linear scan) beside
//! the shared allocator, run helpers and sample values (expected results come from `trace_ir::oracle`).
#![allow(dead_code)]

pub mod kernels;

use backend_x64::regs::*;
use backend_x64::X64;
#[cfg(target_arch = "x86_64")]
use trace_ir::backend::{BackendError, ExitInfo, Jit};
use trace_ir::exit::CTX_SPILL_SLOTS;
use trace_ir::ir::*;
use trace_ir::regalloc::{sequentialize, Allocation, Loc, Move, Reg, RegClass};
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

/// The registers the test allocators may use in `t`: callee-saved ones only in traces with
/// calls, and no rax/rcx/rdx in traces with shifts or divisions.
fn pools(t: &Trace) -> (Vec<u8>, Vec<u8>) {
    if has_call(t) {
        (vec![RBX, R12, R13, R14, RBP], vec![])
    } else if has_fixed(t) {
        (vec![RSI, RDI, R8, R9, RBX, R12, R13, R14, RBP], ALLOC_FPRS.to_vec())
    } else {
        (ALLOC_GPRS.to_vec(), ALLOC_FPRS.to_vec())
    }
}

/// The allocation of `t` that `mode` names.
pub fn naive_alloc(t: &Trace, mode: Mode) -> Allocation {
    let (mut gprs, mut fprs) = pools(t);
    match mode {
        Mode::Shared => return shared(t),
        Mode::Scan => return scan_alloc(t, 99),
        Mode::Scan3 => return scan_alloc(t, 3),
        Mode::Spill => {
            gprs.clear();
            fprs.clear();
        }
        Mode::Reverse => {
            gprs.reverse();
            fprs.reverse();
        }
        Mode::Regs => {}
    }
    naive(t, &gprs, &fprs)
}

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

/// Installs `t` with the naive allocator and runs it once on `slots`.
#[cfg(target_arch = "x86_64")]
pub fn run(t: &Trace, mode: Mode, slots: &mut [u64]) -> ExitInfo {
    let mut jit = X64::new();
    let id = install(&mut jit, t, mode, &Symbols::new());
    jit.run_checked(id, slots).expect("run")
}

pub fn install(jit: &mut X64, t: &Trace, mode: Mode, syms: &Symbols) -> u32 {
    let al = naive_alloc(t, mode);
    jit.install_with(t, &al, syms).unwrap_or_else(|e| panic!("install: {e}\n{}", trace_ir::text::print(t)))
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
/// use so a result can reuse an operand's register, spill the new value when none is free):
/// allocations of another shape than the shared allocator's.
pub fn scan_alloc(t: &Trace, max_regs: usize) -> Allocation {
    let n = t.insts.len();
    let end = n + 1;
    let (mut gprs, mut fprs) = pools(t);
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
            // An overflow op's snapshot is read after its result is written, so its entries
            // may not share the result's register (the allocation model of trace-ir).
            let at = if matches!(inst.op, Op::Ovf(..)) { i + 1 } else { i };
            for &(_, v) in &t.snaps[s.index()].entries {
                use_at(v, at, &mut last);
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
    with_moves(t, locs, spill)
}

/// Runs installed traces in tests. Every test trace loads, stores and calls only through
/// buffers the test owns and keeps alive for the run (their addresses go in the slots) and
/// the functions of its symbol table, with their declared signatures, and guards its
/// divisions: that is `Jit::run`'s contract, so the tests call it through this one place.
#[cfg(target_arch = "x86_64")]
pub trait RunChecked {
    fn run_checked(&mut self, id: u32, slots: &mut [u64]) -> Result<ExitInfo, BackendError>;
}

#[cfg(target_arch = "x86_64")]
impl<J: Jit> RunChecked for J {
    fn run_checked(&mut self, id: u32, slots: &mut [u64]) -> Result<ExitInfo, BackendError> {
        // SAFETY: see the trait's doc: test traces only touch memory and functions the test
        // provides and keeps alive for the run.
        unsafe { self.run(id, slots) }
    }
}
