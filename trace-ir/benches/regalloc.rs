//! Register allocation on the compile path: nanoseconds per IR op for `allocate` and for the
//! checker, on long synthetic loops, against the budget of 1 µs per op for the whole compile
//! and against cloning the trace (a floor: touching every instruction once).

use std::hint::black_box;
use std::time::Instant;

use trace_ir::ir::*;
use trace_ir::regalloc::{allocate, check, OpConstraints, Reg, RegFile};
use trace_ir::{Builder, Type};

fn constraints(trace: &Trace, i: usize) -> OpConstraints {
    match &trace.insts[i].op {
        Op::Bin(BinOp::Shl | BinOp::LShr | BinOp::AShr, ..) => {
            OpConstraints { temps: vec![Reg::gpr(1)], two_address: true, ..Default::default() }
        }
        Op::Bin(op, ..) if op.is_division() => {
            OpConstraints { temps: vec![Reg::gpr(0), Reg::gpr(2)], ..Default::default() }
        }
        Op::Bin(..) | Op::Ovf(..) => OpConstraints { two_address: true, ..Default::default() },
        _ => OpConstraints::default(),
    }
}

/// Shaped like x86-64: 14 GPRs and 15 FPRs, the SysV caller-saved sets.
fn regfile() -> RegFile {
    RegFile {
        gprs: vec![0, 1, 2, 6, 7, 8, 9, 10, 11, 3, 12, 13, 14, 15],
        fprs: (0..15).collect(),
        caller_saved_gprs: vec![0, 1, 2, 6, 7, 8, 9, 10, 11],
        caller_saved_fprs: (0..16).collect(),
        arg_gprs: vec![7, 6, 2, 1, 8, 9],
        arg_fprs: (0..8).collect(),
        ret_gpr: 0,
        ret_fpr: 0,
        scratch_gprs: vec![4, 5],
        scratch_fprs: vec![15, 14],
        gpr_names: &[],
        fpr_names: &[],
        constraints,
    }
}

/// A loop of about `n` ops: integer and float arithmetic, guards with snapshots, calls.
fn synthetic(n: usize, seed: u64) -> Trace {
    let mut x = seed | 1;
    let mut rnd = move |k: usize| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        (x % k as u64) as usize
    };
    let mut b = Builder::new();
    let mut ints: Vec<Value> = (0..6).map(|s| b.input(s, Type::I64)).collect();
    let mut floats: Vec<Value> = (6..8).map(|s| b.input(s, Type::F64)).collect();
    let one = b.iconst(Type::I64, 1);
    let inits: Vec<Value> = ints[..4].iter().chain(&floats[..1]).copied().collect();
    let ps = b.begin_loop(&inits);
    ints.extend(&ps[..4]);
    floats.push(ps[4]);
    for _ in 0..n {
        let recent = |v: &Vec<Value>, r: usize| v[v.len() - 1 - r % v.len().min(12)];
        match rnd(10) {
            0..=4 => {
                let op = [BinOp::Add, BinOp::Sub, BinOp::Mul, BinOp::Xor, BinOp::Shl, BinOp::SDiv][rnd(6)];
                let (a, c) = (recent(&ints, rnd(12)), recent(&ints, rnd(12)));
                let v = b.bin(op, a, c);
                ints.push(v);
            }
            5 | 6 => {
                let (a, c) = (recent(&floats, rnd(12)), recent(&floats, rnd(12)));
                let v = b.bin(BinOp::FAdd, a, c);
                floats.push(v);
            }
            7 | 8 => {
                let (a, c) = (recent(&ints, rnd(12)), recent(&ints, 0));
                let cond = b.icmp(ICmp::Slt, a, c);
                let entries: Vec<(u32, Value)> = (0..4).map(|s| (s, recent(&ints, rnd(12)))).collect();
                let s = b.snapshot(0, &entries);
                b.guard(cond, s);
            }
            _ => {
                let a = recent(&ints, rnd(12));
                let v = b.call(Some(Type::I64), Callee::Symbol("f".into()), &[a, one], CallEffect::Any);
                ints.push(v);
            }
        }
    }
    let next =
        [ints[ints.len() - 1], ints[ints.len() - 2], ints[ints.len() - 3], ps[3], floats[floats.len() - 1]];
    b.jump(&next)
}

fn median_ns(runs: usize, mut f: impl FnMut()) -> f64 {
    let mut ts: Vec<f64> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_nanos() as f64
        })
        .collect();
    ts.sort_by(|a, b| a.total_cmp(b));
    ts[runs / 2]
}

fn main() {
    let rf = regfile();
    println!("regalloc: median ns per IR op (budget for the whole compile: 1000)");
    // REGALLOC_BENCH_SIZES=10000 runs one size (for profiling).
    let sizes: Vec<usize> = std::env::var("REGALLOC_BENCH_SIZES")
        .ok()
        .map(|s| s.split(',').filter_map(|x| x.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![100, 1000, 10000]);
    for n in sizes {
        let t = synthetic(n, 7);
        let ops = t.insts.len() as f64;
        let runs = if n >= 10000 { 21 } else { 101 };
        let a = allocate(&t, &rf).expect("allocates");
        check(&t, &a, &rf).expect("checks");
        let alloc = median_ns(runs, || drop(black_box(allocate(black_box(&t), &rf))));
        let chk = median_ns(runs, || drop(black_box(check(black_box(&t), &a, &rf))));
        let clone = median_ns(runs, || drop(black_box(black_box(&t).clone())));
        println!(
            "{:>6} ops: allocate {:>7.1} ns/op ({:.1}x a clone), check {:>7.1} ns/op, {} spill slots",
            t.insts.len(),
            alloc / ops,
            alloc / clone,
            chk / ops,
            a.spill_slots
        );
    }
}
