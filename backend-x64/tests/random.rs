//! Random straight-line traces and loops (every pure op at every type, guards, overflow ops, fused
//! compares, selects, loads and stores on a buffer) run natively under several allocations
//! and compared with the reference interpreter (`trace_ir::interp`): same exit, same slots, same
//! memory. Only the chaining of a parent's exit into its linked side trace is done here.
#![cfg(target_arch = "x86_64")]

mod common;

use backend_x64::X64;
use common::*;
use trace_ir::backend::Jit;
use trace_ir::gen::Rng;
use trace_ir::interp::{self, Env, InterpError, MemRegion};
use trace_ir::ir::*;
use trace_ir::{Builder, Symbols, Type};

/// Native functions the random traces call: 8 integer arguments (two on the stack), and 10
/// floats plus an integer (two floats on the stack). Their models are `h8_model`/`hf_model`.
extern "C" fn h8(a: u64, b: u64, c: u64, d: u64, e: u64, f: u64, g: u64, h: u64) -> u64 {
    h8_model(&[a, b, c, d, e, f, g, h])
}

fn h8_model(a: &[u64]) -> u64 {
    a.iter().enumerate().fold(0u64, |s, (k, &x)| s.wrapping_mul(31).wrapping_add(x ^ k as u64))
}

#[allow(clippy::too_many_arguments)]
extern "C" fn hf(
    a: f64,
    b: f64,
    c: f64,
    d: f64,
    e: f64,
    f: f64,
    g: f64,
    h: f64,
    i: f64,
    j: f64,
    n: u64,
) -> f64 {
    hf_model(&[a, b, c, d, e, f, g, h, i, j], n)
}

/// NaN results are made canonical: which NaN an add of two NaNs returns depends on how the
/// compiler ordered the operands, which differs between inlined copies of this function.
fn hf_model(a: &[f64], n: u64) -> f64 {
    let r = a.iter().enumerate().fold(n as i64 as f64, |s, (k, &x)| s * 0.5 + x * (k as f64 + 1.0));
    if r.is_nan() {
        f64::NAN
    } else {
        r
    }
}

fn symbols() -> Symbols {
    let mut s = Symbols::new();
    s.define("h8", h8 as *const () as u64, h8_model);
    s.define("hf", hf as *const () as u64, |a| {
        let f: Vec<f64> = a[..10].iter().map(|&x| f64::from_bits(x)).collect();
        hf_model(&f, a[10]).to_bits()
    });
    s
}

const NSLOTS: u32 = 12;
const BUF: usize = 16;

fn pick(r: &mut Rng, pool: &[Vec<Value>], ty: Type) -> Value {
    let v = &pool[Type::ALL.iter().position(|&t| t == ty).unwrap()];
    v[v.len() - 1 - r.below(v.len().min(6))]
}

/// Sometimes a load right before its user (so it folds into the user's memory operand),
/// otherwise a recent value.
fn fresh_load_or_pick(b: &mut Builder, r: &mut Rng, pool: &[Vec<Value>], ty: Type, buf: Value) -> Value {
    if matches!(ty, Type::I32 | Type::I64 | Type::F64) && r.below(3) == 0 {
        b.load(ty, buf, 8 * r.below(BUF) as i32, false)
    } else {
        pick(r, pool, ty)
    }
}

/// A random trace; slot 0 holds the buffer address (an i64 input), slots 1.. hold values.
fn generate(r: &mut Rng, len: usize, looped: bool) -> Trace {
    let mut b = Builder::new();
    let buf = b.input(0, Type::I64);
    let mut pool: Vec<Vec<Value>> = Type::ALL
        .iter()
        .enumerate()
        .map(|(k, &ty)| {
            let mut v = vec![b.input(k as u32 + 1, ty)];
            let c =
                if ty == Type::F64 { (r.below(7) as f64 - 3.0).to_bits() } else { r.next_u64() & ty.mask() };
            v.push(b.konst(ty, c));
            v.push(b.konst(ty, [0, 1, ty.mask()][r.below(3)]));
            v
        })
        .collect();
    let snap = |b: &mut Builder, r: &mut Rng, pool: &[Vec<Value>]| {
        let mut e = vec![];
        for slot in 1..NSLOTS {
            if r.below(2) == 0 {
                let ty = Type::ALL[r.below(6)];
                if ty != Type::I1 {
                    e.push((slot, pick(r, pool, ty)));
                }
            }
        }
        b.snapshot(r.next_u64() % 1000, &e)
    };
    // A loop: parameters of every type (initialized from the pools) plus a counter that a
    // guard bounds, so the body runs a few times with values carried around the back edge.
    let mut carried = vec![];
    let mut counter = None;
    if looped {
        let mut inits = vec![];
        for _ in 0..2 + r.below(6) {
            let ty = Type::ALL[r.below(6)];
            inits.push((ty, pick(r, &pool, ty)));
        }
        let zero = b.iconst(Type::I64, 0);
        let mut all: Vec<Value> = inits.iter().map(|x| x.1).collect();
        all.push(zero);
        let params = b.begin_loop(&all);
        for (k, &(ty, _)) in inits.iter().enumerate() {
            pool[Type::ALL.iter().position(|&t| t == ty).unwrap()].push(params[k]);
            carried.push(ty);
        }
        let ctr = *params.last().unwrap();
        let limit = b.iconst(Type::I64, 1 + r.below(4) as i64);
        let c = b.icmp(ICmp::Slt, ctr, limit);
        let s = snap(&mut b, r, &pool);
        b.guard(c, s);
        counter = Some(ctr);
    }
    for _ in 0..len {
        let ty = Type::ALL[r.below(6)];
        let ti = Type::ALL.iter().position(|&t| t == ty).unwrap();
        let k = r.below(100);
        let v = if ty == Type::F64 {
            match k {
                0..=39 => {
                    let op = BinOp::ALL[13 + r.below(4)];
                    let (x, y) = (pick(r, &pool, ty), fresh_load_or_pick(&mut b, r, &pool, ty, buf));
                    b.bin(op, x, y)
                }
                40..=59 => {
                    let op = UnOp::ALL[2 + r.below(3)];
                    let x = pick(r, &pool, ty);
                    b.un(op, x)
                }
                60..=74 => {
                    let from = Type::ALL[1 + r.below(4)];
                    let x = pick(r, &pool, from);
                    b.conv(Conv::SIToFP, x, ty)
                }
                75..=80 => {
                    let x = pick(r, &pool, Type::I64);
                    b.conv(Conv::Bitcast, x, ty)
                }
                81..=84 => {
                    let mut args: Vec<Value> = (0..10).map(|_| pick(r, &pool, Type::F64)).collect();
                    args.push(pick(r, &pool, Type::I64));
                    b.call(Some(ty), Callee::Symbol("hf".into()), &args, CallEffect::Any)
                }
                _ => {
                    let v = b.load(ty, buf, 8 * r.below(BUF) as i32, false);
                    if r.below(3) == 0 {
                        let x = pick(r, &pool, ty);
                        b.store(buf, 8 * r.below(BUF) as i32, x);
                    }
                    v
                }
            }
        } else {
            match k {
                0..=29 => {
                    let op = BinOp::ALL[r.below(13)];
                    let x = pick(r, &pool, ty);
                    let y = fresh_load_or_pick(&mut b, r, &pool, ty, buf);
                    if r.below(2) == 0 {
                        b.bin(op, x, y)
                    } else {
                        b.bin(op, y, x)
                    }
                }
                30..=37 => {
                    let x = pick(r, &pool, ty);
                    b.un(UnOp::ALL[r.below(2)], x)
                }
                38..=49 if ty != Type::I1 => {
                    let (x, y) = (pick(r, &pool, ty), pick(r, &pool, ty));
                    let s = snap(&mut b, r, &pool);
                    b.ovf(OvfOp::ALL[r.below(3)], x, y, s)
                }
                50..=64 => {
                    let cty = Type::ALL[r.below(6)];
                    let x = pick(r, &pool, cty);
                    let y = fresh_load_or_pick(&mut b, r, &pool, cty, buf);
                    let (x, y) = if r.below(2) == 0 { (x, y) } else { (y, x) };
                    let c = if cty == Type::F64 {
                        b.fcmp(FCmp::ALL[r.below(7)], x, y)
                    } else {
                        b.icmp(ICmp::ALL[r.below(10)], x, y)
                    };
                    match r.below(3) {
                        0 => {
                            let s = snap(&mut b, r, &pool);
                            if r.below(2) == 0 {
                                b.guard(c, s);
                            } else {
                                b.guard_not(c, s);
                            }
                            continue;
                        }
                        1 => {
                            let (p, q) = (pick(r, &pool, ty), pick(r, &pool, ty));
                            b.select(c, p, q)
                        }
                        _ => {
                            pool[0].push(c);
                            continue;
                        }
                    }
                }
                65..=79 => {
                    let from = Type::ALL[r.below(5)];
                    let x = pick(r, &pool, from);
                    match from.bits().cmp(&ty.bits()) {
                        std::cmp::Ordering::Less => b.conv(Conv::ALL[r.below(2)], x, ty),
                        std::cmp::Ordering::Greater => b.conv(Conv::Trunc, x, ty),
                        _ => {
                            let f = pick(r, &pool, Type::F64);
                            if ty == Type::I1 {
                                continue;
                            }
                            b.conv(Conv::FPToSI, f, ty)
                        }
                    }
                }
                80..=84 if ty != Type::I1 => {
                    let args: Vec<Value> = (0..8)
                        .map(|_| {
                            let aty = Type::ALL[1 + r.below(4)];
                            pick(r, &pool, aty)
                        })
                        .collect();
                    b.call(Some(ty), Callee::Symbol("h8".into()), &args, CallEffect::Any)
                }
                85..=89 if ty != Type::I1 => {
                    let v = b.load(ty, buf, 8 * r.below(BUF) as i32, false);
                    let x = pick(r, &pool, ty);
                    b.store(buf, 8 * r.below(BUF) as i32, x);
                    v
                }
                _ => {
                    let c = pick(r, &pool, Type::I1);
                    let (p, q) = (pick(r, &pool, ty), pick(r, &pool, ty));
                    b.select(c, p, q)
                }
            }
        };
        pool[ti].push(v);
    }
    let t = match counter {
        Some(ctr) => {
            let mut next: Vec<Value> = carried.iter().map(|&ty| pick(r, &pool, ty)).collect();
            let one = b.iconst(Type::I64, 1);
            next.push(b.bin(BinOp::Add, ctr, one));
            b.jump(&next)
        }
        None => {
            let s = snap(&mut b, r, &pool);
            b.exit(s)
        }
    };
    if let Err(e) = trace_ir::verify::verify(&t) {
        panic!("generator made an invalid trace: {e}\n{}", trace_ir::text::print(&t));
    }
    t
}

/// Runs `t` on `slots` and `mem` with the reference interpreter: the exit's snapshot index, or
/// `None` when the trace does something undefined on these inputs (such runs are skipped).
fn interpret(t: &Trace, slots: &mut [u64], mem: &mut [u64; BUF]) -> Option<u32> {
    let syms = symbols();
    // SAFETY: `mem` stays borrowed, and so alive and untouched by anything else, for the
    // whole run.
    let region = [unsafe { MemRegion::new(mem.as_mut_ptr() as u64, BUF * 8) }];
    match interp::run(t, slots, &Env::new(&syms).with_memory(&region)) {
        Ok(e) => Some(e.snap.0),
        Err(InterpError::DivByZero | InterpError::DivOverflow | InterpError::FpToSiOutOfRange) => None,
        Err(e) => panic!("interpreter: {e}\n{}", trace_ir::text::print(t)),
    }
}

#[test]
fn random_traces_and_loops_agree_with_the_interpreter_under_every_allocation() {
    let mut r = Rng::new(0x9e37_79b9_7f4a_7c15);
    let mut jit = X64::new();
    let (mut runs, mut exits_early) = (0, 0);
    for n in 0..600 {
        let t = generate(&mut r, 10 + n % 60, n % 2 == 1);
        let ids: Vec<(Mode, u32)> = [Mode::Shared, Mode::Spill, Mode::Scan3, Mode::Reverse]
            .iter()
            .map(|&m| (m, install(&mut jit, &t, m, &symbols())))
            .collect();
        for _ in 0..4 {
            let mut mem0 = [0u64; BUF];
            mem0.iter_mut().for_each(|m| *m = r.next_u64());
            let mut slots0 = vec![0u64; NSLOTS as usize];
            for (k, s) in slots0.iter_mut().enumerate().skip(1) {
                *s = if k == 6 {
                    (r.below(2000) as f64 - 1000.0).to_bits()
                } else {
                    [r.next_u64(), r.next_u64() % 5, 0][r.below(3)]
                };
            }
            let (mut ms, mut mm) = (slots0.clone(), mem0);
            ms[0] = mm.as_ptr() as u64;
            let Some(want) = interpret(&t, &mut ms, &mut mm) else { continue };
            if (want as usize) + 1 < t.snaps.len() {
                exits_early += 1;
            }
            for &(mode, id) in &ids {
                let (mut slots, mut mem) = (slots0.clone(), mem0);
                slots[0] = mem.as_mut_ptr() as u64;
                let e = jit.run_checked(id, &mut slots).unwrap();
                let ctx = || format!("trace {n} {mode:?}\n{}", trace_ir::text::print(&t));
                assert_eq!(e.snap.0, want, "exit; {}", ctx());
                assert_eq!(&slots[1..], &ms[1..], "slots; {}", ctx());
                assert_eq!(mem, mm, "memory; {}", ctx());
                runs += 1;
            }
        }
    }
    eprintln!("{runs} runs, {exits_early} inputs left early");
    assert!(runs > 2000 && exits_early > 100, "runs {runs}, early exits {exits_early}");
}

/// Random parents with a random side trace linked to one of their exits: the transfer block
/// writes the parent's snapshot from the parent's locations, the side trace continues.
#[test]
fn random_side_traces_linked_to_random_exits_agree_with_the_interpreter() {
    let mut r = Rng::new(0x2545_f491_4f6c_dd1d);
    let mut jit = X64::new();
    let syms = symbols();
    let mut linked_runs = 0;
    for n in 0..300 {
        let parent = generate(&mut r, 10 + n % 30, n % 3 == 0);
        let side = generate(&mut r, 5 + n % 20, false);
        let mode = [Mode::Shared, Mode::Spill, Mode::Scan3][n % 3];
        let a = install(&mut jit, &parent, mode, &syms);
        let b = install(&mut jit, &side, Mode::Shared, &syms);
        let k = r.below(parent.snaps.len()) as u32;
        jit.link_exit(a, SnapId(k), b).unwrap();
        for _ in 0..4 {
            let mut mem0 = [0u64; BUF];
            mem0.iter_mut().for_each(|m| *m = r.next_u64());
            let mut slots0 = vec![0u64; NSLOTS as usize];
            for (j, s) in slots0.iter_mut().enumerate().skip(1) {
                *s = if j == 6 {
                    (r.below(2000) as f64 - 1000.0).to_bits()
                } else {
                    [r.next_u64(), r.next_u64() % 5, 0][r.below(3)]
                };
            }
            let (mut ms, mut mm) = (slots0.clone(), mem0);
            ms[0] = mm.as_ptr() as u64;
            let Some(first) = interpret(&parent, &mut ms, &mut mm) else { continue };
            let (want_trace, want_snap) = if first == k {
                match interpret(&side, &mut ms, &mut mm) {
                    Some(s) => (b, s),
                    None => continue,
                }
            } else {
                (a, first)
            };
            let (mut slots, mut mem) = (slots0.clone(), mem0);
            slots[0] = mem.as_mut_ptr() as u64;
            let e = jit.run_checked(a, &mut slots).unwrap();
            let ctx = || {
                format!(
                    "pair {n} {mode:?} exit {k}\n{}\n--\n{}",
                    trace_ir::text::print(&parent),
                    trace_ir::text::print(&side)
                )
            };
            assert_eq!((e.trace, e.snap.0), (want_trace, want_snap), "{}", ctx());
            assert_eq!(&slots[1..], &ms[1..], "slots; {}", ctx());
            assert_eq!(mem, mm, "memory; {}", ctx());
            linked_runs += (want_trace == b) as u32;
        }
    }
    eprintln!("{linked_runs} runs went through a linked exit");
    assert!(linked_runs > 100, "{linked_runs}");
}
