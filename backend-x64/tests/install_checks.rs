//! `install_with` is safe for any allocation: an unsound one is refused before any code is
//! placed, so no safe call can make installed code write outside its `TraceCtx`.

use backend_x64::X64;
use trace_ir::backend::{Backend, BackendError, CodeSpace};
use trace_ir::ir::*;
use trace_ir::regalloc::{allocate, Allocation, Loc, Move, Reg, RegClass};
use trace_ir::{Builder, Symbols, Type};

/// `%z = add %x, %y` with %x also in the exit snapshot, and a loop-free exit.
fn trace() -> (Trace, Value, Value, Value) {
    let mut b = Builder::new();
    let x = b.input(0, Type::I64);
    let y = b.input(1, Type::I64);
    let z = b.bin(BinOp::Add, x, y);
    let s = b.snapshot(1, &[(2, z), (3, x)]);
    (b.exit(s), x, y, z)
}

fn refused(t: &Trace, al: &Allocation, what: &str) {
    let mut jit = X64::new();
    match jit.install_with(t, al, &Symbols::new()) {
        Err(BackendError::Invalid(m)) => assert!(m.contains(what), "{m:?} does not say {what:?}"),
        other => panic!("installed an unsound allocation ({what}): {other:?}"),
    }
}

#[test]
fn the_allocators_allocation_installs() {
    let (t, ..) = trace();
    let jit = X64::new();
    let al = allocate(&t, jit.regfile()).unwrap();
    X64::new().install_with(&t, &al, &Symbols::new()).expect("a sound allocation installs");
}

#[test]
fn a_spill_slot_outside_the_context_is_refused() {
    let (t, x, ..) = trace();
    let mut al = allocate(&t, X64::new().regfile()).unwrap();
    al.locs[x.index()] = Loc::Spill(100_000);
    refused(&t, &al, "beyond the trace's spill slots");
    al.spill_slots = 100_001;
    refused(&t, &al, "spill slots, more than 256");
}

#[test]
fn two_live_values_in_one_register_are_refused() {
    let (t, x, y, _) = trace();
    let mut al = allocate(&t, X64::new().regfile()).unwrap();
    al.locs[y.index()] = al.locs[x.index()];
    refused(&t, &al, "which holds %1");
}

#[test]
fn a_result_over_a_value_still_needed_is_refused() {
    let (t, x, _, z) = trace();
    let mut al = allocate(&t, X64::new().regfile()).unwrap();
    al.locs[z.index()] = al.locs[x.index()];
    refused(&t, &al, "snap0 slot 3: expects %0 in");
}

#[test]
fn registers_the_backend_does_not_allocate_are_refused() {
    let (t, x, ..) = trace();
    let rf = X64::new().regfile().clone();
    let mut al = allocate(&t, &rf).unwrap();
    al.locs[x.index()] = Loc::Reg(Reg::gpr(rf.scratch_gprs[0]));
    refused(&t, &al, "not an allocatable register");
    al.locs[x.index()] = Loc::Reg(Reg::fpr(rf.fprs[0]));
    refused(&t, &al, "wrong register class");
    al.locs[x.index()] = Loc::Reg(Reg::gpr(200));
    refused(&t, &al, "not an allocatable register");
}

#[test]
fn loop_moves_outside_the_context_are_refused() {
    let mut b = Builder::new();
    let n = b.input(0, Type::I64);
    let zero = b.iconst(Type::I64, 0);
    let one = b.iconst(Type::I64, 1);
    let p = b.begin_loop(&[zero]);
    let c = b.icmp(ICmp::Ult, p[0], n);
    let s = b.snapshot(0, &[(1, p[0])]);
    b.guard(c, s);
    let i = b.bin(BinOp::Add, p[0], one);
    let t = b.jump(&[i]);
    let rf = X64::new().regfile().clone();
    let al = allocate(&t, &rf).unwrap();
    X64::new().install_with(&t, &al, &Symbols::new()).expect("a sound allocation installs");
    let mut bad = al.clone();
    bad.backedge_moves.push(Move { from: Loc::Const(0), to: Loc::Spill(100_000), class: RegClass::Gpr });
    refused(&t, &bad, "spill 100000");
    let mut bad = al.clone();
    bad.preheader_moves.push(Move { from: Loc::Const(0), to: Loc::Reg(Reg::gpr(200)), class: RegClass::Gpr });
    refused(&t, &bad, "a move of Gpr uses");
}

#[test]
fn an_ill_formed_trace_is_refused() {
    let (mut t, ..) = trace();
    // A snapshot entry naming a value the trace does not have: the verifier's to reject.
    t.snaps[0].entries.push((4, Value(1000)));
    let al = allocate(&trace().0, X64::new().regfile()).unwrap();
    let mut jit = X64::new();
    assert!(matches!(jit.install_with(&t, &al, &Symbols::new()), Err(BackendError::Invalid(_))));
}

/// The installed code lives in the region's memfd, where a hardware tracer's address filter
/// can name it: /proc/self/maps names the file for the code's pages, and the file read
/// through `file_path` at `file_offset` holds exactly the installed bytes.
#[test]
fn installed_code_lives_in_a_file_a_tracer_can_name() {
    use std::os::unix::fs::FileExt;
    let (t, ..) = trace();
    let mut jit = X64::new();
    let al = allocate(&t, jit.regfile()).unwrap();
    jit.install_with(&t, &al, &Symbols::new()).unwrap();
    jit.install_with(&t, &al, &Symbols::new()).unwrap();
    let r = jit.region().unwrap();
    assert_eq!(r.anonymous_reason(), None, "the memfd was refused");
    let (path, off) = (r.file_path().unwrap(), r.file_offset().unwrap());
    let (base, code) = jit.code_bytes().unwrap();
    assert_eq!(base, r.base() as u64);
    let mut back = vec![0; code.len()];
    std::fs::File::open(&path).unwrap().read_exact_at(&mut back, off).unwrap();
    assert_eq!(back, code);
    let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
    let line = maps
        .lines()
        .find(|l| {
            let (s, e) = l.split_whitespace().next().unwrap().split_once('-').unwrap();
            let (s, e) = (u64::from_str_radix(s, 16).unwrap(), u64::from_str_radix(e, 16).unwrap());
            s <= base && base < e
        })
        .unwrap();
    assert!(line.contains("/memfd:tracery-code"), "{line}");
    let perm = line.split_whitespace().nth(1).unwrap();
    assert!(perm.starts_with("r-x"), "{line}");
}
