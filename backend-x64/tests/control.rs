//! Loops, calls, exits, links between traces, side-exit patching and W^X.
#![cfg(target_arch = "x86_64")]

mod common;

use backend_x64::code::Prot;
use backend_x64::X64;
use common::kernels;
use common::*;
use trace_ir::backend::{BackendError, CodeSpace, Jit};
use trace_ir::ir::*;
use trace_ir::{Builder, Symbols, Type};

#[test]
fn loop_with_swapped_parameters_computes_fibonacci() {
    for mode in MODES {
        let mut b = Builder::new();
        let n = b.input(0, Type::I64);
        let zero = b.iconst(Type::I64, 0);
        let one = b.iconst(Type::I64, 1);
        let l = b.begin_loop(&[zero, one, zero]);
        let (x, y, k) = (l[0], l[1], l[2]);
        let more = b.icmp(ICmp::Ult, k, n);
        let s = b.snapshot(5, &[(1, x), (2, k)]);
        b.guard(more, s);
        let z = b.bin(BinOp::Add, x, y);
        let k1 = b.bin(BinOp::Add, k, one);
        let t = b.jump(&[y, z, k1]);
        for (n, want) in [(0u64, 0u64), (1, 1), (10, 55), (90, 2880067194370816120)] {
            let mut slots = [n, 0, 0];
            let e = run(&t, mode, &mut slots);
            assert_eq!((e.resume, slots[1], slots[2]), (5, want, n), "fib({n}) {mode:?}");
        }
    }
}

#[test]
fn loop_parameters_rotating_in_cycles_of_both_classes() {
    for mode in MODES {
        let mut b = Builder::new();
        let n = b.input(0, Type::I64);
        let a0 = b.input(1, Type::I64);
        let b0 = b.input(2, Type::I64);
        let c0 = b.input(3, Type::I64);
        let f0 = b.input(4, Type::F64);
        let g0 = b.input(5, Type::F64);
        let zero = b.iconst(Type::I64, 0);
        let one = b.iconst(Type::I64, 1);
        let l = b.begin_loop(&[a0, b0, c0, f0, g0, zero]);
        let (x, y, z, f, g, k) = (l[0], l[1], l[2], l[3], l[4], l[5]);
        let more = b.icmp(ICmp::Slt, k, n);
        let s = b.snapshot(0, &[(1, x), (2, y), (3, z), (4, f), (5, g)]);
        b.guard(more, s);
        let k1 = b.bin(BinOp::Add, k, one);
        let t = b.jump(&[y, z, x, g, f, k1]);
        for n in 0..7u64 {
            let (fa, fb) = (1.5f64.to_bits(), (-2.5f64).to_bits());
            let mut slots = [n, 10, 20, 30, fa, fb];
            run(&t, mode, &mut slots);
            let r = [10, 20, 30];
            let want = [r[n as usize % 3], r[(n as usize + 1) % 3], r[(n as usize + 2) % 3]];
            assert_eq!(&slots[1..4], &want, "n={n} {mode:?}");
            let fw = if n % 2 == 0 { [fa, fb] } else { [fb, fa] };
            assert_eq!(&slots[4..6], &fw, "n={n} {mode:?}");
        }
    }
}

#[test]
fn kernels_match_their_rust_versions_in_every_allocation_mode() {
    let xs: Vec<i64> = (0..1000).map(|i| i * 7 - 300).collect();
    let fa: Vec<f64> = (0..1000).map(|i| i as f64 * 0.5).collect();
    let fb: Vec<f64> = (0..1000).map(|i| 1.0 / (i as f64 + 1.0)).collect();
    for mode in MODES {
        let mut slots = [xs.as_ptr() as u64, xs.len() as u64, 0, 0];
        run(&kernels::sum_i64(), mode, &mut slots);
        assert_eq!((slots[2] as i64, slots[3]), (kernels::sum_i64_rust(&xs), 1000));

        let mut slots = [fa.as_ptr() as u64, fb.as_ptr() as u64, 1000, 0, 0];
        run(&kernels::dot_f64(), mode, &mut slots);
        assert_eq!(f64::from_bits(slots[3]), kernels::dot_f64_rust(&fa, &fb));

        let mut dst = vec![0i64; 1000];
        let mut slots = [dst.as_mut_ptr() as u64, xs.as_ptr() as u64, 1000, 0];
        run(&kernels::memcpy_i64(), mode, &mut slots);
        assert_eq!((dst.as_slice(), slots[3]), (xs.as_slice(), 1000));

        let pos: Vec<i64> = (0..500).map(|i| i * 3).collect();
        let big = [i64::MAX, i64::MAX, 5];
        for data in [&xs[..], &pos[..], &xs[400..], &big[..]] {
            let mut slots = [data.as_ptr() as u64, data.len() as u64, 0, 0, 0];
            let e = run(&kernels::mix_guards(), mode, &mut slots);
            let (acc, odd, i, early) = kernels::mix_guards_rust(data);
            assert_eq!((slots[2] as i64, slots[3] as i64, slots[4] as usize), (acc, odd, i));
            assert_eq!(e.resume, if early { 2 } else { 1 });
        }
    }
}

macro_rules! mixed {
    ($name:ident $(, $a:ident : $t:ty)*) => {
        /// Returns the sum of (k+1) * arg_k, so every argument's position matters.
        extern "C" fn $name($($a: $t),*) -> f64 {
            #[allow(unused_mut)]
            let mut s = 0.0;
            #[allow(unused_mut, unused_variables)]
            let mut k = 0.0;
            $( k += 1.0; s += k * ($a as f64); )*
            s
        }
    };
}
mixed!(m0);
mixed!(m1, a0: i64);
mixed!(m2, a0: i64, a1: f64);
mixed!(m3, a0: i64, a1: f64, a2: i64);
mixed!(m4, a0: i64, a1: f64, a2: i64, a3: f64);
mixed!(m5, a0: i64, a1: f64, a2: i64, a3: f64, a4: i64);
mixed!(m6, a0: i64, a1: f64, a2: i64, a3: f64, a4: i64, a5: f64);
mixed!(m7, a0: i64, a1: f64, a2: i64, a3: f64, a4: i64, a5: f64, a6: i64);
mixed!(m8, a0: i64, a1: f64, a2: i64, a3: f64, a4: i64, a5: f64, a6: i64, a7: f64);
mixed!(m9, a0: i64, a1: f64, a2: i64, a3: f64, a4: i64, a5: f64, a6: i64, a7: f64, a8: i64);
mixed!(m10, a0: i64, a1: f64, a2: i64, a3: f64, a4: i64, a5: f64, a6: i64, a7: f64, a8: i64, a9: f64);
mixed!(m11, a0: i64, a1: f64, a2: i64, a3: f64, a4: i64, a5: f64, a6: i64, a7: f64, a8: i64, a9: f64, a10: i64);
mixed!(m12, a0: i64, a1: f64, a2: i64, a3: f64, a4: i64, a5: f64, a6: i64, a7: f64, a8: i64, a9: f64, a10: i64, a11: i64);
mixed!(m13, a0: i64, a1: f64, a2: i64, a3: f64, a4: i64, a5: f64, a6: i64, a7: f64, a8: i64, a9: f64, a10: i64, a11: i64, a12: i64);
mixed!(m14, a0: i64, a1: f64, a2: i64, a3: f64, a4: i64, a5: f64, a6: i64, a7: f64, a8: i64, a9: f64, a10: i64, a11: i64, a12: i64, a13: i64);
mixed!(f14, a0: f64, a1: f64, a2: f64, a3: f64, a4: f64, a5: f64, a6: f64, a7: f64, a8: f64, a9: f64, a10: f64, a11: f64, a12: f64, a13: f64);
mixed!(i14, a0: i64, a1: i64, a2: i64, a3: i64, a4: i64, a5: i64, a6: i64, a7: i64, a8: i64, a9: i64, a10: i64, a11: i64, a12: i64, a13: i64);

/// The argument types of `m<n>`.
fn mixed_types(n: usize) -> Vec<Type> {
    (0..n).map(|k| if k % 2 == 1 && k < 10 { Type::F64 } else { Type::I64 }).collect()
}

fn call_trace(name: &str, tys: &[Type], konst: &dyn Fn(usize) -> bool, by_value: bool) -> Trace {
    let mut b = Builder::new();
    let args: Vec<Value> = (tys.iter().enumerate())
        .map(|(k, &ty)| {
            let bits = if ty == Type::F64 { (k as f64 + 0.5).to_bits() } else { k as u64 + 100 };
            if konst(k) {
                b.konst(ty, bits)
            } else {
                b.input(k as u32 + 2, ty)
            }
        })
        .collect();
    // A value live across the call, in a callee-saved register or spill slot.
    let live = b.input(0, Type::I64);
    let seven = b.iconst(Type::I64, 7);
    let live2 = b.bin(BinOp::Add, live, seven);
    let callee = if by_value { Callee::Value(b.input(1, Type::I64)) } else { Callee::Symbol(name.into()) };
    let r = b.call(Some(Type::F64), callee, &args, CallEffect::Any);
    let after = b.bin(BinOp::Add, live2, seven);
    let s = b.snapshot(0, &[(0, after), (1, r)]);
    b.exit(s)
}

#[test]
fn calls_with_0_to_14_mixed_int_and_float_arguments() {
    let fns: Vec<(usize, u64, Vec<Type>)> = vec![
        (0, m0 as *const () as u64, mixed_types(0)),
        (1, m1 as *const () as u64, mixed_types(1)),
        (2, m2 as *const () as u64, mixed_types(2)),
        (3, m3 as *const () as u64, mixed_types(3)),
        (4, m4 as *const () as u64, mixed_types(4)),
        (5, m5 as *const () as u64, mixed_types(5)),
        (6, m6 as *const () as u64, mixed_types(6)),
        (7, m7 as *const () as u64, mixed_types(7)),
        (8, m8 as *const () as u64, mixed_types(8)),
        (9, m9 as *const () as u64, mixed_types(9)),
        (10, m10 as *const () as u64, mixed_types(10)),
        (11, m11 as *const () as u64, mixed_types(11)),
        (12, m12 as *const () as u64, mixed_types(12)),
        (13, m13 as *const () as u64, mixed_types(13)),
        (14, m14 as *const () as u64, mixed_types(14)),
        (14, f14 as *const () as u64, vec![Type::F64; 14]),
        (14, i14 as *const () as u64, vec![Type::I64; 14]),
    ];
    let mut jit = X64::new();
    let mut syms = Symbols::new();
    for (i, (_, addr, _)) in fns.iter().enumerate() {
        syms.define_native(&format!("f{i}"), *addr);
    }
    for (i, (n, addr, tys)) in fns.iter().enumerate() {
        let want: f64 = (tys.iter().enumerate())
            .map(|(k, &ty)| {
                (k as f64 + 1.0) * if ty == Type::F64 { k as f64 + 0.5 } else { k as f64 + 100.0 }
            })
            .sum();
        let konsts: [&dyn Fn(usize) -> bool; 3] = [&|_| false, &|k| k % 3 == 0, &|_| true];
        for mode in MODES {
            for konst in konsts {
                for by_value in [false, true] {
                    let t = call_trace(&format!("f{i}"), tys, konst, by_value);
                    let id = install(&mut jit, &t, mode, &syms);
                    let mut slots = vec![1000u64, *addr];
                    for (k, &ty) in tys.iter().enumerate() {
                        slots.push(if ty == Type::F64 { (k as f64 + 0.5).to_bits() } else { k as u64 + 100 });
                    }
                    jit.run_checked(id, &mut slots).unwrap();
                    assert_eq!(f64::from_bits(slots[1]), want, "call with {n} args (#{i}) {mode:?}");
                    assert_eq!(slots[0], 1014, "value live across the call");
                }
            }
        }
    }
}

extern "C" fn narrow(a: u8, b: u16, c: u32, d: u64) -> u32 {
    (a as u32) * 1000 + (b as u32) * 10 + c + d as u32
}

extern "C" fn nothing() {}

#[test]
fn calls_with_narrow_arguments_and_results_and_no_result() {
    let mut syms = Symbols::new();
    syms.define_native("narrow", narrow as *const () as u64);
    syms.define_native("nothing", nothing as *const () as u64);
    for mode in MODES {
        let mut b = Builder::new();
        let a = b.input(0, Type::I8);
        let c = b.input(1, Type::I16);
        let d = b.iconst(Type::I32, 5);
        let e = b.input(2, Type::I64);
        b.call(None, Callee::Symbol("nothing".into()), &[], CallEffect::Any);
        let r = b.call(Some(Type::I32), Callee::Symbol("narrow".into()), &[a, c, d, e], CallEffect::Pure);
        let s = b.snapshot(0, &[(3, r)]);
        let t = b.exit(s);
        let mut slots = [0x1ff, 0x10007, 3, 0];
        run_with(&t, mode, &syms, &mut slots);
        assert_eq!(slots[3], 255 * 1000 + 70 + 5 + 3);
    }
    let mut b = Builder::new();
    let r = b.call(Some(Type::I32), Callee::Symbol("missing".into()), &[], CallEffect::Any);
    let s = b.snapshot(0, &[(0, r)]);
    let t = b.exit(s);
    let err = X64::new().install_with(&t, &naive_alloc(&t, Mode::Regs), &syms).unwrap_err();
    assert_eq!(err, BackendError::UnknownSymbol("missing".into()));
}

fn run_with(t: &Trace, mode: Mode, syms: &Symbols, slots: &mut [u64]) {
    let mut jit = X64::new();
    let id = install(&mut jit, t, mode, syms);
    jit.run_checked(id, slots).unwrap();
}

/// Trace `A`: leaves through snap0 when slot 0 >= 10 (with slot 2 = 77), else through
/// snap1 with slot 1 = x + 1. A loop keeps registers busy.
fn parent() -> Trace {
    let mut b = Builder::new();
    let x = b.input(0, Type::I64);
    let ten = b.iconst(Type::I64, 10);
    let c77 = b.iconst(Type::I64, 77);
    let one = b.iconst(Type::I64, 1);
    let f = b.fconst(2.5);
    let l = b.begin_loop(&[x, f]);
    let small = b.icmp(ICmp::Slt, l[0], ten);
    let s0 = b.snapshot(100, &[(0, l[0]), (2, c77), (3, l[1])]);
    b.guard(small, s0);
    let x1 = b.bin(BinOp::Add, l[0], one);
    let f1 = b.bin(BinOp::FAdd, l[1], l[1]);
    b.jump(&[x1, f1])
}

/// Trace `B`: slot 1 = slot 0 * 3, slot 4 = slot 3 (f64) + 1.
fn side() -> Trace {
    let mut b = Builder::new();
    let x = b.input(0, Type::I64);
    let f = b.input(3, Type::F64);
    let three = b.iconst(Type::I64, 3);
    let one = b.fconst(1.0);
    let r = b.bin(BinOp::Mul, x, three);
    let g = b.bin(BinOp::FAdd, f, one);
    let s = b.snapshot(200, &[(1, r), (4, g)]);
    b.exit(s)
}

#[test]
fn side_exit_link_and_unlink() {
    for mode in MODES {
        let mut jit = X64::new();
        let a = install(&mut jit, &parent(), mode, &Symbols::new());
        let b = install(&mut jit, &side(), mode, &Symbols::new());
        let mut slots = [7u64, 0, 0, 0, 0];
        let e = jit.run_checked(a, &mut slots).unwrap();
        assert_eq!((e.trace, e.snap, e.resume), (a, SnapId(0), 100));
        assert_eq!(slots[..4], [10, 0, 77, 20.0f64.to_bits()]);

        jit.link_exit(a, SnapId(0), b).unwrap();
        let mut slots = [7u64, 0, 0, 0, 0];
        let e = jit.run_checked(a, &mut slots).unwrap();
        assert_eq!((e.trace, e.snap, e.resume), (b, SnapId(0), 200), "{mode:?}");
        assert_eq!(slots, [10, 30, 77, 20.0f64.to_bits(), 21.0f64.to_bits()]);

        jit.unlink_exit(a, SnapId(0)).unwrap();
        let mut slots = [7u64, 0, 0, 0, 0];
        let e = jit.run_checked(a, &mut slots).unwrap();
        assert_eq!((e.trace, e.resume), (a, 100));
        assert_eq!(slots[1], 0);

        assert_eq!(jit.link_exit(a, SnapId(5), b), Err(BackendError::UnknownExit { trace: a, snap: 5 }));
        assert_eq!(jit.link_exit(a, SnapId(0), 9), Err(BackendError::UnknownTrace(9)));
        assert_eq!(jit.unlink_exit(7, SnapId(0)), Err(BackendError::UnknownTrace(7)));
        assert!(matches!(jit.run_checked(9, &mut slots), Err(BackendError::UnknownTrace(9))));
    }
}

#[test]
fn link_terminator_enters_another_trace_and_itself() {
    for mode in MODES {
        let mut jit = X64::new();
        let b = install(&mut jit, &side(), mode, &Symbols::new());
        let mut t = Builder::new();
        let x = t.input(0, Type::I64);
        let f = t.fconst(4.0);
        let one = t.iconst(Type::I64, 1);
        let y = t.bin(BinOp::Add, x, one);
        let s = t.snapshot(1, &[(0, y), (3, f)]);
        let a = install(&mut jit, &t.link(b, s), mode, &Symbols::new());
        let mut slots = [5u64, 0, 0, 0, 0];
        let e = jit.run_checked(a, &mut slots).unwrap();
        assert_eq!((e.trace, e.resume), (b, 200));
        assert_eq!(slots, [6, 18, 0, 4.0f64.to_bits(), 5.0f64.to_bits()]);

        // A trace linking to itself counts down through its slot until a guard leaves.
        let mut t = Builder::new();
        let x = t.input(0, Type::I64);
        let zero = t.iconst(Type::I64, 0);
        let one = t.iconst(Type::I64, 1);
        let pos = t.icmp(ICmp::Sgt, x, zero);
        let s0 = t.snapshot(9, &[]);
        t.guard(pos, s0);
        let y = t.bin(BinOp::Sub, x, one);
        let s1 = t.snapshot(1, &[(0, y)]);
        let next = 2; // the id this trace will get
        let c = install(&mut jit, &t.link(next, s1), mode, &Symbols::new());
        assert_eq!(c, next);
        let mut slots = [1000u64];
        let e = jit.run_checked(c, &mut slots).unwrap();
        assert_eq!((e.trace, e.resume, slots[0]), (c, 9, 0));
    }
}

/// `link T` to a trace installed later: until then the trace leaves through the link's
/// snapshot; installing `T` re-points the jump. Two traces linking to each other count up.
#[test]
fn forward_links_exit_until_their_target_is_installed() {
    for mode in MODES {
        let mut jit = X64::new();
        // Trace 0: k < 5 or leave (resume 300); k += 1; link 1.
        let mut b = Builder::new();
        let k = b.input(0, Type::I64);
        let five = b.iconst(Type::I64, 5);
        let one = b.iconst(Type::I64, 1);
        let more = b.icmp(ICmp::Slt, k, five);
        let s0 = b.snapshot(300, &[]);
        b.guard(more, s0);
        let k1 = b.bin(BinOp::Add, k, one);
        let s1 = b.snapshot(301, &[(0, k1)]);
        let ping = install(&mut jit, &b.link(1, s1), mode, &Symbols::new());
        let mut slots = [0u64, 0];
        let e = jit.run_checked(ping, &mut slots).unwrap();
        assert_eq!((e.trace, e.snap, e.resume, slots), (ping, SnapId(1), 301, [1, 0]), "{mode:?}");
        // Trace 1: acc += k; link 0.
        let mut b = Builder::new();
        let k = b.input(0, Type::I64);
        let acc = b.input(1, Type::I64);
        let acc1 = b.bin(BinOp::Add, acc, k);
        let s = b.snapshot(302, &[(1, acc1)]);
        let pong = install(&mut jit, &b.link(0, s), mode, &Symbols::new());
        let mut slots = [0u64, 0];
        let e = jit.run_checked(ping, &mut slots).unwrap();
        assert_eq!((e.trace, e.resume, slots), (ping, 300, [5, 15]), "{mode:?}");
        let _ = pong;
    }
}

/// The region's pages in /proc/self/maps, as permission strings.
fn maps_perms(base: usize, len: usize) -> Vec<String> {
    let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
    let mut out = vec![];
    for line in maps.lines() {
        let mut it = line.split_whitespace();
        let (range, perms) = (it.next().unwrap(), it.next().unwrap());
        let (lo, hi) = range.split_once('-').unwrap();
        let (lo, hi) = (usize::from_str_radix(lo, 16).unwrap(), usize::from_str_radix(hi, 16).unwrap());
        if lo < base + len && hi > base {
            out.push(perms.to_string());
        }
    }
    out
}

#[test]
fn code_is_never_writable_and_executable() {
    use std::os::unix::fs::FileExt;
    let mut jit = X64::new();
    let check = |jit: &X64| {
        let r = jit.region().unwrap();
        let perms = maps_perms(r.base(), r.len());
        assert!(!perms.is_empty());
        for p in &perms {
            assert!(!(p.contains('w') && p.contains('x')), "W+X mapping {p}");
        }
        assert!(perms.iter().any(|p| p.starts_with("r-x")), "{perms:?}");
        assert!(r.protections().iter().all(|&p| p != Prot::ReadWrite));
        // The region is the memfd, and its file holds the code as patched.
        let path = r.file_path().expect("a file-backed region");
        let target = std::fs::read_link(&path).unwrap();
        assert!(target.to_string_lossy().starts_with("/memfd:tracery-code"), "{target:?}");
        let (_, code) = jit.code_bytes().unwrap();
        let mut back = vec![0; code.len()];
        std::fs::File::open(&path).unwrap().read_exact_at(&mut back, r.file_offset().unwrap()).unwrap();
        assert!(back == code, "the file differs from the installed code");
    };
    let a = install(&mut jit, &parent(), Mode::Regs, &Symbols::new());
    check(&jit);
    let b = install(&mut jit, &side(), Mode::Regs, &Symbols::new());
    jit.link_exit(a, SnapId(0), b).unwrap();
    check(&jit);
    jit.unlink_exit(a, SnapId(0)).unwrap();
    check(&jit);
    for _ in 0..50 {
        install(&mut jit, &kernels::mix_guards(), Mode::Spill, &Symbols::new());
    }
    check(&jit);
}

#[test]
fn a_full_code_region_is_a_typed_error_and_earlier_traces_still_run() {
    let mut jit = X64::with_region_size(8192);
    let mut ids = vec![];
    let err = loop {
        match jit.install_with(
            &kernels::mix_guards(),
            &naive_alloc(&kernels::mix_guards(), Mode::Spill),
            &Symbols::new(),
        ) {
            Ok(id) => ids.push(id),
            Err(e) => break e,
        }
    };
    assert!(matches!(err, BackendError::Memory(_)), "{err:?}");
    assert!(!ids.is_empty());
    let xs = [2i64, 4, 6];
    let mut slots = [xs.as_ptr() as u64, 3, 0, 0, 0];
    jit.run_checked(ids[0], &mut slots).unwrap();
    assert_eq!(slots[2..5], [6, 0, 3]);
}

#[test]
fn slot_arrays_too_short_for_the_trace_are_rejected() {
    let mut jit = X64::new();
    let id = install(&mut jit, &side(), Mode::Regs, &Symbols::new());
    let err = jit.run_checked(id, &mut [0u64; 2]).unwrap_err();
    assert!(matches!(err, BackendError::Restore(_)), "{err:?}");
}

fn kernel_file(name: &str) -> Trace {
    let path = format!("{}/../examples/kernels/{name}.tir", env!("CARGO_MANIFEST_DIR"));
    let src = std::fs::read_to_string(&path).unwrap();
    let t = trace_ir::text::parse(&src).unwrap_or_else(|e| panic!("{path}:{e}"));
    trace_ir::verify::verify(&t).unwrap_or_else(|e| panic!("{path}: {e}"));
    t
}

/// The kernel files through the whole public path: parse, `Jit::install` (verify, shared
/// allocator, emit), `Jit::run`.
#[test]
fn kernel_files_parse_install_and_match_rust() {
    let mut jit = X64::new();
    let xs: Vec<i64> = (0..777).map(|i| i * 13 - 5000).collect();
    let id = jit.install(&kernel_file("sum_i64"), &Symbols::new()).unwrap();
    let mut slots = [xs.as_ptr() as u64, xs.len() as u64, 0, 0];
    let e = jit.run_checked(id, &mut slots).unwrap();
    assert_eq!((e.resume, slots[2] as i64, slots[3]), (1, kernels::sum_i64_rust(&xs), 777));

    let fa: Vec<f64> = (0..300).map(|i| i as f64 - 7.5).collect();
    let fb: Vec<f64> = (0..300).map(|i| (i as f64).sqrt()).collect();
    let id = jit.install(&kernel_file("dot_f64"), &Symbols::new()).unwrap();
    let mut slots = [fa.as_ptr() as u64, fb.as_ptr() as u64, 300, 0, 0];
    jit.run_checked(id, &mut slots).unwrap();
    assert_eq!(f64::from_bits(slots[3]), kernels::dot_f64_rust(&fa, &fb));

    let mut dst = vec![0i64; 777];
    let id = jit.install(&kernel_file("memcpy_i64"), &Symbols::new()).unwrap();
    let mut slots = [dst.as_mut_ptr() as u64, xs.as_ptr() as u64, 777, 0];
    jit.run_checked(id, &mut slots).unwrap();
    assert_eq!((dst.as_slice(), slots[3]), (xs.as_slice(), 777));

    let id = jit.install(&kernel_file("mix_guards"), &Symbols::new()).unwrap();
    let pos: Vec<i64> = (0..100).map(|i| i * 5).collect();
    for data in [&pos[..], &xs[..], &xs[400..]] {
        let mut slots = [data.as_ptr() as u64, data.len() as u64, 0, 0, 0];
        let e = jit.run_checked(id, &mut slots).unwrap();
        let (acc, odd, i, early) = kernels::mix_guards_rust(data);
        assert_eq!((slots[2] as i64, slots[3] as i64, slots[4] as usize), (acc, odd, i));
        assert_eq!(e.resume, if early { 2 } else { 1 });
    }
}

/// Loops whose first guard is a `guard.not` or an ordered float compare, rotated to the
/// back edge, leave at the same iteration as the unrotated form would.
#[test]
fn rotated_loop_guards_leave_at_the_right_iteration() {
    for mode in MODES {
        // Counts down with guard.not (i <= 0 leaves), and counts float steps with fcmp.lt.
        let mut b = Builder::new();
        let n = b.input(0, Type::I64);
        let zero = b.iconst(Type::I64, 0);
        let one = b.iconst(Type::I64, 1);
        let l = b.begin_loop(&[n, zero]);
        let done = b.icmp(ICmp::Sle, l[0], zero);
        let s = b.snapshot(1, &[(1, l[1]), (2, l[0])]);
        b.guard_not(done, s);
        let i1 = b.bin(BinOp::Sub, l[0], one);
        let k1 = b.bin(BinOp::Add, l[1], one);
        let t = b.jump(&[i1, k1]);
        for nv in [0u64, 1, 5, 100] {
            let mut slots = [nv, 99, 99];
            let e = run(&t, mode, &mut slots);
            assert_eq!((e.resume, slots[1], slots[2]), (1, nv, 0), "n={nv} {mode:?}");
        }
        let mut b = Builder::new();
        let lim = b.input(0, Type::F64);
        let f0 = b.fconst(0.0);
        let step = b.fconst(0.5);
        let l = b.begin_loop(&[f0]);
        let more = b.fcmp(FCmp::Lt, l[0], lim);
        let s = b.snapshot(2, &[(1, l[0])]);
        b.guard(more, s);
        let f1 = b.bin(BinOp::FAdd, l[0], step);
        let t = b.jump(&[f1]);
        for (lv, want) in [(0.0, 0.0), (2.0, 2.0), (2.2, 2.5), (f64::NAN, 0.0)] {
            let mut slots = [f64::to_bits(lv), 0];
            run(&t, mode, &mut slots);
            assert_eq!(f64::from_bits(slots[1]), want, "lim={lv} {mode:?}");
        }
    }
}

#[test]
fn the_slot_check_follows_links() {
    let mut jit = X64::new();
    let a = install(&mut jit, &parent(), Mode::Shared, &Symbols::new());
    let b = install(&mut jit, &side(), Mode::Shared, &Symbols::new());
    assert!(jit.run_checked(a, &mut [20u64, 0, 0, 0]).is_ok(), "the parent alone uses 4 slots");
    jit.link_exit(a, SnapId(0), b).unwrap();
    let err = jit.run_checked(a, &mut [20u64, 0, 0, 0]).unwrap_err();
    assert!(matches!(err, BackendError::Restore(_)), "{err:?}");
    jit.unlink_exit(a, SnapId(0)).unwrap();
    assert!(jit.run_checked(a, &mut [20u64, 0, 0, 0]).is_ok());
}

/// A loop with no parameters whose first instruction consumes a value from before the loop:
/// the load is read once (not re-read by a `cmp` with a memory operand in every iteration),
/// and the compare is done once (not at the guard, from registers the loop reuses).
#[test]
fn fusions_do_not_cross_into_a_loop_without_parameters() {
    for mode in MODES {
        // %lim = load [p] before the loop; the loop zeroes [p] and counts [p+8] up to 10.
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
        let e = run(&t, mode, &mut slots);
        assert_eq!((e.resume, slots[1], buf), (2, 10, [0, 10]), "load {mode:?}");

        // %c = icmp.eq %a1, 1 before the loop, guarded at the loop's first instruction.
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
        // The loop's values take the register of %a1, which is dead there (unless %c took it
        // over, as the scanning modes do: then reusing it would be a misallocation, which
        // the checker that `install_with` runs rejects).
        let mut al = naive_alloc(&t, mode);
        let shared = al.locs[c.index()] == al.locs[a1.index()];
        al.locs[x.index()] = al.locs[a1.index()];
        al.locs[x1.index()] = al.locs[a1.index()];
        let mut jit = X64::new();
        if shared {
            let e = jit.install_with(&t, &al, &Symbols::new()).expect_err("%c's register reused");
            assert!(matches!(&e, BackendError::Invalid(m) if m.contains("expects %5")), "{mode:?}: {e:?}");
            continue;
        }
        let id = jit.install_with(&t, &al, &Symbols::new()).expect("install");
        let mut buf = [0u64];
        let mut slots = [buf.as_mut_ptr() as u64, 0];
        let e = jit.run_checked(id, &mut slots).expect("run");
        assert_eq!((e.resume, slots[1], buf), (2, 10, [10]), "compare {mode:?}");
    }
}

/// Linking an exit again to the same trace reuses its transfer block: toggling a link does
/// not grow the code region, and the relinked exit still transfers.
#[test]
fn relinking_an_exit_reuses_its_transfer_block() {
    let mut jit = X64::new();
    let a = install(&mut jit, &parent(), Mode::Shared, &Symbols::new());
    let b = install(&mut jit, &side(), Mode::Shared, &Symbols::new());
    jit.link_exit(a, SnapId(0), b).unwrap();
    let end = jit.region().unwrap().next_addr(1);
    for _ in 0..100 {
        jit.unlink_exit(a, SnapId(0)).unwrap();
        jit.link_exit(a, SnapId(0), b).unwrap();
    }
    assert_eq!(jit.region().unwrap().next_addr(1), end, "the region grew");
    let mut slots = [7u64, 0, 0, 0, 0];
    let e = jit.run_checked(a, &mut slots).unwrap();
    assert_eq!((e.trace, e.resume), (b, 200));
    assert_eq!(slots, [10, 30, 77, 20.0f64.to_bits(), 21.0f64.to_bits()]);
    // Linking to another trace appends a block of its own.
    let c = install(&mut jit, &side(), Mode::Shared, &Symbols::new());
    let end = jit.region().unwrap().next_addr(1);
    jit.link_exit(a, SnapId(0), c).unwrap();
    assert!(jit.region().unwrap().next_addr(1) > end);
    let e = jit.run_checked(a, &mut slots).unwrap();
    assert_eq!((e.trace, e.resume), (c, 200));
}
