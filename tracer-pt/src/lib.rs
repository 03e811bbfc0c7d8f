//! Intel Processor Trace: the perf `intel_pt` collector, the packet decoder and the flow
//! reconstruction that turns packets plus a `CodeImage` into a `trace_ir::path::Path`. It
//! knows no backend.

pub mod block;
pub mod collector;
pub mod cpu;
pub mod flow;
pub mod image;
pub mod listing;
pub mod packet;
pub mod path;
pub mod perf_sys;

pub use collector::{probe, Collector, CollectorConfig, OpenError, PtInfo};
pub use flow::{Config, Event, Filter, FlowDecoder, Sink};

use trace_ir::path::{CodeImage, Path};

/// Decodes a whole trace over `image` into the path vocabulary.
pub fn decode_path(trace: &[u8], image: &CodeImage, cfg: Config) -> Path {
    let mut b = path::PathBuilder::new();
    FlowDecoder::new(trace, image, cfg).run(&mut b);
    b.finish()
}
