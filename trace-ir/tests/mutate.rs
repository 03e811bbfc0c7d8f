//! Deterministic mutation testing of the parser, printer and verifier: thousands of
//! byte, token and structure mutations of valid traces must never panic, and whatever
//! parses must print and re-parse to the same text.

mod common;
mod regalloc_support;

use std::panic::{catch_unwind, AssertUnwindSafe};

use common::{parsed, valid, SUM_TO_N};
use trace_ir::gen::Rng;
use trace_ir::text::{parse, print};
use trace_ir::verify::verify;
use trace_ir::*;

/// Valid canonical traces to start from.
const SEEDS: &[&str] = &[
    SUM_TO_N,
    "%a = input 0 : i64
%b = input 1 : i64
%0 = sub %a, %b
%1 = mul %0, %b
%2 = and %1, %b
%3 = or %2, %a
%4 = xor %3, %b
%5 = shl %4, %b
%6 = lshr %5, %b
%7 = ashr %6, %a
%8 = udiv %7, %b
%9 = urem %8, %b
snap0 @resume(0) { 0: %9 }
exit snap0
",
    "trace floats
%x = input 0 : f64
%half = const 0.5 : f64
%nzero = const -0.0 : f64
%inf = const inf : f64
%nan = const nan : f64
%bits = const 0x7ff0000000000001 : f64
%a = fadd %x, %half
%b = fsub %a, %nzero
%c = fmul %b, %inf
%d = fdiv %c, %nan
%e = fneg %d
%f = fabs %e
%g = fsqrt %f
%h = fadd %g, %bits
%lt = fcmp.lt %h, %x
snap0 @resume(3) { 1: %h }
guard.not %lt, snap0
exit snap0
",
    "%b = input 0 : i1
%c = input 1 : i8
%s = input 2 : i16
%w = input 3 : i32
%q = input 4 : i64
%f = input 5 : f64
%m8 = const -128 : i8
%min = const 0x8000000000000000 : i64
%n1 = neg %c
%n2 = not %s
%z1 = zext.i8 %b
%z2 = zext.i64 %w
%s1 = sext.i32 %c
%t1 = trunc.i8 %q
%fp = sitofp.f64 %s
%ip = fptosi.i32 %f
%bc = bitcast.f64 %q
%bd = bitcast.i64 %f
%x = add %n1, %m8
%y = xor %bd, %min
snap0 @resume(1) { 0: %n1, 1: %n2, 2: %z1, 3: %z2, 4: %s1, 5: %t1, 6: %fp, 7: %ip, 8: %bc, 9: %x, 10: %y }
exit snap0
",
    "%a = input 0 : i32
%b = input 1 : i32
%c0 = icmp.eq %a, %b
%c1 = icmp.uge %a, %b
%s = select %c0, %a, %b
snap0 @resume(9) {}
guard %c1, snap0
snap1 @resume(10) { 0: %s }
guard.not %c0, snap1
exit snap1
",
    "%p = input 0 : i64
%v8 = load.i8 [%p]
%v32 = load.i32 [%p - 4]
%vf = load.f64 imm [%p + 8]
store.i8 [%p + 1], %v8
store.i32 [%p - 8], %v32
store.f64 [%p + 24], %vf
snap0 @resume(0) {}
exit snap0
",
    "%a = input 0 : i64
%f = input 1 : f64
%r = call.i64 @name(%a, %f)
%s = call.f64 pure %a(%f)
call.void readonly @log(%a)
%t = call.i32 readonly @get()
snap0 @resume(0x100000000) { 0: %r, 1: %s, 2: %t }
exit snap0
",
    "trace side
%a = input 0 : i8
%d = input 3 : i64
snap1 @resume(20) { 0: %a }
%x = add.ovf %a, %a, snap1
snap0 @resume(21) { 1: %d }
%w = mul.ovf %d, %d, snap0
snap2 @resume(22) { 0: %x, 3: %w }
link 3, snap2
",
    "%0 = input 0 : i64
%1 = const 2 : i64
loop ()
  %3 = mul %0, %1
  snap0 @resume(0) { 0: %3 }
  snap1 @resume(1) {}
  jump ()
",
    "trace dot
%p = input 0 : i64
%n = input 1 : i32
%zero = const 0 : i32
%one = const 1 : i32
%three = const 3 : i64
%fz = const 0.0 : f64
%c = icmp.sgt %n, %zero
snap0 @resume(100) { 1: %n }
guard %c, snap0
loop (%i = %zero, %s = %fz)
  %e = icmp.slt %i, %n
  snap1 @resume(101) { 0: %p, 1: %n, 2: %i, 3: %s }
  guard %e, snap1
  %w = zext.i64 %i
  %off = shl %w, %three
  %addr = add %p, %off
  %v = load.f64 [%addr]
  %s1 = fadd %s, %v
  %i1 = add %i, %one
  jump (%i1, %s1)
",
    "%a = input 0 : i16
%b = input 1 : i16
%q = sdiv %a, %b
%r = srem %a, %b
snap0 @resume(2) { 0: %a }
%x = sub.ovf %q, %r, snap0
exit snap0
",
    "snap0 @resume(0) {}
exit snap0
",
];

/// Words and numbers a token mutation may put in.
const VOCAB: &[&str] = &[
    "%a",
    "%x",
    "%0",
    "%99",
    "@f",
    "@resume",
    "snap0",
    "snap1",
    "snap7",
    "snap4294967296",
    "snap01",
    "0",
    "1",
    "-1",
    "255",
    "4000000000",
    "4294967296",
    "18446744073709551616",
    "99999999999999999999999999999999999999999",
    "0x",
    "0xffffffffffffffff",
    "1.5",
    "1e999",
    "-0.0",
    "inf",
    "nan",
    "i1",
    "i8",
    "i16",
    "i32",
    "i64",
    "f64",
    "void",
    "add",
    "fadd",
    "add.ovf",
    "icmp.eq",
    "fcmp.uno",
    "select",
    "zext.i64",
    "trunc.i1",
    "bitcast.f64",
    "load.i64",
    "store.i64",
    "call.i64",
    "call.void",
    "guard",
    "guard.not",
    "loop",
    "jump",
    "exit",
    "link",
    "nop",
    "trace",
    "input",
    "const",
    "imm",
    "pure",
    "readonly",
    "=",
    ",",
    ":",
    "(",
    ")",
    "{",
    "}",
    "[",
    "]",
    "+",
    "-",
    ";",
    "\n",
    "  ",
    "é",
    "\u{0}",
    "#",
];

/// Words of one kind, for substitutions that keep the shape of a line.
const SIMILAR: &[&[&str]] = &[
    &["i1", "i8", "i16", "i32", "i64", "f64"],
    &[
        "add", "sub", "mul", "and", "or", "xor", "shl", "lshr", "ashr", "sdiv", "udiv", "srem", "urem",
        "fadd", "fsub", "fmul", "fdiv", "icmp.eq", "icmp.ult", "icmp.sge", "fcmp.lt", "fcmp.uno",
    ],
    &[
        "neg",
        "not",
        "fneg",
        "fabs",
        "fsqrt",
        "zext.i64",
        "sext.i32",
        "trunc.i8",
        "trunc.i1",
        "sitofp.f64",
        "fptosi.i32",
        "bitcast.f64",
        "bitcast.i64",
        "zext.f64",
    ],
    &["snap0", "snap1", "snap2", "snap3"],
    &["add.ovf", "sub.ovf", "mul.ovf"],
    &["guard", "guard.not"],
    &["load.i64", "load.i1", "load.f64", "load.i8"],
    &["store.i32", "store.f64", "store.i64", "store.i1"],
    &["call.i64", "call.void", "call.i1", "call.f64"],
    &["@name", "@f", "@log", "%a", "%f"],
];

/// Byte offsets of token-ish pieces: runs of non-space characters.
fn pieces(s: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in s.char_indices() {
        let sep = c.is_whitespace() || ",()[]{}:".contains(c);
        match (start, sep) {
            (None, false) => start = Some(i),
            (Some(b), true) => {
                out.push((b, i));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(b) = start {
        out.push((b, s.len()));
    }
    out
}

fn char_boundary(s: &str, mut i: usize) -> usize {
    i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn mutate(src: &str, rng: &mut Rng) -> String {
    let mut s = src.to_string();
    for _ in 0..1 + rng.below(2) * rng.below(3) {
        match rng.below(12) {
            // Replace a token with a similar one (a name, a type, an op, a number), which
            // keeps the text parseable more often than not.
            8..=11 => {
                let p = pieces(&s);
                if let Some(&(a, b)) = p.get(rng.below(p.len())) {
                    let old = &s[a..b];
                    let similar: Vec<&str> = if old.starts_with('%') {
                        p.iter().map(|&(c, d)| &s[c..d]).filter(|w| w.starts_with('%')).collect()
                    } else if old.starts_with(|c: char| c.is_ascii_digit() || c == '-') {
                        vec!["0", "1", "-1", "7", "127", "-128", "65535", "65536", "0x10", "2.5", "-0.0"]
                    } else {
                        SIMILAR.iter().find(|c| c.contains(&old)).map_or(vec![], |c| c.to_vec())
                    };
                    if let Some(w) = similar.get(rng.below(similar.len())) {
                        let w = w.to_string();
                        s.replace_range(a..b, &w);
                    }
                }
            }
            // Delete a range of bytes.
            0 => {
                let a = char_boundary(&s, rng.below(s.len() + 1));
                let b = char_boundary(&s, a + rng.below(6));
                s.replace_range(a..b.max(a), "");
            }
            // Insert a vocabulary word.
            1 => {
                let a = char_boundary(&s, rng.below(s.len() + 1));
                s.insert_str(a, VOCAB[rng.below(VOCAB.len())]);
            }
            // Replace a token with a vocabulary word.
            2 | 3 => {
                let p = pieces(&s);
                if let Some(&(a, b)) = p.get(rng.below(p.len())) {
                    s.replace_range(a..b, VOCAB[rng.below(VOCAB.len())]);
                }
            }
            // Replace a token with another token of the same text.
            4 => {
                let p = pieces(&s);
                if let (Some(&(a, b)), Some(&(c, d))) = (p.get(rng.below(p.len())), p.get(rng.below(p.len())))
                {
                    let with = s[c..d].to_string();
                    s.replace_range(a..b, &with);
                }
            }
            // Delete, duplicate or swap lines.
            5 | 6 => {
                let mut lines: Vec<String> = s.lines().map(str::to_string).collect();
                let n = lines.len();
                if n > 0 {
                    let (i, j) = (rng.below(n), rng.below(n));
                    match rng.below(3) {
                        0 => {
                            lines.remove(i);
                        }
                        1 => {
                            let l = lines[i].clone();
                            lines.insert(j, l);
                        }
                        _ => lines.swap(i, j),
                    }
                }
                s = lines.join("\n");
                s.push('\n');
            }
            // Flip one byte to a random ASCII character.
            _ => {
                let a = char_boundary(&s, rng.below(s.len()));
                if let Some(c) = s[a..].chars().next() {
                    let r = (32 + rng.below(95)) as u8 as char;
                    s.replace_range(a..a + c.len_utf8(), &r.to_string());
                }
            }
        }
    }
    s
}

/// Everything a parsed text must satisfy; returns whether it parsed and whether it verified.
fn check_text(s: &str) -> (bool, bool) {
    let Ok(t) = parse(s) else { return (false, false) };
    let p = print(&t);
    let t2 = parse(&p)
        .unwrap_or_else(|e| panic!("printed text does not parse: {e}\n--- input\n{s}\n--- printed\n{p}"));
    assert_eq!(print(&t2), p, "print(parse(print(t))) != print(t)\n--- input\n{s}");
    let v = verify(&t);
    assert_eq!(v.is_ok(), verify(&t2).is_ok(), "verify differs after a round trip:\n{p}");
    (true, v.is_ok())
}

/// Random damage to a trace's structure, which the verifier must survive.
fn damage(t: &mut Trace, rng: &mut Rng) {
    let n = t.insts.len() as u32 + 2;
    for _ in 0..1 + rng.below(2) {
        match rng.below(7) {
            0 => {
                let k = rng.below(t.insts.len());
                if let Some(inst) = t.insts.get_mut(k) {
                    let r = rng.below(n as usize + 2) as u32;
                    inst.op.map_operands(|v| if r & 1 == 0 { Value(r) } else { v });
                }
            }
            1 => {
                let k = rng.below(t.insts.len());
                if let Some(inst) = t.insts.get_mut(k) {
                    inst.ty = [
                        None,
                        Some(Type::I1),
                        Some(Type::I8),
                        Some(Type::I32),
                        Some(Type::I64),
                        Some(Type::F64),
                    ][rng.below(6)];
                }
            }
            2 => t.loop_start = [None, Some(rng.below(n as usize)), Some(usize::MAX)][rng.below(3)],
            3 => {
                let k = rng.below(t.snaps.len());
                if let Some(s) = t.snaps.get_mut(k) {
                    s.entries.push((rng.below(70000) as u32, Value(rng.below(n as usize) as u32)));
                }
            }
            4 => {
                let k = rng.below(t.insts.len());
                if k < t.insts.len() {
                    t.insts.remove(k);
                }
            }
            5 => {
                let (a, b) = (rng.below(t.insts.len()), rng.below(t.insts.len()));
                if a < t.insts.len() && b < t.insts.len() {
                    t.insts.swap(a, b);
                }
            }
            _ => {
                t.term = match rng.below(3) {
                    0 => Terminator::Exit(SnapId(rng.below(4) as u32)),
                    1 => Terminator::Jump(vec![Value(rng.below(n as usize) as u32); rng.below(3)]),
                    _ => {
                        t.loop_inits.push(Value(rng.below(n as usize) as u32));
                        t.term.clone()
                    }
                }
            }
        }
    }
}

#[test]
fn seeds_are_canonical_and_valid() {
    for s in SEEDS {
        let t = valid(s);
        assert_eq!(print(&t), *s);
    }
}

#[test]
fn text_mutations_never_panic_and_round_trip() {
    let mut rng = Rng::new(0x2545_f491_4f6c_dd1d);
    let (mut parsed, mut verified, mut total) = (0, 0, 0);
    for round in 0..500 {
        for seed in SEEDS {
            let m = mutate(seed, &mut rng);
            total += 1;
            let r = catch_unwind(AssertUnwindSafe(|| check_text(&m)));
            assert!(r.is_ok(), "round {round}: panic on\n{m}");
            if let Ok((p, v)) = r {
                parsed += p as u32;
                verified += v as u32;
            }
        }
    }
    eprintln!("{parsed} of {total} mutated texts parsed, {verified} verified");
    // The mutations must exercise both paths, or this test proves little.
    assert!(parsed > total / 10 && parsed < total, "{parsed} of {total} parsed");
    assert!(verified > 0 && verified < parsed, "{verified} of {parsed} verified");
}

#[test]
fn structure_mutations_never_panic_and_verified_traces_round_trip() {
    let mut rng = Rng::new(0x9e37_79b9_7f4a_7c15);
    let mut verified = 0;
    for round in 0..150 {
        for seed in SEEDS {
            let mut t = parse(seed).unwrap();
            damage(&mut t, &mut rng);
            let r = catch_unwind(AssertUnwindSafe(|| {
                let p = print(&t);
                if verify(&t).is_ok() {
                    // Verified traces always print to text that reads back the same.
                    let back = parsed(&p);
                    assert_eq!(print(&back), p);
                    assert_eq!(verify(&back), Ok(()), "{p}");
                    true
                } else {
                    false
                }
            }));
            assert!(r.is_ok(), "round {round}: panic on {t:?}");
            verified += matches!(r, Ok(true)) as u32;
        }
    }
    assert!(verified > 0);
}

/// Everything after the verifier on a verified trace: the interpreter, every optimizer pass
/// and the allocator with its checker must neither panic nor produce an invalid trace.
fn run_pipeline(t: &Trace) {
    let syms = Symbols::new();
    let env = interp::Env::new(&syms).with_step_limit(10_000);
    let slots0: Vec<u64> =
        (0..t.slot_count() as u64).map(|k| k.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> (k % 64)).collect();
    let mut before = slots0.clone();
    let r0 = interp::run(t, &mut before, &env);
    for (name, pass) in [
        ("fold", opt::fold as fn(&mut Trace)),
        ("forward", opt::forward),
        ("cse", opt::cse),
        ("guards", opt::guards),
        ("dce", opt::dce),
        ("optimize", opt::optimize),
    ] {
        let mut o = t.clone();
        pass(&mut o);
        if let Err(e) = verify(&o) {
            panic!("{name} broke the trace: {e}\n--- in\n{}\n--- out\n{}", print(t), print(&o));
        }
        let mut after = slots0.clone();
        after.resize(after.len().max(o.slot_count() as usize), 0);
        let r1 = interp::run(&o, &mut after, &env);
        if let (Ok(e0), Ok(e1)) = (&r0, &r1) {
            after.resize(before.len(), 0);
            assert_eq!(
                (e0, &before),
                (e1, &after),
                "{name} changed the outcome\n--- in\n{}\n--- out\n{}",
                print(t),
                print(&o)
            );
        }
        for (rname, rf) in regalloc_support::regfiles() {
            if let Ok(a) = regalloc::allocate(&o, &rf) {
                if let Err(e) = regalloc::check(&o, &a, &rf) {
                    panic!("{rname} after {name}: {e}\n{}", print(&o));
                }
            }
        }
    }
}

#[test]
fn verified_mutants_survive_the_optimizer_and_the_allocator() {
    let mut rng = Rng::new(0x853c_49e6_748f_ea9b);
    let mut ran = 0;
    for round in 0..300 {
        for seed in SEEDS {
            let m = mutate(seed, &mut rng);
            let mut t = match parse(&m) {
                Ok(t) => t,
                Err(_) => continue,
            };
            if round % 2 == 1 {
                damage(&mut t, &mut rng);
            }
            if verify(&t).is_err() {
                continue;
            }
            ran += 1;
            let r = catch_unwind(AssertUnwindSafe(|| run_pipeline(&t)));
            assert!(r.is_ok(), "round {round}: panic on\n{}", print(&t));
        }
    }
    assert!(ran > 100, "only {ran} mutants verified");
}
