//! The printer: the canonical text of a trace, and single lines for error messages.
//!
//! It prints anything, including traces the verifier would reject: a value index out of
//! range shows as `%?N`, a missing type as `?`.

use std::collections::{HashMap, HashSet};
use std::fmt::Write;

use super::lex::is_name_char;
use crate::ir::*;
use crate::types::Type;

/// Names every value once, so lines of one trace can be printed in any order.
pub struct Printer<'t> {
    trace: &'t Trace,
    names: Vec<Option<String>>,
    /// Fragment and dispatch-table names, when the trace belongs to a program (snapshot
    /// targets then print by name instead of by number).
    program: Option<(&'t [String], &'t [String])>,
}

fn valid_name(s: &str) -> bool {
    !s.is_empty() && s.chars().all(is_name_char)
}

/// Whether the instruction prints as `%x = ...`.
fn has_result(inst: &Inst) -> bool {
    match inst.op {
        Op::Store { .. } | Op::Guard { .. } | Op::Promote(_) | Op::Hint(_) | Op::Nop => false,
        Op::Call { .. } => inst.ty.is_some(),
        _ => true,
    }
}

fn ty_name(t: Option<Type>) -> &'static str {
    t.map_or("?", Type::name)
}

/// Unsigned words print in decimal up to 2^32 and in hex above, where they are addresses.
fn word(u: u64) -> String {
    if u <= u32::MAX as u64 {
        u.to_string()
    } else {
        format!("{u:#x}")
    }
}

/// A constant as written: signed decimal for integers (hex for i64 beyond ±2^32), and for f64
/// the shortest decimal that reads back to the same bits, `inf`, `nan`, or else the bits.
pub(crate) fn const_literal(ty: Option<Type>, bits: u64) -> String {
    match ty {
        None => format!("{bits:#x}"),
        Some(Type::F64) => {
            let f = f64::from_bits(bits);
            if f.is_finite() {
                let s = format!("{f:?}");
                if s.parse::<f64>().map(f64::to_bits) == Ok(bits) {
                    return s;
                }
            } else if f.is_infinite() {
                return if f > 0.0 { "inf".into() } else { "-inf".into() };
            } else if bits == f64::NAN.to_bits() {
                return "nan".into();
            }
            format!("{bits:#x}")
        }
        Some(t) if bits & !t.mask() != 0 => format!("{bits:#x}"),
        Some(Type::I1) => bits.to_string(),
        Some(t) => {
            let v = t.sext(bits);
            if v.unsigned_abs() <= u32::MAX as u64 {
                v.to_string()
            } else {
                format!("{bits:#x}")
            }
        }
    }
}

/// The trace name as a word the parser accepts.
fn trace_name(s: &str) -> String {
    let mut out: String =
        s.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' || c == '.' { c } else { '_' }).collect();
    if !out.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
        out.insert(0, '_');
    }
    out
}

/// The symbol after `@`: characters the lexer would stop at become `_`.
fn symbol(s: &str) -> String {
    if s.is_empty() {
        return "_".into();
    }
    s.chars().map(|c| if is_name_char(c) { c } else { '_' }).collect()
}

impl<'t> Printer<'t> {
    /// Picks names: a value's own name when it is valid and not taken by an earlier value,
    /// otherwise its index, then `base.1`, `base.2`, ... until free.
    pub fn new(trace: &'t Trace) -> Printer<'t> {
        let n = trace.insts.len();
        let mut names: Vec<Option<String>> = vec![None; n];
        let mut taken: HashSet<String> = HashSet::new();
        let mut pending = Vec::new();
        for (i, inst) in trace.insts.iter().enumerate() {
            if !has_result(inst) {
                continue;
            }
            match &inst.name {
                Some(s) if valid_name(s) && !taken.contains(s) => {
                    taken.insert(s.clone());
                    names[i] = Some(s.clone());
                }
                _ => pending.push(i),
            }
        }
        let mut next: HashMap<String, u64> = HashMap::new();
        for i in pending {
            let base = match &trace.insts[i].name {
                Some(s) if valid_name(s) => s.clone(),
                _ => i.to_string(),
            };
            let name = if taken.contains(&base) {
                let k = next.entry(base.clone()).or_insert(1);
                loop {
                    let cand = format!("{base}.{k}");
                    *k += 1;
                    if !taken.contains(&cand) {
                        break cand;
                    }
                }
            } else {
                base
            };
            taken.insert(name.clone());
            names[i] = Some(name);
        }
        Printer { trace, names, program: None }
    }

    /// A printer that names snapshot targets with a program's fragment and table names.
    pub fn in_program(trace: &'t Trace, fragments: &'t [String], tables: &'t [String]) -> Printer<'t> {
        Printer { program: Some((fragments, tables)), ..Printer::new(trace) }
    }

    fn fragment_name(&self, f: u32) -> String {
        match self.program.and_then(|(fs, _)| fs.get(f as usize)) {
            Some(name) => name.clone(),
            None => f.to_string(),
        }
    }

    fn table_name(&self, t: u32) -> String {
        match self.program.and_then(|(_, ts)| ts.get(t as usize)) {
            Some(name) => name.clone(),
            None => t.to_string(),
        }
    }

    /// `%name`, or `%?N` for an index that names no value.
    pub fn value(&self, v: Value) -> String {
        match self.names.get(v.index()) {
            Some(Some(n)) => format!("%{n}"),
            _ => format!("%?{}", v.0),
        }
    }

    fn values(&self, vs: &[Value]) -> String {
        let parts: Vec<String> = vs.iter().map(|&v| self.value(v)).collect();
        format!("({})", parts.join(", "))
    }

    fn address(&self, base: Value, disp: i32) -> String {
        match disp {
            0 => format!("[{}]", self.value(base)),
            d if d < 0 => format!("[{} - {}]", self.value(base), d.unsigned_abs()),
            d => format!("[{} + {d}]", self.value(base)),
        }
    }

    /// The line of instruction `i` as the printer writes it, without indentation.
    pub fn inst(&self, i: usize) -> String {
        let Some(inst) = self.trace.insts.get(i) else { return format!("<no instruction {i}>") };
        let lhs =
            if has_result(inst) { format!("{} = ", self.value(Value(i as u32))) } else { String::new() };
        let ty = ty_name(inst.ty);
        let v = |x: Value| self.value(x);
        let body = match &inst.op {
            Op::Input { slot } => format!("input {slot} : {ty}"),
            Op::Const { bits } => format!("const {} : {ty}", const_literal(inst.ty, *bits)),
            Op::LoopParam { index } => format!("loop.param {index} : {ty}"),
            Op::Bin(op, a, b) => format!("{} {}, {}", op.name(), v(*a), v(*b)),
            Op::Un(op, a) => format!("{} {}", op.name(), v(*a)),
            Op::Ovf(op, a, b, s) => format!("{} {}, {}, snap{}", op.name(), v(*a), v(*b), s.0),
            Op::ICmp(c, a, b) => format!("icmp.{} {}, {}", c.name(), v(*a), v(*b)),
            Op::FCmp(c, a, b) => format!("fcmp.{} {}, {}", c.name(), v(*a), v(*b)),
            Op::Select(c, a, b) => format!("select {}, {}, {}", v(*c), v(*a), v(*b)),
            Op::Conv(c, a) => format!("{}.{ty} {}", c.name(), v(*a)),
            Op::Load { base, disp, imm, mem } => {
                let class = mem.keyword().map(|k| format!(" {k}")).unwrap_or_default();
                format!("load.{ty}{}{class} {}", if *imm { " imm" } else { "" }, self.address(*base, *disp))
            }
            Op::Store { base, disp, value, mem } => {
                format!(
                    "store.{}{} {}, {}",
                    ty_name(self.trace.ty(*value)),
                    mem.keyword().map(|k| format!(" {k}")).unwrap_or_default(),
                    self.address(*base, *disp),
                    v(*value)
                )
            }
            Op::Call { callee, args, effect, hint } => {
                let effect = match effect {
                    CallEffect::Any => "",
                    CallEffect::ReadOnly => " readonly",
                    CallEffect::Pure => " pure",
                };
                let callee = match callee {
                    Callee::Symbol(s) => format!("@{}", symbol(s)),
                    Callee::Value(c) => v(*c),
                };
                let ret = inst.ty.map_or("void", Type::name);
                let hint = hint.name().map_or(String::new(), |h| format!(" {h}"));
                format!("call.{ret}{effect}{hint} {callee}{}", self.values(args))
            }
            Op::Guard { cond, expect, snap } => {
                format!("guard{} {}, snap{}", if *expect { "" } else { ".not" }, v(*cond), snap.0)
            }
            Op::Promote(x) => format!("promote {}", v(*x)),
            Op::Hint(x) => format!("hint {}", v(*x)),
            Op::Nop => "nop".into(),
        };
        lhs + &body
    }

    /// The line of snapshot `s`.
    pub fn snapshot(&self, s: usize) -> String {
        let Some(snap) = self.trace.snaps.get(s) else { return format!("<no snapshot {s}>") };
        let mut out = format!("snap{s} @resume({})", word(snap.resume));
        match snap.to {
            SnapTo::Host => {}
            SnapTo::Fragment(f) => {
                let _ = write!(out, " -> {}", self.fragment_name(f));
            }
            SnapTo::Dispatch { table, slot } => {
                let _ = write!(out, " -> dispatch {}[{slot}]", self.table_name(table));
            }
        }
        out.push_str(" {");
        for (k, &(slot, val)) in snap.entries.iter().enumerate() {
            out.push_str(if k == 0 { " " } else { ", " });
            let _ = write!(out, "{slot}: {}", self.value(val));
        }
        out.push_str(if snap.entries.is_empty() { "}" } else { " }" });
        out
    }

    /// The loop parameters: the `LoopParam` run from `loop_start`.
    fn loop_params(&self) -> std::ops::Range<usize> {
        let Some(s) = self.trace.loop_start else { return 0..0 };
        let insts = &self.trace.insts;
        let len = insts
            .get(s..)
            .map_or(0, |r| r.iter().take_while(|i| matches!(i.op, Op::LoopParam { .. })).count());
        s..s + len
    }

    /// The `loop (...)` line.
    pub fn loop_line(&self) -> String {
        let params: Vec<String> = self
            .loop_params()
            .enumerate()
            .map(|(k, i)| {
                let init = self.trace.loop_inits.get(k).map_or("%?".to_string(), |&v| self.value(v));
                format!("{} = {init}", self.value(Value(i as u32)))
            })
            .collect();
        format!("loop ({})", params.join(", "))
    }

    /// The terminator line.
    pub fn terminator(&self) -> String {
        match &self.trace.term {
            Terminator::Jump(vs) => format!("jump {}", self.values(vs)),
            Terminator::Exit(s) => format!("exit snap{}", s.0),
            Terminator::Link { trace, snap } => format!("link {trace}, snap{}", snap.0),
            Terminator::Dispatch { index, snap, targets } => {
                let ts: Vec<String> = targets
                    .iter()
                    .map(|d| match d {
                        DispatchTarget::Trace(n) => n.to_string(),
                        DispatchTarget::Exit(s) => format!("snap{}", s.0),
                    })
                    .collect();
                format!("dispatch {}, snap{}, [{}]", self.value(*index), snap.0, ts.join(", "))
            }
        }
    }

    /// The whole trace in canonical layout.
    pub fn trace(&self) -> String {
        let t = self.trace;
        let mut out = String::new();
        if let Some(name) = &t.name {
            let _ = writeln!(out, "trace {}", trace_name(name));
        }
        for want_input in [true, false] {
            for (i, inst) in t.insts.iter().enumerate() {
                let is = match inst.op {
                    Op::Input { .. } => want_input,
                    Op::Const { .. } => !want_input,
                    _ => false,
                };
                if is {
                    out.push_str(&self.inst(i));
                    out.push('\n');
                }
            }
        }
        // Each snapshot goes right before its first user.
        let mut first_user: Vec<Option<usize>> = vec![None; t.snaps.len()];
        for (i, inst) in t.insts.iter().enumerate() {
            if let Some(s) = inst.op.snap() {
                if let Some(slot @ None) = first_user.get_mut(s.index()) {
                    *slot = Some(i);
                }
            }
        }
        let mut printed = vec![false; t.snaps.len()];
        let params = self.loop_params();
        let mut indent = "";
        let emit = |out: &mut String, indent: &str, line: String| {
            out.push_str(indent);
            out.push_str(&line);
            out.push('\n');
        };
        for (i, inst) in t.insts.iter().enumerate() {
            if t.loop_start == Some(i) {
                emit(&mut out, indent, self.loop_line());
                indent = "  ";
            }
            if params.contains(&i) || inst.op.is_positionless() {
                continue;
            }
            if let Some(s) = inst.op.snap() {
                if first_user.get(s.index()) == Some(&Some(i)) {
                    if let Some(p) = printed.get_mut(s.index()) {
                        *p = true;
                    }
                    emit(&mut out, indent, self.snapshot(s.index()));
                }
            }
            emit(&mut out, indent, self.inst(i));
        }
        if t.loop_start.is_some_and(|s| s >= t.insts.len()) {
            emit(&mut out, indent, self.loop_line());
            indent = "  ";
        }
        for (s, done) in printed.iter().enumerate() {
            if !done {
                emit(&mut out, indent, self.snapshot(s));
            }
        }
        emit(&mut out, indent, self.terminator());
        out
    }
}
