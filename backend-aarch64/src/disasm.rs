//! Listings: each IR line followed by the yaxpeax-arm disassembly of the code emitted for it.

use trace_ir::backend::ListingPart;
use trace_ir::ir::*;
use yaxpeax_arch::{Decoder, U8Reader};
use yaxpeax_arm::armv8::a64::InstDecoder;

/// One decoded instruction: offset, raw word and text (`None` text for a decode error).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    pub offset: usize,
    pub word: u32,
    pub text: Option<String>,
}

/// Decodes `code` (4-byte words from offset 0).
pub fn decode(code: &[u8]) -> Vec<Line> {
    let d = InstDecoder::default();
    code.chunks(4)
        .enumerate()
        .map(|(i, c)| {
            let mut bytes = [0u8; 4];
            bytes[..c.len()].copy_from_slice(c);
            let mut r = U8Reader::new(c);
            Line {
                offset: 4 * i,
                word: u32::from_le_bytes(bytes),
                text: d.decode(&mut r).ok().map(|i| i.to_string()),
            }
        })
        .collect()
}

fn val(t: &Trace, v: Value) -> String {
    match t.insts.get(v.index()).and_then(|i| i.name.as_deref()) {
        Some(n) => format!("%{n}"),
        None => format!("%{}", v.0),
    }
}

/// The IR text of instruction `i`, in the text format's spelling.
pub fn inst_text(t: &Trace, i: usize) -> String {
    let inst = &t.insts[i];
    let v = |x: Value| val(t, x);
    let ty = inst.ty.map(|t| t.name()).unwrap_or("void");
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
            let vt = t.ty(*value).map(|t| t.name()).unwrap_or("?");
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
            let args: Vec<String> = args.iter().map(|a| v(*a)).collect();
            let call = format!("call.{ty}{eff} {f}({})", args.join(", "));
            if inst.ty.is_none() {
                return call;
            }
            call
        }
        Op::Guard { cond, expect, snap } => {
            return format!("guard{} {}, snap{}", if *expect { "" } else { ".not" }, v(*cond), snap.0)
        }
        Op::Nop => return "nop".into(),
    };
    format!("{} = {rhs}", v(Value(i as u32)))
}

fn disp_text(d: i32) -> String {
    match d.cmp(&0) {
        std::cmp::Ordering::Equal => String::new(),
        std::cmp::Ordering::Greater => format!(" + {d}"),
        std::cmp::Ordering::Less => format!(" - {}", (d as i64).unsigned_abs()),
    }
}

pub fn term_text(t: &Trace) -> String {
    match &t.term {
        Terminator::Jump(vs) => {
            let vs: Vec<String> = vs.iter().map(|x| val(t, *x)).collect();
            format!("jump ({})", vs.join(", "))
        }
        Terminator::Exit(s) => format!("exit snap{}", s.0),
        Terminator::Link { trace, snap } => format!("link {trace}, snap{}", snap.0),
    }
}

/// Renders parts in order, each header line followed by its indented disassembly. Bytes that
/// do not decode are shown as `.word` (a listing never fails).
pub fn render(code: &[u8], parts: &[ListingPart]) -> String {
    let lines = decode(code);
    let mut out = String::new();
    for p in parts {
        out.push_str(&p.what);
        out.push('\n');
        for l in lines.iter().filter(|l| l.offset >= p.offset && l.offset < p.offset + p.len) {
            let text = l.text.clone().unwrap_or_else(|| format!(".word {:#010x}", l.word));
            out.push_str(&format!("  {:6x}:  {:08x}  {text}\n", l.offset, l.word));
        }
    }
    out
}
