//! The interpreter on mangled traces: whatever the damage, a result or a typed error, never a
//! panic. Traces the verifier still accepts after the damage also go through every optimizer
//! pass, which must keep them verifier-clean.

use trace_ir::gen::{helper_symbols, random_case, GenConfig, Rng};
use trace_ir::interp::{run, Env, InterpError};
use trace_ir::*;

fn some_value(rng: &mut Rng, n: usize) -> Value {
    Value(rng.below(n + 3) as u32)
}

/// Breaks the trace in one of many small ways.
fn mangle(t: &mut Trace, rng: &mut Rng) {
    let n = t.insts.len();
    let nsnaps = t.snaps.len();
    match rng.below(9) {
        0 => {
            let i = rng.below(n);
            t.insts[i].op.map_operands(|v| if rng.chance(1, 2) { some_value(rng, n) } else { v });
        }
        1 => {
            let i = rng.below(n);
            t.insts[i].ty = if rng.chance(1, 4) { None } else { Some(rng.pick(&Type::ALL)) };
        }
        2 => {
            let i = rng.below(n);
            if let Op::Guard { snap, .. } | Op::Ovf(_, _, _, snap) = &mut t.insts[i].op {
                *snap = SnapId(rng.below(nsnaps + 2) as u32);
            }
        }
        3 => t.loop_start = if rng.chance(1, 3) { None } else { Some(rng.below(n + 2)) },
        4 => {
            let k = rng.below(t.snaps.len().max(1));
            if let Some(s) = t.snaps.get_mut(k) {
                s.entries.push((rng.below(40) as u32, some_value(rng, n)));
            }
        }
        5 => {
            let i = rng.below(n);
            let j = rng.below(n);
            t.insts.swap(i, j);
        }
        6 => t.loop_inits.push(some_value(rng, n)),
        7 => {
            let i = rng.below(n);
            t.insts[i].op = match rng.below(4) {
                0 => Op::Nop,
                1 => Op::LoopParam { index: rng.below(4) as u32 },
                2 => Op::Input { slot: rng.below(64) as u32 },
                _ => Op::Const { bits: rng.next_u64() },
            };
        }
        _ => {
            t.term = match rng.below(3) {
                0 => Terminator::Jump(vec![some_value(rng, n); rng.below(4)]),
                1 => Terminator::Exit(SnapId(rng.below(t.snaps.len() + 1) as u32)),
                _ => Terminator::Link { trace: rng.below(3) as u32, snap: SnapId(0) },
            };
        }
    }
}

#[test]
fn mangled_traces_give_results_or_typed_errors() {
    let syms = helper_symbols();
    let n: u64 = std::env::var("TRACERY_FUZZ_SEEDS").ok().and_then(|s| s.parse().ok()).unwrap_or(300);
    let mut verified_after_damage = 0;
    for seed in 0..n {
        let case = random_case(seed, &GenConfig::with_ops(30));
        let mut rng = Rng::new(seed ^ 0xf022);
        let mut t = case.trace.clone();
        for _ in 0..1 + rng.below(3) {
            mangle(&mut t, &mut rng);
        }
        let (mut slots, mut mem) = case.setup();
        let regions = mem.regions();
        let env = Env::new(&syms).with_memory(&regions).with_step_limit(10_000);
        let result = run(&t, &mut slots, &env);
        if verify::verify(&t).is_ok() {
            // The oracle accepts whatever the verifier accepts.
            if let Err(InterpError::Malformed(m)) = &result {
                panic!(
                    "seed {seed}: verified but the interpreter calls it malformed: {m}\n{}",
                    text::print(&t)
                );
            }
            verified_after_damage += 1;
            let mut o = t.clone();
            opt::optimize(&mut o);
            if let Err(e) = verify::verify(&o) {
                panic!("seed {seed}: optimize broke a verified trace: {e}\n{}", text::print(&t));
            }
        }
    }
    eprintln!("{verified_after_damage} of {n} damaged traces still verified");
    assert!(verified_after_damage > 0, "no damaged trace verified; the pass half of the test did nothing");
}
