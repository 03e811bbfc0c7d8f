//! The trace builder: a recording of a fragment program turned into a trace.
//!
//! It inlines each recorded fragment in turn. Slot reads become the SSA value last written
//! to the slot; green slots start as constants (the loop's key) and stay constants as long
//! as what they are computed from is; pure ops on constants fold, loads at constant
//! addresses in immutable memory read it now, and elidable calls with constant arguments
//! run now. A guard the recording passed stays a guard whose snapshot names the fragment
//! the interpreter would have gone to; a guard the recording failed becomes the inverse
//! guard, whose snapshot resumes the fragment after it (its continuation, see
//! `fragment::split`). A dispatch on a constant index folds; on another it becomes a guard
//! on the index whose snapshot dispatches. `promote` becomes a guard on the recorded value, then a constant;
//! `hint` becomes the constant alone.
//!
//! Every snapshot writes each slot whose value differs from what the slot array holds at
//! trace entry, so any exit leaves the interpreter's exact state. When the recording comes
//! back to where it started with the same green values, the trace loops: slots the iteration
//! writes are carried as loop parameters.
//!
//! It knows no architecture and no language: only programs, recordings and trace IR.

use trace_ir::fragment::split::Split;
use trace_ir::fragment::Program;
use trace_ir::interp::eval_pure;
use trace_ir::ir::*;
use trace_ir::recording::{Recording, Step};
use trace_ir::{Builder, Symbols, Type};

/// Limits past which a recording is not built (LuaJIT's defaults have the same order).
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub max_insts: usize,
    pub max_snaps: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits { max_insts: 4000, max_snaps: 500 }
    }
}

/// Why a recording did not become a trace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Abort {
    /// More instructions than `Limits::max_insts`.
    TooLong(usize),
    /// More snapshots than `Limits::max_snaps`.
    TooManySnapshots(usize),
    /// The recording took an overflow exit (a trace cannot guard on "does overflow").
    OverflowTaken { fragment: String },
    /// The recording left to the host before coming back to its start.
    LeftToHost { fragment: String },
    /// The recording ends where its green slots differ from the start's.
    GreenMismatch { slot: String },
    /// The recording does not fit the program (a corrupt or foreign recording): what and
    /// where.
    Mismatch(String),
    /// The recording is empty.
    Empty,
}

impl std::fmt::Display for Abort {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Abort::TooLong(n) => write!(f, "trace too long ({n} instructions)"),
            Abort::TooManySnapshots(n) => write!(f, "too many snapshots ({n})"),
            Abort::OverflowTaken { fragment } => write!(f, "recorded an overflow exit in {fragment}"),
            Abort::LeftToHost { fragment } => {
                write!(f, "left the interpreter in {fragment} before closing the loop")
            }
            Abort::GreenMismatch { slot } => write!(f, "green slot {slot} differs where the loop closes"),
            Abort::Mismatch(m) => write!(f, "the recording does not fit the program: {m}"),
            Abort::Empty => f.write_str("empty recording"),
        }
    }
}

impl std::error::Error for Abort {}

/// Memory the builder may read at build time: memory that never changes, so that a load at
/// a constant address inside it (`imm` or not) is a constant.
pub trait ImmMemory {
    /// The `size` bytes at `addr`, little-endian, or `None` when they are not readable.
    fn read(&self, addr: u64, size: usize) -> Option<u64>;
}

/// No memory: loads stay loads.
pub struct NoMemory;

impl ImmMemory for NoMemory {
    fn read(&self, _: u64, _: usize) -> Option<u64> {
        None
    }
}

/// Memory given as byte slices at their own addresses (what the VM hands the runtime for its
/// bytecode and constants).
pub struct Slices<'a>(pub Vec<&'a [u8]>);

impl ImmMemory for Slices<'_> {
    fn read(&self, addr: u64, size: usize) -> Option<u64> {
        for s in &self.0 {
            let base = s.as_ptr() as u64;
            let off = addr.checked_sub(base)? as usize;
            if off.checked_add(size).is_some_and(|end| end <= s.len()) {
                let mut b = [0u8; 8];
                b[..size].copy_from_slice(&s[off..off + size]);
                return Some(u64::from_le_bytes(b));
            }
        }
        None
    }
}

/// What to build from.
pub struct Input<'a> {
    /// The program with its continuations (`fragment::split::split`).
    pub split: &'a Split,
    /// Starts at fragment `start`.
    pub recording: &'a Recording,
    pub start: u32,
    /// Where the recording stopped: the fragment it was about to enter (a control point),
    /// or `None` when its last step left to the host.
    pub end: Option<u32>,
    /// A side trace never closes a loop of its own; a root trace does when it ends where it
    /// started with the same green values.
    pub side: bool,
    /// The slot values when the recording started (a root trace's green ones become
    /// constants: it is entered only where they have these values).
    pub entry: &'a [u64],
    /// A side trace entered from an exit that dispatches: the table and index slot. The trace
    /// was recorded for the fragment the index named then; it guards on that index first,
    /// since the exit is taken for every other index too.
    pub entry_dispatch: Option<(u32, u32)>,
    /// Slots known to hold a constant at entry. For a side trace these are the only ones
    /// (its green slots included): what the parent's exit wrote from constants, or what the
    /// parent itself knew at its entry and did not change.
    pub consts: &'a [(u32, u64)],
    pub memory: &'a dyn ImmMemory,
    /// Models of the native functions, for elidable calls with constant arguments.
    pub symbols: &'a Symbols,
    /// The installed trace for a control point and green values, which a trace that ends
    /// there links to.
    pub lookup: &'a dyn Fn(u32, &[u64]) -> Option<u32>,
    pub limits: Limits,
}

/// How a built trace ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ending {
    /// Loops back to its own start.
    Loop,
    /// Links to installed trace `n` at the control point where the recording ended.
    Link(u32),
    /// Leaves into the interpreter at the control point where the recording ended.
    Interpreter(u32),
    /// Leaves to the host, as the recording did.
    Host,
}

#[derive(Clone, Debug)]
pub struct Built {
    pub trace: Trace,
    pub ending: Ending,
}

/// Builds the trace for `input`: a loop when the recording comes back to its start with the
/// same green values (and is not a side trace), otherwise a trace that links, or leaves,
/// where the recording stopped.
pub fn build(input: &Input) -> Result<Built, Abort> {
    if input.recording.steps.is_empty() {
        return Err(Abort::Empty);
    }
    if !input.side && input.end == Some(input.start) {
        match build_once(input, true) {
            Err(Abort::GreenMismatch { .. }) => {}
            r => return r,
        }
    }
    build_once(input, false)
}

fn build_once(input: &Input, as_loop: bool) -> Result<Built, Abort> {
    let steps = &input.recording.steps;
    let p = &input.split.program;
    let suffix = if input.side {
        "side"
    } else if as_loop {
        "loop"
    } else {
        "root"
    };
    let mut b = Builder::named(&format!("{}.{suffix}", frag_name(p, input.start)));
    let nslots = p.slots.len();
    // What the slot array holds at entry: an input, or a constant for green slots.
    let mut memory: Vec<Option<Value>> = vec![None; nslots];
    for (s, d) in p.slots.iter().enumerate() {
        if d.green && !input.side {
            let v =
                *input.entry.get(s).ok_or_else(|| Abort::Mismatch(format!("no entry value for slot {s}")))?;
            memory[s] = Some(b.konst(d.ty, v));
        }
    }
    for &(s, bits) in input.consts {
        if let Some(d) = p.slots.get(s as usize) {
            memory[s as usize] = Some(b.konst(d.ty, bits));
        }
    }
    // In a loop, slots some taken exit writes are carried around it; a temp only when a step
    // reads it before the iteration writes it (one written before the loop header).
    let mut carried: Vec<u32> = Vec::new();
    let mut written = vec![false; nslots];
    let mut read_first = vec![false; nslots];
    for st in steps {
        let f = fragment(p, st.fragment)?;
        for inst in &f.body.insts {
            if let Op::Input { slot } = inst.op {
                if let Some(r) = read_first.get_mut(slot as usize) {
                    *r |= !written[slot as usize];
                }
            }
        }
        let snap = f.body.snaps.get(st.snap as usize).ok_or_else(|| bad_snap(p, st))?;
        for &(slot, _) in &snap.entries {
            if slot as usize >= nslots {
                return Err(Abort::Mismatch(format!("{} writes undeclared slot {slot}", f.name)));
            }
            written[slot as usize] = true;
        }
    }
    if as_loop {
        for (s, d) in p.slots.iter().enumerate() {
            if written[s] && !d.green && (!d.temp || read_first[s]) {
                carried.push(s as u32);
            }
        }
    }
    let inits: Vec<Value> = carried.iter().map(|&s| b.input(s, p.slots[s as usize].ty)).collect();
    for (&s, &v) in carried.iter().zip(&inits) {
        memory[s as usize] = Some(v);
    }
    let params = if as_loop { b.begin_loop(&inits) } else { Vec::new() };
    let tys = p.slots.iter().map(|d| d.ty).collect();
    let mut st = State { b, memory, cur: vec![None; nslots], tys, ninsts: 0, limits: input.limits };
    for (&s, &v) in carried.iter().zip(&params) {
        st.cur[s as usize] = Some(v);
    }
    if let Some((table, slot)) = input.entry_dispatch {
        let ty = p
            .slots
            .get(slot as usize)
            .map(|d| d.ty)
            .ok_or_else(|| Abort::Mismatch(format!("no slot {slot}")))?;
        let k = *input
            .entry
            .get(slot as usize)
            .ok_or_else(|| Abort::Mismatch(format!("no entry value for slot {slot}")))?;
        let idx = st.value(slot);
        match st.konst_of(idx) {
            Some(c) if c != k & ty.mask() => {
                return Err(Abort::Mismatch("a constant dispatch index differs".into()))
            }
            Some(_) => {}
            None => {
                let kc = st.b.konst(ty, k);
                let c = st.b.icmp(ICmp::Eq, idx, kc);
                let s = st.snapshot(0, &[], SnapTo::Dispatch { table, slot });
                st.count()?;
                st.b.guard(c, s);
                st.cur[slot as usize] = Some(kc);
            }
        }
    }
    // A side trace entered with a green value its parent did not know (it left through a
    // promote whose guard failed, say): it was recorded for the value it had then, so it
    // guards on that value first and knows it from there on (its pc, say: the loops it
    // reaches can then be linked to).
    if input.side {
        for (s, d) in p.slots.iter().enumerate() {
            if !d.green {
                continue;
            }
            let v = st.value(s as u32);
            if st.konst_of(v).is_some() {
                continue;
            }
            let k =
                *input.entry.get(s).ok_or_else(|| Abort::Mismatch(format!("no entry value for slot {s}")))?;
            let kc = st.b.konst(d.ty, k);
            let c = st.b.icmp(ICmp::Eq, v, kc);
            let snap = st.snapshot(0, &[], SnapTo::Fragment(input.start));
            st.count()?;
            st.b.guard(c, snap);
            st.cur[s] = Some(kc);
        }
    }
    let mut next = Some(input.start);
    for (k, step) in steps.iter().enumerate() {
        if next != Some(step.fragment) {
            return Err(Abort::Mismatch(format!(
                "step {k} runs {} where the program goes to {}",
                frag_name(p, step.fragment),
                next.map_or("the host".into(), |n| frag_name(p, n))
            )));
        }
        let last = k + 1 == steps.len();
        let following = if last { input.end } else { Some(steps[k + 1].fragment) };
        next = st.inline(input, step, following)?;
        if next.is_none() && !last {
            return Err(Abort::LeftToHost { fragment: frag_name(p, step.fragment) });
        }
    }
    if next != input.end {
        return Err(Abort::Mismatch(format!(
            "the recording ends going to {}, not to {}",
            next.map_or("the host".into(), |n| frag_name(p, n)),
            input.end.map_or("the host".into(), |n| frag_name(p, n))
        )));
    }
    let greens: Option<Vec<u64>> = (p.green_slots().iter())
        .map(|&g| st.konst_of(st.cur[g as usize].or(st.memory[g as usize])?))
        .collect();
    let (trace, ending) = if as_loop {
        for (s, d) in p.slots.iter().enumerate() {
            if d.green && st.cur[s].is_some_and(|v| Some(v) != st.memory[s]) {
                return Err(Abort::GreenMismatch { slot: d.name.clone() });
            }
        }
        let back: Vec<Value> = carried.iter().map(|&s| st.value(s)).collect();
        (st.b.jump(&back), Ending::Loop)
    } else {
        match next {
            None => {
                let last = steps.last().expect("not empty");
                let resume = fragment(p, last.fragment)?.body.snaps[last.snap as usize].resume;
                let s = st.snapshot(resume, &[], SnapTo::Host);
                (st.b.exit(s), Ending::Host)
            }
            Some(g) => {
                let s = st.snapshot(0, &[], SnapTo::Fragment(g));
                match greens.as_deref().and_then(|gv| (input.lookup)(g, gv)) {
                    Some(t) => (st.b.link(t, s), Ending::Link(t)),
                    None => (st.b.exit(s), Ending::Interpreter(g)),
                }
            }
        }
    };
    if trace.snaps.len() > input.limits.max_snaps {
        return Err(Abort::TooManySnapshots(trace.snaps.len()));
    }
    Ok(Built { trace, ending })
}

fn frag_name(p: &Program, f: u32) -> String {
    p.fragments.get(f as usize).map_or_else(|| format!("#{f}"), |x| x.name.clone())
}

fn fragment(p: &Program, f: u32) -> Result<&trace_ir::fragment::Fragment, Abort> {
    p.fragments.get(f as usize).ok_or_else(|| Abort::Mismatch(format!("fragment {f} does not exist")))
}

fn bad_snap(p: &Program, st: &Step) -> Abort {
    Abort::Mismatch(format!("{} has no snap{}", frag_name(p, st.fragment), st.snap))
}

struct State {
    b: Builder,
    /// What each slot holds in memory at trace entry (None: not read yet).
    memory: Vec<Option<Value>>,
    /// What each slot holds now, when it differs from memory or was read.
    cur: Vec<Option<Value>>,
    /// The layout's slot types.
    tys: Vec<Type>,
    ninsts: usize,
    limits: Limits,
}

impl State {
    fn count(&mut self) -> Result<(), Abort> {
        self.ninsts += 1;
        if self.ninsts > self.limits.max_insts {
            return Err(Abort::TooLong(self.ninsts));
        }
        Ok(())
    }

    fn trace(&self) -> &Trace {
        self.b.peek()
    }

    fn konst_of(&self, v: Value) -> Option<u64> {
        self.trace().const_bits(v)
    }

    /// The slot's current value (its entry value, read as an input, until written).
    fn value(&mut self, slot: u32) -> Value {
        let s = slot as usize;
        if let Some(v) = self.cur[s].or(self.memory[s]) {
            return v;
        }
        // Read for the first time: an input (never green: greens start as constants).
        let v = self.b.input(slot, self.tys[s]);
        self.memory[s] = Some(v);
        v
    }

    /// A snapshot of the state after `extra` is applied, going `to`.
    fn snapshot(&mut self, resume: u64, extra: &[(u32, Value)], to: SnapTo) -> SnapId {
        let mut state = self.cur.clone();
        for &(s, v) in extra {
            state[s as usize] = Some(v);
        }
        let entries: Vec<(u32, Value)> = (state.iter().enumerate())
            .filter_map(|(s, v)| v.filter(|&v| Some(v) != self.memory[s]).map(|v| (s as u32, v)))
            .collect();
        self.b.snapshot_to(to, resume, &entries)
    }

    /// Inlines one step; returns the next fragment, or `None` when the step left to the host.
    /// `following` is the fragment the recording went to next (for dispatches it cannot
    /// fold), `None` for the host.
    fn inline(&mut self, input: &Input, step: &Step, following: Option<u32>) -> Result<Option<u32>, Abort> {
        let p = &input.split.program;
        let frag = fragment(p, step.fragment)?;
        let body = &frag.body;
        let taken = SnapId(step.snap);
        let taken_snap = body.snaps.get(taken.index()).ok_or_else(|| bad_snap(p, step))?;
        let mut map: Vec<Option<Value>> = vec![None; body.insts.len()];
        let mut promoted = step.promoted.iter().copied();
        // Inputs and constants first: they hold everywhere.
        for (i, inst) in body.insts.iter().enumerate() {
            map[i] = match inst.op {
                Op::Input { slot } => {
                    if slot as usize >= p.slots.len() {
                        return Err(Abort::Mismatch(format!("{}: slot {slot} is not declared", frag.name)));
                    }
                    Some(self.value(slot))
                }
                Op::Const { bits } => Some(self.b.konst(inst.ty.unwrap_or(Type::I64), bits)),
                _ => continue,
            };
        }
        for (i, inst) in body.insts.iter().enumerate() {
            if inst.op.is_positionless() {
                continue;
            }
            let get = |v: Value| {
                map[v.index()].ok_or_else(|| {
                    Abort::Mismatch(format!("{}: value %{} used before definition", frag.name, v.0))
                })
            };
            match &inst.op {
                Op::Guard { cond, expect, snap } => {
                    let c = get(*cond)?;
                    let failed = *snap == taken;
                    if let Some(bits) = self.konst_of(c) {
                        if ((bits != 0) == *expect) == failed {
                            return Err(Abort::Mismatch(format!(
                                "{}: a constant guard went the other way",
                                frag.name
                            )));
                        }
                    } else if failed {
                        let s = self.continuation(input, step.fragment, i, &map)?;
                        self.count()?;
                        self.b.push(Op::Guard { cond: c, expect: !*expect, snap: s }, None);
                    } else {
                        let s = self.exit_to(body, *snap, &map)?;
                        self.count()?;
                        self.b.push(Op::Guard { cond: c, expect: *expect, snap: s }, None);
                    }
                    if failed {
                        return self.leave(input, taken_snap, &map, following).map(Some).or_else(host_ok);
                    }
                }
                Op::Ovf(o, a, b2, snap) => {
                    if *snap == taken {
                        return Err(Abort::OverflowTaken { fragment: frag.name.clone() });
                    }
                    let (a, b2) = (get(*a)?, get(*b2)?);
                    let folded = match (self.konst_of(a), self.konst_of(b2)) {
                        (Some(x), Some(y)) => Some(eval_pure(body, &inst.op, inst.ty, &[x, y])),
                        _ => None,
                    };
                    map[i] = Some(match folded {
                        Some(Some(r)) => self.b.konst(inst.ty.unwrap_or(Type::I64), r),
                        Some(None) => {
                            return Err(Abort::Mismatch(format!(
                                "{}: a constant overflow was not taken",
                                frag.name
                            )))
                        }
                        None => {
                            let s = self.exit_to(body, *snap, &map)?;
                            self.count()?;
                            self.b.push(Op::Ovf(*o, a, b2, s), inst.ty)
                        }
                    });
                }
                // A hint's fragment checks what it relies on, so any value is right: the
                // recorded one becomes a constant, unguarded. A promote guards on it.
                Op::Promote(x) | Op::Hint(x) => {
                    let v = get(*x)?;
                    let Some(val) = promoted.next() else {
                        return Err(Abort::Mismatch(format!(
                            "{}: fewer promoted values than promotes and hints",
                            frag.name
                        )));
                    };
                    let ty = body.ty(*x).unwrap_or(Type::I64);
                    let val = val & ty.mask();
                    let k = self.b.konst(ty, val);
                    let guarded = matches!(inst.op, Op::Promote(_));
                    match self.konst_of(v) {
                        Some(bits) if guarded && bits != val => {
                            return Err(Abort::Mismatch(format!(
                                "{}: a constant promoted to another value",
                                frag.name
                            )));
                        }
                        None if guarded => {
                            let s = self.continuation(input, step.fragment, i, &map)?;
                            let c = if ty == Type::F64 {
                                self.b.fcmp(FCmp::Eq, v, k)
                            } else {
                                self.b.icmp(ICmp::Eq, v, k)
                            };
                            self.count()?;
                            self.b.guard(c, s);
                        }
                        _ => {}
                    }
                    // From here on the value is the constant.
                    let old = v;
                    for m in map.iter_mut() {
                        if *m == Some(old) {
                            *m = Some(k);
                        }
                    }
                }
                Op::Load { base, disp, imm, mem } => {
                    let bv = get(*base)?;
                    let ty = inst.ty.unwrap_or(Type::I64);
                    let at = self.konst_of(bv).map(|a| a.wrapping_add(*disp as i64 as u64));
                    // Memory the VM declares immutable is constant whatever the load says:
                    // a load that may read a register or a constant (Lua's RK operands)
                    // folds when it reads the constant.
                    let known = at.and_then(|a| input.memory.read(a, ty.bytes() as usize));
                    map[i] = Some(match known {
                        Some(bits) => self.b.konst(ty, bits),
                        None => {
                            self.count()?;
                            self.b.push(Op::Load { base: bv, disp: *disp, imm: *imm, mem: *mem }, Some(ty))
                        }
                    });
                }
                Op::Call { callee, args, effect, hint } => {
                    let argv: Vec<Value> = args.iter().map(|&a| get(a)).collect::<Result<_, _>>()?;
                    let consts: Option<Vec<u64>> = argv.iter().map(|&a| self.konst_of(a)).collect();
                    let model = match (hint, callee, &consts, inst.ty) {
                        (CallHint::Elidable, Callee::Symbol(name), Some(_), Some(_)) => {
                            input.symbols.get(name).and_then(|f| f.model.clone())
                        }
                        _ => None,
                    };
                    if let (Some(model), Some(consts), Some(ty)) = (model, consts, inst.ty) {
                        map[i] = Some(self.b.konst(ty, model(&consts)));
                        continue;
                    }
                    let callee = match callee {
                        Callee::Symbol(s) => Callee::Symbol(s.clone()),
                        Callee::Value(v) => Callee::Value(get(*v)?),
                    };
                    self.count()?;
                    map[i] = Some(self.b.call_hinted(inst.ty, callee, &argv, *effect, *hint));
                }
                op => {
                    let mut op = op.clone();
                    let mut missing = None;
                    op.map_operands(|v| {
                        map[v.index()].unwrap_or_else(|| {
                            missing = Some(v);
                            v
                        })
                    });
                    if let Some(v) = missing {
                        return Err(Abort::Mismatch(format!(
                            "{}: value %{} used before definition",
                            frag.name, v.0
                        )));
                    }
                    // A select on a constant picks its operand now, so that what is loaded
                    // through it (an RK operand's constant) is known here.
                    if let Op::Select(c, x, y) = op {
                        if let Some(bits) = self.konst_of(c) {
                            map[i] = Some(if bits != 0 { x } else { y });
                            continue;
                        }
                    }
                    let args: Option<Vec<u64>> = op.operands().iter().map(|&v| self.konst_of(v)).collect();
                    let folded = match (&op, args) {
                        (Op::Store { .. } | Op::Call { .. }, _) => None,
                        (_, Some(args)) => eval_pure(body, &inst.op, inst.ty, &args),
                        _ => None,
                    };
                    map[i] = Some(match (folded, inst.ty) {
                        (Some(bits), Some(ty)) => self.b.konst(ty, bits),
                        _ => {
                            self.count()?;
                            self.b.push(op, inst.ty)
                        }
                    });
                }
            }
        }
        let Terminator::Exit(s) = body.term else {
            return Err(Abort::Mismatch(format!("{} does not end in exit", frag.name)));
        };
        if s != taken {
            return Err(Abort::Mismatch(format!(
                "{} left through snap{}, the recording says snap{}",
                frag.name, s.0, taken.0
            )));
        }
        self.leave(input, taken_snap, &map, following).map(Some).or_else(host_ok)
    }

    /// The fragment's snapshot `s` as a trace snapshot (for an exit the recording did not
    /// take): the current state with its entries applied, to its own target.
    fn exit_to(&mut self, body: &Trace, s: SnapId, map: &[Option<Value>]) -> Result<SnapId, Abort> {
        let snap = &body.snaps[s.index()];
        let extra = mapped(snap, map)?;
        let id = self.snapshot(snap.resume, &extra, snap.to);
        Ok(id)
    }

    /// A snapshot that resumes fragment `of` after its instruction `after`.
    fn continuation(
        &mut self,
        input: &Input,
        of: u32,
        after: usize,
        map: &[Option<Value>],
    ) -> Result<SnapId, Abort> {
        let c = input.split.after(of, after).ok_or_else(|| {
            Abort::Mismatch(format!(
                "no continuation after instruction {after} of {}",
                frag_name(&input.split.program, of)
            ))
        })?;
        let mut extra = Vec::with_capacity(c.live.len());
        for &(v, slot) in &c.live {
            let tv =
                map[v.index()].ok_or_else(|| Abort::Mismatch("continuation value not defined".into()))?;
            extra.push((slot, tv));
        }
        Ok(self.snapshot(0, &extra, SnapTo::Fragment(c.id)))
    }

    /// Applies the taken snapshot and finds the next fragment; `Err(None)` for the host.
    fn leave(
        &mut self,
        input: &Input,
        snap: &Snapshot,
        map: &[Option<Value>],
        following: Option<u32>,
    ) -> Result<u32, Option<Abort>> {
        let extra = mapped(snap, map).map_err(Some)?;
        for &(s, v) in &extra {
            self.cur[s as usize] = Some(v);
        }
        let p = &input.split.program;
        match snap.to {
            SnapTo::Host => Err(None),
            SnapTo::Fragment(g) => Ok(g),
            SnapTo::Dispatch { table, slot } => {
                let idx = self.value(slot);
                let targets = &p.tables[table as usize].targets;
                if let Some(k) = self.konst_of(idx) {
                    return match usize::try_from(k).ok().and_then(|k| targets.get(k)) {
                        Some(&g) => Ok(g),
                        None => Err(None),
                    };
                }
                // A dispatch the recording followed elsewhere than into the table (or off the
                // end of the recording to the host) does not fit.
                let Some((k, next)) =
                    following.and_then(|f| Some((targets.iter().position(|&g| g == f)?, f)))
                else {
                    return Err(Some(Abort::Mismatch(format!(
                        "table {} has no entry for {}",
                        p.tables[table as usize].name,
                        following.map_or("the host".into(), |f| frag_name(p, f))
                    ))));
                };
                let ty = p.slots[slot as usize].ty;
                let kc = self.b.konst(ty, k as u64);
                let c = self.b.icmp(ICmp::Eq, idx, kc);
                let s = self.snapshot(snap.resume, &[], SnapTo::Dispatch { table, slot });
                self.count().map_err(Some)?;
                self.b.guard(c, s);
                // Past the guard the index is known.
                self.cur[slot as usize] = Some(kc);
                Ok(next)
            }
        }
    }
}

fn host_ok(e: Option<Abort>) -> Result<Option<u32>, Abort> {
    match e {
        None => Ok(None),
        Some(a) => Err(a),
    }
}

fn mapped(snap: &Snapshot, map: &[Option<Value>]) -> Result<Vec<(u32, Value)>, Abort> {
    snap.entries
        .iter()
        .map(|&(s, v)| {
            map.get(v.index())
                .copied()
                .flatten()
                .map(|tv| (s, tv))
                .ok_or_else(|| Abort::Mismatch("snapshot value not defined".into()))
        })
        .collect()
}
