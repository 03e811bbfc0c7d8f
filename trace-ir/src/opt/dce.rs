//! Dead code elimination.
//!
//! Live are the instructions with side effects (stores, guards, overflow checks, calls that
//! may write), what the snapshots they and the terminator leave through name, and everything
//! those use. A loop parameter is live only when something live uses it; its jump value and
//! initial value are then live too, and dead parameters are removed from the loop entirely.
//! Unused loads and `pure`/`readonly` calls go. Snapshots nothing leaves through any more
//! lose their entries but keep their numbers, because snapshot numbers are exit ids.

use crate::ir::*;

pub fn dce(trace: &mut Trace) {
    let n = trace.insts.len();
    let mut live = vec![false; n];
    let mut snap_used = vec![false; trace.snaps.len()];
    let mut work: Vec<usize> = Vec::new();
    let params = trace.loop_params();
    let jump_args = match &trace.term {
        Terminator::Jump(a) => a.clone(),
        _ => Vec::new(),
    };
    for (i, inst) in trace.insts.iter().enumerate() {
        if inst.op.has_side_effect() {
            live[i] = true;
            work.push(i);
        }
    }
    let mut use_snap = |s: SnapId, live: &mut Vec<bool>, work: &mut Vec<usize>| {
        if let Some(used) = snap_used.get_mut(s.index()) {
            if !*used {
                *used = true;
                for &(_, v) in &trace.snaps[s.index()].entries {
                    mark(v, live, work);
                }
            }
        }
    };
    for s in trace.term.exit_snaps() {
        use_snap(s, &mut live, &mut work);
    }
    if let Terminator::Dispatch { index, .. } = trace.term {
        mark(index, &mut live, &mut work);
    }
    while let Some(i) = work.pop() {
        let op = &trace.insts[i].op;
        op.visit_operands(|v| mark(v, &mut live, &mut work));
        if let Some(s) = op.snap() {
            use_snap(s, &mut live, &mut work);
        }
        if let Op::LoopParam { index } = *op {
            let k = index as usize;
            if let Some(&v) = jump_args.get(k) {
                mark(v, &mut live, &mut work);
            }
            if let Some(&v) = trace.loop_inits.get(k) {
                mark(v, &mut live, &mut work);
            }
        }
    }
    // Dead loop parameters leave the header, the initial values and the jump.
    let keep: Vec<bool> = params.iter().map(|p| live[p.index()]).collect();
    if keep.iter().any(|k| !k) {
        let filter =
            |vs: &[Value]| vs.iter().zip(&keep).filter(|(_, &k)| k).map(|(&v, _)| v).collect::<Vec<_>>();
        trace.loop_inits = filter(&trace.loop_inits);
        if let Terminator::Jump(a) = &mut trace.term {
            *a = filter(a);
        }
        let mut next = 0;
        for p in &params {
            if live[p.index()] {
                trace.insts[p.index()].op = Op::LoopParam { index: next };
                next += 1;
            }
        }
    }
    let mut changed = false;
    for (i, inst) in trace.insts.iter_mut().enumerate() {
        if !live[i] && inst.op != Op::Nop {
            inst.op = Op::Nop;
            changed = true;
        }
    }
    for (s, used) in trace.snaps.iter_mut().zip(&snap_used) {
        if !used {
            s.entries.clear();
        }
    }
    if changed {
        trace.compact();
    }
}

fn mark(v: Value, live: &mut [bool], work: &mut Vec<usize>) {
    if let Some(l) = live.get_mut(v.index()) {
        if !*l {
            *l = true;
            work.push(v.index());
        }
    }
}
