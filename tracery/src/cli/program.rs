//! `tracery run PROGRAM.tir` and `tracery asm PROGRAM.tir`: fragment programs on the native
//! interpreter (or the reference interpreter), and their listings for either target.

use trace_ir::fragment::native::{self, Copy, Origin};
use trace_ir::fragment::{interp, Program};
use trace_ir::recording::Recording;
use trace_ir::{Symbols, Type};

/// Fragments the reference interpreter may run before `run` gives up on a program.
const STEP_LIMIT: u64 = 1 << 28;

/// Runs `p` from its entry with the given slots: the reference interpreter first, always
/// (it checks every access; a program from the command line has no memory and no
/// functions), then the native interpreter unless `interp_only`. `record` prints the
/// recording of the run.
pub fn run(p: &Program, given: &[(usize, u64)], interp_only: bool, record: bool) -> Result<(), String> {
    let symbols = Symbols::new();
    let n = p.slots.len();
    if let Some(&(s, _)) = given.iter().find(|g| g.0 >= n) {
        return Err(format!("slot {s} is not declared (the program has {n} slots)"));
    }
    let mut slots = vec![0u64; n];
    for &(s, v) in given {
        slots[s] = v;
    }
    let mut checked = slots.clone();
    let env = trace_ir::interp::Env::new(&symbols);
    let mut rec = Recording::default();
    let e = interp::run(p, &mut checked, &env, STEP_LIMIT, Some(&mut rec)).map_err(|e| {
        format!("the reference interpreter stopped: {e} (native code runs only what it finishes)")
    })?;
    let (origin, resume) = if interp_only || !cfg!(any(target_arch = "x86_64", target_arch = "aarch64")) {
        slots = checked;
        (Origin::Snap { fragment: e.fragment, snap: e.snap }, e.resume)
    } else {
        let (o, r, native_rec) = run_native(p, &symbols, &mut slots, record)?;
        if record && native_rec != rec {
            return Err("the software recorder disagrees with the reference interpreter".into());
        }
        (o, r)
    };
    if record {
        print!("--- recording\n{}", rec.print(&p.fragment_names()));
    }
    match origin {
        Origin::Snap { fragment, snap } => {
            println!("exit {} snap{} resume {resume}", p.fragments[fragment as usize].name, snap.0)
        }
        Origin::LogFull { fragment } => {
            println!("recording log full at {}", p.fragments[fragment as usize].name)
        }
        Origin::Dispatch { table, slot } => {
            println!("exit: dispatch on {}[{slot}] past the table's end", p.tables[table as usize].name)
        }
        Origin::Control { to, .. } => println!("at control point {}", p.fragments[to as usize].name),
    }
    for (i, &v) in slots.iter().enumerate() {
        let d = &p.slots[i];
        match d.ty {
            Type::F64 => println!("slot {i} {} = {}", d.name, f64::from_bits(v)),
            _ => println!("slot {i} {} = {} ({v:#x})", d.name, v as i64),
        }
    }
    Ok(())
}

#[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
fn run_native(
    p: &Program,
    symbols: &Symbols,
    slots: &mut Vec<u64>,
    record: bool,
) -> Result<(Origin, u64, Recording), String> {
    let mut jit = tracery::host_jit();
    let ni = native::NativeInterp::install(&mut jit, p, symbols).map_err(|e| e.to_string())?;
    let n = slots.len();
    slots.resize(ni.lowered.slot_count(), 0);
    // SAFETY: the reference interpreter finished this program on the same slots with no
    // memory regions and no functions, so it loads, stores and calls nothing and does
    // nothing undefined; the recording log is the recorder's own.
    let r = unsafe {
        if record {
            ni.record(&mut jit, p.entry, slots, 1 << 24)
        } else {
            ni.run(&mut jit, p.entry, Copy::Plain, slots).map(|e| (e, Recording::default()))
        }
    };
    slots.truncate(n);
    let (e, rec) = r.map_err(|e| e.to_string())?;
    Ok((e.origin, e.resume, rec))
}

#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
fn run_native(
    _: &Program,
    _: &Symbols,
    _: &mut Vec<u64>,
    _: bool,
) -> Result<(Origin, u64, Recording), String> {
    Err("no backend for this machine; use --interp".into())
}

/// The listing of every fragment, plain and recording copy, for `backend`'s target.
pub fn listing(p: &Program, backend: &dyn trace_ir::backend::Backend) -> Result<String, String> {
    if let Some(m) = native::check_lowerable(p) {
        return Err(m);
    }
    let lowered = native::lower(p, 0, false);
    // A listing runs nothing, so native helpers (which only a VM's own binary defines) are
    // listed at stand-in addresses, one page apart, named in the header.
    let mut symbols = Symbols::new();
    let mut out = String::new();
    for t in &lowered.traces {
        for inst in &t.trace.insts {
            if let trace_ir::ir::Op::Call { callee: trace_ir::ir::Callee::Symbol(name), .. } = &inst.op {
                if symbols.addr(name).is_none() {
                    let addr = 0x7f00_0000_0000 + 0x1000 * symbols.names().count() as u64;
                    symbols.define_native(name, addr);
                    out.push_str(&format!("; @{name} is not linked here: listed at {addr:#x}\n"));
                }
            }
        }
    }
    for t in lowered.traces.iter().filter(|t| t.fragment != native::DISPATCHER) {
        let alloc = trace_ir::regalloc::allocate(&t.trace, backend.regfile()).map_err(|e| e.to_string())?;
        let text = backend.listing(&t.trace, &alloc, &symbols).map_err(|e| e.to_string())?;
        let copy = match t.copy {
            Copy::Plain => "plain",
            Copy::Recording => "recording",
        };
        out.push_str(&format!(
            "; fragment {} ({copy} copy)\n{text}\n",
            p.fragments[t.fragment as usize].name
        ));
    }
    Ok(out)
}
