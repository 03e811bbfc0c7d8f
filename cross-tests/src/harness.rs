//! Runs one set of traces on every engine with identical memory and slots, and compares.

use trace_ir::gen::Buffers;
use trace_ir::{Trace, Type};

use crate::case::{Case, SlotValue};
use crate::engine::{Engine, Exit, Setup};

/// What one engine produced.
#[derive(Clone, Debug, PartialEq)]
pub struct Observed {
    pub exit: Exit,
    pub slots: Vec<u64>,
    pub memory: Vec<Vec<u8>>,
}

/// Runs every engine from the same start and returns each one's result (or error). Once an
/// engine fails, the later ones are not run: the interpreters come first, and native code
/// may only run traces they have checked (see `engine::engines`).
pub fn run_all(
    engines: &mut [Box<dyn Engine>],
    traces: &[Trace],
    symbols: &trace_ir::Symbols,
    slots: &[u64],
    buffers: &mut Buffers,
) -> Vec<(String, Result<Observed, String>)> {
    let memory = buffers.regions();
    let setup = Setup { traces, symbols, memory: &memory };
    let mut results = Vec::new();
    let mut failed = false;
    for e in engines.iter_mut() {
        let r = if failed {
            Err("not run: an earlier engine failed".to_string())
        } else {
            buffers.reset();
            let mut s = slots.to_vec();
            e.run(&setup, &mut s).map(|exit| Observed { exit, slots: s, memory: buffers.contents() })
        };
        failed |= r.is_err();
        results.push((e.name(), r));
    }
    results
}

/// The slots the exit wrote as f64: there any NaN equals any other (x86-64 and AArch64
/// produce different default NaNs).
fn float_slots(traces: &[Trace], exit: &Exit) -> Vec<u32> {
    let Some(t) = traces.get(exit.trace as usize) else { return Vec::new() };
    let Some(s) = t.snaps.get(exit.snap.index()) else { return Vec::new() };
    s.entries.iter().filter(|(_, v)| t.ty(*v) == Some(Type::F64)).map(|(slot, _)| *slot).collect()
}

fn same_slot(a: u64, b: u64, float: bool) -> bool {
    a == b || (float && f64::from_bits(a).is_nan() && f64::from_bits(b).is_nan())
}

/// Checks that `other` agrees with the oracle `reference`.
pub fn agree(traces: &[Trace], reference: &Observed, other: &Observed) -> Result<(), String> {
    if reference.exit != other.exit {
        return Err(format!("exit {:?}, reference {:?}", other.exit, reference.exit));
    }
    let floats = float_slots(traces, &reference.exit);
    for (i, (a, b)) in reference.slots.iter().zip(&other.slots).enumerate() {
        if !same_slot(*a, *b, floats.contains(&(i as u32))) {
            return Err(format!("slot {i} = {b:#x}, reference {a:#x}"));
        }
    }
    for (k, (a, b)) in reference.memory.iter().zip(&other.memory).enumerate() {
        if let Some(j) = a.iter().zip(b).position(|(x, y)| x != y) {
            return Err(format!("buffer {k} byte {j} = {:#x}, reference {:#x}", b[j], a[j]));
        }
    }
    Ok(())
}

/// Runs every engine and requires them all to agree with the oracle; returns the oracle's
/// result.
pub fn differential(
    engines: &mut [Box<dyn Engine>],
    traces: &[Trace],
    symbols: &trace_ir::Symbols,
    slots: &[u64],
    buffers: &mut Buffers,
) -> Result<Observed, String> {
    let results = run_all(engines, traces, symbols, slots, buffers);
    let mut it = results.into_iter();
    let (ref_name, reference) = it.next().ok_or("no engines")?;
    let reference = reference.map_err(|e| format!("{ref_name}: {e}"))?;
    let mut errors = Vec::new();
    for (name, r) in it {
        match r {
            Ok(o) => {
                if let Err(e) = agree(traces, &reference, &o) {
                    errors.push(format!("{name}: {e}"));
                }
            }
            Err(e) => errors.push(format!("{name}: {e}")),
        }
    }
    if errors.is_empty() {
        Ok(reference)
    } else {
        Err(errors.join("\n"))
    }
}

fn resolve(v: &SlotValue, case: &Case, buffers: &mut Buffers) -> Result<u64, String> {
    match v {
        SlotValue::Bits(b) => Ok(*b),
        SlotValue::Addr(name) => case
            .bufs
            .iter()
            .position(|b| &b.name == name)
            .map(|i| buffers.base(i))
            .ok_or_else(|| format!("no buffer `{name}`")),
        SlotValue::AnyNan => Err("`nan` is only for expectations".into()),
    }
}

/// Runs a corpus case on every engine and checks its stated expectations.
pub fn run_case(
    engines: &mut [Box<dyn Engine>],
    case: &Case,
    symbols: &trace_ir::Symbols,
) -> Result<(), String> {
    let mut buffers = Buffers::new(case.bufs.iter().map(|b| b.bytes.clone()).collect());
    let nslots = case
        .traces
        .iter()
        .map(|t| t.slot_count())
        .chain(case.slots.iter().map(|s| s.0 + 1))
        .chain(case.expect.slots.iter().map(|s| s.0 + 1))
        .max()
        .unwrap_or(0) as usize;
    let mut slots = vec![0u64; nslots];
    for (slot, v) in &case.slots {
        slots[*slot as usize] = resolve(v, case, &mut buffers)?;
    }
    let got = differential(engines, &case.traces, symbols, &slots, &mut buffers)?;
    let e = &case.expect;
    if let Some((trace, snap)) = e.exit {
        if (got.exit.trace, got.exit.snap) != (trace, snap) {
            return Err(format!(
                "left through trace {} snap{}, expected trace {trace} snap{}",
                got.exit.trace, got.exit.snap.0, snap.0
            ));
        }
    }
    if let Some(r) = e.resume {
        if got.exit.resume != r {
            return Err(format!("resume {}, expected {r}", got.exit.resume));
        }
    }
    for (slot, want) in &e.slots {
        let have = got.slots[*slot as usize];
        let ok = match want {
            SlotValue::AnyNan => f64::from_bits(have).is_nan(),
            v => have == resolve(v, case, &mut buffers)?,
        };
        if !ok {
            return Err(format!("slot {slot} = {have:#x} ({}), expected {want:?}", have as i64));
        }
    }
    for b in &e.bufs {
        // The oracle's memory: `buffers` itself was reset for each later engine.
        let idx = case
            .bufs
            .iter()
            .position(|x| x.name == b.name)
            .ok_or_else(|| format!("no buffer `{}`", b.name))?;
        if got.memory[idx] != b.bytes {
            return Err(format!("buffer {} = {:?}, expected {:?}", b.name, got.memory[idx], b.bytes));
        }
    }
    Ok(())
}
