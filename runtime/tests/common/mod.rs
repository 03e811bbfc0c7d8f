//! What the runtime's tests and benchmark share: the small bytecode VM of
//! `tests/programs/bcvm.tir`, its native helper and its opcodes.

#![allow(dead_code)]

use trace_ir::fragment::{verify, Program};
use trace_ir::text::parse_program;
use trace_ir::Symbols;

pub extern "C" fn twice(x: u64) -> u64 {
    x.wrapping_mul(2)
}

/// `@twice`, natively and as a model.
pub fn symbols() -> Symbols {
    let mut s = Symbols::new();
    s.define("twice", twice as *const () as u64, |a| a[0].wrapping_mul(2));
    s
}

/// The VM's fragment program, verified.
pub fn program() -> Program {
    let src =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/programs/bcvm.tir")).unwrap();
    let p = parse_program(&src).unwrap();
    verify::verify(&p).unwrap();
    p
}

pub const ADDN: u64 = 0;
pub const MIX: u64 = 1;
pub const DECN: u64 = 2;
pub const JNZ: u64 = 3;
pub const HALT: u64 = 4;
pub const ODDINC: u64 = 5;

/// The words of bytecode as bytes, for `MemRegion::of` and `Slices`.
pub fn bytes(words: &mut [u64]) -> &mut [u8] {
    // SAFETY: u64 has no padding and any byte is a valid u8; the slice covers exactly the
    // words and borrows them mutably for its lifetime.
    unsafe { std::slice::from_raw_parts_mut(words.as_mut_ptr() as *mut u8, words.len() * 8) }
}
