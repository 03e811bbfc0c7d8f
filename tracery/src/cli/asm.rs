//! `tracery asm FILE.tir [--target TRIPLE] [--no-opt]`: the listing of a trace, IR lines
//! interleaved with disassembly, for the host or any supported target (a cross compiler). For
//! a fragment program, every fragment's plain and recording copies.

use std::str::FromStr;

use target_lexicon::Triple;

use super::source;

pub fn main(args: &[String]) -> i32 {
    let mut file = None;
    let mut triple = tracery::host_triple();
    let mut optimize = true;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--target" => match it.next().map(|t| Triple::from_str(t)) {
                Some(Ok(t)) => triple = t,
                Some(Err(e)) => return super::usage(&format!("bad --target: {e}")),
                None => return super::usage("--target needs a triple such as aarch64-unknown-linux-gnu"),
            },
            "--no-opt" => optimize = false,
            s if s.starts_with("--") => return super::usage(&format!("unknown option `{s}`")),
            s if file.is_none() => file = Some(s.to_string()),
            s => return super::usage(&format!("unexpected argument `{s}`")),
        }
    }
    let Some(file) = file else { return super::usage("asm needs a FILE.tir") };
    match listing(&file, &triple, optimize) {
        Ok(text) => {
            print!("{text}");
            0
        }
        Err(e) => {
            eprintln!("tracery: {e}");
            1
        }
    }
}

fn listing(file: &str, triple: &Triple, optimize: bool) -> Result<String, String> {
    let mut trace = match source::load_any(file)? {
        source::Source::Trace(t) => t,
        source::Source::Program(p) => {
            let backend = tracery::backend_for(triple)?;
            let text = super::program::listing(&p, &*backend)?;
            return Ok(format!("; {file} for {triple}\n{text}"));
        }
    };
    if optimize {
        trace_ir::opt::optimize(&mut trace);
    }
    let backend = tracery::backend_for(triple)?;
    let alloc = trace_ir::regalloc::allocate(&trace, backend.regfile()).map_err(|e| e.to_string())?;
    let symbols = trace_ir::Symbols::new();
    let text = backend.listing(&trace, &alloc, &symbols).map_err(|e| e.to_string())?;
    Ok(format!("; {file} for {triple}\n{text}"))
}
