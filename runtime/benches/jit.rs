//! The JIT on a small bytecode VM (runtime/tests/programs/bcvm.tir): each bytecode program
//! run with the JIT on, on the native interpreter alone (JIT off), and on the same VM
//! written in Rust (a `match` loop, this bench profile), side by side in one process.
//! Prints medians and the ratios against the Rust VM and against the interpreter (lower is
//! better), then the compile latency per trace (optimize, peel, allocate, emit, install;
//! and the whole record + build + compile) over every trace of the run: median and maximum.

#[path = "../tests/common/mod.rs"]
mod common;

use std::hint::black_box;
use std::time::Instant;

use tracery_runtime::build::Slices;
use tracery_runtime::{Config, Driver};

use common::*;

/// The same VM in Rust: what the fragments say, as a `match` loop over the same words.
fn rust_vm(code: &[u64], mut n: u64) -> (u64, u64) {
    let (mut pc, mut acc) = (0usize, 0u64);
    loop {
        let (op, arg) = (code[pc], code[pc + 1]);
        match op {
            ADDN => {
                acc = match (acc as i64).checked_add(n as i64) {
                    Some(v) => v as u64,
                    None => return (acc, 7),
                };
                pc += 2;
            }
            MIX => {
                acc = acc.wrapping_add(black_box(twice(arg)));
                pc += 2;
            }
            DECN => {
                n = n.wrapping_sub(arg);
                pc += 2;
            }
            JNZ => {
                if n != 0 {
                    pc = (pc as i64 + 2 * arg as i64) as usize;
                } else {
                    pc += 2;
                }
            }
            ODDINC => {
                if n & 1 == 1 {
                    acc = acc.wrapping_add(1);
                }
                pc += 2;
            }
            HALT => return (acc, 1),
            _ => unreachable!(),
        }
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn main() {
    let p = program();
    let programs: Vec<(&str, Vec<u64>)> = vec![
        ("sum+call", vec![ADDN, 0, MIX, 3, DECN, 1, JNZ, (-3i64) as u64, HALT, 0]),
        ("branchy", vec![ADDN, 0, ODDINC, 0, DECN, 1, JNZ, (-3i64) as u64, HALT, 0]),
        ("longer", vec![ODDINC, 0, MIX, 5, ODDINC, 0, ADDN, 0, DECN, 1, JNZ, (-5i64) as u64, HALT, 0]),
    ];
    let n = 1_000_000u64;
    let reps = 11;
    println!(
        "bcvm, n = {n}, median of {reps}: JIT on / JIT off (native interpreter) / Rust VM (match loop, -O)"
    );
    println!(
        "{:<10} {:>12} {:>12} {:>12} {:>10} {:>10}",
        "program", "jit ms", "interp ms", "rust ms", "jit/rust", "jit/interp"
    );
    let mut compile = Vec::new();
    let mut whole = Vec::new();
    for (name, mut code) in programs {
        let pc0 = code.as_ptr() as u64;
        let want = rust_vm(&code, n);
        let mut times = [Vec::new(), Vec::new(), Vec::new()];
        for _ in 0..reps {
            for (k, jit) in [true, false].into_iter().enumerate() {
                let mut d = Driver::new(&p, symbols(), Config { jit, ..Config::default() }).unwrap();
                let mut slots = vec![pc0, n, 0, 0];
                // SAFETY: the bytecode is alive and well formed (the tests run these shapes
                // against the reference interpreter); the VM touches only the bytecode and
                // calls only `twice`.
                let imm = Slices(vec![unsafe {
                    std::slice::from_raw_parts(code.as_mut_ptr() as *const u8, code.len() * 8)
                }]);
                let t = Instant::now();
                // SAFETY: as above.
                let e = unsafe { d.run(&mut slots, &imm).unwrap() };
                times[k].push(t.elapsed().as_secs_f64() * 1e3);
                assert_eq!((slots[2], e.resume), want, "{name}: jit {jit}");
                if jit {
                    compile.extend(d.stats.compile_us.iter().copied());
                    whole.extend(d.stats.trace_us.iter().copied());
                }
            }
            let t = Instant::now();
            black_box(rust_vm(black_box(&code), black_box(n)));
            times[2].push(t.elapsed().as_secs_f64() * 1e3);
        }
        let [j, i, r] = times.map(median);
        println!("{name:<10} {j:>12.3} {i:>12.3} {r:>12.3} {:>10.2} {:>10.3}", j / r, j / i);
    }
    let (cm, cx) = (median(compile.clone()), compile.iter().copied().fold(0.0, f64::max));
    let (wm, wx) = (median(whole.clone()), whole.iter().copied().fold(0.0, f64::max));
    println!("compile latency per trace over {} traces (optimize, peel, allocate, emit, install): median {cm:.1} µs, max {cx:.1} µs", compile.len());
    println!(
        "record + build + compile per trace: median {wm:.1} µs, max {wx:.1} µs (LuaJIT: 11-56 µs per trace)"
    );
}
