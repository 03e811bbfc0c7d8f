//! Loop peeling with loop-invariant code motion, by copy-substitution (LuaJIT's approach).
//!
//! The loop body is emitted twice: once before the loop, as its first iteration with the
//! loop parameters replaced by their initial values, and once as the loop itself. While the
//! second copy is emitted, an instruction whose operands are all the same values as in the
//! first copy computes the same result, so it is not emitted again: the loop uses the first
//! copy's value. That hoists invariant arithmetic, invariant loads (when the loop writes no
//! memory, or from `imm` memory), pure calls and readonly ones, and removes guards on
//! invariant conditions and overflow checks on invariant operands, which the first
//! iteration already checked. The other passes (CSE, DCE) tidy up afterwards.
//!
//! Unlike the other passes it renumbers snapshots: each copy has its own, because their
//! entries name different values. An exit still leaves with the same state and resume word.
//! Last, memory the loop body keeps loading and storing is carried in loop parameters
//! (`carry`), after forwarding has merged the loads of each copy.

use std::collections::HashMap;

use crate::ir::*;

/// Whether an instruction computes the same result from the same operands wherever it runs
/// in the loop (`writes`: the loop body writes memory).
fn hoistable(op: &Op, writes: bool) -> bool {
    match op {
        Op::Bin(..)
        | Op::Un(..)
        | Op::ICmp(..)
        | Op::FCmp(..)
        | Op::Select(..)
        | Op::Conv(..)
        | Op::Ovf(..) => true,
        Op::Load { imm, .. } => *imm || !writes,
        Op::Call { effect: CallEffect::Pure, .. } => true,
        Op::Call { effect: CallEffect::ReadOnly, .. } => !writes,
        _ => false,
    }
}

/// Peels the first iteration off a looping trace (verified) and hoists what is invariant.
/// A trace without a loop is left alone.
pub fn peel(t: &mut Trace) {
    let Some(ls) = t.loop_start else { return };
    let Terminator::Jump(next) = t.term.clone() else { return };
    let params = t.loop_params();
    let body_start = ls + params.len();
    let n = t.insts.len();
    let writes = t.insts[body_start..].iter().any(|i| i.op.writes_memory());

    let mut out = Trace { name: t.name.clone(), ..Trace::default() };
    let unset = Value(u32::MAX);
    // Where each old value lives in the first copy (m1) and in the loop (m2).
    let mut m1 = vec![unset; n];
    let mut m2 = vec![unset; n];
    let push = |out: &mut Trace, inst: Inst| {
        out.insts.push(inst);
        Value(out.insts.len() as u32 - 1)
    };
    // Snapshots are copied per copy (before the loop, first iteration, loop), on first use.
    let mut snaps0: HashMap<SnapId, SnapId> = HashMap::new();
    let mut snaps1: HashMap<SnapId, SnapId> = HashMap::new();
    let mut snaps2: HashMap<SnapId, SnapId> = HashMap::new();
    // Appends instruction `i` with its operands (and its snapshot's entries) renamed by `m`.
    let copy = |out: &mut Trace, memo: &mut HashMap<SnapId, SnapId>, m: &[Value], i: usize| -> Value {
        let mut c = t.insts[i].clone();
        c.op.map_operands(|v| m[v.index()]);
        if let Op::Guard { snap, .. } | Op::Ovf(_, _, _, snap) = &mut c.op {
            *snap = *memo.entry(*snap).or_insert_with(|| {
                let src = &t.snaps[snap.index()];
                let entries = src.entries.iter().map(|&(slot, v)| (slot, m[v.index()])).collect();
                out.snaps.push(Snapshot { resume: src.resume, entries, to: src.to });
                SnapId(out.snaps.len() as u32 - 1)
            });
        }
        out.insts.push(c);
        Value(out.insts.len() as u32 - 1)
    };
    // Every input and constant first (they hold everywhere, wherever they sat), then what
    // came before the loop.
    for (i, inst) in t.insts.iter().enumerate() {
        if inst.op.is_positionless() {
            let v = push(&mut out, inst.clone());
            m1[i] = v;
            m2[i] = v;
        }
    }
    for i in 0..ls {
        if t.insts[i].op.is_positionless() {
            continue;
        }
        let v = copy(&mut out, &mut snaps0, &m1, i);
        m1[i] = v;
        m2[i] = v;
    }
    // The first iteration: parameters are their initial values.
    for (k, &p) in params.iter().enumerate() {
        m1[p.index()] = m1[t.loop_inits[k].index()];
    }
    for i in body_start..n {
        if !t.insts[i].op.is_positionless() {
            m1[i] = copy(&mut out, &mut snaps1, &m1, i);
        }
    }
    // The loop: new parameters, entered with the first iteration's next values.
    out.loop_start = Some(out.insts.len());
    out.loop_inits = next.iter().map(|v| m1[v.index()]).collect();
    for (k, &p) in params.iter().enumerate() {
        let ty = t.insts[p.index()].ty;
        m2[p.index()] = push(
            &mut out,
            Inst { op: Op::LoopParam { index: k as u32 }, ty, name: t.insts[p.index()].name.clone() },
        );
    }
    for i in body_start..n {
        let inst = &t.insts[i];
        if inst.op.is_positionless() {
            continue;
        }
        let invariant = {
            let mut all = true;
            inst.op.visit_operands(|v| all &= m2[v.index()] == m1[v.index()]);
            all
        };
        if invariant {
            if hoistable(&inst.op, writes) {
                m2[i] = m1[i];
                continue;
            }
            if matches!(inst.op, Op::Guard { .. }) {
                // The first iteration checked the same condition.
                continue;
            }
        }
        m2[i] = copy(&mut out, &mut snaps2, &m2, i);
    }
    out.term = Terminator::Jump(next.iter().map(|v| m2[v.index()]).collect());
    *t = out;
    super::forward(t);
    super::carry(t);
}
