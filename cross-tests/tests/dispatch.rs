//! The `dispatch` terminator on the host backend: the jump table's entries (traces installed
//! before and after the dispatching one, a table entry that leaves, an index past the table)
//! against the reference interpreter, and linking the past-the-table exit.

use cross_tests::engine::host_jit;
use trace_ir::interp::{run, Env};
use trace_ir::ir::SnapId;
use trace_ir::text::parse;
use trace_ir::Symbols;

const ONE: &str = "trace one\n%c = const 100 : i64\nsnap0 @resume(1) { 2: %c }\nexit snap0\n";
// Trace 1 dispatches into 0 (installed before it), 2 (after it), itself, or leaves.
const D: &str = "trace d\n%i = input 0 : i64\n%x = input 1 : i64\n%one = const 1 : i64\n\
    %x1 = add %x, %one\n%z = const 4 : i64\n\
    snap0 @resume(9) { 0: %z, 1: %x1 }\nsnap1 @resume(8) { 0: %z, 1: %x1 }\n\
    dispatch %i, snap0, [0, 2, snap1, 1]\n";
const TWO: &str = "trace two\n%c = const 200 : i64\nsnap0 @resume(2) { 2: %c }\nexit snap0\n";

#[test]
fn dispatch_enters_the_table_entry_or_leaves() {
    let syms = Symbols::new();
    let (one, d, two) = (parse(ONE).unwrap(), parse(D).unwrap(), parse(TWO).unwrap());
    let mut jit = host_jit();
    assert_eq!(jit.install(&one, &syms).unwrap(), 0);
    assert_eq!(jit.install(&d, &syms).unwrap(), 1);
    // Before trace 2 exists its entry leaves through the dispatch's snapshot.
    let mut s = [1u64, 5, 0];
    // SAFETY: the traces touch no memory and call nothing.
    let e = unsafe { jit.run(1, &mut s) }.unwrap();
    assert_eq!((e.trace, e.snap, e.resume, s), (1, SnapId(0), 9, [4, 6, 0]));
    assert_eq!(jit.install(&two, &syms).unwrap(), 2);
    let traces = [(0, &one), (1, &d), (2, &two)];
    let env = Env { self_id: 1, ..Env::new(&syms).with_traces(&traces) };
    // Index 3 enters trace 1 again, whose index is then 4: past the table.
    for i in [0u64, 1, 2, 3, 4, 1000, u64::MAX] {
        let mut want = [i, 5, 0];
        let we = run(&d, &mut want, &env).unwrap();
        let mut got = [i, 5, 0];
        // SAFETY: as above.
        let ge = unsafe { jit.run(1, &mut got) }.unwrap();
        assert_eq!((ge.trace, ge.snap, ge.resume), (we.trace, we.snap, we.resume), "index {i}");
        assert_eq!(got, want, "index {i}");
    }
    let info = jit.code_info(1).unwrap();
    assert!(info.link_branch.is_some_and(|b| b >= info.start && b < info.start + info.len));
    // The past-the-table exit is a stub like any other: link it to trace 2.
    jit.link_exit(1, SnapId(0), 2).unwrap();
    let mut s = [7u64, 5, 0];
    // SAFETY: as above.
    let e = unsafe { jit.run(1, &mut s) }.unwrap();
    assert_eq!((e.trace, e.resume, s), (2, 2, [4, 6, 200]));
    jit.unlink_exit(1, SnapId(0)).unwrap();
    let mut s = [7u64, 5, 0];
    // SAFETY: as above.
    let e = unsafe { jit.run(1, &mut s) }.unwrap();
    assert_eq!((e.trace, e.resume, s), (1, 9, [4, 6, 0]));
}
