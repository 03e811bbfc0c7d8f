//! Test support: a naive allocator (one location per value, never reused) standing in for
//! `trace_ir::regalloc::allocate`, and a reference model of every op.
#![allow(dead_code)]

use backend_aarch64::lower::sequence_moves;
use trace_ir::ir::*;
use trace_ir::regalloc::{Allocation, Loc, Move, Reg, RegClass};
use trace_ir::Type;

pub const CALLEE_GPRS: [u8; 9] = [19, 20, 21, 22, 23, 24, 25, 26, 27];
pub const CALLEE_FPRS: [u8; 8] = [8, 9, 10, 11, 12, 13, 14, 15];
pub const ALL_GPRS: &[u8] = &backend_aarch64::regs::ALLOC_GPRS;
pub const ALL_FPRS: &[u8] = &backend_aarch64::regs::ALLOC_FPRS;

/// Every value gets its own register from the pools until they run out, then its own spill
/// slot; constants stay constants. Correct for any trace because nothing is shared (with
/// callee-saved pools when the trace calls).
pub fn naive(t: &Trace, gprs: &[u8], fprs: &[u8]) -> Allocation {
    let (mut gi, mut fi, mut spill) = (0usize, 0usize, 0u32);
    let mut locs = Vec::new();
    for inst in &t.insts {
        let loc = match (&inst.op, inst.ty) {
            (Op::Const { bits }, _) => Loc::Const(*bits),
            (_, None) => Loc::None,
            (_, Some(ty)) if ty.is_float() && fi < fprs.len() => {
                fi += 1;
                Loc::Reg(Reg::fpr(fprs[fi - 1]))
            }
            (_, Some(ty)) if !ty.is_float() && gi < gprs.len() => {
                gi += 1;
                Loc::Reg(Reg::gpr(gprs[gi - 1]))
            }
            _ => {
                spill += 1;
                Loc::Spill(spill - 1)
            }
        };
        locs.push(loc);
    }
    let params = t.loop_params();
    let class = |v: Value| RegClass::of(t.ty(v).unwrap());
    let pre: Vec<Move> = params
        .iter()
        .zip(&t.loop_inits)
        .map(|(&p, &i)| Move { from: locs[i.index()], to: locs[p.index()], class: class(p) })
        .collect();
    let back: Vec<Move> = match &t.term {
        Terminator::Jump(next) => params
            .iter()
            .zip(next)
            .map(|(&p, &n)| Move { from: locs[n.index()], to: locs[p.index()], class: class(p) })
            .collect(),
        _ => Vec::new(),
    };
    assert!(spill as usize <= trace_ir::exit::CTX_SPILL_SLOTS, "test trace needs {spill} spill slots");
    Allocation {
        locs,
        spill_slots: spill,
        preheader_moves: sequence_moves(&pre),
        backedge_moves: sequence_moves(&back),
    }
}

pub fn regs(t: &Trace) -> Allocation {
    naive(t, ALL_GPRS, ALL_FPRS)
}

pub fn spilled(t: &Trace) -> Allocation {
    naive(t, &[], &[])
}

/// Edge values of each integer type (canonical bits).
pub fn edges(ty: Type) -> Vec<u64> {
    let m = ty.mask();
    let min = if ty.bits() == 1 { 1 } else { 1u64 << (ty.bits() - 1) };
    let mut v = vec![0, 1, m, min, min.wrapping_sub(1) & m, 2 & m, 7 & m, 0x1234_5678_9abc_def0 & m];
    v.sort();
    v.dedup();
    v
}

pub fn bin(op: BinOp, ty: Type, a: u64, b: u64) -> Option<u64> {
    let m = ty.mask();
    let bits = ty.bits();
    let (sa, sb) = (ty.sext(a), ty.sext(b));
    let f = |x: f64| Some(x.to_bits());
    let (fa, fb) = (f64::from_bits(a), f64::from_bits(b));
    Some(
        match op {
            BinOp::Add => a.wrapping_add(b),
            BinOp::Sub => a.wrapping_sub(b),
            BinOp::Mul => a.wrapping_mul(b),
            BinOp::And => a & b,
            BinOp::Or => a | b,
            BinOp::Xor => a ^ b,
            BinOp::Shl => a << (b % bits as u64),
            BinOp::LShr => a >> (b % bits as u64),
            BinOp::AShr => (sa >> (b % bits as u64)) as u64,
            BinOp::SDiv | BinOp::SRem => {
                if sb == 0 || (sb == -1 && sa == ty.sext(if bits == 1 { 1 } else { 1 << (bits - 1) })) {
                    return None;
                }
                if op == BinOp::SDiv {
                    (sa / sb) as u64
                } else {
                    (sa % sb) as u64
                }
            }
            BinOp::UDiv => a.checked_div(b)?,
            BinOp::URem => a.checked_rem(b)?,
            BinOp::FAdd => return f(fa + fb),
            BinOp::FSub => return f(fa - fb),
            BinOp::FMul => return f(fa * fb),
            BinOp::FDiv => return f(fa / fb),
        } & m,
    )
}

pub fn ovf(op: OvfOp, ty: Type, a: u64, b: u64) -> Option<u64> {
    let (sa, sb) = (ty.sext(a) as i128, ty.sext(b) as i128);
    let r = match op {
        OvfOp::Add => sa + sb,
        OvfOp::Sub => sa - sb,
        OvfOp::Mul => sa * sb,
    };
    let bits = ty.bits();
    let (lo, hi) = (-(1i128 << (bits - 1)), (1i128 << (bits - 1)) - 1);
    (lo..=hi).contains(&r).then_some((r as u64) & ty.mask())
}

pub fn un(op: UnOp, ty: Type, a: u64) -> u64 {
    let fa = f64::from_bits(a);
    match op {
        UnOp::Neg => a.wrapping_neg() & ty.mask(),
        UnOp::Not => !a & ty.mask(),
        UnOp::FNeg => (-fa).to_bits(),
        UnOp::FAbs => fa.abs().to_bits(),
        UnOp::FSqrt => fa.sqrt().to_bits(),
    }
}

pub fn icmp(c: ICmp, ty: Type, a: u64, b: u64) -> bool {
    let (sa, sb) = (ty.sext(a), ty.sext(b));
    match c {
        ICmp::Eq => a == b,
        ICmp::Ne => a != b,
        ICmp::Slt => sa < sb,
        ICmp::Sle => sa <= sb,
        ICmp::Sgt => sa > sb,
        ICmp::Sge => sa >= sb,
        ICmp::Ult => a < b,
        ICmp::Ule => a <= b,
        ICmp::Ugt => a > b,
        ICmp::Uge => a >= b,
    }
}

pub fn fcmp(c: FCmp, a: f64, b: f64) -> bool {
    match c {
        FCmp::Eq => a == b,
        FCmp::Ne => a != b,
        FCmp::Lt => a < b,
        FCmp::Le => a <= b,
        FCmp::Gt => a > b,
        FCmp::Ge => a >= b,
        FCmp::Uno => a.is_nan() || b.is_nan(),
    }
}

/// Same bits, or both NaN (NaN payloads may differ between targets).
pub fn same(ty: Type, got: u64, want: u64) -> bool {
    got == want || (ty.is_float() && f64::from_bits(got).is_nan() && f64::from_bits(want).is_nan())
}

pub const FLOATS: [f64; 10] =
    [0.0, -0.0, 1.0, -2.5, 0.1, 1e300, f64::INFINITY, f64::NEG_INFINITY, f64::NAN, 3.0];

/// Expected result of a check from the two inputs; `None` when undefined (not checked).
pub type Expect = Box<dyn Fn(u64, u64) -> Option<u64>>;

/// A trace whose inputs are `a` (slot 0) and `b` (slot 1) and whose exit snapshot writes
/// each result to its own slot from 2 on.
pub struct Case {
    pub name: String,
    pub trace: Trace,
    pub in_ty: Type,
    /// (slot, result type, description, expected)
    pub checks: Vec<(u32, Type, String, Expect)>,
}

struct CaseBuilder {
    b: trace_ir::Builder,
    results: Vec<(Value, Type, String, Expect)>,
}

impl CaseBuilder {
    fn new() -> Self {
        CaseBuilder { b: trace_ir::Builder::new(), results: Vec::new() }
    }
    fn check(&mut self, v: Value, ty: Type, what: String, f: Expect) {
        self.results.push((v, ty, what, f));
    }
    fn finish(mut self, name: String, in_ty: Type) -> Case {
        let entries: Vec<(u32, Value)> =
            self.results.iter().enumerate().map(|(i, r)| (2 + i as u32, r.0)).collect();
        let s = self.b.snapshot(99, &entries);
        let trace = self.b.exit(s);
        let checks =
            self.results.into_iter().enumerate().map(|(i, (_, t, w, f))| (2 + i as u32, t, w, f)).collect();
        Case { name, trace, in_ty, checks }
    }
}

/// Constants that exercise every immediate form (masked to the type).
pub fn imm_consts(ty: Type) -> Vec<u64> {
    let mut v: Vec<u64> = [
        0u64,
        1,
        4095,
        4096,
        0x0100_0000,
        0x5555_5555_5555_5555,
        0x1234,
        u64::MAX,
        (-4096i64) as u64,
        i64::MIN as u64,
        i64::MAX as u64,
        0xff,
    ]
    .iter()
    .map(|k| k & ty.mask())
    .collect();
    v.sort();
    v.dedup();
    v
}

pub fn float_consts() -> Vec<u64> {
    [0.0f64, -0.0, 1.0, -2.5, 0.1, f64::INFINITY, f64::NAN].iter().map(|f| f.to_bits()).collect()
}

/// `op` at type `ty` with register and constant operands in both positions.
pub fn bin_case(op: BinOp, ty: Type) -> Case {
    let mut c = CaseBuilder::new();
    let a = c.b.input(0, ty);
    let bb = c.b.input(1, ty);
    let r = c.b.bin(op, a, bb);
    c.check(r, ty, format!("{} a, b", op.name()), Box::new(move |x, y| bin(op, ty, x, y)));
    let ks = if ty.is_float() { float_consts() } else { imm_consts(ty) };
    for k in ks {
        let kv = c.b.konst(ty, k);
        let r = c.b.bin(op, a, kv);
        c.check(r, ty, format!("{} a, {k:#x}", op.name()), Box::new(move |x, _| bin(op, ty, x, k)));
        let r = c.b.bin(op, kv, a);
        c.check(r, ty, format!("{} {k:#x}, a", op.name()), Box::new(move |x, _| bin(op, ty, k, x)));
    }
    c.finish(format!("{}.{ty}", op.name()), ty)
}

/// Unary ops, compares, select and conversions from `ty`.
pub fn misc_case(ty: Type) -> Case {
    let mut c = CaseBuilder::new();
    let a = c.b.input(0, ty);
    let bb = c.b.input(1, ty);
    if ty.is_float() {
        for op in [UnOp::FNeg, UnOp::FAbs, UnOp::FSqrt] {
            let r = c.b.un(op, a);
            c.check(r, ty, op.name().into(), Box::new(move |x, _| Some(un(op, ty, x))));
        }
        for cc in FCmp::ALL {
            let r = c.b.fcmp(cc, a, bb);
            c.check(
                r,
                Type::I1,
                format!("fcmp.{}", cc.name()),
                Box::new(move |x, y| Some(fcmp(cc, f64::from_bits(x), f64::from_bits(y)) as u64)),
            );
            for k in [0.0f64, -0.0, 1.5] {
                let kv = c.b.fconst(k);
                let r = c.b.fcmp(cc, a, kv);
                c.check(
                    r,
                    Type::I1,
                    format!("fcmp.{} a, {k}", cc.name()),
                    Box::new(move |x, _| Some(fcmp(cc, f64::from_bits(x), k) as u64)),
                );
            }
        }
        let lt = c.b.fcmp(FCmp::Lt, a, bb);
        let r = c.b.select(lt, a, bb);
        c.check(
            r,
            ty,
            "select".into(),
            Box::new(move |x, y| Some(if f64::from_bits(x) < f64::from_bits(y) { x } else { y })),
        );
        let k = c.b.fconst(0.1);
        let r = c.b.select(lt, k, a);
        c.check(
            r,
            ty,
            "select k".into(),
            Box::new(move |x, y| {
                Some(if f64::from_bits(x) < f64::from_bits(y) { 0.1f64.to_bits() } else { x })
            }),
        );
        for to in [Type::I8, Type::I16, Type::I32, Type::I64] {
            let r = c.b.conv(Conv::FPToSI, a, to);
            c.check(
                r,
                to,
                format!("fptosi.{to}"),
                Box::new(move |x, _| {
                    let f = f64::from_bits(x).trunc();
                    let lim = 2f64.powi(to.bits() as i32 - 1);
                    (f >= -lim && f < lim).then(|| (f as i64 as u64) & to.mask())
                }),
            );
        }
        let r = c.b.conv(Conv::Bitcast, a, Type::I64);
        c.check(r, Type::I64, "bitcast".into(), Box::new(|x, _| Some(x)));
        return c.finish("misc.f64".into(), ty);
    }
    for op in [UnOp::Neg, UnOp::Not] {
        let r = c.b.un(op, a);
        c.check(r, ty, op.name().into(), Box::new(move |x, _| Some(un(op, ty, x))));
    }
    for cc in ICmp::ALL {
        let r = c.b.icmp(cc, a, bb);
        c.check(
            r,
            Type::I1,
            format!("icmp.{}", cc.name()),
            Box::new(move |x, y| Some(icmp(cc, ty, x, y) as u64)),
        );
        for k in [0u64, 1, 4096, 0x1234, u64::MAX, i64::MIN as u64, i64::MAX as u64].map(|k| k & ty.mask()) {
            let kv = c.b.konst(ty, k);
            let r = c.b.icmp(cc, a, kv);
            c.check(
                r,
                Type::I1,
                format!("icmp.{} a, {k:#x}", cc.name()),
                Box::new(move |x, _| Some(icmp(cc, ty, x, k) as u64)),
            );
            let r = c.b.icmp(cc, kv, a);
            c.check(
                r,
                Type::I1,
                format!("icmp.{} {k:#x}, a", cc.name()),
                Box::new(move |x, _| Some(icmp(cc, ty, k, x) as u64)),
            );
        }
    }
    let lt = c.b.icmp(ICmp::Ult, a, bb);
    let r = c.b.select(lt, a, bb);
    c.check(r, ty, "select".into(), Box::new(move |x, y| Some(if x < y { x } else { y })));
    let k = c.b.konst(ty, 0x1234_5678_9abc & ty.mask());
    let r = c.b.select(lt, k, a);
    c.check(
        r,
        ty,
        "select k".into(),
        Box::new(move |x, y| Some(if x < y { 0x1234_5678_9abc & ty.mask() } else { x })),
    );
    for to in Type::INTS {
        if to.bits() > ty.bits() {
            let r = c.b.conv(Conv::ZExt, a, to);
            c.check(r, to, format!("zext.{to}"), Box::new(|x, _| Some(x)));
            let r = c.b.conv(Conv::SExt, a, to);
            c.check(r, to, format!("sext.{to}"), Box::new(move |x, _| Some(ty.sext(x) as u64 & to.mask())));
        } else if to.bits() < ty.bits() {
            let r = c.b.conv(Conv::Trunc, a, to);
            c.check(r, to, format!("trunc.{to}"), Box::new(move |x, _| Some(x & to.mask())));
        }
    }
    if ty != Type::I1 {
        let r = c.b.conv(Conv::SIToFP, a, Type::F64);
        c.check(r, Type::F64, "sitofp".into(), Box::new(move |x, _| Some((ty.sext(x) as f64).to_bits())));
    }
    if ty == Type::I64 {
        let r = c.b.conv(Conv::Bitcast, a, Type::F64);
        c.check(r, Type::F64, "bitcast".into(), Box::new(|x, _| Some(x)));
    }
    c.finish(format!("misc.{ty}"), ty)
}

/// Every single-trace op case.
pub fn all_cases() -> Vec<Case> {
    let mut v = Vec::new();
    for ty in Type::INTS {
        for op in BinOp::ALL.into_iter().filter(|o| !o.is_float()) {
            v.push(bin_case(op, ty));
        }
        v.push(misc_case(ty));
    }
    for op in BinOp::ALL.into_iter().filter(|o| o.is_float()) {
        v.push(bin_case(op, Type::F64));
    }
    v.push(misc_case(Type::F64));
    v
}

/// Input pairs for a type.
pub fn inputs(ty: Type) -> Vec<(u64, u64)> {
    let vals: Vec<u64> = if ty.is_float() { FLOATS.iter().map(|f| f.to_bits()).collect() } else { edges(ty) };
    let mut v = Vec::new();
    for &x in &vals {
        for &y in &vals {
            v.push((x, y));
        }
    }
    v
}

/// A trace over 1 MiB of code: a guard at the top whose exit stub lies past the end of a
/// chain of `n` adds, all in one register (each value dies where the next is defined).
pub fn huge_trace(n: usize) -> (Trace, Allocation) {
    let mut b = trace_ir::Builder::new();
    let x = b.input(0, Type::I64);
    let ten = b.iconst(Type::I64, 10);
    let one = b.iconst(Type::I64, 1);
    let c = b.icmp(ICmp::Slt, x, ten);
    let s0 = b.snapshot(1, &[(0, x)]);
    b.guard(c, s0);
    let mut v = x;
    for _ in 0..n {
        v = b.bin(BinOp::Add, v, one);
    }
    let s1 = b.snapshot(2, &[(0, v)]);
    let t = b.exit(s1);
    let r = Loc::Reg(Reg::gpr(19));
    let locs = t
        .insts
        .iter()
        .map(|i| match (&i.op, i.ty) {
            (Op::Const { bits }, _) => Loc::Const(*bits),
            (Op::ICmp(..), _) => Loc::Reg(Reg::gpr(20)),
            (_, Some(_)) => r,
            _ => Loc::None,
        })
        .collect();
    (t, Allocation { locs, spill_slots: 0, preheader_moves: vec![], backedge_moves: vec![] })
}
