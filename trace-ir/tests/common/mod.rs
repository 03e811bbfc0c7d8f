//! Helpers shared by trace-ir's integration tests: the documented example trace and
//! parse-or-panic helpers whose panics show the error beside the text.
#![allow(dead_code)]

use trace_ir::text::parse;
use trace_ir::verify::verify;
use trace_ir::Trace;

/// `sum_to_n` from the IR text format description, in canonical form.
pub const SUM_TO_N: &str = "trace sum_to_n
%n = input 0 : i64
%zero = const 0 : i64
%one = const 1 : i64
loop (%i = %zero, %acc = %zero)
  %c = icmp.slt %i, %n
  snap0 @resume(7) { 0: %i, 1: %acc }
  guard %c, snap0
  %acc1 = add %acc, %i
  %i1 = add.ovf %i, %one, snap0
  jump (%i1, %acc1)
";

/// Parses `src`, which must parse.
pub fn parsed(src: &str) -> Trace {
    parse(src).unwrap_or_else(|e| panic!("{e}\n{src}"))
}

/// Parses and verifies `src`, which must be a valid trace.
pub fn valid(src: &str) -> Trace {
    let t = parsed(src);
    verify(&t).unwrap_or_else(|e| panic!("{e}\n{src}"));
    t
}
