//! Expected results of single ops from the reference interpreter, the project's oracle: what
//! a backend's op-at-a-time tests compare against (both backends use it), and what a front
//! end can use to fold an op on known values.

use crate::interp::eval_pure;
use crate::ir::*;
use crate::{Builder, Type};

/// `eval_pure` reads operand types from a trace: this one declares two inputs of type `ty`,
/// which `op` takes as its operands; `to` is the result type.
fn eval(ty: Type, to: Type, args: &[u64], op: impl FnOnce(Value, Value) -> Op) -> Option<u64> {
    let mut b = Builder::new();
    let x = b.input(0, ty);
    let y = b.input(1, ty);
    let s = b.snapshot(0, &[]);
    eval_pure(&b.exit(s), &op(x, y), Some(to), args)
}

/// `None` where the result is undefined (division by zero, `MIN / -1`).
pub fn eval_bin(op: BinOp, ty: Type, a: u64, b: u64) -> Option<u64> {
    eval(ty, ty, &[a, b], |x, y| Op::Bin(op, x, y))
}

/// `None` only for a float op on an integer type or the reverse (unary ops are otherwise
/// defined everywhere).
pub fn eval_un(op: UnOp, ty: Type, a: u64) -> Option<u64> {
    eval(ty, ty, &[a], |x, _| Op::Un(op, x))
}

/// `None` on signed overflow, where the op leaves through its snapshot.
pub fn eval_ovf(op: OvfOp, ty: Type, a: u64, b: u64) -> Option<u64> {
    eval(ty, ty, &[a, b], |x, y| Op::Ovf(op, x, y, SnapId(0)))
}

pub fn eval_icmp(c: ICmp, ty: Type, a: u64, b: u64) -> bool {
    eval(ty, Type::I1, &[a, b], |x, y| Op::ICmp(c, x, y)) == Some(1)
}

pub fn eval_fcmp(c: FCmp, a: f64, b: f64) -> bool {
    eval(Type::F64, Type::I1, &[a.to_bits(), b.to_bits()], |x, y| Op::FCmp(c, x, y)) == Some(1)
}

/// `None` where the result is undefined (fptosi of NaN or out of range).
pub fn eval_conv(c: Conv, from: Type, to: Type, a: u64) -> Option<u64> {
    eval(from, to, &[a], |x, _| Op::Conv(c, x))
}

/// Same bits, or both NaN (NaN payloads may differ between targets and the interpreter).
pub fn same(ty: Type, got: u64, want: u64) -> bool {
    got == want || (ty.is_float() && f64::from_bits(got).is_nan() && f64::from_bits(want).is_nan())
}

/// Every value of a straight-line trace of inputs, constants and pure ops, run on `slots`:
/// `None` where a value is undefined or depends on one, so that one undefined op does not
/// hide the expected results of the others (as a whole `interp::run` would).
pub fn eval_values(t: &Trace, slots: &[u64]) -> Vec<Option<u64>> {
    let mut vals: Vec<Option<u64>> = Vec::with_capacity(t.insts.len());
    for inst in &t.insts {
        let v = match &inst.op {
            Op::Input { slot } => slots.get(*slot as usize).zip(inst.ty).map(|(s, ty)| s & ty.mask()),
            Op::Const { bits } => Some(*bits),
            op => {
                let mut args = Some(Vec::new());
                op.visit_operands(|v| match (&mut args, vals.get(v.index()).copied().flatten()) {
                    (Some(a), Some(x)) => a.push(x),
                    _ => args = None,
                });
                args.and_then(|a| eval_pure(t, op, inst.ty, &a))
            }
        };
        vals.push(v);
    }
    vals
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_ops_follow_the_interpreter() {
        assert_eq!(eval_bin(BinOp::Add, Type::I8, 0x7f, 1), Some(0x80));
        assert_eq!(eval_bin(BinOp::SDiv, Type::I32, 7, 0), None);
        assert_eq!(eval_bin(BinOp::Shl, Type::I16, 1, 17), Some(2));
        assert_eq!(eval_ovf(OvfOp::Add, Type::I8, 0x7f, 1), None);
        assert_eq!(eval_ovf(OvfOp::Sub, Type::I8, 0x80, 0xff), Some(0x81));
        assert!(eval_icmp(ICmp::Slt, Type::I8, 0xff, 0));
        assert!(eval_fcmp(FCmp::Ne, f64::NAN, f64::NAN));
        assert!(!eval_fcmp(FCmp::Eq, f64::NAN, f64::NAN));
        assert_eq!(eval_conv(Conv::FPToSI, Type::F64, Type::I8, 300.0f64.to_bits()), None);
        assert_eq!(eval_un(UnOp::Neg, Type::I16, 1), Some(0xffff));
    }

    #[test]
    fn an_undefined_value_only_hides_what_depends_on_it() {
        let mut b = Builder::new();
        let x = b.input(0, Type::I64);
        let z = b.iconst(Type::I64, 0);
        let bad = b.bin(BinOp::SDiv, x, z);
        let dep = b.bin(BinOp::Add, bad, x);
        let ok = b.bin(BinOp::Mul, x, x);
        let s = b.snapshot(0, &[]);
        let t = b.exit(s);
        let v = eval_values(&t, &[3]);
        assert_eq!((v[bad.index()], v[dep.index()], v[ok.index()]), (None, None, Some(9)));
        assert_eq!(eval_values(&t, &[])[x.index()], None, "a missing slot is undefined, not a panic");
    }
}
