//! The driver: a fragment program run with a JIT. It holds the native interpreter, the
//! code cache and the policy. Control points leave the native interpreter to here; the
//! driver counts each location (a control point and its green values, compared whole: no
//! hashing collisions), records a hot one with the recording copy, builds and installs the
//! trace, and enters it from then on. Trace exits come back here until they are hot enough
//! for a side trace or cold enough to be linked straight into the interpreter.
//!
//! Compiled code never runs while the driver patches or flushes: `Jit::run` returns before
//! any of that happens (the backends' thread-safety contract).

use std::collections::{HashMap, HashSet};
use std::time::Instant;

use trace_ir::backend::{BackendError, Jit};
use trace_ir::fragment::native::{Copy, NativeInterp, Origin};
use trace_ir::fragment::split::{split, Split};
use trace_ir::fragment::Program;
use trace_ir::ir::{SnapId, SnapTo, Trace};
use trace_ir::Symbols;

use crate::build::{build, Ending, ImmMemory, Input, Limits};
use crate::config::{Config, Dump, Recorder};
use crate::stats::Stats;

/// Green slots a program may have (a location's key is a fixed array: looking one up at
/// every control point allocates nothing).
pub const MAX_GREENS: usize = 8;

/// A location: a control point and the values of the green slots there (unused entries 0).
pub type Key = (u32, [u64; MAX_GREENS]);

/// LuaJIT's penalty scheme: each abort at a location raises the count it needs before the
/// next try, doubling from `PENALTY_MIN`; past `PENALTY_MAX` the location is blacklisted.
const PENALTY_MIN: u32 = 36;
const PENALTY_MAX: u32 = 60_000;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RunError {
    Backend(BackendError),
    /// The settings ask for something this machine cannot do.
    Config(String),
}

impl std::fmt::Display for RunError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RunError::Backend(e) => write!(f, "{e}"),
            RunError::Config(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for RunError {}

impl From<BackendError> for RunError {
    fn from(e: BackendError) -> RunError {
        RunError::Backend(e)
    }
}

/// How a run ended: the resume word of the snapshot that went to the host, and, when the
/// interpreter took it, where (`None`: a trace's own copy of such a snapshot).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RunExit {
    pub origin: Option<Origin>,
    pub resume: u64,
}

/// One compiled trace.
struct TraceRec {
    /// The number the log and the statistics use (from 1).
    number: u32,
    trace: Trace,
    /// The parent trace and exit of a side trace.
    parent: Option<(u32, SnapId)>,
    /// The slots the trace assumes constant at entry (a root's green slots; for a side
    /// trace what its parent's exit wrote from constants or knew and kept).
    entry_consts: Vec<(u32, u64)>,
    /// Per snapshot: times taken through the driver.
    taken: Vec<u32>,
    /// Per snapshot: times it must be taken before a side trace is recorded from it, and
    /// the penalty of its aborted recordings so far.
    exit_threshold: Vec<u32>,
    exit_penalty: Vec<u32>,
    /// Side traces hanging off this root (roots only).
    sides: u32,
}

struct Counter {
    count: u32,
    threshold: u32,
    penalty: u32,
}

/// Where to go next.
enum At {
    Fragment(u32),
    Trace(u32),
    Origin(Origin, u64),
    /// A trace left through a host snapshot, with its resume word.
    Host(u64),
}

pub struct Driver {
    config: Config,
    program: Program,
    split: Split,
    symbols: Symbols,
    jit: Box<dyn Jit>,
    native: NativeInterp,
    /// Root traces by location (Jit ids).
    roots: HashMap<Key, u32>,
    /// Compiled traces by Jit id.
    traces: HashMap<u32, TraceRec>,
    counters: HashMap<Key, Counter>,
    blacklist: HashSet<Key>,
    next_number: u32,
    mcode: u64,
    slots: Vec<u64>,
    /// The program's green slots, in order.
    greens: Vec<u32>,
    pub stats: Stats,
    /// The trace log's lines so far (kept when `config.log` is on, as well as printed).
    pub log_lines: Vec<String>,
}

impl Driver {
    /// A driver for `program` (verified) with the host backend.
    pub fn new(program: &Program, symbols: Symbols, config: Config) -> Result<Driver, RunError> {
        match config.recorder {
            Recorder::Auto | Recorder::Software => {}
            Recorder::Pt | Recorder::Etm => {
                return Err(RunError::Config(format!(
                    "TRACERY_RECORDER={}: the hardware recorders are not wired into the runtime yet; use software or auto",
                    if config.recorder == Recorder::Pt { "pt" } else { "etm" }
                )))
            }
        }
        let greens = program.green_slots();
        if greens.len() > MAX_GREENS {
            return Err(RunError::Config(format!(
                "the program has {} green slots; the runtime keys locations by at most {MAX_GREENS}",
                greens.len()
            )));
        }
        let split = split(program);
        let mut jit =
            crate::host_jit().ok_or_else(|| RunError::Config("no backend for this machine".into()))?;
        let native = NativeInterp::install_with(&mut *jit, &split.program, &symbols, config.jit)?;
        let slots = vec![0; native.lowered.slot_count()];
        let mut d = Driver {
            config,
            program: program.clone(),
            split,
            symbols,
            jit,
            native,
            roots: HashMap::new(),
            traces: HashMap::new(),
            counters: HashMap::new(),
            blacklist: HashSet::new(),
            next_number: 1,
            mcode: 0,
            slots,
            greens,
            stats: Stats::default(),
            log_lines: Vec::new(),
        };
        d.write_perfmap_fragments();
        Ok(d)
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Installed traces (roots and sides).
    pub fn trace_count(&self) -> usize {
        self.traces.len()
    }

    fn log(&mut self, line: impl FnOnce(&Driver) -> String) {
        if self.config.log {
            let l = line(self);
            eprintln!("[tracery] {l}");
            self.log_lines.push(l);
        }
    }

    fn name(&self, f: u32) -> &str {
        self.split.program.fragments.get(f as usize).map_or("?", |x| x.name.as_str())
    }

    fn key_text(&self, key: &Key) -> String {
        let vals: Vec<String> = (self.greens.iter().zip(&key.1))
            .map(|(&g, v)| format!("{}={v:#x}", self.program.slots[g as usize].name))
            .collect();
        format!("{} {}", self.name(key.0), vals.join(" "))
    }

    fn key_at(&self, f: u32, slots: &[u64]) -> Key {
        let mut k = [0u64; MAX_GREENS];
        for (i, &g) in self.greens.iter().enumerate() {
            k[i] = slots[g as usize];
        }
        (f, k)
    }

    /// Runs the program from its entry on `slots` (the program's own slots) until it goes to
    /// the host.
    ///
    /// # Safety
    /// As `Jit::run`: every load, store and call the program performs from this state must
    /// be valid, in the interpreter and in any trace built from it (traces do what the
    /// fragments do, on the same memory). `imm` is what `imm` loads read at build time, and
    /// must not change while traces built on it are installed.
    pub unsafe fn run(&mut self, slots: &mut [u64], imm: &dyn ImmMemory) -> Result<RunExit, RunError> {
        let n = self.program.slots.len();
        if slots.len() < n {
            return Err(RunError::Config(format!("the program has {n} slots, the array {}", slots.len())));
        }
        self.slots.iter_mut().for_each(|s| *s = 0);
        self.slots[..n].copy_from_slice(&slots[..n]);
        let started = Instant::now();
        // SAFETY: the caller's contract.
        let r = unsafe { self.run_inner(imm) };
        self.stats.total += started.elapsed();
        slots[..n].copy_from_slice(&self.slots[..n]);
        r
    }

    unsafe fn run_inner(&mut self, imm: &dyn ImmMemory) -> Result<RunExit, RunError> {
        let mut at = At::Fragment(self.program.entry);
        loop {
            at = match at {
                At::Fragment(f) => {
                    let t = Instant::now();
                    // SAFETY: the caller's contract (`run`).
                    let e = unsafe { self.native.run(&mut *self.jit, f, Copy::Plain, &mut self.slots)? };
                    self.stats.interp += t.elapsed();
                    At::Origin(e.origin, e.resume)
                }
                At::Trace(id) => {
                    let t = Instant::now();
                    // SAFETY: the caller's contract: traces do what the fragments would.
                    let x = unsafe { self.jit.run(id, &mut self.slots)? };
                    self.stats.in_traces += t.elapsed();
                    if self.traces.contains_key(&x.trace) {
                        self.trace_exit(x.trace, x.snap, imm)?
                    } else {
                        match self.native.origin(x.trace, x.snap) {
                            Some(o) => At::Origin(o, x.resume),
                            None => {
                                return Err(
                                    BackendError::UnknownExit { trace: x.trace, snap: x.snap.0 }.into()
                                )
                            }
                        }
                    }
                }
                At::Origin(Origin::Control { to, .. }, _) => self.control(to, imm)?,
                At::Origin(origin, resume) => return Ok(RunExit { origin: Some(origin), resume }),
                At::Host(resume) => return Ok(RunExit { origin: None, resume }),
            };
        }
    }

    /// At control point `f`: enter its trace, count, or record.
    fn control(&mut self, f: u32, imm: &dyn ImmMemory) -> Result<At, RunError> {
        let key = self.key_at(f, &self.slots);
        if let Some(&id) = self.roots.get(&key) {
            self.stats.trace_entries += 1;
            return Ok(At::Trace(id));
        }
        if self.blacklist.contains(&key) {
            return Ok(At::Fragment(f));
        }
        let hot = self.config.hotloop;
        let c = self.counters.entry(key).or_insert(Counter { count: 0, threshold: hot, penalty: 0 });
        c.count += 1;
        if c.count < c.threshold {
            return Ok(At::Fragment(f));
        }
        c.count = 0;
        self.record(f, key, None, imm)
    }

    /// Records from fragment `start` with the recording copy (which runs for real, up to the
    /// next control point), builds and installs the trace. `parent` is the trace and exit a
    /// side trace starts from.
    fn record(
        &mut self,
        start: u32,
        key: Key,
        parent: Option<(u32, SnapId)>,
        imm: &dyn ImmMemory,
    ) -> Result<At, RunError> {
        if self.traces.len() as u32 >= self.config.maxtrace || self.mcode >= self.config.maxmcode {
            self.flush()?;
            if parent.is_some() {
                // The parent is gone with the flush.
                return Ok(At::Fragment(start));
            }
        }
        let number = self.next_number;
        match parent {
            None => self.log(|d| format!("trace {number} start {}", d.key_text(&key))),
            Some((p, s)) => {
                let pn = self.traces[&p].number;
                self.log(|d| format!("trace {number} start side of {pn}/snap{} at {}", s.0, d.name(start)))
            }
        }
        let entry = self.slots.clone();
        let began = Instant::now();
        let t = began;
        // SAFETY: the recording copy does what the plain copy would (the caller's contract
        // for `run`), and writes its log only within the buffer it is given.
        let (e, rec) =
            unsafe { self.native.record(&mut *self.jit, start, &mut self.slots, self.config.maxrecord)? };
        self.stats.recording += t.elapsed();
        let next = At::Origin(e.origin, e.resume);
        let end = match e.origin {
            Origin::Control { to, .. } => Some(to),
            Origin::LogFull { fragment } => {
                self.abort(&key, parent, "recording log full".into());
                return Ok(At::Fragment(fragment));
            }
            _ => None,
        };
        if self.config.dumps.contains(&Dump::Record) {
            eprint!("--- trace {number} record\n{}", rec.print(&self.split.program.fragment_names()));
        }
        let t = Instant::now();
        let roots = &self.roots;
        let lookup = |f: u32, g: &[u64]| {
            let mut k = [0u64; MAX_GREENS];
            k[..g.len().min(MAX_GREENS)].copy_from_slice(&g[..g.len().min(MAX_GREENS)]);
            roots.get(&(f, k)).copied()
        };
        let entry_dispatch =
            match parent.and_then(|(p, s)| Some(self.traces.get(&p)?.trace.snaps[s.index()].to)) {
                Some(SnapTo::Dispatch { table, slot }) => Some((table, slot)),
                _ => None,
            };
        // What the trace may take as constant at its entry: a root its green slots; a side
        // trace what its parent knew at entry, with its exit's writes applied.
        let consts: Vec<(u32, u64)> = match parent.and_then(|(p, s)| Some((self.traces.get(&p)?, s))) {
            Some((pt, s)) => {
                let mut known: std::collections::BTreeMap<u32, u64> =
                    pt.entry_consts.iter().copied().collect();
                for &(slot, v) in &pt.trace.snaps[s.index()].entries {
                    match pt.trace.const_bits(v) {
                        Some(bits) => known.insert(slot, bits),
                        None => known.remove(&slot),
                    };
                }
                known.into_iter().collect()
            }
            None => self.program.green_slots().iter().map(|&g| (g, entry[g as usize])).collect(),
        };
        let built = build(&Input {
            split: &self.split,
            recording: &rec,
            start,
            end,
            side: parent.is_some(),
            entry: &entry,
            entry_dispatch,
            consts: &consts,
            memory: imm,
            symbols: &self.symbols,
            lookup: &lookup,
            limits: Limits { max_insts: self.config.maxinsts, max_snaps: self.config.maxsnaps },
        });
        self.stats.building += t.elapsed();
        let built = match built {
            Ok(b) => b,
            Err(a) => {
                self.abort(&key, parent, a.to_string());
                return Ok(next);
            }
        };
        if parent.is_none() {
            if let Ending::Interpreter(g) = built.ending {
                // Another loop's header. The first time, give that inner loop its trace
                // first (LuaJIT raises its counter instead). When this location has been
                // turned away before, the two loops reach each other's headers (as a loop
                // and the coroutine it resumes do): keep the trace, which leaves into the
                // interpreter there, rather than abort both for ever.
                let retried = self.counters.get(&key).is_some_and(|c| c.penalty > 0);
                if !retried {
                    let inner = self.key_at(g, &self.slots);
                    if let Some(c) = self.counters.get_mut(&inner) {
                        c.count = c.count.max(c.threshold.saturating_sub(1));
                    }
                    self.abort(&key, None, format!("inner loop at {}", self.name(g)));
                    return Ok(next);
                }
            }
        }
        let t = Instant::now();
        let (id, installed) = self.compile(number, &built.trace)?;
        let us = t.elapsed().as_secs_f64() * 1e6;
        self.stats.compiling += t.elapsed();
        self.stats.compile_us.push(us);
        self.stats.trace_us.push(began.elapsed().as_secs_f64() * 1e6);
        let info = self.jit.code_info(id);
        let bytes = info.as_ref().map_or(0, |i| i.len);
        self.mcode += bytes;
        let nsnaps = installed.snaps.len();
        let tr = TraceRec {
            number,
            trace: installed,
            parent,
            entry_consts: consts,
            taken: vec![0; nsnaps],
            exit_threshold: vec![self.config.hotexit; nsnaps],
            exit_penalty: vec![0; nsnaps],
            sides: 0,
        };
        let insts = tr.trace.insts.len();
        self.traces.insert(id, tr);
        self.next_number += 1;
        self.stats.traces += 1;
        let ending = match built.ending {
            Ending::Loop => "loop".to_string(),
            Ending::Link(t) => format!("link {}", self.traces.get(&t).map_or(0, |x| x.number)),
            Ending::Interpreter(g) => format!("interpreter at {}", self.name(g)),
            Ending::Host => "host".into(),
        };
        self.log(|_| format!("trace {number} compiled: {insts} instructions, {nsnaps} snapshots, {bytes} bytes, {us:.0} µs, {ending}"));
        if let Some(i) = &info {
            self.perfmap(i.start, i.len, &format!("tracery trace {number} ({})", self.name(start)));
        }
        match parent {
            None => {
                self.roots.insert(key, id);
            }
            Some((p, s)) => {
                self.jit.link_exit(p, s, id)?;
                let root = self.root_of(p);
                if let Some(r) = self.traces.get_mut(&root) {
                    r.sides += 1;
                }
                let pn = self.traces[&p].number;
                self.log(|_| format!("trace {number} linked to {pn}/snap{}", s.0));
                self.stats.side_traces += 1;
            }
        }
        Ok(next)
    }

    fn root_of(&self, mut id: u32) -> u32 {
        while let Some((p, _)) = self.traces.get(&id).and_then(|t| t.parent) {
            id = p;
        }
        id
    }

    /// Optimizes (with peeling), checks and installs a built trace; returns its Jit id and
    /// the trace as installed (whose snapshots are the exits `Jit::run` reports).
    fn compile(&mut self, number: u32, trace: &Trace) -> Result<(u32, Trace), RunError> {
        let dumps = &self.config.dumps;
        if dumps.contains(&Dump::Ir) {
            eprint!("--- trace {number} ir\n{}", trace_ir::text::print(trace));
        }
        let mut t = trace.clone();
        trace_ir::opt::optimize(&mut t);
        trace_ir::opt::peel(&mut t);
        trace_ir::opt::optimize(&mut t);
        if dumps.contains(&Dump::Opt) {
            eprint!("--- trace {number} opt\n{}", trace_ir::text::print(&t));
        }
        if dumps.contains(&Dump::Regalloc) || dumps.contains(&Dump::Asm) {
            if let Ok(alloc) = trace_ir::regalloc::allocate(&t, self.jit.regfile()) {
                if dumps.contains(&Dump::Regalloc) {
                    eprint!(
                        "--- trace {number} regalloc\n{}",
                        trace_ir::regalloc::annotate(&t, &alloc, self.jit.regfile())
                    );
                }
                if dumps.contains(&Dump::Asm) {
                    if let Ok(l) = self.jit.listing(&t, &alloc, &self.symbols) {
                        eprint!("--- trace {number} asm\n{l}");
                    }
                }
            }
        }
        let id = self.jit.install(&t, &self.symbols)?;
        Ok((id, t))
    }

    /// A compiled trace left through snapshot `snap`, which is not linked: count it, maybe
    /// record a side trace, and continue where the snapshot says.
    fn trace_exit(&mut self, id: u32, snap: SnapId, imm: &dyn ImmMemory) -> Result<At, RunError> {
        let root = self.root_of(id);
        let sides = self.traces.get(&root).map_or(0, |r| r.sides);
        let Some(t) = self.traces.get_mut(&id) else {
            return Err(BackendError::UnknownTrace(id).into());
        };
        let to = t.trace.snaps[snap.index()].to;
        let resume = t.trace.snaps[snap.index()].resume;
        t.taken[snap.index()] += 1;
        let taken = t.taken[snap.index()];
        let threshold = t.exit_threshold[snap.index()];
        self.stats.exits += 1;
        let target = match to {
            SnapTo::Host => return Ok(At::Host(resume)),
            SnapTo::Fragment(f) => f,
            SnapTo::Dispatch { table, slot } => match self.split.program.target_of(to, &self.slots) {
                Some(f) => f,
                None => return Ok(At::Origin(Origin::Dispatch { table, slot }, resume)),
            },
        };
        if self.split.program.is_control(target) {
            // Back at a loop header: count there, or enter its trace. When the exit always
            // arrives with the same green values and that location has a trace, link the
            // exit straight to it, so that nested loops stop coming back here.
            if let Some(greens) = self.exit_greens(id, snap) {
                if let Some(&root) = self.roots.get(&(target, greens)) {
                    self.jit.link_exit(id, snap, root)?;
                    self.log(|d| {
                        format!(
                            "trace {} linked to {}/snap{}",
                            d.traces[&root].number, d.traces[&id].number, snap.0
                        )
                    });
                }
            }
            return Ok(At::Origin(Origin::Control { to: target, from: None }, 0));
        }
        if taken >= threshold {
            if sides < self.config.maxside && !self.split.program.is_control(target) {
                let key = self.key_at(target, &self.slots);
                return self.record(target, key, Some((id, snap)), imm);
            }
            // No side trace will come: go straight into the interpreter from now on.
            if let Some(e) = self.native.entry_for(to) {
                self.jit.link_exit(id, snap, e)?;
            }
        }
        Ok(At::Fragment(target))
    }

    /// A recording at `key` (a side trace when `parent` is given) was given up: the
    /// location, or the exit, waits longer before the next try (LuaJIT's penalty scheme),
    /// and one that keeps failing is blacklisted (an exit: linked to the interpreter for
    /// good, so it stops coming back to the driver).
    /// The green values exit `snap` of trace `id` always leaves with: each green slot is
    /// written from a constant, or not written and constant at the trace's entry. `None`
    /// when some green value depends on the run.
    fn exit_greens(&self, id: u32, snap: SnapId) -> Option<[u64; MAX_GREENS]> {
        let t = self.traces.get(&id)?;
        let sn = &t.trace.snaps[snap.index()];
        let mut k = [0u64; MAX_GREENS];
        for (i, &g) in self.greens.iter().enumerate() {
            k[i] = match sn.entries.iter().find(|e| e.0 == g) {
                Some(&(_, v)) => match t.trace.insts.get(v.index()).map(|x| &x.op) {
                    Some(trace_ir::Op::Const { bits }) => *bits,
                    _ => return None,
                },
                None => t.entry_consts.iter().find(|c| c.0 == g)?.1,
            };
        }
        Some(k)
    }

    fn abort(&mut self, key: &Key, parent: Option<(u32, SnapId)>, why: String) {
        let number = self.next_number;
        self.log(|_| format!("trace {number} abort: {why}"));
        *self.stats.aborts.entry(why.split(':').next().unwrap_or("").to_string()).or_insert(0) += 1;
        if let Some((p, s)) = parent {
            let hotexit = self.config.hotexit;
            let Some(t) = self.traces.get_mut(&p) else { return };
            let pen = &mut t.exit_penalty[s.index()];
            *pen = if *pen == 0 { PENALTY_MIN } else { pen.saturating_mul(2) };
            t.taken[s.index()] = 0;
            if *pen > PENALTY_MAX {
                t.exit_threshold[s.index()] = u32::MAX;
                self.stats.blacklisted += 1;
                let to = t.trace.snaps[s.index()].to;
                if let Some(e) = self.native.entry_for(to) {
                    // Best effort: an exit that cannot be linked just keeps its threshold.
                    let _ = self.jit.link_exit(p, s, e);
                }
                self.log(|_| format!("blacklisted exit {p}/snap{}", s.0));
            } else {
                t.exit_threshold[s.index()] = hotexit.saturating_add(*pen);
            }
            return;
        }
        let hot = self.config.hotloop;
        let c = self.counters.entry(*key).or_insert(Counter { count: 0, threshold: hot, penalty: 0 });
        c.penalty = if c.penalty == 0 { PENALTY_MIN } else { c.penalty.saturating_mul(2) };
        if c.penalty > PENALTY_MAX {
            let text = self.key_text(key);
            self.blacklist.insert(*key);
            self.stats.blacklisted += 1;
            self.log(|_| format!("blacklisted {text}"));
        } else {
            c.threshold = hot.saturating_add(c.penalty);
            c.count = 0;
        }
    }

    /// Forgets every trace, counter and blacklisting (their code stays in the region until a
    /// flush): for running another program whose `imm` memory differs on the same driver.
    pub fn reset(&mut self) {
        self.roots.clear();
        self.traces.clear();
        self.counters.clear();
        self.blacklist.clear();
    }

    /// Drops every trace and starts again with a fresh code region (the native interpreter
    /// is reinstalled). Nothing compiled is running: `run` only calls this between runs of
    /// compiled code.
    pub fn flush(&mut self) -> Result<(), RunError> {
        let mut jit =
            crate::host_jit().ok_or_else(|| RunError::Config("no backend for this machine".into()))?;
        self.native =
            NativeInterp::install_with(&mut *jit, &self.split.program, &self.symbols, self.config.jit)?;
        self.jit = jit;
        self.roots.clear();
        self.traces.clear();
        self.counters.clear();
        self.mcode = 0;
        self.stats.flushes += 1;
        self.log(|_| "flush".to_string());
        self.write_perfmap_fragments();
        Ok(())
    }

    fn perfmap(&self, start: u64, len: u64, name: &str) {
        if self.config.perfmap {
            crate::perfmap::append(start, len, name);
        }
    }

    fn write_perfmap_fragments(&mut self) {
        if !self.config.perfmap {
            return;
        }
        for (k, t) in self.native.lowered.traces.iter().enumerate() {
            let id = self.native.lowered.base + k as u32;
            if let Some(i) = self.jit.code_info(id) {
                let name = t.trace.name.clone().unwrap_or_else(|| format!("fragment {k}"));
                crate::perfmap::append(i.start, i.len, &format!("tracery interp {name}"));
            }
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        if self.config.stats {
            eprint!("{}", self.stats.report());
        }
    }
}
