//! Seeded random traces that pass the verifier, for property and differential tests.
//!
//! A generated trace never does anything undefined: divisors are forced into `1..=127`,
//! `fptosi` only sees values known to be in range (or guarded to be), memory is touched only
//! inside the case's buffers at constant displacements from their base pointers, and loops
//! are bounded by a counter guard. It is the same trace for the same seed on every machine:
//! the generator draws from its own splitmix64 stream and never iterates a hash map or
//! computes a float.
//!
//! Slot layout of a case: first one slot per buffer holding its base address, then one slot
//! per called-through-pointer helper holding the function's address (both filled in by
//! `GenCase::setup`), then the data slots, which hold the inputs and which the snapshots
//! write. Pointers never mix with data, so the data slots after a run do not depend on where
//! the buffers happen to be.

use crate::interp::MemRegion;
use crate::ir::*;
use crate::symbols::Symbols;
use crate::types::Type;
use std::collections::BTreeMap;

/// What kinds of instructions to generate.
#[derive(Clone, Debug)]
pub struct GenConfig {
    /// About how many positioned instructions to generate.
    pub ops: usize,
    pub loops: bool,
    pub calls: bool,
    pub memory: bool,
    pub floats: bool,
    pub guards: bool,
    /// The loop runs at most this many iterations.
    pub max_iters: u32,
}

impl Default for GenConfig {
    fn default() -> Self {
        GenConfig {
            ops: 40,
            loops: true,
            calls: true,
            memory: true,
            floats: true,
            guards: true,
            max_iters: 6,
        }
    }
}

impl GenConfig {
    pub fn with_ops(ops: usize) -> GenConfig {
        GenConfig { ops, ..GenConfig::default() }
    }
}

/// A memory buffer a case needs.
#[derive(Clone, Debug, PartialEq)]
pub struct GenBuffer {
    /// The slot that holds the buffer's base address.
    pub slot: u32,
    /// Its initial contents (the length is its size).
    pub init: Vec<u8>,
    /// Read only through `imm` loads and never written.
    pub imm: bool,
}

/// A generated trace with what it needs to run.
#[derive(Clone, Debug)]
pub struct GenCase {
    pub seed: u64,
    pub trace: Trace,
    /// The slots at entry; buffer and function slots hold 0 until `setup` fills them.
    pub slots: Vec<u64>,
    pub buffers: Vec<GenBuffer>,
    /// Slots that must hold the address of a `helper_symbols` function, by name.
    pub fn_slots: Vec<(u32, String)>,
    /// The first data slot; the ones before hold addresses.
    pub data_start: u32,
    /// A step limit no run of the trace reaches.
    pub step_limit: u64,
}

/// Memory for a test run: 8-aligned buffers that stay at one address while the value lives,
/// and can be put back to their initial bytes, so that several engines (or passes) run on the
/// same memory at the same addresses and their results compare byte for byte.
#[derive(Debug)]
pub struct Buffers {
    bufs: Vec<Box<[u64]>>,
    init: Vec<Vec<u8>>,
}

impl Buffers {
    /// One buffer per initial contents, already filled.
    pub fn new(init: Vec<Vec<u8>>) -> Buffers {
        let bufs = init.iter().map(|b| vec![0u64; b.len().div_ceil(8)].into_boxed_slice()).collect();
        let mut me = Buffers { bufs, init };
        me.reset();
        me
    }

    /// The address of buffer `i`.
    pub fn base(&mut self, i: usize) -> u64 {
        self.bufs[i].as_mut_ptr() as u64
    }

    /// One region per buffer, in buffer order.
    pub fn regions(&mut self) -> Vec<MemRegion<'static>> {
        self.bufs
            .iter_mut()
            .zip(&self.init)
            .map(|(b, init)| {
                // SAFETY: the boxes are allocated once and never resized or freed while
                // `self` lives; callers run traces only while they do not hold references
                // into them (`bytes`/`contents`/`reset` happen between runs).
                unsafe { MemRegion::new(b.as_mut_ptr() as u64, init.len()) }
            })
            .collect()
    }

    /// The current contents of buffer `i`.
    pub fn bytes(&self, i: usize) -> Vec<u8> {
        self.bufs[i].iter().flat_map(|w| w.to_ne_bytes()).take(self.init[i].len()).collect()
    }

    /// All buffers' contents, for comparing runs.
    pub fn contents(&self) -> Vec<Vec<u8>> {
        (0..self.bufs.len()).map(|i| self.bytes(i)).collect()
    }

    /// Puts the initial contents back, so that the next run sees the same memory at the same
    /// addresses.
    pub fn reset(&mut self) {
        for (b, init) in self.bufs.iter_mut().zip(&self.init) {
            for (w, chunk) in b.iter_mut().zip(init.chunks(8)) {
                let mut bytes = [0u8; 8];
                bytes[..chunk.len()].copy_from_slice(chunk);
                *w = u64::from_ne_bytes(bytes);
            }
        }
    }
}

impl GenCase {
    /// Allocates the buffers and returns the entry slots with every address slot filled in.
    pub fn setup(&self) -> (Vec<u64>, Buffers) {
        let mut mem = Buffers::new(self.buffers.iter().map(|g| g.init.clone()).collect());
        let mut slots = self.slots.clone();
        for (i, g) in self.buffers.iter().enumerate() {
            slots[g.slot as usize] = mem.base(i);
        }
        let syms = helper_symbols();
        for (slot, name) in &self.fn_slots {
            slots[*slot as usize] = syms.addr(name).unwrap_or(0);
        }
        (slots, mem)
    }
}

/// splitmix64: small, fast and the same everywhere.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x5eed_0f7a_ce00_u64)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (((self.next_u64() >> 32) * n as u64) >> 32) as usize
    }

    /// True with probability `num / den`.
    pub fn chance(&mut self, num: u32, den: u32) -> bool {
        self.below(den as usize) < num as usize
    }

    pub fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[self.below(xs.len())]
    }
}

// The helper functions generated traces call. Unsigned parameter types match the canonical
// zero-extended form integers have in the IR. Each model runs the very same Rust code as the
// native function, and every f64 result goes through `canonical_nan`: when two NaNs meet in
// an add, which payload comes out depends on the operand order the compiler picked for that
// copy of the code (LLVM may commute), so without it the two copies could disagree on the
// bits, and a differential failure would not mean a JIT bug.

/// The quiet NaN every helper returns in place of any NaN.
pub const CANONICAL_NAN: u64 = 0x7ff8_0000_0000_0000;

/// `x`, or the canonical quiet NaN when `x` is any NaN.
pub fn canonical_nan(x: f64) -> f64 {
    if x.is_nan() {
        f64::from_bits(CANONICAL_NAN)
    } else {
        x
    }
}

fn add3(a: u64, b: u64, c: u64) -> u64 {
    a.wrapping_add(b).wrapping_add(c)
}

fn mix(a: u64, x: f64, b: u32) -> f64 {
    canonical_nan(x * 0.5 + a as i64 as f64 - b as i32 as f64)
}

fn fpoly(x: f64, y: f64) -> f64 {
    canonical_nan(x * y + 0.25)
}

fn hash32(a: u32, b: u16) -> u32 {
    a.rotate_left(5) ^ (b as u32).wrapping_mul(0x9e37)
}

#[allow(clippy::too_many_arguments)]
fn many12(
    a0: u64,
    a1: u32,
    a2: f64,
    a3: u16,
    a4: u64,
    a5: u8,
    a6: f64,
    a7: u64,
    a8: u32,
    a9: u64,
    a10: f64,
    a11: u64,
) -> u64 {
    let ints = [a0, a1 as u64, a3 as u64, a4, a5 as u64, a7, a8 as u64, a9, a11];
    let mut r = 0u64;
    for (k, x) in ints.iter().enumerate() {
        r = r.wrapping_mul(31).wrapping_add(x.wrapping_mul(2 * k as u64 + 1));
    }
    r ^ a2.to_bits().rotate_left(1) ^ a6.to_bits().rotate_left(2) ^ a10.to_bits().rotate_left(3)
}

#[allow(clippy::too_many_arguments)]
fn many12f(
    a0: f64,
    a1: u64,
    a2: f64,
    a3: f64,
    a4: f64,
    a5: f64,
    a6: f64,
    a7: u32,
    a8: f64,
    a9: f64,
    a10: f64,
    a11: f64,
) -> f64 {
    let fs = [a0, a2, a3, a4, a5, a6, a8, a9, a10, a11];
    let mut r = a1 as i64 as f64 - a7 as i32 as f64;
    for (k, x) in fs.iter().enumerate() {
        r = r * 0.5 + x * (k + 1) as f64;
    }
    canonical_nan(r)
}

/// Three i64 arguments, wrapping sum.
pub extern "C" fn tracery_add3(a: u64, b: u64, c: u64) -> u64 {
    add3(a, b, c)
}

/// Mixed i64, f64 and i32 arguments, f64 result.
pub extern "C" fn tracery_mix(a: u64, x: f64, b: u32) -> f64 {
    mix(a, x, b)
}

pub extern "C" fn tracery_fpoly(x: f64, y: f64) -> f64 {
    fpoly(x, y)
}

/// Narrow integer arguments and result.
pub extern "C" fn tracery_hash32(a: u32, b: u16) -> u32 {
    hash32(a, b)
}

/// Nine integer and three float arguments: integer arguments on the stack on both ABIs.
#[allow(clippy::too_many_arguments)]
pub extern "C" fn tracery_many12(
    a0: u64,
    a1: u32,
    a2: f64,
    a3: u16,
    a4: u64,
    a5: u8,
    a6: f64,
    a7: u64,
    a8: u32,
    a9: u64,
    a10: f64,
    a11: u64,
) -> u64 {
    many12(a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11)
}

/// Ten float and two integer arguments: float arguments on the stack on both ABIs.
#[allow(clippy::too_many_arguments)]
pub extern "C" fn tracery_many12f(
    a0: f64,
    a1: u64,
    a2: f64,
    a3: f64,
    a4: f64,
    a5: f64,
    a6: f64,
    a7: u32,
    a8: f64,
    a9: f64,
    a10: f64,
    a11: f64,
) -> f64 {
    many12f(a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11)
}

/// Returns nothing and does nothing observable; calls to it are effect `Any`.
pub extern "C" fn tracery_sink(a: u64) {
    std::hint::black_box(a);
}

use Type::{F64, I16, I32, I64, I8};

/// The signature of each helper: name, argument types, result type.
const HELPERS: &[(&str, &[Type], Option<Type>)] = &[
    ("tracery_add3", &[I64, I64, I64], Some(I64)),
    ("tracery_mix", &[I64, F64, I32], Some(F64)),
    ("tracery_fpoly", &[F64, F64], Some(F64)),
    ("tracery_hash32", &[I32, I16], Some(I32)),
    ("tracery_many12", &[I64, I32, F64, I16, I64, I8, F64, I64, I32, I64, F64, I64], Some(I64)),
    ("tracery_many12f", &[F64, I64, F64, F64, F64, F64, F64, I32, F64, F64, F64, F64], Some(F64)),
    ("tracery_sink", &[I64], None),
];

/// The arguments a model got, padded with zeros: a malformed call with too few arguments
/// gets a wrong answer from the reference interpreter, not a panic.
fn padded(a: &[u64]) -> [u64; 12] {
    let mut p = [0u64; 12];
    for (d, s) in p.iter_mut().zip(a) {
        *d = *s;
    }
    p
}

/// The helper functions of `HELPERS`, with their real addresses and their models.
pub fn helper_symbols() -> Symbols {
    let f = f64::from_bits;
    let mut s = Symbols::new();
    s.define("tracery_add3", tracery_add3 as *const () as usize as u64, |a| {
        let a = &padded(a);
        add3(a[0], a[1], a[2])
    });
    s.define("tracery_mix", tracery_mix as *const () as usize as u64, move |a| {
        let a = &padded(a);
        mix(a[0], f(a[1]), a[2] as u32).to_bits()
    });
    s.define("tracery_fpoly", tracery_fpoly as *const () as usize as u64, move |a| {
        let a = &padded(a);
        fpoly(f(a[0]), f(a[1])).to_bits()
    });
    s.define("tracery_hash32", tracery_hash32 as *const () as usize as u64, |a| {
        let a = &padded(a);
        hash32(a[0] as u32, a[1] as u16) as u64
    });
    s.define("tracery_many12", tracery_many12 as *const () as usize as u64, move |a| {
        let a = &padded(a);
        many12(
            a[0],
            a[1] as u32,
            f(a[2]),
            a[3] as u16,
            a[4],
            a[5] as u8,
            f(a[6]),
            a[7],
            a[8] as u32,
            a[9],
            f(a[10]),
            a[11],
        )
    });
    s.define("tracery_many12f", tracery_many12f as *const () as usize as u64, move |a| {
        let a = &padded(a);
        many12f(
            f(a[0]),
            a[1],
            f(a[2]),
            f(a[3]),
            f(a[4]),
            f(a[5]),
            f(a[6]),
            a[7] as u32,
            f(a[8]),
            f(a[9]),
            f(a[10]),
            f(a[11]),
        )
        .to_bits()
    });
    s.define("tracery_sink", tracery_sink as *const () as usize as u64, |_| 0);
    s
}

/// Size of every generated buffer.
const BUF_LEN: i32 = 64;

/// A pointer the generator may load or store through: `base + off` is the buffer start.
#[derive(Clone, Copy)]
struct Ptr {
    value: Value,
    /// Where the pointer points, as an offset into its buffer.
    off: i32,
    buf: usize,
}

/// A minimal builder (the shared one hides its trace until it is finished).
struct TB {
    t: Trace,
    consts: BTreeMap<(Type, u64), Value>,
}

impl TB {
    fn push(&mut self, op: Op, ty: Option<Type>) -> Value {
        let v = Value(self.t.insts.len() as u32);
        self.t.insts.push(Inst { op, ty, name: None });
        v
    }

    fn ty(&self, v: Value) -> Type {
        self.t.insts[v.index()].ty.unwrap_or(I64)
    }

    fn input(&mut self, slot: u32, ty: Type) -> Value {
        self.push(Op::Input { slot }, Some(ty))
    }

    fn konst(&mut self, ty: Type, bits: u64) -> Value {
        let bits = bits & ty.mask();
        if let Some(&v) = self.consts.get(&(ty, bits)) {
            return v;
        }
        let v = self.push(Op::Const { bits }, Some(ty));
        self.consts.insert((ty, bits), v);
        v
    }

    fn iconst(&mut self, ty: Type, x: i64) -> Value {
        self.konst(ty, x as u64)
    }

    fn fconst(&mut self, x: f64) -> Value {
        self.konst(F64, x.to_bits())
    }

    fn bin(&mut self, op: BinOp, a: Value, b: Value) -> Value {
        let ty = self.ty(a);
        self.push(Op::Bin(op, a, b), Some(ty))
    }

    fn un(&mut self, op: UnOp, a: Value) -> Value {
        let ty = self.ty(a);
        self.push(Op::Un(op, a), Some(ty))
    }

    fn ovf(&mut self, op: OvfOp, a: Value, b: Value, s: SnapId) -> Value {
        let ty = self.ty(a);
        self.push(Op::Ovf(op, a, b, s), Some(ty))
    }

    fn icmp(&mut self, c: ICmp, a: Value, b: Value) -> Value {
        self.push(Op::ICmp(c, a, b), Some(Type::I1))
    }

    fn fcmp(&mut self, c: FCmp, a: Value, b: Value) -> Value {
        self.push(Op::FCmp(c, a, b), Some(Type::I1))
    }

    fn select(&mut self, c: Value, a: Value, b: Value) -> Value {
        let ty = self.ty(a);
        self.push(Op::Select(c, a, b), Some(ty))
    }

    fn conv(&mut self, c: Conv, a: Value, to: Type) -> Value {
        self.push(Op::Conv(c, a), Some(to))
    }

    fn load(&mut self, ty: Type, base: Value, disp: i32, imm: bool) -> Value {
        self.push(Op::Load { base, disp, imm, mem: MemClass::Any }, Some(ty))
    }

    fn store(&mut self, base: Value, disp: i32, value: Value) {
        self.push(Op::Store { base, disp, value, mem: MemClass::Any }, None);
    }

    fn call(&mut self, ret: Option<Type>, callee: Callee, args: &[Value], effect: CallEffect) -> Value {
        self.push(Op::Call { callee, args: args.to_vec(), effect, hint: CallHint::None }, ret)
    }

    fn snapshot(&mut self, resume: u64, entries: &[(u32, Value)]) -> SnapId {
        let mut entries = entries.to_vec();
        entries.sort_by_key(|e| e.0);
        self.t.snaps.push(Snapshot { resume, entries, to: SnapTo::Host });
        SnapId(self.t.snaps.len() as u32 - 1)
    }

    fn guard(&mut self, cond: Value, snap: SnapId) {
        self.push(Op::Guard { cond, expect: true, snap }, None);
    }

    fn guard_not(&mut self, cond: Value, snap: SnapId) {
        self.push(Op::Guard { cond, expect: false, snap }, None);
    }

    fn begin_loop(&mut self, inits: &[Value]) -> Vec<Value> {
        self.t.loop_start = Some(self.t.insts.len());
        self.t.loop_inits = inits.to_vec();
        inits
            .iter()
            .enumerate()
            .map(|(i, &v)| {
                let ty = self.ty(v);
                self.push(Op::LoopParam { index: i as u32 }, Some(ty))
            })
            .collect()
    }
}

struct Gen<'c> {
    rng: Rng,
    cfg: &'c GenConfig,
    b: TB,
    /// Values usable as operands, by `Type::ALL` index.
    pool: [Vec<Value>; 6],
    ptrs: Vec<Ptr>,
    imm_buf: Option<usize>,
    fn_ptrs: Vec<(Value, usize)>,
    data_slots: (u32, u32),
    last_snap: Option<SnapId>,
    /// Guards emitted so far: condition and expectation.
    guards: Vec<(Value, bool)>,
    /// Instructions emitted so far that may be repeated (pure ops, loads, calls that write
    /// nothing), for CSE and forwarding to find.
    pure: Vec<(Op, Option<Type>)>,
    /// Stores emitted so far: buffer, offset in it, type.
    stores: Vec<(usize, i32, Type)>,
    emitted: usize,
}

fn tix(t: Type) -> usize {
    t as usize
}

impl Gen<'_> {
    fn add(&mut self, v: Value, t: Type) {
        self.pool[tix(t)].push(v);
    }

    fn int_type(&mut self) -> Type {
        self.rng.pick(&[I8, I16, I32, I64, I64, I32])
    }

    fn value_type(&mut self) -> Type {
        if self.cfg.floats && self.rng.chance(1, 4) {
            F64
        } else {
            self.int_type()
        }
    }

    fn interesting_int(&mut self, t: Type) -> u64 {
        let bits = t.bits();
        let r = match self.rng.below(10) {
            0 => 0,
            1 => 1,
            2 => u64::MAX,
            3 => 1u64 << (bits - 1),
            4 => (1u64 << (bits - 1)).wrapping_sub(1),
            5 | 6 => self.rng.below(16) as u64,
            7 => (self.rng.below(16) as u64).wrapping_neg(),
            _ => self.rng.next_u64(),
        };
        r & t.mask()
    }

    fn interesting_f64(&mut self) -> u64 {
        let x = match self.rng.below(12) {
            0 => 0.0,
            1 => -0.0,
            2 => 1.0,
            3 => -1.5,
            4 => 1e300,
            5 => f64::INFINITY,
            6 => f64::NEG_INFINITY,
            7 => f64::NAN,
            8 => 5e-324,
            9 => return self.rng.next_u64(),
            _ => (self.rng.below(129) as i64 - 64) as f64 / 8.0,
        };
        x.to_bits()
    }

    fn konst(&mut self, t: Type) -> Value {
        let bits = if t == F64 { self.interesting_f64() } else { self.interesting_int(t) };
        self.b.konst(t, bits)
    }

    /// An operand of type `t`: mostly a recent or random pool value, sometimes a constant.
    fn operand(&mut self, t: Type) -> Value {
        let n = self.pool[tix(t)].len();
        if n == 0 || self.rng.chance(1, 6) {
            return self.konst(t);
        }
        let i = if self.rng.chance(1, 2) { n - 1 - self.rng.below(n.min(6)) } else { self.rng.below(n) };
        self.pool[tix(t)][i]
    }

    fn cond(&mut self) -> Value {
        if !self.pool[0].is_empty() && self.rng.chance(1, 2) {
            return self.operand(Type::I1);
        }
        self.compare()
    }

    fn compare(&mut self) -> Value {
        if self.cfg.floats && self.rng.chance(1, 4) {
            let c = self.rng.pick(&FCmp::ALL);
            let (a, b) = (self.operand(F64), self.operand(F64));
            self.b.fcmp(c, a, b)
        } else {
            let t = self.int_type();
            let c = self.rng.pick(&ICmp::ALL);
            let a = self.operand(t);
            let b = if self.rng.chance(1, 10) { a } else { self.operand(t) };
            self.b.icmp(c, a, b)
        }
    }

    /// A snapshot over a few data slots, or the last one again.
    fn snapshot(&mut self) -> SnapId {
        if let Some(s) = self.last_snap {
            if self.rng.chance(1, 4) {
                return s;
            }
        }
        let (lo, hi) = self.data_slots;
        let mut entries: Vec<(u32, Value)> = Vec::new();
        for _ in 0..1 + self.rng.below(4) {
            let slot = lo + self.rng.below((hi - lo) as usize) as u32;
            if entries.iter().any(|e| e.0 == slot) {
                continue;
            }
            let t = if self.rng.chance(1, 8) { Type::I1 } else { self.value_type() };
            let v = self.operand(t);
            entries.push((slot, v));
        }
        let resume = self.rng.below(1000) as u64;
        let s = self.b.snapshot(resume, &entries);
        self.last_snap = Some(s);
        s
    }

    fn guard(&mut self) {
        let (cond, expect) = match self.rng.below(10) {
            // Likely to hold: a value is rarely equal to a random 64-bit constant.
            0..=5 => {
                let t = self.int_type();
                let a = self.operand(t);
                let k = self.b.konst(t, self.rng.next_u64());
                let eq = self.rng.chance(1, 2);
                (self.b.icmp(if eq { ICmp::Eq } else { ICmp::Ne }, a, k), !eq)
            }
            6..=7 if !self.guards.is_empty() => {
                let g = self.rng.pick(&self.guards);
                (g.0, g.1)
            }
            _ => (self.cond(), self.rng.chance(1, 2)),
        };
        let s = self.snapshot();
        if expect {
            self.b.guard(cond, s);
        } else {
            self.b.guard_not(cond, s);
        }
        self.guards.push((cond, expect));
    }

    fn int_bin(&mut self) {
        let t = self.int_type();
        // `BinOp::ALL` and `UnOp::ALL` list the integer ops before the float ones.
        let op = self.rng.pick(&BinOp::ALL[..13]);
        let a = self.operand(t);
        let mut b = if self.rng.chance(1, 12) { a } else { self.operand(t) };
        if op.is_division() {
            // Divisors in 1..=127: never zero, never -1.
            let m = self.b.konst(t, 0x7f);
            let one = self.b.konst(t, 1);
            let masked = self.b.bin(BinOp::And, b, m);
            b = self.b.bin(BinOp::Or, masked, one);
        }
        let v = self.b.bin(op, a, b);
        self.add(v, t);
    }

    fn float_op(&mut self) {
        let v = if self.rng.chance(2, 3) {
            let op = self.rng.pick(&BinOp::ALL[13..]);
            let (a, b) = (self.operand(F64), self.operand(F64));
            self.b.bin(op, a, b)
        } else {
            let op = self.rng.pick(&UnOp::ALL[2..]);
            let a = self.operand(F64);
            self.b.un(op, a)
        };
        self.add(v, F64);
    }

    fn int_un(&mut self) {
        let t = self.int_type();
        let a = self.operand(t);
        let v = self.b.un(self.rng.pick(&UnOp::ALL[..2]), a);
        self.add(v, t);
    }

    fn ovf(&mut self) {
        let t = self.int_type();
        let (a, b) = (self.operand(t), self.operand(t));
        let s = self.snapshot();
        let v = self.b.ovf(self.rng.pick(&OvfOp::ALL), a, b, s);
        self.add(v, t);
    }

    fn select(&mut self) {
        let t = if self.rng.chance(1, 8) { Type::I1 } else { self.value_type() };
        let c = self.cond();
        let (a, b) = (self.operand(t), self.operand(t));
        let v = self.b.select(c, a, b);
        self.add(v, t);
    }

    fn conv(&mut self) {
        match self.rng.below(if self.cfg.floats { 6 } else { 3 }) {
            0 | 1 => {
                let i = self.rng.below(4);
                let j = i + 1 + self.rng.below(4 - i);
                let (from, to) = (Type::INTS[i], Type::INTS[j]);
                let a = self.operand(from);
                let c = if self.rng.chance(1, 2) { Conv::ZExt } else { Conv::SExt };
                let v = self.b.conv(c, a, to);
                self.add(v, to);
            }
            2 => {
                let j = self.rng.below(4);
                let i = j + 1 + self.rng.below(4 - j);
                let (from, to) = (Type::INTS[i], Type::INTS[j]);
                let a = self.operand(from);
                let v = self.b.conv(Conv::Trunc, a, to);
                self.add(v, to);
            }
            3 => {
                let t = self.int_type();
                let a = self.operand(t);
                let v = self.b.conv(Conv::SIToFP, a, F64);
                self.add(v, F64);
                self.fptosi(t, v);
            }
            4 => {
                if self.rng.chance(1, 2) {
                    let a = self.operand(I64);
                    let v = self.b.conv(Conv::Bitcast, a, F64);
                    self.add(v, F64);
                } else {
                    let a = self.operand(F64);
                    let v = self.b.conv(Conv::Bitcast, a, I64);
                    self.add(v, I64);
                }
            }
            _ => self.guarded_fptosi(),
        }
    }

    /// `fptosi` of `x * c` with |c| < 1, where `x` is `sitofp` of a `t`: always in range.
    fn fptosi(&mut self, t: Type, x: Value) {
        let c = self.rng.pick(&[0.5, 0.75, -0.5, 0.25, -0.75]);
        let c = self.b.fconst(c);
        let y = self.b.bin(BinOp::FMul, x, c);
        let v = self.b.conv(Conv::FPToSI, y, t);
        self.add(v, t);
    }

    /// `fptosi` of any f64, after a guard that its magnitude is below 1e9 (NaN fails).
    fn guarded_fptosi(&mut self) {
        let x = self.operand(F64);
        let a = self.b.un(UnOp::FAbs, x);
        let lim = self.b.fconst(1e9);
        let ok = self.b.fcmp(FCmp::Lt, a, lim);
        let s = self.snapshot();
        self.b.guard(ok, s);
        self.guards.push((ok, true));
        let t = self.rng.pick(&[I32, I64]);
        let v = self.b.conv(Conv::FPToSI, x, t);
        self.add(v, t);
    }

    fn mem_type(&mut self) -> Type {
        if self.cfg.floats && self.rng.chance(1, 5) {
            F64
        } else {
            self.int_type()
        }
    }

    /// A displacement from `p` that keeps `bytes` bytes inside its buffer.
    fn disp(&mut self, p: Ptr, bytes: i32) -> i32 {
        // Half the accesses go to a few hot addresses, so that they overlap often.
        let at = if self.rng.chance(1, 2) {
            self.rng.pick(&[0, 4, 8, 16])
        } else {
            self.rng.below((BUF_LEN - bytes + 1) as usize) as i32
        };
        at - p.off
    }

    fn derived_ptr(&mut self) {
        let p = self.rng.pick(&self.ptrs);
        let k = 8 * (1 + self.rng.below(4) as i32);
        let kv = self.b.iconst(I64, k as i64);
        let v = self.b.bin(BinOp::Add, p.value, kv);
        self.ptrs.push(Ptr { value: v, off: p.off + k, buf: p.buf });
    }

    /// A pointer into buffer `buf` (any of them, derived ones included).
    fn ptr_into(&mut self, buf: usize) -> Ptr {
        let ps: Vec<Ptr> = self.ptrs.iter().copied().filter(|p| p.buf == buf).collect();
        self.rng.pick(&ps)
    }

    /// Where to access: often a place stored to before, through any pointer to its buffer,
    /// so that forwarding and its alias rules get exercised.
    fn place(&mut self, writable: bool) -> Option<(Ptr, i32, Type)> {
        if !self.stores.is_empty() && self.rng.chance(2, 5) {
            let (buf, at, t) = self.rng.pick(&self.stores);
            let p = self.ptr_into(buf);
            return Some((p, at - p.off, t));
        }
        let ps: Vec<Ptr> =
            self.ptrs.iter().copied().filter(|p| !writable || Some(p.buf) != self.imm_buf).collect();
        if ps.is_empty() {
            return None;
        }
        let p = self.rng.pick(&ps);
        let t = self.mem_type();
        Some((p, self.disp(p, t.bytes() as i32), t))
    }

    fn load(&mut self) {
        let Some((p, disp, t)) = self.place(false) else { return };
        let imm = Some(p.buf) == self.imm_buf;
        let v = self.b.load(t, p.value, disp, imm);
        self.add(v, t);
    }

    fn store(&mut self) {
        let Some((p, disp, t)) = self.place(true) else { return };
        let v = self.operand(t);
        self.b.store(p.value, disp, v);
        self.stores.push((p.buf, p.off + disp, t));
    }

    fn call(&mut self) {
        let h = self.rng.below(HELPERS.len());
        let (name, args, ret) = HELPERS[h];
        let args: Vec<Value> = args.iter().map(|&t| self.operand(t)).collect();
        let callee = match self.fn_ptrs.iter().find(|f| f.1 == h) {
            Some(&(v, _)) if self.rng.chance(1, 3) => Callee::Value(v),
            _ => Callee::Symbol(name.to_string()),
        };
        let effect = if ret.is_none() {
            CallEffect::Any
        } else {
            self.rng.pick(&[CallEffect::Any, CallEffect::ReadOnly, CallEffect::Pure, CallEffect::Pure])
        };
        let v = self.b.call(ret, callee, &args, effect);
        if let Some(t) = ret {
            self.add(v, t);
        }
    }

    /// Re-emits an earlier instruction that has no side effect.
    fn repeat(&mut self) {
        if self.pure.is_empty() {
            return;
        }
        let (op, ty) = self.pure[self.rng.below(self.pure.len())].clone();
        let v = self.b.push(op, ty);
        if let Some(t) = ty {
            self.add(v, t);
        }
    }

    /// One random instruction (or a few that belong together).
    fn step(&mut self) {
        let before = self.b_len();
        let k = self.rng.below(100);
        match k {
            0..=16 => self.int_bin(),
            17..=21 => self.int_un(),
            22..=28 => {
                let c = self.compare();
                self.add(c, Type::I1);
            }
            29..=33 => self.select(),
            34..=41 => self.conv(),
            42..=49 if self.cfg.floats => self.float_op(),
            50..=57 if self.cfg.guards => self.guard(),
            58..=60 if self.cfg.guards => self.ovf(),
            61..=72 if self.cfg.memory => self.load(),
            73..=83 if self.cfg.memory => self.store(),
            84..=85 if self.cfg.memory => self.derived_ptr(),
            86..=92 if self.cfg.calls => self.call(),
            93..=99 => self.repeat(),
            _ => self.int_bin(),
        }
        // Remember what may be repeated.
        for i in before..self.b_len() {
            let (op, ty) = self.b_inst(i);
            if !op.is_positionless() {
                self.emitted += 1;
            }
            let again = match &op {
                Op::Bin(..) | Op::Un(..) | Op::ICmp(..) | Op::FCmp(..) | Op::Select(..) | Op::Conv(..) => {
                    true
                }
                Op::Load { .. } => true,
                Op::Call { effect, .. } => *effect != CallEffect::Any,
                _ => false,
            };
            if again {
                self.pure.push((op, ty));
            }
        }
    }

    fn b_len(&self) -> usize {
        self.b.t.insts.len()
    }

    fn b_inst(&self, i: usize) -> (Op, Option<Type>) {
        let inst = &self.b.t.insts[i];
        (inst.op.clone(), inst.ty)
    }
}

/// A random trace for `seed`; the same trace for the same seed and config everywhere.
pub fn random_case(seed: u64, cfg: &GenConfig) -> GenCase {
    let mut rng = Rng::new(seed);
    let mut b =
        TB { t: Trace { name: Some(format!("gen_{seed}")), ..Trace::default() }, consts: BTreeMap::new() };
    let mut slots = Vec::new();
    let mut buffers = Vec::new();
    let mut fn_slots = Vec::new();
    let mut ptrs = Vec::new();
    let mut imm_buf = None;
    if cfg.memory {
        for i in 0..3 {
            let slot = slots.len() as u32;
            slots.push(0);
            let init: Vec<u8> = (0..BUF_LEN).map(|_| rng.next_u64() as u8).collect();
            let imm = i == 0;
            if imm {
                imm_buf = Some(i);
            }
            buffers.push(GenBuffer { slot, init, imm });
            let v = b.input(slot, I64);
            ptrs.push(Ptr { value: v, off: 0, buf: i });
        }
    }
    let mut fn_ptrs = Vec::new();
    if cfg.calls {
        for h in [0usize, 4] {
            let slot = slots.len() as u32;
            slots.push(0);
            fn_slots.push((slot, HELPERS[h].0.to_string()));
            fn_ptrs.push((b.input(slot, I64), h));
        }
    }
    let data_start = slots.len() as u32;
    let n_data = 4 + rng.below(6) as u32;
    let mut g = Gen {
        rng,
        cfg,
        b,
        pool: Default::default(),
        ptrs,
        imm_buf,
        fn_ptrs,
        data_slots: (data_start, data_start + n_data),
        last_snap: None,
        guards: Vec::new(),
        pure: Vec::new(),
        stores: Vec::new(),
        emitted: 0,
    };
    // A derived pointer or two up front, so that accesses through different bases overlap.
    if cfg.memory {
        for _ in 0..1 + g.rng.below(2) {
            g.derived_ptr();
        }
    }
    // Data inputs, with junk above their type's bits now and then.
    for k in 0..n_data {
        let t = if g.rng.chance(1, 8) {
            Type::I1
        } else if g.rng.chance(1, 3) && cfg.floats {
            F64
        } else {
            g.int_type()
        };
        let bits = if t == F64 { g.interesting_f64() } else { g.interesting_int(t) };
        let junk = if g.rng.chance(1, 4) { g.rng.next_u64() & !t.mask() } else { 0 };
        slots.push(bits | junk);
        let v = g.b.input(data_start + k, t);
        g.add(v, t);
    }
    let prelude = if cfg.loops { cfg.ops / 3 } else { cfg.ops };
    while g.emitted < prelude {
        g.step();
    }
    let iters = 1 + g.rng.below(cfg.max_iters.max(1) as usize) as i64;
    let trace = if cfg.loops {
        let zero = g.b.iconst(I64, 0);
        let mut inits = vec![zero];
        for _ in 0..1 + g.rng.below(4) {
            let t = if g.rng.chance(1, 10) { Type::I1 } else { g.value_type() };
            inits.push(g.operand(t));
        }
        let params = g.b.begin_loop(&inits);
        let types: Vec<Type> = params.iter().map(|&p| g.b.ty(p)).collect();
        let n = g.b.iconst(I64, iters);
        let c = g.b.icmp(ICmp::Slt, params[0], n);
        // The loop exit writes the carried values.
        let (lo, hi) = g.data_slots;
        let entries: Vec<(u32, Value)> =
            params[1..].iter().enumerate().map(|(k, &p)| (lo + k as u32 % (hi - lo), p)).collect();
        let mut entries2: Vec<(u32, Value)> = Vec::new();
        for e in entries {
            if !entries2.iter().any(|x| x.0 == e.0) {
                entries2.push(e);
            }
        }
        let s = g.b.snapshot(1000, &entries2);
        g.b.guard(c, s);
        g.last_snap = Some(s);
        for (&p, &t) in params[1..].iter().zip(&types[1..]) {
            g.add(p, t);
        }
        while g.emitted < cfg.ops {
            g.step();
        }
        let one = g.b.iconst(I64, 1);
        let next_i = g.b.bin(BinOp::Add, params[0], one);
        let mut next = vec![next_i];
        for k in 1..params.len() {
            // Now and then pass another parameter of the same type: swaps and rotations.
            let same: Vec<Value> =
                (1..params.len()).filter(|&j| types[j] == types[k]).map(|j| params[j]).collect();
            let v = if g.rng.chance(1, 3) { g.rng.pick(&same) } else { g.operand(types[k]) };
            next.push(v);
        }
        g.b.t.term = Terminator::Jump(next);
        g.b.t
    } else {
        let s = g.snapshot_all();
        g.b.t.term = Terminator::Exit(s);
        g.b.t
    };
    let steps = (cfg.ops as u64 + 20) * (iters as u64 + 2) * 2;
    GenCase { seed, trace, slots, buffers, fn_slots, data_start, step_limit: steps }
}

impl Gen<'_> {
    /// The final snapshot: every data slot gets a value.
    fn snapshot_all(&mut self) -> SnapId {
        let (lo, hi) = self.data_slots;
        let entries: Vec<(u32, Value)> = (lo..hi)
            .map(|slot| {
                let t = self.value_type();
                (slot, self.operand(t))
            })
            .collect();
        self.b.snapshot(2000, &entries)
    }
}
