//! Formatter frames: any bytes, both frame modes, must unpack without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tracer_etm::deformat::{deformat, FrameEvent, FrameMode};

fuzz_target!(|data: &[u8]| {
    for mode in [FrameMode::MemAligned, FrameMode::Tpiu] {
        let mut n = 0usize;
        deformat(data, mode, &mut |e| {
            if let FrameEvent::Data { index, .. } = e {
                assert!((index as usize) < data.len() + 16);
            }
            n += 1;
        });
        assert!(n <= data.len() + 1);
    }
});
