//! The allocation as people read it: the IR text with each definition's location, and the
//! moves at the preheader and the back edge (`tracery run --dump regalloc`).

use std::fmt::Write;

use super::check::{loc_name, value_name};
use super::{Allocation, Loc, Move, RegFile};
use crate::ir::{CallEffect, Callee, Op, SnapId, Terminator, Trace, Value};

/// Where annotations start.
const COLUMN: usize = 40;

fn ty_name(trace: &Trace, v: Value) -> &'static str {
    trace.ty(v).map_or("void", |t| t.name())
}

fn snap_text(trace: &Trace, s: SnapId) -> String {
    let Some(snap) = trace.snaps.get(s.index()) else { return format!("snap{} (missing)", s.0) };
    let entries: Vec<String> =
        snap.entries.iter().map(|&(slot, v)| format!("{slot}: {}", value_name(trace, v))).collect();
    format!("snap{} @resume({}) {{ {} }}", s.0, snap.resume, entries.join(", "))
}

/// The right-hand side of instruction `i` in the text format.
fn op_text(trace: &Trace, i: usize) -> String {
    let inst = &trace.insts[i];
    let v = |x: Value| value_name(trace, x);
    let ty = inst.ty.map_or("void", |t| t.name());
    let mem = |base: Value, disp: i32| match disp {
        0 => format!("[{}]", v(base)),
        d if d < 0 => format!("[{} - {}]", v(base), -(d as i64)),
        d => format!("[{} + {d}]", v(base)),
    };
    match &inst.op {
        Op::Input { slot } => format!("input {slot} : {ty}"),
        Op::Const { bits } => match inst.ty {
            Some(t) if t.is_float() => format!("const {:?} : f64", f64::from_bits(*bits)),
            Some(t) => format!("const {} : {t}", t.sext(*bits)),
            None => format!("const {bits:#x}"),
        },
        Op::LoopParam { index } => format!("loop param {index}"),
        Op::Bin(op, a, b) => format!("{} {}, {}", op.name(), v(*a), v(*b)),
        Op::Un(op, a) => format!("{} {}", op.name(), v(*a)),
        Op::Ovf(op, a, b, s) => format!("{} {}, {}, snap{}", op.name(), v(*a), v(*b), s.0),
        Op::ICmp(c, a, b) => format!("icmp.{} {}, {}", c.name(), v(*a), v(*b)),
        Op::FCmp(c, a, b) => format!("fcmp.{} {}, {}", c.name(), v(*a), v(*b)),
        Op::Select(c, a, b) => format!("select {}, {}, {}", v(*c), v(*a), v(*b)),
        Op::Conv(c, a) => format!("{}.{ty} {}", c.name(), v(*a)),
        Op::Load { base, disp, imm } => {
            format!("load.{ty}{} {}", if *imm { " imm" } else { "" }, mem(*base, *disp))
        }
        Op::Store { base, disp, value } => {
            format!("store.{} {}, {}", ty_name(trace, *value), mem(*base, *disp), v(*value))
        }
        Op::Call { callee, args, effect } => {
            let eff = match effect {
                CallEffect::Any => "",
                CallEffect::ReadOnly => " readonly",
                CallEffect::Pure => " pure",
            };
            let target = match callee {
                Callee::Symbol(s) => format!("@{s}"),
                Callee::Value(x) => v(*x),
            };
            let args: Vec<String> = args.iter().map(|&a| v(a)).collect();
            format!("call.{ty}{eff} {target}({})", args.join(", "))
        }
        Op::Guard { cond, expect, snap } => {
            format!("guard{} {}, snap{}", if *expect { "" } else { ".not" }, v(*cond), snap.0)
        }
        Op::Nop => "nop".into(),
    }
}

/// Instruction `i` as one line of text.
pub(crate) fn inst_text(trace: &Trace, i: usize) -> String {
    match trace.insts[i].ty {
        Some(_) => format!("{} = {}", value_name(trace, Value(i as u32)), op_text(trace, i)),
        None => op_text(trace, i),
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

fn annotated(out: &mut String, line: String, note: Option<String>) {
    match note {
        Some(n) => {
            let pad = COLUMN.saturating_sub(line.chars().count()).max(1);
            let _ = writeln!(out, "{line}{:pad$}; {n}", "");
        }
        None => {
            let _ = writeln!(out, "{line}");
        }
    }
}

/// The IR text of `trace` with the location of every defined value, the preheader moves and
/// the back-edge moves.
pub fn annotate(trace: &Trace, alloc: &Allocation, rf: &RegFile) -> String {
    let mut out = String::new();
    if let Some(n) = &trace.name {
        let _ = writeln!(out, "trace {n}");
    }
    let _ = writeln!(out, "; {} spill slots", alloc.spill_slots);
    let note = |i: usize| -> Option<String> {
        trace.insts[i].ty?;
        Some(match alloc.loc(Value(i as u32)) {
            Loc::None => "unused".into(),
            Loc::Const(_) => "const".into(),
            l => loc_name(rf, l),
        })
    };
    // Inputs and constants have no position: they come first.
    for (i, inst) in trace.insts.iter().enumerate() {
        if inst.op.is_positionless() {
            annotated(&mut out, inst_text(trace, i), note(i));
        }
    }
    let params = trace.loop_params();
    let mut printed = vec![false; trace.snaps.len()];
    let mut indent = "";
    let mut snap_line = |out: &mut String, s: SnapId, indent: &str| {
        if let Some(p) = printed.get_mut(s.index()) {
            if !*p {
                *p = true;
                let _ = writeln!(out, "{indent}{}", snap_text(trace, s));
            }
        }
    };
    for (i, inst) in trace.insts.iter().enumerate() {
        if Some(i) == trace.loop_start {
            let _ = writeln!(out, "; preheader moves: {}", moves_text(rf, &alloc.preheader_moves));
            let ps: Vec<String> = params
                .iter()
                .zip(&trace.loop_inits)
                .map(|(&p, &init)| format!("{} = {}", value_name(trace, p), value_name(trace, init)))
                .collect();
            let locs: Vec<String> = params
                .iter()
                .map(|&p| format!("{}: {}", value_name(trace, p), note(p.index()).unwrap_or_default()))
                .collect();
            annotated(&mut out, format!("loop ({})", ps.join(", ")), Some(locs.join(", ")));
            indent = "  ";
        }
        if matches!(inst.op, Op::Input { .. } | Op::Const { .. } | Op::LoopParam { .. } | Op::Nop) {
            continue;
        }
        if let Some(s) = inst.op.snap() {
            snap_line(&mut out, s, indent);
        }
        annotated(&mut out, format!("{indent}{}", inst_text(trace, i)), note(i));
    }
    match &trace.term {
        Terminator::Jump(args) => {
            let _ = writeln!(out, "{indent}; back-edge moves: {}", moves_text(rf, &alloc.backedge_moves));
            let args: Vec<String> = args.iter().map(|&a| value_name(trace, a)).collect();
            let _ = writeln!(out, "{indent}jump ({})", args.join(", "));
        }
        Terminator::Exit(s) => {
            snap_line(&mut out, *s, indent);
            let _ = writeln!(out, "{indent}exit snap{}", s.0);
        }
        Terminator::Link { trace: t, snap } => {
            snap_line(&mut out, *snap, indent);
            let _ = writeln!(out, "{indent}link {t}, snap{}", snap.0);
        }
    }
    out
}
