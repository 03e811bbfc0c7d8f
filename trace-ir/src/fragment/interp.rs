//! The reference interpreter for whole programs: the oracle of the native interpreter and of
//! every recorder. It runs fragment after fragment on the trace interpreter, follows targets
//! and dispatches, and can record what it did.

use std::cell::RefCell;

use super::Program;
use crate::interp::{self, Env, InterpError};
use crate::ir::SnapId;
use crate::recording::{Recording, Step};

/// How a program run ended: the fragment and snapshot that went to the host.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProgramExit {
    pub fragment: u32,
    pub snap: SnapId,
    pub resume: u64,
    /// Fragments run, the last one included.
    pub steps: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProgramRunError {
    /// A fragment failed in the trace interpreter (division by zero, memory, ...).
    Fragment { fragment: String, error: InterpError },
    /// More fragments ran than the limit allows.
    StepLimit(u64),
    /// The program is malformed (run `fragment::verify::verify` first).
    Malformed(String),
}

impl std::fmt::Display for ProgramRunError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ProgramRunError::Fragment { fragment, error } => write!(f, "in fragment {fragment}: {error}"),
            ProgramRunError::StepLimit(n) => write!(f, "step limit reached after {n} fragments"),
            ProgramRunError::Malformed(m) => write!(f, "malformed program: {m}"),
        }
    }
}

impl std::error::Error for ProgramRunError {}

/// Runs `p` from fragment `start` on `slots` until a snapshot goes to the host, running at
/// most `max_steps` fragments. `env` gives memory and native helpers (its step limit applies
/// to each fragment). When `record` is given, every step is appended to it.
pub fn run_from(
    p: &Program,
    start: u32,
    slots: &mut [u64],
    env: &Env,
    max_steps: u64,
    mut record: Option<&mut Recording>,
) -> Result<ProgramExit, ProgramRunError> {
    let promoted = RefCell::new(Vec::new());
    let env = Env { promoted: Some(&promoted), traces: &[], ..*env };
    let mut cur = start;
    let mut steps = 0u64;
    loop {
        let frag = p
            .fragments
            .get(cur as usize)
            .ok_or_else(|| ProgramRunError::Malformed(format!("fragment {cur} does not exist")))?;
        if steps >= max_steps {
            return Err(ProgramRunError::StepLimit(steps));
        }
        steps += 1;
        let e = interp::run(&frag.body, slots, &Env { self_id: cur, ..env })
            .map_err(|error| ProgramRunError::Fragment { fragment: frag.name.clone(), error })?;
        let vals = std::mem::take(&mut *promoted.borrow_mut());
        if let Some(r) = record.as_deref_mut() {
            r.steps.push(Step { fragment: cur, snap: e.snap.0, promoted: vals });
        }
        match p.next_fragment(cur, e.snap, slots) {
            Some(next) => cur = next,
            None => return Ok(ProgramExit { fragment: cur, snap: e.snap, resume: e.resume, steps }),
        }
    }
}

/// `run_from` the program's entry fragment.
pub fn run(
    p: &Program,
    slots: &mut [u64],
    env: &Env,
    max_steps: u64,
    record: Option<&mut Recording>,
) -> Result<ProgramExit, ProgramRunError> {
    run_from(p, p.entry, slots, env, max_steps, record)
}
