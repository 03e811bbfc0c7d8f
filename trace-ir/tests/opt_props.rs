//! Every pass alone, and the whole pipeline, on seeded random traces: the reference
//! interpreter must see the same exit, the same slots and the same memory before and after.
//! `TRACERY_OPT_SEEDS=N` runs N seeds (default 200); a failure prints the seed and both
//! traces.

use trace_ir::gen::{helper_symbols, random_case, GenCase, GenConfig};
use trace_ir::interp::{run, Env, Exit, InterpError};
use trace_ir::*;

fn seeds() -> u64 {
    std::env::var("TRACERY_OPT_SEEDS").ok().and_then(|s| s.parse().ok()).unwrap_or(200)
}

type Pass = (&'static str, fn(&mut Trace));

const PASSES: [Pass; 6] = [
    ("fold", opt::fold),
    ("cse", opt::cse),
    ("dce", opt::dce),
    ("guards", opt::guards),
    ("forward", opt::forward),
    ("optimize", opt::optimize),
];

fn configs() -> Vec<GenConfig> {
    vec![
        GenConfig::default(),
        GenConfig { loops: false, ..GenConfig::with_ops(60) },
        GenConfig { floats: false, calls: false, ..GenConfig::with_ops(80) },
        GenConfig { max_iters: 3, ..GenConfig::with_ops(120) },
        GenConfig { max_iters: 4, ..GenConfig::with_ops(400) },
    ]
}

struct Outcome {
    exit: Result<Exit, InterpError>,
    slots: Vec<u64>,
    memory: Vec<Vec<u8>>,
}

fn run_on(case: &GenCase, t: &Trace, slots0: &[u64], mem: &mut trace_ir::gen::Buffers) -> Outcome {
    let syms = helper_symbols();
    mem.reset();
    let regions = mem.regions();
    let env = Env::new(&syms).with_memory(&regions).with_step_limit(case.step_limit);
    let mut slots = slots0.to_vec();
    let exit = run(t, &mut slots, &env);
    Outcome { exit, slots, memory: mem.contents() }
}

fn dump(t: &Trace) -> String {
    let s = text::print(t);
    if s.is_empty() {
        format!("{t:#?}")
    } else {
        s
    }
}

/// Why two outcomes differ, if they do. Slots the exit snapshot writes with an f64 compare
/// equal when both are NaN.
fn differ(before: &Outcome, after: &Outcome, t: &Trace) -> Option<String> {
    let (eb, ea) = match (&before.exit, &after.exit) {
        (Ok(b), Ok(a)) => (b, a),
        (b, a) => return Some(format!("exit {b:?} became {a:?}")),
    };
    if eb != ea {
        return Some(format!("exit {eb:?} became {ea:?}"));
    }
    let floats: Vec<u32> = t.snaps[eb.snap.index()]
        .entries
        .iter()
        .filter(|(_, v)| t.ty(*v) == Some(Type::F64))
        .map(|(s, _)| *s)
        .collect();
    for (k, (&b, &a)) in before.slots.iter().zip(&after.slots).enumerate() {
        let both_nan = f64::from_bits(b).is_nan() && f64::from_bits(a).is_nan();
        if b != a && !(both_nan && floats.contains(&(k as u32))) {
            return Some(format!("slot {k}: {b:#x} became {a:#x}"));
        }
    }
    if before.memory != after.memory {
        return Some(format!("memory {:?}\nbecame {:?}", before.memory, after.memory));
    }
    None
}

#[test]
fn every_pass_preserves_behaviour_on_random_traces() {
    let configs = configs();
    let mut sizes = [(0usize, 0usize); PASSES.len()];
    for seed in 0..seeds() {
        let cfg = &configs[seed as usize % configs.len()];
        let case = random_case(seed, cfg);
        let (slots0, mut mem) = case.setup();
        let before = run_on(&case, &case.trace, &slots0, &mut mem);
        assert!(
            before.exit.is_ok(),
            "seed {seed}: generated trace fails: {:?}\n{}",
            before.exit,
            dump(&case.trace)
        );
        for (k, (name, pass)) in PASSES.iter().enumerate() {
            let mut t = case.trace.clone();
            pass(&mut t);
            if let Err(e) = verify::verify(&t) {
                panic!(
                    "seed {seed}, {name}: verifier: {e}\nbefore:\n{}\nafter:\n{}",
                    dump(&case.trace),
                    dump(&t)
                );
            }
            let printed = text::print(&t);
            match text::parse(&printed) {
                Ok(back) if text::print(&back) == printed => {}
                other => {
                    panic!("seed {seed}, {name}: the output does not read back: {:?}\n{printed}", other.err())
                }
            }
            let after = run_on(&case, &t, &slots0, &mut mem);
            if let Some(why) = differ(&before, &after, &case.trace) {
                panic!("seed {seed}, {name}: {why}\nbefore:\n{}\nafter:\n{}", dump(&case.trace), dump(&t));
            }
            sizes[k].0 += case.trace.insts.len();
            sizes[k].1 += t.insts.len();
        }
    }
    // The passes do something: each shrinks the random traces overall.
    for (k, (name, _)) in PASSES.iter().enumerate() {
        assert!(sizes[k].1 < sizes[k].0, "{name} removed nothing: {:?}", sizes[k]);
    }
}

#[test]
fn optimize_reaches_a_fixed_point_that_stays_correct() {
    let cfg = GenConfig::default();
    for seed in 0..seeds() / 4 {
        let case = random_case(seed + 10_000, &cfg);
        let mut once = case.trace.clone();
        opt::optimize(&mut once);
        let mut twice = once.clone();
        opt::optimize(&mut twice);
        let (slots0, mut mem) = case.setup();
        let before = run_on(&case, &case.trace, &slots0, &mut mem);
        let after = run_on(&case, &twice, &slots0, &mut mem);
        if let Some(why) = differ(&before, &after, &case.trace) {
            panic!("seed {}: {why}\nbefore:\n{}\nafter:\n{}", seed + 10_000, dump(&case.trace), dump(&twice));
        }
        assert!(twice.insts.len() <= once.insts.len());
    }
}

/// The size of a trace's loop body (0 without a loop).
fn loop_body(t: &Trace) -> usize {
    t.loop_start.map_or(0, |s| t.insts[s..].iter().filter(|i| !i.op.is_positionless()).count())
}

/// `peel` renumbers snapshots (each copy has its own), so an exit is compared by its resume
/// word and the state it leaves: slots and memory.
#[test]
fn peeling_preserves_behaviour_and_hoists_invariants_on_random_traces() {
    let configs = configs();
    let (mut body_before, mut body_after, mut loops) = (0usize, 0usize, 0usize);
    for seed in 0..seeds() {
        let cfg = &configs[seed as usize % configs.len()];
        let case = random_case(seed + 50_000, cfg);
        let (slots0, mut mem) = case.setup();
        let before = run_on(&case, &case.trace, &slots0, &mut mem);
        let Ok(eb) = before.exit.clone() else { continue };
        for (name, with_opt) in [("peel", false), ("peel+optimize", true)] {
            let mut t = case.trace.clone();
            if with_opt {
                opt::optimize(&mut t);
            }
            opt::peel(&mut t);
            if with_opt {
                opt::optimize(&mut t);
            }
            let ctx = || {
                format!(
                    "seed {}, {name}\nbefore:\n{}\nafter:\n{}",
                    seed + 50_000,
                    dump(&case.trace),
                    dump(&t)
                )
            };
            if let Err(e) = verify::verify(&t) {
                panic!("verifier: {e}\n{}", ctx());
            }
            let after = run_on(&case, &t, &slots0, &mut mem);
            let ea = after.exit.clone().unwrap_or_else(|e| panic!("{e:?}\n{}", ctx()));
            assert_eq!(ea.resume, eb.resume, "{}", ctx());
            let floats: Vec<usize> = (case.trace.snaps[eb.snap.index()].entries.iter())
                .filter(|(_, v)| case.trace.ty(*v) == Some(Type::F64))
                .map(|(s, _)| *s as usize)
                .collect();
            for (k, (&b, &a)) in before.slots.iter().zip(&after.slots).enumerate() {
                let nan = f64::from_bits(b).is_nan() && f64::from_bits(a).is_nan() && floats.contains(&k);
                assert!(b == a || nan, "slot {k}: {b:#x} became {a:#x}\n{}", ctx());
            }
            assert_eq!(before.memory, after.memory, "{}", ctx());
            if with_opt && case.trace.loop_start.is_some() {
                let mut o = case.trace.clone();
                opt::optimize(&mut o);
                body_before += loop_body(&o);
                body_after += loop_body(&t);
                loops += 1;
            }
        }
    }
    println!("{loops} loops: optimized bodies {body_before} instructions, peeled {body_after}");
    assert!(loops > 10 && body_after < body_before, "peeling hoisted nothing: {body_before} -> {body_after}");
}
