//! The trace builder on a small bytecode interpreter: a recorded iteration becomes a loop
//! trace that agrees with the program, on the reference interpreter and natively, with and
//! without the optimizer, and that leaves into the native interpreter at exact state.

mod common;

use common::*;

use trace_ir::fragment::native::{Copy, NativeInterp};
use trace_ir::fragment::split::split;
use trace_ir::fragment::{interp, Program};
use trace_ir::interp::{Env, MemRegion};
use trace_ir::ir::*;
use trace_ir::recording::Recording;
use tracery_runtime::build::{build, Abort, Ending, Input, Limits, Slices};

/// acc += n; acc += twice(3); n -= 1; loop while n != 0.
fn bytecode() -> Vec<u64> {
    vec![ADDN, 0, MIX, 3, DECN, 1, JNZ, (-3i64) as u64, HALT, 0]
}

/// Runs the program from `slots` to its end on the reference interpreter.
fn reference(p: &Program, code: &mut [u64], slots: &mut [u64]) -> interp::ProgramExit {
    let syms = symbols();
    let mem = [MemRegion::of(bytes(code))];
    interp::run_from(p, p.entry, slots, &Env::new(&syms).with_memory(&mem), 1_000_000, None).unwrap()
}

/// Records one iteration of the loop at `pc`, starting from `slots` (which it advances).
fn record_iteration(p: &Program, code: &mut [u64], slots: &mut [u64], steps: u64) -> Recording {
    let syms = symbols();
    let mem = [MemRegion::of(bytes(code))];
    let mut rec = Recording::default();
    let head = p.fragment_by_name("head").unwrap();
    let r = interp::run_from(p, head, slots, &Env::new(&syms).with_memory(&mem), steps, Some(&mut rec));
    assert!(matches!(r, Err(interp::ProgramRunError::StepLimit(_))), "{r:?}");
    rec
}

#[test]
fn a_recorded_iteration_becomes_a_loop_that_agrees_with_the_program() {
    let p = program();
    let sp = split(&p);
    let head = p.fragment_by_name("head").unwrap();
    let mut code = bytecode();
    let pc0 = code.as_ptr() as u64;
    let syms = symbols();
    for n in [2u64, 3, 5, 100] {
        // The whole run on the program alone.
        let mut want = vec![pc0, n, 0, 0];
        let e = reference(&p, &mut code, &mut want);
        assert_eq!(e.resume, 1);
        assert_eq!(want[2], (n * (n + 1) / 2) + 6 * n);

        // Record the first iteration, from the loop header.
        let mut rec_slots = vec![pc0, n, 0, 0];
        let rec = record_iteration(&p, &mut code, &mut rec_slots, 8);
        assert_eq!(
            rec.print(&p.fragment_names()),
            "head snap0\naddn snap1\nnext snap0\nmix snap0\nnext snap0\ndecn snap0\nnext snap0\njnz snap1\n"
        );
        let entry = vec![pc0, n, 0, 0];
        let imm = Slices(vec![bytes(&mut code)]);
        let built = build(&Input {
            split: &sp,
            recording: &rec,
            start: head,
            end: Some(head),
            side: false,
            entry: &entry,
            entry_dispatch: None,
            consts: &[],
            memory: &imm,
            symbols: &syms,
            lookup: &|_, _| None,
            limits: Limits::default(),
        })
        .unwrap();
        assert_eq!(built.ending, Ending::Loop);
        let trace = built.trace;
        let text = trace_ir::text::print(&trace);
        trace_ir::verify::verify(&trace).unwrap_or_else(|e| panic!("{e}\n{text}"));
        // Every bytecode load, the dispatches and the elidable call folded away.
        assert!(!text.contains("load"), "{text}");
        assert!(!text.contains("call"), "{text}");
        assert_eq!(trace.loop_params().len(), 2, "n and acc are carried\n{text}");
        let mut opt = trace.clone();
        trace_ir::opt::optimize(&mut opt);
        trace_ir::verify::verify(&opt).unwrap();
        let mut peeled = opt.clone();
        trace_ir::opt::peel(&mut peeled);
        trace_ir::opt::optimize(&mut peeled);
        trace_ir::verify::verify(&peeled).unwrap();
        for t in [&trace, &opt, &peeled] {
            // Mixed: the trace on the reference interpreter, then the program from where it
            // left.
            let mut got = vec![pc0, n, 0, 0];
            let mem = [MemRegion::of(bytes(&mut code))];
            let env = Env::new(&syms).with_memory(&mem);
            let x = trace_ir::interp::run(t, &mut got, &env).unwrap();
            let to = t.snaps[x.snap.index()].to;
            let next = match to {
                SnapTo::Fragment(f) => f,
                other => panic!("left to {other:?}"),
            };
            let e2 = interp::run_from(&sp.program, next, &mut got, &env, 1_000_000, None).unwrap();
            assert_eq!(e2.resume, e.resume);
            assert_eq!(got[..3], want[..3], "n = {n}\n{}", trace_ir::text::print(t));
        }
        #[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
        for t in [&trace, &opt, &peeled] {
            let mut jit = host_jit();
            let ni = NativeInterp::install(&mut *jit, &sp.program, &syms).unwrap();
            let id = jit.install(t, &syms).unwrap();
            for (k, s) in t.snaps.iter().enumerate() {
                if let Some(to) = ni.entry_for(s.to) {
                    jit.link_exit(id, SnapId(k as u32), to).unwrap();
                }
            }
            let mut got = vec![0u64; ni.lowered.slot_count()];
            got[..4].copy_from_slice(&[pc0, n, 0, 0]);
            // SAFETY: the same program ran to the end on the reference interpreter from the
            // same state, touching only the bytecode (alive here) and calling `twice`.
            let x = unsafe { jit.run(id, &mut got).unwrap() };
            assert_eq!(x.resume, e.resume);
            assert_eq!(got[..3], want[..3], "native, n = {n}");
        }
    }
}

#[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
fn host_jit() -> Box<dyn trace_ir::backend::Jit> {
    #[cfg(target_arch = "x86_64")]
    return Box::new(backend_x64::X64::new());
    #[cfg(target_arch = "aarch64")]
    return Box::new(backend_aarch64::A64::new());
}

#[test]
fn the_native_recorder_records_what_the_reference_does() {
    let p = program();
    let mut code = bytecode();
    let pc0 = code.as_ptr() as u64;
    let syms = symbols();
    let mut want = vec![pc0, 3, 0, 0];
    let mem = [MemRegion::of(bytes(&mut code))];
    let mut rec = Recording::default();
    interp::run(&p, &mut want, &Env::new(&syms).with_memory(&mem), 10_000, Some(&mut rec)).unwrap();
    #[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
    {
        let mut jit = host_jit();
        let ni = NativeInterp::install(&mut *jit, &p, &syms).unwrap();
        let mut got = vec![0u64; ni.lowered.slot_count()];
        got[..4].copy_from_slice(&[pc0, 3, 0, 0]);
        // SAFETY: the reference interpreter ran the same program from the same state.
        let (_, nrec) = unsafe { ni.record(&mut *jit, p.entry, &mut got, 4096).unwrap() };
        assert_eq!(nrec, rec);
        assert_eq!(got[..3], want[..3]);
        let _ = Copy::Plain;
    }
}

#[test]
fn aborts_say_why() {
    let p = program();
    let sp = split(&p);
    let head = p.fragment_by_name("head").unwrap();
    let mut code = bytecode();
    let pc0 = code.as_ptr() as u64;
    let syms = symbols();
    let mut slots = vec![pc0, 5, 0, 0];
    let rec = record_iteration(&p, &mut code, &mut slots, 8);
    let entry = vec![pc0, 5, 0, 0];
    let mut slots1 = vec![pc0, 1, 0, 0];
    let rec1 = record_iteration(&p, &mut code, &mut slots1, 8);
    let entry1 = vec![pc0, 1, 0, 0];
    let imm = Slices(vec![bytes(&mut code)]);
    let mut input = Input {
        split: &sp,
        recording: &rec,
        start: head,
        end: Some(head),
        side: false,
        entry: &entry,
        entry_dispatch: None,
        consts: &[],
        memory: &imm,
        symbols: &syms,
        lookup: &|_, _| None,
        limits: Limits { max_insts: 3, max_snaps: 500 },
    };
    assert!(matches!(build(&input), Err(Abort::TooLong(4))), "{:?}", build(&input).map(|b| b.ending));
    input.limits = Limits::default();
    let empty = Recording::default();
    assert_eq!(build(&Input { recording: &empty, ..input }).unwrap_err(), Abort::Empty);
    // With n = 1 the iteration falls out of the loop to `next`, so the trace leaves into the
    // interpreter there, or links to the trace installed there.
    let next = p.fragment_by_name("next").unwrap();
    let b1 = build(&Input { recording: &rec1, entry: &entry1, end: Some(next), ..input }).unwrap();
    assert_eq!(b1.ending, Ending::Interpreter(next));
    let halt_pc = pc0 + 64;
    let lookup = move |f: u32, g: &[u64]| (f == next && g == [halt_pc]).then_some(7);
    let b2 = build(&Input { recording: &rec1, entry: &entry1, end: Some(next), lookup: &lookup, ..input })
        .unwrap();
    assert_eq!(b2.ending, Ending::Link(7));
    assert!(matches!(b2.trace.term, Terminator::Link { trace: 7, .. }));
    // Cut the iteration short: it does not come back to its start.
    let mut half = rec.clone();
    half.steps.truncate(5);
    assert_eq!(
        build(&Input { recording: &half, ..input }).unwrap_err().to_string(),
        "the recording does not fit the program: the recording ends going to decn, not to head"
    );
}

/// Every exit of the loop trace (optimized and peeled: the first iteration's copies too) is
/// taken at least once over a sweep of entry states, and after each the interpreter,
/// continuing where the exit says, ends exactly where the program alone does.
#[test]
fn every_exit_of_the_trace_is_taken_and_deopts_to_the_exact_state() {
    let p = program();
    let sp = split(&p);
    let head = p.fragment_by_name("head").unwrap();
    let mut code = bytecode();
    let pc0 = code.as_ptr() as u64;
    let syms = symbols();
    let mut rec_slots = vec![pc0, 5, 0, 0];
    let rec = record_iteration(&p, &mut code, &mut rec_slots, 8);
    let entry = vec![pc0, 5, 0, 0];
    let imm = Slices(vec![bytes(&mut code)]);
    let built = build(&Input {
        split: &sp,
        recording: &rec,
        start: head,
        end: Some(head),
        side: false,
        entry: &entry,
        entry_dispatch: None,
        consts: &[],
        memory: &imm,
        symbols: &syms,
        lookup: &|_, _| None,
        limits: Limits::default(),
    })
    .unwrap();
    let mut t = built.trace;
    trace_ir::opt::optimize(&mut t);
    trace_ir::opt::peel(&mut t);
    trace_ir::opt::optimize(&mut t);
    trace_ir::verify::verify(&t).unwrap();
    let mut taken = vec![0u32; t.snaps.len()];
    let max = i64::MAX as u64;
    for n in 1u64..12 {
        for acc in (0..40).map(|j| max - j).chain([0, 1, 100]) {
            let mut want = vec![pc0, n, acc, 0];
            let e = {
                let mem = [MemRegion::of(bytes(&mut code))];
                interp::run_from(&p, head, &mut want, &Env::new(&syms).with_memory(&mem), 1_000_000, None)
                    .unwrap()
            };
            let mut got = vec![pc0, n, acc, 0];
            let mem = [MemRegion::of(bytes(&mut code))];
            let env = Env::new(&syms).with_memory(&mem);
            let x = trace_ir::interp::run(&t, &mut got, &env).unwrap();
            taken[x.snap.index()] += 1;
            let e2 = match t.snaps[x.snap.index()].to {
                SnapTo::Host => {
                    assert_eq!(x.resume, e.resume, "n={n} acc={acc:#x}");
                    None
                }
                SnapTo::Fragment(f) => {
                    Some(interp::run_from(&sp.program, f, &mut got, &env, 1_000_000, None).unwrap())
                }
                other => panic!("left to {other:?}"),
            };
            if let Some(e2) = e2 {
                assert_eq!(e2.resume, e.resume, "n={n} acc={acc:#x}");
            }
            assert_eq!(
                got[..3],
                want[..3],
                "n={n} acc={acc:#x} after snap{}\n{}",
                x.snap.0,
                trace_ir::text::print(&t)
            );
        }
    }
    assert!(taken.iter().all(|&k| k > 0), "exits never taken: {taken:?}\n{}", trace_ir::text::print(&t));
}

/// A side trace whose parent did not know a green value at the exit (it left through a
/// promote's guard, say) guards on the value it was recorded with first, and from then on
/// knows it: so that where it ends, its green values are constants the driver can link by.
#[test]
fn a_side_trace_guards_on_the_green_values_it_was_recorded_with() {
    let p = program();
    let sp = split(&p);
    let head = p.fragment_by_name("head").unwrap();
    let mut code = bytecode();
    let pc0 = code.as_ptr() as u64;
    let syms = symbols();
    let mut rec_slots = vec![pc0, 3, 0, 0];
    let rec = record_iteration(&p, &mut code, &mut rec_slots, 8);
    let entry = vec![pc0, 3, 0, 0];
    let imm = Slices(vec![bytes(&mut code)]);
    let input = |consts: &'static [(u32, u64)]| Input {
        split: &sp,
        recording: &rec,
        start: head,
        end: Some(head),
        side: true,
        entry: &entry,
        entry_dispatch: None,
        consts,
        memory: &imm,
        symbols: &syms,
        lookup: &|_, _| None,
        limits: Limits::default(),
    };
    let text = trace_ir::text::print(&build(&input(&[])).unwrap().trace);
    let name_of = |what: &str| {
        let line = text.lines().find(|l| l.ends_with(what)).unwrap_or_else(|| panic!("no `{what}`:\n{text}"));
        line.split(" = ").next().unwrap().to_string()
    };
    let (pc_in, pc_k) = (name_of("input 0 : i64"), name_of(&format!("const {pc0:#x} : i64")));
    let cmp = text.lines().find(|l| l.ends_with(&format!("icmp.eq {pc_in}, {pc_k}")));
    let cmp = cmp.unwrap_or_else(|| panic!("pc compared with the recorded {pc0:#x}:\n{text}"));
    let first_guard = text.lines().find(|l| l.starts_with("guard")).unwrap();
    assert_eq!(first_guard, format!("guard {}, snap0", cmp.split(" = ").next().unwrap()), "{text}");
    // Known at entry: no guard for it.
    let known = build(&input(Box::leak(Box::new([(0u32, pc0)])))).unwrap().trace;
    let text = trace_ir::text::print(&known);
    assert!(!text.contains("input 0 "), "pc is a constant, not an input:\n{text}");
}

/// A one-fragment loop that adds a guess read from memory (`hint` or `promote` of it) and
/// the word at `k` (a plain load of immutable memory) to acc, until acc reaches 1000.
fn guess_program(op: &str) -> Program {
    let src = format!(
        "program guess
slot 0 pc : i64 green
slot 1 cell : i64
slot 2 acc : i64
slot 3 k : i64 green
entry head
control head

fragment head
%pc = input 0 : i64
%cell = input 1 : i64
%acc = input 2 : i64
%k = input 3 : i64
%g = load.i64 [%cell]
{op} %g
%w = load.i64 [%k]
%s = add %acc, %g
%acc1 = add %s, %w
%lim = const 1000 : i64
%small = icmp.ult %acc1, %lim
snap0 @resume(1) {{ 2: %acc1 }}
guard %small, snap0
snap1 @resume(0) -> head {{ 2: %acc1 }}
exit snap1
"
    );
    let p = trace_ir::text::parse_program(&src).unwrap();
    trace_ir::fragment::verify::verify(&p).unwrap();
    p
}

/// `hint` makes the recorded value a constant with no guard, where `promote` guards on it;
/// a load that is not `imm` still folds when it reads memory the VM declared immutable.
#[test]
fn a_hint_is_an_unguarded_constant_and_immutable_memory_folds() {
    let syms = symbols();
    let mut cell = vec![5u64];
    let mut konst = vec![100u64];
    let (cell_at, k_at) = (cell.as_ptr() as u64, konst.as_ptr() as u64);
    for op in ["hint", "promote"] {
        let p = guess_program(op);
        let sp = split(&p);
        let head = p.fragment_by_name("head").unwrap();
        let mem = [MemRegion::of(bytes(&mut cell)), MemRegion::of(bytes(&mut konst))];
        let mut slots = vec![0, cell_at, 0, k_at];
        let mut rec = Recording::default();
        let env = Env::new(&syms).with_memory(&mem);
        let r = interp::run_from(&p, head, &mut slots, &env, 1, Some(&mut rec));
        assert!(matches!(r, Err(interp::ProgramRunError::StepLimit(_))), "{r:?}");
        assert_eq!(rec.steps[0].promoted, vec![5], "{op} logs the value");
        let imm = Slices(vec![bytes(&mut konst)]);
        let entry = vec![0, cell_at, 0, k_at];
        let built = build(&Input {
            split: &sp,
            recording: &rec,
            start: head,
            end: Some(head),
            side: false,
            entry: &entry,
            entry_dispatch: None,
            consts: &[],
            memory: &imm,
            symbols: &syms,
            lookup: &|_, _| None,
            limits: Limits::default(),
        })
        .unwrap();
        let mut t = built.trace;
        trace_ir::opt::optimize(&mut t);
        let text = trace_ir::text::print(&t);
        trace_ir::verify::verify(&t).unwrap_or_else(|e| panic!("{e}\n{text}"));
        assert!(text.contains("const 5 : i64"), "{op}: the guess is a constant\n{text}");
        let loads = text.lines().filter(|l| l.contains("load")).count();
        let guards = text.lines().filter(|l| l.trim_start().starts_with("guard")).count();
        match op {
            // Nothing is loaded (the hint's load is dead and the word at k folded); the one
            // guard is the loop's own.
            "hint" => assert_eq!((loads, guards), (0, 1), "{text}"),
            // The promote loads the cell each iteration and guards on it.
            _ => assert_eq!((loads, guards), (1, 2), "{text}"),
        }
    }
}
