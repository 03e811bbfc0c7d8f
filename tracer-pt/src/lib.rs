//! Intel Processor Trace: the perf `intel_pt` collector, the packet decoder and the flow
//! reconstruction that turns packets plus a `CodeImage` into a `trace_ir::path::Path`. It
//! knows no backend.
//!
//! Layers, each usable alone:
//! - `collector`: `probe()` says whether PT self-tracing works here (and if not, what is
//!   missing); `Collector::open(&cfg)?.trace(|| run())` returns the raw trace bytes.
//! - `packet`: bytes to packets (`Packets`), with ptdump's listing (`write_listing`).
//! - `flow`: packets over a `CodeImage` to instructions and events (`FlowDecoder` into a
//!   `Sink`); `decode_path` gives the path vocabulary, `listing::Ptxed` ptxed's listing.
//! - `image`: code images from ELF files, raw files and this process's memory.

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
