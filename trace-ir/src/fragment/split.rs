//! Continuations: the part of a fragment after one of its guards, as a fragment of its own.
//!
//! A trace built from a recording follows one side of every guard. When it leaves on the
//! other side in the middle of a fragment, the interpreter must resume exactly there: after
//! the guard, with the values the rest of the fragment needs. `split` makes that point an
//! entry: for every guard, overflow op and `promote` (whose trace guard may fail) of every
//! fragment it adds a continuation fragment
//! holding the instructions after it, whose values from before the split are read from temp
//! slots. A trace's snapshot writes those slots and names the continuation.

use std::collections::HashMap;

use super::{Fragment, Program, SlotDecl};
use crate::ir::*;
use crate::types::Type;

/// One continuation: fragment `id` of the split program resumes fragment `of` after its
/// instruction `after`, reading each `(value of the original fragment, slot)` from its slot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Continuation {
    pub id: u32,
    pub of: u32,
    pub after: usize,
    pub live: Vec<(Value, u32)>,
}

#[derive(Clone, Debug)]
pub struct Split {
    /// The original fragments (same ids), then the continuations, then temp slots appended
    /// to the layout.
    pub program: Program,
    pub continuations: Vec<Continuation>,
    index: HashMap<(u32, usize), usize>,
    /// Split points inside continuations: resume the original's continuation there, with
    /// the live values numbered as in the continuation's body.
    derived: HashMap<(u32, usize), Continuation>,
}

impl Split {
    /// The continuation after instruction `after` of fragment `of`.
    pub fn after(&self, of: u32, after: usize) -> Option<&Continuation> {
        match self.index.get(&(of, after)) {
            Some(&k) => Some(&self.continuations[k]),
            None => self.derived.get(&(of, after)),
        }
    }
}

/// Adds a continuation after every guard, overflow op and promote of `p` (verified).
pub fn split(p: &Program) -> Split {
    let mut out = p.clone();
    let mut pools: HashMap<Type, Vec<u32>> = HashMap::new();
    let mut continuations = Vec::new();
    let mut index = HashMap::new();
    let mut tails: Vec<(u32, u32, Vec<Option<Value>>)> = Vec::new();
    for (f, frag) in p.fragments.iter().enumerate() {
        let body = &frag.body;
        for (i, inst) in body.insts.iter().enumerate() {
            if inst.op.snap().is_none() && !matches!(inst.op, Op::Promote(_)) {
                continue;
            }
            let live = live_after(body, i);
            let mut by_ty: HashMap<Type, usize> = HashMap::new();
            let mut slots = Vec::with_capacity(live.len());
            for &v in &live {
                let ty = body.ty(v).unwrap_or(Type::I64);
                let k = by_ty.entry(ty).or_insert(0);
                let pool = pools.entry(ty).or_default();
                if *k == pool.len() {
                    out.slots.push(SlotDecl {
                        name: format!("cont.{}.{}", ty.name(), pool.len()),
                        ty,
                        green: false,
                        temp: true,
                    });
                    pool.push(out.slots.len() as u32 - 1);
                }
                slots.push((v, pool[*k]));
                *k += 1;
            }
            let id = out.fragments.len() as u32;
            let (cbody, cmap) = tail(body, i, &slots);
            out.fragments.push(Fragment { name: format!("{}.after{i}", frag.name), body: cbody });
            index.insert((f as u32, i), continuations.len());
            continuations.push(Continuation { id, of: f as u32, after: i, live: slots });
            tails.push((id, f as u32, cmap));
        }
    }
    // A continuation has guards and promotes of its own (the original's later ones): a trace
    // that runs through it and leaves at one resumes the original's continuation there, so
    // index those too, with the live values renumbered into the continuation's body.
    let mut derived = Vec::new();
    for (cid, f, cmap) in &tails {
        for (old, new) in cmap.iter().enumerate() {
            let (Some(new), Some(&k)) = (new, index.get(&(*f, old))) else { continue };
            let target: &Continuation = &continuations[k];
            if target.after != old {
                continue;
            }
            let live: Option<Vec<(Value, u32)>> =
                target.live.iter().map(|&(v, slot)| cmap[v.index()].map(|nv| (nv, slot))).collect();
            if let Some(live) = live {
                derived.push((
                    (*cid, new.index()),
                    Continuation { id: target.id, of: *cid, after: new.index(), live },
                ));
            }
        }
    }
    let derived: HashMap<(u32, usize), Continuation> = derived.into_iter().collect();
    for c in &mut out.fragments[p.fragments.len()..] {
        c.body.name = Some(c.name.clone());
    }
    Split { program: out, continuations, index, derived }
}

/// The values defined at or before `i` (not inputs or constants) that something after `i`
/// uses, in value order.
fn live_after(t: &Trace, i: usize) -> Vec<Value> {
    let mut used = vec![false; t.insts.len()];
    let mut mark = |v: Value| {
        if v.index() <= i && !t.insts[v.index()].op.is_positionless() {
            used[v.index()] = true;
        }
    };
    for inst in &t.insts[i + 1..] {
        inst.op.visit_operands(&mut mark);
        if let Some(s) = inst.op.snap() {
            t.snaps[s.index()].entries.iter().for_each(|e| mark(e.1));
        }
    }
    if let Some(s) = t.term.snap() {
        t.snaps[s.index()].entries.iter().for_each(|e| mark(e.1));
    }
    (0..t.insts.len()).filter(|&k| used[k]).map(|k| Value(k as u32)).collect()
}

/// The instructions after `i`, with each live value read from its slot. Inputs and
/// constants are kept; snapshots are renumbered to the ones still used. Also returns where
/// each original value went (for the original's instructions after `i`, their index in the
/// continuation).
fn tail(t: &Trace, i: usize, live: &[(Value, u32)]) -> (Trace, Vec<Option<Value>>) {
    let mut out = Trace::default();
    let mut map: Vec<Option<Value>> = vec![None; t.insts.len()];
    let push = |out: &mut Trace, inst: Inst| {
        out.insts.push(inst);
        Value(out.insts.len() as u32 - 1)
    };
    for (k, inst) in t.insts.iter().enumerate() {
        if inst.op.is_positionless() {
            map[k] = Some(push(&mut out, inst.clone()));
        }
    }
    for &(v, slot) in live {
        let name = t.insts[v.index()].name.clone();
        map[v.index()] = Some(push(&mut out, Inst { op: Op::Input { slot }, ty: t.ty(v), name }));
    }
    let mut snaps: HashMap<SnapId, SnapId> = HashMap::new();
    let mut snap = |out: &mut Trace, map: &[Option<Value>], s: SnapId| -> SnapId {
        *snaps.entry(s).or_insert_with(|| {
            let src = &t.snaps[s.index()];
            let entries = src.entries.iter().map(|&(slot, v)| (slot, map[v.index()].unwrap_or(v))).collect();
            out.snaps.push(Snapshot { resume: src.resume, entries, to: src.to });
            SnapId(out.snaps.len() as u32 - 1)
        })
    };
    for (k, inst) in t.insts.iter().enumerate().skip(i + 1) {
        if inst.op.is_positionless() {
            continue;
        }
        let mut inst = inst.clone();
        inst.op.map_operands(|v| map[v.index()].unwrap_or(v));
        match &mut inst.op {
            Op::Guard { snap: s, .. } | Op::Ovf(_, _, _, s) => *s = snap(&mut out, &map, *s),
            _ => {}
        }
        map[k] = Some(push(&mut out, inst));
    }
    out.term = match &t.term {
        Terminator::Exit(s) => Terminator::Exit(snap(&mut out, &map, *s)),
        other => other.clone(),
    };
    (out, map)
}
