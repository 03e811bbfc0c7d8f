//! Fused schedules: `Schedule::holds` answers whether a value is still in its location at a
//! later position given the write-backs planned, and `check_fused` rejects a schedule that
//! reads a location after something else was written there.

mod common;
mod regalloc_support;

use common::parsed;
use regalloc_support::*;
use trace_ir::ir::*;
use trace_ir::regalloc::{
    check, check_fused, Allocation, Loc, Move, Place, Reg, RegClass, RegFile, Schedule,
};

fn ga() -> Loc {
    Loc::Reg(Reg::gpr(0))
}

fn gb() -> Loc {
    Loc::Reg(Reg::gpr(1))
}

fn gc() -> Loc {
    Loc::Reg(Reg::gpr(2))
}

fn gd() -> Loc {
    Loc::Reg(Reg::gpr(4))
}

/// Every value in the location `f` gives it by name; constants are constants.
fn alloc_by_name(t: &Trace, f: &dyn Fn(&str) -> Loc) -> Allocation {
    let p = trace_ir::text::Printer::new(t);
    let locs = (0..t.insts.len())
        .map(|i| {
            let v = Value(i as u32);
            match t.const_bits(v) {
                Some(b) => Loc::Const(b),
                None if t.insts[i].ty.is_none() => Loc::None,
                None => f(p.value(v).trim_start_matches('%')),
            }
        })
        .collect();
    Allocation { locs, ..Default::default() }
}

/// `store [%p]; %p8 = add %p, 8` with %p8 in %p's register, so the store can post-index,
/// and an address `%a = add %p, 16` read by a load after the store.
fn post_index_trace() -> (Trace, Allocation, RegFile) {
    let t = parsed(
        "%p = input 0 : i64
        %y = input 1 : i64
        %eight = const 8 : i64
        %sixteen = const 16 : i64
        %a = add %p, %sixteen
        store.i64 [%p], %y
        %l = load.i64 [%a]
        %p8 = add %p, %eight
        %l2 = load.i64 [%p8]
        snap0 @resume(0) { 3: %l, 4: %l2 }
        exit snap0",
    );
    let al = alloc_by_name(&t, &|n| match n {
        "p" | "p8" => ga(),
        "y" => gb(),
        "a" => gc(),
        "l" => gd(),
        _ => Loc::Reg(Reg::gpr(5)),
    });
    let rf = roomy();
    check(&t, &al, &rf).expect("the plain allocation is sound");
    (t, al, rf)
}

fn pos(t: &Trace, name: &str) -> usize {
    named(t, name).index()
}

fn store_pos(t: &Trace) -> usize {
    t.insts.iter().position(|i| matches!(i.op, Op::Store { .. })).unwrap()
}

#[test]
fn a_write_back_ends_the_old_value_at_the_access() {
    let (t, al, rf) = post_index_trace();
    let (p, st, l) = (named(&t, "p"), store_pos(&t), pos(&t, "l"));
    let mut s = Schedule::new(&t);
    assert!(s.holds(&t, &al, &rf, p, l), "without a write-back %p is in ga until %p8");
    assert!(s.can_fold(&t, &al, &rf, pos(&t, "a"), l, &[]));
    s.write_back(pos(&t, "p8"), st);
    assert_eq!(s.place(pos(&t, "p8")), Place::WrittenBack(st));
    assert!(s.holds(&t, &al, &rf, p, st), "the access itself still reads %p");
    assert!(!s.holds(&t, &al, &rf, p, l), "after the write-back ga holds %p8");
    assert!(s.holds(&t, &al, &rf, named(&t, "p8"), l), "%p8 is there from the access on");
    assert!(!s.can_fold(&t, &al, &rf, pos(&t, "a"), l, &[]), "%a would read ga after the write-back");
    // The write-back alone is a sound schedule.
    check_fused(&t, &al, &rf, &s).unwrap();
}

#[test]
fn the_checker_rejects_a_fold_that_reads_a_written_back_register() {
    let (t, al, rf) = post_index_trace();
    let mut s = Schedule::new(&t);
    s.write_back(pos(&t, "p8"), store_pos(&t));
    s.fold(pos(&t, "a"), pos(&t, "l"));
    let e = check_fused(&t, &al, &rf, &s).expect_err("the checker accepted a stale base");
    assert!(
        e.contains("operand 0 of `%a = add %p, %sixteen`, fused here: expects %p in ga, which holds %p8"),
        "{e}"
    );
    // Folding alone is fine.
    let mut s = Schedule::new(&t);
    s.fold(pos(&t, "a"), pos(&t, "l"));
    check_fused(&t, &al, &rf, &s).unwrap();
}

#[test]
fn the_checker_rejects_the_offset_applied_twice() {
    // The reproducer of issue 9: %p8 is written back by the store; folding it again into
    // the load's address needs %p there, which is gone.
    let t = parsed(
        "%p = input 0 : i64
        %y = input 1 : i64
        %eight = const 8 : i64
        store.i64 [%p], %y
        %p8 = add %p, %eight
        %l = load.i64 [%p8 - 8]
        snap0 @resume(1) { 3: %l }
        exit snap0",
    );
    let al = alloc_by_name(&t, &|n| match n {
        "p" | "p8" => ga(),
        "y" => gb(),
        _ => gc(),
    });
    let rf = roomy();
    let (st, p8, l) = (store_pos(&t), pos(&t, "p8"), pos(&t, "l"));
    let mut s = Schedule::new(&t);
    s.write_back(p8, st);
    assert!(!s.can_fold(&t, &al, &rf, p8, l, &[]), "a written-back add is not folded again");
    // Undo it: the fold alone is sound, the write-back alone is sound.
    s.unfold(p8);
    assert_eq!(s.written_back_at(st), None);
    assert!(s.can_fold(&t, &al, &rf, p8, l, &[]));
    s.fold(p8, l);
    check_fused(&t, &al, &rf, &s).unwrap();
    // A schedule where the load reads %p after the write-back of another %p8-like value.
    let t2 = parsed(
        "%p = input 0 : i64
        %y = input 1 : i64
        %eight = const 8 : i64
        %a = add %p, %eight
        store.i64 [%p], %y
        %p8 = add %p, %eight
        %l = load.i64 [%a - 8]
        snap0 @resume(1) { 3: %l, 4: %p8 }
        exit snap0",
    );
    let al2 = alloc_by_name(&t2, &|n| match n {
        "p" | "p8" => ga(),
        "y" => gb(),
        _ => gc(),
    });
    check(&t2, &al2, &rf).unwrap();
    let mut s = Schedule::new(&t2);
    s.write_back(pos(&t2, "p8"), store_pos(&t2));
    s.fold(pos(&t2, "a"), pos(&t2, "l"));
    let e = check_fused(&t2, &al2, &rf, &s).expect_err("stale base accepted");
    assert!(e.contains("expects %p in ga, which holds %p8"), "{e}");
}

#[test]
fn a_fold_past_a_register_reuse_or_a_call_is_rejected() {
    // %x dies at %a; %z reuses its register before %a's consumer.
    let t = parsed(
        "%x = input 0 : i64
        %w = input 1 : i64
        %four = const 4 : i64
        %a = add %x, %four
        %z = add %w, %four
        %l = load.i64 [%a]
        snap0 @resume(0) { 0: %l, 1: %z }
        exit snap0",
    );
    let al = alloc_by_name(&t, &|n| match n {
        "x" | "z" => ga(),
        "w" => gb(),
        "a" => gc(),
        _ => gd(),
    });
    let rf = roomy();
    check(&t, &al, &rf).unwrap();
    let (a, l) = (pos(&t, "a"), pos(&t, "l"));
    let mut s = Schedule::new(&t);
    assert!(!s.holds(&t, &al, &rf, named(&t, "x"), l));
    assert!(!s.can_fold(&t, &al, &rf, a, l, &[]));
    s.fold(a, l);
    let e = check_fused(&t, &al, &rf, &s).unwrap_err();
    assert!(e.contains("expects %x in ga, which holds %z"), "{e}");

    // A call between destroys the caller-saved register of the folded operand.
    let t = parsed(
        "%x = input 0 : i64
        %four = const 4 : i64
        %a = add %x, %four
        %r = call.i64 @h()
        %l = load.i64 [%a]
        snap0 @resume(0) { 0: %l, 1: %r }
        exit snap0",
    );
    let al = alloc_by_name(&t, &|n| match n {
        "x" => ga(), // caller-saved in roomy()
        "a" => gd(), // hw 4: callee-saved
        "r" => Loc::Reg(Reg::gpr(5)),
        _ => Loc::Reg(Reg::gpr(6)),
    });
    check(&t, &al, &rf).unwrap();
    let (a, l) = (pos(&t, "a"), pos(&t, "l"));
    let mut s = Schedule::new(&t);
    assert!(!s.can_fold(&t, &al, &rf, a, l, &[]), "the call destroys ga");
    s.fold(a, l);
    assert!(check_fused(&t, &al, &rf, &s).unwrap_err().contains("expects %x in ga, which holds nothing"));
}

#[test]
fn folds_chain_and_loops_are_respected() {
    // A shl folded into an add folded into a load: the shl's operand is read at the load.
    let t = parsed(
        "%b = input 0 : i64
        %i = input 1 : i64
        %three = const 3 : i64
        %s = shl %i, %three
        %a = add %b, %s
        %z = add %b, %three
        %l = load.i64 [%a]
        snap0 @resume(0) { 0: %l, 1: %z }
        exit snap0",
    );
    // Registers of x64_like(), where a shift by a constant has no constraints.
    let r = |hw| Loc::Reg(Reg::gpr(hw));
    let al = alloc_by_name(&t, &|n| match n {
        "b" => r(3),
        "i" | "z" => r(6), // %z takes the register of %i, dead since %s
        "s" => r(7),
        "a" => r(8),
        _ => r(12),
    });
    let rf = x64_like();
    check(&t, &al, &rf).unwrap();
    let (sh, a, l) = (named(&t, "s"), pos(&t, "a"), pos(&t, "l"));
    let s = Schedule::new(&t);
    // Folding only the add reads %b and %s at the load, which still hold; folding the shl
    // too reads %i there, which %z overwrote.
    assert!(s.can_fold(&t, &al, &rf, a, l, &[]));
    assert!(!s.can_fold(&t, &al, &rf, a, l, &[sh]));
    // With %z elsewhere, both fold, and the chain is proved at the load.
    let al2 = alloc_by_name(&t, &|n| match n {
        "b" => r(3),
        "i" => r(6),
        "s" => r(7),
        "a" => r(8),
        "z" => r(13),
        _ => r(12),
    });
    assert!(s.can_fold(&t, &al2, &rf, a, l, &[sh]));
    let mut s2 = Schedule::new(&t);
    s2.fold(a, l);
    s2.fold(sh.index(), a);
    assert_eq!(s2.site(sh.index()), Some(l));
    check_fused(&t, &al2, &rf, &s2).unwrap();
    let e = check_fused(&t, &al, &rf, &s2).unwrap_err();
    assert!(
        e.contains("operand 0 of `%s = shl %i, %three`, fused here: expects %i in rsi, which holds %z"),
        "{e}"
    );
    let rf = roomy();
    // A value of the preheader read in the body survives only if the body leaves it alone.
    let t = parsed(
        "%p = input 0 : i64
        %n = input 1 : i64
        %one = const 1 : i64
        %eight = const 8 : i64
        %a = add %p, %eight
        loop (%i = %one)
          %l = load.i64 [%a]
          %i1 = add %i, %l
          %c = icmp.slt %i1, %n
          snap0 @resume(0) { 0: %i1 }
          guard %c, snap0
          jump (%i1)",
    );
    let al = alloc_by_name(&t, &|n| match n {
        "p" => ga(),
        "n" => gb(),
        "a" => gc(),
        "i" | "i1" => gd(),
        "l" => ga(), // reuses %p's register inside the loop
        _ => Loc::Reg(Reg::gpr(5)),
    });
    let mut al = al;
    al.preheader_moves = vec![Move { from: Loc::Const(1), to: gd(), class: RegClass::Gpr }];
    check(&t, &al, &rf).unwrap();
    let s = Schedule::new(&t);
    let (p, a, l) = (named(&t, "p"), pos(&t, "a"), pos(&t, "l"));
    assert!(!s.holds(&t, &al, &rf, p, l), "the body overwrites ga on every iteration");
    assert!(s.holds(&t, &al, &rf, named(&t, "a"), l));
    assert!(!s.can_fold(&t, &al, &rf, a, l, &[]), "no fold from the preheader into the body");
    let mut s2 = Schedule::new(&t);
    s2.fold(a, l);
    assert!(check_fused(&t, &al, &rf, &s2).unwrap_err().contains("expects %p in ga"));
}

#[test]
fn malformed_schedules_are_rejected() {
    let (t, al, rf) = post_index_trace();
    let (a, st, l, p8, l2) = (pos(&t, "a"), store_pos(&t), pos(&t, "l"), pos(&t, "p8"), pos(&t, "l2"));
    let reject = |s: &Schedule, why: &str| {
        let e = check_fused(&t, &al, &rf, s).expect_err(why);
        assert!(e.contains(why), "{e}");
    };
    let mut s = Schedule::new(&t);
    s.fold(l, a);
    reject(&s, "not into a later instruction");
    let mut s = Schedule::new(&t);
    s.fold(st, l2);
    reject(&s, "only a pure instruction without a snapshot");
    let mut s = Schedule::new(&t);
    s.write_back(p8, l2);
    reject(&s, "not by an earlier instruction");
    let mut s = Schedule::new(&t);
    s.write_back(p8, a);
    reject(&s, "not done by a memory access");
    // A folded value read by anyone but its consumer has no value to read.
    let mut s = Schedule::new(&t);
    s.fold(a, l2);
    let e = check_fused(&t, &al, &rf, &s).unwrap_err();
    assert!(e.contains("at `%l = load.i64 [%a]`: operand 0: expects %a in gc, which holds nothing"), "{e}");
}
