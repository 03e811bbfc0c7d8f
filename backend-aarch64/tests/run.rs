//! Executes compiled traces (AArch64 only; under qemu-aarch64 on x86-64 hosts) and checks
//! every result against the reference model in `common`.
#![cfg(target_arch = "aarch64")]

mod common;

use backend_aarch64::A64;
use common::*;
use trace_ir::backend::{ExitInfo, Jit};
use trace_ir::ir::*;
use trace_ir::regalloc::{Allocation, Loc};
use trace_ir::{Builder, Symbols, Type};

fn run_once(t: &Trace, al: &Allocation, syms: &Symbols, slots: &mut [u64]) -> ExitInfo {
    let mut j = A64::new();
    let id = j.install_with(t, al, syms).unwrap_or_else(|e| panic!("install: {e}"));
    j.run(id, slots).unwrap_or_else(|e| panic!("run: {e}"))
}

fn check_case(c: &Case, al: &Allocation, mode: &str) {
    let mut j = A64::new();
    let id = j.install_with(&c.trace, al, &Symbols::new()).unwrap_or_else(|e| panic!("{}: {e}", c.name));
    let n = c.checks.len() + 2;
    let mut failures = Vec::new();
    for (x, y) in inputs(c.in_ty) {
        let mut slots = vec![0u64; n];
        slots[0] = x;
        slots[1] = y;
        let e = j.run(id, &mut slots).unwrap();
        assert_eq!((e.snap, e.resume), (SnapId(0), 99), "{}", c.name);
        for (slot, ty, what, f) in &c.checks {
            if let Some(want) = f(x, y) {
                let got = slots[*slot as usize];
                if !same(*ty, got, want) {
                    failures.push(format!("{} [{mode}] {what} with a={x:#x} b={y:#x}: got {got:#x} want {want:#x}", c.name));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{} failures, first ones:\n{}", failures.len(), failures[..failures.len().min(20)].join("\n"));
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
    for ty in Type::INTS {
        for op in OvfOp::ALL {
            // Operand shapes: both inputs, constant right, constant left.
            let ks: Vec<Option<(u64, bool)>> = std::iter::once(None)
                .chain(edges(ty).into_iter().flat_map(|k| [Some((k, false)), Some((k, true))]))
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
                    let id = j.install_with(&t, &al, &Symbols::new()).unwrap();
                    for (xa, ya) in inputs(ty) {
                        let (p, q) = match shape {
                            None => (xa, ya),
                            Some((k, false)) => (xa, k),
                            Some((k, true)) => (k, xa),
                        };
                        let mut slots = [xa, ya, 0xdead];
                        let e = j.run(id, &mut slots).unwrap();
                        match ovf(op, ty, p, q) {
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

/// The allocator may give an overflow op's result the register of an operand that dies
/// there; the operand is still in the snapshot, so the exit must see its old value.
#[test]
fn overflow_result_sharing_a_snapshot_register_keeps_the_old_value() {
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
            al.locs[v.index()] = al.locs[x.index()];
            let max = ty.mask() >> 1;
            let (p, q) = if op == OvfOp::Sub { (max + 1, 1) } else { (max, max) };
            let mut slots = [p, q, 0];
            let e = run_once(&t, &al, &Symbols::new(), &mut slots);
            assert_eq!(e.snap, SnapId(0));
            assert_eq!(slots, [p, q, 0], "{}.{ty}", op.name());
            let mut slots = [1, 1, 0];
            let e = run_once(&t, &al, &Symbols::new(), &mut slots);
            assert_eq!(e.snap, SnapId(1));
            assert_eq!(slots[2], ovf(op, ty, 1, 1).unwrap());
        }
    }
}

/// Guards on integer and float compares, fused (the compare's only use) and materialized
/// (the compare is also in a snapshot), `guard` and `guard.not`, and constant conditions.
#[test]
fn guards_take_the_right_exit() {
    for fused in [true, false] {
        for expect in [true, false] {
            for ty in [Type::I8, Type::I32, Type::I64] {
                for cc in ICmp::ALL {
                    let mut b = Builder::new();
                    let x = b.input(0, ty);
                    let y = b.input(1, ty);
                    let c = b.icmp(cc, x, y);
                    let entries: Vec<(u32, Value)> = if fused { vec![(0, x)] } else { vec![(0, x), (3, c)] };
                    let s0 = b.snapshot(1, &entries);
                    if expect { b.guard(c, s0) } else { b.guard_not(c, s0) }
                    let s1 = b.snapshot(2, &[(2, y)]);
                    let t = b.exit(s1);
                    let mut j = A64::new();
                    let id = j.install_with(&t, &regs(&t), &Symbols::new()).unwrap();
                    for (p, q) in inputs(ty) {
                        let mut slots = [p, q, 0, 0];
                        let e = j.run(id, &mut slots).unwrap();
                        let stays = icmp(cc, ty, p, q) == expect;
                        assert_eq!(e.snap, SnapId(if stays { 1 } else { 0 }), "icmp.{} {ty} {p:#x} {q:#x}", cc.name());
                    }
                }
            }
            for cc in FCmp::ALL {
                let mut b = Builder::new();
                let x = b.input(0, Type::F64);
                let y = b.input(1, Type::F64);
                let c = b.fcmp(cc, x, y);
                let entries: Vec<(u32, Value)> = if fused { vec![(0, x)] } else { vec![(0, x), (3, c)] };
                let s0 = b.snapshot(1, &entries);
                if expect { b.guard(c, s0) } else { b.guard_not(c, s0) }
                let s1 = b.snapshot(2, &[(2, y)]);
                let t = b.exit(s1);
                let mut j = A64::new();
                let id = j.install_with(&t, &spilled(&t), &Symbols::new()).unwrap();
                for (p, q) in inputs(Type::F64) {
                    let mut slots = [p, q, 0, 0];
                    let e = j.run(id, &mut slots).unwrap();
                    let stays = fcmp(cc, f64::from_bits(p), f64::from_bits(q)) == expect;
                    assert_eq!(e.snap, SnapId(if stays { 1 } else { 0 }), "fcmp.{} {p:#x} {q:#x}", cc.name());
                    if !fused && !stays {
                        assert_eq!(slots[3], fcmp(cc, f64::from_bits(p), f64::from_bits(q)) as u64);
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
        if expect { b.guard(c, s0) } else { b.guard_not(c, s0) }
        let s1 = b.snapshot(2, &[]);
        let t = b.exit(s1);
        let e = run_once(&t, &regs(&t), &Symbols::new(), &mut []);
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
            let e = run_once(&t, &al, &Symbols::new(), &mut slots);
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
            run_once(&t, &al, &Symbols::new(), &mut slots);
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
    for ty in Type::ALL {
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
                run_once(&t, &al, &Symbols::new(), &mut slots);
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
    run_once(&t, &regs(&t), &Symbols::new(), &mut slots);
    assert_eq!((slots[0], cell), (77, 77));
}
