//! `tracery run FILE.tir [--slot N=VALUE]... [--no-opt] [--interp] [--dump ir,opt,regalloc,asm]`:
//! compile a trace for the host, run it, print the exit and the slots. A fragment program
//! (`program NAME` first) runs on the native interpreter instead (see `program.rs`).

use trace_ir::{Symbols, Type};

use super::source;

/// Instructions the reference interpreter may run before `run` gives up on a trace.
const STEP_LIMIT: u64 = 1 << 30;

struct Options {
    file: String,
    slots: Vec<(usize, u64)>,
    optimize: bool,
    interp: bool,
    record: bool,
    dumps: Vec<String>,
}

fn parse_args(args: &[String]) -> Result<Options, String> {
    let mut o = Options {
        file: String::new(),
        slots: Vec::new(),
        optimize: true,
        interp: false,
        record: false,
        dumps: Vec::new(),
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--no-opt" => o.optimize = false,
            "--interp" => o.interp = true,
            "--record" => o.record = true,
            "--slot" => {
                let v = it.next().ok_or("--slot needs N=VALUE")?;
                o.slots.push(slot_arg(v)?);
            }
            "--dump" => {
                let v = it.next().ok_or("--dump needs a list such as ir,opt,regalloc,asm")?;
                for d in v.split(',') {
                    if !["ir", "opt", "regalloc", "asm"].contains(&d) {
                        return Err(format!("unknown dump `{d}` (ir, opt, regalloc, asm)"));
                    }
                    o.dumps.push(d.to_string());
                }
            }
            s if s.starts_with("--") => return Err(format!("unknown option `{s}`")),
            s if o.file.is_empty() => o.file = s.to_string(),
            s => return Err(format!("unexpected argument `{s}`")),
        }
    }
    if o.file.is_empty() {
        return Err("run needs a FILE.tir".into());
    }
    Ok(o)
}

/// `N=VALUE` with VALUE a decimal or 0x integer (negative = two's complement) or `f1.5`.
fn slot_arg(s: &str) -> Result<(usize, u64), String> {
    let (n, v) = s.split_once('=').ok_or_else(|| format!("--slot expects N=VALUE, found `{s}`"))?;
    let n: usize = n.parse().map_err(|_| format!("bad slot number `{n}`"))?;
    if n >= 1 << 16 {
        return Err(format!("slot {n} is out of range"));
    }
    let bits = if let Some(f) = v.strip_prefix('f') {
        f.parse::<f64>().map_err(|_| format!("bad float `{f}`"))?.to_bits()
    } else if let Some(h) = v.strip_prefix("0x") {
        u64::from_str_radix(h, 16).map_err(|_| format!("bad hex `{v}`"))?
    } else if let Some(m) = v.strip_prefix('-') {
        m.parse::<u64>().map_err(|_| format!("bad integer `{v}`"))?.wrapping_neg()
    } else {
        v.parse::<u64>().map_err(|_| format!("bad integer `{v}`"))?
    };
    Ok((n, bits))
}

pub fn main(args: &[String]) -> i32 {
    let o = match parse_args(args) {
        Ok(o) => o,
        Err(e) => return super::usage(&e),
    };
    match run(&o) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("tracery: {e}");
            1
        }
    }
}

fn run(o: &Options) -> Result<(), String> {
    let mut trace = match source::load_any(&o.file)? {
        source::Source::Trace(t) => t,
        source::Source::Program(p) => {
            if !o.dumps.is_empty() || !o.optimize {
                return Err("--dump and --no-opt apply to traces; `tracery asm` lists a program".into());
            }
            return super::program::run(&p, &o.slots, o.interp, o.record);
        }
    };
    if o.record {
        return Err("--record applies to fragment programs".into());
    }
    if o.dumps.iter().any(|d| d == "ir") {
        println!("--- ir\n{}", trace_ir::text::print(&trace));
    }
    if o.optimize {
        trace_ir::opt::optimize(&mut trace);
        trace_ir::verify::verify(&trace).map_err(|e| format!("optimizer produced an invalid trace: {e}"))?;
    }
    if o.dumps.iter().any(|d| d == "opt") {
        println!("--- opt\n{}", trace_ir::text::print(&trace));
    }
    let symbols = Symbols::new();
    let nslots = o.slots.iter().map(|s| s.0 + 1).max().unwrap_or(0).max(trace.slot_count() as usize);
    let mut slots = vec![0u64; nslots];
    for &(n, v) in &o.slots {
        slots[n] = v;
    }
    // The reference interpreter runs first, always: `tracery run` gives a trace no memory and
    // no functions, and the interpreter checks every access and operation, so native code
    // only runs traces it has seen finish cleanly on these very slots.
    let mut checked = slots.clone();
    let env = trace_ir::interp::Env::new(&symbols).with_step_limit(STEP_LIMIT);
    let e = trace_ir::interp::run(&trace, &mut checked, &env).map_err(|e| {
        format!("the reference interpreter stopped: {e} (native code runs only what it finishes)")
    })?;
    let (snap, resume) = if o.interp || !cfg!(any(target_arch = "x86_64", target_arch = "aarch64")) {
        slots = checked;
        (e.snap, e.resume)
    } else {
        native(o, &trace, &symbols, &mut slots)?
    };
    print_exit(&trace, snap, resume, &slots);
    Ok(())
}

#[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
fn native(
    o: &Options,
    trace: &trace_ir::Trace,
    symbols: &Symbols,
    slots: &mut [u64],
) -> Result<(trace_ir::SnapId, u64), String> {
    use trace_ir::backend::{Backend, Jit};
    let mut jit = tracery::host_jit();
    if o.dumps.iter().any(|d| d == "regalloc" || d == "asm") {
        let alloc = trace_ir::regalloc::allocate(trace, jit.regfile()).map_err(|e| e.to_string())?;
        if o.dumps.iter().any(|d| d == "regalloc") {
            println!("--- regalloc\n{}", trace_ir::regalloc::annotate(trace, &alloc, jit.regfile()));
        }
        if o.dumps.iter().any(|d| d == "asm") {
            println!("--- asm\n{}", jit.listing(trace, &alloc, symbols).map_err(|e| e.to_string())?);
        }
    }
    let id = jit.install(trace, symbols).map_err(|e| e.to_string())?;
    // SAFETY: `run` had the reference interpreter finish this trace on the same slots, with no
    // memory regions and no functions, so the trace loads, stores and calls nothing and does
    // nothing undefined.
    let e = unsafe { jit.run(id, slots) }.map_err(|e| e.to_string())?;
    Ok((e.snap, e.resume))
}

#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
fn native(
    _: &Options,
    _: &trace_ir::Trace,
    _: &Symbols,
    _: &mut [u64],
) -> Result<(trace_ir::SnapId, u64), String> {
    Err("no backend for this machine; use --interp".into())
}

fn print_exit(trace: &trace_ir::Trace, snap: trace_ir::SnapId, resume: u64, slots: &[u64]) {
    println!("exit snap{} resume {resume}", snap.0);
    let s = trace.snap(snap);
    for (i, &v) in slots.iter().enumerate() {
        let ty = s.entries.iter().find(|e| e.0 as usize == i).and_then(|e| trace.ty(e.1));
        match ty {
            Some(Type::F64) => println!("slot {i} = {}", f64::from_bits(v)),
            _ => println!("slot {i} = {} ({v:#x})", v as i64),
        }
    }
}
