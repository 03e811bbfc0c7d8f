//! The test VM's speed: the native interpreter's plain copy (the fragment program compiled
//! by the host backend) against the same VM written in Rust (`tracery_toyvm::vm`, a `match`
//! loop built by this bench profile), on the same bytecode in the same process. Also the
//! plain copy with the recording copy installed against without it, and the start-up time to
//! compile the whole program. The engines run in turn, round after round; it prints the
//! medians of each and the medians of the per-round ratios (lower is better for the native
//! interpreter; 1.0 is parity with the Rust loop).
//!
//! `cargo bench -p cross-tests --bench toyvm` (`TOYVM_BENCH_REPS` sets the repetitions).

use std::hint::black_box;
use std::time::Instant;

use cross_tests::toyvm::{check, initial_slots, memory, Machine, MAX_FRAGMENTS};
use trace_ir::fragment::native::{Copy, NativeInterp};
use tracery_toyvm::gen::{Case, STACK_WORDS};
use tracery_toyvm::vm::{State, Vm};
use tracery_toyvm::{Asm, Outcome};

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn case(code: Vec<u64>, args: &[i64], array: Vec<u64>) -> Case {
    let mut stack = vec![0u64; STACK_WORDS * 4];
    for (k, &a) in args.iter().enumerate() {
        stack[2 + k] = a as u64;
    }
    Case { seed: 0, code, stack, array }
}

fn fib(n: i64) -> Case {
    let mut a = Asm::new();
    let (f, small) = (a.label(), a.label());
    a.bind(f);
    a.movi(3, 2);
    a.jlt(2, 3, small);
    a.addi(18, 2, -1);
    a.call(16, f);
    a.mov(4, 16);
    a.addi(18, 2, -2);
    a.call(16, f);
    a.add(4, 4, 16);
    a.ret(4);
    a.bind(small);
    a.ret(2);
    case(a.finish().unwrap(), &[n], vec![0])
}

fn loop_sum(n: i64) -> Case {
    let mut a = Asm::new();
    let top = a.label();
    a.movi(3, 0);
    a.movi(4, 0);
    a.bind(top);
    a.addi(4, 4, 1);
    a.add(3, 3, 4);
    a.jlt(4, 2, top);
    a.ret(3);
    case(a.finish().unwrap(), &[n], vec![0])
}

/// `rounds` times: fill a[i] = i * k, then sum a.
fn array(rounds: i64) -> Case {
    let mut a = Asm::new();
    let (outer, fill, sum) = (a.label(), a.label(), a.label());
    a.movi(6, 0); // round
    a.movi(5, 0); // total
    a.movi(3, 64); // length
    a.bind(outer);
    a.movi(2, 0);
    a.bind(fill);
    a.mul(4, 2, 6);
    a.store(2, 4);
    a.addi(2, 2, 1);
    a.jlt(2, 3, fill);
    a.movi(2, 0);
    a.bind(sum);
    a.load(4, 2);
    a.add(5, 5, 4);
    a.addi(2, 2, 1);
    a.jlt(2, 3, sum);
    a.addi(6, 6, 1);
    a.jlt(6, 7, outer);
    a.ret(5);
    let mut c = case(a.finish().unwrap(), &[], vec![0; 64]);
    c.stack[7] = rounds as u64;
    c
}

/// A hash chain through the native helper.
fn hash_chain(n: i64) -> Case {
    let mut a = Asm::new();
    let top = a.label();
    a.movi(3, 0);
    a.movi(4, 1);
    a.bind(top);
    a.hash(4, 4, 3);
    a.addi(3, 3, 1);
    a.jlt(3, 2, top);
    a.ret(4);
    case(a.finish().unwrap(), &[n], vec![0])
}

/// Runs the native interpreter's plain copy once on `c` (memory reset first).
fn native_once(m: &mut Machine, c: &Case, mem: &mut trace_ir::gen::Buffers) -> Outcome {
    mem.reset();
    let mut slots = initial_slots(c, mem);
    let entry = m.program.entry;
    // SAFETY: `check` ran this case on the reference interpreter first, in bounds; the
    // native code performs the same accesses on the same buffers.
    let e = unsafe { m.native.run(&mut *m.jit, entry, Copy::Plain, black_box(&mut slots)) }.unwrap();
    Outcome::from_resume(e.resume, slots[tracery_toyvm::program::RESULT as usize]).unwrap()
}

/// Runs the Rust VM once on `c` (memory reset first).
fn rust_once(c: &Case, stack: &mut [u64], array: &mut [u64], stack_addr: u64) -> Outcome {
    stack.copy_from_slice(&c.stack);
    array.copy_from_slice(&c.array);
    let mut vm = Vm { code: black_box(&c.code), stack, stack_addr, array };
    let mut st = State { pc: 0, base: stack_addr, result: 0 };
    vm.run(&mut st, MAX_FRAGMENTS * 10).unwrap()
}

/// Nanoseconds of one call.
fn ns(f: impl FnOnce() -> Outcome) -> (f64, Outcome) {
    let t = Instant::now();
    let o = black_box(f());
    (t.elapsed().as_nanos() as f64, o)
}

/// The three engines in turn, `reps` rounds (so that load from other processes hits all
/// three alike): medians of each, and medians of the per-round ratios.
struct Sample {
    native: f64,
    plain: f64,
    rust: f64,
    native_rust: f64,
    with_without: f64,
}

fn sample(full: &mut Machine, plain: &mut Machine, c: &Case, reps: usize, want: Outcome) -> Sample {
    let mut mem_f = memory(c);
    let mut mem_p = memory(c);
    let stack_addr = mem_f.base(1);
    let (mut stack, mut array) = (c.stack.clone(), c.array.clone());
    let (mut tn, mut tp, mut tr, mut rnr, mut rwp) = (vec![], vec![], vec![], vec![], vec![]);
    for k in 0..reps + 1 {
        let (a, oa) = ns(|| native_once(full, c, &mut mem_f));
        let (b, ob) = ns(|| native_once(plain, c, &mut mem_p));
        let (r, or) = ns(|| rust_once(c, &mut stack, &mut array, stack_addr));
        assert_eq!((oa, ob, or), (want, want, want));
        if k == 0 {
            continue; // warm-up
        }
        tn.push(a);
        tp.push(b);
        tr.push(r);
        rnr.push(a / r);
        rwp.push(a / b);
    }
    Sample {
        native: median(tn),
        plain: median(tp),
        rust: median(tr),
        native_rust: median(rnr),
        with_without: median(rwp),
    }
}

fn main() {
    let reps: usize = std::env::var("TOYVM_BENCH_REPS").ok().and_then(|v| v.parse().ok()).unwrap_or(21);
    let mut full = Machine::new().unwrap();
    let mut plain = Machine::with(cross_tests::engine::host_jit(), true).unwrap();
    let cases = [
        ("fib(22)", fib(22)),
        ("loop_sum(300000)", loop_sum(300_000)),
        ("array(2000 x 64)", array(2000)),
        ("hash_chain(200000)", hash_chain(200_000)),
    ];
    println!("toyvm bench on {}, {reps} reps, medians", std::env::consts::ARCH);
    println!(
        "{:<20} {:>12} {:>12} {:>12} {:>10} {:>14}",
        "program", "native µs", "no-rec µs", "Rust VM µs", "nat/Rust", "with/without"
    );
    let (mut geo_nr, mut geo_rec) = (0f64, 0f64);
    for (name, c) in &cases {
        let r = check(&mut full, c).unwrap_or_else(|e| panic!("{name}: {e}"));
        check(&mut plain, c).unwrap_or_else(|e| panic!("{name} (plain only): {e}"));
        let s = sample(&mut full, &mut plain, c, reps, r.outcome);
        geo_nr += s.native_rust.ln();
        geo_rec += s.with_without.ln();
        println!(
            "{:<20} {:>12.1} {:>12.1} {:>12.1} {:>9.2}x {:>13.3}x",
            name,
            s.native / 1e3,
            s.plain / 1e3,
            s.rust / 1e3,
            s.native_rust,
            s.with_without
        );
    }
    let k = cases.len() as f64;
    println!(
        "geomean: native plain / Rust VM = {:.2}x (issue 11 asks for <= 1.2x); plain with recording copy / without = {:.3}x (should be 1.0 within noise)",
        (geo_nr / k).exp(),
        (geo_rec / k).exp()
    );
    // Start-up: lowering and compiling the whole program (both copies, and plain only) into
    // a fresh Jit, median of a few.
    let p = tracery_toyvm::program::program();
    let syms = tracery_toyvm::symbols();
    let startup = |plain_only: bool| {
        median(
            (0..7)
                .map(|_| {
                    let mut jit = cross_tests::engine::host_jit();
                    let t = Instant::now();
                    let ni = if plain_only {
                        NativeInterp::install_plain(&mut *jit, &p, &syms)
                    } else {
                        NativeInterp::install(&mut *jit, &p, &syms)
                    };
                    let e = t.elapsed().as_nanos() as f64 / 1e3;
                    black_box(ni.unwrap());
                    e
                })
                .collect(),
        )
    };
    println!(
        "start-up ({} fragments): install both copies {:.0} µs, plain copy only {:.0} µs",
        p.fragments.len(),
        startup(false),
        startup(true)
    );
}
