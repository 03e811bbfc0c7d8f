//! Fused schedules: where a backend runs the code of the instructions it fuses into others,
//! and the one question every fusion planner asks: does a value's location still hold it at
//! a given position?
//!
//! The allocation (`Allocation::locs`) assumes every instruction reads its operands and
//! writes its result at its own position. A backend may move that work:
//! - `Place::Folded(at)`: the code is emitted inside a later instruction (an `add` in an
//!   addressing mode, an `and` in `tst`, a load as a memory operand). Its operands are read
//!   at `at`, and its result never exists in its location. Folds chain: an instruction folded
//!   into one that is itself folded is emitted where the chain ends.
//! - `Place::WrittenBack(at)`: the code is done by an earlier instruction (a post-indexed
//!   `ldr x, [q], #c` for `q1 = add q, c`). Its operands are read and its result is written
//!   into its location at `at`, not at its own position.
//!
//! At one position the order is the checker's: temps are killed, then every instruction
//! emitted there reads its operands, then clobbers are killed, then results (the
//! instruction's own and the write-backs done there) are written, then the snapshot is read.
//! Fused instructions have no constraints of their own.
//!
//! [`Schedule::holds`] answers the question for the planners and [`super::check_fused`]
//! replays a whole schedule, so a fusion that reads a location after something else was
//! written there fails the checker.

use super::scan::{constraints, is_emitted};
use super::{Allocation, Loc, RegFile};
use crate::ir::{Op, Trace, Value};

/// Where instruction `k`'s code runs.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Place {
    /// At its own position.
    Own,
    /// Inside the instruction at the given (later) position; its result has no location.
    Folded(usize),
    /// By the instruction at the given (earlier) position, which also writes the result.
    WrittenBack(usize),
}

const NONE: u32 = u32::MAX;

/// The placement of every instruction of one trace.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Schedule {
    place: Vec<Place>,
    /// Per position: the instruction whose result is written back there (at most one).
    back: Vec<u32>,
}

impl Schedule {
    /// Every instruction at its own position.
    pub fn new(trace: &Trace) -> Schedule {
        let n = trace.insts.len();
        Schedule { place: vec![Place::Own; n], back: vec![NONE; n] }
    }

    pub fn place(&self, k: usize) -> Place {
        self.place.get(k).copied().unwrap_or(Place::Own)
    }

    /// True when `k`'s code does not run at its own position.
    pub fn is_fused(&self, k: usize) -> bool {
        self.place(k) != Place::Own
    }

    /// Emits `k` inside the instruction at `at`.
    pub fn fold(&mut self, k: usize, at: usize) {
        self.place[k] = Place::Folded(at);
    }

    /// Undoes a `fold` or `write_back` of `k`.
    pub fn unfold(&mut self, k: usize) {
        if let Place::WrittenBack(at) = self.place[k] {
            self.back[at] = NONE;
        }
        self.place[k] = Place::Own;
    }

    /// Has the instruction at `at` compute `k` and write its result.
    pub fn write_back(&mut self, k: usize, at: usize) {
        self.place[k] = Place::WrittenBack(at);
        self.back[at] = k as u32;
    }

    /// The instruction written back at position `at`, if any.
    pub fn written_back_at(&self, at: usize) -> Option<usize> {
        self.back.get(at).copied().filter(|&k| k != NONE).map(|k| k as usize)
    }

    /// Where a folded instruction's code ends up (the end of its chain of folds); `None`
    /// when `k` is not folded.
    pub fn site(&self, k: usize) -> Option<usize> {
        let mut at = match self.place(k) {
            Place::Folded(at) => at,
            _ => return None,
        };
        // Folds point forward, so the chain ends; the bound guards a malformed schedule.
        for _ in 0..self.place.len() {
            match self.place(at) {
                Place::Folded(next) if next > at => at = next,
                _ => return Some(at),
            }
        }
        Some(at)
    }

    /// Where `v`'s result is written into its location: `Some(None)` for values that are
    /// there from entry (inputs, constants), `None` for values never written (folded).
    fn written_at(&self, trace: &Trace, v: Value) -> Option<Option<usize>> {
        let k = v.index();
        let inst = trace.insts.get(k)?;
        if inst.op.is_positionless() {
            return Some(None);
        }
        if matches!(inst.op, Op::LoopParam { .. }) {
            // The preheader and back-edge moves write parameters before the loop's first
            // instruction.
            return trace.loop_start.map(|s| s.checked_sub(1));
        }
        match self.place(k) {
            Place::Own => Some(Some(k)),
            Place::WrittenBack(at) => Some(Some(at)),
            Place::Folded(_) => None,
        }
    }

    /// Whether position `k` writes `l` or destroys it (a result, a write-back, a clobber or
    /// a temp), other than by writing `v` itself. Instructions `moving` says are about to be
    /// folded write nothing.
    #[allow(clippy::too_many_arguments)]
    fn touches(
        &self,
        trace: &Trace,
        alloc: &Allocation,
        rf: &RegFile,
        k: usize,
        v: Value,
        l: Loc,
        moving: &dyn Fn(usize) -> bool,
    ) -> bool {
        let inst = &trace.insts[k];
        let writes = |m: usize| m != v.index() && alloc.loc(Value(m as u32)) == l;
        if self.place(k) == Place::Own && inst.ty.is_some() && writes(k) && is_emitted(&inst.op) && !moving(k)
        {
            return true;
        }
        if self.written_back_at(k).is_some_and(writes) {
            return true;
        }
        if let Loc::Reg(r) = l {
            if is_emitted(&inst.op) && self.place(k) == Place::Own {
                let c = constraints(trace, rf, k);
                if c.clobbers.contains(&r) || c.temps.contains(&r) {
                    return true;
                }
            }
        }
        false
    }

    /// True when `v`'s location still holds `v` when the code at position `at` reads its
    /// operands, given the allocation and every placement made so far. Constants always
    /// hold; folded values and values without a location never do.
    pub fn holds(&self, trace: &Trace, alloc: &Allocation, rf: &RegFile, v: Value, at: usize) -> bool {
        self.holds_while(trace, alloc, rf, v, at, &|_| false)
    }

    /// `holds`, with the instructions `moving` names folded away (they write nothing).
    fn holds_while(
        &self,
        trace: &Trace,
        alloc: &Allocation,
        rf: &RegFile,
        v: Value,
        at: usize,
        moving: &dyn Fn(usize) -> bool,
    ) -> bool {
        let n = trace.insts.len();
        let l = alloc.loc(v);
        match l {
            Loc::Const(_) => return true,
            Loc::None => return false,
            Loc::Reg(_) | Loc::Spill(_) => {}
        }
        if at >= n {
            return false;
        }
        let Some(w) = self.written_at(trace, v) else { return false };
        let start = w.map_or(0, |w| w + 1);
        if w.is_some_and(|w| w >= at) {
            return false; // written at `at` or later: not there yet
        }
        let param = matches!(trace.insts[v.index()].op, Op::LoopParam { .. });
        // A value from before the loop read inside it must survive every iteration: the
        // whole body and the moves at both edges.
        let crosses = trace.loop_start.is_some_and(|s| !param && w.is_none_or(|w| w < s) && at >= s);
        let end = if crosses { n } else { at };
        if (start..end).any(|k| self.touches(trace, alloc, rf, k, v, l, moving)) {
            return false;
        }
        if crosses && alloc.preheader_moves.iter().chain(&alloc.backedge_moves).any(|m| m.to == l) {
            return false;
        }
        // Temps of the reading position are killed before it reads.
        if let Loc::Reg(r) = l {
            let inst = &trace.insts[at];
            if is_emitted(&inst.op) && constraints(trace, rf, at).temps.contains(&r) {
                return false;
            }
        }
        true
    }

    /// True when instruction `j` may be folded into the instruction at `at`: it is at its own
    /// place, before `at` in the same block (preheader or loop body), and every value its
    /// code reads there still holds. The values in `also` are folded into `j` as well (an
    /// index `shl` inside an address `add`), so their operands are read at `at` too; values
    /// already folded into `j` count the same way.
    pub fn can_fold(
        &self,
        trace: &Trace,
        alloc: &Allocation,
        rf: &RegFile,
        j: usize,
        at: usize,
        also: &[Value],
    ) -> bool {
        if j >= at || at >= trace.insts.len() || self.place(j) != Place::Own || self.place(at) != Place::Own {
            return false;
        }
        if trace.loop_start.is_some_and(|s| j < s && at >= s) {
            return false;
        }
        // What moves: `j`, the values of `also`, and whatever is folded into them already.
        let moving = |k: usize| {
            let mut m = k;
            loop {
                if m == j || also.iter().any(|a| a.index() == m) {
                    return true;
                }
                match self.place(m) {
                    Place::Folded(next) if next > m && next <= j => m = next,
                    _ => return false,
                }
            }
        };
        self.reads_hold(trace, alloc, rf, j, at, also, &moving)
    }

    #[allow(clippy::too_many_arguments)]
    fn reads_hold(
        &self,
        trace: &Trace,
        alloc: &Allocation,
        rf: &RegFile,
        k: usize,
        at: usize,
        also: &[Value],
        moving: &dyn Fn(usize) -> bool,
    ) -> bool {
        let inst = &trace.insts[k];
        if !is_emitted(&inst.op)
            || inst.op.snap().is_some()
            || matches!(inst.op, Op::Call { .. } | Op::Store { .. })
        {
            return false;
        }
        let c = constraints(trace, rf, k);
        if !c.temps.is_empty() || !c.clobbers.is_empty() {
            return false;
        }
        let mut ok = true;
        inst.op.visit_operands(|v| {
            if !ok || trace.const_bits(v).is_some() {
                return;
            }
            let inner = also.contains(&v) || self.place(v.index()) == Place::Folded(k);
            ok = if inner {
                v.index() < k && self.reads_hold(trace, alloc, rf, v.index(), at, also, moving)
            } else {
                self.holds_while(trace, alloc, rf, v, at, moving)
            };
        });
        ok
    }
}
