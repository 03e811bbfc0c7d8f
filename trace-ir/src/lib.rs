//! The shared trace IR of Tracery, and everything about a trace that does not depend on the
//! target machine: its types and text format, the verifier, the reference interpreter that is
//! the oracle of every test, the optimizer, the register allocator driven by a backend's
//! register-file description, the exit-state layout with the deopt restore, and the path
//! vocabulary the tracers produce. It knows no architecture and no tracer; backends and
//! tracers depend on it, never the other way round.

pub mod backend;
pub mod blockmap;
pub mod builder;
pub mod exit;
pub mod fragment;
pub mod gen;
pub mod interp;
pub mod ir;
pub mod opt;
pub mod oracle;
pub mod path;
pub mod recording;
pub mod regalloc;
pub mod symbols;
pub mod text;
pub mod types;
pub mod verify;

pub use builder::Builder;
pub use ir::*;
pub use symbols::Symbols;
pub use types::Type;
