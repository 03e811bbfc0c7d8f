//! Seeded random traces (trace_ir::gen) on every engine. The first seed comes from the
//! commit under test (a hash of `git rev-parse HEAD`, see build.rs; the time when there is
//! no git), so every commit covers new ground; `CROSS_TESTS_SEED` sets it and
//! `CROSS_TESTS_N` the count (2,000 by default). The base and its replay command are printed
//! on every run; a failure prints the seed and the trace, so that
//! `CROSS_TESTS_SEED=<seed> CROSS_TESTS_N=1` replays it and it can be saved as a case.
//! Seeds that once found a bug run every time as well.

use std::io::Write;

use cross_tests::harness::differential;
use trace_ir::gen::{helper_symbols, random_case, GenConfig};

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

/// Seeds that found bugs: the AArch64 post-index miscompile (issue 9) and a NaN payload
/// that differed between a helper and its model.
const REGRESSIONS: &[u64] = &[3_000_490, 1_035_179];

/// FNV-1a, then splitmix's finalizer: the same base for the same commit on every machine.
fn hash(s: &str) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325u64;
    for b in s.bytes() {
        h = (h ^ b as u64).wrapping_mul(0x0100_0000_01b3);
    }
    h = (h ^ (h >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h = (h ^ (h >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^ (h >> 31)
}

/// The first seed and where it came from.
fn seed_base() -> (u64, String) {
    if let Some(s) = env_u64("CROSS_TESTS_SEED") {
        return (s, "CROSS_TESTS_SEED".into());
    }
    // Below 2^40, so that seed + count never wraps and stays short to type.
    let commit = env!("CROSS_TESTS_COMMIT");
    if !commit.is_empty() {
        return (hash(commit) >> 24, format!("commit {commit}"));
    }
    let now =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    (hash(&now.to_string()) >> 24, "the time (no git commit at build time)".into())
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
    let (mut first, source) = seed_base();
    let n = env_u64("CROSS_TESTS_N").unwrap_or(2000);
    // qemu/test.sh runs the suite twice under qemu; the `-cpu max` run takes the next window.
    if env_u64("CROSS_TESTS_SEED").is_none() && std::env::var("QEMU_CPU").is_ok_and(|c| c == "max") {
        first += n;
    }
    // Straight to stderr, past the test harness's capture, so that every CI log has it.
    let _ = writeln!(
        std::io::stderr(),
        "random traces: seeds {first}..{} from {source}; replay: CROSS_TESTS_SEED={first} CROSS_TESTS_N={n}",
        first + n
    );
    let symbols = helper_symbols();
    let mut engines = cross_tests::engines();
    let mut failures = Vec::new();
    let regressions = if env_u64("CROSS_TESTS_SEED").is_some() { &[][..] } else { REGRESSIONS };
    for seed in (first..first + n).chain(regressions.iter().copied()) {
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
    assert!(
        failures.is_empty(),
        "random traces disagree (seeds {first}..{} from {source}):\n{}",
        first + n,
        failures.join("\n")
    );
}
