//! The optimizer passes. Each takes a verifier-clean trace and leaves one, keeps snapshot
//! numbering (exit ids) as it is (except `peel`, which copies the loop body and its
//! snapshots), and is correct on its own, so tests can run any one alone.
//!
//! The shared machinery: passes walk the trace in order, resolving each operand through a
//! replacement table first, turn what they replace or remove into `Op::Nop`, and finish with
//! `Rewrite::finish`, which renames every use (snapshots, loop values, jump) and compacts.

use std::collections::HashMap;

use crate::ir::*;
use crate::types::Type;

pub mod carry;
pub mod cse;
pub mod dce;
pub mod fold;
pub mod forward;
pub mod guards;
pub mod peel;

pub use carry::carry;
pub use cse::cse;
pub use dce::dce;
pub use fold::fold;
pub use forward::forward;
pub use guards::guards;
pub use peel::peel;

/// Runs every pass in an order where each feeds the next: folding exposes constant guards
/// and equal operands, forwarding and CSE expose more folding, DCE cleans up last.
pub fn optimize(trace: &mut Trace) {
    fold(trace);
    forward(trace);
    cse(trace);
    fold(trace);
    guards(trace);
    cse(trace);
    dce(trace);
}

/// Replacements made during one walk over a trace.
pub(crate) struct Rewrite {
    repl: Vec<Value>,
    changed: bool,
}

impl Rewrite {
    pub(crate) fn new(trace: &Trace) -> Rewrite {
        Rewrite { repl: (0..trace.insts.len() as u32).map(Value).collect(), changed: false }
    }

    /// The value `v` stands for now. Replacements always point at earlier or positionless
    /// values, so the chain ends.
    pub(crate) fn resolve(&self, mut v: Value) -> Value {
        while let Some(&w) = self.repl.get(v.index()) {
            if w == v {
                break;
            }
            v = w;
        }
        v
    }

    /// Resolves the operands of instruction `i` in place.
    pub(crate) fn resolve_operands(&self, trace: &mut Trace, i: usize) {
        trace.insts[i].op.map_operands(|v| self.resolve(v));
    }

    /// Makes every use of `i` a use of `w` and removes `i`.
    pub(crate) fn replace(&mut self, trace: &mut Trace, i: usize, w: Value) {
        if self.repl.len() <= w.index() {
            self.repl.extend((self.repl.len() as u32..=w.0).map(Value));
        }
        self.repl[i] = w;
        trace.insts[i].op = Op::Nop;
        self.changed = true;
    }

    /// Removes `i`, which nothing uses.
    pub(crate) fn remove(&mut self, trace: &mut Trace, i: usize) {
        trace.insts[i].op = Op::Nop;
        self.changed = true;
    }

    /// Renames the remaining uses and compacts.
    pub(crate) fn finish(self, trace: &mut Trace) {
        if !self.changed {
            return;
        }
        let r = |v: Value| self.resolve(v);
        for inst in &mut trace.insts {
            inst.op.map_operands(r);
        }
        for s in &mut trace.snaps {
            for e in &mut s.entries {
                e.1 = r(e.1);
            }
        }
        for v in &mut trace.loop_inits {
            *v = r(*v);
        }
        trace.term.map_operands(r);
        trace.compact();
    }
}

/// The trace's constants by type and bits, to reuse one before adding one.
pub(crate) struct Consts {
    map: HashMap<(Type, u64), Value>,
}

impl Consts {
    pub(crate) fn new(trace: &Trace) -> Consts {
        let mut map = HashMap::new();
        for (i, inst) in trace.insts.iter().enumerate() {
            if let (Op::Const { bits }, Some(ty)) = (&inst.op, inst.ty) {
                map.entry((ty, *bits)).or_insert(Value(i as u32));
            }
        }
        Consts { map }
    }

    /// The constant `bits` of type `ty`, appended when the trace has none (constants have no
    /// position, so the end is as good as anywhere).
    /// A new constant takes `name`, usually that of the instruction it replaces.
    pub(crate) fn get(&mut self, trace: &mut Trace, ty: Type, bits: u64, name: Option<String>) -> Value {
        let bits = bits & ty.mask();
        *self.map.entry((ty, bits)).or_insert_with(|| {
            trace.insts.push(Inst { op: Op::Const { bits }, ty: Some(ty), name });
            Value(trace.insts.len() as u32 - 1)
        })
    }
}

/// True when the loop body (from `loop_start` on) has an instruction that may write memory:
/// then no memory fact from before the loop, or from an earlier iteration, holds in it.
pub(crate) fn loop_writes_memory(trace: &Trace) -> bool {
    match trace.loop_start {
        None => false,
        Some(s) => trace.insts.get(s..).unwrap_or(&[]).iter().any(|i| i.op.writes_memory()),
    }
}
