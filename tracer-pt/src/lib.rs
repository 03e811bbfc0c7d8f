//! Intel Processor Trace: the perf `intel_pt` collector, the packet decoder and the flow
//! reconstruction that turns packets plus a `CodeImage` into a `trace_ir::path::Path`. It
//! knows no backend.
