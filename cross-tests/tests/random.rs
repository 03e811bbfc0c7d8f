//! Seeded random traces (trace_ir::gen) on every engine. `CROSS_TESTS_SEED` sets the first
//! seed and `CROSS_TESTS_N` the count; a failure prints the seed and the trace, so that
//! `CROSS_TESTS_SEED=<seed> CROSS_TESTS_N=1` replays it and it can be saved as a case.

use cross_tests::harness::differential;
use trace_ir::gen::{helper_symbols, random_case, GenConfig};

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// A mix of shapes: most seeds get everything, some stay small or leave out a feature, so
/// that a failure is easier to read.
fn config(seed: u64) -> GenConfig {
    let mut c = GenConfig::with_ops(10 + (seed % 7) as usize * 15);
    match seed % 5 {
        0 => c.loops = false,
        1 => c.memory = false,
        2 => c.calls = false,
        _ => {}
    }
    c
}

#[test]
fn random_traces_agree_on_every_engine() {
    let first = env_u64("CROSS_TESTS_SEED", 0x7ace_0000);
    let n = env_u64("CROSS_TESTS_N", 300);
    let symbols = helper_symbols();
    let mut engines = cross_tests::engines();
    let mut failures = Vec::new();
    for seed in first..first + n {
        let case = random_case(seed, &config(seed));
        // Buffer and function addresses in their slots, as the generator documents.
        let (slots, mut buffers) = case.setup();
        let traces = [case.trace.clone()];
        if let Err(e) = differential(&mut engines, &traces, &symbols, &slots, &mut buffers) {
            failures.push(format!(
                "--- seed {seed} (replay: CROSS_TESTS_SEED={seed} CROSS_TESTS_N=1)\n{e}\n{}",
                trace_ir::text::print(&case.trace)
            ));
            if failures.len() >= 3 {
                break;
            }
        }
    }
    assert!(failures.is_empty(), "random traces disagree:\n{}", failures.join("\n"));
}
