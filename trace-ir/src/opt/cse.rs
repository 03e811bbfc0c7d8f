//! Common subexpression elimination.
//!
//! An instruction equal to an earlier one (same op, same resolved operands, same type) is
//! replaced by it: pure ops, pure calls, constants and inputs always; overflow-checked ops
//! too (if the first did not leave, the second cannot); non-`imm` loads and `readonly` calls
//! only when no instruction that may write memory lies between them. A loop body that writes
//! memory starts a new memory epoch at the loop header, because on the second iteration
//! memory has changed since anything before it was computed.

use std::collections::HashMap;

use super::{loop_writes_memory, Rewrite};
use crate::ir::*;
use crate::types::Type;

#[derive(Clone, PartialEq, Eq, Hash)]
enum Key {
    Const(Type, u64),
    Input(u32, Type),
    Bin(BinOp, Value, Value, Type),
    Un(UnOp, Value),
    Ovf(OvfOp, Value, Value),
    ICmp(ICmp, Value, Value),
    FCmp(FCmp, Value, Value),
    Select(Value, Value, Value),
    Conv(Conv, Value, Type),
    /// Non-`imm` loads carry the memory epoch they read in; `imm` ones use epoch 0.
    Load {
        base: Value,
        disp: i32,
        ty: Type,
        imm: bool,
        epoch: u32,
    },
    Call {
        callee: Callee,
        args: Vec<Value>,
        ty: Option<Type>,
        epoch: Option<u32>,
    },
}

fn key(inst: &Inst, epoch: u32) -> Option<Key> {
    let ty = inst.ty;
    Some(match &inst.op {
        Op::Const { bits } => Key::Const(ty?, *bits),
        Op::Input { slot } => Key::Input(*slot, ty?),
        Op::Bin(o, a, b) => {
            // Float ops keep their order: it decides which NaN payload comes out.
            let (a, b) = if o.is_commutative() && !o.is_float() && b < a { (*b, *a) } else { (*a, *b) };
            Key::Bin(*o, a, b, ty?)
        }
        Op::Un(o, a) => Key::Un(*o, *a),
        Op::Ovf(o, a, b, _) => {
            let (a, b) = if *o != OvfOp::Sub && b < a { (*b, *a) } else { (*a, *b) };
            Key::Ovf(*o, a, b)
        }
        Op::ICmp(c, a, b) => {
            if b < a {
                Key::ICmp(c.swapped(), *b, *a)
            } else {
                Key::ICmp(*c, *a, *b)
            }
        }
        Op::FCmp(c, a, b) => Key::FCmp(*c, *a, *b),
        Op::Select(c, a, b) => Key::Select(*c, *a, *b),
        Op::Conv(c, a) => Key::Conv(*c, *a, ty?),
        Op::Load { base, disp, imm, .. } => {
            Key::Load { base: *base, disp: *disp, ty: ty?, imm: *imm, epoch: if *imm { 0 } else { epoch } }
        }
        Op::Call { callee, args, effect, .. } => {
            let epoch = match effect {
                CallEffect::Any => return None,
                CallEffect::ReadOnly => Some(epoch),
                CallEffect::Pure => None,
            };
            Key::Call { callee: callee.clone(), args: args.clone(), ty, epoch }
        }
        Op::LoopParam { .. }
        | Op::Store { .. }
        | Op::Guard { .. }
        | Op::Promote(_)
        | Op::Hint(_)
        | Op::Nop => return None,
    })
}

pub fn cse(trace: &mut Trace) {
    let mut rw = Rewrite::new(trace);
    let mut seen: HashMap<Key, Value> = HashMap::with_capacity(trace.insts.len());
    let mut epoch = 1u32;
    let body_writes = loop_writes_memory(trace);
    // Inputs and constants first: they hold everywhere, wherever they sit.
    let order: Vec<usize> = (0..trace.insts.len())
        .filter(|&i| trace.insts[i].op.is_positionless())
        .chain((0..trace.insts.len()).filter(|&i| !trace.insts[i].op.is_positionless()))
        .collect();
    let mut in_loop = false;
    for i in order {
        let inst = &trace.insts[i];
        if !in_loop && !inst.op.is_positionless() && trace.loop_start.is_some_and(|s| i >= s) {
            in_loop = true;
            epoch += body_writes as u32;
        }
        rw.resolve_operands(trace, i);
        let inst = &trace.insts[i];
        if inst.op.writes_memory() {
            epoch += 1;
            continue;
        }
        let Some(k) = key(inst, epoch) else { continue };
        match seen.get(&k) {
            Some(&w) => rw.replace(trace, i, w),
            None => {
                seen.insert(k, Value(i as u32));
            }
        }
    }
    rw.finish(trace);
}
