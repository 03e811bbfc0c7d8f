//! Each verifier rule, with a trace that breaks it and the message that names the line.

mod common;

use common::{parsed, valid, SUM_TO_N};
use trace_ir::text::parse;
use trace_ir::verify::verify;
use trace_ir::*;

fn ok(src: &str) {
    valid(src);
}

/// Parses `src` (which must parse) and returns the verifier's message.
fn fails(src: &str) -> String {
    let t = parsed(src);
    match verify(&t) {
        Ok(()) => panic!("verified, but should not have:\n{src}"),
        Err(e) => e.message,
    }
}

fn fails_trace(t: &Trace) -> String {
    match verify(t) {
        Ok(()) => panic!("verified, but should not have: {t:?}"),
        Err(e) => e.message,
    }
}

const HEAD: &str = "%a = input 0 : i64
%b = input 1 : i64
%f = input 2 : f64
%g = input 3 : f64
%c = input 4 : i1
%w = input 5 : i32
%h = input 6 : i8
";

/// `lines` between the inputs and an exit.
fn body(lines: &str) -> String {
    format!("{HEAD}snap0 @resume(0) {{}}\n{lines}\nexit snap0\n")
}

#[test]
fn well_formed_traces_pass() {
    ok(&body(""));
    ok(SUM_TO_N);
    ok(&body(
        "%1 = add %a, %b
%2 = fadd %f, %g
%3 = and %c, %c
%4 = neg %w
%5 = fsqrt %f
snap1 @resume(5) { 0: %1, 2: %2, 65535: %a }
%6 = mul.ovf %h, %h, snap1
%7 = icmp.ult %c, %c
%8 = fcmp.uno %f, %g
%9 = select %c, %f, %g
%10 = zext.i64 %c
%11 = sext.i16 %h
%12 = trunc.i1 %a
%13 = sitofp.f64 %h
%14 = fptosi.i8 %f
%15 = bitcast.f64 %a
%16 = bitcast.i64 %f
%17 = load.i8 imm [%a - 1]
%18 = load.f64 [%b]
store.i32 [%a + 4], %w
store.f64 [%a], %18
%19 = call.i64 @f(%a, %f, %c)
%20 = call.f64 pure %b()
call.void readonly @log()
guard.not %7, snap1
guard %8, snap1",
    ));
    // Constants and inputs have no position: a snapshot may name them before they appear.
    let inst = |op, ty| Inst { op, ty, name: None };
    let t = Trace {
        insts: vec![
            inst(Op::ICmp(ICmp::Eq, Value(2), Value(2)), Some(Type::I1)),
            inst(Op::Const { bits: 3 }, Some(Type::I64)),
            inst(Op::Input { slot: 0 }, Some(Type::I64)),
            inst(Op::Guard { cond: Value(0), expect: true, snap: SnapId(0) }, None),
        ],
        snaps: vec![Snapshot { resume: 0, entries: vec![(0, Value(1))], to: SnapTo::Host }],
        ..Default::default()
    };
    assert_eq!(verify(&t), Ok(()), "{}", text::print(&t));
}

#[test]
fn binary_ops_need_equal_types_of_the_right_kind() {
    assert_eq!(fails(&body("%x = add %a, %f")), "%x = add %a, %f: operands have different types (i64, f64)");
    assert_eq!(fails(&body("%x = fadd %a, %b")), "%x = fadd %a, %b: `fadd` needs f64 operands, not i64");
    assert_eq!(fails(&body("%x = sdiv %f, %g")), "%x = sdiv %f, %g: `sdiv` needs integer operands, not f64");
    assert_eq!(fails(&body("%x = neg %f")), "%x = neg %f: `neg` needs an integer operand, not f64");
    assert_eq!(fails(&body("%x = fabs %w")), "%x = fabs %w: `fabs` needs an f64 operand, not i32");
    assert_eq!(
        fails(&body("%x = add.ovf %c, %c, snap0")),
        "%x = add.ovf %c, %c, snap0: `add.ovf` needs i8, i16, i32 or i64 operands, not i1"
    );
    assert_eq!(
        fails(&body("%x = sub.ovf %f, %f, snap0")),
        "%x = sub.ovf %f, %f, snap0: `sub.ovf` needs i8, i16, i32 or i64 operands, not f64"
    );
    assert_eq!(
        fails(&body("%x = mul.ovf %a, %w, snap0")),
        "%x = mul.ovf %a, %w, snap0: operands have different types (i64, i32)"
    );
}

#[test]
fn result_types_must_match_the_op() {
    let mut t = parse(&body("%x = add %a, %b")).unwrap();
    t.insts[7].ty = Some(Type::I32);
    assert_eq!(fails_trace(&t), "%x = add %a, %b: result type is i32 but `add` of i64 gives i64");
    let mut t = parse(&body("%x = icmp.eq %a, %b")).unwrap();
    t.insts[7].ty = Some(Type::I64);
    assert_eq!(fails_trace(&t), "%x = icmp.eq %a, %b: result type is i64 but a comparison gives i1");
    let mut t = parse(&body("%x = select %c, %a, %b")).unwrap();
    t.insts[7].ty = None;
    assert_eq!(
        fails_trace(&t),
        "%x = select %c, %a, %b: result type is no type but `select` of i64 gives i64"
    );
    let mut t = parse(&body("store.i64 [%a], %b")).unwrap();
    t.insts[7].ty = Some(Type::I64);
    assert_eq!(fails_trace(&t), "store.i64 [%a], %b: result type is i64 but a store gives no type");
}

#[test]
fn comparisons_and_select() {
    assert_eq!(
        fails(&body("%x = icmp.eq %a, %w")),
        "%x = icmp.eq %a, %w: operands have different types (i64, i32)"
    );
    assert_eq!(
        fails(&body("%x = icmp.slt %f, %g")),
        "%x = icmp.slt %f, %g: `icmp` needs integer operands, not f64"
    );
    assert_eq!(
        fails(&body("%x = fcmp.lt %a, %b")),
        "%x = fcmp.lt %a, %b: `fcmp` needs f64 operands, not i64"
    );
    assert_eq!(
        fails(&body("%x = fcmp.lt %f, %a")),
        "%x = fcmp.lt %f, %a: operands have different types (f64, i64)"
    );
    assert_eq!(
        fails(&body("%x = select %a, %a, %b")),
        "%x = select %a, %a, %b: the condition is i64, not i1"
    );
    assert_eq!(
        fails(&body("%x = select %c, %a, %f")),
        "%x = select %c, %a, %f: the arms have different types (i64, f64)"
    );
}

#[test]
fn conversions() {
    ok(&body("%x = zext.i8 %c\n%y = sext.i64 %w\n%z = trunc.i8 %w"));
    assert_eq!(
        fails(&body("%x = zext.i32 %w")),
        "%x = zext.i32 %w: `zext` strictly widens an integer, not i32 to i32"
    );
    assert_eq!(
        fails(&body("%x = sext.i8 %w")),
        "%x = sext.i8 %w: `sext` strictly widens an integer, not i32 to i8"
    );
    assert_eq!(
        fails(&body("%x = zext.f64 %w")),
        "%x = zext.f64 %w: `zext` strictly widens an integer, not i32 to f64"
    );
    assert_eq!(
        fails(&body("%x = trunc.i64 %w")),
        "%x = trunc.i64 %w: `trunc` strictly narrows an integer, not i32 to i64"
    );
    assert_eq!(
        fails(&body("%x = trunc.i32 %f")),
        "%x = trunc.i32 %f: `trunc` strictly narrows an integer, not f64 to i32"
    );
    assert_eq!(
        fails(&body("%x = sitofp.f64 %c")),
        "%x = sitofp.f64 %c: `sitofp` converts i8, i16, i32 or i64 to f64, not i1 to f64"
    );
    assert_eq!(
        fails(&body("%x = sitofp.i64 %a")),
        "%x = sitofp.i64 %a: `sitofp` converts i8, i16, i32 or i64 to f64, not i64 to i64"
    );
    assert_eq!(
        fails(&body("%x = fptosi.i1 %f")),
        "%x = fptosi.i1 %f: `fptosi` converts f64 to i8, i16, i32 or i64, not f64 to i1"
    );
    assert_eq!(
        fails(&body("%x = fptosi.i32 %w")),
        "%x = fptosi.i32 %w: `fptosi` converts f64 to i8, i16, i32 or i64, not i32 to i32"
    );
    assert_eq!(
        fails(&body("%x = bitcast.f64 %w")),
        "%x = bitcast.f64 %w: `bitcast` converts between i64 and f64, not i32 to f64"
    );
    assert_eq!(
        fails(&body("%x = bitcast.i64 %a")),
        "%x = bitcast.i64 %a: `bitcast` converts between i64 and f64, not i64 to i64"
    );
}

#[test]
fn memory() {
    assert_eq!(fails(&body("%x = load.i64 [%w]")), "%x = load.i64 [%w]: the base address is i32, not i64");
    assert_eq!(fails(&body("%x = load.i1 [%a]")), "%x = load.i1 [%a]: i1 never goes to memory");
    assert_eq!(
        fails(&body("store.i64 [%f + 8], %a")),
        "store.i64 [%f + 8], %a: the base address is f64, not i64"
    );
    assert_eq!(fails(&body("store.i1 [%a], %c")), "store.i1 [%a], %c: i1 never goes to memory");
}

#[test]
fn calls() {
    assert_eq!(
        fails(&body("%x = call.i64 %w(%a)")),
        "%x = call.i64 %w(%a): the callee address is i32, not i64"
    );
    assert_eq!(fails(&body("%x = call.i1 @f()")), "%x = call.i1 @f(): a call does not return i1");
    let args = vec!["%a"; 65].join(", ");
    let msg = fails(&body(&format!("call.void @f({args})")));
    assert!(msg.ends_with("): 65 arguments, at most 64"), "{msg}");
    ok(&body(&format!("call.void @f({})", vec!["%a"; 64].join(", "))));
    let mut t = parse(&body("call.void @f(%a)")).unwrap();
    t.insts[7].op = Op::Call {
        callee: Callee::Symbol("a b".into()),
        args: vec![],
        effect: CallEffect::Any,
        hint: CallHint::None,
    };
    assert_eq!(
        fails_trace(&t),
        "call.void @a_b(): symbol \"a b\" is not a valid name (letters, digits, `_`, `.`, `$`)"
    );
    // A void call's result is not a value.
    let mut t = parse(&body("call.void @f(%a)\n%x = add %a, %a")).unwrap();
    t.insts[8].op = Op::Bin(BinOp::Add, Value(7), Value(0));
    assert_eq!(fails_trace(&t), "%x = add %?7, %a: operand %?7 does not define a value");
}

#[test]
fn guards_and_snapshots() {
    assert_eq!(fails(&body("guard %a, snap0")), "guard %a, snap0: the condition is i64, not i1");
    assert_eq!(
        fails(&format!("{HEAD}snap0 @resume(0) {{ 1: %a, 0: %b }}\nexit snap0")),
        "snap0 @resume(0) { 1: %a, 0: %b }: slots are not sorted (0 after 1)"
    );
    assert_eq!(
        fails(&format!("{HEAD}snap0 @resume(0) {{ 1: %a, 1: %b }}\nexit snap0")),
        "snap0 @resume(0) { 1: %a, 1: %b }: slot 1 appears twice"
    );
    assert_eq!(
        fails(&format!("{HEAD}snap0 @resume(0) {{ 65536: %a }}\nexit snap0")),
        "snap0 @resume(0) { 65536: %a }: slot 65536 is out of range (slots are below 65536)"
    );
    assert_eq!(
        fails("%a = input 65536 : i64\nsnap0 {}\nexit snap0"),
        "%a = input 65536 : i64: slot 65536 is out of range (slots are below 65536)"
    );
    let mut t = parse(&body("guard %c, snap0")).unwrap();
    t.insts[7].op = Op::Guard { cond: Value(4), expect: true, snap: SnapId(3) };
    assert_eq!(fails_trace(&t), "guard %c, snap3: snap3 is out of range (the trace has 1 snapshots)");
    let mut t = parse(&body("")).unwrap();
    t.term = Terminator::Link { trace: 1, snap: SnapId(1) };
    assert_eq!(fails_trace(&t), "link 1, snap1: snap1 is out of range (the trace has 1 snapshots)");
    // An entry must be defined before every user of the snapshot.
    let mut t =
        parse(&format!("{HEAD}snap0 @resume(0) {{}}\nguard %c, snap0\n%x = add %a, %b\nexit snap0")).unwrap();
    t.snaps[0].entries.push((0, Value(8)));
    assert_eq!(fails_trace(&t), "guard %c, snap0: snap0 slot 0: operand %x is used before its definition");
    let mut t = parse(&body("")).unwrap();
    t.snaps[0].entries.push((0, Value(70)));
    assert_eq!(
        fails_trace(&t),
        "snap0 @resume(0) { 0: %?70 }: operand %?70 is out of range (the trace has 7 instructions)"
    );
}

#[test]
fn definition_before_use() {
    let mut t = parse(&body("%x = add %a, %b\n%y = add %x, %x")).unwrap();
    t.insts[7].op = Op::Bin(BinOp::Add, Value(8), Value(0));
    assert_eq!(fails_trace(&t), "%x = add %y, %a: operand %y is used before its definition");
    t.insts[7].op = Op::Bin(BinOp::Add, Value(7), Value(0));
    assert_eq!(fails_trace(&t), "%x = add %x, %a: operand %x is used before its definition");
    t.insts[7].op = Op::Bin(BinOp::Add, Value(u32::MAX), Value(0));
    assert_eq!(
        fails_trace(&t),
        "%x = add %?4294967295, %a: operand %?4294967295 is out of range (the trace has 9 instructions)"
    );
}

const LOOP: &str = "%n = input 0 : i64
%zero = const 0 : i64
%one = const 1 : i64
%pre = add %n, %one
loop (%i = %zero, %acc = %pre)
  %c = icmp.slt %i, %n
  snap0 @resume(7) { 0: %i, 1: %acc }
  guard %c, snap0
  %i1 = add %i, %one
  jump (%i1, %acc)
";

#[test]
fn loops() {
    ok(LOOP);
    assert_eq!(
        fails(&LOOP.replace("jump (%i1, %acc)", "jump (%i1)")),
        "jump (%i1): 1 arguments for 2 loop parameters"
    );
    assert_eq!(
        fails(
            &LOOP
                .replace("%one = const 1 : i64", "%one = const 1 : i32")
                .replace("%pre = add %n, %one", "%pre = add %n, %n")
        ),
        "%i1 = add %i, %one: operands have different types (i64, i32)"
    );
    let src = LOOP
        .replace("%i1 = add %i, %one", "%i1 = fadd %f, %f")
        .replace("%n = input 0 : i64", "%n = input 0 : i64\n%f = input 1 : f64");
    assert_eq!(fails(&src), "jump (%i1, %acc): argument 0 (%i1) is f64 but loop parameter %i is i64");
    assert_eq!(
        fails(&LOOP.replace("  jump (%i1, %acc)", "  snap1 @resume(0) {}\n  exit snap1")),
        "exit snap1: a loop must end with `jump`"
    );
    assert_eq!(
        fails(&body("").replace("exit snap0", "jump ()")),
        "jump (): `jump` needs a loop; leave with `exit` or `link`"
    );

    // Loop parameters are contiguous at loop_start, numbered in order.
    let base = parse(LOOP).unwrap();
    let mut t = base.clone();
    t.insts[5].op = Op::LoopParam { index: 0 };
    assert_eq!(fails_trace(&t), "%acc = loop.param 0 : i64: loop parameter 1 has index 0");
    let mut t = base.clone();
    t.insts[3] = Inst { op: Op::LoopParam { index: 2 }, ty: Some(Type::I64), name: None };
    t.loop_inits[1] = Value(0);
    assert_eq!(fails_trace(&t), "%3 = loop.param 2 : i64: a loop parameter outside the loop header");
    let mut t = base.clone();
    t.loop_inits.push(Value(1));
    assert_eq!(fails_trace(&t), "loop (%i = %zero, %acc = %pre): 2 loop parameters but 3 initial values");
    let mut t = base.clone();
    t.loop_start = Some(99);
    assert_eq!(fails_trace(&t), "loop (): loop_start 99 is beyond the last instruction (9)");
    let mut t = base.clone();
    t.loop_start = None;
    assert_eq!(fails_trace(&t), "jump (%i1, %acc): the trace has loop initial values but no loop");
    t.loop_inits.clear();
    assert_eq!(fails_trace(&t), "%i = loop.param 0 : i64: a loop parameter outside the loop header");

    // Initial values are defined before the loop and have the parameter's type.
    let mut t = base.clone();
    t.loop_inits[1] = Value(6);
    assert_eq!(fails_trace(&t), "loop (%i = %zero, %acc = %c): operand %c is not defined before the loop");
    let mut t = base.clone();
    t.loop_inits[1] = Value(4);
    assert_eq!(fails_trace(&t), "loop (%i = %zero, %acc = %i): operand %i is not defined before the loop");
    let mut t = base.clone();
    t.insts[5].ty = Some(Type::F64);
    assert_eq!(
        fails_trace(&t),
        "loop (%i = %zero, %acc = %pre): loop parameter %acc has type f64 but its initial value %pre is i64"
    );

    // Loop parameters are not usable before the loop.
    let mut t = base.clone();
    t.insts[3].op = Op::Bin(BinOp::Add, Value(0), Value(4));
    assert_eq!(fails_trace(&t), "%pre = add %n, %i: operand %i is used before its definition");
}

#[test]
fn constants_inputs_and_nops() {
    assert_eq!(fails(&body("nop")), "nop: nop is not allowed in a verified trace (run `Trace::compact`)");
    let mut t = parse("%k = const 5 : i64\n%j = const 6 : i64\nsnap0 {}\nexit snap0").unwrap();
    t.insts[1].op = Op::Const { bits: 5 };
    assert_eq!(fails_trace(&t), "%j = const 5 : i64: duplicates the constant %k (constants are interned)");
    t.insts[1].ty = Some(Type::I32);
    assert_eq!(verify(&t), Ok(()));
    t.insts[1].op = Op::Const { bits: 1 << 32 };
    assert_eq!(
        fails_trace(&t),
        "%j = const 0x100000000 : i32: bits 0x100000000 do not fit i32 (constants are zero-extended)"
    );
    t.insts[1].ty = None;
    assert_eq!(fails_trace(&t), "%j = const 0x100000000 : ?: a constant needs a type");
    t.insts[1] = Inst { op: Op::Input { slot: 0 }, ty: None, name: None };
    assert_eq!(fails_trace(&t), "%1 = input 0 : ?: an input needs a type");
}

#[test]
fn nonsense_traces_never_panic() {
    let mut t = Trace::default();
    assert!(verify(&t).is_err());
    let ops = [
        Op::Input { slot: u32::MAX },
        Op::LoopParam { index: u32::MAX },
        Op::Bin(BinOp::Add, Value(u32::MAX), Value(1)),
        Op::Ovf(OvfOp::Mul, Value(0), Value(0), SnapId(u32::MAX)),
        Op::Select(Value(9), Value(9), Value(9)),
        Op::Call {
            callee: Callee::Value(Value(77)),
            args: vec![Value(1); 100],
            effect: CallEffect::Pure,
            hint: CallHint::None,
        },
        Op::Guard { cond: Value(2), expect: false, snap: SnapId(5) },
        Op::Store { base: Value(3), disp: i32::MIN, value: Value(3), mem: MemClass::Any },
    ];
    for (k, op) in ops.iter().enumerate() {
        t.insts.push(Inst { op: op.clone(), ty: None, name: Some(format!("{k}")) });
        for start in [None, Some(0), Some(k), Some(usize::MAX)] {
            t.loop_start = start;
            for term in [Terminator::Jump(vec![Value(0), Value(99)]), Terminator::Exit(SnapId(9))] {
                t.term = term;
                assert!(verify(&t).is_err());
                let _ = text::print(&t);
            }
        }
    }
}
