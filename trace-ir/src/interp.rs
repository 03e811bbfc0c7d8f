//! The reference interpreter: the oracle of every differential test.
//!
//! It runs a trace on a slot array the way compiled code must: values canonical in 64 bits
//! (integers zero-extended, f64 as its bits), guards leaving through their snapshots, which
//! are written back into the slots. Whatever the IR leaves undefined (division by zero,
//! `MIN / -1`, out-of-range `fptosi`, memory outside the regions the caller names) is a
//! typed error here, never a guess, and a malformed trace is an error, never a panic.

use std::cell::RefCell;
use std::fmt;
use std::marker::PhantomData;

use crate::ir::*;
use crate::symbols::Symbols;
use crate::types::Type;

/// The instruction budget when the caller does not choose one.
pub const DEFAULT_STEP_LIMIT: u64 = 10_000_000;

/// A range of real memory that loads and stores may touch.
///
/// The interpreter reads and writes it through raw pointers, so a region is either borrowed
/// from a slice for its lifetime (`of`, safe) or built from an address by a caller who
/// vouches for it (`new`, unsafe).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct MemRegion<'m> {
    base: u64,
    len: usize,
    _borrow: PhantomData<&'m mut [u8]>,
}

impl<'m> MemRegion<'m> {
    /// The region covering `buf`, which stays mutably borrowed while the region exists.
    pub fn of(buf: &'m mut [u8]) -> MemRegion<'m> {
        MemRegion { base: buf.as_mut_ptr() as u64, len: buf.len(), _borrow: PhantomData }
    }

    /// A region at a raw address.
    ///
    /// # Safety
    /// `len` bytes from `base` must stay allocated, readable and writable, and must not be
    /// accessed through any Rust reference, while an `Env` naming the region runs a trace.
    pub unsafe fn new(base: u64, len: usize) -> MemRegion<'static> {
        MemRegion { base, len, _borrow: PhantomData }
    }

    pub fn base(&self) -> u64 {
        self.base
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn contains(&self, addr: u64, len: usize) -> bool {
        addr >= self.base && (addr - self.base) as u128 + len as u128 <= self.len as u128
    }
}

/// What a run may use besides its slots.
#[derive(Clone, Copy, Debug)]
pub struct Env<'a> {
    /// Functions calls go to, run through their models.
    pub symbols: &'a Symbols,
    /// The only memory loads and stores may touch.
    pub memory: &'a [MemRegion<'a>],
    /// Traces a `link` may enter, by id.
    pub traces: &'a [(u32, &'a Trace)],
    /// The id of the trace passed to `run`, reported in its exits.
    pub self_id: u32,
    /// The most instructions a run may execute (each back edge, link and exit counts as one).
    pub step_limit: u64,
    /// Where `promote` appends the values it sees (a recording), when given.
    pub promoted: Option<&'a RefCell<Vec<u64>>>,
}

impl<'a> Env<'a> {
    /// No memory, no other traces, id 0, `DEFAULT_STEP_LIMIT`.
    pub fn new(symbols: &'a Symbols) -> Env<'a> {
        Env { symbols, memory: &[], traces: &[], self_id: 0, step_limit: DEFAULT_STEP_LIMIT, promoted: None }
    }

    pub fn with_memory(self, memory: &'a [MemRegion<'a>]) -> Env<'a> {
        Env { memory, ..self }
    }

    pub fn with_traces(self, traces: &'a [(u32, &'a Trace)]) -> Env<'a> {
        Env { traces, ..self }
    }

    pub fn with_step_limit(self, step_limit: u64) -> Env<'a> {
        Env { step_limit, ..self }
    }

    pub fn with_promoted(self, promoted: &'a RefCell<Vec<u64>>) -> Env<'a> {
        Env { promoted: Some(promoted), ..self }
    }
}

/// How a run ended: the trace it was in, the snapshot it left through and that snapshot's
/// resume word. The snapshot has already been written to the slots.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Exit {
    pub trace: u32,
    pub snap: SnapId,
    pub resume: u64,
}

#[derive(Clone, PartialEq, Eq, Debug)]
pub enum InterpError {
    DivByZero,
    /// `MIN / -1` or `MIN % -1` in the operand width.
    DivOverflow,
    /// `fptosi` of NaN or of a value whose truncation does not fit the result type.
    FpToSiOutOfRange,
    StepLimit,
    /// A load or store of `len` bytes at `addr` outside every `MemRegion`.
    OutOfBounds {
        addr: u64,
        len: usize,
    },
    UnknownSymbol(String),
    /// A call through a computed address that no symbol has.
    UnknownAddress(u64),
    /// The symbol exists but has no model the interpreter could run.
    NoModel(String),
    UnknownTrace(u32),
    SlotOutOfRange {
        slot: u32,
        len: usize,
    },
    /// The trace would fail the verifier.
    Malformed(String),
}

impl fmt::Display for InterpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InterpError::DivByZero => f.write_str("division by zero"),
            InterpError::DivOverflow => f.write_str("signed division overflow (MIN / -1)"),
            InterpError::FpToSiOutOfRange => f.write_str("fptosi of NaN or out-of-range value"),
            InterpError::StepLimit => f.write_str("step limit reached"),
            InterpError::OutOfBounds { addr, len } => {
                write!(f, "memory access of {len} bytes at {addr:#x} outside every region")
            }
            InterpError::UnknownSymbol(s) => write!(f, "unknown symbol @{s}"),
            InterpError::UnknownAddress(a) => write!(f, "no symbol at call address {a:#x}"),
            InterpError::NoModel(s) => write!(f, "symbol @{s} has no interpreter model"),
            InterpError::UnknownTrace(t) => write!(f, "link to unknown trace {t}"),
            InterpError::SlotOutOfRange { slot, len } => {
                write!(f, "slot {slot} out of range ({len} slots)")
            }
            InterpError::Malformed(m) => write!(f, "malformed trace: {m}"),
        }
    }
}

impl std::error::Error for InterpError {}

/// Runs `trace` on `slots` until it leaves, following links into `env.traces`.
pub fn run(trace: &Trace, slots: &mut [u64], env: &Env) -> Result<Exit, InterpError> {
    let mut steps = 0u64;
    let mut cur = trace;
    let mut cur_id = env.self_id;
    loop {
        match run_one(cur, cur_id, slots, env, &mut steps)? {
            Leave::Exit(e) => return Ok(e),
            Leave::Link(t) => {
                cur = match env.traces.iter().find(|(id, _)| *id == t) {
                    Some((_, tr)) => tr,
                    None if t == env.self_id => trace,
                    None => return Err(InterpError::UnknownTrace(t)),
                };
                cur_id = t;
            }
        }
    }
}

enum Leave {
    Exit(Exit),
    Link(u32),
}

fn malformed<T>(msg: String) -> Result<T, InterpError> {
    Err(InterpError::Malformed(msg))
}

/// The loop shape of a checked trace.
struct Shape {
    loop_start: usize,
    body_start: usize,
}

/// Checks what the interpreter relies on: operands defined before use, types that fit the
/// op, snapshots and loop parameters in range. A subset of the verifier, so that a trace it
/// would reject gives `Malformed` instead of nonsense or a panic.
fn check(t: &Trace) -> Result<Shape, InterpError> {
    let n = t.insts.len();
    let (loop_start, nparams) = match t.loop_start {
        None => (n, 0),
        Some(s) if s > n => return malformed(format!("loop start {s} past the end ({n} instructions)")),
        Some(s) => {
            let k = t.insts[s..].iter().take_while(|i| matches!(i.op, Op::LoopParam { .. })).count();
            (s, k)
        }
    };
    if t.loop_start.is_some() && nparams != t.loop_inits.len() {
        return malformed(format!("{} loop parameters but {} initial values", nparams, t.loop_inits.len()));
    }
    if t.loop_start.is_none() && !t.loop_inits.is_empty() {
        return malformed("loop initial values without a loop".into());
    }
    let body_start = loop_start + nparams;
    // The type of an operand usable at position `at` (None: any position, for terminators).
    let operand = |v: Value, at: Option<usize>| -> Result<Type, InterpError> {
        let Some(inst) = t.insts.get(v.index()) else {
            return malformed(format!("%{} does not exist", v.0));
        };
        let Some(ty) = inst.ty else {
            return malformed(format!("%{} has no value", v.0));
        };
        if let Some(at) = at {
            if !inst.op.is_positionless() && v.index() >= at {
                return malformed(format!("%{} used before it is defined (at instruction {at})", v.0));
            }
        }
        Ok(ty)
    };
    let snap = |s: SnapId, at: Option<usize>| -> Result<(), InterpError> {
        let Some(sn) = t.snaps.get(s.index()) else {
            return malformed(format!("snap{} does not exist", s.0));
        };
        for &(_, v) in &sn.entries {
            operand(v, at)?;
        }
        Ok(())
    };
    for (k, &v) in t.loop_inits.iter().enumerate() {
        let ty = operand(v, Some(loop_start))?;
        if t.insts[loop_start + k].ty != Some(ty) {
            return malformed(format!("loop parameter {k} does not have its initial value's type"));
        }
    }
    for (i, inst) in t.insts.iter().enumerate() {
        let at = Some(i);
        let ty = inst.ty;
        let bad = |what: &str| malformed(format!("instruction {i}: {what}"));
        let same = |a: Value, b: Value| -> Result<Type, InterpError> {
            let (ta, tb) = (operand(a, at)?, operand(b, at)?);
            if ta != tb || Some(ta) != ty {
                return malformed(format!("instruction {i}: operand and result types differ"));
            }
            Ok(ta)
        };
        match &inst.op {
            Op::Nop => {}
            Op::Promote(x) | Op::Hint(x) => {
                if operand(*x, at)? == Type::I1 || ty.is_some() {
                    return bad("promote of an i1 or with a result");
                }
            }
            Op::Input { .. } => {
                if ty.is_none() {
                    return bad("input without a type");
                }
            }
            Op::Const { bits } => match ty {
                Some(ty) if bits & !ty.mask() == 0 => {}
                _ => return bad("constant without a type or with non-canonical bits"),
            },
            Op::LoopParam { index } => {
                if i < loop_start || i >= body_start || *index as usize != i - loop_start {
                    return bad("loop parameter outside the loop header or out of order");
                }
            }
            Op::Bin(op, a, b) => {
                let ty = same(*a, *b)?;
                if op.is_float() != ty.is_float() {
                    return bad("binary op on the wrong kind of type");
                }
            }
            Op::Un(op, a) => {
                let ta = operand(*a, at)?;
                if Some(ta) != ty || op.is_float() != ta.is_float() {
                    return bad("unary op on the wrong type");
                }
            }
            Op::Ovf(_, a, b, s) => {
                if same(*a, *b)?.is_float() {
                    return bad("overflow-checked op on f64");
                }
                snap(*s, at)?;
            }
            Op::ICmp(_, a, b) | Op::FCmp(_, a, b) => {
                let (ta, tb) = (operand(*a, at)?, operand(*b, at)?);
                let float = matches!(inst.op, Op::FCmp(..));
                if ta != tb || ta.is_float() != float || ty != Some(Type::I1) {
                    return bad("comparison operand or result types wrong");
                }
            }
            Op::Select(c, a, b) => {
                if operand(*c, at)? != Type::I1 {
                    return bad("select condition is not i1");
                }
                same(*a, *b)?;
            }
            Op::Conv(c, a) => {
                let from = operand(*a, at)?;
                let Some(to) = ty else { return bad("conversion without a result type") };
                let ok = match c {
                    Conv::ZExt | Conv::SExt => from.is_int() && to.is_int() && to.bits() >= from.bits(),
                    Conv::Trunc => from.is_int() && to.is_int() && to.bits() <= from.bits(),
                    Conv::SIToFP => from.is_int() && to.is_float(),
                    Conv::FPToSI => from.is_float() && to.is_int(),
                    Conv::Bitcast => {
                        (from, to) == (Type::I64, Type::F64) || (from, to) == (Type::F64, Type::I64)
                    }
                };
                if !ok {
                    return bad("conversion between these types is not defined");
                }
            }
            Op::Load { base, .. } => {
                if operand(*base, at)? != Type::I64 || matches!(ty, None | Some(Type::I1)) {
                    return bad("load needs an i64 base and a non-i1 type");
                }
            }
            Op::Store { base, value, .. } => {
                if operand(*base, at)? != Type::I64 || operand(*value, at)? == Type::I1 || ty.is_some() {
                    return bad("store needs an i64 base, a non-i1 value and no result");
                }
            }
            Op::Call { callee, args, .. } => {
                if let Callee::Value(v) = callee {
                    if operand(*v, at)? != Type::I64 {
                        return bad("call address is not i64");
                    }
                }
                for &a in args {
                    operand(a, at)?;
                }
            }
            Op::Guard { cond, snap: s, .. } => {
                if operand(*cond, at)? != Type::I1 || ty.is_some() {
                    return bad("guard condition is not i1");
                }
                snap(*s, at)?;
            }
        }
    }
    match &t.term {
        Terminator::Jump(args) => {
            if t.loop_start.is_none() {
                return malformed("jump without a loop".into());
            }
            if args.len() != nparams {
                return malformed(format!(
                    "jump passes {} values to {} loop parameters",
                    args.len(),
                    nparams
                ));
            }
            for (k, &a) in args.iter().enumerate() {
                if Some(operand(a, None)?) != t.insts[loop_start + k].ty {
                    return malformed(format!("jump value {k} does not have its loop parameter's type"));
                }
            }
        }
        Terminator::Exit(s) | Terminator::Link { snap: s, .. } => snap(*s, None)?,
        Terminator::Dispatch { index, snap: s, targets } => {
            if matches!(operand(*index, None)?, Type::I1 | Type::F64) {
                return malformed("dispatch index is not an integer".into());
            }
            snap(*s, None)?;
            for d in targets {
                if let DispatchTarget::Exit(x) = d {
                    snap(*x, None)?;
                }
            }
        }
    }
    Ok(Shape { loop_start, body_start })
}

/// Writes snapshot `s` into the slots (all entries checked before any is written).
fn write_snap(t: &Trace, s: SnapId, vals: &[u64], slots: &mut [u64]) -> Result<u64, InterpError> {
    let sn = &t.snaps[s.index()];
    for &(slot, _) in &sn.entries {
        if slot as usize >= slots.len() {
            return Err(InterpError::SlotOutOfRange { slot, len: slots.len() });
        }
    }
    for &(slot, v) in &sn.entries {
        slots[slot as usize] = vals[v.index()];
    }
    Ok(sn.resume)
}

fn run_one(t: &Trace, id: u32, slots: &mut [u64], env: &Env, steps: &mut u64) -> Result<Leave, InterpError> {
    let shape = check(t)?;
    let n = t.insts.len();
    let mut vals = vec![0u64; n];
    for (i, inst) in t.insts.iter().enumerate() {
        // `check` made sure inputs and constants have types.
        let ty = inst.ty.unwrap_or(Type::I64);
        match inst.op {
            Op::Input { slot } => match slots.get(slot as usize) {
                Some(&x) => vals[i] = x & ty.mask(),
                None => return Err(InterpError::SlotOutOfRange { slot, len: slots.len() }),
            },
            Op::Const { bits } => vals[i] = bits,
            _ => {}
        }
    }
    let leave = |s: SnapId, vals: &[u64], slots: &mut [u64]| -> Result<Leave, InterpError> {
        let resume = write_snap(t, s, vals, slots)?;
        Ok(Leave::Exit(Exit { trace: id, snap: s, resume }))
    };
    let mut pc = 0;
    // Set once the loop header has taken its initial values: a loop without parameters has
    // its body start at the header, so the position alone cannot tell entry from back edge.
    let mut entered = false;
    loop {
        while pc < n {
            if pc == shape.loop_start && !entered {
                entered = true;
                for (k, &v) in t.loop_inits.iter().enumerate() {
                    vals[pc + k] = vals[v.index()];
                }
                pc = shape.body_start;
                continue;
            }
            let inst = &t.insts[pc];
            if inst.op.is_positionless() || inst.op == Op::Nop {
                pc += 1;
                continue;
            }
            *steps += 1;
            if *steps > env.step_limit {
                return Err(InterpError::StepLimit);
            }
            let ty = inst.ty.unwrap_or(Type::I64);
            let v = |x: &Value| vals[x.index()];
            let tyof = |x: &Value| t.insts[x.index()].ty.unwrap_or(Type::I64);
            let result = match &inst.op {
                Op::Input { .. } | Op::Const { .. } | Op::Nop | Op::LoopParam { .. } => None,
                Op::Bin(op, a, b) => Some(bin(*op, ty, v(a), v(b))?),
                Op::Un(op, a) => Some(un(*op, ty, v(a))),
                Op::Ovf(op, a, b, s) => match ovf(*op, ty, v(a), v(b)) {
                    Some(r) => Some(r),
                    None => return leave(*s, &vals, slots),
                },
                Op::ICmp(c, a, b) => Some(icmp(*c, tyof(a), v(a), v(b)) as u64),
                Op::FCmp(c, a, b) => Some(fcmp(*c, v(a), v(b)) as u64),
                Op::Select(c, a, b) => Some(if v(c) != 0 { v(a) } else { v(b) }),
                Op::Conv(c, a) => Some(conv(*c, tyof(a), ty, v(a))?),
                Op::Load { base, disp, .. } => Some(load(env, ty, address(v(base), *disp))?),
                Op::Store { base, disp, value, .. } => {
                    store(env, tyof(value), address(v(base), *disp), v(value))?;
                    None
                }
                Op::Call { callee, args, .. } => {
                    let model = match callee {
                        Callee::Symbol(name) => match env.symbols.get(name) {
                            None => return Err(InterpError::UnknownSymbol(name.clone())),
                            Some(f) => f.model.as_ref().ok_or_else(|| InterpError::NoModel(name.clone()))?,
                        },
                        Callee::Value(a) => match env.symbols.by_addr(v(a)) {
                            None => return Err(InterpError::UnknownAddress(v(a))),
                            Some((name, f)) => {
                                f.model.as_ref().ok_or_else(|| InterpError::NoModel(name.to_string()))?
                            }
                        },
                    };
                    let argv: Vec<u64> = args.iter().map(v).collect();
                    let r = model(&argv);
                    inst.ty.map(|ty| r & ty.mask())
                }
                Op::Guard { cond, expect, snap } => {
                    if (v(cond) != 0) != *expect {
                        return leave(*snap, &vals, slots);
                    }
                    None
                }
                Op::Promote(x) | Op::Hint(x) => {
                    if let Some(log) = env.promoted {
                        log.borrow_mut().push(v(x));
                    }
                    None
                }
            };
            if let Some(r) = result {
                vals[pc] = r;
            }
            pc += 1;
        }
        // Back edges and links count as steps, so that empty loops and link cycles end too.
        *steps += 1;
        if *steps > env.step_limit {
            return Err(InterpError::StepLimit);
        }
        match &t.term {
            Terminator::Jump(args) => {
                let next: Vec<u64> = args.iter().map(|a| vals[a.index()]).collect();
                vals[shape.loop_start..shape.body_start].copy_from_slice(&next);
                pc = shape.body_start;
            }
            Terminator::Exit(s) => return leave(*s, &vals, slots),
            Terminator::Link { trace, snap } => {
                write_snap(t, *snap, &vals, slots)?;
                return Ok(Leave::Link(*trace));
            }
            Terminator::Dispatch { index, snap, targets } => {
                let i = vals[index.index()];
                match usize::try_from(i).ok().and_then(|i| targets.get(i)) {
                    Some(DispatchTarget::Trace(n)) => {
                        write_snap(t, *snap, &vals, slots)?;
                        return Ok(Leave::Link(*n));
                    }
                    Some(DispatchTarget::Exit(s)) => return leave(*s, &vals, slots),
                    None => return leave(*snap, &vals, slots),
                }
            }
        }
    }
}

fn f(bits: u64) -> f64 {
    f64::from_bits(bits)
}

/// The smallest signed value of the type, sign-extended.
fn smin(ty: Type) -> i64 {
    ty.sext(1u64 << (ty.bits() - 1))
}

fn bin(op: BinOp, ty: Type, a: u64, b: u64) -> Result<u64, InterpError> {
    let m = ty.mask();
    let w = ty.bits() as u64;
    let (sa, sb) = (ty.sext(a), ty.sext(b));
    let r = match op {
        BinOp::Add => a.wrapping_add(b),
        BinOp::Sub => a.wrapping_sub(b),
        BinOp::Mul => a.wrapping_mul(b),
        BinOp::And => a & b,
        BinOp::Or => a | b,
        BinOp::Xor => a ^ b,
        BinOp::Shl => a << (b % w),
        BinOp::LShr => a >> (b % w),
        BinOp::AShr => (sa >> (b % w)) as u64,
        BinOp::SDiv | BinOp::SRem => {
            if sb == 0 {
                return Err(InterpError::DivByZero);
            }
            if sa == smin(ty) && sb == -1 {
                return Err(InterpError::DivOverflow);
            }
            (if op == BinOp::SDiv { sa / sb } else { sa % sb }) as u64
        }
        BinOp::UDiv | BinOp::URem => {
            if b == 0 {
                return Err(InterpError::DivByZero);
            }
            if op == BinOp::UDiv {
                a / b
            } else {
                a % b
            }
        }
        BinOp::FAdd | BinOp::FSub | BinOp::FMul | BinOp::FDiv => {
            // A NaN operand propagates, the first one when both are (quieted), as the
            // backends emit it. Spelled out: Rust's float ops leave the choice to the
            // compiler, which may commute an addition's operands when it optimizes.
            const QUIET: u64 = 1 << 51;
            if f(a).is_nan() {
                a | QUIET
            } else if f(b).is_nan() {
                b | QUIET
            } else {
                match op {
                    BinOp::FAdd => (f(a) + f(b)).to_bits(),
                    BinOp::FSub => (f(a) - f(b)).to_bits(),
                    BinOp::FMul => (f(a) * f(b)).to_bits(),
                    _ => (f(a) / f(b)).to_bits(),
                }
            }
        }
    };
    Ok(r & m)
}

fn un(op: UnOp, ty: Type, a: u64) -> u64 {
    const SIGN: u64 = 1 << 63;
    match op {
        UnOp::Neg => a.wrapping_neg() & ty.mask(),
        UnOp::Not => !a & ty.mask(),
        UnOp::FNeg => a ^ SIGN,
        UnOp::FAbs => a & !SIGN,
        UnOp::FSqrt => f(a).sqrt().to_bits(),
    }
}

/// The result, or `None` on signed overflow of the type's width.
fn ovf(op: OvfOp, ty: Type, a: u64, b: u64) -> Option<u64> {
    let (x, y) = (ty.sext(a) as i128, ty.sext(b) as i128);
    let r = match op {
        OvfOp::Add => x + y,
        OvfOp::Sub => x - y,
        OvfOp::Mul => x * y,
    };
    let half = 1i128 << (ty.bits() - 1);
    if r < -half || r >= half {
        None
    } else {
        Some(r as i64 as u64 & ty.mask())
    }
}

fn icmp(c: ICmp, ty: Type, a: u64, b: u64) -> bool {
    let (sa, sb) = (ty.sext(a), ty.sext(b));
    match c {
        ICmp::Eq => a == b,
        ICmp::Ne => a != b,
        ICmp::Slt => sa < sb,
        ICmp::Sle => sa <= sb,
        ICmp::Sgt => sa > sb,
        ICmp::Sge => sa >= sb,
        ICmp::Ult => a < b,
        ICmp::Ule => a <= b,
        ICmp::Ugt => a > b,
        ICmp::Uge => a >= b,
    }
}

fn fcmp(c: FCmp, a: u64, b: u64) -> bool {
    let (x, y) = (f(a), f(b));
    match c {
        FCmp::Eq => x == y,
        FCmp::Ne => x != y,
        FCmp::Lt => x < y,
        FCmp::Le => x <= y,
        FCmp::Gt => x > y,
        FCmp::Ge => x >= y,
        FCmp::Uno => x.is_nan() || y.is_nan(),
    }
}

/// Whether `fptosi` of `x` into `to` is defined: the truncation fits the signed range.
pub fn fptosi_in_range(x: f64, to: Type) -> bool {
    let half = (1u64 << (to.bits() - 1)) as f64;
    let t = x.trunc();
    t >= -half && t < half
}

fn conv(c: Conv, from: Type, to: Type, a: u64) -> Result<u64, InterpError> {
    Ok(match c {
        Conv::ZExt | Conv::Trunc | Conv::Bitcast => a & to.mask(),
        Conv::SExt => from.sext(a) as u64 & to.mask(),
        Conv::SIToFP => (from.sext(a) as f64).to_bits(),
        Conv::FPToSI => {
            if !fptosi_in_range(f(a), to) {
                return Err(InterpError::FpToSiOutOfRange);
            }
            f(a).trunc() as i64 as u64 & to.mask()
        }
    })
}

fn address(base: u64, disp: i32) -> u64 {
    base.wrapping_add(disp as i64 as u64)
}

fn check_mem(env: &Env, addr: u64, len: usize) -> Result<(), InterpError> {
    if env.memory.iter().any(|r| r.contains(addr, len)) {
        Ok(())
    } else {
        Err(InterpError::OutOfBounds { addr, len })
    }
}

fn load(env: &Env, ty: Type, addr: u64) -> Result<u64, InterpError> {
    let len = ty.bytes() as usize;
    check_mem(env, addr, len)?;
    let p = addr as usize as *const u8;
    // SAFETY: `check_mem` found `len` bytes at `addr` inside a `MemRegion`, which its creator
    // promised is readable memory for the life of the `Env`; reads are unaligned-tolerant.
    let bits = unsafe {
        match len {
            1 => p.read() as u64,
            2 => (p as *const u16).read_unaligned() as u64,
            4 => (p as *const u32).read_unaligned() as u64,
            _ => (p as *const u64).read_unaligned(),
        }
    };
    Ok(bits & ty.mask())
}

fn store(env: &Env, ty: Type, addr: u64, bits: u64) -> Result<(), InterpError> {
    let len = ty.bytes() as usize;
    check_mem(env, addr, len)?;
    let p = addr as usize as *mut u8;
    // SAFETY: `check_mem` found `len` bytes at `addr` inside a `MemRegion`, which its creator
    // promised is writable memory not otherwise borrowed for the life of the `Env`.
    unsafe {
        match len {
            1 => p.write(bits as u8),
            2 => (p as *mut u16).write_unaligned(bits as u16),
            4 => (p as *mut u32).write_unaligned(bits as u32),
            _ => (p as *mut u64).write_unaligned(bits),
        }
    }
    Ok(())
}

/// Evaluates a pure op on constant operands the way `run` would, for the optimizer's
/// constant folding: `None` when the op is not pure or the result is undefined.
pub fn eval_pure(t: &Trace, op: &Op, ty: Option<Type>, args: &[u64]) -> Option<u64> {
    let tyof = |v: &Value| t.ty(*v);
    let arg = |k: usize| args.get(k).copied();
    Some(match op {
        Op::Bin(o, a, _) => bin(*o, tyof(a)?, arg(0)?, arg(1)?).ok()?,
        Op::Un(o, a) => un(*o, tyof(a)?, arg(0)?),
        Op::Ovf(o, a, _, _) => ovf(*o, tyof(a)?, arg(0)?, arg(1)?)?,
        Op::ICmp(c, a, _) => icmp(*c, tyof(a)?, arg(0)?, arg(1)?) as u64,
        Op::FCmp(c, _, _) => fcmp(*c, arg(0)?, arg(1)?) as u64,
        Op::Select(..) => {
            if arg(0)? != 0 {
                arg(1)?
            } else {
                arg(2)?
            }
        }
        Op::Conv(c, a) => conv(*c, tyof(a)?, ty?, arg(0)?).ok()?,
        _ => return None,
    })
}
