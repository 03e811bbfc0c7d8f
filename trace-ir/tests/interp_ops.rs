//! The reference interpreter, op family by op family, with the edge cases backends get wrong.

use trace_ir::interp::{run, Env, Exit, InterpError, MemRegion};
use trace_ir::*;

/// Builds a trace whose exit snapshot writes the value `f` returns to slot 0, runs it on
/// `slots` and returns slot 0.
fn eval(slots: &[u64], f: impl FnOnce(&mut Builder) -> Value) -> Result<u64, InterpError> {
    let mut b = Builder::new();
    let r = f(&mut b);
    let s = b.snapshot(9, &[(0, r)]);
    let t = b.exit(s);
    let mut sl = slots.to_vec();
    let syms = Symbols::new();
    let e = run(&t, &mut sl, &Env::new(&syms))?;
    assert_eq!(e, Exit { trace: 0, snap: s, resume: 9 });
    Ok(sl[0])
}

fn bin(ty: Type, op: BinOp, a: i64, b: i64) -> Result<u64, InterpError> {
    eval(&[0], |bl| {
        let x = bl.iconst(ty, a);
        let y = bl.iconst(ty, b);
        bl.bin(op, x, y)
    })
}

fn fbin(op: BinOp, a: f64, b: f64) -> f64 {
    f64::from_bits(
        eval(&[0], |bl| {
            let x = bl.fconst(a);
            let y = bl.fconst(b);
            bl.bin(op, x, y)
        })
        .unwrap(),
    )
}

#[test]
fn integer_arithmetic_wraps_in_its_width() {
    assert_eq!(bin(Type::I8, BinOp::Add, 200, 100), Ok(44));
    assert_eq!(bin(Type::I8, BinOp::Sub, 0, 1), Ok(0xff));
    assert_eq!(bin(Type::I16, BinOp::Mul, 0x100, 0x100), Ok(0));
    assert_eq!(bin(Type::I16, BinOp::Mul, -3, 5), Ok(0xfff1));
    assert_eq!(bin(Type::I32, BinOp::Sub, 0, 1), Ok(0xffff_ffff));
    assert_eq!(bin(Type::I64, BinOp::Add, i64::MAX, 1), Ok(i64::MIN as u64));
    assert_eq!(bin(Type::I1, BinOp::Add, 1, 1), Ok(0));
    assert_eq!(bin(Type::I8, BinOp::And, 0xf0, 0x3c), Ok(0x30));
    assert_eq!(bin(Type::I8, BinOp::Or, 0xf0, 0x0c), Ok(0xfc));
    assert_eq!(bin(Type::I8, BinOp::Xor, 0xff, 0x0f), Ok(0xf0));
}

#[test]
fn shift_counts_are_taken_modulo_the_width() {
    assert_eq!(bin(Type::I8, BinOp::Shl, 1, 9), Ok(2));
    assert_eq!(bin(Type::I8, BinOp::Shl, 0x81, 1), Ok(2));
    assert_eq!(bin(Type::I32, BinOp::LShr, 0x8000_0000, 32), Ok(0x8000_0000));
    assert_eq!(bin(Type::I32, BinOp::LShr, 0x8000_0000, 31), Ok(1));
    assert_eq!(bin(Type::I64, BinOp::Shl, 1, 64), Ok(1));
    assert_eq!(bin(Type::I64, BinOp::Shl, 1, 63), Ok(1 << 63));
    assert_eq!(bin(Type::I8, BinOp::AShr, 0x80, 7), Ok(0xff));
    assert_eq!(bin(Type::I8, BinOp::AShr, 0x80, 8), Ok(0x80));
    assert_eq!(bin(Type::I16, BinOp::AShr, 0x4000, 14), Ok(1));
    assert_eq!(bin(Type::I64, BinOp::AShr, i64::MIN, 65), Ok(0xc000_0000_0000_0000));
    // A count that is negative in its own width is a large unsigned count, still modulo.
    assert_eq!(bin(Type::I8, BinOp::Shl, 1, -1), Ok(0x80));
}

#[test]
fn division_is_signed_or_unsigned_in_the_width_and_undefined_cases_are_errors() {
    assert_eq!(bin(Type::I8, BinOp::SDiv, -128, 2), Ok(0xc0));
    assert_eq!(bin(Type::I8, BinOp::UDiv, -128, 2), Ok(0x40));
    assert_eq!(bin(Type::I8, BinOp::SRem, -7, 2), Ok(0xff));
    assert_eq!(bin(Type::I8, BinOp::URem, -7, 2), Ok(1));
    assert_eq!(bin(Type::I32, BinOp::SDiv, 7, -2), Ok(0xffff_fffd));
    assert_eq!(bin(Type::I64, BinOp::SDiv, i64::MIN, 2), Ok((i64::MIN / 2) as u64));
    assert_eq!(bin(Type::I8, BinOp::SDiv, -128, -1), Err(InterpError::DivOverflow));
    assert_eq!(bin(Type::I8, BinOp::SRem, -128, -1), Err(InterpError::DivOverflow));
    assert_eq!(bin(Type::I64, BinOp::SDiv, i64::MIN, -1), Err(InterpError::DivOverflow));
    assert_eq!(bin(Type::I16, BinOp::SDiv, -32767, -1), Ok(32767));
    assert_eq!(bin(Type::I8, BinOp::UDiv, -128, -1), Ok(0));
    for op in [BinOp::SDiv, BinOp::UDiv, BinOp::SRem, BinOp::URem] {
        assert_eq!(bin(Type::I32, op, 5, 0), Err(InterpError::DivByZero), "{op:?}");
    }
}

#[test]
fn unary_integer_ops_stay_canonical() {
    let un = |ty: Type, op: UnOp, a: i64| {
        eval(&[0], |b| {
            let x = b.iconst(ty, a);
            b.un(op, x)
        })
    };
    assert_eq!(un(Type::I8, UnOp::Neg, -128), Ok(0x80));
    assert_eq!(un(Type::I8, UnOp::Neg, 1), Ok(0xff));
    assert_eq!(un(Type::I16, UnOp::Not, 0), Ok(0xffff));
    assert_eq!(un(Type::I64, UnOp::Neg, i64::MIN), Ok(i64::MIN as u64));
    assert_eq!(un(Type::I1, UnOp::Not, 1), Ok(0));
}

/// Runs `a OP b` overflow-checked; `Ok(Some(r))` when it stays in the trace.
fn ovf(ty: Type, op: OvfOp, a: i64, b: i64) -> Option<u64> {
    let mut bl = Builder::new();
    let x = bl.iconst(ty, a);
    let y = bl.iconst(ty, b);
    let s0 = bl.snapshot(1, &[(1, x)]);
    let r = bl.ovf(op, x, y, s0);
    let s1 = bl.snapshot(2, &[(0, r)]);
    let t = bl.exit(s1);
    let mut slots = [0u64, 0];
    let syms = Symbols::new();
    let e = run(&t, &mut slots, &Env::new(&syms)).unwrap();
    if e.snap == s0 {
        assert_eq!((e.resume, slots), (1, [0, a as u64 & ty.mask()]));
        None
    } else {
        assert_eq!(e.resume, 2);
        Some(slots[0])
    }
}

#[test]
fn overflow_checked_ops_leave_exactly_on_signed_overflow_of_their_width() {
    assert_eq!(ovf(Type::I8, OvfOp::Add, 126, 1), Some(127));
    assert_eq!(ovf(Type::I8, OvfOp::Add, 127, 1), None);
    assert_eq!(ovf(Type::I8, OvfOp::Add, -128, -1), None);
    assert_eq!(ovf(Type::I8, OvfOp::Sub, -127, 1), Some(0x80));
    assert_eq!(ovf(Type::I8, OvfOp::Sub, -128, 1), None);
    assert_eq!(ovf(Type::I8, OvfOp::Sub, 0, -128), None);
    assert_eq!(ovf(Type::I16, OvfOp::Mul, 181, 181), Some(32761));
    assert_eq!(ovf(Type::I16, OvfOp::Mul, 182, 181), None);
    assert_eq!(ovf(Type::I16, OvfOp::Mul, -128, 256), Some(0x8000));
    assert_eq!(ovf(Type::I32, OvfOp::Add, i32::MAX as i64, 0), Some(0x7fff_ffff));
    assert_eq!(ovf(Type::I32, OvfOp::Add, i32::MAX as i64, 1), None);
    assert_eq!(ovf(Type::I32, OvfOp::Mul, -1, i32::MIN as i64), None);
    assert_eq!(ovf(Type::I64, OvfOp::Add, i64::MAX, 1), None);
    assert_eq!(ovf(Type::I64, OvfOp::Sub, i64::MIN, 1), None);
    assert_eq!(ovf(Type::I64, OvfOp::Mul, i64::MIN, -1), None);
    assert_eq!(ovf(Type::I64, OvfOp::Mul, i64::MIN, 1), Some(i64::MIN as u64));
    assert_eq!(ovf(Type::I64, OvfOp::Add, -1, 1), Some(0));
    // i1 holds -1 and 0: 1 + 1 is -2.
    assert_eq!(ovf(Type::I1, OvfOp::Add, 1, 1), None);
    assert_eq!(ovf(Type::I1, OvfOp::Add, 1, 0), Some(1));
}

fn icmp(ty: Type, c: ICmp, a: i64, b: i64) -> u64 {
    eval(&[0], |bl| {
        let x = bl.iconst(ty, a);
        let y = bl.iconst(ty, b);
        bl.icmp(c, x, y)
    })
    .unwrap()
}

#[test]
fn signed_comparisons_sign_extend_from_the_width() {
    assert_eq!(icmp(Type::I8, ICmp::Slt, -128, 127), 1);
    assert_eq!(icmp(Type::I8, ICmp::Ult, -128, 127), 0);
    assert_eq!(icmp(Type::I16, ICmp::Sgt, -1, 0), 0);
    assert_eq!(icmp(Type::I16, ICmp::Ugt, -1, 0), 1);
    assert_eq!(icmp(Type::I32, ICmp::Sle, i32::MIN as i64, i32::MIN as i64), 1);
    assert_eq!(icmp(Type::I32, ICmp::Sge, -5, -4), 0);
    assert_eq!(icmp(Type::I64, ICmp::Uge, -1, 1), 1);
    assert_eq!(icmp(Type::I64, ICmp::Ule, -1, 1), 0);
    assert_eq!(icmp(Type::I1, ICmp::Slt, 1, 0), 1);
    assert_eq!(icmp(Type::I8, ICmp::Eq, -1, 255), 1);
    assert_eq!(icmp(Type::I8, ICmp::Ne, -1, 254), 1);
}

fn fcmp(c: FCmp, a: f64, b: f64) -> u64 {
    eval(&[0], |bl| {
        let x = bl.fconst(a);
        let y = bl.fconst(b);
        bl.fcmp(c, x, y)
    })
    .unwrap()
}

#[test]
fn float_comparisons_are_ordered_except_ne_and_uno() {
    let nan = f64::NAN;
    for (c, want) in [
        (FCmp::Eq, 0),
        (FCmp::Ne, 1),
        (FCmp::Lt, 0),
        (FCmp::Le, 0),
        (FCmp::Gt, 0),
        (FCmp::Ge, 0),
        (FCmp::Uno, 1),
    ] {
        assert_eq!(fcmp(c, nan, 1.0), want, "{c:?} nan 1");
        assert_eq!(fcmp(c, 1.0, nan), want, "{c:?} 1 nan");
        assert_eq!(fcmp(c, nan, nan), want, "{c:?} nan nan");
    }
    assert_eq!(fcmp(FCmp::Eq, -0.0, 0.0), 1);
    assert_eq!(fcmp(FCmp::Lt, -0.0, 0.0), 0);
    assert_eq!(fcmp(FCmp::Uno, 1.0, f64::INFINITY), 0);
    assert_eq!(fcmp(FCmp::Lt, f64::NEG_INFINITY, -1e308), 1);
    assert_eq!(fcmp(FCmp::Ge, 2.0, 2.0), 1);
}

#[test]
fn float_arithmetic_is_ieee_and_sign_ops_are_bit_operations() {
    assert_eq!(fbin(BinOp::FAdd, 0.1, 0.2), 0.1 + 0.2);
    assert_eq!(fbin(BinOp::FSub, 0.0, 0.0).to_bits(), 0);
    assert_eq!(fbin(BinOp::FMul, -0.0, 5.0).to_bits(), (-0.0f64).to_bits());
    assert_eq!(fbin(BinOp::FDiv, 1.0, 0.0), f64::INFINITY);
    assert_eq!(fbin(BinOp::FDiv, 1.0, -0.0), f64::NEG_INFINITY);
    assert!(fbin(BinOp::FDiv, 0.0, 0.0).is_nan());
    let un = |op: UnOp, bits: u64| {
        eval(&[0], |b| {
            let x = b.konst(Type::F64, bits);
            b.un(op, x)
        })
        .unwrap()
    };
    let qnan = 0x7ff8_0000_0000_0001;
    assert_eq!(un(UnOp::FNeg, qnan), qnan | 1 << 63);
    assert_eq!(un(UnOp::FAbs, qnan | 1 << 63), qnan);
    assert_eq!(un(UnOp::FNeg, 0), (-0.0f64).to_bits());
    assert_eq!(un(UnOp::FAbs, (-0.0f64).to_bits()), 0);
    assert_eq!(un(UnOp::FSqrt, 2.0f64.to_bits()), 2.0f64.sqrt().to_bits());
    assert_eq!(un(UnOp::FSqrt, (-0.0f64).to_bits()), (-0.0f64).to_bits());
    assert!(f64::from_bits(un(UnOp::FSqrt, (-1.0f64).to_bits())).is_nan());
}

fn conv(c: Conv, from: Type, to: Type, bits: u64) -> Result<u64, InterpError> {
    eval(&[0], |b| {
        let x = b.konst(from, bits);
        b.conv(c, x, to)
    })
}

#[test]
fn conversions_extend_truncate_and_convert() {
    assert_eq!(conv(Conv::SExt, Type::I8, Type::I64, 0x80), Ok(0xffff_ffff_ffff_ff80));
    assert_eq!(conv(Conv::SExt, Type::I8, Type::I32, 0x7f), Ok(0x7f));
    assert_eq!(conv(Conv::SExt, Type::I1, Type::I16, 1), Ok(0xffff));
    assert_eq!(conv(Conv::ZExt, Type::I8, Type::I64, 0x80), Ok(0x80));
    assert_eq!(conv(Conv::ZExt, Type::I1, Type::I32, 1), Ok(1));
    assert_eq!(conv(Conv::Trunc, Type::I64, Type::I8, 0x1234), Ok(0x34));
    assert_eq!(conv(Conv::Trunc, Type::I32, Type::I1, 3), Ok(1));
    assert_eq!(conv(Conv::SIToFP, Type::I8, Type::F64, 0xff), Ok((-1.0f64).to_bits()));
    assert_eq!(
        conv(Conv::SIToFP, Type::I64, Type::F64, i64::MAX as u64),
        Ok(9.223372036854776e18f64.to_bits())
    );
    assert_eq!(conv(Conv::SIToFP, Type::I32, Type::F64, 0x8000_0000), Ok((-2147483648.0f64).to_bits()));
    let fp = |x: f64, to: Type| conv(Conv::FPToSI, Type::F64, to, x.to_bits());
    assert_eq!(fp(-1.5, Type::I8), Ok(0xff));
    assert_eq!(fp(127.9, Type::I8), Ok(127));
    assert_eq!(fp(-128.9, Type::I8), Ok(0x80));
    assert_eq!(fp(128.0, Type::I8), Err(InterpError::FpToSiOutOfRange));
    assert_eq!(fp(-129.0, Type::I8), Err(InterpError::FpToSiOutOfRange));
    assert_eq!(fp(-0.0, Type::I32), Ok(0));
    assert_eq!(fp(f64::NAN, Type::I64), Err(InterpError::FpToSiOutOfRange));
    assert_eq!(fp(f64::INFINITY, Type::I64), Err(InterpError::FpToSiOutOfRange));
    assert_eq!(fp(9.223372036854776e18, Type::I64), Err(InterpError::FpToSiOutOfRange));
    assert_eq!(fp(-9.223372036854776e18, Type::I64), Ok(i64::MIN as u64));
    assert_eq!(fp(2147483647.5, Type::I32), Ok(0x7fff_ffff));
    assert_eq!(conv(Conv::Bitcast, Type::F64, Type::I64, (-0.0f64).to_bits()), Ok(1 << 63));
    assert_eq!(conv(Conv::Bitcast, Type::I64, Type::F64, 0x7ff0_0000_0000_0000), Ok(f64::INFINITY.to_bits()));
}

#[test]
fn select_picks_by_its_condition() {
    for (c, want) in [(1, 10), (0, 20)] {
        let got = eval(&[c], |b| {
            let cond = b.input(0, Type::I1);
            let x = b.iconst(Type::I16, 10);
            let y = b.iconst(Type::I16, 20);
            b.select(cond, x, y)
        });
        assert_eq!(got, Ok(want));
    }
}

#[test]
fn inputs_read_the_low_bits_of_their_slot() {
    assert_eq!(eval(&[0x1ff], |b| b.input(0, Type::I8)), Ok(0xff));
    assert_eq!(eval(&[0xfffe], |b| b.input(0, Type::I1)), Ok(0));
    assert_eq!(eval(&[u64::MAX], |b| b.input(0, Type::I32)), Ok(0xffff_ffff));
    // An i1 written by a snapshot is 0 or 1.
    assert_eq!(
        eval(&[3], |b| {
            let x = b.input(0, Type::I8);
            let y = b.iconst(Type::I8, 3);
            b.icmp(ICmp::Eq, x, y)
        }),
        Ok(1)
    );
}

#[test]
fn guards_leave_through_their_snapshot_and_keep_unnamed_slots() {
    for (x, expect_true, want_exit) in [(5, true, 1), (5, false, 0), (0, true, 0), (0, false, 1)] {
        let mut b = Builder::new();
        let i = b.input(0, Type::I64);
        let z = b.iconst(Type::I64, 0);
        let c = b.icmp(ICmp::Ne, i, z);
        let s0 = b.snapshot(100, &[(1, z)]);
        if expect_true {
            b.guard(c, s0);
        } else {
            b.guard_not(c, s0);
        }
        let s1 = b.snapshot(200, &[(1, i)]);
        let t = b.exit(s1);
        let mut slots = [x, 77, 88];
        let syms = Symbols::new();
        let e = run(&t, &mut slots, &Env::new(&syms)).unwrap();
        assert_eq!(e.snap.0, want_exit);
        assert_eq!(slots, [x, if want_exit == 0 { 0 } else { x }, 88]);
    }
}

/// sum = 0 + 1 + ... + (n-1), leaving through the loop guard.
fn sum_to_n() -> Trace {
    let mut b = Builder::named("sum_to_n");
    let n = b.input(0, Type::I64);
    let zero = b.iconst(Type::I64, 0);
    let one = b.iconst(Type::I64, 1);
    let p = b.begin_loop(&[zero, zero]);
    let c = b.icmp(ICmp::Slt, p[0], n);
    let s = b.snapshot(7, &[(0, p[0]), (1, p[1])]);
    b.guard(c, s);
    let acc = b.bin(BinOp::Add, p[1], p[0]);
    let i = b.bin(BinOp::Add, p[0], one);
    b.jump(&[i, acc])
}

#[test]
fn loops_run_until_a_guard_fails() {
    let t = sum_to_n();
    let syms = Symbols::new();
    let mut slots = [100, 0];
    let e = run(&t, &mut slots, &Env::new(&syms)).unwrap();
    assert_eq!(e, Exit { trace: 0, snap: SnapId(0), resume: 7 });
    assert_eq!(slots, [100, 4950]);
    let mut slots = [0, 5];
    run(&t, &mut slots, &Env::new(&syms)).unwrap();
    assert_eq!(slots, [0, 0]);
}

#[test]
fn the_step_limit_stops_long_and_endless_loops() {
    let t = sum_to_n();
    let syms = Symbols::new();
    let mut slots = [1_000_000, 0];
    let env = Env::new(&syms).with_step_limit(1000);
    assert_eq!(run(&t, &mut slots, &env), Err(InterpError::StepLimit));
    // A loop whose body is empty still counts its back edges.
    let mut b = Builder::new();
    let z = b.iconst(Type::I64, 0);
    let p = b.begin_loop(&[z]);
    let s = b.snapshot(0, &[]);
    let _ = s;
    let t = b.jump(&p);
    assert_eq!(run(&t, &mut [0], &env), Err(InterpError::StepLimit));
}

/// Runs `t` on another thread, so that a run that never ends fails the test instead of
/// hanging it.
fn run_or_hang(t: Trace, mut slots: Vec<u64>, step_limit: u64) -> Result<(Exit, Vec<u64>), InterpError> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let syms = Symbols::new();
        let r = run(&t, &mut slots, &Env::new(&syms).with_step_limit(step_limit));
        let _ = tx.send(r.map(|e| (e, slots)));
    });
    rx.recv_timeout(std::time::Duration::from_secs(20)).expect("the interpreter did not return")
}

#[test]
fn a_loop_without_parameters_runs_its_body_and_counts_its_steps() {
    // The body starts at the header itself: entering the loop must not be mistaken for
    // entering it again.
    let t = text::parse(
        "%a = input 0 : i64
%five = const 5 : i64
%one = const 1 : i64
loop ()
  %b = add %a, %one
  snap0 @resume(3) { 0: %b }
  %c = icmp.eq %a, %five
  guard %c, snap0
  jump ()
",
    )
    .unwrap();
    verify::verify(&t).unwrap();
    let (e, slots) = run_or_hang(t.clone(), vec![7], 1000).unwrap();
    assert_eq!(e, Exit { trace: 0, snap: SnapId(0), resume: 3 });
    assert_eq!(slots, [8]);
    assert_eq!(run_or_hang(t, vec![5], 1000).unwrap_err(), InterpError::StepLimit);
}

#[test]
fn loop_carried_values_are_swapped_simultaneously() {
    let mut b = Builder::new();
    let n = b.input(0, Type::I64);
    let x = b.input(1, Type::I64);
    let y = b.input(2, Type::I64);
    let zero = b.iconst(Type::I64, 0);
    let one = b.iconst(Type::I64, 1);
    let p = b.begin_loop(&[zero, x, y]);
    let c = b.icmp(ICmp::Ult, p[0], n);
    let s = b.snapshot(0, &[(1, p[1]), (2, p[2])]);
    b.guard(c, s);
    let i = b.bin(BinOp::Add, p[0], one);
    let t = b.jump(&[i, p[2], p[1]]);
    let syms = Symbols::new();
    for (n, want) in [(0, [0, 10, 20]), (1, [1, 20, 10]), (2, [2, 10, 20]), (5, [5, 20, 10])] {
        let mut slots = [n, 10, 20];
        run(&t, &mut slots, &Env::new(&syms)).unwrap();
        assert_eq!(slots, want, "n = {n}");
    }
}

#[test]
fn loads_and_stores_touch_real_unaligned_memory_inside_the_regions_only() {
    let mut buf = [0u8; 16];
    let region = [MemRegion::of(&mut buf)];
    let mut b = Builder::new();
    let p = b.input(0, Type::I64);
    let v = b.iconst(Type::I32, 0x1122_3344);
    b.store(p, 3, v);
    let w = b.iconst(Type::I16, 0xaabb);
    b.store(p, 9, w);
    let f = b.fconst(-2.5);
    let eight = b.iconst(Type::I64, 8);
    let q = b.bin(BinOp::Add, p, eight);
    b.store(q, -7, f);
    let l8 = b.load(Type::I8, p, 3, false);
    let l64 = b.load(Type::I64, p, 8, false);
    let lf = b.load(Type::F64, q, -7, false);
    let s = b.snapshot(0, &[(1, l8), (2, l64), (3, lf)]);
    let t = b.exit(s);
    let syms = Symbols::new();
    let mut slots = [region[0].base(), 0, 0, 0];
    run(&t, &mut slots, &Env::new(&syms).with_memory(&region)).unwrap();
    let mut want = [0u8; 16];
    want[3..7].copy_from_slice(&0x1122_3344u32.to_ne_bytes());
    want[9..11].copy_from_slice(&0xaabbu16.to_ne_bytes());
    want[1..9].copy_from_slice(&(-2.5f64).to_bits().to_ne_bytes());
    assert_eq!(buf, want);
    assert_eq!(slots[1], want[3] as u64);
    assert_eq!(slots[2], u64::from_ne_bytes(want[8..16].try_into().unwrap()));
    assert_eq!(f64::from_bits(slots[3]), -2.5);
}

#[test]
fn memory_outside_every_region_is_a_typed_error() {
    let mut buf = [0u8; 8];
    let region = [MemRegion::of(&mut buf)];
    let base = region[0].base();
    let syms = Symbols::new();
    for (disp, ty, ok) in
        [(0, Type::I64, true), (1, Type::I64, false), (7, Type::I8, true), (-1, Type::I8, false)]
    {
        let mut b = Builder::new();
        let p = b.input(0, Type::I64);
        let l = b.load(ty, p, disp, false);
        let s = b.snapshot(0, &[(1, l)]);
        let t = b.exit(s);
        let r = run(&t, &mut [base, 0], &Env::new(&syms).with_memory(&region));
        if ok {
            assert!(r.is_ok(), "{disp} {ty}");
        } else {
            let want = InterpError::OutOfBounds {
                addr: base.wrapping_add(disp as i64 as u64),
                len: ty.bytes() as usize,
            };
            assert_eq!(r, Err(want));
        }
    }
    // No region at all: a null-based store is refused, not performed.
    let mut b = Builder::new();
    let p = b.input(0, Type::I64);
    b.store(p, 0, p);
    let s = b.snapshot(0, &[]);
    let t = b.exit(s);
    assert_eq!(run(&t, &mut [0], &Env::new(&syms)), Err(InterpError::OutOfBounds { addr: 0, len: 8 }));
}

#[test]
fn calls_run_models_by_name_or_by_address() {
    let mut syms = Symbols::new();
    syms.define("add3", 0x1000, |a| a[0].wrapping_add(a[1]).wrapping_add(a[2]));
    syms.define("wide", 0x2000, |_| u64::MAX);
    syms.define_native("nomodel", 0x3000);
    let build = |callee: Callee, ret: Type| {
        let mut b = Builder::new();
        let x = b.input(0, Type::I64);
        let y = b.iconst(Type::I64, 2);
        let r = b.call(Some(ret), callee, &[x, y, y], CallEffect::Pure);
        let s = b.snapshot(0, &[(1, r)]);
        b.exit(s)
    };
    let env = Env::new(&syms);
    let mut slots = [10, 0];
    run(&build(Callee::Symbol("add3".into()), Type::I64), &mut slots, &env).unwrap();
    assert_eq!(slots[1], 14);
    // Through a computed address (slot 0 holds it, and is also the first argument).
    let mut slots = [0x1000, 0];
    run(&build(Callee::Value(Value(0)), Type::I64), &mut slots, &env).unwrap();
    assert_eq!(slots[1], 0x1004);
    // The result is masked to the call's type.
    let mut slots = [0, 0];
    run(&build(Callee::Symbol("wide".into()), Type::I16), &mut slots, &env).unwrap();
    assert_eq!(slots[1], 0xffff);
    let t = build(Callee::Symbol("nope".into()), Type::I64);
    assert_eq!(run(&t, &mut [0, 0], &env), Err(InterpError::UnknownSymbol("nope".into())));
    let t = build(Callee::Symbol("nomodel".into()), Type::I64);
    assert_eq!(run(&t, &mut [0, 0], &env), Err(InterpError::NoModel("nomodel".into())));
    let t = build(Callee::Value(Value(0)), Type::I64);
    assert_eq!(run(&t, &mut [0x5000, 0], &env), Err(InterpError::UnknownAddress(0x5000)));
}

#[test]
fn link_writes_the_snapshot_and_continues_in_the_target_trace() {
    // Trace 1 doubles slot 0 and links to trace 2, which adds 1 and exits.
    let mut b = Builder::new();
    let x = b.input(0, Type::I64);
    let d = b.bin(BinOp::Add, x, x);
    let s = b.snapshot(0, &[(0, d)]);
    let t1 = b.link(2, s);
    let mut b = Builder::new();
    let x = b.input(0, Type::I32);
    let one = b.iconst(Type::I32, 1);
    let y = b.bin(BinOp::Add, x, one);
    let s = b.snapshot(55, &[(1, y)]);
    let t2 = b.exit(s);
    let syms = Symbols::new();
    let traces = [(2, &t2)];
    let env = Env { self_id: 1, ..Env::new(&syms).with_traces(&traces) };
    let mut slots = [0x8000_0005, 0];
    let e = run(&t1, &mut slots, &env).unwrap();
    assert_eq!(e, Exit { trace: 2, snap: SnapId(0), resume: 55 });
    assert_eq!(slots, [0x1_0000_000a, 0xb]);
    let env = Env::new(&syms);
    assert_eq!(run(&t1, &mut slots, &env), Err(InterpError::UnknownTrace(2)));
    // A trace linking to itself loops until the step limit.
    let mut b = Builder::new();
    let x = b.input(0, Type::I64);
    let s = b.snapshot(0, &[(0, x)]);
    let t = b.link(0, s);
    assert_eq!(run(&t, &mut [1], &env.with_step_limit(50)), Err(InterpError::StepLimit));
}

#[test]
fn slots_out_of_range_are_typed_errors() {
    let syms = Symbols::new();
    let mut b = Builder::new();
    let x = b.input(3, Type::I64);
    let s = b.snapshot(0, &[(0, x)]);
    let t = b.exit(s);
    assert_eq!(run(&t, &mut [0, 0], &Env::new(&syms)), Err(InterpError::SlotOutOfRange { slot: 3, len: 2 }));
    let mut b = Builder::new();
    let x = b.input(0, Type::I64);
    let s = b.snapshot(0, &[(0, x), (5, x)]);
    let t = b.exit(s);
    let mut slots = [9, 0];
    assert_eq!(run(&t, &mut slots, &Env::new(&syms)), Err(InterpError::SlotOutOfRange { slot: 5, len: 2 }));
    assert_eq!(slots, [9, 0], "nothing is written when a snapshot does not fit");
}

fn malformed(t: &Trace) -> bool {
    let syms = Symbols::new();
    matches!(run(t, &mut [0; 4], &Env::new(&syms)), Err(InterpError::Malformed(_)))
}

#[test]
fn malformed_traces_are_errors_not_panics() {
    let base = || {
        let mut b = Builder::new();
        let x = b.input(0, Type::I64);
        let y = b.bin(BinOp::Add, x, x);
        let s = b.snapshot(0, &[(0, y)]);
        b.exit(s)
    };
    assert!(!malformed(&base()));
    let mut t = base();
    t.insts[1].op = Op::Bin(BinOp::Add, Value(0), Value(99));
    assert!(malformed(&t));
    let mut t = base();
    t.insts[1].op = Op::Bin(BinOp::Add, Value(0), Value(1));
    assert!(malformed(&t), "use of itself");
    let mut t = base();
    t.insts[1].op = Op::Bin(BinOp::FAdd, Value(0), Value(0));
    assert!(malformed(&t));
    let mut t = base();
    t.insts[1].ty = Some(Type::I32);
    assert!(malformed(&t));
    let mut t = base();
    t.term = Terminator::Exit(SnapId(3));
    assert!(malformed(&t));
    let mut t = base();
    t.term = Terminator::Jump(vec![]);
    assert!(malformed(&t), "jump without loop");
    let mut t = base();
    t.loop_start = Some(10);
    assert!(malformed(&t));
    let mut t = base();
    t.insts[0].op = Op::LoopParam { index: 0 };
    assert!(malformed(&t));
    let mut t = base();
    t.insts.push(Inst { op: Op::Const { bits: 0x100 }, ty: Some(Type::I8), name: None });
    assert!(malformed(&t));
    let mut t = base();
    t.insts.push(Inst {
        op: Op::Guard { cond: Value(0), expect: true, snap: SnapId(0) },
        ty: None,
        name: None,
    });
    assert!(malformed(&t), "guard on i64");
    // A guard whose snapshot names a value defined after it.
    let mut t = base();
    t.insts.insert(1, Inst { op: Op::Const { bits: 1 }, ty: Some(Type::I1), name: None });
    t.insts[2].op = Op::Bin(BinOp::Add, Value(0), Value(0));
    t.snaps[0].entries = vec![(0, Value(3))];
    t.insts.insert(
        2,
        Inst { op: Op::Guard { cond: Value(1), expect: true, snap: SnapId(0) }, ty: None, name: None },
    );
    assert!(malformed(&t));
    // Loop shapes.
    let mut t = sum_to_n();
    t.loop_inits.pop();
    assert!(malformed(&t));
    let mut t = sum_to_n();
    t.term = Terminator::Jump(vec![Value(0)]);
    assert!(malformed(&t));
    let mut t = sum_to_n();
    t.loop_inits[0] = Value(0);
    t.insts[0].ty = Some(Type::I32);
    assert!(malformed(&t));
}

#[test]
fn every_error_says_what_went_wrong() {
    let all = [
        InterpError::DivByZero,
        InterpError::DivOverflow,
        InterpError::FpToSiOutOfRange,
        InterpError::StepLimit,
        InterpError::OutOfBounds { addr: 0x10, len: 8 },
        InterpError::UnknownSymbol("f".into()),
        InterpError::UnknownAddress(0x20),
        InterpError::NoModel("g".into()),
        InterpError::UnknownTrace(3),
        InterpError::SlotOutOfRange { slot: 4, len: 2 },
        InterpError::Malformed("x".into()),
    ];
    let texts: Vec<String> = all.iter().map(|e| e.to_string()).collect();
    for (k, t) in texts.iter().enumerate() {
        assert!(!t.is_empty());
        assert!(!texts[..k].contains(t), "{t} twice");
    }
    assert!(texts[4].contains("0x10") && texts[4].contains('8'));
    assert!(texts[9].contains('4'));
}

#[test]
fn eval_pure_matches_run_and_refuses_undefined_results() {
    use trace_ir::interp::eval_pure;
    let mut b = Builder::new();
    let x = b.iconst(Type::I8, -128);
    let m = b.iconst(Type::I8, -1);
    let d = b.bin(BinOp::SDiv, x, m);
    let a = b.bin(BinOp::Add, x, m);
    let s = b.snapshot(0, &[]);
    let t = b.exit(s);
    assert_eq!(eval_pure(&t, &t.insts[d.index()].op, Some(Type::I8), &[0x80, 0xff]), None);
    assert_eq!(eval_pure(&t, &t.insts[a.index()].op, Some(Type::I8), &[0x80, 0xff]), Some(0x7f));
    assert_eq!(eval_pure(&t, &t.insts[a.index()].op, Some(Type::I8), &[0x80]), None, "missing argument");
    assert_eq!(eval_pure(&t, &Op::Input { slot: 0 }, Some(Type::I8), &[]), None);
}
