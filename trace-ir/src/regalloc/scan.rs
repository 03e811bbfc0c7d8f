//! Linear scan over the live ranges, one register class at a time in one pass.
//!
//! Ranges are visited by start. A register is free for a range when no active range holds it
//! and no instruction inside the range blocks it: a clobber blocks `late(i)` (everything live
//! after `i` except its result), a temp blocks `early(i)` (operands and everything live
//! across). Each register keeps its sorted blocked positions, so the test is one binary
//! search. When nothing is free, the range whose next register use is furthest away, the new
//! one or an active one, goes to a spill slot for its whole life. Uses by snapshots only do
//! not need a register (the restore reads spill slots), so they do not count as next uses.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::liveness::{self, early, late, Liveness};
use super::{parmove, AllocError, Allocation, Loc, Move, OpConstraints, Reg, RegClass, RegFile};
use crate::exit::{CTX_FPRS, CTX_GPRS, CTX_SPILL_SLOTS};
use crate::ir::{Op, Terminator, Trace, Value};

/// The constraints of instruction `i` as the allocator and the checker apply them: the
/// backend's, plus the caller-saved registers for every call.
pub(crate) fn constraints(trace: &Trace, rf: &RegFile, i: usize) -> OpConstraints {
    let mut c = (rf.constraints)(trace, i);
    if matches!(trace.insts[i].op, Op::Call { .. }) {
        for &hw in &rf.caller_saved_gprs {
            c.clobbers.push(Reg::gpr(hw));
        }
        for &hw in &rf.caller_saved_fprs {
            c.clobbers.push(Reg::fpr(hw));
        }
    }
    c
}

/// True for instructions the backend emits code for (and so may have constraints).
pub(crate) fn is_emitted(op: &Op) -> bool {
    !matches!(op, Op::Input { .. } | Op::Const { .. } | Op::LoopParam { .. } | Op::Nop)
}

const NO_REG: u8 = u8::MAX;

/// The allocatable registers of one class and their state during the scan.
struct ClassRegs {
    regs: Vec<Reg>,
    /// Indices into `regs` for ranges that cross no call: the caller-saved ones first, in
    /// `RegFile` order, which keeps callee-saved registers for the ranges that need them.
    call_free_order: Vec<usize>,
    /// Index into `regs` by hardware number, or `NO_REG`.
    index: [u8; 256],
    /// The value in each register.
    owner: Vec<Option<Value>>,
    /// Sorted positions at which each register is unavailable to ranges that span them.
    blocked: Vec<Vec<u32>>,
    /// Per register: the index of its first blocked position after the current start.
    cursor: Vec<u32>,
    /// Values in registers, by value.
    active: Vec<Value>,
}

impl ClassRegs {
    fn new(class: RegClass, hws: &[u8], scratch: &[u8], caller_saved: &[u8]) -> ClassRegs {
        let mut regs = Vec::new();
        let mut index = [NO_REG; 256];
        for &hw in hws {
            if !scratch.contains(&hw) && index[hw as usize] == NO_REG && regs.len() < NO_REG as usize {
                index[hw as usize] = regs.len() as u8;
                regs.push(Reg { class, hw });
            }
        }
        let n = regs.len();
        let saved = |i: &usize| caller_saved.contains(&regs[*i].hw);
        let call_free_order = (0..n).filter(saved).chain((0..n).filter(|i| !saved(i))).collect();
        ClassRegs {
            call_free_order,
            regs,
            index,
            owner: vec![None; n],
            blocked: vec![Vec::new(); n],
            cursor: vec![0; n],
            active: Vec::new(),
        }
    }

    fn idx(&self, r: Reg) -> Option<usize> {
        let i = self.index[r.hw as usize];
        (i != NO_REG).then_some(i as usize)
    }

    /// Moves every register's cursor past the blocked positions at or before `start`. Ranges
    /// arrive by start, so each list is walked once over the whole scan.
    fn advance(&mut self, start: u32) {
        for (b, c) in self.blocked.iter().zip(self.cursor.iter_mut()) {
            while b.get(*c as usize).is_some_and(|&p| p <= start) {
                *c += 1;
            }
        }
    }

    /// True when no position in `(start, end]` blocks register `i`, for the `start` of the
    /// last `advance`.
    fn allowed(&self, i: usize, end: u32) -> bool {
        self.blocked[i].get(self.cursor[i] as usize).is_none_or(|&p| p > end)
    }
}

struct Scan<'a> {
    trace: &'a Trace,
    lv: Liveness,
    classes: [ClassRegs; 2],
    loc: Vec<Loc>,
    two_address: Vec<bool>,
    /// Per value: the index into its uses of the first one not yet behind the scan.
    cursor: Vec<u32>,
    /// Spill slots by the position up to which they are taken.
    free_slots: BinaryHeap<Reverse<(u32, u32)>>,
    slots: u32,
    /// Per value living through the loop: its first register use on the next iteration, as a
    /// position past the back edge (0 until needed).
    wrapped: Vec<u64>,
    /// The positions of calls, and the first one after the current start.
    calls: Vec<u32>,
    next_call: usize,
    /// Per value: how many of its uses need it in a register.
    reg_use_count: Vec<u32>,
    /// Per value: the loop parameter it is the jump argument of.
    jump_arg_of: Vec<Option<Value>>,
}

fn class_index(c: RegClass) -> usize {
    match c {
        RegClass::Gpr => 0,
        RegClass::Fpr => 1,
    }
}

impl Scan<'_> {
    fn class_of(&self, v: Value) -> RegClass {
        RegClass::of(self.trace.insts[v.index()].ty.expect("live values have types"))
    }

    /// The position of `v`'s next use that needs it in a register (an operand), at or after
    /// `pos`, counting the loop's next iteration for values that live through it.
    fn next_reg_use(&mut self, v: Value, pos: u32) -> u64 {
        let lv = &self.lv;
        let uses = lv.uses(v);
        let c = &mut self.cursor[v.index()];
        while (*c as usize) < uses.len() && (uses[*c as usize] < pos || !lv.is_reg_use(uses[*c as usize])) {
            *c += 1;
        }
        if let Some(&p) = uses.get(*c as usize) {
            return p as u64;
        }
        let far = 2 * lv.back_edge as u64 + 2;
        match lv.loop_pos {
            Some(lp) if lv.start[v.index()] < lp && lv.end[v.index()] == lv.back_edge => {
                // The same answer every time from here on: compute it once.
                if self.wrapped[v.index()] == 0 {
                    let k = uses.partition_point(|&p| p < lp || Some(p) == lv.init_pos);
                    let first = uses[k..].iter().copied().find(|&p| lv.is_reg_use(p));
                    self.wrapped[v.index()] = first.map_or(far, |p| (lv.back_edge + p - lp) as u64);
                }
                self.wrapped[v.index()]
            }
            _ => far,
        }
    }

    /// How many uses of `v` need it in a register.
    fn reg_uses(&self, v: Value) -> u32 {
        self.reg_use_count[v.index()]
    }

    fn spill(&mut self, v: Value) {
        let (start, end) = (self.lv.start[v.index()], self.lv.end[v.index()]);
        let slot = match self.free_slots.peek() {
            Some(&Reverse((busy, slot))) if busy < start => {
                self.free_slots.pop();
                slot
            }
            _ => {
                self.slots += 1;
                self.slots - 1
            }
        };
        self.free_slots.push(Reverse((end, slot)));
        self.loc[v.index()] = Loc::Spill(slot);
    }

    /// The register `v` would like: the dying first operand of a two-address op, the return
    /// register of a call, a dying init for a loop parameter, the parameter for a jump argument.
    fn hint(&self, v: Value, rf: &RegFile) -> Option<Reg> {
        let i = v.index();
        let inst = &self.trace.insts[i];
        let in_reg = |w: Value| match self.loc[w.index()] {
            Loc::Reg(r) => Some(r),
            _ => None,
        };
        match &inst.op {
            Op::LoopParam { index } => {
                let init = *self.trace.loop_inits.get(*index as usize)?;
                let s = self.trace.loop_start?;
                if self.lv.end.get(init.index()) == Some(&early(s)) {
                    if let Some(r) = in_reg(init) {
                        return Some(r);
                    }
                }
            }
            Op::Call { .. } => {
                return Some(match self.class_of(v) {
                    RegClass::Gpr => Reg::gpr(rf.ret_gpr),
                    RegClass::Fpr => Reg::fpr(rf.ret_fpr),
                })
            }
            op => {
                if self.two_address[i] {
                    let mut first = None;
                    op.visit_operands(|w| {
                        first.get_or_insert(w);
                    });
                    if let Some(r) = first.filter(|a| self.lv.end[a.index()] == early(i)).and_then(in_reg) {
                        return Some(r);
                    }
                }
            }
        }
        let p = self.jump_arg_of[i]?;
        if self.lv.loop_pos.is_some_and(|lp| self.lv.start[i] > lp) {
            return in_reg(p);
        }
        None
    }

    fn assign(&mut self, v: Value, rf: &RegFile) {
        let (start, end) = (self.lv.start[v.index()], self.lv.end[v.index()]);
        let ci = class_index(self.class_of(v));
        // Free the registers of ranges that ended before this one starts.
        let cls = &mut self.classes[ci];
        let lv = &self.lv;
        let mut k = 0;
        while k < cls.active.len() {
            let w = cls.active[k];
            if lv.end[w.index()] < start {
                if let Loc::Reg(r) = self.loc[w.index()] {
                    if let Some(i) = cls.idx(r) {
                        cls.owner[i] = None;
                    }
                }
                cls.active.swap_remove(k);
            } else {
                k += 1;
            }
        }

        cls.advance(start);
        let hint = self.hint(v, rf).and_then(|r| self.classes[ci].idx(r));
        let cls = &self.classes[ci];
        let free = |i: usize| cls.owner[i].is_none() && cls.allowed(i, end);
        while self.calls.get(self.next_call).is_some_and(|&p| p <= start) {
            self.next_call += 1;
        }
        let crosses_call = self.calls.get(self.next_call).is_some_and(|&p| p <= end);
        let pick = hint.filter(|&i| free(i)).or_else(|| {
            if crosses_call {
                (0..cls.regs.len()).find(|&i| free(i))
            } else {
                cls.call_free_order.iter().copied().find(|&i| free(i))
            }
        });
        if let Some(i) = pick {
            self.take(ci, i, v);
            return;
        }

        // No register: spill whichever range is read in a register furthest in the future.
        let mut best = (self.next_reg_use(v, start), None);
        let mut best_uses = self.reg_uses(v);
        for k in 0..self.classes[ci].active.len() {
            let w = self.classes[ci].active[k];
            let Loc::Reg(r) = self.loc[w.index()] else { continue };
            let Some(i) = self.classes[ci].idx(r) else { continue };
            if !self.classes[ci].allowed(i, end) {
                continue;
            }
            let next = self.next_reg_use(w, start);
            // On a tie, spill the range with fewer register uses: it costs fewer reloads.
            if (next, Reverse(self.reg_uses(w))) > (best.0, Reverse(best_uses)) {
                best = (next, Some((k, i)));
                best_uses = self.reg_uses(w);
            }
        }
        match best.1 {
            None => self.spill(v),
            Some((k, i)) => {
                let w = self.classes[ci].active.swap_remove(k);
                self.classes[ci].owner[i] = None;
                self.spill(w);
                self.take(ci, i, v);
            }
        }
    }

    fn take(&mut self, ci: usize, i: usize, v: Value) {
        let cls = &mut self.classes[ci];
        cls.owner[i] = Some(v);
        cls.active.push(v);
        self.loc[v.index()] = Loc::Reg(cls.regs[i]);
    }
}

pub fn allocate(trace: &Trace, rf: &RegFile) -> Result<Allocation, AllocError> {
    if rf.scratch_gprs.is_empty() || rf.scratch_fprs.is_empty() {
        return Err(AllocError::Unsatisfiable("the register file has no scratch registers".into()));
    }
    // A guard's exit saves registers into `TraceCtx::gpr`/`fpr` by hardware number, and the
    // restore reads them there: a register beyond those arrays could never be restored.
    let beyond = |hws: &[u8], scratch: &[u8], saved: usize| {
        hws.iter().copied().find(|&hw| hw as usize >= saved && !scratch.contains(&hw))
    };
    for (class, hw, saved) in [
        ("gpr", beyond(&rf.gprs, &rf.scratch_gprs, CTX_GPRS), CTX_GPRS),
        ("fpr", beyond(&rf.fprs, &rf.scratch_fprs, CTX_FPRS), CTX_FPRS),
    ] {
        if let Some(hw) = hw {
            return Err(AllocError::Unsatisfiable(format!(
                "{class} {hw} is beyond the {saved} registers an exit saves"
            )));
        }
    }
    let lv = liveness::compute(trace)?;
    let n = trace.insts.len();
    let mut classes = [
        ClassRegs::new(RegClass::Gpr, &rf.gprs, &rf.scratch_gprs, &rf.caller_saved_gprs),
        ClassRegs::new(RegClass::Fpr, &rf.fprs, &rf.scratch_fprs, &rf.caller_saved_fprs),
    ];
    let mut two_address = vec![false; n];
    let mut calls = Vec::new();
    for (i, inst) in trace.insts.iter().enumerate() {
        if !is_emitted(&inst.op) {
            continue;
        }
        if matches!(inst.op, Op::Call { .. }) {
            calls.push(late(i));
        }
        let c = constraints(trace, rf, i);
        two_address[i] = c.two_address;
        for (regs, pos) in [(&c.temps, early(i)), (&c.clobbers, late(i))] {
            for &r in regs {
                let cls = &mut classes[class_index(r.class)];
                if let Some(k) = cls.idx(r) {
                    if cls.blocked[k].last() != Some(&pos) {
                        cls.blocked[k].push(pos);
                    }
                }
            }
        }
    }
    let mut loc = vec![Loc::None; n];
    for (i, inst) in trace.insts.iter().enumerate() {
        if let Op::Const { bits } = inst.op {
            loc[i] = Loc::Const(bits);
        }
    }
    let mut jump_arg_of = vec![None; n];
    if let Terminator::Jump(args) = &trace.term {
        for (&a, &p) in args.iter().zip(&lv.params) {
            if lv.is_live(p) && a.index() < n {
                jump_arg_of[a.index()].get_or_insert(p);
            }
        }
    }
    let cursor = vec![0u32; n];
    let reg_use_count = (0..n)
        .map(|i| lv.uses(Value(i as u32)).iter().filter(|&&p| lv.is_reg_use(p)).count() as u32)
        .collect();
    let mut scan = Scan {
        trace,
        lv,
        classes,
        loc,
        two_address,
        cursor,
        free_slots: BinaryHeap::new(),
        slots: 0,
        wrapped: vec![0; n],
        calls,
        next_call: 0,
        reg_use_count,
        jump_arg_of,
    };
    for k in 0..scan.lv.order.len() {
        let v = scan.lv.order[k];
        scan.assign(v, rf);
    }
    if scan.slots as usize > CTX_SPILL_SLOTS {
        return Err(AllocError::TooManySpills { needed: scan.slots as usize });
    }

    let loc = scan.loc;
    let params = &scan.lv.params;
    let moves = |vals: &[Value]| -> Vec<Move> {
        let par: Vec<Move> = vals
            .iter()
            .zip(params)
            .filter(|(_, p)| loc[p.index()] != Loc::None)
            .map(|(&a, &p)| Move {
                from: loc[a.index()],
                to: loc[p.index()],
                class: RegClass::of(trace.insts[p.index()].ty.expect("live values have types")),
            })
            .collect();
        parmove::sequentialize(&par, rf)
    };
    let preheader_moves = if trace.loop_start.is_some() { moves(&trace.loop_inits) } else { Vec::new() };
    let backedge_moves = match &trace.term {
        Terminator::Jump(args) => moves(args),
        _ => Vec::new(),
    };
    Ok(Allocation { spill_slots: scan.slots, locs: loc, preheader_moves, backedge_moves })
}
