//! Tracery's facade: the host backend and tracer chosen at build time, re-exported for
//! embedders, and the library behind the `tracery` command.

pub use trace_ir;
