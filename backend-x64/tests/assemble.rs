//! Assembling and listing without executing: runs on every host (the AArch64 CI too).

mod common;

use backend_x64::disasm::disassemble;
use backend_x64::X64;
use common::kernels;
use common::*;
use trace_ir::backend::{Backend, BackendError};
use trace_ir::ir::*;
use trace_ir::regalloc::{Loc, Reg};
use trace_ir::{Builder, Symbols, Type};

fn asm(t: &Trace) -> trace_ir::backend::Assembled {
    X64::new().assemble(t, &naive_alloc(t, Mode::Regs), &Symbols::new()).unwrap()
}

#[test]
fn parts_cover_the_code_and_label_entry_stubs_and_exits() {
    for t in [kernels::sum_i64(), kernels::dot_f64(), kernels::memcpy_i64(), kernels::mix_guards()] {
        let a = asm(&t);
        let mut at = 0;
        for p in &a.parts {
            assert_eq!(p.offset, at, "{}", p.what);
            at += p.len;
        }
        assert_eq!(at, a.code.len());
        let names: Vec<&str> = a.parts.iter().map(|p| p.what.as_str()).collect();
        for want in ["entry", "inputs", "preheader moves", "loop:", "common exit"] {
            assert!(names.contains(&want), "{want} missing in {names:?}");
        }
        for s in 0..t.snaps.len() {
            let stub = a.parts.iter().find(|p| p.what == format!("exit stub snap{s}")).unwrap();
            assert_eq!(stub.len, 5, "stubs are one jmp rel32");
            assert_eq!(a.code[stub.offset], 0xe9);
            assert!(names.contains(&format!("deopt snap{s}").as_str()));
        }
        // Every byte decodes to a valid instruction.
        let ins = disassemble(&a.code, 0);
        assert!(ins.iter().all(|(_, s)| !s.contains("(bad)") && !s.is_empty()));
        let total: usize = a.parts.iter().map(|p| p.len).sum();
        assert_eq!(total, a.code.len());
    }
}

#[test]
fn listing_interleaves_ir_and_intel_syntax() {
    let t = kernels::dot_f64();
    let l = X64::new().listing(&t, &naive_alloc(&t, Mode::Regs), &Symbols::new()).unwrap();
    for want in
        ["; entry", "push rbx", "mov r15,rdi", "fmul", "mulsd", "addsd", "movsd", "; exit stub snap0", "ret"]
    {
        assert!(l.contains(want), "{want} not in\n{l}");
    }
    assert!(l.contains("; snap0 @resume(1) {"), "the snapshot line precedes its guard\n{l}");
    // The compare is fused into its guard: no setcc, a jge to the stub.
    assert!(!l.contains("setl"), "{l}");
    assert!(l.contains("jge"), "{l}");
}

#[test]
fn small_constants_use_short_immediates() {
    let mut b = Builder::new();
    let x = b.input(0, Type::I64);
    let one = b.iconst(Type::I64, 1);
    let big = b.iconst(Type::I64, 0x1234_5678_9abc);
    let y = b.bin(BinOp::Add, x, one);
    let z = b.bin(BinOp::Add, y, big);
    let s = b.snapshot(0, &[(0, z)]);
    let t = b.exit(s);
    let a = asm(&t);
    let part = |what: &str| a.parts.iter().find(|p| p.what.contains(what)).unwrap().clone();
    let add1 = part("add %0, %");
    let listing = disassemble(&a.code[add1.offset..add1.offset + add1.len], 0);
    let add = listing.iter().find(|(_, s)| s.starts_with("add")).unwrap();
    assert!(add.1.ends_with(",1"), "{add:?}");
    // mov + add rq, imm8 (4 bytes)
    assert!(add1.len <= 7, "{listing:?}");
    let addbig = part("add %3, %2");
    let l = disassemble(&a.code[addbig.offset..addbig.offset + addbig.len], 0);
    assert!(l.iter().any(|(_, s)| s.contains("123456789ABC")), "{l:?}");
}

#[test]
fn float_equality_guards_test_parity() {
    for (c, jumps) in [(FCmp::Eq, ["jp", "jne"]), (FCmp::Ne, ["jp", "je"])] {
        let mut b = Builder::new();
        let x = b.input(0, Type::F64);
        let y = b.input(1, Type::F64);
        let s = b.snapshot(0, &[]);
        let k = b.fcmp(c, x, y);
        b.guard(k, s);
        let t = b.exit(s);
        let l = X64::new().listing(&t, &naive_alloc(&t, Mode::Regs), &Symbols::new()).unwrap();
        assert!(l.contains("ucomisd"), "{l}");
        for j in jumps {
            assert!(l.contains(&format!("  {j} ")), "{j} not in\n{l}");
        }
    }
}

#[test]
fn allocations_the_backend_cannot_honour_are_typed_errors() {
    let t = kernels::sum_i64();
    let x = X64::new();
    let syms = Symbols::new();
    let good = naive_alloc(&t, Mode::Regs);

    let mut bad = good.clone();
    bad.locs[0] = Loc::Reg(Reg::gpr(15)); // the pinned ctx register
    assert!(matches!(x.assemble(&t, &bad, &syms), Err(BackendError::Invalid(_))));

    let mut bad = good.clone();
    bad.locs[0] = Loc::Reg(Reg::fpr(0)); // an i64 in an xmm register
    assert!(matches!(x.assemble(&t, &bad, &syms), Err(BackendError::Invalid(_))));

    let mut bad = good.clone();
    bad.locs.truncate(2);
    assert!(matches!(x.assemble(&t, &bad, &syms), Err(BackendError::Invalid(_))));

    let mut bad = good.clone();
    bad.locs[1] = Loc::Spill(100_000);
    assert!(matches!(x.assemble(&t, &bad, &syms), Err(BackendError::Invalid(_))));

    // A jump in a trace without a loop.
    let mut b = Builder::new();
    let v = b.input(0, Type::I64);
    let t = b.jump(&[v]);
    assert!(matches!(x.assemble(&t, &naive_alloc(&t, Mode::Regs), &syms), Err(BackendError::Invalid(_))));
}

#[test]
fn calls_with_more_stack_arguments_than_the_frame_holds_are_unsupported() {
    let mut b = Builder::new();
    let v = b.input(0, Type::I64);
    let args = vec![v; 6 + 65];
    let r = b.call(Some(Type::I64), Callee::Symbol("f".into()), &args, CallEffect::Any);
    let s = b.snapshot(0, &[(0, r)]);
    let t = b.exit(s);
    let mut syms = Symbols::new();
    syms.define_native("f", 0x1000);
    let e = X64::new().assemble(&t, &naive_alloc(&t, Mode::Regs), &syms).unwrap_err();
    assert!(matches!(e, BackendError::Unsupported(_)), "{e:?}");
    let args = vec![v; 6 + 64];
    let mut b = Builder::new();
    let v2 = b.input(0, Type::I64);
    let r = b.call(Some(Type::I64), Callee::Symbol("f".into()), &vec![v2; args.len()], CallEffect::Any);
    let s = b.snapshot(0, &[(0, r)]);
    let t = b.exit(s);
    assert!(X64::new().assemble(&t, &naive_alloc(&t, Mode::Regs), &syms).is_ok());
}

#[test]
fn register_file_matches_the_frame_conventions() {
    let x = X64::new();
    let rf = x.regfile();
    assert_eq!(x.triple(), "x86_64-unknown-linux-gnu");
    assert!(rf.scratch_gprs.len() >= 2 && rf.scratch_fprs.len() >= 2);
    for r in &rf.gprs {
        assert!(!rf.scratch_gprs.contains(r) && *r != 15 && *r != 4);
    }
    // A call clobbers every caller-saved register, shifts claim rcx, division rax/rdx.
    let mut b = Builder::new();
    let v = b.input(0, Type::I64);
    let w = b.input(1, Type::I64);
    b.bin(BinOp::Shl, v, w);
    b.bin(BinOp::SDiv, v, w);
    let k = b.iconst(Type::I64, 3);
    b.bin(BinOp::Shl, v, k);
    b.call(None, Callee::Symbol("f".into()), &[], CallEffect::Any);
    let s = b.snapshot(0, &[]);
    let t = b.exit(s);
    let c = |i| (rf.constraints)(&t, i);
    assert_eq!(c(2).temps, vec![Reg::gpr(1)]);
    assert_eq!(c(3).temps, vec![Reg::gpr(0), Reg::gpr(2)]);
    assert!(c(5).temps.is_empty(), "constant shift counts need no rcx");
    assert!(c(6).clobbers.contains(&Reg::gpr(0)) && c(6).clobbers.contains(&Reg::fpr(15)));
    assert!(!c(6).clobbers.contains(&Reg::gpr(3)), "rbx is callee-saved");
}

#[test]
fn a_compare_feeding_only_the_next_select_becomes_a_cmov() {
    let mut b = Builder::new();
    let x = b.input(0, Type::I64);
    let y = b.input(1, Type::I64);
    let k = b.icmp(ICmp::Ult, x, y);
    let r = b.select(k, x, y);
    let s = b.snapshot(0, &[(2, r)]);
    let t = b.exit(s);
    let l = X64::new().listing(&t, &naive_alloc(&t, Mode::Regs), &Symbols::new()).unwrap();
    assert!(l.contains("cmovb"), "{l}");
    assert!(!l.contains("setb"), "{l}");
}

#[test]
fn operands_without_locations_are_typed_errors() {
    let t = kernels::sum_i64();
    let mut al = naive_alloc(&t, Mode::Regs);
    al.locs[1] = Loc::None; // %n, read by the loop's compare
    let e = X64::new().assemble(&t, &al, &Symbols::new()).unwrap_err();
    assert!(matches!(e, BackendError::Invalid(ref m) if m.contains("no location")), "{e:?}");
    // An operand naming a value that does not exist.
    let mut b = Builder::new();
    let x = b.input(0, Type::I64);
    let v = b.bin(BinOp::Add, x, Value(99));
    let s = b.snapshot(0, &[(1, v)]);
    let t = b.exit(s);
    let e = X64::new().assemble(&t, &naive_alloc(&t, Mode::Regs), &Symbols::new()).unwrap_err();
    assert!(matches!(e, BackendError::Invalid(_)), "{e:?}");
}

#[test]
fn a_loop_starting_with_a_guard_tests_it_again_at_the_back_edge() {
    let t = kernels::sum_i64();
    let a = asm(&t);
    let back = a.parts.iter().find(|p| p.what.starts_with("jump")).unwrap();
    let ins = disassemble(&a.code[back.offset..back.offset + back.len], 0);
    let ops: Vec<&str> = ins.iter().map(|(_, s)| s.split(' ').next().unwrap()).collect();
    assert_eq!(&ops[ops.len() - 3..], ["cmp", "jl", "jmp"], "{ins:?}");
    // A float equality needs two flags: no rotation, a plain jump back.
    let mut b = Builder::new();
    let x = b.input(0, Type::F64);
    let l = b.begin_loop(&[x]);
    let s = b.snapshot(0, &[(0, l[0])]);
    let c = b.fcmp(FCmp::Eq, l[0], l[0]);
    b.guard(c, s);
    let y = b.bin(BinOp::FAdd, l[0], l[0]);
    let t = b.jump(&[y]);
    let a = asm(&t);
    let back = a.parts.iter().find(|p| p.what.starts_with("jump")).unwrap();
    let ins = disassemble(&a.code[back.offset..back.offset + back.len], 0);
    assert!(
        ins.last().unwrap().1.starts_with("jmp") && !ins.iter().any(|(_, s)| s.starts_with("ucomisd")),
        "{ins:?}"
    );
}

/// An address `p + k + disp` whose constant and displacement overflow i64 when added (the
/// sum does not fit a displacement either way): assembled with the `add` on its own, no
/// arithmetic overflow at compile time.
#[test]
fn address_constants_that_overflow_with_the_displacement_assemble() {
    for (k, disp) in [(i64::MIN, -8), (i64::MAX, 8), (i64::MIN + 4, -4)] {
        let mut b = Builder::new();
        let p = b.input(0, Type::I64);
        let c = b.iconst(Type::I64, k);
        let a = b.bin(BinOp::Add, p, c);
        let v = b.load(Type::I64, a, disp, false);
        let s = b.snapshot(0, &[(1, v), (2, p)]); // p stays live: the add may fold
        let t = b.exit(s);
        for mode in [Mode::Regs, Mode::Shared] {
            let r = X64::new().assemble(&t, &naive_alloc(&t, mode), &Symbols::new());
            assert!(r.is_ok(), "k={k} disp={disp} {mode:?}: {:?}", r.err());
        }
    }
}
