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
