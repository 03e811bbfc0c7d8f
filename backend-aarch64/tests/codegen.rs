//! Host-independent code generation tests: assemble traces covering every op at every type
//! and check the yaxpeax-arm disassembly.

mod common;

use backend_aarch64::disasm::decode;
use backend_aarch64::A64;
use trace_ir::backend::{Assembled, Backend};
use trace_ir::ir::*;
use trace_ir::regalloc::Allocation;
use trace_ir::{Builder, Symbols, Type};

fn asm(t: &Trace, al: &Allocation) -> Assembled {
    A64::new().assemble(t, al, &Symbols::new()).unwrap_or_else(|e| panic!("assemble: {e}"))
}

/// Decoded instruction texts of the first part whose header contains `what`.
fn part(a: &Assembled, what: &str) -> Vec<String> {
    let p = a.parts.iter().find(|p| p.what.contains(what)).unwrap_or_else(|| panic!("no part {what}"));
    decode(&a.code[p.offset..p.offset + p.len]).into_iter().map(|l| l.text.expect("decodes")).collect()
}

fn no_decode_errors(a: &Assembled) {
    for l in decode(&a.code) {
        assert!(l.text.is_some(), "undecodable word {:#010x} at {:#x}", l.word, l.offset);
    }
}

/// Mnemonics one of which must appear in the code of an instruction.
fn expected(t: &Trace, i: usize) -> &'static [&'static str] {
    let ty = t.insts[i].ty;
    match &t.insts[i].op {
        Op::Bin(op, ..) => match op {
            BinOp::Add | BinOp::Sub => &["add", "sub"],
            BinOp::Mul => &["mul"],
            BinOp::And => &["and", "mov"],
            BinOp::Or => &["orr"],
            BinOp::Xor => &["eor"],
            _ if ty == Some(Type::I1) && matches!(op, BinOp::Shl | BinOp::LShr | BinOp::AShr) => {
                &["mov", "", "ldr"]
            }
            BinOp::Shl => &["lsl", "mov", "ldr"],
            BinOp::LShr => &["lsr", "mov", "ldr"],
            BinOp::AShr => &["asr", "mov", "ldr"],
            BinOp::SDiv if ty == Some(Type::I1) => &["udiv"],
            BinOp::SDiv => &["sdiv"],
            BinOp::UDiv => &["udiv"],
            BinOp::SRem | BinOp::URem => &["msub"],
            BinOp::FAdd => &["fadd"],
            BinOp::FSub => &["fsub"],
            BinOp::FMul => &["fmul"],
            BinOp::FDiv => &["fdiv"],
        },
        Op::Un(op, _) => match op {
            UnOp::Neg => &["neg"],
            UnOp::Not => &["mvn"],
            UnOp::FNeg => &["fneg"],
            UnOp::FAbs => &["fabs"],
            UnOp::FSqrt => &["fsqrt"],
        },
        Op::ICmp(..) | Op::FCmp(..) => &["cset"],
        Op::Select(..) => &["csel", "fcsel"],
        Op::Conv(c, _) => match c {
            Conv::SIToFP => &["scvtf"],
            Conv::FPToSI => &["fcvtzs"],
            Conv::Bitcast => &["fmov"],
            Conv::SExt => &["sxtb", "sxth", "sxtw", "sbfx"],
            Conv::ZExt => &["mov", "", "ldr"],
            Conv::Trunc => &["uxtb", "uxth", "and", "mov", "ubfx"],
        },
        Op::Ovf(..) => &["adds", "subs", "smulh", "smull", "sxtb", "sxth", "sbfx"],
        Op::Load { .. } => &["ldr", "ldrb", "ldrh", "ldur", "ldurb", "ldurh"],
        Op::Store { .. } => &["str", "strb", "strh", "stur", "sturb", "sturh"],
        Op::Call { .. } => &["blr"],
        Op::Guard { .. } => &["b.eq", "b.ne", "cbz", "cbnz", "b", "b.lt", "b.ge"],
        _ => &[""],
    }
}

#[test]
fn every_op_at_every_type_assembles_to_the_expected_instructions() {
    let mut checked = 0;
    for c in common::all_cases() {
        let pr = trace_ir::text::Printer::new(&c.trace);
        for al in [common::regs(&c.trace), common::spilled(&c.trace)] {
            let a = asm(&c.trace, &al);
            no_decode_errors(&a);
            for i in 0..c.trace.insts.len() {
                let op = &c.trace.insts[i].op;
                if op.is_positionless() {
                    continue;
                }
                let head = pr.inst(i);
                let code = part(&a, &head);
                let want = expected(&c.trace, i);
                let found = want.iter().any(|w| {
                    (w.is_empty() && code.is_empty())
                        || code.iter().any(|l| l.split_whitespace().next() == Some(w))
                });
                assert!(found, "{}: {head}: want one of {want:?} in {code:?}", c.name);
                checked += 1;
            }
        }
    }
    assert!(checked > 2000, "only {checked} instructions checked");
}

/// Constants that have an immediate form never go through a scratch register.
#[test]
fn immediates_are_encoded_in_the_instruction_when_they_can_be() {
    let one = |op: BinOp, ty: Type, k: u64| {
        let mut b = Builder::new();
        let x = b.input(0, ty);
        let kv = b.konst(ty, k);
        let r = b.bin(op, x, kv);
        let s = b.snapshot(0, &[(1, r)]);
        let t = b.exit(s);
        let a = asm(&t, &common::regs(&t));
        part(&a, &backend_aarch64::disasm::inst_text(&t, r.index()))
    };
    for k in [0u64, 1, 4095, 4096, 0x0100_0000 - 0x1000, (-1i64) as u64, (-4095i64) as u64, (-4096i64) as u64]
    {
        let code = one(BinOp::Add, Type::I64, k);
        assert_eq!(code.len(), 1, "add {k:#x}: {code:?}");
        let code = one(BinOp::Sub, Type::I64, k);
        assert_eq!(code.len(), 1, "sub {k:#x}: {code:?}");
    }
    for k in [0x0100_0001u64, 0x1234_5678, i64::MIN as u64, i64::MAX as u64] {
        let code = one(BinOp::Add, Type::I64, k);
        assert!(code.len() >= 2 && code.last().unwrap().contains("x17"), "add {k:#x}: {code:?}");
    }
    for k in [0x5555_5555_5555_5555u64, 0xff, 0xffff_0000, 1 << 63, i64::MAX as u64] {
        let code = one(BinOp::And, Type::I64, k);
        assert_eq!(code.len(), 1, "and {k:#x}: {code:?}");
        assert!(code[0].contains('#'), "{code:?}");
    }
    for k in [0x1234u64, 0xdead_beef_0000_0001] {
        let code = one(BinOp::Xor, Type::I64, k);
        assert!(code.len() >= 2, "xor {k:#x}: {code:?}");
    }
    // i8: 0xff as a W bitmask, shifts by constants.
    assert_eq!(one(BinOp::And, Type::I8, 0x0f).len(), 1);
    assert_eq!(one(BinOp::LShr, Type::I64, 65), ["lsr x20, x19, #0x1"]);
    // Compares against a constant and a fused guard: cmp + b.cond, no cset.
    let mut b = Builder::new();
    let x = b.input(0, Type::I64);
    let k = b.iconst(Type::I64, -5);
    let c = b.icmp(ICmp::Sgt, x, k);
    let s = b.snapshot(0, &[(0, x)]);
    b.guard(c, s);
    let t = b.exit(s);
    let a = asm(&t, &common::regs(&t));
    let cmp = part(&a, "icmp.sgt");
    let g = part(&a, "guard");
    assert_eq!(cmp, ["cmn x19, #0x5"]);
    assert_eq!(g.len(), 1);
    assert!(g[0].starts_with("b.le"), "{g:?}");
}

#[test]
fn listings_name_every_part() {
    let mut b = Builder::named("t");
    let x = b.input(0, Type::I64);
    let one = b.iconst(Type::I64, 1);
    let p = b.begin_loop(&[x]);
    let c = b.icmp(ICmp::Ne, p[0], one);
    let s = b.snapshot(3, &[(0, p[0])]);
    b.guard(c, s);
    let n = b.bin(BinOp::Sub, p[0], one);
    let t = b.jump(&[n]);
    let l = A64::new().listing(&t, &common::regs(&t), &Symbols::new()).unwrap();
    for want in [
        "entry",
        "internal entry",
        "guard",
        "jump (",
        "exit stub snap0",
        "deopt snap0",
        "link path snap0",
        "common exit",
        "ret",
    ] {
        assert!(l.contains(want), "{want} missing from\n{l}");
    }
    assert!(!l.contains(".word"), "{l}");
}

#[test]
fn malformed_allocations_and_traces_are_typed_errors() {
    use trace_ir::backend::BackendError;
    use trace_ir::regalloc::{Loc, Reg};
    let mut b = Builder::new();
    let x = b.input(0, Type::I64);
    let y = b.bin(BinOp::Add, x, x);
    let s = b.snapshot(0, &[(0, y)]);
    let t = b.exit(s);
    let mut al = common::regs(&t);
    al.locs[x.index()] = Loc::Reg(Reg::fpr(3));
    assert!(matches!(A64::new().assemble(&t, &al, &Symbols::new()), Err(BackendError::Invalid(_))));
    al.locs[x.index()] = Loc::None;
    assert!(matches!(A64::new().assemble(&t, &al, &Symbols::new()), Err(BackendError::Invalid(_))));
    let mut t2 = t.clone();
    t2.term = Terminator::Exit(SnapId(9));
    assert!(matches!(
        A64::new().assemble(&t2, &common::regs(&t2), &Symbols::new()),
        Err(BackendError::Invalid(_))
    ));
    let mut t3 = t.clone();
    t3.term = Terminator::Jump(vec![]);
    assert!(matches!(
        A64::new().assemble(&t3, &common::regs(&t3), &Symbols::new()),
        Err(BackendError::Invalid(_))
    ));
}

#[test]
fn print_listing() {
    let mut b = Builder::new();
    let x = b.input(0, Type::I64);
    let y = b.input(1, Type::I64);
    let r = b.bin(BinOp::Add, x, y);
    let s = b.snapshot(3, &[(2, r)]);
    let t = b.exit(s);
    let al = common::regs(&t);
    println!("{}", A64::new().listing(&t, &al, &Symbols::new()).unwrap());
}

#[test]
fn dump_case() {
    if let Ok(name) = std::env::var("DUMP_CASE") {
        for c in common::all_cases().into_iter().filter(|c| c.name == name) {
            println!("{}", A64::new().listing(&c.trace, &common::regs(&c.trace), &Symbols::new()).unwrap());
        }
    }
}

/// Exits beyond the ±1 MiB reach of `b.cond` hop over an unconditional `b` instead (the run
/// tests execute the same trace on AArch64; assembling it under qemu is slow).
#[cfg(not(target_arch = "aarch64"))]
#[test]
fn traces_over_a_mebibyte_use_far_exit_branches() {
    let (t, al) = common::huge_trace(270_000);
    let a = asm(&t, &al);
    assert!(a.code.len() > 1 << 20);
    let g = part(&a, "guard");
    assert_eq!(g.len(), 2, "{g:?}");
    assert!(g[0].starts_with("b.lt"), "{g:?}");
    assert!(g[1].starts_with("b "), "{g:?}");
    // A small trace keeps the single b.cond.
    let (t, al) = common::huge_trace(10);
    let g = part(&asm(&t, &al), "guard");
    assert_eq!(g.len(), 1, "{g:?}");
    assert!(g[0].starts_with("b.ge"), "{g:?}");
}

/// A loop that starts with compare + guard is rotated: the pair runs once before the loop
/// and closes it at the bottom with one `b.cond`; other loops end with a plain `b`.
#[test]
fn loops_headed_by_a_guard_are_rotated() {
    let build = |guard_first: bool| {
        let mut b = Builder::new();
        let n = b.input(0, Type::I64);
        let zero = b.iconst(Type::I64, 0);
        let one = b.iconst(Type::I64, 1);
        let p = b.begin_loop(&[zero]);
        let pre = if guard_first { p[0] } else { b.bin(BinOp::Xor, p[0], one) };
        let c = b.icmp(ICmp::Slt, pre, n);
        let s = b.snapshot(0, &[(1, p[0])]);
        b.guard(c, s);
        let i = b.bin(BinOp::Add, p[0], one);
        b.jump(&[i])
    };
    let t = build(true);
    let a = asm(&t, &common::regs(&t));
    let j = part(&a, "jump (");
    let k = j.len();
    assert!(j[k - 3].starts_with("cmp"), "{j:?}");
    assert!(j[k - 2].starts_with("b.lt"), "{j:?}");
    assert!(j[k - 1].starts_with("b "), "{j:?}");
    let t = build(false);
    let a = asm(&t, &common::regs(&t));
    let j = part(&a, "jump (");
    assert!(j.last().unwrap().starts_with("b "), "{j:?}");
    assert!(!j.iter().any(|l| l.starts_with("cmp")), "{j:?}");
}

/// `x < 0` and `x >= 0` guards test the sign bit with tbz/tbnz while the exit is within
/// ±32 KiB, and fall back to compare and `b.cond` beyond.
#[test]
fn sign_guards_use_tbz_within_reach() {
    let (t, al) = common::huge_trace_against(10, 0);
    let a = asm(&t, &al);
    assert!(part(&a, "icmp.slt").is_empty());
    let g = part(&a, "guard");
    assert_eq!(g.len(), 1);
    assert!(g[0].starts_with("tbz x19, #0x3f"), "{g:?}");
    let (t, al) = common::huge_trace_against(10_000, 0);
    let a = asm(&t, &al);
    assert_eq!(part(&a, "icmp.slt").len(), 1);
    let g = part(&a, "guard");
    assert!(g[0].starts_with("b.ge"), "{g:?}");
    // Narrow types test their own sign bit.
    let mut b = Builder::new();
    let x = b.input(0, Type::I16);
    let z = b.iconst(Type::I16, 0);
    let c = b.icmp(ICmp::Sge, x, z);
    let s = b.snapshot(0, &[]);
    b.guard(c, s);
    let t = b.exit(s);
    let g = part(&asm(&t, &common::regs(&t)), "guard");
    assert!(g[0].starts_with("tbnz w19, #0xf"), "{g:?}");
}

/// Linking re-points exactly the exit stub (to the link path) and the link path's tail (to
/// the target's internal entry); unlinking restores the stub. Checked on the installed
/// bytes, so on any host.
#[test]
fn link_and_unlink_patch_the_expected_words() {
    use backend_aarch64::emit::b_target;
    let mut b = Builder::new();
    let x = b.input(0, Type::I64);
    let k = b.iconst(Type::I64, 3);
    let c = b.icmp(ICmp::Ult, x, k);
    let s0 = b.snapshot(1, &[(0, x)]);
    b.guard(c, s0);
    let s1 = b.snapshot(2, &[(1, x)]);
    let t = b.exit(s1);
    let mut j = A64::new();
    let a = common::install(&mut j, &t, &common::regs(&t), &Symbols::new());
    let bb = common::install(&mut j, &t, &common::spilled(&t), &Symbols::new());
    let word = |j: &A64, id: u32, off: usize| {
        let code = j.code_of(id).unwrap();
        u32::from_le_bytes(code[off..off + 4].try_into().unwrap())
    };
    let target =
        |j: &A64, id: u32, off: usize| b_target(j.addr_of(id, off).unwrap(), word(j, id, off)).unwrap();
    let ca = j.installed(a).unwrap().code.clone();
    let before = j.code_of(a).unwrap().to_vec();
    assert_eq!(target(&j, a, ca.stubs[0]), j.addr_of(a, ca.deopts[0]).unwrap());

    j.patch_link(a, SnapId(0), bb).unwrap();
    let internal_b = j.addr_of(bb, j.installed(bb).unwrap().code.internal).unwrap();
    assert_eq!(target(&j, a, ca.stubs[0]), j.addr_of(a, ca.link_paths[0]).unwrap());
    assert_eq!(target(&j, a, ca.link_tails[0]), internal_b);
    let after = j.code_of(a).unwrap().to_vec();
    let changed: Vec<usize> =
        (0..before.len()).step_by(4).filter(|&o| before[o..o + 4] != after[o..o + 4]).collect();
    assert_eq!(changed, vec![ca.stubs[0], ca.link_tails[0]]);

    j.patch_unlink(a, SnapId(0)).unwrap();
    assert_eq!(target(&j, a, ca.stubs[0]), j.addr_of(a, ca.deopts[0]).unwrap());
    assert!(j.patch_link(a, SnapId(2), bb).is_err());
    assert!(j.patch_link(a, SnapId(0), 9).is_err());
    assert!(j.patch_unlink(9, SnapId(0)).is_err());
}

/// The twin of the x86-64 test: an address `p + k + disp` whose constant and displacement
/// overflow i64 when added still assembles (the offset goes through a register).
#[test]
fn address_constants_that_overflow_with_the_displacement_assemble() {
    for (k, disp) in [(i64::MIN, -8), (i64::MAX, 8), (i64::MIN + 4, -4)] {
        let mut b = Builder::new();
        let p = b.input(0, Type::I64);
        let c = b.iconst(Type::I64, k);
        let a = b.bin(BinOp::Add, p, c);
        let v = b.load(Type::I64, a, disp, false);
        let s = b.snapshot(0, &[(1, v), (2, p)]);
        let t = b.exit(s);
        for al in [common::regs(&t), common::shared(&t)] {
            let r = A64::new().assemble(&t, &al, &Symbols::new());
            assert!(r.is_ok(), "k={k} disp={disp}: {:?}", r.err());
        }
    }
}
