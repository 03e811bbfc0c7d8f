//! The text format: what dumps show, what errors quote and what tests are written in.
//! `print(&parse(s)?) == s` for canonical text, and `print(&parse(&print(t))?) == print(t)`
//! for every trace that verifies.
//!
//! Canonical layout: an optional `trace NAME`, the inputs, the constants, then the body in
//! vector order; the `loop (...)` line sits at `loop_start` and every line after it is indented
//! by two spaces; each snapshot is printed right before its first user (a guard, an overflow
//! op or the terminator), and snapshots nobody uses come just before the terminator in number
//! order. A value prints as `%name` when it has a valid name not taken by an earlier value,
//! else as `%<index>`, then `%<base>.1`, `%<base>.2`, ... until the name is free.
//!
//! Literals: integer constants print in signed decimal, except i64 values beyond ±2^32 (which
//! are addresses more often than not) in `0x` hex of their bits; f64 constants print as the
//! shortest decimal that reads back to the same bits, as `inf`, `-inf`, `nan` (the one quiet
//! NaN `0x7ff8000000000000`), or else as `0x` bits. `@resume(N)` follows the same decimal/hex
//! rule; it may be left out when reading (it is then 0).
//!
//! Reading is stricter than the structure in a few places, so that every text means one
//! trace: names are defined before use in text order, a snapshot is written before its first
//! use, snapshot numbers are 0..n-1 without gaps, duplicates or leading zeros, and the suffix
//! of `store.T` must be the stored value's type. The parser keeps every name it reads (`%7`
//! too), so a parsed trace prints with the same names even after its values have moved.
//! Constants are interned: a second `const` line with the same type and bits names the same
//! value. A load or store of a memory class other than `any` names it after the type
//! (`load.i64 imm frame [%p + 8]`, `store.i64 heap [%n], %v`). `nop` reads and prints as `Op::Nop`, so dumps taken before `Trace::compact` read back.
//! Types and ordering are not checked here but by the verifier, so that a test can write an
//! ill-typed trace in text and see it rejected.

mod lex;
mod parse;
mod print;
mod program;

pub use print::Printer;
pub use program::{parse_program, print_program};

use crate::ir::Trace;

/// A parse error at a line and column (both from 1), saying what was expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub line: u32,
    pub col: u32,
    pub message: String,
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: {}", self.line, self.col, self.message)
    }
}

impl std::error::Error for ParseError {}

/// Parses IR text. Checks names and snapshot numbering, not types: run the verifier next.
pub fn parse(src: &str) -> Result<Trace, ParseError> {
    parse::parse(src)
}

/// The canonical text of a trace. Never fails, even on traces the verifier rejects.
pub fn print(trace: &Trace) -> String {
    Printer::new(trace).trace()
}
