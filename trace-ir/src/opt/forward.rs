//! Store-to-load forwarding (and load-to-load reuse).
//!
//! Memory facts say "`ty` at `base + disp` holds `value`", learned from stores and loads. A
//! load of the same base value, displacement and type is replaced by the fact's value. A
//! base computed as `add %p, CONST` (or a chain of them) counts as `%p` with the constant in
//! the displacement, so `[%p + 16]` and `[%q]` with `%q = add %p, 16` are the same place and
//! `[%q + 8]` is known to be disjoint from both. The
//! alias rules are simple and safe: a store kills the facts about the same base at
//! overlapping bytes and about every other base (two different values may point at the same
//! place), but keeps the same base at disjoint bytes; a call that may write kills every fact.
//! Facts are kept per memory class (`MemClass`): a `Frame` store leaves the `Heap` facts, and the
//! other way round; an `Any` store, or a fact learnt by an `Any` access, meets them all.
//! `imm` memory never changes and never aliases a store, so its facts live in their own table
//! and nothing kills them. A loop body that writes memory starts without the facts from
//! before the loop, since on the second iteration they may no longer hold.

use std::collections::{BTreeMap, HashMap};

use super::{loop_writes_memory, Rewrite};
use crate::ir::*;
use crate::types::Type;

/// The widest access in bytes: a fact at `d` can overlap an access at `disp` only when
/// `disp - d < WIDEST`.
const WIDEST: i64 = 8;

/// Memory facts, indexed so that a lookup and a store's kills cost the facts they touch, not
/// all the facts known: a trace of thousands of loads and stores stays linear.
#[derive(Default)]
struct Facts {
    /// Per base: `(disp, ty) -> value`, ordered by displacement for the overlap search.
    by_base: HashMap<Value, BTreeMap<(i32, Type), Value>>,
}

impl Facts {
    fn find(&self, base: Value, disp: i32, ty: Type) -> Option<Value> {
        self.by_base.get(&base)?.get(&(disp, ty)).copied()
    }

    fn learn(&mut self, base: Value, disp: i32, ty: Type, value: Value) {
        self.by_base.entry(base).or_default().insert((disp, ty), value);
    }

    /// Forgets everything. A fresh table, so that clearing after a large one stays cheap.
    fn clear(&mut self) {
        self.by_base = HashMap::new();
    }

    /// What a store of `ty` at `base + disp` leaves: the same base at disjoint bytes only.
    fn store(&mut self, base: Value, disp: i32, ty: Type) {
        let mut same = self.by_base.remove(&base).unwrap_or_default();
        self.clear();
        let (lo, hi) = (disp as i64 - (WIDEST - 1), disp as i64 + ty.bytes() as i64 - 1);
        let lo = lo.max(i32::MIN as i64) as i32;
        let hi = hi.min(i32::MAX as i64) as i32;
        let dead: Vec<(i32, Type)> = same
            .range((lo, Type::I1)..=(hi, Type::F64))
            .map(|(&k, _)| k)
            .filter(|&(d, t)| overlaps(d, t, disp, ty))
            .collect();
        for k in dead {
            same.remove(&k);
        }
        self.by_base.insert(base, same);
    }
}

fn overlaps(d0: i32, t0: Type, d1: i32, t1: Type) -> bool {
    let (a0, a1) = (d0 as i64, d0 as i64 + t0.bytes() as i64);
    let (b0, b1) = (d1 as i64, d1 as i64 + t1.bytes() as i64);
    a0 < b1 && b0 < a1
}

/// `base + disp` as a root value plus a displacement, looking through `add` and `sub` of
/// constants (the address is the same 64-bit sum either way); the access as written when the
/// displacement would leave i32.
pub(crate) fn root(trace: &Trace, base: Value, disp: i32) -> (Value, i32) {
    let (mut b, mut d) = (base, disp as i64);
    for _ in 0..64 {
        let step = match trace.insts.get(b.index()).map(|i| &i.op) {
            Some(Op::Bin(BinOp::Add, x, y)) => match (trace.const_bits(*x), trace.const_bits(*y)) {
                (_, Some(c)) => Some((*x, c as i64)),
                (Some(c), _) => Some((*y, c as i64)),
                _ => None,
            },
            Some(Op::Bin(BinOp::Sub, x, y)) => trace.const_bits(*y).map(|c| (*x, (c as i64).wrapping_neg())),
            _ => None,
        };
        let Some((x, c)) = step else { break };
        let Some(nd) = d.checked_add(c).filter(|nd| i32::try_from(*nd).is_ok()) else { break };
        if trace.ty(x) != Some(Type::I64) {
            break;
        }
        (b, d) = (x, nd);
    }
    (b, d as i32)
}

/// The facts of each memory class (`MemClass::Any`, `Frame`, `Heap`).
#[derive(Default)]
struct Classes([Facts; 3]);

impl Classes {
    fn of(&mut self, m: MemClass) -> &mut Facts {
        &mut self.0[m as usize]
    }

    fn clear(&mut self) {
        self.0.iter_mut().for_each(Facts::clear);
    }

    /// A store of class `m`: the classes it may alias see it (a class it cannot alias keeps
    /// its facts); the same class learns the stored value.
    fn store(&mut self, m: MemClass, base: Value, disp: i32, ty: Type) {
        for c in [MemClass::Any, MemClass::Frame, MemClass::Heap] {
            if c.may_alias(m) {
                if c == m {
                    self.of(c).store(base, disp, ty);
                } else {
                    self.of(c).clear();
                }
            }
        }
    }
}

pub fn forward(trace: &mut Trace) {
    let mut rw = Rewrite::new(trace);
    let mut mem = Classes::default();
    let mut imm = Facts::default();
    let body_writes = loop_writes_memory(trace);
    let mut in_loop = false;
    for i in 0..trace.insts.len() {
        if trace.insts[i].op.is_positionless() {
            continue;
        }
        if !in_loop && trace.loop_start.is_some_and(|s| i >= s) {
            in_loop = true;
            if body_writes {
                mem.clear();
            }
        }
        rw.resolve_operands(trace, i);
        let inst = &trace.insts[i];
        match inst.op {
            Op::Load { base, disp, imm: is_imm, mem: class } => {
                let Some(ty) = inst.ty else { continue };
                let (base, disp) = root(trace, base, disp);
                let table = if is_imm { &mut imm } else { mem.of(class) };
                match table.find(base, disp, ty) {
                    Some(v) => rw.replace(trace, i, v),
                    None => table.learn(base, disp, ty, Value(i as u32)),
                }
            }
            Op::Store { base, disp, value, mem: class } => {
                let Some(ty) = trace.ty(value) else { continue };
                let (base, disp) = root(trace, base, disp);
                mem.store(class, base, disp, ty);
                mem.of(class).learn(base, disp, ty, value);
            }
            _ if inst.op.writes_memory() => mem.clear(),
            _ => {}
        }
    }
    rw.finish(trace);
}
