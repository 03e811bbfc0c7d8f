//! CoreSight ETMv4/ETE: the perf `cs_etm` collector, the frame deformatter, the packet decoder
//! and the flow reconstruction that turns packets plus a `CodeImage` into a
//! `trace_ir::path::Path`. It knows no backend.
//!
//! Layers, each usable alone: [`deformat`] (formatter frames to per-ID bytes), [`packet`]
//! (bytes to packets), [`flow`] (packets to elements over a [`blocks::BlockCache`]).
//! [`snapshot`] reads CoreSight snapshot directories, [`decoder`] runs the whole pipeline and
//! prints the compare form, [`collector`] self-traces through perf and [`probe`] tells
//! `tracery doctor` what is missing.

pub mod blocks;
pub mod collector;
pub mod config;
pub mod decoder;
pub mod deformat;
pub mod element;
pub mod flow;
pub mod ini;
pub mod insn;
pub mod packet;
pub mod snapshot;

pub use collector::{probe, Collector, EtmInfo, OpenError};
pub use config::EtmConfig;
pub use decoder::{
    compare_form, decode_raw, decode_snapshot, to_path, write_compare_form, DecodeOptions, DecodeStats,
};
pub use element::{Element, ElementKind};
pub use snapshot::Snapshot;
