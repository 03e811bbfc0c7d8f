//! The test VM (`tracery-toyvm`) on three engines: the reference interpreter running its
//! fragment program, the native interpreter built from the same program, and the VM written
//! in plain Rust. A run is compared on how it ended, the VM's registers (slots) and memory.

use trace_ir::backend::Jit;
use trace_ir::fragment::interp::{self, ProgramExit};
use trace_ir::fragment::native::{Copy, NativeInterp, Origin};
use trace_ir::fragment::Program;
use trace_ir::gen::Buffers;
use trace_ir::interp::Env;
use trace_ir::recording::Recording;
use trace_ir::{SnapId, Symbols};
use tracery_toyvm::gen::Case;
use tracery_toyvm::program::{self as tp, ALEN, ARR, BASE, CODE, PC, RESULT, SLOTS, STACK_END};
use tracery_toyvm::vm::{State, Vm};
use tracery_toyvm::Outcome;

/// Fragments any one run may take on the reference interpreter.
pub const MAX_FRAGMENTS: u64 = 20_000_000;

/// The VM's program installed in the host `Jit`.
pub struct Machine {
    pub program: Program,
    pub symbols: Symbols,
    pub jit: Box<dyn Jit>,
    pub native: NativeInterp,
}

impl Machine {
    pub fn new() -> Result<Machine, String> {
        Machine::with(crate::engine::host_jit(), false)
    }

    /// With `plain_only`, the recording copy is not installed.
    pub fn with(mut jit: Box<dyn Jit>, plain_only: bool) -> Result<Machine, String> {
        let program = tp::program();
        let symbols = tracery_toyvm::symbols();
        let native = if plain_only {
            NativeInterp::install_plain(&mut *jit, &program, &symbols)
        } else {
            NativeInterp::install(&mut *jit, &program, &symbols)
        }
        .map_err(|e| format!("installing the VM: {e}"))?;
        Ok(Machine { program, symbols, jit, native })
    }
}

/// A case's memory: buffer 0 the code, 1 the stack, 2 the array.
pub fn memory(case: &Case) -> Buffers {
    let bytes = |w: &[u64]| w.iter().flat_map(|x| x.to_ne_bytes()).collect::<Vec<u8>>();
    Buffers::new(vec![bytes(&case.code), bytes(&case.stack), bytes(&case.array)])
}

/// The initial slots: the outermost frame at the stack's start, pc 0. Two more for the log.
pub fn initial_slots(case: &Case, mem: &mut Buffers) -> Vec<u64> {
    let mut s = vec![0u64; SLOTS + 2];
    s[PC as usize] = 0;
    s[BASE as usize] = mem.base(1);
    s[CODE as usize] = mem.base(0);
    s[ARR as usize] = mem.base(2);
    s[ALEN as usize] = case.array.len() as u64;
    s[STACK_END as usize] = mem.base(1) + 8 * case.stack.len() as u64;
    s
}

/// How a run ended, as the three engines can all say it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Run {
    pub outcome: Outcome,
    pub state: State,
    /// The code, stack and array after the run.
    pub memory: Vec<Vec<u8>>,
    /// The fragment and snapshot that left to the host (the two fragment engines).
    pub exit: Option<(u32, u32)>,
    /// Fragments run (reference interpreter only).
    pub steps: u64,
}

fn state_of(slots: &[u64]) -> State {
    State { pc: slots[PC as usize], base: slots[BASE as usize], result: slots[RESULT as usize] }
}

fn outcome(resume: u64, slots: &[u64]) -> Result<Outcome, String> {
    Outcome::from_resume(resume, slots[RESULT as usize])
        .ok_or_else(|| format!("unknown resume word {resume}"))
}

/// The reference interpreter on the fragment program (memory is `mem`, reset first).
pub fn run_reference(
    m: &Machine,
    case: &Case,
    mem: &mut Buffers,
    record: Option<&mut Recording>,
) -> Result<Run, String> {
    mem.reset();
    let mut slots = initial_slots(case, mem);
    let regions = mem.regions();
    let env = Env::new(&m.symbols).with_memory(&regions);
    let e: ProgramExit = interp::run(&m.program, &mut slots[..SLOTS], &env, MAX_FRAGMENTS, record)
        .map_err(|e| format!("reference interpreter: {e}"))?;
    Ok(Run {
        outcome: outcome(e.resume, &slots)?,
        state: state_of(&slots),
        memory: mem.contents(),
        exit: Some((e.fragment, e.snap.0)),
        steps: e.steps,
    })
}

/// The native interpreter's plain copy (memory is `mem`, reset first).
///
/// # Safety
/// `run_reference` must have succeeded on the same case and memory: the reference
/// interpreter touches only the case's buffers and stops at the same exit, so the native
/// code, which performs the same accesses, stays inside them.
pub unsafe fn run_native(m: &mut Machine, case: &Case, mem: &mut Buffers) -> Result<Run, String> {
    mem.reset();
    let mut slots = initial_slots(case, mem);
    let entry = m.program.entry;
    // SAFETY: the caller's contract (the reference interpreter ran this case in bounds).
    let e = unsafe { m.native.run(&mut *m.jit, entry, Copy::Plain, &mut slots) }
        .map_err(|e| format!("native interpreter: {e}"))?;
    let exit = match e.origin {
        Origin::Snap { fragment, snap } => (fragment, snap.0),
        o => return Err(format!("plain copy: unexpected exit {o:?}")),
    };
    Ok(Run {
        outcome: outcome(e.resume, &slots)?,
        state: state_of(&slots),
        memory: mem.contents(),
        exit: Some(exit),
        steps: 0,
    })
}

/// The recording copy: how it ended and what it recorded.
///
/// # Safety
/// As `run_native`.
pub unsafe fn record_native(
    m: &mut Machine,
    case: &Case,
    mem: &mut Buffers,
    capacity: usize,
) -> Result<(Run, Recording), String> {
    mem.reset();
    let mut slots = initial_slots(case, mem);
    let entry = m.program.entry;
    // SAFETY: the caller's contract; the log is the recorder's own.
    let (e, rec) = unsafe { m.native.record(&mut *m.jit, entry, &mut slots, capacity) }
        .map_err(|e| format!("recording copy: {e}"))?;
    let exit = match e.origin {
        Origin::Snap { fragment, snap } => (fragment, snap.0),
        o => return Err(format!("recording copy: unexpected exit {o:?}")),
    };
    let run = Run {
        outcome: outcome(e.resume, &slots)?,
        state: state_of(&slots),
        memory: mem.contents(),
        exit: Some(exit),
        steps: 0,
    };
    Ok((run, rec))
}

/// The Rust VM, on copies of the case's memory, with its stack standing at `stack_addr`
/// (so that the addresses it stores match the other engines').
pub fn run_rust(case: &Case, stack_addr: u64, max_steps: u64) -> Result<Run, String> {
    let mut stack = case.stack.clone();
    let mut array = case.array.clone();
    let mut vm = Vm { code: &case.code, stack: &mut stack, stack_addr, array: &mut array };
    let mut st = State { pc: 0, base: stack_addr, result: 0 };
    let outcome = vm.run(&mut st, max_steps).map_err(|e| format!("Rust VM: {e}"))?;
    let bytes = |w: &[u64]| w.iter().flat_map(|x| x.to_ne_bytes()).collect::<Vec<u8>>();
    Ok(Run {
        outcome,
        state: st,
        memory: vec![bytes(&case.code), bytes(&stack), bytes(&array)],
        exit: None,
        steps: 0,
    })
}

/// Steps through the program on the reference interpreter one fragment at a time and checks
/// that each step is the recording's next one (fragment, snapshot, promoted values), and that
/// the run leaves to the host exactly where the recording ends.
pub fn replay(m: &Machine, case: &Case, mem: &mut Buffers, rec: &Recording) -> Result<(), String> {
    mem.reset();
    let mut slots = initial_slots(case, mem);
    let regions = mem.regions();
    let env = Env::new(&m.symbols).with_memory(&regions);
    let names = m.program.fragment_names();
    let name = |f: u32| names.get(f as usize).cloned().unwrap_or_else(|| f.to_string());
    let mut cur = m.program.entry;
    for (i, want) in rec.steps.iter().enumerate() {
        let mut one = Recording::default();
        let r = interp::run_from(&m.program, cur, &mut slots[..SLOTS], &env, 1, Some(&mut one));
        let got = one.steps.first().ok_or_else(|| format!("step {i}: the reference ran nothing: {r:?}"))?;
        if got != want {
            return Err(format!(
                "step {i}: the reference took {} snap{} {:?}, the recording says {} snap{} {:?}",
                name(got.fragment),
                got.snap,
                got.promoted,
                name(want.fragment),
                want.snap,
                want.promoted
            ));
        }
        let last = i + 1 == rec.steps.len();
        match (r, last) {
            (Ok(e), true) if e.fragment == want.fragment && e.snap.0 == want.snap => return Ok(()),
            (Err(interp::ProgramRunError::StepLimit(1)), false) => {}
            (r, _) => return Err(format!("step {i} of {}: unexpected {r:?}", rec.steps.len())),
        }
        cur = m
            .program
            .next_fragment(cur, SnapId(want.snap), &slots)
            .ok_or_else(|| format!("step {i}: {} snap{} goes to the host", name(cur), want.snap))?;
    }
    Err("the recording is empty".into())
}

/// All three engines on one case; `Ok` with the reference run when they agree.
///
/// The reference interpreter runs first, and the native interpreter only when it succeeded.
pub fn check(m: &mut Machine, case: &Case) -> Result<Run, String> {
    let mut mem = memory(case);
    let r = run_reference(m, case, &mut mem, None)?;
    let stack_addr = mem.base(1);
    let v = run_rust(case, stack_addr, MAX_FRAGMENTS)?;
    // SAFETY: `run_reference` succeeded just above on this case and memory.
    let n = unsafe { run_native(m, case, &mut mem)? };
    let strip = |x: &Run| Run { exit: None, steps: 0, ..x.clone() };
    if strip(&r) != v {
        return Err(format!(
            "reference {:?} {:?}, Rust VM {:?} {:?}{}",
            r.outcome,
            r.state,
            v.outcome,
            v.state,
            memdiff(&r, &v)
        ));
    }
    if (Run { steps: 0, ..r.clone() }) != n {
        return Err(format!(
            "reference {:?} {:?} exit {:?}, native {:?} {:?} exit {:?}{}",
            r.outcome,
            r.state,
            r.exit,
            n.outcome,
            n.state,
            n.exit,
            memdiff(&r, &n)
        ));
    }
    Ok(r)
}

/// The recording copy against the reference's recording, and the recording replayed.
pub fn check_recording(m: &mut Machine, case: &Case) -> Result<usize, String> {
    let mut mem = memory(case);
    let mut want = Recording::default();
    let r = run_reference(m, case, &mut mem, Some(&mut want))?;
    // A word per exit and two per promoted value, and room for the last fragment's check.
    let promoted: usize = want.steps.iter().map(|s| s.promoted.len()).sum();
    let capacity = want.steps.len() + 2 * promoted + 16;
    // SAFETY: `run_reference` succeeded just above on this case and memory.
    let (n, got) = unsafe { record_native(m, case, &mut mem, capacity)? };
    if (Run { steps: 0, ..r.clone() }) != n {
        return Err(format!(
            "recording copy: reference {:?} {:?}, native {:?} {:?}",
            r.outcome, r.state, n.outcome, n.state
        ));
    }
    if got != want {
        let names = m.program.fragment_names();
        let (a, b) = (want.print(&names), got.print(&names));
        let k = a
            .lines()
            .zip(b.lines())
            .position(|(x, y)| x != y)
            .unwrap_or(a.lines().count().min(b.lines().count()));
        return Err(format!(
            "recordings differ at step {k} (reference {} steps, native {}): reference `{}`, native `{}`",
            want.steps.len(),
            got.steps.len(),
            a.lines().nth(k).unwrap_or("<end>"),
            b.lines().nth(k).unwrap_or("<end>")
        ));
    }
    replay(m, case, &mut mem, &got)?;
    Ok(got.steps.len())
}

fn memdiff(a: &Run, b: &Run) -> String {
    let what = ["code", "stack", "array"];
    for (k, (x, y)) in a.memory.iter().zip(&b.memory).enumerate() {
        if x != y {
            let at = x.iter().zip(y).position(|(p, q)| p != q).unwrap_or(0);
            return format!("; {} differs at byte {at}", what.get(k).unwrap_or(&"buffer"));
        }
    }
    String::new()
}

/// The program on the runtime's driver (JIT on or off per `d`'s settings); `d` is reset
/// first, since another case's bytecode is other `imm` memory.
///
/// # Safety
/// As `run_native`: `run_reference` must have succeeded on the same case and memory; traces
/// do what the fragments do.
pub unsafe fn run_jit(
    d: &mut tracery_runtime::Driver,
    case: &Case,
    mem: &mut Buffers,
) -> Result<Run, String> {
    d.reset();
    mem.reset();
    let mut slots = initial_slots(case, mem);
    let code_len = case.code.len() * 8;
    // SAFETY: buffer 0 of `mem` is the case's code, `code_len` bytes at `mem.base(0)`, alive
    // and unchanged for the whole run (the VM never writes its bytecode).
    let code = unsafe { std::slice::from_raw_parts(mem.base(0) as *const u8, code_len) };
    let imm = tracery_runtime::build::Slices(vec![code]);
    // SAFETY: the caller's contract.
    let e = unsafe { d.run(&mut slots[..SLOTS], &imm) }.map_err(|e| format!("driver: {e}"))?;
    let exit = match e.origin {
        Some(Origin::Snap { fragment, snap }) => Some((fragment, snap.0)),
        _ => None,
    };
    Ok(Run {
        outcome: outcome(e.resume, &slots)?,
        state: state_of(&slots),
        memory: mem.contents(),
        exit,
        steps: 0,
    })
}

/// The reference against the driver under each of `configs`; `Ok` when all agree on how
/// the run ended, the registers and memory.
pub fn check_jit(drivers: &mut [tracery_runtime::Driver], m: &Machine, case: &Case) -> Result<(), String> {
    let mut mem = memory(case);
    let r = run_reference(m, case, &mut mem, None)?;
    for d in drivers.iter_mut() {
        // SAFETY: `run_reference` succeeded just above on this case and memory.
        let j = unsafe { run_jit(d, case, &mut mem)? };
        if (r.outcome, r.state, &r.memory) != (j.outcome, j.state, &j.memory) {
            return Err(format!(
                "reference {:?} {:?}, JIT ({:?}) {:?} {:?}{}\n{}",
                r.outcome,
                r.state,
                d.config(),
                j.outcome,
                j.state,
                memdiff(&r, &j),
                d.log_lines.join("\n")
            ));
        }
    }
    Ok(())
}
