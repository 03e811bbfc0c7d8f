//! The `dispatch` terminator (native-interpreter code): text round trip, verifier rules and
//! the reference interpreter.

use trace_ir::interp::{run, Env};
use trace_ir::ir::{DispatchTarget, SnapId, Terminator};
use trace_ir::text::{parse, print};
use trace_ir::verify::verify;
use trace_ir::Symbols;

const SRC: &str = "trace d\n%i = input 0 : i64\n%x = input 1 : i64\n\
    snap0 @resume(9) { 1: %x }\nsnap1 @resume(9) { 1: %x }\ndispatch %i, snap0, [1, 2, snap1, 1]\n";

const T1: &str = "trace one\n%c = const 100 : i64\nsnap0 @resume(1) { 2: %c }\nexit snap0\n";
const T2: &str = "trace two\n%c = const 200 : i64\nsnap0 @resume(2) { 2: %c }\nexit snap0\n";

#[test]
fn dispatch_round_trips_and_verifies() {
    let t = parse(SRC).unwrap();
    assert_eq!(print(&t), SRC);
    verify(&t).unwrap();
    let Terminator::Dispatch { index, snap, targets } = &t.term else { panic!("{:?}", t.term) };
    assert_eq!((index.0, *snap), (0, SnapId(0)));
    assert_eq!(targets[2], DispatchTarget::Exit(SnapId(1)));
    assert_eq!(t.term.exit_snaps(), vec![SnapId(0), SnapId(1)]);
    assert_eq!(t.term.linked_traces(), vec![1, 2, 1]);
    // An empty table always leaves.
    let empty = SRC.replace("[1, 2, snap1, 1]", "[]");
    assert_eq!(print(&parse(&empty).unwrap()), empty);
}

#[test]
fn dispatch_verifier_rules() {
    // An entry that leaves must leave with the terminator's state.
    let other = SRC.replace("snap1 @resume(9) { 1: %x }", "snap1 @resume(9) { 1: %i }");
    let e = verify(&parse(&other).unwrap()).unwrap_err();
    assert!(e.to_string().contains("writes other slots"), "{e}");
    // The index is an integer.
    let f = SRC.replace("%i = input 0 : i64", "%i = input 0 : f64");
    assert!(verify(&parse(&f).unwrap()).unwrap_err().to_string().contains("not an integer"));
    // Snapshots exist.
    let missing = SRC.replace("snap1, 1]", "snap7, 1]");
    assert!(parse(&missing).is_err() || verify(&parse(&missing).unwrap()).is_err());
    // Garbage in the table is a parse error, not a panic.
    for bad in ["[1, 2", "[%i]", "[1 2]", "1, 2]"] {
        assert!(parse(&SRC.replace("[1, 2, snap1, 1]", bad)).is_err(), "{bad}");
    }
}

#[test]
fn the_reference_interpreter_follows_the_table() {
    let (d, one, two) = (parse(SRC).unwrap(), parse(T1).unwrap(), parse(T2).unwrap());
    let syms = Symbols::new();
    let traces = [(1, &one), (2, &two)];
    let env = Env::new(&syms).with_traces(&traces);
    for (i, want_trace, want_snap, slot2) in
        [(0u64, 1, 0, 100), (1, 2, 0, 200), (2, 0, 1, 0), (3, 1, 0, 100), (4, 0, 0, 0), (u64::MAX, 0, 0, 0)]
    {
        let mut slots = [i, 5, 0];
        let e = run(&d, &mut slots, &env).unwrap();
        assert_eq!((e.trace, e.snap.0, slots[2]), (want_trace, want_snap, slot2), "index {i}");
        assert_eq!(slots[1], 5, "the snapshot is written");
    }
}
