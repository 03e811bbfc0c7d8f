//! The text format: what dumps show, what errors quote and what tests are written in.
//! `print(&parse(s)?) == s` for canonical text.
//!
//! Canonical layout: an optional `trace NAME`, the inputs, the constants, then the body in
//! vector order; the `loop (...)` line sits at `loop_start` and every line after it is indented
//! by two spaces; each snapshot is printed right before its first user (snapshots without a
//! user come before the terminator). Values print as `%name` when named, else `%<index>`.
//!
//! The parser keeps every name it reads (`%7` too), so printing a parsed trace gives back
//! the same names even after the values have moved. Constants are interned: a second `const`
//! line with the same type and bits names the same value.

mod lex;
mod parse;
mod print;

pub use print::Printer;

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
