//! The whole raw-source pipeline over a small code image: packets plus flow reconstruction.
#![no_main]

use libfuzzer_sys::fuzz_target;
use trace_ir::path::CodeImage;
use tracer_etm::{decode_raw, EtmConfig};

fuzz_target!(|data: &[u8]| {
    let mut img = CodeImage::new();
    // nop; b.ne +8; bl +16; ret; eret; isb; b -16
    let words: [u32; 8] =
        [0xd503201f, 0x54000041, 0x94000004, 0xd65f03c0, 0xd69f03e0, 0xd5033fdf, 0x17fffffc, 0xd503201f];
    img.add(0x1000, words.iter().flat_map(|w| w.to_le_bytes()).collect(), "fuzz");
    for cfg in [EtmConfig::etm4_default(0x10), EtmConfig::ete_default(1)] {
        let _ = decode_raw(&cfg, data, &img);
    }
});
