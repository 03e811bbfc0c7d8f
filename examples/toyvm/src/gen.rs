//! A seeded generator of random terminating programs.
//!
//! Functions call only functions after them (so call depth is bounded by their number), loops
//! count a reserved register up to a small constant, other jumps go forward, and a cost
//! estimate keeps every program short. Errors happen on purpose, now and then: an immediate
//! near the 32-bit limits or a helper's result makes arithmetic overflow, an index past the
//! array is out of range, and a call with a huge frame offset runs out of stack.

use crate::{Asm, CodeError, Label, Opcode, FRAME_BYTES};

/// SplitMix64: small, seedable, good enough for test generation.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`; 0 gives 0).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next_u64() % n
        }
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo + 1) as u64) as i64
    }

    /// True with probability `pct` percent.
    pub fn chance(&mut self, pct: u64) -> bool {
        self.below(100) < pct
    }
}

/// A generated program and the memory it starts with.
#[derive(Clone, Debug)]
pub struct Case {
    pub seed: u64,
    pub code: Vec<u64>,
    /// Initial stack words; the outermost frame is at word 0 (its `r[0]`, `r[1]` are 0).
    pub stack: Vec<u64>,
    pub array: Vec<u64>,
}

/// General registers a function computes in (its arguments are `r2`, `r3`).
const GEN: std::ops::RangeInclusive<u8> = 2..=7;
/// Loop counter and bound registers: depth `d` uses `LOOP + 2d` and `LOOP + 2d + 1`.
const LOOP: u8 = 8;
const MAX_DEPTH: u32 = 2;
/// The usual frame offset of a call: the callee's frame starts after ours.
const FRAME: u8 = 16;
/// Stack words of every generated case.
pub const STACK_WORDS: usize = 512;
/// The most instructions (estimated) a function may run, calls included.
const BUDGET: u64 = 2500;

#[derive(Clone, Debug)]
enum Stmt {
    /// One instruction with no label.
    Plain(Opcode, u8, u8, u8, i32),
    If {
        op: Opcode,
        a: u8,
        b: u8,
        body: Vec<Stmt>,
    },
    Loop {
        depth: u8,
        n: i32,
        body: Vec<Stmt>,
    },
    Call {
        f: usize,
        frame: u8,
        args: [u8; 2],
        dst: u8,
    },
    /// `r[a] = v` unless `r[a] < r[t]`.
    Clamp {
        a: u8,
        t: u8,
        v: i32,
    },
}

struct Gen<'r> {
    rng: &'r mut Rng,
    alen: i64,
    /// Estimated cost of each function generated so far (index = function).
    costs: Vec<Option<u64>>,
}

impl Gen<'_> {
    fn g(&mut self) -> u8 {
        *GEN.start() + self.rng.below(u64::from(GEN.end() - GEN.start() + 1)) as u8
    }

    fn small(&mut self) -> i32 {
        self.rng.range(-20, 20) as i32
    }

    fn index(&mut self, stmts: &mut Vec<Stmt>, depth: u32) -> u8 {
        // In a loop, the counter is an index in range when the bound is at most alen.
        if depth > 0 && self.rng.chance(40) {
            return LOOP + 2 * (self.rng.below(u64::from(depth)) as u8);
        }
        let t = self.g();
        let k = if self.rng.chance(97) {
            self.rng.range(0, self.alen - 1)
        } else if self.rng.chance(50) {
            self.alen + self.rng.range(0, 3)
        } else {
            -1
        };
        stmts.push(Stmt::Plain(Opcode::Movi, t, 0, 0, k as i32));
        t
    }

    /// Appends one statement costing at most `room`; returns its cost.
    fn stmt(&mut self, f: usize, nfuncs: usize, depth: u32, room: u64, out: &mut Vec<Stmt>) -> u64 {
        let roll = self.rng.below(100);
        match roll {
            0..=11 => {
                let imm = if self.rng.chance(4) {
                    if self.rng.chance(50) {
                        i32::MAX - self.rng.range(0, 3) as i32
                    } else {
                        i32::MIN + self.rng.range(0, 3) as i32
                    }
                } else {
                    self.small()
                };
                let a = self.g();
                out.push(Stmt::Plain(Opcode::Movi, a, 0, 0, imm));
                1
            }
            12..=17 => {
                let (a, b) = (self.g(), self.g());
                out.push(Stmt::Plain(Opcode::Mov, a, b, 0, 0));
                1
            }
            18..=37 => {
                let op = [Opcode::Add, Opcode::Sub, Opcode::Mul, Opcode::Add][self.rng.below(4) as usize];
                let (a, b, c) = (self.g(), self.g(), self.g());
                out.push(Stmt::Plain(op, a, b, c, 0));
                1
            }
            38..=45 => {
                let (a, b) = (self.g(), self.g());
                let imm = self.small();
                out.push(Stmt::Plain(Opcode::Addi, a, b, 0, imm));
                1
            }
            46..=49 => {
                let (a, b, c) = (self.g(), self.g(), self.g());
                out.push(Stmt::Plain(Opcode::Hash, a, b, c, 0));
                // Keep the huge result from overflowing everything after it, mostly.
                if self.rng.chance(85) {
                    let sh = self.g();
                    out.push(Stmt::Plain(Opcode::Movi, sh, 0, 0, 0xffff));
                    let v = self.rng.range(0, 0xffff) as i32;
                    out.push(Stmt::Clamp { a, t: sh, v });
                    return 4;
                }
                1
            }
            50..=59 => {
                let idx = self.index(out, depth);
                let a = self.g();
                out.push(Stmt::Plain(Opcode::Load, a, idx, 0, 0));
                2
            }
            60..=69 => {
                let idx = self.index(out, depth);
                let b = self.g();
                out.push(Stmt::Plain(Opcode::Store, idx, b, 0, 0));
                2
            }
            70..=79 if room > 20 => {
                let op = [Opcode::Jlt, Opcode::Jeq, Opcode::Jne][self.rng.below(3) as usize];
                let (a, b) = (self.g(), self.g());
                let mut body = Vec::new();
                let mut cost = 1;
                for _ in 0..self.rng.range(1, 3) {
                    cost += self.stmt(f, nfuncs, depth, (room - cost) / 2, &mut body);
                }
                out.push(Stmt::If { op, a, b, body });
                cost
            }
            80..=89 if depth < MAX_DEPTH && room > 40 => {
                let n = self.rng.range(1, self.alen.min(6)) as i32;
                let per = (room - 4) / n as u64;
                let mut body = Vec::new();
                let mut cost = 0;
                for _ in 0..self.rng.range(1, 4) {
                    if cost + 2 < per {
                        cost += self.stmt(f, nfuncs, depth + 1, per - cost - 2, &mut body);
                    }
                }
                out.push(Stmt::Loop { depth: depth as u8, n, body });
                2 + n as u64 * (cost + 2)
            }
            90..=99 => {
                let callable: Vec<usize> =
                    (f + 1..nfuncs).filter(|&g| self.costs[g].is_some_and(|c| c + 6 <= room)).collect();
                if callable.is_empty() {
                    out.push(Stmt::Plain(Opcode::Addi, self.g(), self.g(), 0, 1));
                    return 1;
                }
                let callee = callable[self.rng.below(callable.len() as u64) as usize];
                // A frame at r250 leaves too little stack for any call under it.
                let frame = if self.rng.chance(6) { 250 } else { FRAME };
                let args = [self.g(), self.g()];
                let dst = self.g();
                out.push(Stmt::Call { f: callee, frame, args, dst });
                self.costs[callee].unwrap_or(0) + 6
            }
            _ => {
                let (a, b) = (self.g(), self.g());
                out.push(Stmt::Plain(Opcode::Addi, a, b, 0, 1));
                1
            }
        }
    }
}

fn emit(a: &mut Asm, funcs: &[Label], s: &Stmt) {
    match *s {
        Stmt::Plain(op, x, y, z, imm) => a.insn(op, x, y, z, imm),
        Stmt::Clamp { a: x, t, v } => {
            let skip = a.label();
            a.jlt(x, t, skip);
            a.movi(x, v);
            a.bind(skip);
        }
        Stmt::If { op, a: x, b: y, ref body } => {
            let skip = a.label();
            match op {
                Opcode::Jlt => a.jlt(x, y, skip),
                Opcode::Jeq => a.jeq(x, y, skip),
                _ => a.jne(x, y, skip),
            }
            for s in body {
                emit(a, funcs, s);
            }
            a.bind(skip);
        }
        Stmt::Loop { depth, n, ref body } => {
            let (c, m) = (LOOP + 2 * depth, LOOP + 2 * depth + 1);
            a.movi(c, 0);
            a.movi(m, n);
            let top = a.label();
            a.bind(top);
            for s in body {
                emit(a, funcs, s);
            }
            a.addi(c, c, 1);
            a.jlt(c, m, top);
        }
        Stmt::Call { f, frame, args, dst } => {
            a.mov(frame + 2, args[0]);
            a.mov(frame + 3, args[1]);
            a.call(frame, funcs[f]);
            a.mov(dst, frame);
        }
    }
}

/// A random terminating program from `seed`.
pub fn generate(seed: u64) -> Result<Case, CodeError> {
    let mut rng = Rng::new(seed);
    let alen = rng.range(1, 16);
    let nfuncs = rng.range(1, 4) as usize;
    let mut g = Gen { rng: &mut rng, alen, costs: vec![None; nfuncs] };
    let mut bodies = vec![Vec::new(); nfuncs];
    let mut rets = vec![0u8; nfuncs];
    for f in (0..nfuncs).rev() {
        let mut body = Vec::new();
        let mut cost = 1;
        for _ in 0..g.rng.range(3, 14) {
            if cost < BUDGET {
                cost += g.stmt(f, nfuncs, 0, BUDGET - cost, &mut body);
            }
        }
        g.costs[f] = Some(cost);
        bodies[f] = body;
        rets[f] = g.g();
    }
    let mut a = Asm::new();
    let funcs: Vec<Label> = (0..nfuncs).map(|_| a.label()).collect();
    for f in 0..nfuncs {
        a.bind(funcs[f]);
        for s in &bodies[f] {
            emit(&mut a, &funcs, s);
        }
        a.ret(rets[f]);
    }
    let code = a.finish()?;
    let mut stack: Vec<u64> = (0..STACK_WORDS).map(|_| rng.range(-9, 9) as u64).collect();
    stack[0] = 0;
    stack[1] = 0;
    let array = (0..alen).map(|_| rng.range(-100, 100) as u64).collect();
    debug_assert!(STACK_WORDS as u64 * 8 >= FRAME_BYTES);
    Ok(Case { seed, code, stack, array })
}
