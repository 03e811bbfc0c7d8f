//! Memory carried across the loop: a cell the loop body loads and stores becomes a loop
//! parameter (LuaJIT keeps its stack slots in SSA values the same way).
//!
//! After peeling, a loop that writes memory reloads every cell each iteration, since
//! forwarding cannot know what the previous iteration left there. When every store in the
//! loop goes through one loop-invariant root, and nothing else in the loop writes memory, a
//! cell at `root + disp` of one type, accessed only as a whole, holds at the loop head what
//! the previous iteration last stored there, or, on entry, what the first iteration (the
//! peeled copy) left. Its loads become that value: a new loop parameter whose initial value
//! is the first iteration's last store or load of the cell (or one load added before the
//! loop), and whose next value is the body's last store. A cell the body never stores is
//! invariant and needs no parameter; one whose initial and next values are the same value
//! (a type tag stored as the same constant each time, say) is that value. The stores stay:
//! memory is exact at every exit, and the optimizer's other passes fold what became known
//! (the guards on carried type tags, for one).

use std::collections::{BTreeMap, HashMap};

use super::forward::root;
use crate::ir::*;
use crate::types::Type;

/// A cell: a displacement from the root and the type it is accessed as.
type Cell = (i32, Type);

fn overlaps((d0, t0): Cell, (d1, t1): Cell) -> bool {
    let (a0, a1) = (d0 as i64, d0 as i64 + t0.bytes() as i64);
    let (b0, b1) = (d1 as i64, d1 as i64 + t1.bytes() as i64);
    a0 < b1 && b0 < a1
}

/// Carries cells across the loop of a peeled trace; a trace without a loop, or whose loop
/// does not qualify, is left alone.
pub fn carry(t: &mut Trace) {
    let Some(ls) = t.loop_start else { return };
    let Terminator::Jump(next) = t.term.clone() else { return };
    let params = t.loop_params();
    let body_start = ls + params.len();
    let n = t.insts.len();
    // The one root of every store in the body, defined before the loop.
    let mut store_root = None;
    for inst in &t.insts[body_start..] {
        match inst.op {
            Op::Store { base, disp, .. } => {
                let (r, _) = root(t, base, disp);
                if r.index() >= ls || store_root.is_some_and(|s| s != r) {
                    return;
                }
                store_root = Some(r);
            }
            _ if inst.op.writes_memory() => return,
            _ => {}
        }
    }
    let Some(r) = store_root else { return };
    // Every access through the root in the body, and the cells that only whole accesses of
    // one type touch.
    let mut accesses: Vec<Cell> = Vec::new();
    for inst in &t.insts[body_start..] {
        let (base, disp, ty) = match inst.op {
            Op::Load { base, disp, imm: false } => (base, disp, inst.ty),
            Op::Store { base, disp, value } => (base, disp, t.ty(value)),
            _ => continue,
        };
        let (b, d) = root(t, base, disp);
        if let (true, Some(ty)) = (b == r, ty) {
            accesses.push((d, ty));
        }
    }
    let mut cells: BTreeMap<Cell, ()> = BTreeMap::new();
    for &c in &accesses {
        if accesses.iter().all(|&o| o == c || !overlaps(o, c)) {
            cells.insert(c, ());
        }
    }
    // The loaded ones only.
    let loaded: Vec<Cell> = cells
        .keys()
        .copied()
        .filter(|&c| {
            t.insts[body_start..].iter().any(|i| match i.op {
                Op::Load { base, disp, imm: false } => {
                    let (b, d) = root(t, base, disp);
                    b == r && Some(c) == i.ty.map(|ty| (d, ty))
                }
                _ => false,
            })
        })
        .collect();
    if loaded.is_empty() {
        return;
    }
    // What each cell holds at the loop head on entry: the first iteration's last store or
    // load of it, unless something that may write it came after.
    let mut at_entry: HashMap<Cell, Value> = HashMap::new();
    for (i, inst) in t.insts[..ls].iter().enumerate() {
        match inst.op {
            Op::Load { base, disp, imm: false } => {
                let (b, d) = root(t, base, disp);
                if let (true, Some(ty)) = (b == r, inst.ty) {
                    at_entry.entry((d, ty)).or_insert(Value(i as u32));
                }
            }
            Op::Store { base, disp, value } => {
                let (b, d) = root(t, base, disp);
                let Some(ty) = t.ty(value) else { continue };
                if b == r {
                    at_entry.retain(|&c, _| !overlaps(c, (d, ty)));
                    at_entry.insert((d, ty), value);
                } else {
                    at_entry.clear();
                }
            }
            _ if inst.op.writes_memory() => at_entry.clear(),
            _ => {}
        }
    }
    // What the body leaves in each loaded cell (None: it never stores it).
    let mut at_end: HashMap<Cell, Value> = HashMap::new();
    for inst in &t.insts[body_start..] {
        if let Op::Store { base, disp, value } = inst.op {
            let (b, d) = root(t, base, disp);
            if let (true, Some(ty)) = (b == r, t.ty(value)) {
                at_end.insert((d, ty), value);
            }
        }
    }

    // Rebuild: loads of the cells missing at entry just before the loop, new parameters
    // after the old ones, and the body's loads of carried cells replaced.
    let mut out = Trace { name: t.name.clone(), snaps: t.snaps.clone(), ..Trace::default() };
    let unset = Value(u32::MAX);
    let mut m = vec![unset; n];
    let push = |out: &mut Trace, inst: Inst| {
        out.insts.push(inst);
        Value(out.insts.len() as u32 - 1)
    };
    for (i, inst) in t.insts.iter().enumerate() {
        if inst.op.is_positionless() {
            m[i] = push(&mut out, inst.clone());
        }
    }
    let copy = |out: &mut Trace, m: &[Value], i: usize| {
        let mut c = t.insts[i].clone();
        c.op.map_operands(|v| m[v.index()]);
        push(out, c)
    };
    for i in 0..ls {
        if !t.insts[i].op.is_positionless() {
            m[i] = copy(&mut out, &m, i);
        }
    }
    let mut entry: HashMap<Cell, Value> = HashMap::new();
    for &(d, ty) in &loaded {
        let v = match at_entry.get(&(d, ty)) {
            Some(&v) => m[v.index()],
            None => push(
                &mut out,
                Inst { op: Op::Load { base: m[r.index()], disp: d, imm: false }, ty: Some(ty), name: None },
            ),
        };
        entry.insert((d, ty), v);
    }
    out.loop_start = Some(out.insts.len());
    out.loop_inits = t.loop_inits.iter().map(|v| m[v.index()]).collect();
    for &p in &params {
        m[p.index()] = copy(&mut out, &m, p.index());
    }
    // A cell's value at the head: the entry value when the body never changes it or leaves
    // it the same value, else a new parameter.
    let mut current: HashMap<Cell, Value> = HashMap::new();
    let mut carried: Vec<Cell> = Vec::new();
    for &c in &loaded {
        let init = entry[&c];
        let head = match at_end.get(&c) {
            None => init,
            Some(&v) if m[v.index()] == init => init,
            Some(_) => {
                let index = out.loop_inits.len() as u32;
                out.loop_inits.push(init);
                carried.push(c);
                push(&mut out, Inst { op: Op::LoopParam { index }, ty: Some(c.1), name: None })
            }
        };
        current.insert(c, head);
    }
    for i in body_start..n {
        let inst = &t.insts[i];
        if inst.op.is_positionless() {
            continue;
        }
        match inst.op {
            Op::Load { base, disp, imm: false } => {
                let (b, d) = root(t, base, disp);
                if let Some(&v) = inst.ty.and_then(|ty| current.get(&(d, ty))).filter(|_| b == r) {
                    m[i] = v;
                    continue;
                }
            }
            Op::Store { base, disp, value } => {
                let (b, d) = root(t, base, disp);
                if let Some(ty) = t.ty(value) {
                    if b == r && current.contains_key(&(d, ty)) {
                        current.insert((d, ty), m[value.index()]);
                    }
                }
            }
            _ => {}
        }
        m[i] = copy(&mut out, &m, i);
    }
    let mut jump: Vec<Value> = next.iter().map(|v| m[v.index()]).collect();
    jump.extend(carried.iter().map(|c| current[c]));
    out.term = Terminator::Jump(jump);
    // Snapshot entries name the old values.
    for s in out.snaps.iter_mut() {
        for e in s.entries.iter_mut() {
            e.1 = m[e.1.index()];
        }
    }
    *t = out;
}
