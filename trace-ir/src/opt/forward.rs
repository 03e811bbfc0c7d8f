//! Store-to-load forwarding (and load-to-load reuse).
//!
//! Memory facts say "`ty` at `base + disp` holds `value`", learned from stores and loads. A
//! load of the same base value, displacement and type is replaced by the fact's value. The
//! alias rules are simple and safe: a store kills the facts about the same base at
//! overlapping bytes and about every other base (two different values may point at the same
//! place), but keeps the same base at disjoint bytes; a call that may write kills every fact.
//! `imm` memory never changes and never aliases a store, so its facts live in their own table
//! and nothing kills them. A loop body that writes memory starts without the facts from
//! before the loop, since on the second iteration they may no longer hold.

use super::{loop_writes_memory, Rewrite};
use crate::ir::*;
use crate::types::Type;

#[derive(Clone, Copy)]
struct Fact {
    base: Value,
    disp: i32,
    ty: Type,
    value: Value,
}

impl Fact {
    fn overlaps(&self, disp: i32, ty: Type) -> bool {
        let (a0, a1) = (self.disp as i64, self.disp as i64 + self.ty.bytes() as i64);
        let (b0, b1) = (disp as i64, disp as i64 + ty.bytes() as i64);
        a0 < b1 && b0 < a1
    }
}

fn find(facts: &[Fact], base: Value, disp: i32, ty: Type) -> Option<Value> {
    facts.iter().rev().find(|f| f.base == base && f.disp == disp && f.ty == ty).map(|f| f.value)
}

pub fn forward(trace: &mut Trace) {
    let mut rw = Rewrite::new(trace);
    let mut mem: Vec<Fact> = Vec::new();
    let mut imm: Vec<Fact> = Vec::new();
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
            Op::Load { base, disp, imm: is_imm } => {
                let Some(ty) = inst.ty else { continue };
                let table = if is_imm { &mut imm } else { &mut mem };
                match find(table, base, disp, ty) {
                    Some(v) => rw.replace(trace, i, v),
                    None => table.push(Fact { base, disp, ty, value: Value(i as u32) }),
                }
            }
            Op::Store { base, disp, value } => {
                let Some(ty) = trace.ty(value) else { continue };
                mem.retain(|f| f.base == base && !f.overlaps(disp, ty));
                mem.push(Fact { base, disp, ty, value });
            }
            _ if inst.op.writes_memory() => mem.clear(),
            _ => {}
        }
    }
    rw.finish(trace);
}
