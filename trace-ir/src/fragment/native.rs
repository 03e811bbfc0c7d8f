//! The native interpreter: a program lowered to traces that the host `Jit` installs and links
//! into one another, so fragments hand over with direct jumps and never return to the host
//! until a snapshot says so.
//!
//! Every fragment is lowered twice. The plain copy is the fragment itself. The recording
//! copy also appends to a log in memory: before each exit it stores the exit word
//! (`fragment << 32 | snap`, see `recording`) at the log pointer, and only the snapshot of
//! the exit taken advances the pointer, so a guard that passes leaves a word the next write
//! replaces. `promote` stores `LOG_PROMOTE` and the value. The log pointer and its end live
//! in two slots after the program's own; a recording fragment that might run past the end
//! leaves to the host first, with nothing written. Recording copies continue in recording
//! copies, so switching copies at a fragment boundary starts or stops recording, and the
//! plain copy pays nothing for the recorder.
//!
//! A dispatch is lowered to a `dispatch` terminator: the snapshot is written, and the index
//! selects the next trace from a jump table (an indirect jump in the backend; an index past
//! the table leaves to the host through the snapshot). A table entry that is a control point
//! the lowering stops at leaves through its own copy of the snapshot, whose origin says so.
//!
//! This file knows no architecture: it builds traces and drives the `Jit` trait.

use super::Program;
use crate::backend::{BackendError, CodeSpace, Jit};
use std::collections::HashMap;

use crate::ir::*;
use crate::recording::{Recording, LOG_PROMOTE};
use crate::symbols::Symbols;
use crate::types::Type;

/// Which copy of a fragment a trace is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Copy {
    Plain,
    Recording,
}

/// Where an exit of a lowered trace came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// Snapshot `snap` of fragment `fragment` (a host exit, or a dispatch past its table).
    Snap { fragment: u32, snap: SnapId },
    /// The recording log is full: nothing of `fragment` ran, the state is its entry state.
    LogFull { fragment: u32 },
    /// A dispatcher (see `Lowered::dispatchers`) found an index past its table.
    Dispatch { table: u32, slot: u32 },
    /// Control reached control point `to` (lowered with `stop_at_controls`) through snapshot
    /// `from` of a fragment (`None` from a dispatcher): the slots hold the state at its entry.
    Control { to: u32, from: Option<(u32, SnapId)> },
}

/// `LoweredTrace::fragment` of a dispatcher, which copies no fragment.
pub const DISPATCHER: u32 = u32::MAX;

/// One lowered trace.
#[derive(Clone, Debug)]
pub struct LoweredTrace {
    /// The fragment this is a copy of (`DISPATCHER` for a dispatcher).
    pub fragment: u32,
    pub copy: Copy,
    pub trace: Trace,
    /// Per snapshot of `trace`: where it came from.
    pub origins: Vec<Origin>,
    /// Exits to link once everything is installed: (snapshot of `trace`, target trace
    /// index in `Lowered::traces`).
    pub links: Vec<(SnapId, u32)>,
    /// Per snapshot of `trace`: how many `promote`s of the fragment ran before it left
    /// through it (what a hardware recording takes from the side log at that exit).
    pub promotes: Vec<u32>,
}

/// A program lowered for a `Jit` whose next trace id is `base`.
#[derive(Clone, Debug)]
pub struct Lowered {
    pub base: u32,
    /// Plain copies are `0..n`, recording copies `n..2n`, in fragment order, then one
    /// dispatcher per `(table, slot)` pair the program dispatches on. Without the recording
    /// copies (`plain_only`), the dispatchers follow the plain copies.
    pub traces: Vec<LoweredTrace>,
    /// `n`, the program's fragment count.
    pub fragments: u32,
    /// Entry points that dispatch on their own: `(table, slot)` and the index in `traces` of
    /// the (plain) trace that reads the slot and enters the table's fragment. A trace built
    /// from a recording leaves to one when it cannot know the index.
    pub dispatchers: Vec<((u32, u32), u32)>,
    /// The slot holding the log pointer; the log end is the next one.
    pub log_slot: u32,
}

impl Lowered {
    /// The index in `traces` of a fragment's copy.
    pub fn index(&self, fragment: u32, copy: Copy) -> u32 {
        let n = self.fragments;
        match copy {
            Copy::Plain => fragment,
            Copy::Recording => n + fragment,
        }
    }

    /// Whether the recording copies are present.
    pub fn has_recording(&self) -> bool {
        self.traces.len() - self.dispatchers.len() == 2 * self.fragments as usize
    }

    /// Drops the recording copies (to measure what they cost the plain copy). Plain copies
    /// and dispatchers link only to plain copies and dispatchers, so only the dispatchers'
    /// indices move.
    pub fn plain_only(mut self) -> Lowered {
        if !self.has_recording() {
            return self;
        }
        let n = self.fragments;
        let moved = |k: u32| if k >= 2 * n { k - n } else { k };
        self.traces.drain(n as usize..2 * n as usize);
        for t in &mut self.traces {
            for l in &mut t.links {
                l.1 = moved(l.1);
            }
            let base = self.base;
            let remap = |trace: &mut u32| {
                if let Some(k) = trace.checked_sub(base) {
                    *trace = base + moved(k);
                }
            };
            match &mut t.trace.term {
                Terminator::Link { trace, .. } => remap(trace),
                Terminator::Dispatch { targets, .. } => {
                    for d in targets {
                        if let DispatchTarget::Trace(trace) = d {
                            remap(trace);
                        }
                    }
                }
                _ => {}
            }
        }
        for d in &mut self.dispatchers {
            d.1 = moved(d.1);
        }
        self
    }

    /// How many slots a run needs: the program's, plus the log pointer and end.
    pub fn slot_count(&self) -> usize {
        self.log_slot as usize + 2
    }
}

/// Lowers every fragment of `p` (which must verify) into its two copies. With
/// `stop_at_controls`, every way into a control point leaves to the host instead (a runtime
/// counts there, and enters traces); without, control points are ordinary fragments.
pub fn lower(p: &Program, base: u32, stop_at_controls: bool) -> Lowered {
    let n = p.fragments.len() as u32;
    let log_slot = p.slots.len() as u32;
    let mut traces = Vec::with_capacity(2 * n as usize);
    for copy in [Copy::Plain, Copy::Recording] {
        for f in 0..n {
            traces.push(lower_fragment(p, f, copy, base, log_slot, stop_at_controls));
        }
    }
    let mut pairs: Vec<(u32, u32)> = (p.fragments.iter().flat_map(|f| f.body.snaps.iter()))
        .filter_map(|s| match s.to {
            SnapTo::Dispatch { table, slot } => Some((table, slot)),
            _ => None,
        })
        .collect();
    pairs.sort_unstable();
    pairs.dedup();
    let mut dispatchers = Vec::with_capacity(pairs.len());
    for (table, slot) in pairs {
        dispatchers.push(((table, slot), traces.len() as u32));
        traces.push(dispatcher(p, table, slot, base, stop_at_controls));
    }
    Lowered { base, traces, fragments: n, log_slot, dispatchers }
}

/// A trace that only dispatches: reads `slot` and enters the plain copy of the fragment
/// `table` names there, or leaves to the host past the table's end.
fn dispatcher(p: &Program, table: u32, slot: u32, base: u32, stop_at_controls: bool) -> LoweredTrace {
    let ty = p.slots[slot as usize].ty;
    let mut b = crate::Builder::named(&format!("dispatch.{}.{slot}", p.tables[table as usize].name));
    let idx = b.input(slot, ty);
    let out = b.snapshot_to(SnapTo::Dispatch { table, slot }, 0, &[]);
    let mut origins = vec![Origin::Dispatch { table, slot }];
    let mut targets = Vec::new();
    for &g in &p.tables[table as usize].targets {
        if stop_at_controls && p.is_control(g) {
            targets.push(DispatchTarget::Exit(b.snapshot_to(SnapTo::Fragment(g), 0, &[])));
            origins.push(Origin::Control { to: g, from: None });
        } else {
            // Dispatchers enter plain copies, which are `0..n`.
            targets.push(DispatchTarget::Trace(base + g));
        }
    }
    let promotes = vec![0; origins.len()];
    let trace = b.dispatch(idx, out, &targets);
    LoweredTrace { fragment: DISPATCHER, copy: Copy::Plain, trace, origins, links: Vec::new(), promotes }
}

/// Copies a fragment's body instruction by instruction, adding what its copy needs.
struct Lowerer<'p> {
    p: &'p Program,
    frag: u32,
    copy: Copy,
    base: u32,
    log_slot: u32,
    out: Trace,
    origins: Vec<Origin>,
    links: Vec<(SnapId, u32)>,
    /// Per snapshot so far: the promotes before it; and the promotes seen so far.
    promotes: Vec<u32>,
    promoted: u32,
    /// The recording copy's log pointer at entry, and the bytes written so far.
    log: Option<(Value, i32)>,
    map: Vec<Value>,
    consts: HashMap<(Type, u64), Value>,
    stop_at_controls: bool,
    /// The terminator's dispatch, once `exit` has lowered it.
    dispatch: Option<Terminator>,
}

impl Lowerer<'_> {
    fn push(&mut self, op: Op, ty: Option<Type>) -> Value {
        self.out.insts.push(Inst { op, ty, name: None });
        Value(self.out.insts.len() as u32 - 1)
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

    /// Links snapshot `id` to fragment `g`, or, when `g` is a control point the lowering
    /// stops at, leaves it a host exit that says so.
    fn link_or_stop(&mut self, id: SnapId, g: u32) {
        if self.stop_at_controls && self.p.is_control(g) {
            self.origins[id.index()] = self.control_origin(id, g);
        } else {
            let t = self.target_trace(g);
            self.links.push((id, t));
        }
    }

    /// The origin of snapshot `id` once it stops at control point `g` instead.
    fn control_origin(&self, id: SnapId, g: u32) -> Origin {
        let from = match self.origins[id.index()] {
            Origin::Snap { fragment, snap } => Some((fragment, snap)),
            _ => None,
        };
        Origin::Control { to: g, from }
    }

    fn target_trace(&self, frag: u32) -> u32 {
        let n = self.p.fragments.len() as u32;
        match self.copy {
            Copy::Plain => frag,
            Copy::Recording => n + frag,
        }
    }

    /// A copy of snapshot `s` of the fragment for one exit, with the log pointer advanced
    /// past this exit's word in the recording copy (whose store is emitted here, before the
    /// exit). Returns the new snapshot.
    fn exit_snap(&mut self, s: SnapId, to: SnapTo, origin: Origin) -> SnapId {
        let src = self.p.fragments[self.frag as usize].body.snaps[s.index()].clone();
        let mut entries: Vec<(u32, Value)> =
            src.entries.iter().map(|&(slot, v)| (slot, self.map[v.index()])).collect();
        if let Some((lp, off)) = self.log {
            let word = self.konst(Type::I64, (u64::from(self.frag) << 32) | u64::from(s.0));
            self.push(Op::Store { base: lp, disp: off, value: word, mem: MemClass::Any }, None);
            let step = self.konst(Type::I64, (off + 8) as u64);
            let next = self.push(Op::Bin(BinOp::Add, lp, step), Some(Type::I64));
            entries.push((self.log_slot, next));
        }
        self.out.snaps.push(Snapshot { resume: src.resume, entries, to });
        self.origins.push(origin);
        self.promotes.push(self.promoted);
        SnapId(self.out.snaps.len() as u32 - 1)
    }

    /// The snapshot(s) and guards an exit through `s` needs, for a guard or overflow op
    /// (`mid`) or the terminator. Returns the snapshot the original op or terminator uses.
    fn exit(&mut self, s: SnapId, mid: bool) -> SnapId {
        let snap = self.p.fragments[self.frag as usize].body.snaps[s.index()].clone();
        let origin = Origin::Snap { fragment: self.frag, snap: s };
        match snap.to {
            SnapTo::Host => self.exit_snap(s, SnapTo::Host, origin),
            SnapTo::Fragment(g) => {
                let id = self.exit_snap(s, SnapTo::Fragment(g), origin);
                if mid {
                    self.link_or_stop(id, g);
                } else if self.stop_at_controls && self.p.is_control(g) {
                    self.origins[id.index()] = self.control_origin(id, g);
                }
                id
            }
            SnapTo::Dispatch { table, slot } => {
                let targets = self.p.tables[table as usize].targets.clone();
                let ty = self.p.slots[slot as usize].ty;
                let idx = match snap.entries.iter().find(|e| e.0 == slot) {
                    Some(&(_, v)) => self.map[v.index()],
                    None => self.push(Op::Input { slot }, Some(ty)),
                };
                if mid {
                    // A linear trace cannot hold a dispatch on a guard's failure path;
                    // `check_lowerable` refuses such programs before anything is lowered.
                    return self.exit_snap(s, SnapTo::Host, origin);
                }
                let main = self.exit_snap(s, SnapTo::Dispatch { table, slot }, origin);
                let mut table_out = Vec::with_capacity(targets.len());
                for &g in &targets {
                    if self.stop_at_controls && self.p.is_control(g) {
                        // The same state (the log word is already stored), another origin.
                        let mut copy = self.out.snaps[main.index()].clone();
                        copy.to = SnapTo::Fragment(g);
                        self.out.snaps.push(copy);
                        let id = SnapId(self.out.snaps.len() as u32 - 1);
                        self.origins.push(Origin::Control { to: g, from: Some((self.frag, s)) });
                        self.promotes.push(self.promoted);
                        table_out.push(DispatchTarget::Exit(id));
                    } else {
                        table_out.push(DispatchTarget::Trace(self.base + self.target_trace(g)));
                    }
                }
                self.dispatch = Some(Terminator::Dispatch { index: idx, snap: main, targets: table_out });
                main
            }
        }
    }
}

fn lower_fragment(
    p: &Program,
    frag: u32,
    copy: Copy,
    base: u32,
    log_slot: u32,
    stop_at_controls: bool,
) -> LoweredTrace {
    let body = &p.fragments[frag as usize].body;
    let mut l = Lowerer {
        p,
        frag,
        copy,
        base,
        log_slot,
        out: Trace {
            name: Some(format!(
                "{}{}",
                body.name.as_deref().unwrap_or("f"),
                if copy == Copy::Recording { ".rec" } else { "" }
            )),
            ..Trace::default()
        },
        origins: Vec::new(),
        links: Vec::new(),
        promotes: Vec::new(),
        promoted: 0,
        log: None,
        map: vec![Value(u32::MAX); body.insts.len()],
        consts: HashMap::new(),
        stop_at_controls,
        dispatch: None,
    };
    // Inputs and constants hold everywhere, wherever they sit: map them first.
    for (i, inst) in body.insts.iter().enumerate() {
        let v = match inst.op {
            Op::Const { bits } => l.konst(inst.ty.unwrap_or(Type::I64), bits),
            Op::Input { slot } => l.push(Op::Input { slot }, inst.ty),
            _ => continue,
        };
        l.map[i] = v;
        if let Some(name) = &inst.name {
            l.out.insts[v.index()].name.get_or_insert_with(|| name.clone());
        }
    }
    if copy == Copy::Recording {
        // Room for every word this fragment may write: each promote two, the exit one.
        let promotes =
            body.insts.iter().filter(|i| matches!(i.op, Op::Promote(_) | Op::Hint(_))).count() as i64;
        let need = 8 * (1 + 2 * promotes);
        let lp = l.push(Op::Input { slot: log_slot }, Some(Type::I64));
        let le = l.push(Op::Input { slot: log_slot + 1 }, Some(Type::I64));
        let room = l.push(Op::Bin(BinOp::Sub, le, lp), Some(Type::I64));
        let needc = l.konst(Type::I64, need as u64);
        let ok = l.push(Op::ICmp(ICmp::Uge, room, needc), Some(Type::I1));
        l.out.snaps.push(Snapshot { resume: 0, entries: Vec::new(), to: SnapTo::Host });
        l.origins.push(Origin::LogFull { fragment: frag });
        l.promotes.push(0);
        l.push(Op::Guard { cond: ok, expect: true, snap: SnapId(0) }, None);
        l.log = Some((lp, 0));
    }
    for (i, inst) in body.insts.iter().enumerate() {
        if inst.op.is_positionless() {
            continue;
        }
        let mut op = inst.op.clone();
        let map = &l.map;
        op.map_operands(|v| map[v.index()]);
        if matches!(op, Op::Promote(_) | Op::Hint(_)) {
            l.promoted += 1;
        }
        let v = match op {
            Op::Guard { cond, expect, snap } => {
                let s = l.exit(snap, true);
                l.push(Op::Guard { cond, expect, snap: s }, None)
            }
            Op::Ovf(o, a, b, snap) => {
                let s = l.exit(snap, true);
                l.push(Op::Ovf(o, a, b, s), inst.ty)
            }
            Op::Promote(x) | Op::Hint(x) => match l.log {
                Some((lp, off)) => {
                    let tag = l.konst(Type::I64, LOG_PROMOTE);
                    l.push(Op::Store { base: lp, disp: off, value: tag, mem: MemClass::Any }, None);
                    // `x` is already a value of the lowered trace.
                    let word = match l.out.ty(x) {
                        Some(Type::F64) => l.push(Op::Conv(Conv::Bitcast, x), Some(Type::I64)),
                        Some(Type::I64) => x,
                        _ => l.push(Op::Conv(Conv::ZExt, x), Some(Type::I64)),
                    };
                    l.push(Op::Store { base: lp, disp: off + 8, value: word, mem: MemClass::Any }, None);
                    l.log = Some((lp, off + 16));
                    continue;
                }
                None => continue,
            },
            op => l.push(op, inst.ty),
        };
        l.map[i] = v;
        if let Some(name) = &inst.name {
            l.out.insts[v.index()].name.get_or_insert_with(|| name.clone());
        }
    }
    let Terminator::Exit(s) = body.term else { unreachable!("verified fragments end in exit") };
    let last = l.exit(s, false);
    l.out.term = match (l.out.snaps[last.index()].to, l.origins[last.index()]) {
        _ if l.dispatch.is_some() => l.dispatch.take().expect("just checked"),
        (_, Origin::Control { .. }) => Terminator::Exit(last),
        (SnapTo::Fragment(g), _) => Terminator::Link { trace: l.base + l.target_trace(g), snap: last },
        _ => Terminator::Exit(last),
    };
    // Snapshots keep their targets for the reader, but a trace's own exits go where the
    // links say; the backends treat every snapshot as a host exit until linked.
    LoweredTrace {
        fragment: frag,
        copy,
        trace: l.out,
        origins: l.origins,
        links: l.links,
        promotes: l.promotes,
    }
}

/// Dispatches only at terminators: a mid-fragment guard that dispatches cannot be lowered
/// to a linear trace. `None` when every fragment is lowerable.
pub fn check_lowerable(p: &Program) -> Option<String> {
    for f in &p.fragments {
        for inst in &f.body.insts {
            if let Some(s) = inst.op.snap() {
                if matches!(f.body.snaps.get(s.index()).map(|s| s.to), Some(SnapTo::Dispatch { .. })) {
                    return Some(format!(
                        "fragment {}: snap{} dispatches from a guard; dispatch from the fragment's exit instead",
                        f.name, s.0
                    ));
                }
            }
        }
    }
    None
}

/// How a native run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NativeExit {
    pub origin: Origin,
    pub resume: u64,
}

/// A program installed in a `Jit`: both copies of every fragment, linked.
pub struct NativeInterp {
    pub lowered: Lowered,
}

impl NativeInterp {
    /// Lowers `p` (verified, see `verify`) and installs it in `jit`: a `Jit` to run it, or
    /// any `CodeSpace` to build its code and block map only (AArch64 code on x86-64).
    /// Control points are ordinary fragments.
    pub fn install<J: CodeSpace + ?Sized>(
        jit: &mut J,
        p: &Program,
        symbols: &Symbols,
    ) -> Result<NativeInterp, BackendError> {
        NativeInterp::install_with(jit, p, symbols, false)
    }

    /// As `install`, but the plain copy only (to measure what the recording copy costs the
    /// plain one); `record`, and `run` of `Copy::Recording`, are then errors.
    pub fn install_plain<J: CodeSpace + ?Sized>(
        jit: &mut J,
        p: &Program,
        symbols: &Symbols,
    ) -> Result<NativeInterp, BackendError> {
        NativeInterp::install_copies(jit, p, symbols, false, false)
    }

    /// As `install`; with `stop_at_controls`, entering a control point leaves to the host
    /// (`Origin::Control`), which is how a runtime gets to count loops and enter traces.
    pub fn install_with<J: CodeSpace + ?Sized>(
        jit: &mut J,
        p: &Program,
        symbols: &Symbols,
        stop_at_controls: bool,
    ) -> Result<NativeInterp, BackendError> {
        NativeInterp::install_copies(jit, p, symbols, stop_at_controls, true)
    }

    fn install_copies<J: CodeSpace + ?Sized>(
        jit: &mut J,
        p: &Program,
        symbols: &Symbols,
        stop_at_controls: bool,
        recording: bool,
    ) -> Result<NativeInterp, BackendError> {
        super::verify::verify(p).map_err(|e| BackendError::Invalid(e.to_string()))?;
        if let Some(m) = check_lowerable(p) {
            return Err(BackendError::Unsupported(m));
        }
        let base = jit.trace_total();
        let mut lowered = lower(p, base, stop_at_controls);
        if !recording {
            lowered = lowered.plain_only();
        }
        for (k, t) in lowered.traces.iter().enumerate() {
            let id = jit.add_trace(&t.trace, symbols).map_err(|e| match e {
                BackendError::Invalid(m) => BackendError::Invalid(format!(
                    "lowered fragment {}: {m}",
                    t.trace.name.as_deref().unwrap_or("?")
                )),
                e => e,
            })?;
            if id != base + k as u32 {
                return Err(BackendError::Invalid(format!(
                    "the Jit gave id {id}, expected {}",
                    base + k as u32
                )));
            }
        }
        for (k, t) in lowered.traces.iter().enumerate() {
            for &(snap, to) in &t.links {
                jit.set_exit_link(base + k as u32, snap, Some(base + to))?;
            }
        }
        Ok(NativeInterp { lowered })
    }

    /// The trace id of a fragment's copy.
    pub fn trace_id(&self, fragment: u32, copy: Copy) -> u32 {
        self.lowered.base + self.lowered.index(fragment, copy)
    }

    /// The trace id of the dispatcher on `table` indexed by `slot`, when the program has one.
    pub fn dispatcher_id(&self, table: u32, slot: u32) -> Option<u32> {
        let d = self.lowered.dispatchers.iter().find(|d| d.0 == (table, slot))?;
        Some(self.lowered.base + d.1)
    }

    /// The trace id a snapshot target enters in the plain interpreter (`None` for the host).
    pub fn entry_for(&self, to: SnapTo) -> Option<u32> {
        match to {
            SnapTo::Host => None,
            SnapTo::Fragment(f) => Some(self.trace_id(f, Copy::Plain)),
            SnapTo::Dispatch { table, slot } => self.dispatcher_id(table, slot),
        }
    }

    /// Where an exit of the installed code came from.
    pub fn origin(&self, trace: u32, snap: SnapId) -> Option<Origin> {
        let k = trace.checked_sub(self.lowered.base)?;
        self.lowered.traces.get(k as usize)?.origins.get(snap.index()).copied()
    }

    /// Runs from `fragment` in the given copy until a snapshot goes to the host. `slots` must
    /// hold `lowered.slot_count()` slots; for the recording copy the last two are the log
    /// pointer and end (see `record`).
    ///
    /// # Safety
    /// As `Jit::run`: every load, store and call the program performs from this state must
    /// be valid (running `fragment::interp` first on the same inputs is one way to know).
    pub unsafe fn run<J: Jit + ?Sized>(
        &self,
        jit: &mut J,
        fragment: u32,
        copy: Copy,
        slots: &mut [u64],
    ) -> Result<NativeExit, BackendError> {
        if copy == Copy::Recording && !self.lowered.has_recording() {
            return Err(BackendError::Unsupported("installed without the recording copy".into()));
        }
        if fragment >= self.lowered.fragments {
            return Err(BackendError::Invalid(format!("fragment {fragment} does not exist")));
        }
        if slots.len() < self.lowered.slot_count() {
            return Err(BackendError::Restore(format!(
                "the program needs {} slots (its own and the log's), the slot array has {}",
                self.lowered.slot_count(),
                slots.len()
            )));
        }
        // SAFETY: the caller vouches for the program's memory accesses and calls.
        let e = unsafe { jit.run(self.trace_id(fragment, copy), slots)? };
        let origin = self
            .origin(e.trace, e.snap)
            .ok_or(BackendError::UnknownExit { trace: e.trace, snap: e.snap.0 })?;
        Ok(NativeExit { origin, resume: e.resume })
    }

    /// Runs the recording copy from `fragment` with a log of `capacity` words, and returns
    /// how it ended with the recording of everything it ran.
    ///
    /// # Safety
    /// As `run`.
    pub unsafe fn record<J: Jit + ?Sized>(
        &self,
        jit: &mut J,
        fragment: u32,
        slots: &mut [u64],
        capacity: usize,
    ) -> Result<(NativeExit, Recording), BackendError> {
        let mut log = vec![0u64; capacity];
        let ls = self.lowered.log_slot as usize;
        if slots.len() < ls + 2 {
            return Err(BackendError::Restore(format!("the program needs {} slots", ls + 2)));
        }
        let start = log.as_mut_ptr() as u64;
        slots[ls] = start;
        slots[ls + 1] = start + 8 * capacity as u64;
        // SAFETY: the recording copy writes only below the log end (each fragment checks its
        // room first), and `log` outlives the run; the rest is the caller's contract.
        let e = unsafe { self.run(jit, fragment, Copy::Recording, slots)? };
        let used = ((slots[ls] - start) / 8) as usize;
        let rec = Recording::from_log(&log[..used.min(capacity)]).map_err(BackendError::Restore)?;
        Ok((e, rec))
    }
}
