//! Fragment programs on the native interpreter against the reference interpreter.

use cross_tests::engine::host_jit;
use trace_ir::fragment::native::{Copy, NativeInterp, Origin};
use trace_ir::fragment::{interp, verify};
use trace_ir::interp::Env;
use trace_ir::recording::Recording;
use trace_ir::text::parse_program;
use trace_ir::Symbols;

fn example(name: &str) -> trace_ir::fragment::Program {
    let path = format!("{}/../examples/programs/{name}", env!("CARGO_MANIFEST_DIR"));
    let p = parse_program(&std::fs::read_to_string(path).unwrap()).unwrap();
    verify::verify(&p).unwrap();
    p
}

#[test]
fn countdown_native_plain_and_recording_agree_with_the_reference() {
    let p = example("countdown.tir");
    let syms = Symbols::new();
    let mut jit = host_jit();
    let ni = NativeInterp::install(&mut *jit, &p, &syms).unwrap();
    for n in [0u64, 1, 2, 10, 1000] {
        let mut want = vec![0, n, 0, 0];
        let mut rec = Recording::default();
        let e = interp::run(&p, &mut want, &Env::new(&syms), 1_000_000, Some(&mut rec)).unwrap();
        let mut got = vec![0u64; ni.lowered.slot_count()];
        got[..4].copy_from_slice(&[0, n, 0, 0]);
        // SAFETY: the program touches no memory and calls nothing.
        let ne = unsafe { ni.run(&mut *jit, p.entry, Copy::Plain, &mut got).unwrap() };
        assert_eq!(ne.origin, Origin::Snap { fragment: e.fragment, snap: e.snap });
        assert_eq!(ne.resume, e.resume);
        assert_eq!(&got[..3], &want[..3], "n = {n}");
        let mut got = vec![0u64; ni.lowered.slot_count()];
        got[..4].copy_from_slice(&[0, n, 0, 0]);
        // SAFETY: as above; the log is the recorder's own.
        let (re, nrec) = unsafe { ni.record(&mut *jit, p.entry, &mut got, 100_000).unwrap() };
        assert_eq!(re.origin, ne.origin);
        assert_eq!(&got[..3], &want[..3]);
        assert_eq!(nrec.print(&p.fragment_names()), rec.print(&p.fragment_names()), "n = {n}");
    }
}

#[test]
fn plain_only_install_runs_the_same_and_refuses_to_record() {
    let p = example("countdown.tir");
    let syms = Symbols::new();
    let mut jit = host_jit();
    let before = jit.trace_count();
    let ni = NativeInterp::install_plain(&mut *jit, &p, &syms).unwrap();
    let plain = p.fragments.len() + ni.lowered.dispatchers.len();
    assert_eq!((jit.trace_count() - before) as usize, plain, "only the plain copies and dispatchers");
    let full = NativeInterp::install(&mut *host_jit(), &p, &syms).unwrap();
    assert_eq!(full.lowered.traces.len(), plain + p.fragments.len());
    assert_eq!(full.lowered.dispatchers.len(), ni.lowered.dispatchers.len());
    assert!(!ni.lowered.has_recording());
    let mut want = vec![0, 10, 0, 0];
    interp::run(&p, &mut want, &Env::new(&syms), 1_000_000, None).unwrap();
    let mut got = vec![0u64; ni.lowered.slot_count()];
    got[..4].copy_from_slice(&[0, 10, 0, 0]);
    // SAFETY: the program touches no memory and calls nothing.
    unsafe { ni.run(&mut *jit, p.entry, Copy::Plain, &mut got).unwrap() };
    assert_eq!(&got[..3], &want[..3]);
    assert_eq!(got[2], 55);
    // SAFETY: as above; the call is refused before anything runs.
    let r = unsafe { ni.record(&mut *jit, p.entry, &mut got, 100) };
    assert!(r.is_err(), "recording without the recording copy must be an error");
    // SAFETY: refused before anything runs.
    let r = unsafe { ni.run(&mut *jit, p.fragments.len() as u32, Copy::Plain, &mut got) };
    assert!(r.is_err(), "a fragment past the program must be an error");
}
