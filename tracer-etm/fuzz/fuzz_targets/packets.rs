//! ETMv4 and ETE packet decoding of arbitrary bytes: no panic, every byte accounted for.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tracer_etm::packet::PacketDecoder;
use tracer_etm::EtmConfig;

fuzz_target!(|data: &[u8]| {
    for cfg in [EtmConfig::etm4_default(0x10), EtmConfig::ete_default(1)] {
        let mut d = PacketDecoder::new(&cfg);
        let mut bytes = 0usize;
        let mut sink = |_: &tracer_etm::packet::Packet, raw: &[u8]| bytes += raw.len();
        d.push_slice(data, 0, &mut sink);
        d.finish(&mut sink);
        assert_eq!(bytes, data.len());
    }
});
