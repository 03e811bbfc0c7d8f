//! Listings: each IR line followed by the Intel-syntax disassembly (iced-x86) of the code
//! emitted for it; the entry, stubs, deopt paths and common exit are labelled.

use iced_x86::{Decoder, DecoderOptions, Formatter, IntelFormatter};
use trace_ir::ir::*;

/// The Intel-syntax disassembly of `code` placed at `ip`, one `(address, text)` per
/// instruction.
pub fn disassemble(code: &[u8], ip: u64) -> Vec<(u64, String)> {
    let mut d = Decoder::with_ip(64, code, ip, DecoderOptions::NONE);
    let mut f = IntelFormatter::new();
    let mut out = Vec::new();
    for ins in &mut d {
        let mut s = String::new();
        f.format(&ins, &mut s);
        out.push((ins.ip(), s));
    }
    out
}

/// Interleaves labelled parts with their disassembly. `parts` are `(what, offset)` in
/// increasing offset order, covering `code`.
pub fn listing(parts: &[(String, usize)], code: &[u8], ip: u64) -> String {
    let mut s = String::new();
    for (k, (what, off)) in parts.iter().enumerate() {
        let end = parts.get(k + 1).map_or(code.len(), |p| p.1);
        s.push_str(&format!("; {what}\n"));
        for (addr, text) in disassemble(&code[*off..end], ip + *off as u64) {
            s.push_str(&format!("  {:6x}  {text}\n", addr - ip));
        }
    }
    s
}

fn val(t: &Trace, v: Value) -> String {
    match t.insts.get(v.index()).and_then(|i| i.name.as_deref()) {
        Some(n) => format!("%{n}"),
        None => format!("%{}", v.0),
    }
}

/// One IR instruction in the text format's shape (used until a line printer is shared).
pub fn inst_text(t: &Trace, i: usize) -> String {
    let inst = &t.insts[i];
    let v = |x: Value| val(t, x);
    let ty = inst.ty.map_or("void", |t| t.name());
    let rhs = match &inst.op {
        Op::Input { slot } => format!("input {slot} : {ty}"),
        Op::Const { bits } => format!("const {bits:#x} : {ty}"),
        Op::LoopParam { index } => format!("loop param {index}"),
        Op::Bin(op, a, b) => format!("{} {}, {}", op.name(), v(*a), v(*b)),
        Op::Un(op, a) => format!("{} {}", op.name(), v(*a)),
        Op::Ovf(op, a, b, s) => format!("{} {}, {}, snap{}", op.name(), v(*a), v(*b), s.0),
        Op::ICmp(c, a, b) => format!("icmp.{} {}, {}", c.name(), v(*a), v(*b)),
        Op::FCmp(c, a, b) => format!("fcmp.{} {}, {}", c.name(), v(*a), v(*b)),
        Op::Select(c, a, b) => format!("select {}, {}, {}", v(*c), v(*a), v(*b)),
        Op::Conv(c, a) => format!("{}.{ty} {}", c.name(), v(*a)),
        Op::Load { base, disp, imm } => {
            format!("load.{ty}{} [{}{}]", if *imm { " imm" } else { "" }, v(*base), disp_text(*disp))
        }
        Op::Store { base, disp, value } => {
            let vt = t.ty(*value).map_or("?", |t| t.name());
            return format!("store.{vt} [{}{}], {}", v(*base), disp_text(*disp), v(*value));
        }
        Op::Call { callee, args, effect } => {
            let eff = match effect {
                CallEffect::Any => "",
                CallEffect::ReadOnly => " readonly",
                CallEffect::Pure => " pure",
            };
            let f = match callee {
                Callee::Symbol(s) => format!("@{s}"),
                Callee::Value(x) => v(*x),
            };
            let args: Vec<String> = args.iter().map(|&a| v(a)).collect();
            let s = format!("call.{ty}{eff} {f}({})", args.join(", "));
            if inst.ty.is_none() {
                return s;
            }
            s
        }
        Op::Guard { cond, expect, snap } => {
            return format!("guard{} {}, snap{}", if *expect { "" } else { ".not" }, v(*cond), snap.0)
        }
        Op::Nop => return "nop".into(),
    };
    format!("{} = {rhs}", v(Value(i as u32)))
}

fn disp_text(d: i32) -> String {
    match d {
        0 => String::new(),
        d if d < 0 => format!(" - {}", -(d as i64)),
        d => format!(" + {d}"),
    }
}

pub fn term_text(t: &Trace) -> String {
    match &t.term {
        Terminator::Jump(vs) => {
            let vs: Vec<String> = vs.iter().map(|&x| val(t, x)).collect();
            format!("jump ({})", vs.join(", "))
        }
        Terminator::Exit(s) => format!("exit snap{}", s.0),
        Terminator::Link { trace, snap } => format!("link {trace}, snap{}", snap.0),
    }
}
