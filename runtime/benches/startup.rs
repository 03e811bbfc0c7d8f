//! Start-up: the time to compile the whole toyvm fragment program (examples/toyvm) into a
//! native interpreter with the host backend, in µs: verify, lower every fragment into its
//! plain and recording copies plus the dispatchers, allocate registers, emit, install in W^X
//! memory and link (dispatch tables and direct links patched). `NativeInterp::install`, the
//! call a runtime makes once at start-up.
//!
//! Measured, each over `STARTUP_REPS` runs (default 101, after one warm-up), median and max:
//! - `fresh`: into a new `Jit`, so the first install also reserves its code region (mmap);
//! - `warm`: into a `Jit` whose region already exists (a trivial trace installed first), so
//!   only the program's own compilation counts;
//! - `plain only`: as `warm`, without the recording copies;
//! - `lower`: the target-neutral lowering alone (no allocation, no code).
//!
//! `cargo bench -p tracery-runtime --bench startup`

use std::hint::black_box;
use std::time::Instant;

use trace_ir::fragment::native::{lower, NativeInterp};

fn stats(mut v: Vec<f64>) -> (f64, f64) {
    v.sort_by(|a, b| a.total_cmp(b));
    (v[v.len() / 2], v[v.len() - 1])
}

fn main() {
    let reps: usize = std::env::var("STARTUP_REPS").ok().and_then(|v| v.parse().ok()).unwrap_or(101);
    let p = tracery_toyvm::program::program();
    let syms = tracery_toyvm::symbols();
    let Some(probe) = tracery_runtime::host_jit() else {
        println!("startup: no host backend on {}", std::env::consts::ARCH);
        return;
    };
    drop(probe);
    let trivial = trace_ir::text::parse("trace t\nsnap0 @resume(0) { }\nexit snap0\n").unwrap();
    let time = |warm: bool, plain: bool| -> Vec<f64> {
        (0..reps + 1)
            .map(|_| {
                let mut jit = tracery_runtime::host_jit().expect("a host backend");
                if warm {
                    jit.install(&trivial, &syms).unwrap();
                }
                let t = Instant::now();
                let ni = if plain {
                    NativeInterp::install_plain(&mut *jit, &p, &syms)
                } else {
                    NativeInterp::install(&mut *jit, &p, &syms)
                };
                let e = t.elapsed().as_nanos() as f64 / 1e3;
                black_box(ni.unwrap());
                e
            })
            .skip(1)
            .collect()
    };
    let lowering: Vec<f64> = (0..reps + 1)
        .map(|_| {
            let t = Instant::now();
            black_box(lower(black_box(&p), 0, false));
            t.elapsed().as_nanos() as f64 / 1e3
        })
        .skip(1)
        .collect();
    let mut jit = tracery_runtime::host_jit().expect("a host backend");
    let ni = NativeInterp::install(&mut *jit, &p, &syms).unwrap();
    let bytes = jit.code_bytes().map_or(0, |(_, b)| b.len());
    println!(
        "start-up of toyvm on {} ({} fragments -> {} traces, {} bytes of code, both copies), {reps} runs:",
        std::env::consts::ARCH,
        p.fragments.len(),
        ni.lowered.traces.len(),
        bytes
    );
    for (what, v) in [
        ("fresh Jit, both copies", time(false, false)),
        ("warm Jit, both copies", time(true, false)),
        ("warm Jit, plain only", time(true, true)),
        ("lowering only", lowering),
    ] {
        let (med, max) = stats(v);
        println!("  {what:<24} median {med:>8.0} µs   max {max:>8.0} µs");
    }
}
