//! Any text: the parser never panics, and what it accepts prints to text that parses back
//! to the same print. The verifier must not panic on it either.
#![no_main]

use libfuzzer_sys::fuzz_target;
use trace_ir::text::{parse, print};
use trace_ir::verify::verify;

fuzz_target!(|data: &[u8]| {
    let Ok(src) = std::str::from_utf8(data) else { return };
    let Ok(t) = parse(src) else { return };
    let p = print(&t);
    let back = parse(&p).unwrap_or_else(|e| panic!("printed text does not parse: {e}\n{p}"));
    assert_eq!(print(&back), p);
    assert_eq!(verify(&t).is_ok(), verify(&back).is_ok());
});
