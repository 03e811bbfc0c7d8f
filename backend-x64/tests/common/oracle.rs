//! Expected results from the reference interpreter (`trace_ir::interp`), the project's oracle,
//! for tests that check one op at a time. The same file serves both backends' tests.

use trace_ir::interp::eval_pure;
use trace_ir::ir::*;
use trace_ir::{Builder, Type};

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

pub fn eval_un(op: UnOp, ty: Type, a: u64) -> u64 {
    eval(ty, ty, &[a], |x, _| Op::Un(op, x)).expect("unary ops are defined everywhere")
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
            Op::Input { slot } => Some(slots[*slot as usize] & inst.ty.expect("typed input").mask()),
            Op::Const { bits } => Some(*bits),
            op => {
                let mut args = Some(Vec::new());
                op.visit_operands(|v| match (&mut args, vals[v.index()]) {
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
