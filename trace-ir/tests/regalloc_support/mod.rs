//! Register files and traces shared by the allocator tests.
#![allow(dead_code)]

use trace_ir::ir::*;
use trace_ir::regalloc::{OpConstraints, Reg, RegFile};
use trace_ir::{Builder, Type};

pub const GPR_NAMES: &[&str] = &["ga", "gb", "gc", "gd", "ge", "gf", "gg", "gh", "s0", "s1"];
pub const FPR_NAMES: &[&str] = &["fa", "fb", "fc", "fd", "fe", "ff", "fg", "fh", "t0", "t1"];

/// Shifts need `gb` free, divisions need `ga` free and destroy `gb`; integer arithmetic is
/// two-address. Calls destroy the caller-saved set (added by the allocator).
pub fn small_constraints(trace: &Trace, i: usize) -> OpConstraints {
    match &trace.insts[i].op {
        Op::Bin(BinOp::Shl | BinOp::LShr | BinOp::AShr, ..) => {
            OpConstraints { temps: vec![Reg::gpr(1)], two_address: true, ..Default::default() }
        }
        Op::Bin(op, ..) if op.is_division() => {
            OpConstraints { temps: vec![Reg::gpr(0)], clobbers: vec![Reg::gpr(1)], two_address: false }
        }
        Op::Bin(..) | Op::Ovf(..) => OpConstraints { two_address: true, ..Default::default() },
        Op::Store { .. } => OpConstraints { clobbers: vec![Reg::fpr(1)], ..Default::default() },
        _ => OpConstraints::default(),
    }
}

/// 3 GPRs (two caller-saved) and 2 FPRs (one caller-saved): spills come quickly.
pub fn small() -> RegFile {
    RegFile {
        gprs: vec![0, 1, 2],
        fprs: vec![0, 1],
        caller_saved_gprs: vec![0, 1, 8, 9],
        caller_saved_fprs: vec![0, 8, 9],
        arg_gprs: vec![0, 1],
        arg_fprs: vec![0],
        ret_gpr: 0,
        ret_fpr: 0,
        scratch_gprs: vec![8, 9],
        scratch_fprs: vec![8, 9],
        gpr_names: GPR_NAMES,
        fpr_names: FPR_NAMES,
        constraints: small_constraints,
    }
}

/// 8 GPRs and 8 FPRs, half caller-saved.
pub fn roomy() -> RegFile {
    RegFile {
        gprs: (0..8).collect(),
        fprs: (0..8).collect(),
        caller_saved_gprs: vec![0, 1, 2, 3],
        caller_saved_fprs: vec![0, 1, 2, 3],
        ..small()
    }
}

/// No allocatable registers at all: everything lives in spill slots.
pub fn none() -> RegFile {
    RegFile { gprs: vec![], fprs: vec![], ..small() }
}

/// One GPR, which every call destroys.
pub fn one() -> RegFile {
    RegFile { gprs: vec![0], fprs: vec![0], ..small() }
}

pub fn regfiles() -> Vec<(&'static str, RegFile)> {
    vec![("small", small()), ("roomy", roomy()), ("none", none()), ("one", one())]
}

/// `sum_to_n` from the IR text documentation.
pub fn sum_to_n() -> Trace {
    let mut b = Builder::named("sum_to_n");
    let n = b.input(0, Type::I64);
    let zero = b.iconst(Type::I64, 0);
    let one = b.iconst(Type::I64, 1);
    let ps = b.begin_loop(&[zero, zero]);
    let (i, acc) = (ps[0], ps[1]);
    b.name(i, "i");
    b.name(acc, "acc");
    let c = b.icmp(ICmp::Slt, i, n);
    let s = b.snapshot(7, &[(0, i), (1, acc)]);
    b.guard(c, s);
    let acc1 = b.bin(BinOp::Add, acc, i);
    b.name(acc1, "acc1");
    let i1 = b.ovf(OvfOp::Add, i, one, s);
    b.name(i1, "i1");
    b.jump(&[i1, acc1])
}

/// A loop with more live values than registers, a call, a division, a shift and floats.
pub fn pressure() -> Trace {
    let mut b = Builder::named("pressure");
    let x = b.input(0, Type::I64);
    let y = b.input(1, Type::I64);
    let z = b.input(2, Type::I64);
    let f = b.input(3, Type::F64);
    let k3 = b.iconst(Type::I64, 3);
    let half = b.fconst(0.5);
    let ps = b.begin_loop(&[x, y, f]);
    let (a, c, g) = (ps[0], ps[1], ps[2]);
    let s0 = b.snapshot(1, &[(0, a), (1, c), (2, z), (3, g)]);
    let t1 = b.bin(BinOp::Add, a, c);
    let t2 = b.bin(BinOp::Shl, t1, k3);
    let t3 = b.bin(BinOp::Xor, t2, z);
    let r = b.call(Some(Type::I64), Callee::Symbol("h".into()), &[t3, a], CallEffect::Any);
    let t4 = b.bin(BinOp::SDiv, r, k3);
    let g1 = b.bin(BinOp::FMul, g, half);
    let g2 = b.bin(BinOp::FAdd, g1, g);
    let fi = b.conv(Conv::SIToFP, t4, Type::F64);
    let g3 = b.bin(BinOp::FAdd, g2, fi);
    b.store(x, 8, g3);
    let t5 = b.ovf(OvfOp::Sub, t4, c, s0);
    let cc = b.icmp(ICmp::Ne, t5, z);
    let s1 = b.snapshot(2, &[(0, t5), (1, t3), (2, t1), (3, g3), (4, a)]);
    b.guard(cc, s1);
    b.jump(&[t5, t3, g3])
}

/// A straight-line trace that leaves through its final snapshot.
pub fn straight() -> Trace {
    let mut b = Builder::named("straight");
    let p = b.input(0, Type::I64);
    let v = b.load(Type::I64, p, 16, false);
    let w = b.load(Type::I64, p, 24, true);
    let m = b.bin(BinOp::Mul, v, w);
    let q = b.bin(BinOp::URem, m, v);
    let e = b.conv(Conv::Trunc, q, Type::I32);
    let s = b.snapshot(3, &[(0, p), (1, e), (2, m)]);
    b.exit(s)
}

/// A small deterministic generator (xorshift), until `trace_ir::gen` lands.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    pub fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[self.below(xs.len())]
    }

    pub fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

/// Values by class while generating.
struct Pool {
    ints: Vec<Value>,
    floats: Vec<Value>,
}

fn snapshot(b: &mut Builder, r: &mut Rng, pool: &Pool) -> SnapId {
    let mut entries = Vec::new();
    let k = r.below(5);
    for slot in 0..k as u32 {
        let v =
            if r.chance(70) || pool.floats.is_empty() { r.pick(&pool.ints) } else { r.pick(&pool.floats) };
        entries.push((slot, v));
    }
    b.snapshot(r.next() % 100, &entries)
}

fn body(b: &mut Builder, r: &mut Rng, pool: &mut Pool, len: usize) {
    for _ in 0..len {
        match r.below(12) {
            0..=3 => {
                let op = r.pick(&[
                    BinOp::Add,
                    BinOp::Sub,
                    BinOp::Mul,
                    BinOp::And,
                    BinOp::Xor,
                    BinOp::Shl,
                    BinOp::AShr,
                    BinOp::SDiv,
                    BinOp::URem,
                ]);
                let (x, y) = (r.pick(&pool.ints), r.pick(&pool.ints));
                let v = b.bin(op, x, y);
                pool.ints.push(v);
            }
            4 if !pool.floats.is_empty() => {
                let op = r.pick(&[BinOp::FAdd, BinOp::FMul, BinOp::FDiv]);
                let (x, y) = (r.pick(&pool.floats), r.pick(&pool.floats));
                let v = b.bin(op, x, y);
                pool.floats.push(v);
            }
            5 => {
                let (x, y) = (r.pick(&pool.ints), r.pick(&pool.ints));
                let c = b.icmp(ICmp::Slt, x, y);
                let s = snapshot(b, r, pool);
                if r.chance(50) {
                    b.guard(c, s);
                } else {
                    b.guard_not(c, s);
                }
                if r.chance(30) {
                    let v = b.select(c, x, y);
                    pool.ints.push(v);
                }
            }
            6 => {
                let (x, y) = (r.pick(&pool.ints), r.pick(&pool.ints));
                let s = snapshot(b, r, pool);
                let op = r.pick(&[OvfOp::Add, OvfOp::Sub, OvfOp::Mul]);
                let v = b.ovf(op, x, y, s);
                pool.ints.push(v);
            }
            7 => {
                let mut args = Vec::new();
                for _ in 0..r.below(4) {
                    if r.chance(70) || pool.floats.is_empty() {
                        args.push(r.pick(&pool.ints));
                    } else {
                        args.push(r.pick(&pool.floats));
                    }
                }
                let ret = r.pick(&[None, Some(Type::I64), Some(Type::F64)]);
                let callee =
                    if r.chance(20) { Callee::Value(r.pick(&pool.ints)) } else { Callee::Symbol("f".into()) };
                let v = b.call(ret, callee, &args, CallEffect::Any);
                match ret {
                    Some(Type::F64) => pool.floats.push(v),
                    Some(_) => pool.ints.push(v),
                    None => {}
                }
            }
            8 => {
                let p = r.pick(&pool.ints);
                if r.chance(50) {
                    let v = b.load(Type::I64, p, 8, false);
                    pool.ints.push(v);
                } else {
                    let x = if r.chance(50) || pool.floats.is_empty() {
                        r.pick(&pool.ints)
                    } else {
                        r.pick(&pool.floats)
                    };
                    b.store(p, -8, x);
                }
            }
            9 => {
                let x = r.pick(&pool.ints);
                let v = b.conv(Conv::SIToFP, x, Type::F64);
                pool.floats.push(v);
            }
            10 if !pool.floats.is_empty() => {
                let x = r.pick(&pool.floats);
                let v = b.conv(Conv::FPToSI, x, Type::I64);
                pool.ints.push(v);
            }
            _ => {
                let x = r.pick(&pool.ints);
                let v = b.un(UnOp::Neg, x);
                pool.ints.push(v);
            }
        }
    }
}

/// A random well-formed trace: inputs, constants, straight code, then maybe a loop.
pub fn random_trace(seed: u64, len: usize) -> Trace {
    let mut r = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
    let mut b = Builder::new();
    let mut pool = Pool { ints: Vec::new(), floats: Vec::new() };
    for slot in 0..1 + r.below(4) as u32 {
        let v = b.input(slot, Type::I64);
        pool.ints.push(v);
    }
    for slot in 10..10 + r.below(3) as u32 {
        let v = b.input(slot, Type::F64);
        pool.floats.push(v);
    }
    for _ in 0..r.below(3) {
        let k = b.iconst(Type::I64, r.below(100) as i64 - 50);
        pool.ints.push(k);
    }
    if r.chance(50) {
        let k = b.fconst(r.below(10) as f64 * 0.25);
        pool.floats.push(k);
    }
    let n = r.below(len / 3 + 1);
    body(&mut b, &mut r, &mut pool, n);
    if r.chance(70) {
        let nparams = 1 + r.below(5);
        let mut inits = Vec::new();
        for _ in 0..nparams {
            if r.chance(75) || pool.floats.is_empty() {
                inits.push(r.pick(&pool.ints));
            } else {
                inits.push(r.pick(&pool.floats));
            }
        }
        let float: Vec<bool> = inits.iter().map(|&v| pool.floats.contains(&v)).collect();
        let params = b.begin_loop(&inits);
        for (&p, &f) in params.iter().zip(&float) {
            if f {
                pool.floats.push(p);
            } else {
                pool.ints.push(p);
            }
        }
        // Mostly read values of this iteration, sometimes earlier ones.
        let split = pool.ints.len();
        let n = 1 + r.below(len);
        body(&mut b, &mut r, &mut pool, n);
        let next: Vec<Value> = float
            .iter()
            .map(|&f| {
                if f {
                    r.pick(&pool.floats)
                } else if r.chance(80) && pool.ints.len() > split {
                    pool.ints[split + r.below(pool.ints.len() - split)]
                } else {
                    r.pick(&pool.ints)
                }
            })
            .collect();
        b.jump(&next)
    } else {
        let n = 1 + r.below(len);
        body(&mut b, &mut r, &mut pool, n);
        let s = snapshot(&mut b, &mut r, &pool);
        if r.chance(80) {
            b.exit(s)
        } else {
            b.link(0, s)
        }
    }
}
