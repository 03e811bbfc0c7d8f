//! Any bytes as a trace over a fixed code image (a loop with a conditional branch, a call,
//! an indirect jump and a return): flow reconstruction must not panic or hang.
#![no_main]

use libfuzzer_sys::fuzz_target;
use trace_ir::path::CodeImage;
use tracer_pt::flow::{Config, FlowDecoder};
use tracer_pt::listing::Counter;

const CODE: &[u8] = &[
    0x48, 0x31, 0xc0, // xor rax, rax
    0x48, 0xff, 0xc0, // inc rax          <- loop
    0xe8, 0x05, 0x00, 0x00, 0x00, // call +5
    0x48, 0x39, 0xc8, // cmp rax, rcx
    0x75, 0xf3, // jne loop
    0xff, 0xe2, // jmp rdx
    0xc3, // ret
];

fuzz_target!(|data: &[u8]| {
    let mut img = CodeImage::new();
    img.add(0x40_0000, CODE.to_vec(), "code");
    let mut sink = Counter::default();
    FlowDecoder::new(data, &img, Config::default()).run(&mut sink);
});
