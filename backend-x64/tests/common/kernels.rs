//! The traces of `examples/kernels/*.tir`, built with the Builder (until the parser lands;
//! keep them in step with the files).
#![allow(dead_code)]

use trace_ir::ir::*;
use trace_ir::{Builder, Type};

pub fn sum_i64() -> Trace {
    let mut b = Builder::named("sum_i64");
    let p = b.input(0, Type::I64);
    let n = b.input(1, Type::I64);
    let zero = b.iconst(Type::I64, 0);
    let one = b.iconst(Type::I64, 1);
    let eight = b.iconst(Type::I64, 8);
    let l = b.begin_loop(&[zero, p, zero]);
    let (i, q, acc) = (l[0], l[1], l[2]);
    let more = b.icmp(ICmp::Slt, i, n);
    let s0 = b.snapshot(1, &[(2, acc), (3, i)]);
    b.guard(more, s0);
    let x = b.load(Type::I64, q, 0, false);
    let acc1 = b.bin(BinOp::Add, acc, x);
    let i1 = b.bin(BinOp::Add, i, one);
    let q1 = b.bin(BinOp::Add, q, eight);
    b.jump(&[i1, q1, acc1])
}

pub fn dot_f64() -> Trace {
    let mut b = Builder::named("dot_f64");
    let pa = b.input(0, Type::I64);
    let pb = b.input(1, Type::I64);
    let n = b.input(2, Type::I64);
    let zero = b.iconst(Type::I64, 0);
    let one = b.iconst(Type::I64, 1);
    let eight = b.iconst(Type::I64, 8);
    let fzero = b.fconst(0.0);
    let l = b.begin_loop(&[zero, zero, fzero]);
    let (i, off, acc) = (l[0], l[1], l[2]);
    let more = b.icmp(ICmp::Slt, i, n);
    let s0 = b.snapshot(1, &[(3, acc), (4, i)]);
    b.guard(more, s0);
    let a = b.bin(BinOp::Add, pa, off);
    let c = b.bin(BinOp::Add, pb, off);
    let x = b.load(Type::F64, a, 0, false);
    let y = b.load(Type::F64, c, 0, false);
    let xy = b.bin(BinOp::FMul, x, y);
    let acc1 = b.bin(BinOp::FAdd, acc, xy);
    let i1 = b.bin(BinOp::Add, i, one);
    let off1 = b.bin(BinOp::Add, off, eight);
    b.jump(&[i1, off1, acc1])
}

pub fn memcpy_i64() -> Trace {
    let mut b = Builder::named("memcpy_i64");
    let dst = b.input(0, Type::I64);
    let src = b.input(1, Type::I64);
    let n = b.input(2, Type::I64);
    let zero = b.iconst(Type::I64, 0);
    let one = b.iconst(Type::I64, 1);
    let eight = b.iconst(Type::I64, 8);
    let l = b.begin_loop(&[zero, zero]);
    let (i, off) = (l[0], l[1]);
    let more = b.icmp(ICmp::Slt, i, n);
    let s0 = b.snapshot(1, &[(3, i)]);
    b.guard(more, s0);
    let ps = b.bin(BinOp::Add, src, off);
    let pd = b.bin(BinOp::Add, dst, off);
    let w = b.load(Type::I64, ps, 0, false);
    b.store(pd, 0, w);
    let i1 = b.bin(BinOp::Add, i, one);
    let off1 = b.bin(BinOp::Add, off, eight);
    b.jump(&[i1, off1])
}

pub fn mix_guards() -> Trace {
    let mut b = Builder::named("mix_guards");
    let p = b.input(0, Type::I64);
    let n = b.input(1, Type::I64);
    let zero = b.iconst(Type::I64, 0);
    let one = b.iconst(Type::I64, 1);
    let three = b.iconst(Type::I64, 3);
    let l = b.begin_loop(&[zero, zero, zero]);
    let (i, acc, odd) = (l[0], l[1], l[2]);
    let more = b.icmp(ICmp::Slt, i, n);
    let s0 = b.snapshot(1, &[(2, acc), (3, odd), (4, i)]);
    b.guard(more, s0);
    let off = b.bin(BinOp::Shl, i, three);
    let q = b.bin(BinOp::Add, p, off);
    let x = b.load(Type::I64, q, 0, false);
    let neg = b.icmp(ICmp::Slt, x, zero);
    let s1 = b.snapshot(2, &[(2, acc), (3, odd), (4, i)]);
    b.guard_not(neg, s1);
    let half = b.bin(BinOp::AShr, x, one);
    let acc1 = b.ovf(OvfOp::Add, acc, half, s1);
    let bit = b.bin(BinOp::And, x, one);
    let isodd = b.icmp(ICmp::Ne, bit, zero);
    let odd1 = b.bin(BinOp::Add, odd, one);
    let odd2 = b.select(isodd, odd1, odd);
    let i1 = b.bin(BinOp::Add, i, one);
    b.jump(&[i1, acc1, odd2])
}

/// The kernels in Rust, the reference for tests and benches.
pub fn sum_i64_rust(xs: &[i64]) -> i64 {
    xs.iter().fold(0i64, |a, &x| a.wrapping_add(x))
}

pub fn dot_f64_rust(a: &[f64], b: &[f64]) -> f64 {
    let mut acc = 0.0;
    for i in 0..a.len() {
        acc += a[i] * b[i];
    }
    acc
}

/// `(sum of x >> 1, odd count, index reached, left early)`.
pub fn mix_guards_rust(xs: &[i64]) -> (i64, i64, usize, bool) {
    let (mut acc, mut odd) = (0i64, 0i64);
    for (i, &x) in xs.iter().enumerate() {
        if x < 0 {
            return (acc, odd, i, true);
        }
        match acc.checked_add(x >> 1) {
            Some(a) => acc = a,
            None => return (acc, odd, i, true),
        }
        odd += x & 1;
    }
    (acc, odd, xs.len(), false)
}
