//! Seeded random cases from `trace_ir::gen` against the reference interpreter
//! (`trace_ir::interp::run`), each installed under several allocations: the shared
//! allocator, everything spilled, and a three-register linear scan. Exit, slots and memory
//! must agree.
#![cfg(target_arch = "x86_64")]

mod common;

use backend_x64::X64;
use common::*;
use trace_ir::gen::{helper_symbols, random_case, GenConfig};
use trace_ir::interp::{self, Env};

#[test]
fn generated_cases_agree_with_the_reference_interpreter() {
    let symbols = helper_symbols();
    let mut jit = X64::new();
    let (mut compared, mut skipped) = (0, 0);
    for seed in 0..500u64 {
        let mut cfg = GenConfig::with_ops(10 + (seed % 6) as usize * 12);
        cfg.loops = seed % 3 != 0;
        let case = random_case(0x5eed_0000 + seed, &cfg);
        let (slots0, mut mem) = case.setup();
        let mut want_slots = slots0.clone();
        let regions = mem.regions();
        let env = Env::new(&symbols).with_memory(&regions).with_step_limit(case.step_limit);
        let want = match interp::run(&case.trace, &mut want_slots, &env) {
            Ok(e) => e,
            Err(_) => {
                skipped += 1;
                continue;
            }
        };
        let want_mem = mem.contents();
        for mode in [Mode::Shared, Mode::Spill, Mode::Scan3] {
            mem.reset();
            let id = install(&mut jit, &case.trace, mode, &symbols);
            let mut slots = slots0.clone();
            let e = jit.run_checked(id, &mut slots).unwrap();
            let what = || format!("seed {seed} {mode:?}\n{}", trace_ir::text::print(&case.trace));
            assert_eq!((e.snap, e.resume), (want.snap, want.resume), "exit; {}", what());
            assert_eq!(slots, want_slots, "slots; {}", what());
            assert_eq!(mem.contents(), want_mem, "memory; {}", what());
            compared += 1;
        }
    }
    eprintln!("{compared} runs compared, {skipped} cases the reference rejected");
    assert!(compared >= 1200, "{compared}");
}
