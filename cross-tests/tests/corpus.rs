//! Every corpus case on every engine of this machine: the reference interpreter, the
//! optimized trace and the host backend, each checked against the case's stated result.

use std::path::PathBuf;

use cross_tests::case::parse_case;
use cross_tests::harness::run_case;
use cross_tests::helpers::corpus_symbols;

fn case_files() -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("cases");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "tir"))
        .collect();
    files.sort();
    files
}

#[test]
fn every_case_agrees_on_every_engine() {
    let files = case_files();
    assert!(files.len() >= 40, "expected at least 40 cases, found {}", files.len());
    let symbols = corpus_symbols();
    let mut engines = cross_tests::engines();
    let names: Vec<String> = engines.iter().map(|e| e.name()).collect();
    let mut failures = Vec::new();
    for f in &files {
        let name = f.file_name().unwrap().to_string_lossy().to_string();
        let src = std::fs::read_to_string(f).unwrap();
        let r = parse_case(&name, &src).and_then(|c| run_case(&mut engines, &c, &symbols));
        if let Err(e) = r {
            failures.push(format!("--- {name}\n{e}"));
        }
    }
    eprintln!("{} cases on engines {names:?}", files.len());
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
}

#[test]
fn the_host_backend_is_among_the_engines() {
    let names: Vec<String> = cross_tests::engines().iter().map(|e| e.name()).collect();
    if cfg!(any(target_arch = "x86_64", target_arch = "aarch64")) {
        assert!(names.len() >= 4, "no native engine in {names:?}");
    }
    assert_eq!(names[0], "reference");
}

#[test]
fn a_wrong_expectation_is_caught() {
    // The harness itself must fail a case whose header is wrong.
    let src = "; slots: 0=5\n; expect exit: snap0\n; expect slots: 1=6\n%x = input 0 : i64\n\
               %one = const 1 : i64\n%y = add %x, %one\nsnap0 @resume(0) { 1: %y }\nexit snap0\n";
    let good = parse_case("good", src).unwrap();
    let mut engines = cross_tests::engines();
    run_case(&mut engines, &good, &corpus_symbols()).unwrap();
    let bad = parse_case("bad", &src.replace("1=6", "1=7")).unwrap();
    let err = run_case(&mut engines, &bad, &corpus_symbols()).unwrap_err();
    assert!(err.contains("slot 1"), "{err}");
}
