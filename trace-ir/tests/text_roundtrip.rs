//! Canonical texts print back exactly, and the parsed structure is what the text says.

mod common;

use common::{parsed, SUM_TO_N};
use trace_ir::text::{parse, print};
use trace_ir::*;

/// Canonical texts covering every op, type and form.
const CANONICAL: &[&str] = &[
    // The example of the format description.
    SUM_TO_N,
    // Every binary op on integers.
    "%a = input 0 : i64
%b = input 1 : i64
%0 = add %a, %b
%1 = sub %0, %b
%2 = mul %1, %b
%3 = and %2, %b
%4 = or %3, %b
%5 = xor %4, %b
%6 = shl %5, %b
%7 = lshr %6, %b
%8 = ashr %7, %b
%9 = sdiv %8, %b
%10 = udiv %9, %b
%11 = srem %10, %b
%12 = urem %11, %b
snap0 @resume(0) { 0: %12 }
exit snap0
",
    // Float ops, unary ops and every float constant form.
    "trace floats
%x = input 0 : f64
%half = const 0.5 : f64
%nzero = const -0.0 : f64
%big = const 1e300 : f64
%tiny = const 5e-324 : f64
%inf = const inf : f64
%ninf = const -inf : f64
%nan = const nan : f64
%snan = const 0x7ff0000000000001 : f64
%negnan = const 0xfff8000000000000 : f64
%pi = const 3.141592653589793 : f64
%a = fadd %x, %half
%b = fsub %a, %nzero
%c = fmul %b, %big
%d = fdiv %c, %tiny
%e = fneg %d
%f = fabs %e
%g = fsqrt %f
%h = fadd %g, %inf
%i = fadd %h, %ninf
%j = fadd %i, %nan
%k = fadd %j, %snan
%l = fadd %k, %negnan
%m = fmul %l, %pi
snap0 @resume(3) { 1: %m }
exit snap0
",
    // Integer types, constants at their limits, unary int ops and conversions.
    "%b = input 0 : i1
%c = input 1 : i8
%s = input 2 : i16
%w = input 3 : i32
%q = input 4 : i64
%f = input 5 : f64
%t = const 1 : i1
%m8 = const -128 : i8
%x8 = const 127 : i8
%m16 = const -32768 : i16
%m32 = const -2147483648 : i32
%min = const 0x8000000000000000 : i64
%addr = const 0x7fff00001000 : i64
%neg = const -4294967295 : i64
%u32 = const 4294967295 : i64
%z = const 0 : i1
%n1 = neg %c
%n2 = not %s
%z1 = zext.i8 %b
%z2 = zext.i64 %w
%s1 = sext.i32 %c
%s2 = sext.i16 %b
%t1 = trunc.i8 %q
%t2 = trunc.i1 %w
%fp = sitofp.f64 %s
%ip = fptosi.i32 %f
%bc = bitcast.f64 %q
%bd = bitcast.i64 %f
snap0 @resume(1) { 0: %n1, 1: %n2, 2: %z1, 3: %z2, 4: %s1, 5: %s2, 6: %t1, 7: %t2, 8: %fp, 9: %ip, 10: %bc, 11: %bd, 12: %t, 13: %m8, 14: %x8, 15: %m16, 16: %m32, 17: %min, 18: %addr, 19: %neg, 20: %u32, 21: %z }
exit snap0
",
    // Comparisons, select, guard.not.
    "%a = input 0 : i32
%b = input 1 : i32
%x = input 2 : f64
%y = input 3 : f64
%c0 = icmp.eq %a, %b
%c1 = icmp.ne %a, %b
%c2 = icmp.slt %a, %b
%c3 = icmp.sle %a, %b
%c4 = icmp.sgt %a, %b
%c5 = icmp.sge %a, %b
%c6 = icmp.ult %a, %b
%c7 = icmp.ule %a, %b
%c8 = icmp.ugt %a, %b
%c9 = icmp.uge %a, %b
%d0 = fcmp.eq %x, %y
%d1 = fcmp.ne %x, %y
%d2 = fcmp.lt %x, %y
%d3 = fcmp.le %x, %y
%d4 = fcmp.gt %x, %y
%d5 = fcmp.ge %x, %y
%d6 = fcmp.uno %x, %y
%s = select %c0, %a, %b
%t = select %d6, %x, %y
snap0 @resume(9) {}
guard %c1, snap0
snap1 @resume(10) { 0: %s }
guard.not %c2, snap1
guard %c3, snap0
exit snap1
",
    // Memory: loads with displacements and imm, stores of every width.
    "%p = input 0 : i64
%v8 = load.i8 [%p]
%v16 = load.i16 [%p + 2]
%v32 = load.i32 [%p - 4]
%v64 = load.i64 imm [%p + 2147483647]
%vf = load.f64 imm [%p - 2147483648]
store.i8 [%p + 1], %v8
store.i16 [%p], %v16
store.i32 [%p - 8], %v32
store.i64 [%p + 16], %v64
store.f64 [%p + 24], %vf
snap0 @resume(0) {}
exit snap0
",
    // Calls: every effect, symbol and value callees, void calls, no arguments.
    "%a = input 0 : i64
%f = input 1 : f64
%fp = input 2 : i64
%r = call.i64 @name(%a, %f)
%s = call.f64 pure %fp(%f)
call.void readonly @log(%a)
call.void @tick()
%t = call.i32 readonly @get_$x.1()
%u = call.i8 pure @f()
snap0 @resume(0x100000000) { 0: %r, 1: %s, 2: %t, 3: %u }
exit snap0
",
    // Side trace linking back; overflow ops on every width; snapshots out of number order.
    "trace side.2
%a = input 0 : i8
%b = input 1 : i16
%c = input 2 : i32
%d = input 3 : i64
snap1 @resume(20) { 0: %a }
%x = add.ovf %a, %a, snap1
snap0 @resume(21) { 1: %b }
%y = sub.ovf %b, %b, snap0
%z = mul.ovf %c, %c, snap1
%w = mul.ovf %d, %d, snap0
snap2 @resume(22) { 0: %x, 1: %y, 2: %z, 3: %w }
link 4294967295, snap2
",
    // Unnamed values print as their index; a loop with no parameters; unused snapshots
    // come before the terminator.
    "%0 = input 0 : i64
%1 = const 2 : i64
loop ()
  %3 = mul %0, %1
  snap0 @resume(0) { 0: %3 }
  snap1 @resume(1) {}
  jump ()
",
    // A loop with float and int params; snapshot in the loop uses params; a load inside.
    "trace dot
%p = input 0 : i64
%n = input 1 : i32
%zero = const 0 : i32
%one = const 1 : i32
%fz = const 0.0 : f64
%c = icmp.sgt %n, %zero
snap0 @resume(100) { 1: %n }
guard %c, snap0
loop (%i = %zero, %s = %fz)
  %e = icmp.slt %i, %n
  snap1 @resume(101) { 0: %p, 1: %n, 2: %i, 3: %s }
  guard %e, snap1
  %w = zext.i64 %i
  %off = shl %w, %one
  %addr = add %p, %off
  %v = load.f64 [%addr]
  %s1 = fadd %s, %v
  %i1 = add %i, %one
  jump (%i1, %s1)
",
    // Nop lines survive (the verifier rejects them, dumps may show them).
    "%a = input 0 : i64
nop
%b = add %a, %a
snap0 @resume(0) { 0: %b }
exit snap0
",
    // A minimal trace.
    "snap0 @resume(0) {}
exit snap0
",
];

#[test]
fn canonical_texts_print_back_exactly() {
    for src in CANONICAL {
        let t = parsed(src);
        assert_eq!(print(&t), *src);
    }
}

#[test]
fn every_op_appears_in_the_canonical_set() {
    let all: String = CANONICAL.concat();
    for op in BinOp::ALL
        .map(BinOp::name)
        .iter()
        .chain(&UnOp::ALL.map(UnOp::name))
        .chain(&OvfOp::ALL.map(OvfOp::name))
    {
        assert!(all.contains(&format!(" = {op} ")), "{op}");
    }
    for c in ICmp::ALL {
        assert!(all.contains(&format!("icmp.{} ", c.name())));
    }
    for c in FCmp::ALL {
        assert!(all.contains(&format!("fcmp.{} ", c.name())));
    }
    for c in Conv::ALL {
        assert!(all.contains(&format!(" = {}.", c.name())));
    }
    for t in Type::ALL {
        assert!(all.contains(&format!("input 0 : {t}")) || all.contains(&format!(": {t}\n")), "{t}");
        if t != Type::I1 {
            assert!(all.contains(&format!("load.{t} ")) || t == Type::I1, "{t}");
        }
    }
}

#[test]
fn parse_builds_the_structure_the_text_says() {
    let t = parse(CANONICAL[0]).unwrap();
    assert_eq!(t.name.as_deref(), Some("sum_to_n"));
    assert_eq!(t.loop_start, Some(3));
    assert_eq!(t.loop_inits, vec![Value(1), Value(1)]);
    assert_eq!(t.insts[3].op, Op::LoopParam { index: 0 });
    assert_eq!(t.insts[4].op, Op::LoopParam { index: 1 });
    assert_eq!(t.insts[4].ty, Some(Type::I64));
    assert_eq!(t.insts[5].op, Op::ICmp(ICmp::Slt, Value(3), Value(0)));
    assert_eq!(t.insts[5].ty, Some(Type::I1));
    assert_eq!(t.insts[6].op, Op::Guard { cond: Value(5), expect: true, snap: SnapId(0) });
    assert_eq!(t.insts[8].op, Op::Ovf(OvfOp::Add, Value(3), Value(2), SnapId(0)));
    assert_eq!(
        t.snaps,
        vec![Snapshot { resume: 7, entries: vec![(0, Value(3)), (1, Value(4))], to: SnapTo::Host }]
    );
    assert_eq!(t.term, Terminator::Jump(vec![Value(8), Value(7)]));

    let t = parse(CANONICAL[6]).unwrap();
    assert_eq!(
        t.insts[3].op,
        Op::Call {
            callee: Callee::Symbol("name".into()),
            args: vec![Value(0), Value(1)],
            effect: CallEffect::Any,
            hint: CallHint::None
        }
    );
    assert_eq!(
        t.insts[4].op,
        Op::Call {
            callee: Callee::Value(Value(2)),
            args: vec![Value(1)],
            effect: CallEffect::Pure,
            hint: CallHint::None
        }
    );
    assert_eq!(t.insts[5].ty, None);
    assert_eq!(t.snaps[0].resume, 1 << 32);

    let t = parse(CANONICAL[5]).unwrap();
    assert_eq!(t.insts[4].op, Op::Load { base: Value(0), disp: 2147483647, imm: true, mem: MemClass::Any });
    assert_eq!(t.insts[5].op, Op::Load { base: Value(0), disp: i32::MIN, imm: true, mem: MemClass::Any });
    assert_eq!(t.insts[8].op, Op::Store { base: Value(0), disp: -8, value: Value(3), mem: MemClass::Any });

    let t = parse(CANONICAL[7]).unwrap();
    assert_eq!(t.term, Terminator::Link { trace: u32::MAX, snap: SnapId(2) });
    assert_eq!(t.snaps[1].resume, 20);
}

#[test]
fn constants_keep_their_exact_bits() {
    let t = parse(CANONICAL[2]).unwrap();
    let bits: Vec<u64> = t
        .insts
        .iter()
        .filter_map(|i| if let Op::Const { bits } = i.op { Some(bits) } else { None })
        .collect();
    assert_eq!(
        bits,
        vec![
            0.5f64.to_bits(),
            (-0.0f64).to_bits(),
            1e300f64.to_bits(),
            1,
            f64::INFINITY.to_bits(),
            f64::NEG_INFINITY.to_bits(),
            f64::NAN.to_bits(),
            0x7ff0000000000001,
            0xfff8000000000000,
            std::f64::consts::PI.to_bits(),
        ]
    );
    let t = parse(CANONICAL[3]).unwrap();
    let c = |name: &str| {
        let i = t.insts.iter().find(|i| i.name.as_deref() == Some(name)).unwrap();
        match i.op {
            Op::Const { bits } => bits,
            _ => panic!(),
        }
    };
    assert_eq!(c("m8"), 0x80);
    assert_eq!(c("m32"), 0x8000_0000);
    assert_eq!(c("min"), 1 << 63);
    assert_eq!(c("neg"), (-4294967295i64) as u64);
    assert_eq!(c("t"), 1);
}

#[test]
fn every_f64_bit_pattern_round_trips() {
    let mut x = 0x9e3779b97f4a7c15u64;
    let mut pats = vec![0, 1 << 63, 1, u64::MAX, 0x7ff0000000000000, 0x000fffffffffffff, 0x7fefffffffffffff];
    for _ in 0..2000 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        pats.push(x);
    }
    for bits in pats {
        let mut b = Builder::new();
        let k = b.konst(Type::F64, bits);
        let s = b.snapshot(0, &[(0, k)]);
        let t = b.exit(s);
        let text = print(&t);
        let back = parse(&text).unwrap();
        assert_eq!(back.const_bits(Value(0)), Some(bits), "{text}");
        assert_eq!(print(&back), text);
    }
}

#[test]
fn non_canonical_text_is_normalized() {
    let src = "  ; leading comment\n\n%a = input 0 : i64   \n%k = const 0xff : i8\n  %b = add %a,%a ; c\n%k2 = const -1 : i8\n%z = const 255 : i8\nsnap0 { 0: %b, 1: %k2 }\nexit snap0";
    let t = parse(src).unwrap();
    // Interning: `%k2` and `%z` name the same value as `%k`.
    assert_eq!(t.insts.len(), 3);
    assert_eq!(print(&t), "%a = input 0 : i64\n%k = const -1 : i8\n%b = add %a, %a\nsnap0 @resume(0) { 0: %b, 1: %k }\nexit snap0\n");
}

#[test]
fn constants_in_the_body_move_to_the_top_and_keep_their_names() {
    let src = "%a = input 0 : i64\n%b = add %a, %a\n%k = const 3 : i64\n%c = add %b, %k\nsnap0 @resume(0) { 0: %c }\nexit snap0\n";
    let t = parse(src).unwrap();
    let p = print(&t);
    assert_eq!(p, "%a = input 0 : i64\n%k = const 3 : i64\n%b = add %a, %a\n%c = add %b, %k\nsnap0 @resume(0) { 0: %c }\nexit snap0\n");
    assert_eq!(print(&parse(&p).unwrap()), p);
}

#[test]
fn built_traces_get_index_names_without_collisions() {
    let mut b = Builder::new();
    let x = b.input(0, Type::I64);
    let y = b.input(1, Type::I64);
    b.name(y, "0"); // takes the name the first value would get by index
    let z = b.bin(BinOp::Add, x, y);
    b.name(z, "0");
    let s = b.snapshot(0, &[(0, z)]);
    let t = b.exit(s);
    let text = print(&t);
    assert_eq!(text, "%0.1 = input 0 : i64\n%0 = input 1 : i64\n%0.2 = add %0.1, %0\nsnap0 @resume(0) { 0: %0.2 }\nexit snap0\n");
    assert_eq!(print(&parse(&text).unwrap()), text);
}

#[test]
fn ill_formed_traces_still_print() {
    let mut t = Trace { name: Some("bad name!".into()), ..Default::default() };
    t.insts.push(Inst { op: Op::Bin(BinOp::Add, Value(7), Value(0)), ty: None, name: Some("a b".into()) });
    t.insts.push(Inst {
        op: Op::Guard { cond: Value(0), expect: true, snap: SnapId(9) },
        ty: None,
        name: None,
    });
    t.insts.push(Inst {
        op: Op::Call {
            callee: Callee::Symbol(String::new()),
            args: vec![],
            effect: CallEffect::Any,
            hint: CallHint::None,
        },
        ty: None,
        name: None,
    });
    t.loop_start = Some(99);
    t.loop_inits = vec![Value(1)];
    t.term = Terminator::Exit(SnapId(3));
    let text = print(&t);
    assert_eq!(
        text,
        "trace bad_name_\n%0 = add %?7, %0\nguard %0, snap9\ncall.void @_()\nloop ()\n  exit snap3\n"
    );
}
