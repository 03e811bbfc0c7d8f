//! Executes compiled traces (AArch64 only; under qemu-aarch64 on x86-64 hosts) and checks
//! every result against the reference interpreter (`trace_ir::interp`, via `common::oracle`).
#![cfg(target_arch = "aarch64")]

mod common;

use backend_aarch64::A64;
use common::*;
use trace_ir::backend::{CodeSpace, Jit};
use trace_ir::ir::*;
use trace_ir::oracle::*;
use trace_ir::regalloc::{Allocation, Loc};
use trace_ir::{Builder, Symbols, Type};

fn check_case(c: &Case, al: &Allocation, mode: &str) {
    let mut j = A64::new();
    let id = j.install_with(&c.trace, al, &Symbols::new()).unwrap_or_else(|e| panic!("{}: {e}", c.name));
    let n = c.checks.len() + 2;
    let mut failures = Vec::new();
    let mut checked_against_interp = 0;
    for (x, y) in inputs(c.in_ty) {
        let mut slots = vec![0u64; n];
        slots[0] = x;
        slots[1] = y;
        let values = eval_values(&c.trace, &slots);
        let mut oracle = slots.clone();
        let syms = Symbols::new();
        let interp = trace_ir::interp::run(&c.trace, &mut oracle, &trace_ir::interp::Env::new(&syms));
        let e = j.run_checked(id, &mut slots).unwrap();
        assert_eq!((e.snap, e.resume), (SnapId(0), 99), "{}", c.name);
        // A whole run of the reference interpreter agrees where it defines every result (it
        // reports division by zero and out-of-range fptosi as errors).
        if interp.is_ok() {
            checked_against_interp += 1;
            for (slot, v, what) in &c.checks {
                let (got, want) = (slots[*slot as usize], oracle[*slot as usize]);
                if !same(c.trace.ty(*v).unwrap(), got, want) {
                    failures.push(format!(
                        "{} [{mode}] {what} a={x:#x} b={y:#x}: got {got:#x}, interp {want:#x}",
                        c.name
                    ));
                }
            }
        }
        // Each result the interpreter defines agrees, even when another one is undefined.
        for (slot, v, what) in &c.checks {
            if let Some(want) = values[v.index()] {
                let got = slots[*slot as usize];
                if !same(c.trace.ty(*v).unwrap(), got, want) {
                    failures.push(format!(
                        "{} [{mode}] {what} with a={x:#x} b={y:#x}: got {got:#x} want {want:#x}",
                        c.name
                    ));
                }
            }
        }
    }
    assert!(checked_against_interp > 0 || c.name.contains("div") || c.name.contains("rem"), "{}", c.name);
    assert!(
        failures.is_empty(),
        "{} failures, first ones:\n{}",
        failures.len(),
        failures[..failures.len().min(20)].join("\n")
    );
}

#[test]
fn every_op_at_every_type_in_registers() {
    for c in all_cases() {
        check_case(&c, &regs(&c.trace), "regs");
    }
}

#[test]
fn every_op_at_every_type_spilled() {
    for c in all_cases() {
        check_case(&c, &spilled(&c.trace), "spilled");
    }
}

/// `r = op.ovf a, b` leaves through snap0 exactly on signed overflow.
#[test]
fn overflow_ops_exit_exactly_at_the_boundaries() {
    for ty in [Type::I8, Type::I16, Type::I32, Type::I64] {
        for op in OvfOp::ALL {
            // Operand shapes: both inputs, constant right, constant left.
            let ks: Vec<Option<(u64, bool)>> = std::iter::once(None)
                .chain(samples(ty).into_iter().flat_map(|k| [Some((k, false)), Some((k, true))]))
                .collect();
            for shape in ks {
                let mut b = Builder::new();
                let x = b.input(0, ty);
                let y = b.input(1, ty);
                let s0 = b.snapshot(1, &[(0, x)]);
                let (l, r) = match shape {
                    None => (x, y),
                    Some((k, false)) => (x, b.konst(ty, k)),
                    Some((k, true)) => (b.konst(ty, k), x),
                };
                let v = b.ovf(op, l, r, s0);
                let s1 = b.snapshot(2, &[(2, v)]);
                let t = b.exit(s1);
                for al in [regs(&t), spilled(&t)] {
                    let mut j = A64::new();
                    let id = install(&mut j, &t, &al, &Symbols::new());
                    for (xa, ya) in inputs(ty) {
                        let (p, q) = match shape {
                            None => (xa, ya),
                            Some((k, false)) => (xa, k),
                            Some((k, true)) => (k, xa),
                        };
                        let mut slots = [xa, ya, 0xdead];
                        let e = j.run_checked(id, &mut slots).unwrap();
                        match eval_ovf(op, ty, p, q) {
                            Some(want) => {
                                assert_eq!(e.snap, SnapId(1), "{}.{ty} {p:#x} {q:#x}", op.name());
                                assert_eq!(slots[2], want, "{}.{ty} {p:#x} {q:#x}", op.name());
                            }
                            None => {
                                assert_eq!(e.snap, SnapId(0), "{}.{ty} {p:#x} {q:#x} overflows", op.name());
                                assert_eq!((e.resume, slots[0], slots[2]), (1, xa, 0xdead));
                            }
                        }
                    }
                }
            }
        }
    }
}

/// An overflow op whose result is given the register of an operand that is still in its
/// snapshot: outside the allocation model, so `install_with` refuses it.
#[test]
fn overflow_result_sharing_a_snapshot_register_is_rejected() {
    // The model: an overflow op's snapshot is read after its result is written, so the two
    // never share a register. An allocation that breaks it is refused before any code runs.
    for ty in [Type::I64, Type::I32, Type::I8] {
        for op in OvfOp::ALL {
            let mut b = Builder::new();
            let x = b.input(0, ty);
            let y = b.input(1, ty);
            let s0 = b.snapshot(1, &[(0, x), (1, y)]);
            let v = b.ovf(op, x, y, s0);
            let s1 = b.snapshot(2, &[(2, v)]);
            let t = b.exit(s1);
            let mut al = regs(&t);
            let mut slots = [1, 1, 0];
            let e = run(&t, &al, &Symbols::new(), &mut slots);
            assert_eq!((e.snap, slots[2]), (SnapId(1), eval_ovf(op, ty, 1, 1).unwrap()));
            al.locs[v.index()] = al.locs[x.index()];
            let err = A64::new().install_with(&t, &al, &Symbols::new()).expect_err("sharing accepted");
            assert!(err.to_string().contains("snap0 slot 0: expects %0"), "{}.{ty}: {err}", op.name());
        }
    }
}

/// `c = cmp(a, b)` guarded by `guard` (`expect`) or `guard.not`, leaving through snap0 (which
/// also holds `c` in slot 3 unless `fused`), else exiting through snap1.
fn guard_trace(
    ty: Type,
    fused: bool,
    expect: bool,
    cmp: impl FnOnce(&mut Builder, Value, Value) -> Value,
) -> Trace {
    let mut b = Builder::new();
    let x = b.input(0, ty);
    let y = b.input(1, ty);
    let c = cmp(&mut b, x, y);
    let entries: Vec<(u32, Value)> = if fused { vec![(0, x)] } else { vec![(0, x), (3, c)] };
    let s0 = b.snapshot(1, &entries);
    if expect {
        b.guard(c, s0)
    } else {
        b.guard_not(c, s0)
    }
    let s1 = b.snapshot(2, &[(2, y)]);
    b.exit(s1)
}

/// Guards on integer and float compares, fused (the compare's only use) and materialized
/// (the compare is also in a snapshot), `guard` and `guard.not`, and constant conditions.
#[test]
fn guards_take_the_right_exit() {
    for fused in [true, false] {
        for expect in [true, false] {
            for ty in [Type::I8, Type::I32, Type::I64] {
                for cc in ICmp::ALL {
                    let t = guard_trace(ty, fused, expect, |b, x, y| b.icmp(cc, x, y));
                    let mut j = A64::new();
                    let id = install(&mut j, &t, &regs(&t), &Symbols::new());
                    for (p, q) in inputs(ty) {
                        let mut slots = [p, q, 0, 0];
                        let e = j.run_checked(id, &mut slots).unwrap();
                        let stays = eval_icmp(cc, ty, p, q) == expect;
                        assert_eq!(
                            e.snap,
                            SnapId(if stays { 1 } else { 0 }),
                            "icmp.{} {ty} {p:#x} {q:#x}",
                            cc.name()
                        );
                    }
                }
            }
            for cc in FCmp::ALL {
                let t = guard_trace(Type::F64, fused, expect, |b, x, y| b.fcmp(cc, x, y));
                let mut j = A64::new();
                let id = install(&mut j, &t, &spilled(&t), &Symbols::new());
                for (p, q) in inputs(Type::F64) {
                    let mut slots = [p, q, 0, 0];
                    let e = j.run_checked(id, &mut slots).unwrap();
                    let stays = eval_fcmp(cc, f64::from_bits(p), f64::from_bits(q)) == expect;
                    assert_eq!(e.snap, SnapId(if stays { 1 } else { 0 }), "fcmp.{} {p:#x} {q:#x}", cc.name());
                    if !fused && !stays {
                        assert_eq!(slots[3], eval_fcmp(cc, f64::from_bits(p), f64::from_bits(q)) as u64);
                    }
                }
            }
        }
    }
    // Constant conditions.
    for (k, expect, leaves) in [(1u64, true, false), (0, true, true), (1, false, true), (0, false, false)] {
        let mut b = Builder::new();
        let c = b.konst(Type::I1, k);
        let s0 = b.snapshot(1, &[]);
        if expect {
            b.guard(c, s0)
        } else {
            b.guard_not(c, s0)
        }
        let s1 = b.snapshot(2, &[]);
        let t = b.exit(s1);
        let e = run(&t, &regs(&t), &Symbols::new(), &mut []);
        assert_eq!(e.snap, SnapId(if leaves { 0 } else { 1 }));
    }
}

fn sum_loop() -> Trace {
    let mut b = Builder::named("sum");
    let n = b.input(0, Type::I64);
    let zero = b.iconst(Type::I64, 0);
    let one = b.iconst(Type::I64, 1);
    let p = b.begin_loop(&[zero, zero]);
    let c = b.icmp(ICmp::Slt, p[0], n);
    let s0 = b.snapshot(7, &[(1, p[0]), (2, p[1])]);
    b.guard(c, s0);
    let acc = b.bin(BinOp::Add, p[1], p[0]);
    let i = b.bin(BinOp::Add, p[0], one);
    b.jump(&[i, acc])
}

#[test]
fn loops_run_to_their_guard_in_registers_and_spilled() {
    let t = sum_loop();
    for al in [regs(&t), spilled(&t)] {
        for n in [0u64, 1, 10, 1000] {
            let mut slots = [n, 0, 0];
            let e = run(&t, &al, &Symbols::new(), &mut slots);
            assert_eq!((e.snap, e.resume), (SnapId(0), 7));
            assert_eq!(slots, [n, n, n * n.saturating_sub(1) / 2]);
        }
    }
}

/// `jump (%b, %c, %a, ...)`: the back-edge moves form cycles, in registers, in spill slots
/// and mixed, for both classes.
#[test]
fn loop_parameter_rotations_and_swaps() {
    let mut b = Builder::new();
    let n = b.input(0, Type::I64);
    let vals: Vec<Value> = (0..3).map(|k| b.input(1 + k, Type::I64)).collect();
    let fv: Vec<Value> = (0..2).map(|k| b.input(4 + k, Type::F64)).collect();
    let zero = b.iconst(Type::I64, 0);
    let one = b.iconst(Type::I64, 1);
    let mut inits = vec![zero];
    inits.extend(&vals);
    inits.extend(&fv);
    let p = b.begin_loop(&inits);
    let c = b.icmp(ICmp::Ult, p[0], n);
    let s0 = b.snapshot(0, &[(1, p[1]), (2, p[2]), (3, p[3]), (4, p[4]), (5, p[5])]);
    b.guard(c, s0);
    let i = b.bin(BinOp::Add, p[0], one);
    let t = b.jump(&[i, p[2], p[3], p[1], p[5], p[4]]);
    let mixed = {
        let mut al = regs(&t);
        // Put one rotating parameter and one float in spill slots.
        al.locs[p[2].index()] = Loc::Spill(200);
        al.locs[p[5].index()] = Loc::Spill(201);
        al.spill_slots = 202; // the checker holds an allocation to the slots it declares
        let back = match &t.term {
            Terminator::Jump(next) => p
                .iter()
                .zip(next)
                .map(|(&pp, &nn)| trace_ir::regalloc::Move {
                    from: al.locs[nn.index()],
                    to: al.locs[pp.index()],
                    class: trace_ir::regalloc::RegClass::of(t.ty(pp).unwrap()),
                })
                .collect::<Vec<_>>(),
            _ => unreachable!(),
        };
        al.backedge_moves = backend_aarch64::lower::sequence_moves(&back);
        al.preheader_moves = backend_aarch64::lower::sequence_moves(
            &p.iter()
                .zip(&inits)
                .map(|(&pp, &ii)| trace_ir::regalloc::Move {
                    from: al.locs[ii.index()],
                    to: al.locs[pp.index()],
                    class: trace_ir::regalloc::RegClass::of(t.ty(pp).unwrap()),
                })
                .collect::<Vec<_>>(),
        );
        al
    };
    for al in [regs(&t), spilled(&t), mixed] {
        for n in 0..7u64 {
            let (f1, f2) = (1.5f64.to_bits(), (-2.0f64).to_bits());
            let mut slots = [n, 10, 20, 30, f1, f2];
            run(&t, &al, &Symbols::new(), &mut slots);
            let mut want = [10, 20, 30];
            want.rotate_left((n % 3) as usize);
            assert_eq!(&slots[1..4], &want, "n={n}");
            let fw = if n % 2 == 0 { [f1, f2] } else { [f2, f1] };
            assert_eq!(&slots[4..6], &fw, "n={n}");
        }
    }
}

/// Loads and stores at every type with displacements in every addressing form.
#[test]
fn loads_and_stores_at_every_type_and_displacement() {
    let mut buf = vec![0u8; 1 << 17];
    let mid = buf.as_mut_ptr() as u64 + (1 << 16);
    for ty in [Type::I8, Type::I16, Type::I32, Type::I64, Type::F64] {
        for disp in [0i32, 1, 8, 255, -256, -257, 4095, 32760, 40000, -40000] {
            let mut b = Builder::new();
            let p = b.input(0, Type::I64);
            let v = b.input(1, ty);
            b.store(p, disp, v);
            let r = b.load(ty, p, disp, false);
            let k = b.konst(ty, 0x0123_4567_89ab_cdef & ty.mask());
            b.store(p, disp + 64, k);
            let r2 = b.load(ty, p, disp + 64, false);
            let s = b.snapshot(0, &[(2, r), (3, r2)]);
            let t = b.exit(s);
            for al in [regs(&t), spilled(&t)] {
                let val = 0xfedc_ba98_7654_3210u64 & ty.mask();
                let mut slots = [mid, val, 0, 0];
                run(&t, &al, &Symbols::new(), &mut slots);
                assert_eq!(slots[2], val, "{ty} disp {disp}");
                assert_eq!(slots[3], 0x0123_4567_89ab_cdef & ty.mask(), "{ty} disp {disp}");
                let at = (mid as i64 + disp as i64) as usize - buf.as_ptr() as usize;
                let n = ty.bytes() as usize;
                assert_eq!(&buf[at..at + n], &val.to_le_bytes()[..n]);
                if n < 8 {
                    assert_eq!(buf[at + n], 0, "{ty} store wider than its type");
                }
                buf.iter_mut().for_each(|x| *x = 0);
            }
        }
    }
    // A constant address folds the displacement.
    let mut cell = 0u64;
    let mut b = Builder::new();
    let p = b.iconst(Type::I64, &mut cell as *mut u64 as i64 - 8);
    let v = b.iconst(Type::I64, 77);
    b.store(p, 8, v);
    let r = b.load(Type::I64, p, 8, false);
    let s = b.snapshot(0, &[(0, r)]);
    let t = b.exit(s);
    let mut slots = [0];
    run(&t, &regs(&t), &Symbols::new(), &mut slots);
    assert_eq!((slots[0], cell), (77, 77));
}

extern "C" fn c_zero() -> i64 {
    42
}
extern "C" fn c_ints10(
    a: i64,
    b: i64,
    c: i64,
    d: i64,
    e: i64,
    f: i64,
    g: i64,
    h: i64,
    i: i64,
    j: i64,
) -> i64 {
    a + 2 * b + 3 * c + 4 * d + 5 * e + 6 * f + 7 * g + 8 * h + 9 * i + 10 * j
}
extern "C" fn c_floats10(
    a: f64,
    b: f64,
    c: f64,
    d: f64,
    e: f64,
    f: f64,
    g: f64,
    h: f64,
    i: f64,
    j: f64,
) -> f64 {
    a + 2. * b + 3. * c + 4. * d + 5. * e + 6. * f + 7. * g + 8. * h + 9. * i + 10. * j
}
#[allow(clippy::too_many_arguments)]
extern "C" fn c_mixed14(
    a: i64,
    b: f64,
    c: i64,
    d: f64,
    e: i64,
    f: f64,
    g: i64,
    h: f64,
    i: i64,
    j: f64,
    k: i64,
    l: f64,
    m: i64,
    n: f64,
) -> f64 {
    a as f64
        + 2. * b
        + 3. * c as f64
        + 4. * d
        + 5. * e as f64
        + 6. * f
        + 7. * g as f64
        + 8. * h
        + 9. * i as f64
        + 10. * j
        + 11. * k as f64
        + 12. * l
        + 13. * m as f64
        + 14. * n
}
/// 10 ints then 4 floats interleaved at the end: two ints go to the stack.
#[allow(clippy::too_many_arguments)]
extern "C" fn c_ints_spill(
    a: i64,
    b: i64,
    c: i64,
    d: i64,
    e: i64,
    f: i64,
    g: i64,
    h: i64,
    x: f64,
    i: i64,
    y: f64,
    j: i64,
    z: f64,
    w: f64,
) -> f64 {
    c_ints10(a, b, c, d, e, f, g, h, i, j) as f64 + 100. * x + 1000. * y + 10000. * z + 100000. * w
}
/// 5 ints and 9 floats: one float goes to the stack, between nothing else.
#[allow(clippy::too_many_arguments)]
extern "C" fn c_floats_spill(
    x0: f64,
    a: i64,
    x1: f64,
    x2: f64,
    b: i64,
    x3: f64,
    x4: f64,
    c: i64,
    x5: f64,
    x6: f64,
    d: i64,
    x7: f64,
    x8: f64,
    e: i64,
) -> i64 {
    (x0 + 2. * x1 + 3. * x2 + 4. * x3 + 5. * x4 + 6. * x5 + 7. * x6 + 8. * x7 + 9. * x8) as i64
        + 100 * (a + 2 * b + 3 * c + 4 * d + 5 * e)
}
extern "C" fn c_narrow(a: i8, b: u16, c: i32) -> i8 {
    (a as i32).wrapping_add(b as i32).wrapping_add(c) as i8
}
extern "C" fn c_bool(a: i64) -> bool {
    a > 5
}
static mut SIDE: i64 = 0;
extern "C" fn c_void(a: i64) {
    // SAFETY: tests that call this run the trace on one thread, and only read SIDE after.
    unsafe { SIDE = a };
}

fn addr(f: *const ()) -> u64 {
    f as u64
}

fn syms() -> Symbols {
    let mut s = Symbols::new();
    s.define_native("zero", addr(c_zero as *const ()));
    s.define_native("ints10", addr(c_ints10 as *const ()));
    s.define_native("floats10", addr(c_floats10 as *const ()));
    s.define_native("mixed14", addr(c_mixed14 as *const ()));
    s.define_native("ints_spill", addr(c_ints_spill as *const ()));
    s.define_native("floats_spill", addr(c_floats_spill as *const ()));
    s.define_native("narrow", addr(c_narrow as *const ()));
    s.define_native("bool", addr(c_bool as *const ()));
    s.define_native("void", addr(c_void as *const ()));
    s
}

/// Calls `name` with arguments of `tys` read from slots 1.., result to slot 0; returns it.
fn call_trace(name: &str, tys: &[Type], ret: Option<Type>, by_value: bool) -> Trace {
    let mut b = Builder::new();
    let args: Vec<Value> = tys.iter().enumerate().map(|(i, &t)| b.input(1 + i as u32, t)).collect();
    let callee = if by_value { Callee::Value(b.input(30, Type::I64)) } else { Callee::Symbol(name.into()) };
    let r = b.call(ret, callee, &args, CallEffect::Any);
    let entries = if ret.is_some() { vec![(0, r)] } else { vec![] };
    let s = b.snapshot(0, &entries);
    b.exit(s)
}

#[test]
fn calls_with_0_to_14_mixed_arguments() {
    use Type::{F64 as F, I64 as I};
    let s = syms();
    let f = |x: f64| x.to_bits();
    /// (function, argument types, result type, arguments, expected result)
    type CallCase = (&'static str, Vec<Type>, Type, Vec<u64>, u64);
    let cases: Vec<CallCase> = vec![
        ("zero", vec![], I, vec![], 42),
        ("ints10", vec![I; 10], I, (1..=10).collect(), (1..=10u64).map(|k| k * k).sum()),
        (
            "floats10",
            vec![F; 10],
            F,
            (1..=10).map(|k| f(k as f64)).collect(),
            f((1..=10).map(|k| (k * k) as f64).sum()),
        ),
        (
            "mixed14",
            [I, F].repeat(7),
            F,
            (1..=14).map(|k| if k % 2 == 1 { k } else { f(k as f64) }).collect(),
            f((1..=14).map(|k| (k * k) as f64).sum()),
        ),
        (
            "ints_spill",
            vec![I, I, I, I, I, I, I, I, F, I, F, I, F, F],
            F,
            vec![1, 2, 3, 4, 5, 6, 7, 8, f(1.0), 9, f(2.0), 10, f(3.0), f(4.0)],
            f(385.0 + 100. + 2000. + 30000. + 400000.),
        ),
        (
            "floats_spill",
            vec![F, I, F, F, I, F, F, I, F, F, I, F, F, I],
            I,
            vec![f(1.), 1, f(2.), f(3.), 2, f(4.), f(5.), 3, f(6.), f(7.), 4, f(8.), f(9.), 5],
            285 + 100 * 55,
        ),
        ("narrow", vec![Type::I8, Type::I16, Type::I32], Type::I8, vec![0xff, 0xffff, 0x7fff_ffff], 0xfd),
        ("bool", vec![I], Type::I8, vec![9], 1),
    ];
    for (name, tys, ret, args, want) in cases {
        for by_value in [false, true] {
            let t = call_trace(name, &tys, Some(ret), by_value);
            let callee_only = naive(&t, &CALLEE_GPRS, &CALLEE_FPRS);
            for al in [regs(&t), spilled(&t), callee_only] {
                let mut slots = vec![0u64; 31];
                slots[1..1 + args.len()].copy_from_slice(&args);
                slots[30] = s.addr(name).unwrap();
                run(&t, &al, &s, &mut slots);
                assert_eq!(slots[0], want, "{name} by_value={by_value}");
            }
        }
    }
    let t = call_trace("void", &[I], None, false);
    let mut slots = [0, 1234];
    run(&t, &regs(&t), &s, &mut slots);
    // SAFETY: the trace has returned; nothing else writes SIDE.
    assert_eq!(unsafe { SIDE }, 1234);
}

/// Arguments already sitting in argument registers in a rotated order: the argument moves
/// are a cycle through x0-x7 and d0-d7.
#[test]
fn call_arguments_form_a_cycle_in_argument_registers() {
    use trace_ir::regalloc::Reg;
    let s = syms();
    let t = call_trace("mixed14", &[Type::I64, Type::F64].repeat(7), Some(Type::F64), false);
    let mut al = regs(&t);
    for k in 0..7 {
        al.locs[2 * k] = Loc::Reg(Reg::gpr(((k + 1) % 7) as u8));
        al.locs[2 * k + 1] = Loc::Reg(Reg::fpr(((k + 3) % 7) as u8));
    }
    let mut slots = vec![0u64; 31];
    for k in 1..=14u64 {
        slots[k as usize] = if k % 2 == 1 { k } else { (k as f64).to_bits() };
    }
    run(&t, &al, &s, &mut slots);
    assert_eq!(f64::from_bits(slots[0]), (1..=14).map(|k| (k * k) as f64).sum::<f64>());
}

/// Values in callee-saved registers survive a call; the context pointer too (spills after
/// the call still work).
#[test]
fn values_survive_calls() {
    let s = syms();
    let mut b = Builder::new();
    let x = b.input(0, Type::I64);
    let y = b.input(1, Type::F64);
    let r = b.call(Some(Type::I64), Callee::Symbol("zero".into()), &[], CallEffect::Any);
    let z = b.bin(BinOp::Add, x, r);
    let w = b.bin(BinOp::FAdd, y, y);
    let sn = b.snapshot(0, &[(0, z), (1, w)]);
    let t = b.exit(sn);
    for al in [naive(&t, &CALLEE_GPRS, &CALLEE_FPRS), spilled(&t)] {
        let mut slots = [8, 1.5f64.to_bits()];
        run(&t, &al, &s, &mut slots);
        assert_eq!(slots, [50, 3.0f64.to_bits()]);
    }
}

fn guarded_trace() -> Trace {
    // slot0 < 10: exit snap1 with slot0 + 100; otherwise leave through snap0.
    let mut b = Builder::new();
    let x = b.input(0, Type::I64);
    let ten = b.iconst(Type::I64, 10);
    let c = b.icmp(ICmp::Slt, x, ten);
    let s0 = b.snapshot(5, &[(0, x)]);
    b.guard(c, s0);
    let h = b.iconst(Type::I64, 100);
    let y = b.bin(BinOp::Add, x, h);
    let s1 = b.snapshot(6, &[(0, y)]);
    b.exit(s1)
}

fn side_trace() -> Trace {
    let mut b = Builder::new();
    let x = b.input(0, Type::I64);
    let two = b.iconst(Type::I64, 2);
    let z = b.bin(BinOp::Mul, x, two);
    let seven = b.iconst(Type::I64, 7);
    let s = b.snapshot(9, &[(0, z), (1, seven)]);
    b.exit(s)
}

#[test]
fn side_exits_link_and_unlink() {
    let mut j = A64::new();
    let t0 = guarded_trace();
    let t1 = side_trace();
    let a = install(&mut j, &t0, &regs(&t0), &Symbols::new());
    let bb = install(&mut j, &t1, &spilled(&t1), &Symbols::new());
    assert_eq!((a, bb), (0, 1));
    let mut slots = [20, 0];
    let e = j.run_checked(a, &mut slots).unwrap();
    assert_eq!((e.trace, e.snap, e.resume, slots), (0, SnapId(0), 5, [20, 0]));

    j.link_exit(a, SnapId(0), bb).unwrap();
    let mut slots = [20, 0];
    let e = j.run_checked(a, &mut slots).unwrap();
    assert_eq!((e.trace, e.snap, e.resume, slots), (1, SnapId(0), 9, [40, 7]));
    // The other exit is unaffected.
    let mut slots = [3, 0];
    let e = j.run_checked(a, &mut slots).unwrap();
    assert_eq!((e.trace, e.snap, slots), (0, SnapId(1), [103, 0]));

    j.unlink_exit(a, SnapId(0)).unwrap();
    let mut slots = [20, 0];
    let e = j.run_checked(a, &mut slots).unwrap();
    assert_eq!((e.trace, e.snap, slots), (0, SnapId(0), [20, 0]));

    // Relink to itself: slot0 >= 10 loops back through its own entry forever unless the
    // side trace breaks it, so link the exit terminator (snap1) of trace 0 to trace 1.
    j.link_exit(a, SnapId(1), bb).unwrap();
    let mut slots = [3, 0];
    let e = j.run_checked(a, &mut slots).unwrap();
    assert_eq!((e.trace, slots), (1, [206, 7]));

    assert!(matches!(
        j.link_exit(a, SnapId(5), bb),
        Err(trace_ir::backend::BackendError::UnknownExit { .. })
    ));
    assert!(matches!(j.link_exit(a, SnapId(0), 9), Err(trace_ir::backend::BackendError::UnknownTrace(9))));
    assert!(matches!(j.unlink_exit(7, SnapId(0)), Err(trace_ir::backend::BackendError::UnknownTrace(7))));
}

#[test]
fn link_terminator_enters_another_trace() {
    let mut j = A64::new();
    let t1 = side_trace();
    let side = install(&mut j, &t1, &regs(&t1), &Symbols::new());
    let mut b = Builder::new();
    let x = b.input(0, Type::I64);
    let one = b.iconst(Type::I64, 1);
    let w = b.bin(BinOp::Add, x, one);
    let s = b.snapshot(0, &[(0, w)]);
    let t2 = b.link(side, s);
    let id = install(&mut j, &t2, &regs(&t2), &Symbols::new());
    let mut slots = [4, 0];
    let e = j.run_checked(id, &mut slots).unwrap();
    assert_eq!((e.trace, e.snap, e.resume, slots), (side, SnapId(0), 9, [10, 7]));
    // A link to a trace that is not installed yet leaves through its snapshot (written to
    // the slots) until that trace is installed; then it enters it.
    let mut b = Builder::new();
    let x = b.input(0, Type::I64);
    let three = b.iconst(Type::I64, 3);
    let w = b.bin(BinOp::Add, x, three);
    let s = b.snapshot(55, &[(0, w)]);
    let fwd = b.link(id + 2, s);
    let f = install(&mut j, &fwd, &regs(&fwd), &Symbols::new());
    assert_eq!(f, id + 1);
    let mut slots = [1, 0];
    let e = j.run_checked(f, &mut slots).unwrap();
    assert_eq!((e.trace, e.snap, e.resume, slots), (f, SnapId(0), 55, [4, 0]));
    let later = side_trace();
    let l = install(&mut j, &later, &regs(&later), &Symbols::new());
    assert_eq!(l, f + 1);
    let mut slots = [1, 0];
    let e = j.run_checked(f, &mut slots).unwrap();
    assert_eq!((e.trace, e.resume, slots), (l, 9, [8, 7]));
}

#[test]
fn code_pages_are_never_writable_and_executable() {
    let mut j = A64::new();
    let t = sum_loop();
    let id = install(&mut j, &t, &regs(&t), &Symbols::new());
    let addr = j.addr_of(id, 0).unwrap();
    let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
    for l in maps.lines() {
        let perm = l.split_whitespace().nth(1).unwrap();
        assert!(!(perm.contains('w') && perm.contains('x')), "W+X mapping: {l}");
        let (s, e) = l.split_whitespace().next().unwrap().split_once('-').unwrap();
        let (s, e) = (u64::from_str_radix(s, 16).unwrap(), u64::from_str_radix(e, 16).unwrap());
        if s <= addr && addr < e {
            assert!(perm.starts_with("r-x"), "code mapping {l}");
        }
    }
    // Still runs after a patch round trip.
    j.patch_link(id, SnapId(0), id).ok();
    j.unlink_exit(id, SnapId(0)).unwrap();
    let mut slots = [5, 0, 0];
    j.run_checked(id, &mut slots).unwrap();
    assert_eq!(slots, [5, 5, 10]);
    // The code lives in the region's memfd, and the file holds it as patched.
    let r = j.region().unwrap();
    let path = r.file_path().expect("a file-backed region");
    let target = std::fs::read_link(&path).unwrap();
    assert!(target.to_string_lossy().starts_with("/memfd:tracery-code"), "{target:?}");
    let (_, code) = j.code_bytes().unwrap();
    let mut back = vec![0; code.len()];
    std::os::unix::fs::FileExt::read_exact_at(&std::fs::File::open(&path).unwrap(), &mut back, 0).unwrap();
    assert!(back == code, "the file differs from the installed code");
}

#[test]
fn bad_input_is_a_typed_error() {
    use trace_ir::backend::BackendError;
    let mut j = A64::new();
    let t = call_trace("nope", &[], Some(Type::I64), false);
    assert!(matches!(j.install_with(&t, &regs(&t), &syms()), Err(BackendError::UnknownSymbol(_))));
    let t = sum_loop();
    let short = Allocation::default();
    assert!(matches!(j.install_with(&t, &short, &syms()), Err(BackendError::Invalid(_))));
    let id = install(&mut j, &t, &regs(&t), &syms());
    assert!(matches!(j.run_checked(id, &mut [1]), Err(BackendError::Invalid(_))), "slot array too short");
    assert!(matches!(j.run_checked(id + 1, &mut [1, 2, 3]), Err(BackendError::UnknownTrace(_))));
    let t = call_trace("ints10", &[Type::I64; 80], Some(Type::I64), false);
    let mut s = syms();
    s.define_native("ints10", addr(c_ints10 as *const ()));
    let r = j.install_with(&t, &spilled(&t), &s);
    assert!(matches!(r, Err(BackendError::Unsupported(_)) | Err(BackendError::Invalid(_))), "{r:?}");
}

/// The example kernels through the real pipeline: parse, verify, the shared allocator (and
/// its checker), this backend; results against Rust.
#[test]
fn example_kernels_with_the_shared_allocator() {
    let load = |src: &str| {
        let t = trace_ir::text::parse(src).unwrap();
        trace_ir::verify::verify(&t).unwrap();
        let al = shared(&t);
        (t, al)
    };
    let data: Vec<i64> = (0..100).map(|k| k * 7 - 300).collect();
    // sum_i64
    let (t, al) = load(include_str!("../../examples/kernels/sum_i64.tir"));
    for n in [0usize, 1, 5, 100] {
        let mut slots = [data.as_ptr() as u64, n as u64, 0, 0];
        let e = run(&t, &al, &Symbols::new(), &mut slots);
        assert_eq!((e.snap, e.resume), (SnapId(0), 1));
        assert_eq!(slots[2] as i64, data[..n].iter().sum::<i64>());
        assert_eq!(slots[3], n as u64);
    }
    // dot_f64
    let xs: Vec<f64> = (0..50).map(|k| k as f64 * 0.5 - 3.0).collect();
    let ys: Vec<f64> = (0..50).map(|k| 1.0 / (k as f64 + 1.0)).collect();
    let (t, al) = load(include_str!("../../examples/kernels/dot_f64.tir"));
    for n in [0usize, 3, 50] {
        let mut slots = [xs.as_ptr() as u64, ys.as_ptr() as u64, n as u64, 0, 0];
        run(&t, &al, &Symbols::new(), &mut slots);
        let want = xs[..n].iter().zip(&ys[..n]).fold(0.0f64, |acc, (x, y)| acc + x * y);
        assert_eq!(slots[3], want.to_bits(), "n={n}");
        assert_eq!(slots[4], n as u64);
    }
    // memcpy_i64
    let (t, al) = load(include_str!("../../examples/kernels/memcpy_i64.tir"));
    let mut dst = vec![0i64; 100];
    let mut slots = [dst.as_mut_ptr() as u64, data.as_ptr() as u64, 60, 0];
    run(&t, &al, &Symbols::new(), &mut slots);
    assert_eq!(&dst[..60], &data[..60]);
    assert!(dst[60..].iter().all(|&x| x == 0));
    assert_eq!(slots[3], 60);
    // mix_guards: all done, a negative value, and an overflow.
    let (t, al) = load(include_str!("../../examples/kernels/mix_guards.tir"));
    let pos: Vec<i64> = (0..40).map(|k| k * 3 + 1).collect();
    let mut slots = [pos.as_ptr() as u64, 40, 0, 0, 0];
    let e = run(&t, &al, &Symbols::new(), &mut slots);
    assert_eq!(e.resume, 1);
    assert_eq!(slots[2] as i64, pos.iter().map(|x| x >> 1).sum::<i64>());
    assert_eq!(slots[3] as i64, pos.iter().filter(|&&x| x & 1 == 1).count() as i64);
    assert_eq!(slots[4], 40);
    let neg = [5i64, 6, -1, 7];
    let mut slots = [neg.as_ptr() as u64, 4, 0, 0, 0];
    let e = run(&t, &al, &Symbols::new(), &mut slots);
    assert_eq!((e.resume, slots[2], slots[3], slots[4]), (2, 5, 1, 2));
    let big = [i64::MAX, i64::MAX, i64::MAX];
    let mut slots = [big.as_ptr() as u64, 3, 0, 0, 0];
    let e = run(&t, &al, &Symbols::new(), &mut slots);
    assert_eq!((e.resume, slots[2], slots[4]), (2, (i64::MAX >> 1) as u64 * 2, 2));
}

/// Address arithmetic folded into loads and stores at every access size (index scaled by
/// the size, unscaled, constant offset), `and` folded into `tst`, and a compare handing its
/// flags to a select across unrelated instructions.
#[test]
fn fused_addressing_tst_and_select_compute_the_same_values() {
    for ty in [Type::I8, Type::I16, Type::I32, Type::I64, Type::F64] {
        let size = ty.bytes() as i64;
        let mut buf = vec![0u8; 4096];
        let base = buf.as_mut_ptr() as u64;
        let mut b = Builder::new();
        let p = b.input(0, Type::I64);
        let i = b.input(1, Type::I64);
        let v = b.input(2, ty);
        let sh = b.iconst(Type::I64, size.trailing_zeros() as i64);
        let off = b.bin(BinOp::Shl, i, sh);
        let a1 = b.bin(BinOp::Add, p, off);
        b.store(a1, 0, v);
        let a2 = b.bin(BinOp::Add, p, i);
        let r2 = b.load(ty, a2, 0, false);
        let k = b.iconst(Type::I64, 40);
        let a3 = b.bin(BinOp::Add, p, k);
        b.store(a3, 8, v);
        let a4 = b.bin(BinOp::Add, k, p);
        let r4 = b.load(ty, a4, 8, false);
        let s = b.snapshot(0, &[(3, r2), (4, r4)]);
        let t = b.exit(s);
        for al in [regs(&t), spilled(&t)] {
            buf.iter_mut().for_each(|x| *x = 0);
            let val = 0x8877_6655_4433_2211u64 & ty.mask();
            let mut slots = [base, 16, val, 0, 0];
            run(&t, &al, &Symbols::new(), &mut slots);
            let at = 16 * size as usize;
            assert_eq!(&buf[at..at + size as usize], &val.to_le_bytes()[..size as usize], "{ty}");
            assert_eq!(&buf[48..48 + size as usize], &val.to_le_bytes()[..size as usize], "{ty}");
            let want2 = u64::from_le_bytes(buf[16..24].try_into().unwrap()) & ty.mask();
            assert_eq!(slots[3], want2, "{ty}");
            assert_eq!(slots[4], val, "{ty}");
        }
    }
    // tst and a select that reads the flags of a compare three instructions earlier.
    let mut b = Builder::new();
    let x = b.input(0, Type::I32);
    let y = b.input(1, Type::I32);
    let m = b.iconst(Type::I32, 0x10);
    let and = b.bin(BinOp::And, x, m);
    let zero = b.iconst(Type::I32, 0);
    let c = b.icmp(ICmp::Ne, and, zero);
    let and2 = b.bin(BinOp::And, x, y);
    let c2 = b.icmp(ICmp::Eq, and2, zero);
    let lt = b.icmp(ICmp::Slt, x, y);
    let s1 = b.bin(BinOp::Add, x, y);
    let s2 = b.bin(BinOp::Mul, x, y);
    let sel = b.select(lt, s1, s2);
    let sel2 = b.select(c, x, y);
    let sel3 = b.select(c2, x, y);
    let s = b.snapshot(0, &[(2, sel), (3, sel2), (4, sel3)]);
    let t = b.exit(s);
    for al in [regs(&t), spilled(&t)] {
        for (p, q) in inputs(Type::I32) {
            let mut slots = [p, q, 0, 0, 0];
            run(&t, &al, &Symbols::new(), &mut slots);
            let want =
                if (p as i32) < (q as i32) { p.wrapping_add(q) } else { p.wrapping_mul(q) } & 0xffff_ffff;
            assert_eq!(slots[2], want);
            assert_eq!(slots[3], if p & 0x10 != 0 { p } else { q });
            assert_eq!(slots[4], if p & q == 0 { p } else { q });
        }
    }
}

/// When a value defined between an address `add` and its load reuses the register of an
/// operand of the add (legal: the operand died at the add), the add is not folded.
#[test]
fn address_folding_respects_registers_reused_in_between() {
    let data = [11i64, 22, 33, 44];
    let mut b = Builder::new();
    let p = b.input(0, Type::I64);
    let o = b.input(1, Type::I64);
    let a = b.bin(BinOp::Add, p, o);
    let one = b.iconst(Type::I64, 1);
    let z = b.bin(BinOp::Add, o, one);
    let v = b.load(Type::I64, a, 0, false);
    let s = b.snapshot(0, &[(2, v), (3, z)]);
    let t = b.exit(s);
    let mut al = regs(&t);
    al.locs[z.index()] = al.locs[p.index()];
    let mut slots = [data.as_ptr() as u64, 16, 0, 0];
    run(&t, &al, &Symbols::new(), &mut slots);
    assert_eq!((slots[2], slots[3]), (33, 17));
}

#[test]
fn traces_over_a_mebibyte_still_reach_their_exits() {
    let (t, al) = huge_trace(270_000);
    let mut j = A64::new();
    let id = install(&mut j, &t, &al, &Symbols::new());
    let mut slots = [5];
    let e = j.run_checked(id, &mut slots).unwrap();
    assert_eq!((e.snap, slots[0]), (SnapId(1), 270_005));
    let mut slots = [20];
    let e = j.run_checked(id, &mut slots).unwrap();
    assert_eq!((e.snap, e.resume, slots[0]), (SnapId(0), 1, 20));
}

/// Pointer-walking loops (`load [q]` ... `q1 = add q, size`) with the shared allocator: the
/// access post-increments `q` unless something between reads `q` (here a guard's snapshot).
#[test]
fn post_indexed_walks_at_every_type() {
    use trace_ir::backend::Backend;
    for ty in [Type::I8, Type::I16, Type::I32, Type::I64, Type::F64] {
        for snap_reads_q in [false, true] {
            let mut b = Builder::new();
            let src = b.input(0, Type::I64);
            let dst = b.input(1, Type::I64);
            let n = b.input(2, Type::I64);
            let zero = b.iconst(Type::I64, 0);
            let one = b.iconst(Type::I64, 1);
            let size = b.iconst(Type::I64, ty.bytes() as i64);
            let p = b.begin_loop(&[zero, src, dst]);
            let c = b.icmp(ICmp::Slt, p[0], n);
            let s0 = b.snapshot(1, &[(3, p[0])]);
            b.guard(c, s0);
            let v = b.load(ty, p[1], 0, false);
            if snap_reads_q {
                let big = b.iconst(Type::I64, 10);
                let c2 = b.icmp(ICmp::Slt, p[0], big);
                let s1 = b.snapshot(2, &[(3, p[0]), (4, p[1])]);
                b.guard(c2, s1);
            }
            b.store(p[2], 0, v);
            let q1 = b.bin(BinOp::Add, p[1], size);
            let r1 = b.bin(BinOp::Add, p[2], size);
            let i1 = b.bin(BinOp::Add, p[0], one);
            let t = b.jump(&[i1, q1, r1]);
            let al = shared(&t);
            let listing = A64::new().listing(&t, &al, &Symbols::new()).unwrap();
            let posts = listing.lines().filter(|l| l.contains("], #")).count();
            if !snap_reads_q {
                assert_eq!(posts, 2, "{ty}: both accesses post-indexed\n{listing}");
            } else {
                assert!(posts <= 1, "{ty}: the load must not post-increment\n{listing}");
            }
            let src_buf: Vec<u8> = (0..200u8).collect();
            let mut dst_buf = vec![0u8; 200];
            let mut slots = [src_buf.as_ptr() as u64, dst_buf.as_mut_ptr() as u64, 20, 0, 0];
            let e = run(&t, &al, &Symbols::new(), &mut slots);
            // With the second guard the walk stops at i = 10, and its snapshot holds q then.
            let k = if snap_reads_q { 10 } else { 20 };
            assert_eq!(e.resume, if snap_reads_q { 2 } else { 1 });
            let bytes = k as usize * ty.bytes() as usize;
            assert_eq!(&dst_buf[..bytes], &src_buf[..bytes], "{ty}");
            assert!(dst_buf[bytes..].iter().all(|&x| x == 0), "{ty}");
            assert_eq!(slots[3], k);
            if snap_reads_q {
                assert_eq!(slots[4], src_buf.as_ptr() as u64 + bytes as u64, "{ty}");
            }
        }
    }
}

/// Sign-bit guards (`icmp.slt x, 0` / `icmp.sge x, 0` then `guard`/`guard.not`) at every
/// integer type, in registers and spilled, near and beyond the reach of tbz.
#[test]
fn sign_bit_guards_take_the_right_exit() {
    for ty in [Type::I8, Type::I16, Type::I32, Type::I64] {
        for cc in [ICmp::Slt, ICmp::Sge] {
            for expect in [true, false] {
                let mut b = Builder::new();
                let x = b.input(0, ty);
                let z = b.konst(ty, 0);
                let c = b.icmp(cc, x, z);
                let s0 = b.snapshot(1, &[(1, x)]);
                if expect {
                    b.guard(c, s0)
                } else {
                    b.guard_not(c, s0)
                }
                let s1 = b.snapshot(2, &[]);
                let t = b.exit(s1);
                for al in [regs(&t), spilled(&t)] {
                    let mut j = A64::new();
                    let id = install(&mut j, &t, &al, &Symbols::new());
                    for v in samples(ty) {
                        let mut slots = [v, 0];
                        let e = j.run_checked(id, &mut slots).unwrap();
                        let stays = eval_icmp(cc, ty, v, 0) == expect;
                        assert_eq!(
                            e.snap,
                            SnapId(if stays { 1 } else { 0 }),
                            "{ty} {} {v:#x} {expect}",
                            cc.name()
                        );
                        if !stays {
                            assert_eq!(slots[1], v);
                        }
                    }
                }
            }
        }
    }
    let (t, al) = huge_trace_against(10_000, 0);
    let mut j = A64::new();
    let id = install(&mut j, &t, &al, &Symbols::new());
    let mut slots = [(-5i64) as u64];
    assert_eq!(j.run_checked(id, &mut slots).unwrap().snap, SnapId(1));
    assert_eq!(slots[0], 9995);
    let mut slots = [5];
    assert_eq!(j.run_checked(id, &mut slots).unwrap().snap, SnapId(0));
}

/// The twin of the x86-64 test: in a loop without parameters, a load from before the loop
/// is read once, and a compare from before the loop is not redone at the loop's first guard
/// from registers the loop reuses (`plan_fusions` refuses fusions across the loop start).
#[test]
fn fusions_do_not_cross_into_a_loop_without_parameters() {
    for (name, al_of) in [("regs", regs as fn(&Trace) -> Allocation), ("spilled", spilled)] {
        let mut b = Builder::new();
        let p = b.input(0, Type::I64);
        let zero = b.iconst(Type::I64, 0);
        let one = b.iconst(Type::I64, 1);
        let ten = b.iconst(Type::I64, 10);
        let lim = b.load(Type::I64, p, 0, false);
        b.begin_loop(&[]);
        let c = b.icmp(ICmp::Sgt, lim, zero);
        let s0 = b.snapshot(1, &[]);
        b.guard(c, s0);
        let x = b.load(Type::I64, p, 8, false);
        let x1 = b.bin(BinOp::Add, x, one);
        b.store(p, 8, x1);
        b.store(p, 0, zero);
        let d = b.icmp(ICmp::Slt, x1, ten);
        let s1 = b.snapshot(2, &[(1, x1)]);
        b.guard(d, s1);
        let t = b.jump(&[]);
        let mut buf = [5u64, 0];
        let mut slots = [buf.as_mut_ptr() as u64, 0];
        let e = run(&t, &al_of(&t), &Symbols::new(), &mut slots);
        assert_eq!((e.resume, slots[1], buf), (2, 10, [0, 10]), "load {name}");

        let mut b = Builder::new();
        let p = b.input(0, Type::I64);
        let a = b.input(1, Type::I64);
        let one = b.iconst(Type::I64, 1);
        let ten = b.iconst(Type::I64, 10);
        let a1 = b.bin(BinOp::Add, a, one); // dies at the compare, unlike an input
        let c = b.icmp(ICmp::Eq, a1, one);
        b.begin_loop(&[]);
        let s0 = b.snapshot(1, &[]);
        b.guard(c, s0);
        let x = b.load(Type::I64, p, 0, false);
        let x1 = b.bin(BinOp::Add, x, one);
        b.store(p, 0, x1);
        let d = b.icmp(ICmp::Slt, x1, ten);
        let s1 = b.snapshot(2, &[(1, x1)]);
        b.guard(d, s1);
        let t = b.jump(&[]);
        // The loop's values take the location of %a1, which is dead there.
        let mut al = al_of(&t);
        al.locs[x.index()] = al.locs[a1.index()];
        al.locs[x1.index()] = al.locs[a1.index()];
        let mut buf = [0u64];
        let mut slots = [buf.as_mut_ptr() as u64, 0];
        let e = run(&t, &al, &Symbols::new(), &mut slots);
        assert_eq!((e.resume, slots[1], buf), (2, 10, [10]), "compare {name}");
    }
}
