//! Throughput of the front half of the pipeline: parse, verify and optimize (and each pass
//! alone) on generated traces of about 100, 1,000 and 10,000 instructions.
//!
//! Each sample processes about the same number of instructions at every size (100 traces of
//! 100, 10 of 1,000, 1 of 10,000), so the numbers compare per-instruction cost directly. It
//! prints the median ns per instruction of several samples, and the ratio of the cost per
//! instruction at 10,000 to that at 100: near 1 means the stage is linear in trace length,
//! well above 1 means something grows faster.

use std::hint::black_box;
use std::time::Instant;

use trace_ir::gen::{random_case, GenConfig};
use trace_ir::*;

const SIZES: [usize; 3] = [100, 1_000, 10_000];
const SAMPLES: usize = 11;

struct Workload {
    traces: Vec<Trace>,
    texts: Vec<String>,
    insts: usize,
}

fn workload(ops: usize) -> Workload {
    let count = 10_000 / ops;
    let cfg = GenConfig::with_ops(ops);
    let traces: Vec<Trace> = (0..count as u64).map(|s| random_case(s, &cfg).trace).collect();
    let texts = traces.iter().map(text::print).collect();
    let insts = traces.iter().map(|t| t.insts.len()).sum();
    Workload { traces, texts, insts }
}

/// Median ns per instruction of `SAMPLES` runs of `f` over the workload; `f` gets fresh
/// copies prepared outside the timed region.
/// Traces that are nothing but loads and stores through a few bases: the generated traces
/// mix in enough other ops that a pass quadratic in memory facts would hide there.
fn memory_workload(ops: usize) -> Workload {
    let count = 10_000 / ops;
    let mut text = String::from("%p = input 0 : i64\n%q = input 1 : i64\n%v = input 2 : i64\n");
    for k in 0..ops {
        let disp = 8 * (k % 4096);
        text += &match k % 3 {
            0 => format!("store.i64 [%p + {disp}], %v\n"),
            1 => format!("%l{k} = load.i64 [%p + {disp}]\n"),
            _ => format!("%m{k} = load.i64 imm [%q + {disp}]\n"),
        };
    }
    text += "snap0 @resume(0) {}\nexit snap0\n";
    let trace = text::parse(&text).expect("the memory workload parses");
    let insts = trace.insts.len() * count;
    Workload { traces: vec![trace; count], texts: vec![text; count], insts }
}

fn measure<P>(w: &Workload, prepare: impl Fn(&Workload) -> P, f: impl Fn(P)) -> f64 {
    let mut times: Vec<f64> = (0..SAMPLES)
        .map(|_| {
            let input = prepare(w);
            let t0 = Instant::now();
            f(input);
            t0.elapsed().as_nanos() as f64 / w.insts as f64
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[SAMPLES / 2]
}

type Stage = (&'static str, Box<dyn Fn(&Workload) -> f64>);

fn pass_stage(name: &'static str, pass: fn(&mut Trace)) -> Stage {
    (
        name,
        Box::new(move |w| {
            measure(
                w,
                |w| w.traces.clone(),
                |mut ts| {
                    for t in &mut ts {
                        pass(t);
                    }
                    black_box(ts);
                },
            )
        }),
    )
}

fn main() {
    let loads: Vec<Workload> = SIZES.iter().map(|&n| workload(n)).collect();
    let memory: Vec<Workload> = SIZES.iter().map(|&n| memory_workload(n)).collect();
    let stages: Vec<Stage> = vec![
        (
            "parse",
            Box::new(|w| {
                measure(
                    w,
                    |_| (),
                    |_| {
                        for s in &w.texts {
                            black_box(text::parse(s).expect("generated text parses"));
                        }
                    },
                )
            }),
        ),
        (
            "verify",
            Box::new(|w| {
                measure(
                    w,
                    |_| (),
                    |_| {
                        for t in &w.traces {
                            verify::verify(black_box(t)).expect("generated traces verify");
                        }
                    },
                )
            }),
        ),
        pass_stage("optimize", opt::optimize),
        pass_stage("  fold", opt::fold),
        pass_stage("  cse", opt::cse),
        pass_stage("  dce", opt::dce),
        pass_stage("  guards", opt::guards),
        pass_stage("  forward", opt::forward),
    ];
    println!("trace-ir pipeline: median ns per instruction over {SAMPLES} samples of ~10,000 instructions");
    println!(
        "(generated traces; instructions per size: {})",
        loads
            .iter()
            .map(|w| format!("{} in {} traces", w.insts, w.traces.len()))
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!("{:<10} {:>12} {:>12} {:>12} {:>18}", "stage", "n=100", "n=1000", "n=10000", "ratio 10000/100");
    for (name, run) in &stages {
        let ns: Vec<f64> = loads.iter().map(run.as_ref()).collect();
        println!("{:<10} {:>12.1} {:>12.1} {:>12.1} {:>18.2}", name, ns[0], ns[1], ns[2], ns[2] / ns[0]);
    }
    println!("on traces of only loads and stores:");
    for (name, pass) in [("optimize", opt::optimize as fn(&mut Trace)), ("  forward", opt::forward)] {
        let run = pass_stage(name, pass).1;
        let ns: Vec<f64> = memory.iter().map(run.as_ref()).collect();
        println!("{:<10} {:>12.1} {:>12.1} {:>12.1} {:>18.2}", name, ns[0], ns[1], ns[2], ns[2] / ns[0]);
    }
}
