//! Allocation of hand-written traces, each proven by the checker.

mod regalloc_support;

use regalloc_support::*;
use trace_ir::ir::*;
use trace_ir::regalloc::{allocate, annotate, check, Loc, Reg};
use trace_ir::{Builder, Type};

#[test]
fn hand_written_traces_check_on_every_register_file() {
    for (name, rf) in regfiles() {
        for t in [sum_to_n(), pressure(), straight()] {
            let a = allocate(&t, &rf).unwrap_or_else(|e| panic!("{name} {:?}: {e}", t.name));
            check(&t, &a, &rf).unwrap_or_else(|e| panic!("{name} {:?}: {e}", t.name));
        }
    }
}

/// A counting loop whose next values can take their parameters' registers.
fn counter() -> Trace {
    let mut b = Builder::named("counter");
    let n = b.input(0, Type::I64);
    let zero = b.iconst(Type::I64, 0);
    let one = b.iconst(Type::I64, 1);
    let ps = b.begin_loop(&[zero, zero]);
    let (i, acc) = (ps[0], ps[1]);
    let c = b.icmp(ICmp::Slt, i, n);
    let s = b.snapshot(7, &[(0, i), (1, acc)]);
    b.guard(c, s);
    let acc1 = b.bin(BinOp::Add, acc, i);
    let i1 = b.bin(BinOp::Add, i, one);
    b.jump(&[i1, acc1])
}

#[test]
fn a_counting_loop_lives_in_registers_without_back_edge_moves() {
    let t = counter();
    let rf = small();
    let a = allocate(&t, &rf).unwrap();
    check(&t, &a, &rf).unwrap();
    // n, i, acc and the comparison are live at once in three registers: n is read furthest
    // away (on the next iteration), so n goes to memory, and nothing else does.
    assert_eq!(a.spill_slots, 1, "{}", annotate(&t, &a, &rf));
    for (i, inst) in t.insts.iter().enumerate() {
        let l = a.locs[i];
        match inst.op {
            Op::Const { bits } => assert_eq!(l, Loc::Const(bits)),
            Op::Guard { .. } => assert_eq!(l, Loc::None),
            Op::Input { .. } => assert_eq!(l, Loc::Spill(0)),
            _ => assert!(matches!(l, Loc::Reg(_)), "%{i} in {l:?}"),
        }
    }
    // Two-address results take their parameters' registers, so the back edge is free.
    assert!(a.backedge_moves.is_empty(), "{}", annotate(&t, &a, &rf));
    assert_eq!(a.preheader_moves.len(), 2);
    assert!(a.preheader_moves.iter().all(|m| m.from == Loc::Const(0)));
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
    let a = allocate(&t, &roomy()).unwrap();
    assert_eq!(a.spill_slots, 0);
}

#[test]
fn values_across_a_call_avoid_caller_saved_registers() {
    let mut b = Builder::new();
    let x = b.input(0, Type::I64);
    let f = b.input(1, Type::F64);
    let r = b.call(Some(Type::I64), Callee::Symbol("h".into()), &[x], CallEffect::Any);
    let g = b.call(Some(Type::F64), Callee::Symbol("k".into()), &[f], CallEffect::Pure);
    let s = b.snapshot(0, &[(0, x), (1, r), (2, g), (3, f)]);
    let t = b.exit(s);
    let rf = small();
    let a = allocate(&t, &rf).unwrap();
    check(&t, &a, &rf).unwrap();
    // x and f are read after the calls: callee-saved, or spilled when there is none.
    assert_eq!(a.loc(x), Loc::Reg(Reg::gpr(2)));
    assert_eq!(a.loc(f), Loc::Reg(Reg::fpr(1)));
    // r lives across the second call: no caller-saved register either.
    assert!(!matches!(a.loc(r), Loc::Reg(reg) if rf.is_caller_saved(reg)), "{:?}", a.loc(r));
    // The last call's result may sit in the return register it is clobbered by.
    assert_eq!(a.loc(g), Loc::Reg(Reg::fpr(rf.ret_fpr)));
}

#[test]
fn two_address_result_takes_the_dying_first_operand() {
    let rf = roomy();
    let t = pressure();
    let a = allocate(&t, &rf).unwrap();
    // %10 = shl %9, 3 with %9 dying there; %13 = sdiv is not two-address.
    for (i, inst) in t.insts.iter().enumerate() {
        if let Op::Bin(op @ (BinOp::Shl | BinOp::FMul | BinOp::FAdd), x, _) = inst.op {
            if matches!(a.loc(x), Loc::Reg(_)) && op == BinOp::Shl {
                assert_eq!(a.loc(Value(i as u32)), a.loc(x), "{}", annotate(&t, &a, &rf));
            }
        }
    }
    let shl = t.insts.iter().position(|i| matches!(i.op, Op::Bin(BinOp::Shl, ..))).unwrap();
    assert!(matches!(a.loc(Value(shl as u32)), Loc::Reg(_)));
}

#[test]
fn temps_keep_operands_and_live_values_out() {
    // Shifts need gb free: neither operands nor values live across may sit there.
    let rf = small();
    let t = pressure();
    let a = allocate(&t, &rf).unwrap();
    let shl = t.insts.iter().position(|i| matches!(i.op, Op::Bin(BinOp::Shl, ..))).unwrap();
    let Op::Bin(_, x, y) = t.insts[shl].op else { unreachable!() };
    assert_ne!(a.loc(x), Loc::Reg(Reg::gpr(1)));
    assert_ne!(a.loc(y), Loc::Reg(Reg::gpr(1)));
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
fn callee_saved_registers_are_kept_for_ranges_that_cross_calls() {
    // Callee-saved first in the register file, as a backend might list them: x is defined
    // first but crosses no call, so it must not take gc from v, which does.
    let rf = trace_ir::regalloc::RegFile { gprs: vec![2, 0, 1], ..small() };
    let mut b = Builder::new();
    let x = b.input(0, Type::I64);
    let v = b.load(Type::I64, x, 0, false);
    let w = b.load(Type::I64, x, 8, false);
    b.call(None, Callee::Symbol("f".into()), &[w], CallEffect::Any);
    let s = b.snapshot(0, &[(0, v)]);
    let t = b.exit(s);
    let a = allocate(&t, &rf).unwrap();
    check(&t, &a, &rf).unwrap();
    assert_eq!(a.loc(v), Loc::Reg(Reg::gpr(2)), "{}", annotate(&t, &a, &rf));
    assert_eq!(a.spill_slots, 0);
}

#[test]
fn degenerate_shapes() {
    let rf = small();
    // Nothing at all but an exit.
    let mut b = Builder::new();
    let s = b.snapshot(0, &[]);
    let t = b.exit(s);
    let a = allocate(&t, &rf).unwrap();
    check(&t, &a, &rf).unwrap();
    assert!(a.locs.is_empty());
    // A loop without parameters or body.
    let mut b = Builder::new();
    let x = b.input(0, Type::I64);
    b.begin_loop(&[]);
    let t = b.jump(&[]);
    let a = allocate(&t, &rf).unwrap();
    check(&t, &a, &rf).unwrap();
    assert_eq!(a.loc(x), Loc::None);
    // A loop whose parameter is only passed around, and a constant jump argument.
    let mut b = Builder::new();
    let x = b.input(0, Type::I64);
    let k = b.iconst(Type::I64, 9);
    let ps = b.begin_loop(&[x, x, k]);
    let s = b.snapshot(0, &[(0, ps[0]), (1, ps[1]), (2, ps[2])]);
    let c = b.icmp(ICmp::Eq, ps[0], ps[2]);
    b.guard(c, s);
    let t = b.jump(&[ps[1], k, ps[0]]);
    let a = allocate(&t, &rf).unwrap();
    check(&t, &a, &rf).unwrap();
    assert!(a.backedge_moves.iter().any(|m| m.from == Loc::Const(9)));
    // A register file without scratch registers cannot break cycles.
    let bad = trace_ir::regalloc::RegFile { scratch_gprs: vec![], ..small() };
    assert!(matches!(allocate(&t, &bad), Err(trace_ir::regalloc::AllocError::Unsatisfiable(_))));
}

#[test]
fn the_dump_annotates_every_definition_and_shows_the_moves() {
    let t = sum_to_n();
    let rf = roomy();
    let a = allocate(&t, &rf).unwrap();
    let d = annotate(&t, &a, &rf);
    let lines: Vec<&str> = d.lines().collect();
    assert_eq!(lines[0], "trace sum_to_n");
    assert_eq!(lines[1], "; 0 spill slots");
    let line = |prefix: &str| {
        *lines
            .iter()
            .find(|l| l.trim_start().starts_with(prefix))
            .unwrap_or_else(|| panic!("no {prefix} in\n{d}"))
    };
    assert!(line("%1 = const 0 : i64").ends_with("; const"), "{d}");
    assert!(line("%acc1 = add %acc, %i").ends_with(&format!("; {}", rf.name(reg(a.loc(Value(7)))))), "{d}");
    assert!(line("; preheader moves:").contains("<- 0x0"), "{d}");
    assert!(line("; back-edge moves:").contains(" <- "), "{d}");
    assert!(line("guard %5, snap0").find(';').is_none(), "no location for a guard:\n{d}");
    assert!(line("loop (%i = %1, %acc = %1)").contains("%i: "), "{d}");
    // Spill slots read as such.
    let a = allocate(&t, &none()).unwrap();
    let d = annotate(&t, &a, &none());
    assert!(d.contains("; spill 0"), "{d}");
    assert!(d.contains(&format!("; {} spill slots", a.spill_slots)), "{d}");
}

fn reg(l: Loc) -> Reg {
    match l {
        Loc::Reg(r) => r,
        l => panic!("{l:?}"),
    }
}
