//! Any bytes through the packet decoder and its ptdump listing: no panic, and every item's
//! offset moves forward.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tracer_pt::packet::{Packets, Ptdump};

fuzz_target!(|data: &[u8]| {
    let mut last = None;
    for item in Packets::new(data) {
        let off = match item {
            Ok((off, pkt)) => {
                let _ = Ptdump(&pkt).to_string();
                off
            }
            Err(e) => e.offset,
        };
        assert!(last.map_or(true, |l| off > l), "offsets must increase");
        last = Some(off);
    }
});
