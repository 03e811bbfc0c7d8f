//! Memory carried across the loop: a cell the loop body loads and stores becomes a loop
//! parameter (LuaJIT keeps its stack slots in SSA values the same way).
//!
//! After peeling, a loop that writes memory reloads every cell each iteration, since
//! forwarding cannot know what the previous iteration left there. When every store of one
//! memory class (`MemClass`: the frame's, if the loop stores to it) goes through one
//! loop-invariant root, every other store is of a class that cannot alias it, and no call in
//! the loop writes memory, a cell of that class at `root + disp` of one type, accessed only
//! as a whole, holds at the loop head what
//! the previous iteration last stored there, or, on entry, what the first iteration (the
//! peeled copy) left. Its loads become that value: a new loop parameter whose initial value
//! is the first iteration's last store or load of the cell (or one load added before the
//! loop), and whose next value is the body's last store. A cell the body never stores is
//! invariant and needs no parameter; one whose initial and next values are the same value
//! (a type tag stored as the same constant each time, say) is that value. The stores stay:
//! memory is exact at every exit, and the optimizer's other passes fold what became known
//! (the guards on carried type tags, for one).

use std::collections::{BTreeSet, HashMap};

use super::forward::root;
use crate::ir::*;
use crate::types::Type;

/// A cell: a displacement from the root and the type it is accessed as.
type Cell = (i32, Type);

/// The widest access in bytes (as in `forward`).
const WIDEST: i32 = 8;

fn overlaps((d0, t0): Cell, (d1, t1): Cell) -> bool {
    let (a0, a1) = (d0 as i64, d0 as i64 + t0.bytes() as i64);
    let (b0, b1) = (d1 as i64, d1 as i64 + t1.bytes() as i64);
    a0 < b1 && b0 < a1
}

/// The cells of `set` other than `c` that share a byte with it.
fn overlapping(set: &BTreeSet<Cell>, c: Cell) -> impl Iterator<Item = Cell> + '_ {
    let lo = c.0.saturating_sub(WIDEST - 1);
    let hi = c.0.saturating_add(c.1.bytes() as i32 - 1);
    set.range((lo, Type::I1)..=(hi, Type::F64)).copied().filter(move |&o| o != c && overlaps(o, c))
}

/// Carries cells across the loop of a peeled trace; a trace without a loop, or whose loop
/// does not qualify, is left alone.
pub fn carry(t: &mut Trace) {
    let Some(ls) = t.loop_start else { return };
    let Terminator::Jump(next) = t.term.clone() else { return };
    let params = t.loop_params();
    let body_start = ls + params.len();
    let n = t.insts.len();
    // The class carried: the frame's when the body stores to it, else the one class its
    // stores have.
    let classes: Vec<MemClass> = t.insts[body_start..]
        .iter()
        .filter_map(|i| match i.op {
            Op::Store { mem, .. } => Some(mem),
            _ => None,
        })
        .collect();
    let Some(&first) = classes.first() else { return };
    let class = if classes.contains(&MemClass::Frame) { MemClass::Frame } else { first };
    // The one root of every store of that class in the body, defined before the loop.
    let mut store_root = None;
    for inst in &t.insts[body_start..] {
        match inst.op {
            Op::Store { base, disp, mem, .. } if mem == class => {
                let (r, _) = root(t, base, disp);
                if r.index() >= ls || store_root.is_some_and(|s| s != r) {
                    return;
                }
                store_root = Some(r);
            }
            Op::Store { mem, .. } if mem.may_alias(class) => return,
            _ if inst.op.writes_memory() && !matches!(inst.op, Op::Store { .. }) => return,
            _ => {}
        }
    }
    let Some(r) = store_root else { return };
    // An access of the carried class through the root: its displacement and type.
    let cell_of = |inst: &Inst| -> Option<Cell> {
        let (base, disp, ty, mem) = match inst.op {
            Op::Load { base, disp, imm: false, mem } => (base, disp, inst.ty?, mem),
            Op::Store { base, disp, value, mem } => (base, disp, t.ty(value)?, mem),
            _ => return None,
        };
        let (b, d) = root(t, base, disp);
        (b == r && mem == class).then_some((d, ty))
    };
    let cell: Vec<Option<Cell>> = t.insts.iter().map(cell_of).collect();
    // The cells the body loads that only whole accesses of one type touch in the body.
    let accessed: BTreeSet<Cell> = cell[body_start..].iter().flatten().copied().collect();
    let loaded: BTreeSet<Cell> = (body_start..n)
        .filter(|&i| matches!(t.insts[i].op, Op::Load { .. }))
        .filter_map(|i| cell[i])
        .filter(|&c| overlapping(&accessed, c).next().is_none())
        .collect();
    if loaded.is_empty() {
        return;
    }
    // What each cell holds at the loop head on entry: the first iteration's last store or
    // load of it, unless something that may write it came after.
    let mut at_entry: HashMap<Cell, Value> = HashMap::new();
    for (i, inst) in t.insts[..ls].iter().enumerate() {
        match (&inst.op, cell[i]) {
            (Op::Load { .. }, Some(c)) if loaded.contains(&c) => {
                at_entry.entry(c).or_insert(Value(i as u32));
            }
            (Op::Store { value, .. }, Some(c)) => {
                for o in overlapping(&loaded, c) {
                    at_entry.remove(&o);
                }
                if loaded.contains(&c) {
                    at_entry.insert(c, *value);
                }
            }
            (Op::Store { mem, .. }, None) if mem.may_alias(class) => at_entry.clear(),
            (Op::Store { .. }, None) => {}
            (op, _) if op.writes_memory() => at_entry.clear(),
            _ => {}
        }
    }
    // What the body leaves in each loaded cell (None: it never stores it).
    let mut at_end: HashMap<Cell, Value> = HashMap::new();
    for (inst, &c) in t.insts[body_start..].iter().zip(&cell[body_start..]) {
        if let (Op::Store { value, .. }, Some(c)) = (&inst.op, c) {
            at_end.insert(c, *value);
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
                Inst {
                    op: Op::Load { base: m[r.index()], disp: d, imm: false, mem: class },
                    ty: Some(ty),
                    name: None,
                },
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
        match (&inst.op, cell[i]) {
            (Op::Load { .. }, Some(c)) => {
                if let Some(&v) = current.get(&c) {
                    m[i] = v;
                    continue;
                }
            }
            (Op::Store { value, .. }, Some(c)) if current.contains_key(&c) => {
                current.insert(c, m[value.index()]);
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
