//! Lua errors raised by the VM: messages with the position lua5.4 gives them, and the
//! variable descriptions ("global 'x'", "local 'x'", "field 'x'") of its error messages.

use crate::bytecode::{Ins, Op};
use crate::state::{FrameKind, FuncProto, LuaError, State};

/// "not enough memory" (lua5.4's message, with no position), for a VM stack that cannot be
/// mapped.
pub(crate) fn oom(l: &mut State) -> LuaError {
    LuaError(l.name("not enough memory"))
}

/// An error whose message is `msg` prefixed with the position of the running Lua
/// function (`chunk:line: `), as luaG_runerror does.
pub(crate) fn rt_error(l: &mut State, msg: &str) -> LuaError {
    let full = match where_(l, 1) {
        Some(w) => format!("{w}{msg}"),
        None => msg.to_string(),
    };
    LuaError(l.str(&full))
}

/// Prelude code is running its own instruction (no native is running and the top frame is
/// hidden): in lua5.4 this is C code (lua_geti, lua_len, lua_call in a library function),
/// whose errors have no position and name no variable.
pub(crate) fn in_hidden_code(l: &State) -> bool {
    if l.in_native {
        return false;
    }
    // SAFETY: `thread` is the running thread, alive while the state is; frames point at
    // prototypes the state keeps for its whole life.
    let t = unsafe { &*l.thread };
    t.ci.last().is_some_and(|ci| !ci.proto.is_null() && unsafe { (*ci.proto).hidden })
}

/// `chunk:line: ` of the Lua frame `level` levels up (1: the running one), as luaL_where.
pub(crate) fn where_(l: &State, level: usize) -> Option<String> {
    if (l.native_c_caller && level == 1) || in_hidden_code(l) {
        return Some(String::new());
    }
    let mut level = if l.native_c_caller { level - 1 } else { level };
    // SAFETY: `thread` is the running thread, alive while the state is.
    let t = unsafe { &*l.thread };
    // Frames called by a native (pcall's function, a coroutine's body, a message handler)
    // have a C level below them in lua5.4, which has no position. Prelude frames stand for
    // a C library function: those on top are the running native's (it is part of that
    // function), and each run of them further down is one level with no position (a
    // metamethod's `error(msg, 2)` names the library function that called it).
    let mut top_run = true;
    let mut prev_hidden = false;
    for ci in t.ci.iter().rev() {
        // SAFETY: as below.
        let hidden = !ci.proto.is_null() && unsafe { (*ci.proto).hidden };
        if !hidden {
            top_run = false;
            level -= 1;
        } else if !top_run && !prev_hidden {
            level -= 1;
            if level == 0 {
                return Some(String::new());
            }
        }
        prev_hidden = hidden;
        if level == 0 && !hidden {
            if ci.proto.is_null() {
                return Some(String::new());
            }
            // SAFETY: frames point at prototypes the state keeps for its whole life.
            let p = unsafe { &*ci.proto };
            return Some(format!("{}:{}: ", p.source, p.line_at(ci.pc)));
        }
        if matches!(ci.kind, FrameKind::Pcall | FrameKind::Handler | FrameKind::CoroutineBody) {
            level -= 1;
            if level == 0 {
                return Some(String::new());
            }
        }
    }
    None
}

/// Describes register `reg` at instruction `pc` of `p` for an error message, or `None`.
pub(crate) fn reg_info(p: &FuncProto, pc: usize, reg: u16) -> Option<String> {
    if let Some(name) = local_name(p, pc, reg) {
        return Some(format!("local '{name}'"));
    }
    // The last instruction before pc that wrote reg (a backward scan of straight-line
    // code, good enough for the messages).
    let mut i = pc;
    while i > 0 {
        i -= 1;
        let ins = Ins(p.code[i]);
        let op = ins.op();
        if op == Op::Jmp {
            continue;
        }
        if writes_reg(ins) != Some(reg) {
            continue;
        }
        return match op {
            Op::GetTabUp => {
                let key = const_str(p, ins.c() as usize)?;
                let up = p.upval_names.get(ins.b() as usize).map(|s| s.as_str());
                if up == Some("_ENV") {
                    Some(format!("global '{key}'"))
                } else {
                    Some(format!("field '{key}'"))
                }
            }
            Op::GetTable if ins.kc() => Some(format!("field '{}'", const_str(p, ins.c() as usize)?)),
            Op::SelfOp if ins.kc() => Some(format!("method '{}'", const_str(p, ins.c() as usize)?)),
            Op::GetUpval => Some(format!("upvalue '{}'", p.upval_names.get(ins.b() as usize)?)),
            Op::LoadK => match p.k().get(ins.bx() as usize) {
                Some(v) if v.tag == crate::value::T_STR => {
                    Some(format!("constant '{}'", String::from_utf8_lossy(super::obj::str_bytes(*v))))
                }
                _ => None,
            },
            Op::Move => {
                let b = ins.b();
                if b < ins.a() {
                    local_name(p, i, b).map(|n| format!("local '{n}'"))
                } else {
                    None
                }
            }
            _ => None,
        };
    }
    None
}

/// An RK operand's description: constants are described by their value's kind.
pub(crate) fn rk_info(p: &FuncProto, pc: usize, x: u16, is_k: bool) -> Option<String> {
    if is_k {
        let v = p.k().get(x as usize)?;
        if v.tag == crate::value::T_STR {
            return Some(format!("constant '{}'", String::from_utf8_lossy(super::obj::str_bytes(*v))));
        }
        return None;
    }
    reg_info(p, pc, x)
}

fn const_str(p: &FuncProto, i: usize) -> Option<String> {
    let v = p.k().get(i)?;
    if v.tag != crate::value::T_STR {
        return None;
    }
    Some(String::from_utf8_lossy(super::obj::str_bytes(*v)).into_owned())
}

fn local_name(p: &FuncProto, pc: usize, reg: u16) -> Option<&str> {
    // The reg-th active local at pc.
    let mut n = 0u16;
    for lv in &p.locals {
        if (lv.start_pc as usize) <= pc && pc < lv.end_pc as usize {
            if lv.reg == reg {
                return Some(&lv.name);
            }
            n += 1;
        }
    }
    let _ = n;
    None
}

/// The register an instruction writes, for `reg_info`.
fn writes_reg(ins: Ins) -> Option<u16> {
    use Op::*;
    match ins.op() {
        Move | LoadK | LoadI | LoadFalse | LoadTrue | GetUpval | GetTabUp | GetTable | GetI | NewTable
        | SelfOp | Add | Sub | Mul | Mod | Pow | Div | IDiv | BAnd | BOr | BXor | Shl | Shr | Unm | BNot
        | Not | Len | Concat | Closure => Some(ins.a()),
        _ => None,
    }
}
