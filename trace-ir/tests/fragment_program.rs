//! Fragment programs: text round trip, exact parse and verifier errors, the reference
//! interpreter, recordings, continuations, and no panic on damaged text.

use trace_ir::fragment::split::split;
use trace_ir::fragment::{interp, verify, Program, ProgramBuilder};
use trace_ir::interp::Env;
use trace_ir::ir::*;
use trace_ir::recording::Recording;
use trace_ir::text::{parse_program, print_program};
use trace_ir::{Builder, Symbols, Type};

fn countdown_src() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/programs/countdown.tir"))
        .unwrap()
}

fn countdown() -> Program {
    let p = parse_program(&countdown_src()).unwrap();
    verify::verify(&p).unwrap();
    p
}

const CANONICAL: &str = "program tiny
slot 0 pc : i64 green
slot 1 x : f64
slot 2 t : i32 temp
table ops = a, b
entry a
control b

fragment a
%pc = input 0 : i64
%x = input 1 : f64
%one = const 1 : i64
%k = const 7 : i32
%c = fcmp.lt %x, %x
snap0 @resume(3) -> b { 2: %k }
guard.not %c, snap0
%pc1 = add %pc, %one
promote %pc1
%h = call.i64 pure elidable @hash(%pc1)
call.void outline @log(%h)
snap1 @resume(0) -> dispatch ops[0] { 0: %pc1, 2: %k }
exit snap1

fragment b
%t = input 2 : i32
%z = sext.i64 %t
snap0 @resume(0x100000000) { 0: %z }
exit snap0
";

#[test]
fn canonical_text_round_trips_exactly() {
    let p = parse_program(CANONICAL).unwrap();
    assert_eq!(print_program(&p), CANONICAL);
    assert_eq!(p.slots.len(), 3);
    assert!(p.slots[0].green && !p.slots[0].temp && p.slots[2].temp);
    assert_eq!(p.tables[0].targets, vec![0, 1]);
    assert_eq!(p.controls, vec![1]);
    let a = &p.fragments[0].body;
    assert_eq!(a.snaps[0].to, SnapTo::Fragment(1));
    assert_eq!(a.snaps[1].to, SnapTo::Dispatch { table: 0, slot: 0 });
    assert!(a.insts.iter().any(|i| matches!(i.op, Op::Promote(_))));
    assert!(a
        .insts
        .iter()
        .any(|i| matches!(i.op, Op::Call { hint: CallHint::Elidable, effect: CallEffect::Pure, .. })));
    assert!(a.insts.iter().any(|i| matches!(i.op, Op::Call { hint: CallHint::Outline, .. })));
    verify::verify(&p).unwrap();
    // The example prints back to a program that prints the same.
    let q = countdown();
    let t = print_program(&q);
    assert_eq!(print_program(&parse_program(&t).unwrap()), t);
}

#[test]
fn a_standalone_trace_names_targets_by_number() {
    let src = "trace t\n%a = input 0 : i64\nsnap0 @resume(0) -> 4 { 0: %a }\nsnap1 @resume(0) -> dispatch 2[5] {}\nguard.not %c, snap0\nexit snap1\n";
    let err = trace_ir::text::parse(src).unwrap_err();
    assert_eq!(err.to_string(), "5:11: undefined value `%c`");
    let src = "trace t\n%a = input 0 : i64\nsnap0 @resume(0) -> 4 { 0: %a }\nsnap1 @resume(0) -> dispatch 2[5] {}\nexit snap1\n";
    let t = trace_ir::text::parse(src).unwrap();
    assert_eq!(t.snaps[0].to, SnapTo::Fragment(4));
    assert_eq!(t.snaps[1].to, SnapTo::Dispatch { table: 2, slot: 5 });
    assert_eq!(trace_ir::text::print(&t), "trace t\n%a = input 0 : i64\nsnap0 @resume(0) -> 4 { 0: %a }\nsnap1 @resume(0) -> dispatch 2[5] {}\nexit snap1\n");
    let err = trace_ir::text::parse("%a = input 0 : i64\nsnap0 -> op_add {}\nexit snap0\n").unwrap_err();
    assert_eq!(err.to_string(), "2:10: `op_add`: outside a program, targets are numbers");
}

fn perr(src: &str) -> String {
    parse_program(src).unwrap_err().to_string()
}

#[test]
fn parse_errors_name_the_line_and_column() {
    let head = "program p\nslot 0 pc : i64 green\ntable ops = a\nentry a\n\nfragment a\n";
    let cases: &[(&str, &str)] = &[
        ("%pc = input 0 : i64\nsnap0 -> nowhere {}\nexit snap0\n", "8:10: unknown fragment `nowhere`"),
        ("snap0 -> dispatch opz[0] {}\nexit snap0\n", "7:19: unknown dispatch table `opz`"),
        (
            "snap0 -> dispatch ops(0) {}\nexit snap0\n",
            "7:22: expected `[` after the table (a dispatch is written `dispatch TABLE[SLOT]`), found `(`",
        ),
        (
            "snap0 -> dispatch ops[x] {}\nexit snap0\n",
            "7:23: expected a slot number inside `[...]`, found `x`",
        ),
        (
            "snap0 - a {}\nexit snap0\n",
            "7:9: expected `>` after `-` (a target is written `-> name`), found `a`",
        ),
        ("snap0 -> {}\nexit snap0\n", "7:10: expected a fragment or `dispatch` after `->`, found `{`"),
        (
            "snap0 -> a {}\nexit snap0\nfragment a\nsnap0 {}\nexit snap0\n",
            "9:10: fragment `a` is already defined on line 6",
        ),
        ("exit snap0\n", "7:6: undefined snapshot `snap0` (a snapshot is written before its first use)"),
    ];
    for (body, want) in cases {
        assert_eq!(perr(&format!("{head}{body}")), *want, "{body}");
    }
    let cases: &[(&str, &str)] = &[
        (
            "slot 1 pc : i64\nentry a\nfragment a\nsnap0 {}\nexit snap0\n",
            "1:6: slot 1 declared where slot 0 comes next (slots are declared in order from 0)",
        ),
        (
            "slot 0 pc i64\nentry a\nfragment a\nsnap0 {}\nexit snap0\n",
            "1:11: expected `:` after the slot name, found `i64`",
        ),
        (
            "slot 0 pc : i65\nentry a\nfragment a\nsnap0 {}\nexit snap0\n",
            "1:13: expected a type, found `i65`",
        ),
        (
            "slot 0 pc : i64 blue\nentry a\nfragment a\nsnap0 {}\nexit snap0\n",
            "1:17: expected `green`, `temp` or end of line, found `blue`",
        ),
        ("entry b\nfragment a\nsnap0 {}\nexit snap0\n", "1:7: unknown fragment `b`"),
        (
            "fragment a\nsnap0 {}\nexit snap0\n",
            "1:1: the program needs `entry FRAGMENT` before its fragments",
        ),
        ("entry a\nentry a\nfragment a\nsnap0 {}\nexit snap0\n", "2:1: the entry is declared twice"),
        ("table t = a, zz\nentry a\nfragment a\nsnap0 {}\nexit snap0\n", "1:14: unknown fragment `zz`"),
        (
            "table t a\nentry a\nfragment a\nsnap0 {}\nexit snap0\n",
            "1:9: expected `=` after the table name, found `a`",
        ),
        (
            "table t = a\ntable t = a\nentry a\nfragment a\nsnap0 {}\nexit snap0\n",
            "2:7: table `t` is declared twice",
        ),
        (
            "loop\nentry a\nfragment a\nsnap0 {}\nexit snap0\n",
            "1:1: expected `program`, `slot`, `table`, `entry` or `fragment`, found `loop`",
        ),
        ("entry a\nfragment\n", "2:9: expected a fragment name after `fragment`"),
        ("entry a\nfragment a b\nsnap0 {}\nexit snap0\n", "2:12: expected end of line, found `b`"),
        (
            "entry a\nfragment a\nsnap0 {}\n",
            "4:1: expected a terminator (`jump`, `exit` or `link`), found end of input",
        ),
        (
            "slot 0 pc : i64\nprogram p\nentry a\nfragment a\nsnap0 {}\nexit snap0\n",
            "2:1: `program NAME` may only be the first line",
        ),
    ];
    for (src, want) in cases {
        assert_eq!(perr(src), *want, "{src}");
    }
}

fn verr(src: &str) -> String {
    verify::verify(&parse_program(src).unwrap()).unwrap_err().to_string()
}

#[test]
fn verifier_errors_name_the_fragment_and_quote_the_line() {
    let head = "program p\nslot 0 pc : i64 green\nslot 1 x : f64\nslot 2 t : i64 temp\ntable ops = a, b\nentry a\n\n";
    let cases: &[(&str, &str)] = &[
        (
            "fragment a\n%pc = input 0 : i32\nsnap0 {}\nexit snap0\nfragment b\nsnap0 {}\nexit snap0\n",
            "fragment a: %pc = input 0 : i32: slot 0 (`pc`) is declared i64",
        ),
        (
            "fragment a\n%pc = input 0 : i64\nsnap0 -> b { 1: %pc }\nexit snap0\nfragment b\nsnap0 {}\nexit snap0\n",
            "fragment a: snap0 @resume(0) -> b { 1: %pc }: slot 1 (`x`) is declared f64, but %pc is i64",
        ),
        (
            "fragment a\n%pc = input 9 : i64\nsnap0 {}\nexit snap0\nfragment b\nsnap0 {}\nexit snap0\n",
            "fragment a: %pc = input 9 : i64: slot 9 is not declared (3 slots)",
        ),
        (
            "fragment a\nsnap0 -> 7 {}\nexit snap0\nfragment b\nsnap0 {}\nexit snap0\n",
            "fragment a: snap0 @resume(0) -> 7 {}: fragment 7 does not exist",
        ),
        (
            "fragment a\nsnap0 -> dispatch ops[1] {}\nexit snap0\nfragment b\nsnap0 {}\nexit snap0\n",
            "fragment a: snap0 @resume(0) -> dispatch ops[1] {}: dispatch slot 1 is f64, not an integer",
        ),
        (
            "fragment a\nsnap0 -> b {}\nexit snap0\nfragment b\n%t = input 2 : i64\nsnap0 { 0: %t }\nexit snap0\n",
            "fragment b: %t = input 2 : i64: slot 2 (`t`) is not defined on every path here (a temp slot no snapshot before it writes)",
        ),
        (
            "fragment a\n%pc = input 0 : i64\nsnap0 -> b { 2: %pc }\nguard.not %c, snap0\nsnap1 -> b {}\nexit snap1\nfragment b\n%t = input 2 : i64\nsnap0 { 0: %t }\nexit snap0\n",
            "",
        ),
        (
            "fragment a\n%pc = input 0 : i64\n%h = call.i64 elidable @f(%pc)\nsnap0 {}\nexit snap0\nfragment b\nsnap0 {}\nexit snap0\n",
            "fragment a: %h = call.i64 elidable @f(%pc): an elidable call must be `pure` or `readonly`",
        ),
        (
            "fragment a\n%pc = input 0 : i64\nloop (%i = %pc)\n  jump (%i)\nfragment b\nsnap0 {}\nexit snap0\n",
            "fragment a: a fragment has no loop (the loop is the program's own control flow)",
        ),
        (
            "fragment a\n%pc = input 0 : i64\n%c = icmp.eq %pc, %pc\nsnap0 {}\nguard %c, snap0\nexit snap0\nfragment b\nsnap0 {}\nexit snap0\n",
            "fragment a: exit snap0: snap0 is already used by `guard %c, snap0`: in a fragment every exit has its own snapshot",
        ),
        (
            "fragment a\nsnap0 {}\nlink 1, snap0\nfragment b\nsnap0 {}\nexit snap0\n",
            "fragment a: link 1, snap0: a fragment ends in `exit`, to the target its snapshot names",
        ),
        (
            "fragment a\n%pc = input 0 : i64\n%b = add %pc, %pc\n%c = fadd %b, %b\nsnap0 {}\nexit snap0\nfragment b\nsnap0 {}\nexit snap0\n",
            "fragment a: %c = fadd %b, %b: `fadd` needs f64 operands, not i64",
        ),
    ];
    for (body, want) in cases {
        let src = format!("{head}{body}");
        if want.is_empty() {
            // The guard's %c is undefined: the parser says so first.
            assert!(parse_program(&src).is_err());
            continue;
        }
        assert_eq!(verr(&src), *want, "{body}");
    }
}

#[test]
fn builder_programs_are_checked_for_shape() {
    let mut pb = ProgramBuilder::new("b");
    pb.slot("pc", Type::I64);
    pb.slot("pc", Type::I64);
    let a = pb.declare("a");
    let mut b = Builder::new();
    let s = b.snapshot(0, &[]);
    pb.define(a, b.exit(s));
    let p = pb.finish().unwrap();
    assert_eq!(verify::verify(&p).unwrap_err().to_string(), "slot `pc` is declared twice");

    let mut pb = ProgramBuilder::new("b");
    pb.declare("a");
    assert_eq!(pb.finish().unwrap_err(), "fragment `a` is declared but has no body");

    let mut pb = ProgramBuilder::new("b");
    let a = pb.declare("a");
    let t = pb.table("empty", &[]);
    let mut b = Builder::new();
    let s = b.snapshot(0, &[]);
    pb.define(a, b.exit(s));
    let _ = t;
    let p = pb.finish().unwrap();
    assert_eq!(verify::verify(&p).unwrap_err().to_string(), "table `empty` is empty");

    let mut pb = ProgramBuilder::new("b");
    let a = pb.declare("a");
    pb.table("t", &[a, 5]);
    let mut b = Builder::new();
    let s = b.snapshot(0, &[]);
    pb.define(a, b.exit(s));
    let p = pb.finish().unwrap();
    assert_eq!(
        verify::verify(&p).unwrap_err().to_string(),
        "table `t` names fragment 5, which does not exist (1 fragments)"
    );
}

#[test]
fn the_reference_interpreter_runs_and_records_countdown() {
    let p = countdown();
    let syms = Symbols::new();
    let mut slots = vec![0, 3, 0, 0];
    let mut rec = Recording::default();
    let e = interp::run(&p, &mut slots, &Env::new(&syms), 1000, Some(&mut rec)).unwrap();
    assert_eq!(slots[..3], [3, 0, 6]);
    assert_eq!((e.fragment, e.snap, e.resume, e.steps), (3, SnapId(0), 1, 11));
    let text = rec.print(&p.fragment_names());
    assert_eq!(
        text,
        "fetch snap0\nadd snap1 promote 0x3\ndec snap0\nfetch snap0\nadd snap1 promote 0x2\ndec snap0\nfetch snap0\nadd snap1 promote 0x1\ndec snap0\nfetch snap0\ndone snap0\n"
    );
    assert_eq!(Recording::parse(&text, &p.fragment_names()).unwrap(), rec);
    // A step limit, and an overflow that leaves to the host through its own snapshot.
    let mut slots = vec![0, 3, 0, 0];
    assert_eq!(
        interp::run(&p, &mut slots, &Env::new(&syms), 4, None).unwrap_err().to_string(),
        "step limit reached after 4 fragments"
    );
    let mut slots = vec![0, 2, i64::MAX as u64, 0];
    let e = interp::run(&p, &mut slots, &Env::new(&syms), 1000, None).unwrap();
    assert_eq!((e.fragment, e.snap, e.resume), (1, SnapId(0), 99));
    // A dispatch index past the table leaves to the host.
    let mut p2 = p.clone();
    p2.tables[0].targets.truncate(2);
    let mut slots = vec![0, 0, 0, 0];
    let e = interp::run(&p2, &mut slots, &Env::new(&syms), 1000, None).unwrap();
    assert_eq!((e.fragment, e.snap), (0, SnapId(0)));
}

#[test]
fn recording_text_errors_are_typed() {
    let names = vec!["a".to_string()];
    assert_eq!(Recording::parse("b snap0", &names).unwrap_err().to_string(), "1: unknown fragment `b`");
    assert_eq!(
        Recording::parse("a\n", &names).unwrap_err().to_string(),
        "1: expected `snapN` after the fragment"
    );
    assert_eq!(
        Recording::parse("a snapx", &names).unwrap_err().to_string(),
        "1: expected `snapN`, found `snapx`"
    );
    assert_eq!(
        Recording::parse("a snap0 promote zz", &names).unwrap_err().to_string(),
        "1: bad promoted value `zz`"
    );
    assert_eq!(Recording::from_log(&[u64::MAX]).unwrap_err(), "the log ends inside a promoted value");
    assert_eq!(Recording::from_log(&[5, u64::MAX, 1]).unwrap_err(), "promoted values after the last exit");
}

/// Replaces fragment `f` of `s.program` by its prefix up to the split point, ending in a
/// snapshot that hands the live values to the continuation: what a trace does when it
/// leaves mid-fragment.
fn glue(sp: &trace_ir::fragment::split::Split, k: usize) -> Program {
    let c = &sp.continuations[k];
    let mut p = sp.program.clone();
    let body = &mut p.fragments[c.of as usize].body;
    body.insts.truncate(c.after + 1);
    let mut entries: Vec<(u32, Value)> = c.live.iter().map(|&(v, slot)| (slot, v)).collect();
    entries.sort();
    body.snaps.push(Snapshot { resume: 0, entries, to: SnapTo::Fragment(c.id) });
    body.term = Terminator::Exit(SnapId(body.snaps.len() as u32 - 1));
    p
}

/// A trace that entered a continuation and leaves at one of its later split points resumes
/// the original fragment's continuation there, with the live values named in the
/// continuation's own body (found by the Lua VM's side traces, which start in `reload`'s
/// continuations and leave at its next promote).
#[test]
fn a_split_point_inside_a_continuation_resumes_the_originals_continuation() {
    let sp = split(&countdown());
    let (first, second) = (&sp.continuations[0], &sp.continuations[1]);
    let cbody = &sp.program.fragments[first.id as usize].body;
    let at = cbody
        .insts
        .iter()
        .position(|i| matches!(i.op, Op::Promote(_)))
        .expect("add.after3 keeps the promote");
    let d = sp.after(first.id, at).expect("the promote inside add.after3 is a split point");
    assert_eq!(d.id, second.id);
    assert_eq!(d.of, first.id);
    assert_eq!(d.live.len(), second.live.len());
    let obody = &sp.program.fragments[second.of as usize].body;
    for (&(dv, ds), &(ov, os)) in d.live.iter().zip(&second.live) {
        assert_eq!(ds, os, "same slots");
        assert_eq!(cbody.insts[dv.index()].name, obody.insts[ov.index()].name, "same values, renumbered");
    }
    assert_eq!(sp.after(first.id, at + 100), None);
}

#[test]
fn continuations_resume_a_fragment_after_each_guard() {
    let p = countdown();
    let sp = split(&p);
    verify::verify(&sp.program).unwrap();
    assert_eq!(sp.continuations.len(), 2, "countdown has one mid-fragment exit (add.ovf) and one promote");
    let c = &sp.continuations[0];
    assert_eq!(sp.program.fragments[c.id as usize].name, "add.after3");
    assert_eq!(sp.after(1, 3), Some(c));
    assert_eq!(
        trace_ir::text::print(&sp.program.fragments[c.id as usize].body),
        "trace add.after3\n%n = input 1 : i64\n%acc = input 2 : i64\n%acc1 = input 4 : i64\n%one = const 1 : i64\npromote %n\nsnap0 @resume(0) -> 2 { 2: %acc1 }\nexit snap0\n"
    );
    let syms = Symbols::new();
    for n in [0u64, 1, 5, 30] {
        for acc in [0u64, i64::MAX as u64 - 3] {
            let mut want = vec![0, n, acc, 0];
            let e1 = interp::run(&p, &mut want, &Env::new(&syms), 10_000, None).unwrap();
            for k in 0..sp.continuations.len() {
                let g = glue(&sp, k);
                verify::verify(&g).unwrap();
                let mut got = vec![0u64; g.slots.len()];
                got[..4].copy_from_slice(&[0, n, acc, 0]);
                let e2 = interp::run(&g, &mut got, &Env::new(&syms), 10_000, None).unwrap();
                assert_eq!(got[..3], want[..3], "n={n} acc={acc:#x} continuation {k}");
                assert_eq!(e2.resume, e1.resume);
            }
        }
    }
}

#[test]
fn damaged_program_text_never_panics() {
    let src = countdown_src();
    let bytes = src.as_bytes();
    let syms = Symbols::new();
    let mut seed = 0x9e37_79b9_7f4a_7c15u64 ^ std::process::id() as u64;
    println!("seed {seed:#x}");
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut parsed = 0;
    for _ in 0..3000 {
        let mut b = bytes.to_vec();
        for _ in 0..(1 + next() % 4) {
            let i = (next() as usize) % b.len();
            match next() % 4 {
                0 => b[i] = b" ->%[]{}:,0123456789abcdefghijklmnopqrstuvwxyz\n"[(next() % 47) as usize],
                1 => {
                    b.remove(i);
                }
                2 => b.insert(i, b"-> dispatch ops[3] snap1 temp green"[(next() % 35) as usize]),
                _ => {
                    let j = (next() as usize) % b.len();
                    b.swap(i, j);
                }
            }
        }
        let Ok(text) = String::from_utf8(b) else { continue };
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            if let Ok(p) = parse_program(&text) {
                let printed = print_program(&p);
                let again = parse_program(&printed).map(|q| print_program(&q));
                assert_eq!(again.as_deref(), Ok(printed.as_str()), "reprint differs for\n{text}");
                if verify::verify(&p).is_ok() {
                    let mut slots = vec![0u64; p.slots.len()];
                    let _ = interp::run(&p, &mut slots, &Env::new(&syms), 500, None);
                    let sp = split(&p);
                    assert!(verify::verify(&sp.program).is_ok(), "split breaks\n{text}");
                }
                return true;
            }
            false
        }));
        match r {
            Ok(ok) => parsed += ok as u32,
            Err(_) => panic!("panic on damaged text:\n{text}"),
        }
    }
    assert!(parsed > 50, "only {parsed} mutants parsed: the test is not reaching the verifier");
}
