//! The allocation checker: a symbolic replay in the spirit of regalloc2's checker.
//!
//! It walks the trace as the machine would, tracking which value each register and spill
//! slot holds, and at every use requires the operand's location to hold that very value. It
//! applies the model of `mod.rs` literally: at each instruction temps are killed before the
//! operands are read and clobbers after, then the result is written, then the snapshot the
//! instruction may leave through is read. Preheader and back-edge moves run in their given
//! order. The loop body runs twice, so everything that must survive the back edge is checked
//! on the second iteration, and values of the first iteration are forgotten at the back edge.
//! It knows nothing of how `scan` works: it is the proof, not a second implementation.
//!
//! `check_fused` replays a backend's fused schedule (see `fused.rs`): an instruction folded
//! into another reads its operands at its consumer, and a write-back writes its result at
//! the instruction that does it, so a fusion that reads a location after it was overwritten
//! fails here like any misallocation.

use super::dump::loc_name;
use super::fused::{Place, Schedule};
use super::scan::{constraints, is_emitted};
use super::{Allocation, Loc, Move, Reg, RegClass, RegFile};
use crate::exit::{CTX_FPRS, CTX_GPRS, CTX_SPILL_SLOTS};
use crate::ir::{Op, SnapId, Terminator, Trace, Value};
use crate::text::Printer;

/// What a location holds.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Sym {
    Val(Value),
    /// Constant bits written by a move.
    Bits(u64),
}

struct Checker<'a> {
    trace: &'a Trace,
    alloc: &'a Allocation,
    rf: &'a RegFile,
    sched: &'a Schedule,
    /// Per position: the folded instructions emitted there (see `fused_at`).
    fused_at: Vec<Vec<usize>>,
    gpr: Vec<Option<Sym>>,
    fpr: Vec<Option<Sym>>,
    spill: Vec<Option<Sym>>,
}

/// A value as the printer names it (for errors only: naming every value costs a pass).
fn value_name(trace: &Trace, v: Value) -> String {
    Printer::new(trace).value(v)
}

/// Instruction `i` as the printer writes it.
fn inst_text(trace: &Trace, i: usize) -> String {
    Printer::new(trace).inst(i)
}

impl Checker<'_> {
    fn slot(&mut self, l: Loc) -> Result<&mut Option<Sym>, String> {
        let spills = (self.alloc.spill_slots as usize).min(CTX_SPILL_SLOTS);
        match l {
            Loc::Reg(r) => Ok(match r.class {
                RegClass::Gpr => &mut self.gpr[r.hw as usize],
                RegClass::Fpr => &mut self.fpr[r.hw as usize],
            }),
            Loc::Spill(k) if (k as usize) < spills => Ok(&mut self.spill[k as usize]),
            _ => Err(format!("{} is not a place to keep a value", loc_name(self.rf, l))),
        }
    }

    fn describe(&self, s: Option<Sym>) -> String {
        match s {
            None => "nothing".into(),
            Some(Sym::Val(v)) => value_name(self.trace, v),
            Some(Sym::Bits(b)) => format!("the constant {b:#x}"),
        }
    }

    fn sym_is(&self, s: Option<Sym>, v: Value) -> bool {
        match s {
            Some(Sym::Val(w)) => w == v,
            Some(Sym::Bits(b)) => self.trace.const_bits(v) == Some(b),
            None => false,
        }
    }

    /// Requires `l` to hold `v`; `what` says which use this is.
    fn expect_in(&mut self, l: Loc, v: Value, what: &dyn Fn() -> String) -> Result<(), String> {
        let s = *self.slot(l)?;
        if self.sym_is(s, v) {
            return Ok(());
        }
        Err(format!(
            "{}: expects {} in {}, which holds {}",
            what(),
            value_name(self.trace, v),
            loc_name(self.rf, l),
            self.describe(s)
        ))
    }

    /// Requires the location of `v` to hold `v`.
    fn use_value(&mut self, v: Value, what: &dyn Fn() -> String) -> Result<(), String> {
        match self.alloc.loc(v) {
            Loc::Const(_) => Ok(()), // validated against the constant up front
            Loc::None => Err(format!("{}: {} has no location", what(), value_name(self.trace, v))),
            l => self.expect_in(l, v, what),
        }
    }

    fn kill(&mut self, regs: &[Reg]) -> Result<(), String> {
        for &r in regs {
            *self.slot(Loc::Reg(r))? = None;
        }
        Ok(())
    }

    fn kill_scratch(&mut self) {
        for &hw in &self.rf.scratch_gprs {
            self.gpr[hw as usize] = None;
        }
        for &hw in &self.rf.scratch_fprs {
            self.fpr[hw as usize] = None;
        }
    }

    fn snapshot(&mut self, s: SnapId, at: &dyn Fn() -> String) -> Result<(), String> {
        let snap =
            self.trace.snaps.get(s.index()).ok_or_else(|| format!("{}: no snapshot snap{}", at(), s.0))?;
        for &(slot, v) in &snap.entries {
            self.use_value(v, &|| format!("{}: snap{} slot {slot}", at(), s.0))?;
        }
        Ok(())
    }

    fn step(&mut self, i: usize) -> Result<(), String> {
        let inst = &self.trace.insts[i];
        if !is_emitted(&inst.op) || self.sched.is_fused(i) {
            return Ok(()); // a fused instruction runs where it was placed
        }
        let at = || format!("at `{}`", inst_text(self.trace, i));
        let c = constraints(self.trace, self.rf, i);
        self.kill(&c.temps)?;
        // The instruction and everything emitted with it read first; an operand folded into
        // this very position is computed inline and has no location to read.
        let back = self.sched.written_back_at(i);
        let group: Vec<usize> =
            std::iter::once(i).chain(self.fused_at[i].iter().copied()).chain(back).collect();
        for &k in &group {
            let mut operands = Vec::new();
            self.trace.insts[k].op.visit_operands(|v| operands.push(v));
            for (n, &v) in operands.iter().enumerate() {
                if self.sched.site(v.index()) == Some(i) {
                    continue;
                }
                let what = || {
                    if k == i {
                        format!("{}: operand {n}", at())
                    } else {
                        format!("{}: operand {n} of `{}`, fused here", at(), inst_text(self.trace, k))
                    }
                };
                self.use_value(v, &what)?;
            }
        }
        self.kill(&c.clobbers)?;
        self.kill_scratch();
        for k in std::iter::once(i).chain(back) {
            if self.trace.insts[k].ty.is_some() {
                let l = self.alloc.loc(Value(k as u32));
                if l != Loc::None {
                    *self.slot(l)? = Some(Sym::Val(Value(k as u32)));
                }
            }
        }
        if let Some(s) = inst.op.snap() {
            self.snapshot(s, &at)?;
        }
        Ok(())
    }

    /// Checks that the schedule places only what can be placed, where it can be.
    fn validate_schedule(&mut self) -> Result<(), String> {
        let (trace, n) = (self.trace, self.trace.insts.len());
        for k in 0..n {
            let place = self.sched.place(k);
            if place == Place::Own {
                continue;
            }
            let bad = |why: &str| Err(format!("`{}` is fused, but {why}", inst_text(trace, k)));
            let op = &trace.insts[k].op;
            if !is_emitted(op) || op.snap().is_some() || matches!(op, Op::Call { .. } | Op::Store { .. }) {
                return bad("only a pure instruction without a snapshot can be");
            }
            let c = constraints(trace, self.rf, k);
            if !c.temps.is_empty() || !c.clobbers.is_empty() {
                return bad("it has register constraints");
            }
            match place {
                Place::Folded(at) => {
                    if at <= k || at >= n {
                        return bad("not into a later instruction");
                    }
                    let site = self.sched.site(k).unwrap_or(at);
                    if self.sched.is_fused(site) || !is_emitted(&trace.insts[site].op) {
                        return bad("its code would be emitted nowhere");
                    }
                    self.fused_at[site].push(k);
                }
                Place::WrittenBack(at) => {
                    if at >= k || self.sched.is_fused(at) || self.sched.written_back_at(at) != Some(k) {
                        return bad("not by an earlier instruction");
                    }
                    if !matches!(trace.insts[at].op, Op::Load { .. } | Op::Store { .. }) {
                        return bad("its write-back is not done by a memory access");
                    }
                }
                Place::Own => {}
            }
        }
        Ok(())
    }

    fn run_moves(&mut self, moves: &[Move]) -> Result<(), String> {
        for m in moves {
            let s = match m.from {
                Loc::Const(b) => Some(Sym::Bits(b)),
                l => *self.slot(l)?,
            };
            if matches!(m.to, Loc::Const(_) | Loc::None) {
                return Err(format!("move to {}", loc_name(self.rf, m.to)));
            }
            *self.slot(m.to)? = s;
        }
        self.kill_scratch();
        Ok(())
    }

    /// Runs `moves` into the loop parameters and requires each to hold its value from `from`.
    fn enter_loop(&mut self, moves: &[Move], from: &[Value], edge: &str) -> Result<(), String> {
        let params = self.trace.loop_params();
        if from.len() != params.len() {
            return Err(format!("{edge}: {} values for {} loop parameters", from.len(), params.len()));
        }
        self.run_moves(moves)?;
        for (&p, &v) in params.iter().zip(from) {
            let l = self.alloc.loc(p);
            if l != Loc::None {
                self.expect_in(l, v, &|| {
                    format!("after the {edge} moves, parameter {}", value_name(self.trace, p))
                })?;
            }
        }
        Ok(())
    }

    /// Makes the loop parameters hold themselves.
    fn bind_params(&mut self) -> Result<(), String> {
        for p in self.trace.loop_params() {
            let l = self.alloc.loc(p);
            if l != Loc::None {
                *self.slot(l)? = Some(Sym::Val(p));
            }
        }
        Ok(())
    }

    /// Forgets every value of the previous iteration (body values and parameters).
    fn forget_iteration(&mut self, loop_start: usize) {
        let trace = self.trace;
        let stale = |s: &Option<Sym>| match s {
            Some(Sym::Val(v)) => v.index() >= loop_start && !trace.insts[v.index()].op.is_positionless(),
            _ => false,
        };
        for s in self.gpr.iter_mut().chain(self.fpr.iter_mut()).chain(self.spill.iter_mut()) {
            if stale(s) {
                *s = None;
            }
        }
    }

    /// Checks that every location is one the value may have.
    fn validate(&self) -> Result<(), String> {
        let (trace, rf) = (self.trace, self.rf);
        if self.alloc.spill_slots as usize > CTX_SPILL_SLOTS {
            return Err(format!("{} spill slots, more than {CTX_SPILL_SLOTS}", self.alloc.spill_slots));
        }
        for (i, &l) in self.alloc.locs.iter().enumerate() {
            let v = Value(i as u32);
            let Some(inst) = trace.insts.get(i) else {
                return Err(format!("a location for %{i}, which the trace does not have"));
            };
            let bad = |why: &str| Err(format!("{} in {}: {why}", value_name(trace, v), loc_name(rf, l)));
            match l {
                Loc::None => {}
                Loc::Const(b) => {
                    if trace.const_bits(v) != Some(b) {
                        return bad("not that constant");
                    }
                }
                Loc::Reg(r) => {
                    let Some(ty) = inst.ty else { return bad("defines no value") };
                    let (alloc, scratch) = match r.class {
                        RegClass::Gpr => (&rf.gprs, &rf.scratch_gprs),
                        RegClass::Fpr => (&rf.fprs, &rf.scratch_fprs),
                    };
                    if RegClass::of(ty) != r.class {
                        return bad("wrong register class");
                    }
                    if !alloc.contains(&r.hw) || scratch.contains(&r.hw) {
                        return bad("not an allocatable register");
                    }
                    let saved = match r.class {
                        RegClass::Gpr => CTX_GPRS,
                        RegClass::Fpr => CTX_FPRS,
                    };
                    if r.hw as usize >= saved {
                        return bad("beyond the registers an exit saves");
                    }
                }
                Loc::Spill(k) => {
                    if inst.ty.is_none() {
                        return bad("defines no value");
                    }
                    if k >= self.alloc.spill_slots {
                        return bad("beyond the trace's spill slots");
                    }
                }
            }
            if matches!(inst.op, Op::Const { .. }) && !matches!(l, Loc::Const(_) | Loc::None) {
                return bad("constants are rematerialized, never kept");
            }
        }
        // Moves may also use the scratch registers (to break cycles), and nothing else.
        for m in self.alloc.preheader_moves.iter().chain(&self.alloc.backedge_moves) {
            for l in [m.from, m.to] {
                let Loc::Reg(r) = l else { continue };
                let (alloc, scratch, saved) = match r.class {
                    RegClass::Gpr => (&rf.gprs, &rf.scratch_gprs, CTX_GPRS),
                    RegClass::Fpr => (&rf.fprs, &rf.scratch_fprs, CTX_FPRS),
                };
                let known = scratch.contains(&r.hw) || (alloc.contains(&r.hw) && (r.hw as usize) < saved);
                if r.class != m.class || !known {
                    return Err(format!(
                        "a move of {:?} uses {}, which it may not",
                        m.class,
                        loc_name(rf, l)
                    ));
                }
            }
        }
        Ok(())
    }
}

/// Replays `alloc` over `trace` and proves every use reads the value its operand names.
pub fn check(trace: &Trace, alloc: &Allocation, rf: &RegFile) -> Result<(), String> {
    check_fused(trace, alloc, rf, &Schedule::new(trace))
}

/// `check` for the code a backend emits with the fusions of `sched`.
pub fn check_fused(trace: &Trace, alloc: &Allocation, rf: &RegFile, sched: &Schedule) -> Result<(), String> {
    let spills = (alloc.spill_slots as usize).min(CTX_SPILL_SLOTS);
    let n = trace.insts.len();
    let mut ck = Checker {
        trace,
        alloc,
        rf,
        sched,
        fused_at: vec![Vec::new(); n],
        gpr: vec![None; 256],
        fpr: vec![None; 256],
        spill: vec![None; spills],
    };
    ck.validate_schedule()?;
    ck.validate()?;
    for (i, inst) in trace.insts.iter().enumerate() {
        if let (Op::Input { .. }, l @ (Loc::Reg(_) | Loc::Spill(_))) = (&inst.op, alloc.loc(Value(i as u32)))
        {
            *ck.slot(l)? = Some(Sym::Val(Value(i as u32)));
        }
    }
    let loop_start = trace.loop_start.filter(|&s| s <= n);
    for i in 0..=n {
        if Some(i) == loop_start {
            ck.enter_loop(&alloc.preheader_moves, &trace.loop_inits, "preheader")?;
            ck.bind_params()?;
        }
        if i < n {
            ck.step(i)?;
        }
    }
    let end = || "at the terminator".to_string();
    match &trace.term {
        Terminator::Exit(s) | Terminator::Link { snap: s, .. } => ck.snapshot(*s, &end),
        Terminator::Dispatch { index, .. } => {
            ck.use_value(*index, &|| "at the terminator: the dispatch index".to_string())?;
            for s in trace.term.exit_snaps() {
                ck.snapshot(s, &end)?;
            }
            Ok(())
        }
        Terminator::Jump(args) => {
            let Some(s) = loop_start else { return Err("jump without a loop".into()) };
            for round in 0..2 {
                // A parameter nobody reads needs no value (and has no location).
                let params = trace.loop_params();
                for (k, &a) in args.iter().enumerate() {
                    if params.get(k).is_some_and(|&p| alloc.loc(p) != Loc::None) {
                        ck.use_value(a, &|| format!("at the back edge: jump value {k}"))?;
                    }
                }
                ck.enter_loop(&alloc.backedge_moves, args, "back-edge")?;
                ck.forget_iteration(s);
                ck.bind_params()?;
                if round == 0 {
                    for i in s..n {
                        ck.step(i).map_err(|e| format!("on the second iteration, {e}"))?;
                    }
                }
            }
            Ok(())
        }
    }
}
