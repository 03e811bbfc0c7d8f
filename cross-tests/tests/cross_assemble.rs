//! Code generation for both targets on any host: every corpus trace is optimized, allocated
//! for each backend's register file, checked by the allocation checker and assembled. On an
//! x86-64 host this is how AArch64 code generation is tested without running it (and the
//! reverse under qemu).

use std::path::PathBuf;

use cross_tests::case::parse_case;
use trace_ir::backend::Backend;
use trace_ir::regalloc;

fn assemble_corpus(backend: &dyn Backend) -> usize {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("cases");
    let symbols = cross_tests::helpers::corpus_symbols();
    let mut n = 0;
    let mut failures = Vec::new();
    let mut files: Vec<PathBuf> =
        std::fs::read_dir(&dir).unwrap().filter_map(|e| e.ok().map(|e| e.path())).collect();
    files.sort();
    for f in files.iter().filter(|p| p.extension().is_some_and(|x| x == "tir")) {
        let name = f.file_name().unwrap().to_string_lossy().to_string();
        let case = match parse_case(&name, &std::fs::read_to_string(f).unwrap()) {
            Ok(c) => c,
            Err(e) => {
                failures.push(e);
                continue;
            }
        };
        for (i, t) in case.traces.iter().enumerate() {
            for optimize in [false, true] {
                let mut t = t.clone();
                if optimize {
                    trace_ir::opt::optimize(&mut t);
                }
                let r = regalloc::allocate(&t, backend.regfile())
                    .map_err(|e| e.to_string())
                    .and_then(|a| regalloc::check(&t, &a, backend.regfile()).map(|_| a))
                    .and_then(|a| backend.assemble(&t, &a, &symbols).map_err(|e| e.to_string()));
                match r {
                    Ok(code) if !code.code.is_empty() => n += 1,
                    Ok(_) => failures.push(format!("{name} trace {i}: empty code")),
                    Err(e) => failures.push(format!("{name} trace {i} (opt {optimize}): {e}")),
                }
            }
        }
    }
    assert!(failures.is_empty(), "{} for {}:\n{}", failures.len(), backend.triple(), failures.join("\n"));
    n
}

#[test]
fn every_case_assembles_for_aarch64() {
    let b = backend_aarch64::A64::new();
    assert!(assemble_corpus(&b) >= 80);
}

#[test]
fn every_case_assembles_for_x86_64() {
    let b = backend_x64::X64::new();
    assert!(assemble_corpus(&b) >= 80);
}
