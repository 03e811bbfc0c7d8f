//! The test VM on the JIT: sums `7 * i` for i below N, calling the native helper in the
//! first 64 iterations (so the loop has a branch that changes its mind), as toyvm bytecode, on `tracery_runtime::Driver` with the settings of the
//! environment (`TRACERY_JIT`, `TRACERY_LOG=trace`, `TRACERY_OPT`, `TRACERY_STATS=1`, ...).
//!
//! ```sh
//! TRACERY_LOG=trace cargo run --release -p tracery-runtime --example toyvm -- 1000000
//! ```

use tracery_runtime::build::Slices;
use tracery_runtime::{Config, Driver};
use tracery_toyvm::gen::STACK_WORDS;
use tracery_toyvm::program::{program, ALEN, ARR, BASE, CODE, PC, RESULT, SLOTS, STACK_END};
use tracery_toyvm::{Asm, Outcome};

fn main() {
    let n: i32 = match std::env::args().nth(1).map(|a| a.parse()) {
        None => 1_000_000,
        Some(Ok(n)) if n >= 0 => n,
        _ => {
            eprintln!("usage: toyvm [N]   (N: a non-negative 32-bit count)");
            std::process::exit(2);
        }
    };
    let config = match Config::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("toyvm: {e}");
            std::process::exit(2);
        }
    };
    // r2 = i, r3 = sum, r4 = n, r5 = scratch, r6 = 7, r7 = 63.
    let mut a = Asm::new();
    let (top, skip, done) = (a.label(), a.label(), a.label());
    a.movi(2, 0);
    a.movi(3, 0);
    a.movi(4, n);
    a.movi(6, 7);
    a.movi(7, 63);
    a.bind(top);
    a.jeq(2, 4, done);
    a.mul(5, 2, 6);
    a.add(3, 3, 5);
    a.jlt(7, 2, skip);
    a.hash(5, 2, 3);
    a.bind(skip);
    a.addi(2, 2, 1);
    a.jmp(top);
    a.bind(done);
    a.ret(3);
    let code = a.finish().expect("the program assembles");

    let p = program();
    let mut d = Driver::new(&p, tracery_toyvm::symbols(), config).unwrap_or_else(|e| {
        eprintln!("toyvm: {e}");
        std::process::exit(1)
    });
    let mut stack = vec![0u64; STACK_WORDS];
    let mut slots = vec![0u64; SLOTS];
    slots[PC as usize] = 0;
    slots[BASE as usize] = stack.as_mut_ptr() as u64;
    slots[CODE as usize] = code.as_ptr() as u64;
    slots[ARR as usize] = 0;
    slots[ALEN as usize] = 0;
    slots[STACK_END as usize] = stack.as_ptr() as u64 + 8 * STACK_WORDS as u64;
    // SAFETY: the code is alive and unchanged for the run, and `finish` checked it.
    let imm = Slices(vec![unsafe { std::slice::from_raw_parts(code.as_ptr() as *const u8, code.len() * 8) }]);
    let t = std::time::Instant::now();
    // SAFETY: the program touches only its stack (in bounds: it makes no calls deeper than
    // the outermost frame) and reads its code; it calls only the toyvm helper.
    let e = unsafe { d.run(&mut slots, &imm) }.unwrap_or_else(|e| {
        eprintln!("toyvm: {e}");
        std::process::exit(1)
    });
    let ms = t.elapsed().as_secs_f64() * 1e3;
    match Outcome::from_resume(e.resume, slots[RESULT as usize]) {
        Some(Outcome::Halt(v)) => println!("sum = {v} ({ms:.1} ms, {} traces)", d.trace_count()),
        other => println!("stopped: {other:?} ({ms:.1} ms)"),
    }
}
