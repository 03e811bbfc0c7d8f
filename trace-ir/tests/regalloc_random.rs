//! Random traces on several register files: every allocation must pass the checker.

mod regalloc_support;

use regalloc_support::*;
use trace_ir::regalloc::{allocate, annotate, check, AllocError, Loc};

#[test]
fn random_traces_check_on_every_register_file() {
    let rfs = regfiles();
    let mut spilled = 0;
    let mut moves = 0;
    for seed in 0..400 {
        let t = random_trace(seed, 30);
        for (name, rf) in &rfs {
            let a = allocate(&t, rf).unwrap_or_else(|e| panic!("seed {seed} on {name}: {e}"));
            if let Err(e) = check(&t, &a, rf) {
                panic!("seed {seed} on {name}: {e}\n{}", annotate(&t, &a, rf));
            }
            spilled += a.spill_slots as usize;
            moves += a.backedge_moves.len();
        }
    }
    // The corpus exercises what it is meant to.
    assert!(spilled > 100, "{spilled}");
    assert!(moves > 100, "{moves}");
}

#[test]
fn long_random_traces_check() {
    let rfs = regfiles();
    for seed in 1000..1020 {
        let t = random_trace(seed, 400);
        for (name, rf) in &rfs {
            let a = allocate(&t, rf).unwrap_or_else(|e| panic!("seed {seed} on {name}: {e}"));
            check(&t, &a, rf).unwrap_or_else(|e| panic!("seed {seed} on {name}: {e}"));
        }
    }
}

#[test]
fn more_simultaneous_spills_than_slots_is_a_typed_error() {
    // 300 values all read by the final snapshot, with one register.
    let mut b = trace_ir::Builder::new();
    let x = b.input(0, trace_ir::Type::I64);
    let mut entries = Vec::new();
    let mut v = x;
    for slot in 0..300 {
        v = b.bin(trace_ir::ir::BinOp::Add, v, x);
        entries.push((slot, v));
    }
    let s = b.snapshot(0, &entries);
    let t = b.exit(s);
    match allocate(&t, &one()) {
        Err(AllocError::TooManySpills { needed }) => assert!(needed > 256, "{needed}"),
        other => panic!("{other:?}"),
    }
    // With fewer values it fits, and spill slots are reused once free.
    let a = allocate(&random_trace(5, 30), &none()).unwrap();
    let used: std::collections::HashSet<u32> =
        a.locs.iter().filter_map(|l| if let Loc::Spill(k) = l { Some(*k) } else { None }).collect();
    assert_eq!(used.len() as u32, a.spill_slots);
}
