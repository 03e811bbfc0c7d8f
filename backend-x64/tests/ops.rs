//! Every op at every type against the reference interpreter (`common::oracle`), with operands
//! in registers, spill slots and constants in every position.
#![cfg(target_arch = "x86_64")]

mod common;

use backend_x64::X64;
use common::*;
use trace_ir::ir::*;
use trace_ir::oracle::*;
use trace_ir::{Builder, Symbols, Type};

/// The integer binary ops: `BinOp::ALL` without the float ones.
fn int_bins() -> impl Iterator<Item = BinOp> {
    BinOp::ALL.into_iter().filter(|op| !op.is_float())
}

/// `r = f(a, b)` where each operand is an input (slot 0/1) or a constant; the result goes to
/// slot 2 through snap0.
fn binary_trace(
    ty: Type,
    a: Option<u64>,
    b: Option<u64>,
    f: impl FnOnce(&mut Builder, Value, Value) -> Value,
) -> Trace {
    let mut bld = Builder::new();
    let x = match a {
        Some(c) => bld.konst(ty, c),
        None => bld.input(0, ty),
    };
    let y = match b {
        Some(c) => bld.konst(ty, c),
        None => bld.input(1, ty),
    };
    let r = f(&mut bld, x, y);
    let s = bld.snapshot(7, &[(2, r)]);
    bld.exit(s)
}

#[test]
fn integer_binops_at_every_type_in_registers_and_spill_slots() {
    let mut jit = X64::new();
    let mut runs = 0;
    for op in int_bins() {
        for ty in Type::INTS {
            for mode in MODES {
                let t = binary_trace(ty, None, None, |b, x, y| b.bin(op, x, y));
                let id = install(&mut jit, &t, mode, &Symbols::new());
                for &x in &samples(ty) {
                    for &y in &samples(ty) {
                        let Some(want) = eval_bin(op, ty, x, y) else { continue };
                        let mut slots = [x, y, 0xdead];
                        let e = jit.run_checked(id, &mut slots).unwrap();
                        assert_eq!((e.snap, e.resume), (SnapId(0), 7));
                        assert_eq!(slots[2], want, "{} {ty} {x:#x}, {y:#x} ({mode:?})", op.name());
                        runs += 1;
                    }
                }
            }
        }
    }
    assert!(runs > 5000, "{runs}");
}

#[test]
fn integer_binops_with_constant_operands_in_every_position() {
    let mut jit = X64::new();
    for op in int_bins() {
        for ty in Type::INTS {
            let vals: Vec<u64> = samples(ty).into_iter().step_by(2).collect();
            for &x in &vals {
                for &y in &vals {
                    let Some(want) = eval_bin(op, ty, x, y) else { continue };
                    for (ca, cb) in [(true, false), (false, true), (true, true)] {
                        let t = binary_trace(ty, ca.then_some(x), cb.then_some(y), |b, p, q| b.bin(op, p, q));
                        for mode in [Mode::Regs, Mode::Spill] {
                            let id = install(&mut jit, &t, mode, &Symbols::new());
                            let mut slots = [x, y, 0];
                            jit.run_checked(id, &mut slots).unwrap();
                            assert_eq!(
                                slots[2],
                                want,
                                "{} {ty} {x:#x} ({ca}), {y:#x} ({cb}) {mode:?}",
                                op.name()
                            );
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn unary_integer_ops() {
    let mut jit = X64::new();
    for op in UnOp::ALL.into_iter().filter(|op| !op.is_float()) {
        for ty in Type::INTS {
            for mode in MODES {
                let t = binary_trace(ty, None, None, |b, x, _| b.un(op, x));
                let id = install(&mut jit, &t, mode, &Symbols::new());
                for &x in &samples(ty) {
                    let want = eval_un(op, ty, x).expect("unary ops are defined on their own type");
                    let mut slots = [x, 0, 0];
                    jit.run_checked(id, &mut slots).unwrap();
                    assert_eq!(slots[2], want, "{} {ty} {x:#x} {mode:?}", op.name());
                }
            }
        }
    }
}

#[test]
fn float_ops_with_registers_spills_and_constants() {
    let mut jit = X64::new();
    let fs = fsamples();
    for op in BinOp::ALL.into_iter().filter(|op| op.is_float()) {
        for mode in MODES {
            let t = binary_trace(Type::F64, None, None, |b, x, y| b.bin(op, x, y));
            let id = install(&mut jit, &t, mode, &Symbols::new());
            for &x in &fs {
                for &y in &fs {
                    let want = eval_bin(op, Type::F64, x.to_bits(), y.to_bits()).unwrap();
                    let mut slots = [x.to_bits(), y.to_bits(), 0];
                    jit.run_checked(id, &mut slots).unwrap();
                    assert!(same(Type::F64, slots[2], want), "{} {x} {y} {mode:?}", op.name());
                }
            }
        }
        for (x, y) in [(1.5, -2.25), (0.0, 3.0), (1e300, 1e300)] {
            let want = eval_bin(op, Type::F64, f64::to_bits(x), f64::to_bits(y)).unwrap();
            for (ca, cb) in [(true, false), (false, true), (true, true)] {
                let t = binary_trace(
                    Type::F64,
                    ca.then_some(x.to_bits()),
                    cb.then_some(y.to_bits()),
                    |b, p, q| b.bin(op, p, q),
                );
                for mode in [Mode::Regs, Mode::Spill] {
                    let id = install(&mut jit, &t, mode, &Symbols::new());
                    let mut slots = [x.to_bits(), y.to_bits(), 0];
                    jit.run_checked(id, &mut slots).unwrap();
                    assert!(same(Type::F64, slots[2], want), "{} {x} {y} {ca} {cb}", op.name());
                }
            }
        }
    }
    for op in UnOp::ALL.into_iter().filter(|op| op.is_float()) {
        for mode in MODES {
            for konst in [false, true] {
                for &x in &fs {
                    let t =
                        binary_trace(Type::F64, konst.then_some(x.to_bits()), None, |b, p, _| b.un(op, p));
                    let id = install(&mut jit, &t, mode, &Symbols::new());
                    let want = eval_un(op, Type::F64, x.to_bits()).expect("float ops are defined on f64");
                    let mut slots = [x.to_bits(), 0, 0];
                    jit.run_checked(id, &mut slots).unwrap();
                    if op == UnOp::FSqrt {
                        assert!(same(Type::F64, slots[2], want), "{} {x}", op.name());
                    } else {
                        assert_eq!(slots[2], want, "{} {x}", op.name());
                    }
                }
            }
        }
    }
}

/// A compare used two ways: materialized (zext to i64, into slot 2) and fused into a guard
/// (the exit taken says the outcome).
fn check_compare(
    jit: &mut X64,
    ty: Type,
    xs: &[u64],
    mk: &dyn Fn(&mut Builder, Value, Value) -> Value,
    want: &dyn Fn(u64, u64) -> bool,
    what: &str,
) {
    for mode in MODES {
        let mat = binary_trace(ty, None, None, |b, x, y| {
            let c = mk(b, x, y);
            b.conv(Conv::ZExt, c, Type::I64)
        });
        let id_mat = install(jit, &mat, mode, &Symbols::new());
        let mut variants = vec![];
        for (ca, cb) in [(false, false), (true, false), (false, true)] {
            for expect in [true, false] {
                variants.push((ca, cb, expect));
            }
        }
        for &x in xs {
            for &y in xs {
                let w = want(x, y);
                let mut slots = [x, y, 9];
                jit.run_checked(id_mat, &mut slots).unwrap();
                assert_eq!(slots[2], w as u64, "{what} {x:#x} {y:#x} materialized {mode:?}");
                for &(ca, cb, expect) in &variants {
                    if (ca || cb) && (x != xs[0] && y != xs[xs.len() - 1]) {
                        continue; // constants: a sample of pairs
                    }
                    let mut b = Builder::new();
                    let p = if ca { b.konst(ty, x) } else { b.input(0, ty) };
                    let q = if cb { b.konst(ty, y) } else { b.input(1, ty) };
                    let s0 = b.snapshot(100, &[]);
                    let s1 = b.snapshot(200, &[]);
                    let c = mk(&mut b, p, q);
                    if expect {
                        b.guard(c, s0);
                    } else {
                        b.guard_not(c, s0);
                    }
                    let t = b.exit(s1);
                    let id = install(jit, &t, mode, &Symbols::new());
                    let mut slots = [x, y, 0];
                    let e = jit.run_checked(id, &mut slots).unwrap();
                    let left = w != expect;
                    assert_eq!(
                        e.snap,
                        SnapId(if left { 0 } else { 1 }),
                        "{what} {x:#x} {y:#x} guard expect {expect} ({ca},{cb}) {mode:?}"
                    );
                }
            }
        }
    }
}

#[test]
fn integer_compares_materialized_and_fused_into_guards() {
    let mut jit = X64::new();
    for c in ICmp::ALL {
        for ty in Type::INTS {
            let xs: Vec<u64> = samples(ty).into_iter().step_by(2).collect();
            check_compare(
                &mut jit,
                ty,
                &xs,
                &|b, x, y| b.icmp(c, x, y),
                &|x, y| eval_icmp(c, ty, x, y),
                &format!("icmp.{} {ty}", c.name()),
            );
        }
    }
}

#[test]
fn float_compares_handle_nan_for_every_predicate() {
    let mut jit = X64::new();
    let xs: Vec<u64> = [0.0, -0.0, 1.0, -1.5, f64::INFINITY, f64::NAN].iter().map(|f| f.to_bits()).collect();
    for c in FCmp::ALL {
        check_compare(
            &mut jit,
            Type::F64,
            &xs,
            &|b, x, y| b.fcmp(c, x, y),
            &|x, y| eval_fcmp(c, f64::from_bits(x), f64::from_bits(y)),
            &format!("fcmp.{}", c.name()),
        );
    }
}

#[test]
fn select_on_every_type_with_constant_arms() {
    let mut jit = X64::new();
    for ty in Type::ALL {
        let (x, y) = if ty == Type::F64 {
            (1.5f64.to_bits(), (-2.0f64).to_bits())
        } else {
            (1 & ty.mask(), ty.mask())
        };
        for mode in MODES {
            for (ca, cb) in [(false, false), (true, false), (false, true), (true, true)] {
                let mut b = Builder::new();
                let c = b.input(3, Type::I1);
                let p = if ca { b.konst(ty, x) } else { b.input(0, ty) };
                let q = if cb { b.konst(ty, y) } else { b.input(1, ty) };
                let r = b.select(c, p, q);
                let s = b.snapshot(0, &[(2, r)]);
                let t = b.exit(s);
                let id = install(&mut jit, &t, mode, &Symbols::new());
                for cond in [0u64, 1] {
                    let mut slots = [x, y, 0, cond];
                    jit.run_checked(id, &mut slots).unwrap();
                    assert_eq!(
                        slots[2],
                        if cond == 1 { x } else { y },
                        "select {ty} {mode:?} {ca} {cb} c={cond}"
                    );
                }
            }
            // A compare feeding a select (not fused: the select is not a guard).
            let mut b = Builder::new();
            let i = b.input(3, Type::I64);
            let z = b.iconst(Type::I64, 10);
            let c = b.icmp(ICmp::Slt, i, z);
            let p = b.input(0, ty);
            let q = b.input(1, ty);
            let r = b.select(c, p, q);
            let s = b.snapshot(0, &[(2, r)]);
            let t = b.exit(s);
            let id = install(&mut jit, &t, mode, &Symbols::new());
            for (iv, want) in [(5u64, x), (10, y), (u64::MAX, x)] {
                let mut slots = [x, y, 0, iv];
                jit.run_checked(id, &mut slots).unwrap();
                assert_eq!(slots[2], want);
            }
        }
    }
}

#[test]
fn conversions_between_every_pair_of_types() {
    let mut jit = X64::new();
    for from in Type::INTS {
        for to in Type::INTS {
            for conv in [Conv::ZExt, Conv::SExt, Conv::Trunc] {
                let ok = match conv {
                    Conv::Trunc => to.bits() < from.bits(),
                    _ => to.bits() > from.bits(),
                };
                if !ok {
                    continue;
                }
                for mode in MODES {
                    for konst in [false, true] {
                        for &x in &samples(from) {
                            let mut b = Builder::new();
                            let v = if konst { b.konst(from, x) } else { b.input(0, from) };
                            let r = b.conv(conv, v, to);
                            let s = b.snapshot(0, &[(2, r)]);
                            let t = b.exit(s);
                            let id = install(&mut jit, &t, mode, &Symbols::new());
                            let want = eval_conv(conv, from, to, x).unwrap();
                            let mut slots = [x, 0, 0];
                            jit.run_checked(id, &mut slots).unwrap();
                            assert_eq!(
                                slots[2],
                                want,
                                "{}.{to} {from} {x:#x} {mode:?} const={konst}",
                                conv.name()
                            );
                        }
                    }
                }
            }
        }
        // sitofp and fptosi (the verifier takes neither on i1).
        for mode in MODES {
            if from == Type::I1 {
                continue;
            }
            let mut b = Builder::new();
            let v = b.input(0, from);
            let r = b.conv(Conv::SIToFP, v, Type::F64);
            let s = b.snapshot(0, &[(2, r)]);
            let id = install(&mut jit, &b.exit(s), mode, &Symbols::new());
            for &x in &samples(from) {
                let mut slots = [x, 0, 0];
                jit.run_checked(id, &mut slots).unwrap();
                assert_eq!(
                    slots[2],
                    eval_conv(Conv::SIToFP, from, Type::F64, x).unwrap(),
                    "sitofp {from} {x:#x}"
                );
            }
            if from == Type::I1 {
                continue;
            }
            let mut b = Builder::new();
            let v = b.input(0, Type::F64);
            let r = b.conv(Conv::FPToSI, v, from);
            let s = b.snapshot(0, &[(2, r)]);
            let id = install(&mut jit, &b.exit(s), mode, &Symbols::new());
            let half = 1i64 << (from.bits() - 2);
            for f in [0.0, -0.0, 1.9, -1.9, 100.5, -100.5, half as f64, -(half as f64)] {
                let want = eval_conv(Conv::FPToSI, Type::F64, from, f.to_bits()).unwrap();
                let mut slots = [f64::to_bits(f), 0, 0];
                jit.run_checked(id, &mut slots).unwrap();
                assert_eq!(slots[2], want, "fptosi.{from} {f}");
            }
        }
    }
    for mode in MODES {
        for konst in [false, true] {
            let x = (-3.75f64).to_bits();
            let mut b = Builder::new();
            let v = if konst { b.konst(Type::I64, x) } else { b.input(0, Type::I64) };
            let f = b.conv(Conv::Bitcast, v, Type::F64);
            let g = b.bin(BinOp::FAdd, f, f);
            let i = b.conv(Conv::Bitcast, g, Type::I64);
            let s = b.snapshot(0, &[(1, f), (2, i)]);
            let id = install(&mut jit, &b.exit(s), mode, &Symbols::new());
            let mut slots = [x, 0, 0];
            jit.run_checked(id, &mut slots).unwrap();
            assert_eq!(slots[1], x);
            assert_eq!(slots[2], (-7.5f64).to_bits());
        }
    }
}

#[test]
fn loads_and_stores_at_every_width_with_displacements() {
    let mut jit = X64::new();
    for ty in [Type::I8, Type::I16, Type::I32, Type::I64, Type::F64] {
        for mode in MODES {
            for (konst_val, konst_base) in [(false, false), (true, false), (false, true)] {
                let mut buf = [0x1122_3344_5566_7788u64, 0x99aa_bbcc_ddee_ff00, 0, 0];
                let p = buf.as_mut_ptr() as u64;
                let val = 0xf1e2_d3c4_b5a6_9788u64 & ty.mask();
                let mut b = Builder::new();
                let base = if konst_base { b.konst(Type::I64, p) } else { b.input(0, Type::I64) };
                let l1 = b.load(ty, base, 8, false);
                let v = if konst_val { b.konst(ty, val) } else { b.input(1, ty) };
                b.store(base, 16, v);
                let l2 = b.load(ty, base, 16, false);
                let s = b.snapshot(0, &[(2, l1), (3, l2)]);
                let id = install(&mut jit, &b.exit(s), mode, &Symbols::new());
                let mut slots = [p, val, 0, 0];
                jit.run_checked(id, &mut slots).unwrap();
                assert_eq!(slots[2], 0x99aa_bbcc_ddee_ff00 & ty.mask(), "load {ty} {mode:?}");
                assert_eq!(slots[3], val, "store+load {ty} {mode:?}");
                assert_eq!(buf[2], val, "memory {ty}");
                assert_eq!(buf[3], 0, "no write past the store");
                assert_eq!(buf[0], 0x1122_3344_5566_7788);
            }
        }
    }
    // A negative displacement and an i32 store of a value whose high half would be wrong.
    let mut buf = [0u32; 4];
    let p = buf.as_mut_ptr() as u64 + 8;
    let mut b = Builder::new();
    let base = b.input(0, Type::I64);
    let v = b.input(1, Type::I32);
    b.store(base, -4, v);
    let s = b.snapshot(0, &[]);
    let id = install(&mut jit, &b.exit(s), Mode::Regs, &Symbols::new());
    jit.run_checked(id, &mut [p, 0xdead_beef, 0]).unwrap();
    assert_eq!(buf, [0, 0xdead_beef, 0, 0]);
}

#[test]
fn overflow_ops_leave_exactly_at_the_signed_boundaries() {
    let mut jit = X64::new();
    for op in OvfOp::ALL {
        // The verifier takes no overflow op on i1.
        for ty in Type::INTS.into_iter().filter(|&t| t != Type::I1) {
            for mode in MODES {
                for konst in [false, true] {
                    let xs = samples(ty);
                    for &y0 in if konst { &xs[..] } else { &xs[..1] } {
                        let mut b = Builder::new();
                        let x = b.input(0, ty);
                        let y = if konst { b.konst(ty, y0) } else { b.input(1, ty) };
                        let s0 = b.snapshot(11, &[(3, x)]);
                        let r = b.ovf(op, x, y, s0);
                        let s1 = b.snapshot(22, &[(2, r)]);
                        let id = install(&mut jit, &b.exit(s1), mode, &Symbols::new());
                        for &xv in &xs {
                            for &yv in &xs {
                                if konst && yv != y0 {
                                    continue;
                                }
                                let mut slots = [xv, yv, 0xaa, 0xbb];
                                let e = jit.run_checked(id, &mut slots).unwrap();
                                let what =
                                    format!("{} {ty} {xv:#x} {yv:#x} {mode:?} const={konst}", op.name());
                                if let Some(want) = eval_ovf(op, ty, xv, yv) {
                                    assert_eq!(e.resume, 22, "{what}: should not overflow");
                                    assert_eq!(slots[2], want, "{what}");
                                } else {
                                    assert_eq!(e.resume, 11, "{what}: should overflow");
                                    assert_eq!((slots[2], slots[3]), (0xaa, xv), "{what}");
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn guards_on_values_constants_and_spilled_conditions() {
    let mut jit = X64::new();
    for mode in MODES {
        for expect in [true, false] {
            // The compare has two uses, so it is materialized and the guard tests it.
            let mut b = Builder::new();
            let x = b.input(0, Type::I64);
            let k = b.iconst(Type::I64, 5);
            let c = b.icmp(ICmp::Ugt, x, k);
            let s0 = b.snapshot(1, &[(1, x)]);
            let s1 = b.snapshot(2, &[]);
            if expect {
                b.guard(c, s0);
            } else {
                b.guard_not(c, s0);
            }
            let z = b.conv(Conv::ZExt, c, Type::I64);
            let s2 = b.snapshot(3, &[(2, z)]);
            let _ = s1;
            let id = install(&mut jit, &b.exit(s2), mode, &Symbols::new());
            for (xv, gt) in [(3u64, false), (9, true)] {
                let mut slots = [xv, 0, 0];
                let e = jit.run_checked(id, &mut slots).unwrap();
                if gt == expect {
                    assert_eq!((e.resume, slots[2]), (3, gt as u64));
                } else {
                    assert_eq!((e.resume, slots[1]), (1, xv));
                }
            }
        }
        for (cv, expect, leaves) in
            [(1u64, true, false), (0, true, true), (1, false, true), (0, false, false)]
        {
            let mut b = Builder::new();
            let c = b.konst(Type::I1, cv);
            let s0 = b.snapshot(1, &[]);
            let s1 = b.snapshot(2, &[]);
            b.push(Op::Guard { cond: c, expect, snap: s0 }, None);
            let id = install(&mut jit, &b.exit(s1), mode, &Symbols::new());
            let e = jit.run_checked(id, &mut [0]).unwrap();
            assert_eq!(e.resume, if leaves { 1 } else { 2 });
        }
    }
}

#[test]
fn inputs_of_every_type_read_only_their_low_bits() {
    for mode in MODES {
        let mut b = Builder::new();
        let mut entries = vec![];
        for (i, ty) in Type::ALL.iter().enumerate() {
            let v = b.input(i as u32, *ty);
            entries.push((i as u32 + 6, v));
        }
        let s = b.snapshot(0, &entries);
        let t = b.exit(s);
        let mut slots = [u64::MAX - 2; 12];
        run(&t, mode, &mut slots);
        for (i, ty) in Type::ALL.iter().enumerate() {
            assert_eq!(slots[i + 6], (u64::MAX - 2) & ty.mask(), "{ty}");
        }
    }
}

/// The shared allocator may give a result the register of a dying operand, the first or the
/// second one (and rcx/rax/rdx to results of shifts and divisions): every binary op must
/// read both operands before it writes.
#[test]
fn results_may_take_either_operands_register() {
    use backend_x64::regs::*;
    use trace_ir::regalloc::{Allocation, Loc, Reg};
    let mut jit = X64::new();
    for op in BinOp::ALL {
        let tys: &[Type] = if op.is_float() { &[Type::F64] } else { &Type::INTS };
        for &ty in tys {
            let t = binary_trace(ty, None, None, |b, x, y| b.bin(op, x, y));
            let reg = |hw| if ty == Type::F64 { Loc::Reg(Reg::fpr(hw)) } else { Loc::Reg(Reg::gpr(hw)) };
            let mut dsts = vec![reg(RSI), reg(RDI), reg(R8)];
            if ty != Type::F64 {
                dsts.extend([reg(RCX), reg(RAX), reg(RDX)]);
            }
            for d in dsts {
                let al = Allocation { locs: vec![reg(RSI), reg(RDI), d], ..Default::default() };
                let id = jit.install_with(&t, &al, &Symbols::new()).unwrap();
                for &x in &samples(ty).iter().step_by(3).copied().collect::<Vec<_>>() {
                    for &y in &samples(ty) {
                        let (x, y) = if ty == Type::F64 {
                            (f64::to_bits(x as f64 + 0.5), f64::to_bits(y as f64 - 3.0))
                        } else {
                            (x, y)
                        };
                        let Some(want) = eval_bin(op, ty, x, y) else { continue };
                        let mut slots = [x, y, 0];
                        jit.run_checked(id, &mut slots).unwrap();
                        assert!(same(ty, slots[2], want), "{} {ty} {x:#x} {y:#x} -> {d:?}", op.name());
                    }
                }
            }
        }
    }
}

/// A compare at a type, its sample operands, the trace op, its expected outcome and a description.
type SelectCase =
    (Type, Vec<u64>, Box<dyn Fn(&mut Builder, Value, Value) -> Value>, Box<dyn Fn(u64, u64) -> bool>, String);

/// A compare whose only use is the next select drives a `cmov` (or, for f64 arms, a branch)
/// straight from the flags: every predicate at every type, both arm classes.
#[test]
fn compares_fused_into_selects() {
    let mut jit = X64::new();
    let (pi, qi) = (0x1111u64, 0x2222u64);
    let (pf, qf) = (1.25f64.to_bits(), (-8.0f64).to_bits());
    let mut cases: Vec<SelectCase> = vec![];
    for c in ICmp::ALL {
        for ty in Type::INTS {
            let xs: Vec<u64> = samples(ty).into_iter().step_by(3).collect();
            cases.push((
                ty,
                xs,
                Box::new(move |b, x, y| b.icmp(c, x, y)),
                Box::new(move |x, y| eval_icmp(c, ty, x, y)),
                format!("icmp.{} {ty}", c.name()),
            ));
        }
    }
    for c in FCmp::ALL {
        let xs: Vec<u64> = [0.0, -1.5, 2.0, f64::NAN].iter().map(|f| f.to_bits()).collect();
        cases.push((
            Type::F64,
            xs,
            Box::new(move |b, x, y| b.fcmp(c, x, y)),
            Box::new(move |x, y| eval_fcmp(c, f64::from_bits(x), f64::from_bits(y))),
            format!("fcmp.{}", c.name()),
        ));
    }
    for (ty, xs, mk, want, what) in &cases {
        for arm in [Type::I64, Type::F64] {
            for mode in [Mode::Shared, Mode::Regs, Mode::Spill] {
                let mut b = Builder::new();
                let x = b.input(0, *ty);
                let y = b.input(1, *ty);
                let p = b.input(2, arm);
                let q = b.input(3, arm);
                let k = mk(&mut b, x, y);
                let r = b.select(k, p, q);
                let s = b.snapshot(0, &[(4, r)]);
                let id = install(&mut jit, &b.exit(s), mode, &Symbols::new());
                let (pv, qv) = if arm == Type::F64 { (pf, qf) } else { (pi, qi) };
                for &xv in xs {
                    for &yv in xs {
                        let mut slots = [xv, yv, pv, qv, 0];
                        jit.run_checked(id, &mut slots).unwrap();
                        let w = if want(xv, yv) { pv } else { qv };
                        assert_eq!(slots[4], w, "{what} {xv:#x} {yv:#x} select {arm} {mode:?}");
                    }
                }
            }
        }
    }
}

/// An overflow op whose result register holds a value of its own snapshot: outside the
/// allocation model (the snapshot is read after the result is written), so `install_with`
/// refuses it; with the result elsewhere the same trace installs and runs.
#[test]
fn overflow_result_sharing_a_snapshot_register_is_rejected() {
    use backend_x64::regs::*;
    use trace_ir::regalloc::{Allocation, Loc, Reg};
    let mut jit = X64::new();
    for ty in [Type::I8, Type::I64] {
        for d in [RSI, RDI] {
            let mut b = Builder::new();
            let x = b.input(0, ty);
            let y = b.input(1, ty);
            let s0 = b.snapshot(1, &[(2, x), (3, y)]);
            let r = b.ovf(OvfOp::Add, x, y, s0);
            let s1 = b.snapshot(2, &[(2, r)]);
            let t = b.exit(s1);
            let mut al = Allocation {
                locs: vec![Loc::Reg(Reg::gpr(RSI)), Loc::Reg(Reg::gpr(RDI)), Loc::Reg(Reg::gpr(d))],
                ..Default::default()
            };
            let e = jit.install_with(&t, &al, &Symbols::new()).expect_err("sharing accepted");
            assert!(e.to_string().contains("snap0 slot"), "{ty} result in {d}: {e}");
            al.locs[2] = Loc::Reg(Reg::gpr(R8));
            let id = jit.install_with(&t, &al, &Symbols::new()).unwrap();
            let max = ty.mask() >> 1;
            let mut slots = [max, 1, 0, 0];
            let e = jit.run_checked(id, &mut slots).unwrap();
            assert_eq!((e.resume, slots[2], slots[3]), (1, max, 1), "{ty}");
            let mut slots = [5, 1, 0, 0];
            let e = jit.run_checked(id, &mut slots).unwrap();
            assert_eq!((e.resume, slots[2]), (2, 6));
        }
    }
}

/// `add`s (and a `shl` by 0..3 under them) whose only use is a load or store address fold
/// into `[base + index * scale + disp]` when their operands stay live in registers; any
/// other shape still computes the address. Results are checked in every allocation mode.
#[test]
fn address_arithmetic_folds_into_memory_operands_only_when_sound() {
    let mut buf: Vec<u64> = (0..64).map(|k| k * 1000 + 7).collect();
    let p = buf.as_mut_ptr() as u64;
    let mut jit = X64::new();
    for sh in 0..5u64 {
        for mode in MODES {
            // load [p + (i << sh) + 8], store [p + 16 + 8*j], i and p live afterwards.
            let mut b = Builder::new();
            let base = b.input(0, Type::I64);
            let i = b.input(1, Type::I64);
            let j = b.input(2, Type::I64);
            let shc = b.iconst(Type::I64, sh as i64);
            let off = b.bin(BinOp::Shl, i, shc);
            let q = b.bin(BinOp::Add, base, off);
            let v = b.load(Type::I64, q, 8, false);
            let c16 = b.iconst(Type::I64, 16);
            let three = b.iconst(Type::I64, 3);
            let j8 = b.bin(BinOp::Shl, j, three);
            let r = b.bin(BinOp::Add, base, c16);
            let w = b.bin(BinOp::Add, r, j8);
            b.store(w, 0, v);
            // p dies at this add; its register may be reused before the load.
            let q2 = b.bin(BinOp::Add, i, base);
            let dummy = b.bin(BinOp::Mul, i, j);
            let dummy2 = b.bin(BinOp::Xor, dummy, i);
            let v2 = b.load(Type::I32, q2, 0, false);
            let s = b.snapshot(0, &[(3, v), (4, v2), (5, dummy2), (6, i)]);
            let t = b.exit(s);
            let id = install(&mut jit, &t, mode, &Symbols::new());
            let (iv, jv) = (8u64, 5u64);
            let mut slots = [p, iv, jv, 0, 0, 0, 0];
            jit.run_checked(id, &mut slots).unwrap();
            let want = buf[(((iv << sh) + 8) / 8) as usize];
            assert_eq!(slots[3], want, "shl {sh} {mode:?}");
            assert_eq!(buf[2 + jv as usize], want);
            assert_eq!(slots[4], buf[1] & 0xffff_ffff);
            assert_eq!((slots[5], slots[6]), ((iv * jv) ^ iv, iv));
            buf[2 + jv as usize] = (2 + jv) * 1000 + 7;
        }
    }
    // The folded form appears in the code.
    let mut b = Builder::new();
    let base = b.input(0, Type::I64);
    let i = b.input(1, Type::I64);
    let three = b.iconst(Type::I64, 3);
    let off = b.bin(BinOp::Shl, i, three);
    let q = b.bin(BinOp::Add, base, off);
    let v = b.load(Type::F64, q, 24, false);
    let s = b.snapshot(0, &[(2, v), (3, i), (4, base)]);
    let t = b.exit(s);
    use trace_ir::backend::Backend;
    let l = X64::new().listing(&t, &naive_alloc(&t, Mode::Shared), &Symbols::new()).unwrap();
    assert!(l.contains("*8+18h]"), "{l}");
    assert!(!l.contains("  shl "), "{l}");
}

/// A load whose only use is the next instruction is read as that instruction's memory
/// operand. The result may be allocated to the load's base register (the base dies at the
/// load): the address must be read before the result is written.
#[test]
fn loads_fold_into_their_only_user_even_when_the_result_takes_the_base_register() {
    use backend_x64::regs::*;
    use trace_ir::regalloc::{Allocation, Loc, Reg};
    let mut jit = X64::new();
    let mut buf = [0u64; 4];
    for ty in [Type::I32, Type::I64, Type::F64] {
        let vals: Vec<u64> = if ty == Type::F64 {
            [1.5f64, -3.0, 0.0].iter().map(|f| f.to_bits()).collect()
        } else {
            vec![5, ty.mask(), 1 << (ty.bits() - 1), 12345]
        };
        let ops: Vec<BinOp> = if ty == Type::F64 {
            BinOp::ALL.into_iter().filter(|op| op.is_float()).collect()
        } else {
            vec![BinOp::Add, BinOp::Sub, BinOp::And, BinOp::Or, BinOp::Xor, BinOp::Mul]
        };
        let r =
            |hw: u8, t: Type| if t == Type::F64 { Loc::Reg(Reg::fpr(hw)) } else { Loc::Reg(Reg::gpr(hw)) };
        for load_first in [false, true] {
            for op in &ops {
                if !op.is_commutative() && load_first {
                    continue;
                }
                for dst in [RSI, RDI, R9] {
                    let mut b = Builder::new();
                    let base = b.input(0, Type::I64);
                    let other = b.input(1, ty);
                    let v = b.load(ty, base, 8, false);
                    let res = if load_first { b.bin(*op, v, other) } else { b.bin(*op, other, v) };
                    let s = b.snapshot(0, &[(2, res)]);
                    let t = b.exit(s);
                    let d = if ty == Type::F64 { r(dst - RSI + 2, ty) } else { r(dst, ty) };
                    let al = Allocation {
                        locs: vec![
                            r(RSI, Type::I64),
                            if ty == Type::F64 { r(1, ty) } else { r(RDI, ty) },
                            r(if ty == Type::F64 { 3 } else { R8 }, ty),
                            d,
                        ],
                        ..Default::default()
                    };
                    let id = jit.install_with(&t, &al, &Symbols::new()).unwrap();
                    for &lv in &vals {
                        for &ov in &vals {
                            buf[1] = lv;
                            let mut slots = [buf.as_mut_ptr() as u64, ov, 0];
                            jit.run_checked(id, &mut slots).unwrap();
                            let want = if load_first {
                                eval_bin(*op, ty, lv, ov)
                            } else {
                                eval_bin(*op, ty, ov, lv)
                            };
                            assert!(
                                same(ty, slots[2], want.unwrap()),
                                "{} {ty} load_first={load_first} dst={dst}",
                                op.name()
                            );
                        }
                    }
                }
            }
        }
        if ty == Type::F64 {
            continue;
        }
        for c in ICmp::ALL {
            for load_first in [false, true] {
                let mut b = Builder::new();
                let base = b.input(0, Type::I64);
                let other = b.input(1, ty);
                let v = b.load(ty, base, 8, false);
                let k = if load_first { b.icmp(c, v, other) } else { b.icmp(c, other, v) };
                let z = b.conv(Conv::ZExt, k, Type::I64);
                let s = b.snapshot(0, &[(2, z)]);
                let t = b.exit(s);
                let al = Allocation {
                    locs: vec![r(RSI, Type::I64), r(RDI, ty), r(R8, ty), r(RSI, Type::I1), r(RSI, Type::I64)],
                    ..Default::default()
                };
                let id = jit.install_with(&t, &al, &Symbols::new()).unwrap();
                for &lv in &vals {
                    for &ov in &vals {
                        buf[1] = lv;
                        let mut slots = [buf.as_mut_ptr() as u64, ov, 0];
                        jit.run_checked(id, &mut slots).unwrap();
                        let want =
                            if load_first { eval_icmp(c, ty, lv, ov) } else { eval_icmp(c, ty, ov, lv) };
                        assert_eq!(slots[2], want as u64, "icmp.{} {ty} load_first={load_first}", c.name());
                    }
                }
            }
        }
    }
    // The folded form is what is emitted.
    use trace_ir::backend::Backend;
    let t = common::kernels::sum_i64();
    let l = X64::new().listing(&t, &naive_alloc(&t, Mode::Shared), &Symbols::new()).unwrap();
    assert!(l.lines().any(|x| x.contains("  add ") && x.contains(",[")), "{l}");
}

/// With two NaN operands SSE returns the first, as the reference interpreter does: fadd and
/// fmul keep their operand order when the result shares the second operand's register, and
/// a load folds into them only as the second operand.
#[test]
fn float_ops_with_two_nans_return_the_first() {
    let (n, p) = (0xfff8_0000_0000_0000u64, 0x7ff8_0000_0000_0001u64);
    for op in [BinOp::FAdd, BinOp::FMul] {
        for mode in MODES {
            // r = x op y, with r in y's location (y dies at r, x stays live).
            let mut b = Builder::new();
            let x = b.input(0, Type::F64);
            let y = b.input(1, Type::F64);
            let r = b.bin(op, x, y);
            let s = b.snapshot(0, &[(2, r), (3, x)]);
            let t = b.exit(s);
            let mut al = naive_alloc(&t, mode);
            al.locs[r.index()] = al.locs[y.index()];
            let mut jit = X64::new();
            let id = jit.install_with(&t, &al, &Symbols::new()).unwrap();
            for (a, c) in [(n, p), (p, n)] {
                let mut slots = [a, c, 0, 0];
                jit.run_checked(id, &mut slots).unwrap();
                let want = eval_bin(op, Type::F64, a, c).unwrap();
                assert_eq!((slots[2], want), (a, a), "{} {a:#x} {c:#x} {mode:?}", op.name());
            }
            // r = (load [p]) op y: the load is the first operand.
            let mut b = Builder::new();
            let base = b.input(0, Type::I64);
            let y = b.input(1, Type::F64);
            let l = b.load(Type::F64, base, 0, false);
            let r = b.bin(op, l, y);
            let s = b.snapshot(0, &[(2, r)]);
            let t = b.exit(s);
            let id = install(&mut jit, &t, mode, &Symbols::new());
            for (a, c) in [(n, p), (p, n)] {
                let buf = [a];
                let mut slots = [buf.as_ptr() as u64, c, 0];
                jit.run_checked(id, &mut slots).unwrap();
                assert_eq!(slots[2], a, "load {} {a:#x} {c:#x} {mode:?}", op.name());
            }
        }
    }
}
