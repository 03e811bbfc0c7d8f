//! The engines a case runs on. The reference interpreter is the oracle; every other engine
//! must agree with it. Adding a backend is one line in `engines`.

use trace_ir::backend::Jit;
use trace_ir::interp::{self, MemRegion};
use trace_ir::{SnapId, Symbols, Trace};

/// What a run has to work with. Trace 0 runs first; `link T` names the others by index.
pub struct Setup<'a> {
    pub traces: &'a [Trace],
    pub symbols: &'a Symbols,
    pub memory: &'a [MemRegion<'a>],
}

/// How a run ended: trace, snapshot and resume word (the slots are updated in place).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Exit {
    pub trace: u32,
    pub snap: SnapId,
    pub resume: u64,
}

pub trait Engine {
    fn name(&self) -> String;
    fn run(&mut self, setup: &Setup, slots: &mut [u64]) -> Result<Exit, String>;
}

/// Step limit for every interpreted run: far above any case, low enough to stop a runaway.
const STEP_LIMIT: u64 = 50_000_000;

fn interpret(traces: &[Trace], setup: &Setup, slots: &mut [u64]) -> Result<Exit, String> {
    let all: Vec<(u32, &Trace)> = traces.iter().enumerate().map(|(i, t)| (i as u32, t)).collect();
    let env = interp::Env {
        symbols: setup.symbols,
        memory: setup.memory,
        traces: &all,
        self_id: 0,
        step_limit: STEP_LIMIT,
        promoted: None,
    };
    let e = interp::run(&traces[0], slots, &env).map_err(|e| e.to_string())?;
    Ok(Exit { trace: e.trace, snap: e.snap, resume: e.resume })
}

fn optimized(traces: &[Trace]) -> Vec<Trace> {
    traces
        .iter()
        .map(|t| {
            let mut t = t.clone();
            trace_ir::opt::optimize(&mut t);
            t
        })
        .collect()
}

/// The reference interpreter on the trace as written.
pub struct Reference;

impl Engine for Reference {
    fn name(&self) -> String {
        "reference".into()
    }

    fn run(&mut self, setup: &Setup, slots: &mut [u64]) -> Result<Exit, String> {
        interpret(setup.traces, setup, slots)
    }
}

/// The reference interpreter on the optimized trace: checks the optimizer.
pub struct Optimized;

impl Engine for Optimized {
    fn name(&self) -> String {
        "optimized".into()
    }

    fn run(&mut self, setup: &Setup, slots: &mut [u64]) -> Result<Exit, String> {
        let opt = optimized(setup.traces);
        for t in &opt {
            trace_ir::verify::verify(t).map_err(|e| format!("optimizer broke the trace: {e}"))?;
        }
        interpret(&opt, setup, slots)
    }
}

/// A host backend. A fresh `Jit` per run, so trace ids match the case's numbering.
pub struct Native<J: Jit> {
    name: &'static str,
    make: fn() -> J,
    optimize: bool,
}

impl<J: Jit> Native<J> {
    pub fn new(name: &'static str, make: fn() -> J, optimize: bool) -> Self {
        Native { name, make, optimize }
    }
}

impl<J: Jit> Engine for Native<J> {
    fn name(&self) -> String {
        format!("{}{}", self.name, if self.optimize { "" } else { " -O0" })
    }

    fn run(&mut self, setup: &Setup, slots: &mut [u64]) -> Result<Exit, String> {
        let traces = if self.optimize { optimized(setup.traces) } else { setup.traces.to_vec() };
        let mut jit = (self.make)();
        for (i, t) in traces.iter().enumerate() {
            let id = jit.install(t, setup.symbols).map_err(|e| format!("install trace {i}: {e}"))?;
            if id != i as u32 {
                return Err(format!("backend numbered trace {i} as {id}"));
            }
        }
        // SAFETY: `harness::run_all` runs a native engine only after the interpreter engines
        // (first in `engines()`) finished the same traces, unoptimized and optimized, on the
        // same slots and memory without error. The interpreter checks every load, store and
        // call against the setup's buffers and symbols and rejects undefined operations, so
        // the native run stays within them too.
        let e = unsafe { jit.run(0, slots) }.map_err(|e| e.to_string())?;
        Ok(Exit { trace: e.trace, snap: e.snap, resume: e.resume })
    }
}

/// Every engine that runs on this machine: the oracle first, then the optimized trace on the
/// interpreter, then native code, which must come after both (see `Native::run`).
pub fn engines() -> Vec<Box<dyn Engine>> {
    let mut v: Vec<Box<dyn Engine>> = vec![Box::new(Reference), Box::new(Optimized)];
    #[cfg(target_arch = "x86_64")]
    {
        v.push(Box::new(Native::new("x86-64", backend_x64::X64::new, true)));
        v.push(Box::new(Native::new("x86-64", backend_x64::X64::new, false)));
    }
    #[cfg(target_arch = "aarch64")]
    {
        v.push(Box::new(Native::new("aarch64", backend_aarch64::A64::new, true)));
        v.push(Box::new(Native::new("aarch64", backend_aarch64::A64::new, false)));
    }
    v
}

/// The host backend as a `Jit`, for tests that drive it directly (fragment programs).
pub fn host_jit() -> Box<dyn Jit> {
    #[cfg(target_arch = "x86_64")]
    return Box::new(backend_x64::X64::new());
    #[cfg(target_arch = "aarch64")]
    return Box::new(backend_aarch64::A64::new());
}
