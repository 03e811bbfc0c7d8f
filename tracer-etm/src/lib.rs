//! CoreSight ETMv4/ETE: the perf `cs_etm` collector, the frame deformatter, the packet decoder
//! and the flow reconstruction that turns packets plus a `CodeImage` into a
//! `trace_ir::path::Path`. It knows no backend.
