//! Code speed: each kernel of examples/kernels as a trace (installed and run through
//! `Jit::run`, which includes entry, exit and deopt restore) against the same kernel in Rust
//! compiled by this bench profile, in the same process on the same data. Prints medians and
//! the ratio trace/Rust (lower is better; 1.0 is parity).
//!
//! Allocation: `trace_ir::regalloc::allocate` when it succeeds, else the test linear scan.

#[path = "../tests/common/mod.rs"]
mod common;

#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::hint::black_box;
    use std::time::Instant;

    use super::common::kernels;
    use backend_x64::X64;
    use trace_ir::backend::{Backend, Jit};
    use trace_ir::ir::Trace;
    use trace_ir::Symbols;

    fn median(mut v: Vec<f64>) -> f64 {
        v.sort_by(|a, b| a.partial_cmp(b).unwrap());
        v[v.len() / 2]
    }

    fn time(reps: usize, mut f: impl FnMut()) -> f64 {
        f();
        median(
            (0..reps)
                .map(|_| {
                    let t = Instant::now();
                    f();
                    t.elapsed().as_nanos() as f64
                })
                .collect(),
        )
    }

    /// Installs `examples/kernels/NAME.tir` when it parses (the public path: verify, shared
    /// allocator, emit), else the Builder twin with the shared or the test allocator.
    fn install(jit: &mut X64, t: &Trace) -> (u32, &'static str) {
        let name = t.name.clone().unwrap_or_default();
        let path = format!("{}/../examples/kernels/{name}.tir", env!("CARGO_MANIFEST_DIR"));
        if let Ok(parsed) = std::fs::read_to_string(&path)
            .map_err(|e| e.to_string())
            .and_then(|s| trace_ir::text::parse(&s).map_err(|e| e.to_string()))
        {
            if let Ok(id) = jit.install(&parsed, &Symbols::new()) {
                return (id, ".tir file, shared allocator");
            }
        }
        match trace_ir::regalloc::allocate(t, jit.regfile()) {
            Ok(al) => (jit.install_with(t, &al, &Symbols::new()).unwrap(), "shared allocator"),
            Err(_) => (
                jit.install_with(t, &super::common::scan_alloc(t, 99), &Symbols::new()).unwrap(),
                "test linear scan",
            ),
        }
    }

    /// The kernel's loop as written (LLVM may still turn it into memcpy: that is the point).
    #[allow(clippy::manual_memcpy)]
    #[inline(never)]
    fn memcpy_rust(dst: &mut [i64], src: &[i64]) {
        for i in 0..src.len() {
            dst[i] = src[i];
        }
    }

    /// Runs a kernel. Each reads (and memcpy writes) `n` elements of the vectors whose
    /// addresses and length are in its slots; every vector outlives the whole bench.
    fn run(jit: &mut X64, id: u32, slots: &mut [u64]) {
        // SAFETY: the kernels only access the vectors named above, within their lengths, and
        // call nothing; they divide by nothing.
        unsafe { jit.run(id, slots) }.unwrap();
    }

    fn report(name: &str, n: usize, jit_ns: f64, rust_ns: f64, how: &str) {
        println!(
            "  {name:<11} n={n:<6} trace {:8.0} ns  rust {:8.0} ns  ratio {:5.2}  ({how})",
            jit_ns,
            rust_ns,
            jit_ns / rust_ns
        );
    }

    pub fn main() {
        let n = 10_000usize;
        let reps = 301;
        let mut jit = X64::new();
        println!(
            "kernel bench: trace via Jit::run vs the same loop in Rust (-O), n elements, median of {reps}"
        );

        let xs: Vec<i64> = (0..n as i64).map(|i| (i * 7919) % 1000 - 200).collect();
        let (id, how) = install(&mut jit, &kernels::sum_i64());
        let mut slots = [xs.as_ptr() as u64, n as u64, 0, 0];
        let tj = time(reps, || {
            run(&mut jit, id, black_box(&mut slots));
        });
        assert_eq!(slots[2] as i64, kernels::sum_i64_rust(&xs));
        let tr = time(reps, || {
            black_box(kernels::sum_i64_rust(black_box(&xs)));
        });
        report("sum_i64", n, tj, tr, how);

        let fa: Vec<f64> = (0..n).map(|i| i as f64 * 0.25).collect();
        let fb: Vec<f64> = (0..n).map(|i| 1.0 / (i as f64 + 1.0)).collect();
        let (id, how) = install(&mut jit, &kernels::dot_f64());
        let mut slots = [fa.as_ptr() as u64, fb.as_ptr() as u64, n as u64, 0, 0];
        let tj = time(reps, || {
            run(&mut jit, id, black_box(&mut slots));
        });
        assert_eq!(f64::from_bits(slots[3]), kernels::dot_f64_rust(&fa, &fb));
        let tr = time(reps, || {
            black_box(kernels::dot_f64_rust(black_box(&fa), black_box(&fb)));
        });
        report("dot_f64", n, tj, tr, how);

        let mut dst = vec![0i64; n];
        let (id, how) = install(&mut jit, &kernels::memcpy_i64());
        let mut slots = [dst.as_mut_ptr() as u64, xs.as_ptr() as u64, n as u64, 0];
        let tj = time(reps, || {
            run(&mut jit, id, black_box(&mut slots));
        });
        assert_eq!(dst, xs);
        let mut dst2 = vec![0i64; n];
        let tr = time(reps, || {
            memcpy_rust(black_box(&mut dst2), black_box(&xs));
        });
        report("memcpy_i64", n, tj, tr, how);

        let pos: Vec<i64> = (0..n as i64).map(|i| (i * 7919) % 1000).collect();
        let (id, how) = install(&mut jit, &kernels::mix_guards());
        let mut slots = [pos.as_ptr() as u64, n as u64, 0, 0, 0];
        let tj = time(reps, || {
            run(&mut jit, id, black_box(&mut slots));
        });
        let want = kernels::mix_guards_rust(&pos);
        assert_eq!((slots[2] as i64, slots[3] as i64), (want.0, want.1));
        let tr = time(reps, || {
            black_box(kernels::mix_guards_rust(black_box(&pos)));
        });
        report("mix_guards", n, tj, tr, how);
    }
}

fn main() {
    #[cfg(target_arch = "x86_64")]
    x86::main();
    #[cfg(not(target_arch = "x86_64"))]
    println!("kernel bench: runs only on x86-64 hosts");
}
