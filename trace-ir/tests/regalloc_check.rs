//! The checker rejects corrupted allocations, and the shared restore reads what the
//! allocator decided.

mod common;
mod regalloc_support;

use regalloc_support::*;
use trace_ir::exit::{restore, RestoreError, TraceCtx};
use trace_ir::ir::*;
use trace_ir::regalloc::{allocate, check, sequentialize, Allocation, Loc, Move, Reg, RegClass, RegFile};
use trace_ir::{Builder, Type};

/// Allocates, requires the checker to accept, corrupts, requires it to reject with a message
/// containing `expect`.
fn rejects(t: &Trace, rf: &RegFile, corrupt: impl FnOnce(&mut Allocation), expect: &str) -> String {
    let mut a = allocate(t, rf).unwrap();
    check(t, &a, rf).unwrap();
    corrupt(&mut a);
    let e = check(t, &a, rf).expect_err("the checker accepted a corrupted allocation");
    assert!(e.contains(expect), "{e:?} does not say {expect:?}");
    e
}

#[test]
fn two_live_values_in_one_register() {
    let t = straight();
    let (v, w) = (named(&t, "v"), named(&t, "w"));
    // Both are read by the mul.
    let e = rejects(&t, &roomy(), |a| a.locs[w.index()] = a.locs[v.index()], "holds %w");
    assert!(e.contains("at `%m = mul %v, %w`: operand 0: expects %v in"), "{e}");
}

#[test]
fn a_value_in_a_caller_saved_register_across_a_call() {
    let t = parse(
        "%x = input 0 : i64
        %r = call.i64 @h()
        snap0 @resume(0) { 0: %x, 1: %r }
        exit snap0",
    );
    let rf = roomy();
    assert!(rf.is_caller_saved(Reg::gpr(3)));
    let x = named(&t, "x");
    let e = rejects(&t, &rf, |a| a.locs[x.index()] = Loc::Reg(Reg::gpr(3)), "holds nothing");
    assert!(e.contains("snap0 slot 0: expects %x in gd"), "{e}");
}

#[test]
fn an_operand_in_a_temp_register() {
    let t = parse(
        "%x = input 0 : i64
        %y = input 1 : i64
        %z = shl %x, %y
        snap0 @resume(0) { 0: %z }
        exit snap0",
    );
    // Shifts need gb free (see `small_constraints`).
    let y = named(&t, "y");
    rejects(&t, &small(), |a| a.locs[y.index()] = Loc::Reg(Reg::gpr(1)), "operand 1: expects %y in gb");
}

#[test]
fn an_operand_may_be_in_a_clobbered_register_and_a_result_in_a_temp() {
    let rf = small();
    // Divisions need ga free and destroy gb.
    let locs = vec![Loc::Reg(Reg::gpr(1)), Loc::Reg(Reg::gpr(2)), Loc::Reg(Reg::gpr(0))];
    let t = parse(
        "%x = input 0 : i64
        %y = input 1 : i64
        %q = sdiv %x, %y
        snap0 @resume(0) { 0: %q }
        exit snap0",
    );
    check(&t, &Allocation { locs: locs.clone(), ..Default::default() }, &rf).unwrap();
    // But a value read after the division may not live in gb.
    let t = parse(
        "%x = input 0 : i64
        %y = input 1 : i64
        %q = sdiv %x, %y
        snap0 @resume(0) { 0: %q, 1: %x }
        exit snap0",
    );
    let e = check(&t, &Allocation { locs, ..Default::default() }, &rf).unwrap_err();
    assert!(e.contains("snap0 slot 1: expects %x in gb, which holds nothing"), "{e}");
}

#[test]
fn an_ovf_result_over_a_value_its_snapshot_reads() {
    let t = parse(
        "%x = input 0 : i64
        %y = input 1 : i64
        snap0 @resume(0) { 0: %x }
        %z = add.ovf %x, %y, snap0
        snap1 @resume(1) { 0: %z }
        exit snap1",
    );
    let (x, z) = (named(&t, "x"), named(&t, "z"));
    let a = allocate(&t, &small()).unwrap();
    assert_ne!(a.loc(z), a.loc(x), "the exit after an overflow still reads x");
    rejects(&t, &small(), |a| a.locs[z.index()] = a.locs[x.index()], "snap0 slot 0: expects %x");
}

#[test]
fn wrong_back_edge_moves() {
    let t = sum_to_n();
    let rf = roomy();
    let a = allocate(&t, &rf).unwrap();
    assert_eq!(a.backedge_moves.len(), 2, "{a:?}");
    rejects(
        &t,
        &rf,
        |a| {
            a.backedge_moves.pop();
        },
        "after the back-edge moves",
    );
    rejects(
        &t,
        &rf,
        |a| {
            let (x, y) = (a.backedge_moves[0].to, a.backedge_moves[1].to);
            a.backedge_moves[0].to = y;
            a.backedge_moves[1].to = x;
        },
        "after the back-edge moves",
    );
    rejects(&t, &rf, |a| a.preheader_moves.clear(), "after the preheader moves");
}

#[test]
fn a_swap_at_the_back_edge_must_go_through_the_scratch_register() {
    let t = parse(
        "%x = input 0 : i64
        %y = input 1 : i64
        loop (%a = %x, %b = %y)
          %c = icmp.ne %a, %b
          snap0 @resume(0) { 0: %a, 1: %b }
          guard %c, snap0
          jump (%b, %a)",
    );
    let rf = small();
    let a = allocate(&t, &rf).unwrap();
    check(&t, &a, &rf).unwrap();
    assert_eq!(a.backedge_moves.len(), 3, "{a:?}");
    assert!(a.backedge_moves.iter().any(|m| m.to == Loc::Reg(Reg::gpr(rf.scratch_gprs[0]))));
    // Done naively, the second move reads what the first overwrote.
    let (pa, pb) = (a.loc(named(&t, "a")), a.loc(named(&t, "b")));
    rejects(
        &t,
        &rf,
        |a| {
            a.backedge_moves = vec![
                Move { from: pb, to: pa, class: RegClass::Gpr },
                Move { from: pa, to: pb, class: RegClass::Gpr },
            ]
        },
        "after the back-edge moves, parameter %b: expects %a",
    );
}

#[test]
fn a_value_overwritten_late_in_the_body_fails_on_the_second_iteration() {
    // x is read at the top of the body only; giving %r its register breaks iteration two.
    let t = parse(
        "%x = input 0 : i64
        %one = const 1 : i64
        loop (%p = %one)
          %q = add %p, %x
          %r = add %q, %one
          snap0 @resume(0) { 0: %r }
          %c = icmp.ne %r, %one
          guard %c, snap0
          jump (%r)",
    );
    let rf = roomy();
    let (x, p, r) = (named(&t, "x"), named(&t, "p"), named(&t, "r"));
    let e = rejects(
        &t,
        &rf,
        |a| {
            a.locs[r.index()] = a.locs[x.index()];
            let par = [Move { from: a.loc(r), to: a.loc(p), class: RegClass::Gpr }];
            a.backedge_moves = sequentialize(&par, &rf);
        },
        "operand 1",
    );
    assert!(e.starts_with("on the second iteration, at `%q = add %p, %x`: operand 1: expects %x"), "{e}");
}

#[test]
fn locations_a_value_may_not_have() {
    let t = straight();
    let rf = small();
    let v = named(&t, "v").index();
    rejects(&t, &rf, |a| a.locs[v] = Loc::Reg(Reg::gpr(rf.scratch_gprs[0])), "not an allocatable register");
    rejects(&t, &rf, |a| a.locs[v] = Loc::Reg(Reg::fpr(0)), "wrong register class");
    rejects(&t, &rf, |a| a.locs[v] = Loc::Spill(a.spill_slots + 3), "beyond");
    rejects(&t, &rf, |a| a.locs[v] = Loc::Const(16), "not that constant");
    rejects(&t, &rf, |a| a.locs[v] = Loc::None, "%v has no location");
    let t = parse("%k = const 5 : i64\nsnap0 @resume(0) { 0: %k }\nexit snap0");
    rejects(&t, &rf, |a| a.locs[0] = Loc::Const(6), "%k in const 0x6: not that constant");
}

#[test]
fn a_register_no_exit_saves_is_rejected() {
    // The allocator refuses such a register file; an allocation made elsewhere is checked too.
    let t = straight();
    let v = named(&t, "v").index();
    let mut a = allocate(&t, &small()).unwrap();
    let wide = RegFile { gprs: vec![0, 1, 2, 40], ..small() };
    check(&t, &a, &wide).unwrap();
    a.locs[v] = Loc::Reg(Reg::gpr(40));
    let e = check(&t, &a, &wide).expect_err("a value in gpr 40");
    assert!(e.contains("beyond the registers an exit saves"), "{e}");
}

#[test]
fn restore_reads_registers_spill_slots_and_constants() {
    let mut b = Builder::new();
    let x = b.input(0, Type::I64);
    let f = b.input(1, Type::F64);
    let k = b.iconst(Type::I64, -3);
    let y = b.bin(BinOp::Add, x, x);
    let z = b.bin(BinOp::Mul, y, x);
    let w = b.bin(BinOp::Xor, z, y);
    let s = b.snapshot(42, &[(0, w), (2, k), (3, f), (4, x), (5, y), (6, z)]);
    let t = b.exit(s);
    for (name, rf) in regfiles() {
        let a = allocate(&t, &rf).unwrap();
        check(&t, &a, &rf).unwrap();
        // What the machine would hold at the exit: each value's own bits where it lives.
        let bits = |v: Value| 0x1000 + v.0 as u64;
        let mut slots = vec![7u64; 8];
        let mut ctx = TraceCtx::new(&mut slots);
        for v in [w, f, x, y, z] {
            match a.loc(v) {
                Loc::Reg(r) if r.class == RegClass::Gpr => ctx.gpr[r.hw as usize] = bits(v),
                Loc::Reg(r) => ctx.fpr[r.hw as usize] = bits(v),
                Loc::Spill(k) => ctx.spill[k as usize] = bits(v),
                l => panic!("{name}: {v:?} in {l:?}"),
            }
        }
        let mut out = vec![7u64; 8];
        assert_eq!(restore(&t, &a, SnapId(0), &ctx, &mut out), Ok(42));
        let expect = [bits(w), 7, (-3i64) as u64, bits(f), bits(x), bits(y), bits(z), 7];
        assert_eq!(out, expect, "{name}");
        if name == "none" {
            assert!(a.locs.iter().any(|l| matches!(l, Loc::Spill(_))));
        }
        assert_eq!(restore(&t, &a, SnapId(1), &ctx, &mut out), Err(RestoreError::NoSuchSnapshot(1)));
        assert_eq!(
            restore(&t, &a, SnapId(0), &ctx, &mut [0; 4]),
            Err(RestoreError::SlotOutOfRange { slot: 4, len: 4 })
        );
        let mut bad = a.clone();
        bad.locs[y.index()] = Loc::None;
        assert_eq!(restore(&t, &bad, SnapId(0), &ctx, &mut out), Err(RestoreError::Unallocated { slot: 5 }));
    }
}
