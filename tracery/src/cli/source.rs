//! Reading, parsing and verifying a `.tir` file, with errors that name the file and line. A
//! file holds either a trace or a fragment program (its first line is `program NAME`).

use trace_ir::fragment::Program;
use trace_ir::Trace;

/// What a `.tir` file holds.
pub enum Source {
    Trace(Trace),
    Program(Program),
}

fn read(path: &str) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))
}

/// True when the first line that is not blank or a comment starts with `program`.
fn is_program(src: &str) -> bool {
    let first = src.lines().map(|l| l.split(';').next().unwrap_or("").trim()).find(|l| !l.is_empty());
    first.is_some_and(|l| l.split_whitespace().next() == Some("program"))
}

/// The trace or program in `path`, verified.
pub fn load_any(path: &str) -> Result<Source, String> {
    let src = read(path)?;
    if is_program(&src) {
        let p = trace_ir::text::parse_program(&src).map_err(|e| format!("{path}:{e}"))?;
        trace_ir::fragment::verify::verify(&p).map_err(|e| format!("{path}: {e}"))?;
        return Ok(Source::Program(p));
    }
    let trace = trace_ir::text::parse(&src).map_err(|e| format!("{path}:{e}"))?;
    trace_ir::verify::verify(&trace).map_err(|e| format!("{path}: {e}"))?;
    Ok(Source::Trace(trace))
}
