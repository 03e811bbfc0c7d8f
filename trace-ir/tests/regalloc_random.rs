//! Random traces on several register files: every allocation must pass the checker.

mod common;
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
        trace_ir::verify::verify(&t).unwrap_or_else(|e| panic!("seed {seed}: the generator made {e}"));
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

#[test]
fn allocations_that_ignore_constraints_are_caught() {
    // Allocate as if nothing clobbered anything, then check against the real register file.
    let real = small();
    let blind = trace_ir::regalloc::RegFile {
        caller_saved_gprs: vec![],
        caller_saved_fprs: vec![],
        constraints: |_, _| Default::default(),
        ..small()
    };
    let (mut caught, mut total) = (0, 0);
    for seed in 0..300 {
        let t = random_trace(seed, 30);
        let a = allocate(&t, &blind).unwrap();
        total += 1;
        if check(&t, &a, &real).is_err() {
            caught += 1;
        }
    }
    assert!(caught > total / 10, "caught {caught} of {total}");
}

#[test]
fn unsequenced_back_edge_moves_are_caught() {
    let rf = small();
    let mut caught = 0;
    for seed in 0..800 {
        let t = random_trace(seed, 30);
        let mut a = allocate(&t, &rf).unwrap();
        // The parallel move done in order, without the scratch register.
        let naive: Vec<_> = a.backedge_moves.iter().copied().filter(|m| !is_scratch(&rf, m.to)).collect();
        let sequenced_through_scratch = naive.len() != a.backedge_moves.len();
        if sequenced_through_scratch {
            let mut bad = naive;
            // Reading the saved value from the scratch register becomes reading the original.
            for m in bad.iter_mut() {
                if is_scratch(&rf, m.from) {
                    let saved = a.backedge_moves.iter().find(|s| is_scratch(&rf, s.to)).unwrap();
                    m.from = saved.from;
                }
            }
            a.backedge_moves = bad;
            assert!(check(&t, &a, &rf).is_err(), "seed {seed}: a broken cycle passed");
            caught += 1;
        }
    }
    assert!(caught >= 8, "{caught} traces had cycles at the back edge");
}

fn is_scratch(rf: &trace_ir::regalloc::RegFile, l: Loc) -> bool {
    matches!(l, Loc::Reg(r) if match r.class {
        trace_ir::regalloc::RegClass::Gpr => rf.scratch_gprs.contains(&r.hw),
        trace_ir::regalloc::RegClass::Fpr => rf.scratch_fprs.contains(&r.hw),
    })
}

#[test]
fn malformed_traces_give_errors_not_panics() {
    let rf = small();
    for seed in 0..400u64 {
        let mut t = random_trace(seed, 20);
        let mut r = Rng::new(seed);
        let n = t.insts.len();
        let wild = |r: &mut Rng| trace_ir::ir::Value(r.below(n + 4) as u32);
        match r.below(6) {
            0 => {
                let i = r.below(n);
                t.insts[i].op.map_operands(|_| wild(&mut r));
            }
            1 => {
                if let Some(s) = t.snaps.get_mut(0) {
                    s.entries.push((99, wild(&mut r)));
                } else {
                    t.term = trace_ir::ir::Terminator::Exit(trace_ir::ir::SnapId(5));
                }
            }
            2 => t.loop_start = Some(r.below(n + 3)),
            3 => t.loop_inits.push(wild(&mut r)),
            4 => t.term.map_operands(|_| wild(&mut r)),
            _ => {
                let i = r.below(n);
                t.insts[i].ty = None;
            }
        }
        // Either outcome is fine; a panic is not. An allocation that comes back must check
        // or be rejected with a message.
        if let Ok(a) = allocate(&t, &rf) {
            let _ = check(&t, &a, &rf);
            let _ = annotate(&t, &a, &rf);
        }
        let _ = check(&t, &trace_ir::regalloc::Allocation::default(), &rf);
    }
}
