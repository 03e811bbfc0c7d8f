//! The program verifier: every fragment verifies as a trace, and the program holds together.
//!
//! On top of the trace rules: fragments have no loop and end in `exit`; every target names a
//! fragment or table that exists; every exit has a snapshot of its own (so a recording's
//! snapshot names one branch); tables are non-empty and name only fragments; slots are
//! declared, and every `input` and snapshot entry has its slot's declared type (so types agree
//! across every edge); dispatch indices are integer slots; `elidable` calls do not write
//! memory; and no fragment reads a slot that some path to it leaves undefined (temp slots are
//! defined only by the snapshots that write them). Errors name the fragment and quote the line.

use std::collections::HashSet;

use super::Program;
use crate::ir::*;
use crate::text::Printer;
use crate::verify::{verify as verify_trace, MAX_SLOTS};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProgramError {
    pub message: String,
}

impl std::fmt::Display for ProgramError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ProgramError {}

fn err<T>(message: String) -> Result<T, ProgramError> {
    Err(ProgramError { message })
}

fn valid_name(s: &str) -> bool {
    let mut cs = s.chars();
    cs.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && cs.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
}

fn unique<'a>(what: &str, names: impl Iterator<Item = &'a str>) -> Result<(), ProgramError> {
    let mut seen = HashSet::new();
    for n in names {
        if !valid_name(n) || n == "dispatch" {
            return err(format!(
                "{what} name `{n}` is not a valid name (a letter or `_`, then letters, digits, `_`, `.`)"
            ));
        }
        if !seen.insert(n) {
            return err(format!("{what} `{n}` is declared twice"));
        }
    }
    Ok(())
}

pub fn verify(p: &Program) -> Result<(), ProgramError> {
    let nf = p.fragments.len() as u32;
    if nf == 0 {
        return err("the program has no fragments".into());
    }
    if p.slots.len() as u32 > MAX_SLOTS {
        return err(format!("{} slots, at most {MAX_SLOTS}", p.slots.len()));
    }
    unique("slot", p.slots.iter().map(|s| s.name.as_str()))?;
    unique("table", p.tables.iter().map(|t| t.name.as_str()))?;
    unique("fragment", p.fragments.iter().map(|f| f.name.as_str()))?;
    if p.entry >= nf {
        return err(format!("the entry fragment {} does not exist ({nf} fragments)", p.entry));
    }
    if let Some(&c) = p.controls.iter().find(|&&c| c >= nf) {
        return err(format!("control point {c} does not exist ({nf} fragments)"));
    }
    for t in &p.tables {
        if t.targets.is_empty() {
            return err(format!("table `{}` is empty", t.name));
        }
        if let Some(&bad) = t.targets.iter().find(|&&f| f >= nf) {
            return err(format!(
                "table `{}` names fragment {bad}, which does not exist ({nf} fragments)",
                t.name
            ));
        }
    }
    let fnames = p.fragment_names();
    let tnames = p.table_names();
    for f in &p.fragments {
        fragment(p, f, &fnames, &tnames)?;
    }
    defined_slots(p, &fnames, &tnames)
}

fn fragment(
    p: &Program,
    f: &super::Fragment,
    fnames: &[String],
    tnames: &[String],
) -> Result<(), ProgramError> {
    let b = &f.body;
    let at = |m: String| ProgramError { message: format!("fragment {}: {m}", f.name) };
    verify_trace(b).map_err(|e| at(e.message))?;
    let pr = Printer::in_program(b, fnames, tnames);
    if b.loop_start.is_some() {
        return Err(at("a fragment has no loop (the loop is the program's own control flow)".into()));
    }
    if !matches!(b.term, Terminator::Exit(_)) {
        return Err(at(format!(
            "{}: a fragment ends in `exit`, to the target its snapshot names",
            pr.terminator()
        )));
    }
    // One user per snapshot, so that a recording's (fragment, snapshot) names one branch.
    let mut user: Vec<Option<usize>> = vec![None; b.snaps.len()];
    for (i, inst) in b.insts.iter().enumerate() {
        if let Some(s) = inst.op.snap() {
            if let Some(first) = user[s.index()].replace(i) {
                return Err(at(format!(
                    "{}: snap{} is already used by `{}`: in a fragment every exit has its own snapshot",
                    pr.inst(i),
                    s.0,
                    pr.inst(first)
                )));
            }
        }
    }
    if let Terminator::Exit(s) = b.term {
        if let Some(first) = user[s.index()] {
            return Err(at(format!(
                "{}: snap{} is already used by `{}`: in a fragment every exit has its own snapshot",
                pr.terminator(),
                s.0,
                pr.inst(first)
            )));
        }
    }
    let slot_ty = |slot: u32| p.slots.get(slot as usize).map(|s| s.ty);
    for (i, inst) in b.insts.iter().enumerate() {
        match &inst.op {
            Op::Input { slot } => match slot_ty(*slot) {
                None => {
                    return Err(at(format!(
                        "{}: slot {slot} is not declared ({} slots)",
                        pr.inst(i),
                        p.slots.len()
                    )))
                }
                Some(t) if Some(t) != inst.ty => {
                    let s = &p.slots[*slot as usize];
                    return Err(at(format!("{}: slot {slot} (`{}`) is declared {t}", pr.inst(i), s.name)));
                }
                _ => {}
            },
            Op::Call { effect: CallEffect::Any, hint: CallHint::Elidable, .. } => {
                return Err(at(format!("{}: an elidable call must be `pure` or `readonly`", pr.inst(i))));
            }
            _ => {}
        }
    }
    for (k, s) in b.snaps.iter().enumerate() {
        let line = || pr.snapshot(k);
        match s.to {
            SnapTo::Host => {}
            SnapTo::Fragment(g) if g as usize >= p.fragments.len() => {
                return Err(at(format!("{}: fragment {g} does not exist", line())));
            }
            SnapTo::Fragment(_) => {}
            SnapTo::Dispatch { table, slot } => {
                if table as usize >= p.tables.len() {
                    return Err(at(format!("{}: table {table} does not exist", line())));
                }
                match slot_ty(slot) {
                    None => return Err(at(format!("{}: dispatch slot {slot} is not declared", line()))),
                    Some(t) if !t.is_int() || t == crate::types::Type::I1 => {
                        return Err(at(format!("{}: dispatch slot {slot} is {t}, not an integer", line())));
                    }
                    _ => {}
                }
            }
        }
        for &(slot, v) in &s.entries {
            let tv = b.ty(v);
            match slot_ty(slot) {
                None => {
                    return Err(at(format!(
                        "{}: slot {slot} is not declared ({} slots)",
                        line(),
                        p.slots.len()
                    )))
                }
                Some(t) if Some(t) != tv => {
                    let d = &p.slots[slot as usize];
                    return Err(at(format!(
                        "{}: slot {slot} (`{}`) is declared {t}, but {} is {}",
                        line(),
                        d.name,
                        pr.value(v),
                        tv.map_or("no type", |t| t.name())
                    )));
                }
                _ => {}
            }
        }
    }
    Ok(())
}

/// Must-be-defined slots at each fragment's entry, by a forward data flow over every edge
/// (fragment targets, and every entry of a dispatched table), from the non-temp slots at the
/// program's entry.
fn defined_slots(p: &Program, fnames: &[String], tnames: &[String]) -> Result<(), ProgramError> {
    let nf = p.fragments.len();
    // None: not reached yet (the top of the lattice).
    let mut at: Vec<Option<Vec<bool>>> = vec![None; nf];
    at[p.entry as usize] = Some(p.slots.iter().map(|s| !s.temp).collect());
    let mut work = vec![p.entry as usize];
    while let Some(f) = work.pop() {
        let Some(def) = at[f].clone() else { continue };
        let body = &p.fragments[f].body;
        for s in &body.snaps {
            let mut out = def.clone();
            for &(slot, _) in &s.entries {
                if let Some(d) = out.get_mut(slot as usize) {
                    *d = true;
                }
            }
            let targets: Vec<u32> = match s.to {
                SnapTo::Host => Vec::new(),
                SnapTo::Fragment(g) => vec![g],
                SnapTo::Dispatch { table, .. } => p.tables[table as usize].targets.clone(),
            };
            for g in targets {
                let g = g as usize;
                let new = match &at[g] {
                    None => out.clone(),
                    Some(old) => old.iter().zip(&out).map(|(a, b)| *a && *b).collect(),
                };
                if at[g].as_ref() != Some(&new) {
                    at[g] = Some(new);
                    work.push(g);
                }
            }
        }
    }
    for (f, def) in at.iter().enumerate() {
        let Some(def) = def else { continue };
        let frag = &p.fragments[f];
        let pr = Printer::in_program(&frag.body, fnames, tnames);
        let undefined = |slot: u32| !def.get(slot as usize).copied().unwrap_or(false);
        for (i, inst) in frag.body.insts.iter().enumerate() {
            if let Op::Input { slot } = inst.op {
                if undefined(slot) {
                    return err(format!(
                        "fragment {}: {}: slot {slot} (`{}`) is not defined on every path here (a temp slot no snapshot before it writes)",
                        frag.name,
                        pr.inst(i),
                        p.slots[slot as usize].name
                    ));
                }
            }
        }
        for (k, s) in frag.body.snaps.iter().enumerate() {
            if let SnapTo::Dispatch { slot, .. } = s.to {
                let written = s.entries.iter().any(|e| e.0 == slot);
                if !written && undefined(slot) {
                    return err(format!(
                        "fragment {}: {}: dispatch slot {slot} is not defined on every path here",
                        frag.name,
                        pr.snapshot(k)
                    ));
                }
            }
        }
    }
    Ok(())
}
