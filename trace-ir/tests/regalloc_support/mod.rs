//! Register files and traces shared by the allocator tests.
#![allow(dead_code)]

pub use trace_ir::gen::Rng;
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

/// Shaped like backend-x64's: shift counts in rcx (hw 1), division in rax/rdx, two-address
/// arithmetic, callee-saved rbx/rbp/r12-r14, r11/r10 and xmm15/xmm14 as scratch.
pub fn x64_constraints(trace: &Trace, i: usize) -> OpConstraints {
    match &trace.insts[i].op {
        Op::Bin(BinOp::Shl | BinOp::LShr | BinOp::AShr, _, b) => OpConstraints {
            temps: if trace.const_bits(*b).is_some() { vec![] } else { vec![Reg::gpr(1)] },
            two_address: true,
            ..Default::default()
        },
        Op::Bin(op, ..) if op.is_division() => {
            OpConstraints { temps: vec![Reg::gpr(0), Reg::gpr(2)], ..Default::default() }
        }
        Op::Bin(..) | Op::Un(..) => OpConstraints { two_address: true, ..Default::default() },
        _ => OpConstraints::default(),
    }
}

pub const X64_GPRS: &[&str] = &[
    "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi", "r8", "r9", "r10", "r11", "r12", "r13", "r14",
    "r15",
];

pub fn x64_like() -> RegFile {
    RegFile {
        gprs: vec![6, 7, 8, 9, 3, 12, 13, 14, 5, 0, 2, 1],
        fprs: (0..14).collect(),
        caller_saved_gprs: vec![0, 1, 2, 6, 7, 8, 9, 10, 11],
        caller_saved_fprs: (0..16).collect(),
        arg_gprs: vec![7, 6, 2, 1, 8, 9],
        arg_fprs: (0..8).collect(),
        ret_gpr: 0,
        ret_fpr: 0,
        scratch_gprs: vec![11, 10],
        scratch_fprs: vec![15, 14],
        gpr_names: X64_GPRS,
        fpr_names: &[],
        constraints: x64_constraints,
    }
}

/// Shaped like backend-aarch64's: three-address, callee-saved x19-x27 and d8-d15 first.
pub fn a64_like() -> RegFile {
    RegFile {
        gprs: vec![19, 20, 21, 22, 23, 24, 25, 26, 27, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14],
        fprs: vec![8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23],
        caller_saved_gprs: (0..18).chain([30]).collect(),
        caller_saved_fprs: (0..8).chain(16..32).collect(),
        arg_gprs: (0..8).collect(),
        arg_fprs: (0..8).collect(),
        ret_gpr: 0,
        ret_fpr: 0,
        scratch_gprs: vec![16, 17, 15],
        scratch_fprs: vec![31, 30],
        gpr_names: &[],
        fpr_names: &[],
        constraints: |_, _| OpConstraints::default(),
    }
}

pub fn regfiles() -> Vec<(&'static str, RegFile)> {
    vec![
        ("small", small()),
        ("roomy", roomy()),
        ("none", none()),
        ("one", one()),
        ("x64", x64_like()),
        ("a64", a64_like()),
    ]
}

/// Parses and verifies IR text.
pub use crate::common::valid as parse;

/// The value named `%name` in text.
pub fn named(t: &Trace, name: &str) -> Value {
    let i = t.insts.iter().position(|i| i.name.as_deref() == Some(name));
    Value(i.unwrap_or_else(|| panic!("no %{name}")) as u32)
}

/// `sum_to_n` from the IR text documentation.
pub fn sum_to_n() -> Trace {
    parse(crate::common::SUM_TO_N)
}

/// A loop with more live values than registers, a call, a division, a shift and floats.
pub fn pressure() -> Trace {
    parse(
        "trace pressure
        %x = input 0 : i64
        %y = input 1 : i64
        %z = input 2 : i64
        %f = input 3 : f64
        %k3 = const 3 : i64
        %half = const 0.5 : f64
        loop (%a = %x, %c = %y, %g = %f)
          %t1 = add %a, %c
          %t2 = shl %t1, %k3
          %t3 = xor %t2, %z
          %r = call.i64 @h(%t3, %a)
          %t4 = sdiv %r, %k3
          %g1 = fmul %g, %half
          %g2 = fadd %g1, %g
          %fi = sitofp.f64 %t4
          %g3 = fadd %g2, %fi
          store.f64 [%x + 8], %g3
          snap0 @resume(1) { 0: %a, 1: %c, 2: %z, 3: %g }
          %t5 = sub.ovf %t4, %c, snap0
          %cc = icmp.ne %t5, %z
          snap1 @resume(2) { 0: %t5, 1: %t3, 2: %t1, 3: %g3, 4: %a }
          guard %cc, snap1
          jump (%t5, %t3, %g3)",
    )
}

/// A straight-line trace that leaves through its final snapshot.
pub fn straight() -> Trace {
    parse(
        "trace straight
        %p = input 0 : i64
        %v = load.i64 [%p + 16]
        %w = load.i64 imm [%p + 24]
        %m = mul %v, %w
        %q = urem %m, %v
        %e = trunc.i32 %q
        snap0 @resume(3) { 0: %p, 1: %e, 2: %m }
        exit snap0",
    )
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
        let v = if r.chance(70, 100) || pool.floats.is_empty() {
            r.pick(&pool.ints)
        } else {
            r.pick(&pool.floats)
        };
        entries.push((slot, v));
    }
    b.snapshot(r.next_u64() % 100, &entries)
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
                if r.chance(50, 100) {
                    b.guard(c, s);
                } else {
                    b.guard_not(c, s);
                }
                if r.chance(30, 100) {
                    let v = b.select(c, x, y);
                    pool.ints.push(v);
                }
            }
            6 => {
                let (x, y) = (r.pick(&pool.ints), r.pick(&pool.ints));
                let s = snapshot(b, r, pool);
                let op = r.pick(&OvfOp::ALL);
                let v = b.ovf(op, x, y, s);
                pool.ints.push(v);
            }
            7 => {
                let mut args = Vec::new();
                for _ in 0..r.below(4) {
                    if r.chance(70, 100) || pool.floats.is_empty() {
                        args.push(r.pick(&pool.ints));
                    } else {
                        args.push(r.pick(&pool.floats));
                    }
                }
                let ret = r.pick(&[None, Some(Type::I64), Some(Type::F64)]);
                let callee = if r.chance(20, 100) {
                    Callee::Value(r.pick(&pool.ints))
                } else {
                    Callee::Symbol("f".into())
                };
                let v = b.call(ret, callee, &args, CallEffect::Any);
                match ret {
                    Some(Type::F64) => pool.floats.push(v),
                    Some(_) => pool.ints.push(v),
                    None => {}
                }
            }
            8 => {
                let p = r.pick(&pool.ints);
                if r.chance(50, 100) {
                    let v = b.load(Type::I64, p, 8, false);
                    pool.ints.push(v);
                } else {
                    let x = if r.chance(50, 100) || pool.floats.is_empty() {
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
    let mut r = Rng::new(seed);
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
    if r.chance(50, 100) {
        let k = b.fconst(r.below(10) as f64 * 0.25);
        pool.floats.push(k);
    }
    let n = r.below(len / 3 + 1);
    body(&mut b, &mut r, &mut pool, n);
    if r.chance(70, 100) {
        let nparams = 1 + r.below(5);
        let mut inits = Vec::new();
        for _ in 0..nparams {
            if r.chance(75, 100) || pool.floats.is_empty() {
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
                } else if r.chance(80, 100) && pool.ints.len() > split {
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
        if r.chance(80, 100) {
            b.exit(s)
        } else {
            b.link(0, s)
        }
    }
}
