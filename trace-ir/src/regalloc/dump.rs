//! The allocation as people read it: the IR text with each definition's location, and the
//! moves at the preheader and the back edge (`tracery run --dump regalloc`).
//!
//! The layout is the printer's canonical one, so a dump reads like the trace it came from:
//! `%acc1 = add %acc, %i    ; rax`, `; spill 3` for a spill slot, `; const` for a constant,
//! `; unused` for a value nobody reads.

use std::fmt::Write;

use super::{Allocation, Loc, Move, RegClass, RegFile};
use crate::ir::{Op, Trace, Value};
use crate::text::Printer;

/// Where annotations start.
const COLUMN: usize = 40;

/// A location as dumps and checker errors name it: the backend's register name, `spill K`
/// or `const 0x..`.
pub(crate) fn loc_name(rf: &RegFile, l: Loc) -> String {
    match l {
        Loc::None => "nowhere".into(),
        Loc::Reg(r) => match rf.name(r) {
            "?" => format!("{}{}", if r.class == RegClass::Gpr { "r" } else { "f" }, r.hw),
            n => n.to_string(),
        },
        Loc::Spill(k) => format!("spill {k}"),
        Loc::Const(b) => format!("const {b:#x}"),
    }
}

fn moves_text(rf: &RegFile, moves: &[Move]) -> String {
    let ms: Vec<String> = moves
        .iter()
        .map(|m| {
            let from = match m.from {
                Loc::Const(b) => format!("{b:#x}"),
                l => loc_name(rf, l),
            };
            format!("{} <- {from}", loc_name(rf, m.to))
        })
        .collect();
    if ms.is_empty() {
        "none".into()
    } else {
        ms.join("; ")
    }
}

fn line(out: &mut String, indent: &str, text: &str, note: Option<String>) {
    out.push_str(indent);
    out.push_str(text);
    if let Some(n) = note {
        let pad = COLUMN.saturating_sub(indent.len() + text.chars().count()).max(1);
        let _ = write!(out, "{:pad$}; {n}", "");
    }
    out.push('\n');
}

/// The IR text of `trace` with the location of every defined value, the preheader moves and
/// the back-edge moves.
pub fn annotate(trace: &Trace, alloc: &Allocation, rf: &RegFile) -> String {
    let p = Printer::new(trace);
    let mut out = String::new();
    // The name line as the printer writes it.
    if let Some(first) = p.trace().lines().next().filter(|l| l.starts_with("trace ")) {
        let _ = writeln!(out, "{first}");
    }
    let _ = writeln!(out, "; {} spill slots", alloc.spill_slots);
    let note = |i: usize| -> Option<String> {
        let inst = &trace.insts[i];
        if inst.ty.is_none() || matches!(inst.op, Op::Store { .. } | Op::Guard { .. } | Op::Nop) {
            return None;
        }
        Some(match alloc.loc(Value(i as u32)) {
            Loc::None => "unused".into(),
            Loc::Const(_) => "const".into(),
            l => loc_name(rf, l),
        })
    };
    for want_input in [true, false] {
        for (i, inst) in trace.insts.iter().enumerate() {
            let is = match inst.op {
                Op::Input { .. } => want_input,
                Op::Const { .. } => !want_input,
                _ => false,
            };
            if is {
                line(&mut out, "", &p.inst(i), note(i));
            }
        }
    }
    let params = trace.loop_params();
    let loop_line = |out: &mut String| {
        let _ = writeln!(out, "; preheader moves: {}", moves_text(rf, &alloc.preheader_moves));
        let locs: Vec<String> = params
            .iter()
            .map(|&v| format!("{}: {}", p.value(v), note(v.index()).unwrap_or_default()))
            .collect();
        line(out, "", &p.loop_line(), (!locs.is_empty()).then(|| locs.join(", ")));
    };
    // Each snapshot right before its first user, the rest before the terminator.
    let mut printed = vec![false; trace.snaps.len()];
    let mut indent = "";
    for (i, inst) in trace.insts.iter().enumerate() {
        if trace.loop_start == Some(i) {
            loop_line(&mut out);
            indent = "  ";
        }
        if matches!(inst.op, Op::LoopParam { .. }) || inst.op.is_positionless() {
            continue;
        }
        if let Some(s) = inst.op.snap() {
            if let Some(done @ false) = printed.get_mut(s.index()) {
                *done = true;
                line(&mut out, indent, &p.snapshot(s.index()), None);
            }
        }
        line(&mut out, indent, &p.inst(i), note(i));
    }
    if trace.loop_start.is_some_and(|s| s >= trace.insts.len()) {
        loop_line(&mut out);
        indent = "  ";
    }
    for (s, done) in printed.iter().enumerate() {
        if !done {
            line(&mut out, indent, &p.snapshot(s), None);
        }
    }
    if matches!(trace.term, crate::ir::Terminator::Jump(_)) {
        let _ = writeln!(out, "{indent}; back-edge moves: {}", moves_text(rf, &alloc.backedge_moves));
    }
    line(&mut out, indent, &p.terminator(), None);
    out
}
