//! Allocation of hand-written traces, each proven by the checker.

mod common;
mod regalloc_support;

use regalloc_support::*;
use trace_ir::ir::*;
use trace_ir::regalloc::{allocate, annotate, check, AllocError, Loc, Reg, RegFile};

#[test]
fn hand_written_traces_check_on_every_register_file() {
    for (name, rf) in regfiles() {
        for t in [sum_to_n(), pressure(), straight()] {
            let a = allocate(&t, &rf).unwrap_or_else(|e| panic!("{name} {:?}: {e}", t.name));
            check(&t, &a, &rf).unwrap_or_else(|e| panic!("{name} {:?}: {e}", t.name));
        }
    }
}

#[test]
fn a_counting_loop_lives_in_registers_without_back_edge_moves() {
    let t = parse(
        "%n = input 0 : i64
        %zero = const 0 : i64
        %one = const 1 : i64
        loop (%i = %zero, %acc = %zero)
          %c = icmp.slt %i, %n
          snap0 @resume(7) { 0: %i, 1: %acc }
          guard %c, snap0
          %acc1 = add %acc, %i
          %i1 = add %i, %one
          jump (%i1, %acc1)",
    );
    let rf = small();
    let a = allocate(&t, &rf).unwrap();
    check(&t, &a, &rf).unwrap();
    // n, i, acc and the comparison are live at once in three registers: n is read furthest
    // away (on the next iteration), so n goes to memory, and nothing else does.
    assert_eq!(a.spill_slots, 1, "{}", annotate(&t, &a, &rf));
    assert_eq!(a.loc(named(&t, "n")), Loc::Spill(0));
    for v in ["i", "acc", "c", "acc1", "i1"] {
        assert!(matches!(a.loc(named(&t, v)), Loc::Reg(_)), "%{v}\n{}", annotate(&t, &a, &rf));
    }
    assert_eq!(a.loc(named(&t, "one")), Loc::Const(1));
    // Two-address results take their parameters' registers, so the back edge is free.
    assert!(a.backedge_moves.is_empty(), "{}", annotate(&t, &a, &rf));
    assert_eq!(a.preheader_moves.len(), 2);
    assert!(a.preheader_moves.iter().all(|m| m.from == Loc::Const(0)));
}

#[test]
fn a_loop_without_parameters_keeps_values_from_before_it_for_every_iteration() {
    // The body's first instruction sits at the loop header, so its operands are read where
    // a loop with parameters reads its inits: %x is read inside the loop all the same.
    let t = parse(
        "%x = input 0 : i64
        %two = const 2 : i64
        loop ()
          %q = sdiv %x, %two
          %y = add %q, %two
          snap0 @resume(0) { 0: %y }
          %c = icmp.eq %y, %two
          guard %c, snap0
          jump ()",
    );
    for (name, rf) in regfiles() {
        let a = allocate(&t, &rf).unwrap_or_else(|e| panic!("{name}: {e}"));
        check(&t, &a, &rf).unwrap_or_else(|e| panic!("{name}: {e}\n{}", annotate(&t, &a, &rf)));
        if let Loc::Reg(r) = a.loc(named(&t, "x")) {
            for v in ["q", "y", "c"] {
                assert_ne!(a.loc(named(&t, v)), Loc::Reg(r), "{name}: %{v} takes %x's register");
            }
        }
    }
}

#[test]
fn sum_to_n_with_its_ovf_snapshot_needs_a_spill_in_three_registers() {
    // At `add.ovf` the snapshot still reads %i and %acc, so n, i, acc, acc1 and i1 are live
    // at once: five values, three registers.
    let t = sum_to_n();
    let rf = small();
    let a = allocate(&t, &rf).unwrap();
    check(&t, &a, &rf).unwrap();
    assert!(a.spill_slots >= 1);
    assert_ne!(a.loc(named(&t, "i1")), a.loc(named(&t, "i")), "the exit after overflow reads %i");
    let a = allocate(&t, &roomy()).unwrap();
    assert_eq!(a.spill_slots, 0);
}

#[test]
fn values_across_a_call_avoid_caller_saved_registers() {
    let t = parse(
        "%x = input 0 : i64
        %f = input 1 : f64
        %r = call.i64 @h(%x)
        %g = call.f64 pure @k(%f)
        snap0 @resume(0) { 0: %x, 1: %r, 2: %g, 3: %f }
        exit snap0",
    );
    let rf = small();
    let a = allocate(&t, &rf).unwrap();
    check(&t, &a, &rf).unwrap();
    // x and f are read after the calls: callee-saved.
    assert_eq!(a.loc(named(&t, "x")), Loc::Reg(Reg::gpr(2)));
    assert_eq!(a.loc(named(&t, "f")), Loc::Reg(Reg::fpr(1)));
    // r lives across the second call: no caller-saved register either.
    let r = a.loc(named(&t, "r"));
    assert!(!matches!(r, Loc::Reg(reg) if rf.is_caller_saved(reg)), "{r:?}");
    // The last call's result may sit in the return register it is clobbered by.
    assert_eq!(a.loc(named(&t, "g")), Loc::Reg(Reg::fpr(rf.ret_fpr)));
}

#[test]
fn callee_saved_registers_are_kept_for_ranges_that_cross_calls() {
    // Callee-saved first in the register file, as a backend might list them: x is defined
    // first but crosses no call, so it must not take gc from v, which does.
    let rf = RegFile { gprs: vec![2, 0, 1], ..small() };
    let t = parse(
        "%x = input 0 : i64
        %v = load.i64 [%x]
        %w = load.i64 [%x + 8]
        call.void @f(%w)
        snap0 @resume(0) { 0: %v }
        exit snap0",
    );
    let a = allocate(&t, &rf).unwrap();
    check(&t, &a, &rf).unwrap();
    assert_eq!(a.loc(named(&t, "v")), Loc::Reg(Reg::gpr(2)), "{}", annotate(&t, &a, &rf));
    assert_eq!(a.spill_slots, 0);
}

#[test]
fn two_address_result_takes_the_dying_first_operand() {
    let rf = roomy();
    let t = pressure();
    let a = allocate(&t, &rf).unwrap();
    // %t2 = shl %t1, 3 with %t1 still read by snap1: no reuse. %g2 = fadd %g1, %g with %g1
    // dying there (floats are not two-address here), %t4 = sdiv is not two-address either.
    let (t1, t2) = (named(&t, "t1"), named(&t, "t2"));
    assert_ne!(a.loc(t1), a.loc(t2));
    let t = parse(
        "%x = input 0 : i64
        %y = input 1 : i64
        %s = add %x, %y
        %d = sub %s, %y
        snap0 @resume(0) { 0: %d, 1: %y }
        exit snap0",
    );
    let a = allocate(&t, &rf).unwrap();
    check(&t, &a, &rf).unwrap();
    assert_eq!(a.loc(named(&t, "s")), a.loc(named(&t, "x")), "{}", annotate(&t, &a, &rf));
    assert_eq!(a.loc(named(&t, "d")), a.loc(named(&t, "s")), "{}", annotate(&t, &a, &rf));
}

#[test]
fn temps_keep_operands_and_live_values_out() {
    // Shifts need gb free: neither operands nor values live across may sit there; the result
    // may. Divisions need ga free and destroy gb.
    let rf = small();
    let t = parse(
        "%x = input 0 : i64
        %y = input 1 : i64
        %z = input 2 : i64
        %s = shl %x, %y
        %q = sdiv %s, %z
        snap0 @resume(0) { 0: %q, 1: %z }
        exit snap0",
    );
    let a = allocate(&t, &rf).unwrap();
    check(&t, &a, &rf).unwrap();
    for v in ["x", "y", "z"] {
        assert_ne!(a.loc(named(&t, v)), Loc::Reg(Reg::gpr(1)), "%{v}\n{}", annotate(&t, &a, &rf));
    }
    // Three inputs live at entry, but gb is unavailable to all of them: the one read last
    // (z, by the division) goes to memory.
    assert_eq!(a.loc(named(&t, "z")), Loc::Spill(0), "{}", annotate(&t, &a, &rf));
    assert_ne!(a.loc(named(&t, "s")), Loc::Reg(Reg::gpr(0)), "an operand of the division");
}

#[test]
fn no_registers_means_everything_spills() {
    let rf = none();
    let t = pressure();
    let a = allocate(&t, &rf).unwrap();
    assert!(a.locs.iter().all(|l| !matches!(l, Loc::Reg(_))));
    assert!(a.spill_slots > 0);
    check(&t, &a, &rf).unwrap();
}

#[test]
fn degenerate_shapes() {
    let rf = small();
    for src in [
        "snap0 @resume(0) {}\nexit snap0",
        "%x = input 0 : i64\nloop ()\njump ()",
        // A parameter only passed around, and a constant jump argument.
        "%x = input 0 : i64
        %k = const 9 : i64
        loop (%a = %x, %b = %x, %c = %k)
          snap0 @resume(0) { 0: %a, 1: %b, 2: %c }
          %e = icmp.eq %a, %c
          guard %e, snap0
          jump (%b, %k, %a)",
    ] {
        let t = parse(src);
        let a = allocate(&t, &rf).unwrap();
        check(&t, &a, &rf).unwrap_or_else(|e| panic!("{e}\n{}", annotate(&t, &a, &rf)));
        if let Terminator::Jump(args) = &t.term {
            if args.len() == 3 {
                assert!(a.backedge_moves.iter().any(|m| m.from == Loc::Const(9)));
            } else {
                assert_eq!(a.loc(Value(0)), Loc::None, "an unused input");
            }
        }
    }
    // A register file without scratch registers cannot break cycles.
    let bad = RegFile { scratch_gprs: vec![], ..small() };
    assert!(matches!(allocate(&sum_to_n(), &bad), Err(AllocError::Unsatisfiable(_))));
}

#[test]
fn the_dump_annotates_every_definition_and_shows_the_moves() {
    let t = sum_to_n();
    let rf = roomy();
    let a = allocate(&t, &rf).unwrap();
    let expect = "\
trace sum_to_n
; 0 spill slots
%n = input 0 : i64                      ; ga
%zero = const 0 : i64                   ; const
%one = const 1 : i64                    ; const
; preheader moves: gb <- 0x0; gc <- 0x0
loop (%i = %zero, %acc = %zero)         ; %i: gb, %acc: gc
  %c = icmp.slt %i, %n                  ; gd
  snap0 @resume(7) { 0: %i, 1: %acc }
  guard %c, snap0
  %acc1 = add %acc, %i                  ; gd
  %i1 = add.ovf %i, %one, snap0         ; ge
  ; back-edge moves: gc <- gd; gb <- ge
  jump (%i1, %acc1)
";
    assert_eq!(annotate(&t, &a, &rf), expect);
    // Spill slots read as such.
    let a = allocate(&t, &none()).unwrap();
    let d = annotate(&t, &a, &none());
    assert!(d.contains("; spill 0") && d.contains(&format!("; {} spill slots", a.spill_slots)), "{d}");
    assert!(d.contains("; back-edge moves: spill"), "{d}");
}

#[test]
fn the_examples_and_the_differential_corpus_check_on_every_register_file() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    for dir in ["examples", "examples/kernels", "cross-tests/cases"] {
        if let Ok(rd) = std::fs::read_dir(root.join(dir)) {
            files
                .extend(rd.flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "tir")));
        }
    }
    files.sort();
    assert!(files.len() >= 4, "{files:?}");
    let rfs = regfiles();
    let mut checked = 0;
    for path in &files {
        let src = std::fs::read_to_string(path).unwrap();
        // Some corpus files are meant to be rejected; the allocator only sees valid traces.
        let Ok(t) = trace_ir::text::parse(&src) else { continue };
        if trace_ir::verify::verify(&t).is_err() {
            continue;
        }
        for (name, rf) in &rfs {
            let a = allocate(&t, rf).unwrap_or_else(|e| panic!("{} on {name}: {e}", path.display()));
            check(&t, &a, rf)
                .unwrap_or_else(|e| panic!("{} on {name}: {e}\n{}", path.display(), annotate(&t, &a, rf)));
        }
        checked += 1;
    }
    assert!(checked * 2 >= files.len(), "only {checked} of {} files are valid traces", files.len());
}

#[test]
fn registers_an_exit_cannot_save_are_refused() {
    // The exit state saves 32 registers of each class by hardware number; a value in gpr 40
    // could never be restored, so a register file naming one is an error, not a panic later.
    let t = sum_to_n();
    for (gprs, fprs) in [(vec![0, 1, 40], vec![0, 1]), (vec![0, 1, 2], vec![0, 32])] {
        let rf = RegFile { gprs, fprs, ..small() };
        match allocate(&t, &rf) {
            Err(AllocError::Unsatisfiable(m)) => assert!(m.contains("beyond"), "{m}"),
            other => panic!("{other:?}"),
        }
    }
    // Scratch registers are never allocated, so they may be numbered anywhere.
    let rf = RegFile { scratch_gprs: vec![40], gprs: vec![0, 1, 2, 40], ..small() };
    let a = allocate(&t, &rf).unwrap();
    check(&t, &a, &rf).unwrap();
}
