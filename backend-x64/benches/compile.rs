//! Compile time per IR op: optimize + allocate + emit (no install) of generated traces of
//! about 100, 1,000 and 10,000 ops, from `trace_ir::gen` and from this bench's own
//! straight-line generator. Prints medians in ns per positioned op and the linearity ratio
//! (ns/op at 10,000 over ns/op at 100; 1.0 is perfectly linear).

use std::time::Instant;

use backend_x64::X64;
use trace_ir::backend::Backend;
use trace_ir::ir::*;
use trace_ir::{Builder, Type};

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// A trace of `n` positional ops over 4 i64 and 2 f64 inputs: mostly integer arithmetic,
/// some float arithmetic, guarded compares with snapshots, selects, loads, stores and
/// conversions, each reading recent values (short live ranges, as in real traces).
pub fn generate(n: usize, seed: u64) -> Trace {
    let mut r = Rng(seed | 1);
    let mut b = Builder::new();
    let mut ints: Vec<Value> = (0..4).map(|s| b.input(s, Type::I64)).collect();
    let mut floats: Vec<Value> = (4..6).map(|s| b.input(s, Type::F64)).collect();
    let base = ints[0];
    let pick = |r: &mut Rng, v: &Vec<Value>| v[v.len() - 1 - r.below(v.len().min(8))];
    let mut count = 0;
    while count < n {
        let k = r.below(100);
        if k < 55 {
            let op = [BinOp::Add, BinOp::Sub, BinOp::And, BinOp::Or, BinOp::Xor, BinOp::Mul][r.below(6)];
            let x = pick(&mut r, &ints);
            let y =
                if r.below(3) == 0 { b.iconst(Type::I64, r.below(1000) as i64) } else { pick(&mut r, &ints) };
            let v = b.bin(op, x, y);
            ints.push(v);
        } else if k < 67 {
            let op = [BinOp::FAdd, BinOp::FSub, BinOp::FMul][r.below(3)];
            let (x, y) = (pick(&mut r, &floats), pick(&mut r, &floats));
            let v = b.bin(op, x, y);
            floats.push(v);
        } else if k < 80 {
            let (x, y) = (pick(&mut r, &ints), pick(&mut r, &ints));
            let c = b.icmp(ICmp::ALL[r.below(10)], x, y);
            let e: Vec<(u32, Value)> = (0..3).map(|s| (s, pick(&mut r, &ints))).collect();
            let s = b.snapshot(count as u64, &e);
            b.guard(c, s);
            count += 1;
        } else if k < 85 {
            let (x, y) = (pick(&mut r, &ints), pick(&mut r, &ints));
            let c = b.icmp(ICmp::Ult, x, y);
            let (p, q) = (pick(&mut r, &ints), pick(&mut r, &ints));
            let v = b.select(c, p, q);
            ints.push(v);
            count += 1;
        } else if k < 92 {
            let v = b.load(Type::I64, base, 8 * r.below(16) as i32, false);
            ints.push(v);
        } else if k < 96 {
            let v = pick(&mut r, &ints);
            b.store(base, 8 * r.below(16) as i32, v);
        } else {
            let v = pick(&mut r, &ints);
            let f = b.conv(Conv::SIToFP, v, Type::F64);
            floats.push(f);
        }
        count += 1;
    }
    let e: Vec<(u32, Value)> = vec![(0, *ints.last().unwrap()), (4, *floats.last().unwrap())];
    let s = b.snapshot(0, &e);
    b.exit(s)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

fn main() {
    let x = X64::new();
    let helpers = trace_ir::gen::helper_symbols();
    println!(
        "compile bench: trace_ir::opt::optimize + trace_ir::regalloc::allocate + backend-x64 emission \
         (code bytes and patch offsets as install makes them, without the copy into the region); \
         ns per positioned IR op, medians"
    );
    for (what, make) in [
        (
            "trace_ir::gen, default config (loops, calls, memory, floats, guards)",
            Box::new(|n: usize| {
                trace_ir::gen::random_case(n as u64, &trace_ir::gen::GenConfig::with_ops(n)).trace
            }) as Box<dyn Fn(usize) -> Trace>,
        ),
        (
            "trace_ir::gen without loops",
            Box::new(|n: usize| {
                let cfg = trace_ir::gen::GenConfig { loops: false, ..trace_ir::gen::GenConfig::with_ops(n) };
                trace_ir::gen::random_case(n as u64, &cfg).trace
            }),
        ),
        ("straight-line generator of this bench", Box::new(|n: usize| generate(n, 7 + n as u64))),
    ] {
        println!("  traces: {what}");
        let mut per_op = vec![];
        for n in [100usize, 1_000, 10_000] {
            let t = make(n);
            let positional = t.insts.iter().filter(|i| !i.op.is_positionless()).count();
            let reps = (200_000 / n).max(10);
            let (mut total, mut emit_only) = (vec![], vec![]);
            let mut failed = None;
            for _ in 0..reps {
                let mut t = t.clone();
                let t0 = Instant::now();
                trace_ir::opt::optimize(&mut t);
                let al = match trace_ir::regalloc::allocate(&t, x.regfile()) {
                    Ok(al) => al,
                    Err(e) => {
                        failed = Some(format!("allocate: {e}"));
                        break;
                    }
                };
                let t1 = Instant::now();
                let a = x.assemble_with_id(&t, &al, &helpers, 0, backend_x64::NOMINAL_BASE);
                let t2 = Instant::now();
                if let Err(e) = a {
                    failed = Some(format!("emit: {e}"));
                    break;
                }
                std::hint::black_box(a.ok());
                total.push((t2 - t0).as_nanos() as f64 / positional as f64);
                emit_only.push((t2 - t1).as_nanos() as f64 / positional as f64);
            }
            if let Some(e) = failed {
                println!("    {positional:>6} ops: {e}");
                continue;
            }
            let (m, e) = (median(total), median(emit_only));
            per_op.push(m);
            println!("    {positional:>6} ops: optimize+alloc+emit {m:7.1} ns/op (emit alone {e:6.1} ns/op), {reps} reps");
        }
        if per_op.len() == 3 {
            println!("    linearity (ns/op at 10,000 over ns/op at 100): {:.2}", per_op[2] / per_op[0]);
        }
    }
}
