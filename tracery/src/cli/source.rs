//! Reading, parsing and verifying a `.tir` file, with errors that name the file and line.

use trace_ir::Trace;

/// The trace in `path`, verified; or the message to print.
pub fn load(path: &str) -> Result<Trace, String> {
    let src = std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))?;
    let trace = trace_ir::text::parse(&src).map_err(|e| format!("{path}:{e}"))?;
    trace_ir::verify::verify(&trace).map_err(|e| format!("{path}: {e}"))?;
    Ok(trace)
}
