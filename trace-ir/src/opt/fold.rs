//! Constant folding and algebraic simplification.
//!
//! Folds exactly what the reference interpreter would compute, through the same code
//! (`interp::eval_pure`), and nothing it leaves undefined: a division by a zero constant, an
//! out-of-range `fptosi` or an overflowing `.ovf` stay as they are. Float arithmetic folds
//! only when the result is not NaN (NaN payloads differ between machines); identities like
//! `x + 0.0` are not identities on -0.0 and NaN, so only integer identities are applied.
//! Loop parameters are never constants, whatever their initial value.

use super::{Consts, Rewrite};
use crate::interp::eval_pure;
use crate::ir::*;
use crate::types::Type;

pub fn fold(trace: &mut Trace) {
    let mut rw = Rewrite::new(trace);
    let mut consts = Consts::new(trace);
    let mut i = 0;
    while i < trace.insts.len() {
        rw.resolve_operands(trace, i);
        canonicalize(trace, i);
        match simplify(trace, i) {
            Some(Simple::Value(w)) => rw.replace(trace, i, w),
            Some(Simple::Const(ty, bits)) => {
                let name = trace.insts[i].name.clone();
                let w = consts.get(trace, ty, bits, name);
                rw.replace(trace, i, w);
            }
            None => {}
        }
        i += 1;
    }
    rw.finish(trace);
}

enum Simple {
    Value(Value),
    Const(Type, u64),
}

/// Puts a constant operand of a commutative op or comparison on the right.
fn canonicalize(trace: &mut Trace, i: usize) {
    let is_const = |v: Value| trace.const_bits(v).is_some();
    let swapped = match trace.insts[i].op {
        // Not float ops: which NaN comes out of `fadd NaN1, NaN2` depends on the order.
        Op::Bin(o, a, b) if o.is_commutative() && !o.is_float() && is_const(a) && !is_const(b) => {
            Op::Bin(o, b, a)
        }
        Op::ICmp(c, a, b) if is_const(a) && !is_const(b) => Op::ICmp(c.swapped(), b, a),
        _ => return,
    };
    trace.insts[i].op = swapped;
}

fn simplify(trace: &Trace, i: usize) -> Option<Simple> {
    let inst = &trace.insts[i];
    let ty = inst.ty?;
    let op = &inst.op;
    if !matches!(
        op,
        Op::Bin(..) | Op::Un(..) | Op::Ovf(..) | Op::ICmp(..) | Op::FCmp(..) | Op::Select(..) | Op::Conv(..)
    ) {
        return None;
    }
    // These ops have at most three operands.
    let mut args = [0u64; 3];
    let mut n = 0;
    let mut all_const = true;
    op.visit_operands(|v| match trace.const_bits(v) {
        Some(bits) if n < 3 => {
            args[n] = bits;
            n += 1;
        }
        _ => all_const = false,
    });
    if all_const {
        let r = eval_pure(trace, op, Some(ty), &args[..n])?;
        let float_arith =
            matches!(op, Op::Bin(o, ..) if o.is_float()) || matches!(op, Op::Un(UnOp::FSqrt, _));
        if float_arith && f64::from_bits(r).is_nan() {
            return None;
        }
        return Some(Simple::Const(ty, r));
    }
    let k = |v: Value| trace.const_bits(v);
    let def = |v: Value| &trace.insts[v.index()].op;
    let m = ty.mask();
    let zero = Some(Simple::Const(ty, 0));
    match *op {
        Op::Bin(o, a, b) if ty.is_int() => {
            let kb = k(b);
            let w = ty.bits() as u64;
            match o {
                BinOp::Add | BinOp::Or | BinOp::Xor | BinOp::Sub if kb == Some(0) => Some(Simple::Value(a)),
                BinOp::Shl | BinOp::LShr | BinOp::AShr if kb.is_some_and(|c| c % w == 0) => {
                    Some(Simple::Value(a))
                }
                BinOp::Shl | BinOp::LShr | BinOp::AShr if k(a) == Some(0) => zero,
                BinOp::Sub | BinOp::Xor if a == b => zero,
                BinOp::And | BinOp::Or if a == b => Some(Simple::Value(a)),
                BinOp::Mul | BinOp::And if kb == Some(0) => zero,
                BinOp::And if kb == Some(m) => Some(Simple::Value(a)),
                BinOp::Or if kb == Some(m) => Some(Simple::Const(ty, m)),
                BinOp::Mul if kb == Some(1) => Some(Simple::Value(a)),
                // 1 is -1 in i1, and MIN / -1 is undefined.
                BinOp::UDiv | BinOp::SDiv if kb == Some(1) && ty != Type::I1 => Some(Simple::Value(a)),
                BinOp::URem | BinOp::SRem if kb == Some(1) && ty != Type::I1 => zero,
                _ => None,
            }
        }
        Op::Un(o, a) => match (o, def(a)) {
            (UnOp::Neg, Op::Un(UnOp::Neg, x))
            | (UnOp::Not, Op::Un(UnOp::Not, x))
            | (UnOp::FNeg, Op::Un(UnOp::FNeg, x)) => Some(Simple::Value(*x)),
            _ => None,
        },
        Op::Ovf(o, a, b, _) => match o {
            OvfOp::Add | OvfOp::Sub if k(b) == Some(0) => Some(Simple::Value(a)),
            OvfOp::Add if k(a) == Some(0) => Some(Simple::Value(b)),
            OvfOp::Mul if k(b) == Some(1) && ty != Type::I1 => Some(Simple::Value(a)),
            OvfOp::Mul if k(a) == Some(1) && ty != Type::I1 => Some(Simple::Value(b)),
            OvfOp::Mul if k(a) == Some(0) || k(b) == Some(0) => zero,
            _ => None,
        },
        Op::ICmp(c, a, b) if a == b => {
            let holds = matches!(c, ICmp::Eq | ICmp::Sle | ICmp::Sge | ICmp::Ule | ICmp::Uge);
            Some(Simple::Const(Type::I1, holds as u64))
        }
        Op::Select(c, a, b) => match k(c) {
            Some(1) => Some(Simple::Value(a)),
            Some(_) => Some(Simple::Value(b)),
            None if a == b => Some(Simple::Value(a)),
            None => None,
        },
        Op::Conv(c, a) => {
            let from = trace.ty(a)?;
            match (c, def(a)) {
                (Conv::ZExt | Conv::SExt | Conv::Trunc, _) if from == ty => Some(Simple::Value(a)),
                (Conv::Trunc, Op::Conv(Conv::ZExt | Conv::SExt, x)) if trace.ty(*x) == Some(ty) => {
                    Some(Simple::Value(*x))
                }
                (Conv::Bitcast, Op::Conv(Conv::Bitcast, x)) if trace.ty(*x) == Some(ty) => {
                    Some(Simple::Value(*x))
                }
                _ => None,
            }
        }
        _ => None,
    }
}
