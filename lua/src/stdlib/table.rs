//! The `table` library (`sort` is in the prelude: it calls comparators).
//!
//! lua5.4 reads and writes the tables with lua_geti/lua_seti and takes lengths with luaL_len,
//! so `__index`, `__newindex` and `__len` are honoured, and a value that is not a table is
//! accepted when its metatable has the fields needed. The natives here are the fast path for
//! tables whose metatable (if any) has none of the fields that matter to the call (`APPEND`,
//! `READ`, ...); any other argument with a metatable is handed on (`super::hand_off`) to the
//! prelude's Lua version of the function, which calls the metamethods. Values with no
//! metatable that are not tables get lua5.4's errors here.

use super::{arg, arg_error, check_int, check_table, hand_off, opt_int, push, reg, reg_with_fallback};
use crate::state::{LResult, LuaError, State};
use crate::value::*;
use crate::vm::obj;

pub(crate) fn open(l: &mut State) {
    let t = super::lib_table(l, "table");
    reg_with_fallback(l, t, "insert", insert);
    reg_with_fallback(l, t, "remove", remove);
    reg_with_fallback(l, t, "concat", concat);
    reg_with_fallback(l, t, "unpack", unpack);
    reg(l, t, "pack", pack);
    reg_with_fallback(l, t, "move", tmove);
}

/// The metamethods that can change what a function sees, on a table: appending takes the
/// length and writes a key that is absent; the others read (holes go to `__index`) and
/// write; `move` takes no length but compares its two tables.
const APPEND: &[&str] = &["__len", "__newindex"];
const READ: &[&str] = &["__len", "__index"];
const READ_WRITE: &[&str] = &["__len", "__index", "__newindex"];
const MOVE: &[&str] = &["__index", "__newindex", "__eq"];

/// `v` must go through the Lua version: it has a metatable, and is not a table or has one of
/// `events` there. (A plain table is decided inline: that is the hot case.)
#[inline(always)]
fn meta_path(l: &mut State, v: TValue, events: &[&'static str]) -> bool {
    if v.tag == T_TABLE && obj::table(v).meta.is_null() {
        return false;
    }
    meta_path_slow(l, v, events)
}

#[cold]
#[inline(never)]
fn meta_path_slow(l: &mut State, v: TValue, events: &[&'static str]) -> bool {
    let mt = obj::metatable(l, v);
    if mt.is_null() {
        return false;
    }
    v.tag != T_TABLE || events.iter().any(|e| !obj::metamethod(l, v, e).is_nil())
}

fn insert(l: &mut State, args: &[TValue]) -> LResult<()> {
    if meta_path(l, arg(args, 0), if args.len() == 2 { APPEND } else { READ_WRITE }) {
        return hand_off(l);
    }
    let t = check_table(l, args, 0, "insert")?;
    let tab = obj::table(t);
    let e = tab.length() as i64 + 1;
    match args.len() {
        2 => tab.set_int(e, args[1]),
        3 => {
            let pos = check_int(l, args, 1, "insert")?;
            if (pos as u64).wrapping_sub(1) >= e as u64 {
                return Err(arg_error(l, 1, "insert", "position out of bounds"));
            }
            let mut i = e;
            while i > pos {
                let v = tab.get_int(i - 1);
                tab.set_int(i, v);
                i -= 1;
            }
            tab.set_int(pos, args[2]);
        }
        _ => return Err(crate::vm::error::rt_error(l, "wrong number of arguments to 'insert'")),
    }
    Ok(())
}

fn remove(l: &mut State, args: &[TValue]) -> LResult<()> {
    if meta_path(l, arg(args, 0), READ_WRITE) {
        return hand_off(l);
    }
    let t = check_table(l, args, 0, "remove")?;
    let tab = obj::table(t);
    let size = tab.length() as i64;
    let mut pos = opt_int(l, args, 1, "remove", size)?;
    // A given position must be in [1, size + 1] (lua5.4's check; 5.4.4 blames argument 1).
    if pos != size && (pos as u64).wrapping_sub(1) > size as u64 {
        return Err(arg_error(l, 0, "remove", "position out of bounds"));
    }
    let v = tab.get_int(pos);
    while pos < size {
        let nx = tab.get_int(pos + 1);
        tab.set_int(pos, nx);
        pos += 1;
    }
    tab.set_int(pos, TValue::nil());
    push(l, v);
    Ok(())
}

fn concat(l: &mut State, args: &[TValue]) -> LResult<()> {
    if meta_path(l, arg(args, 0), READ) {
        return hand_off(l);
    }
    let t = check_table(l, args, 0, "concat")?;
    let sep =
        if arg(args, 1).is_nil() { Vec::new() } else { super::check_str(l, args, 1, "concat")?.into_owned() };
    let tab = obj::table(t);
    let i = opt_int(l, args, 2, "concat", 1)?;
    let j = if arg(args, 3).is_nil() { tab.length() as i64 } else { check_int(l, args, 3, "concat")? };
    let mut out = Vec::new();
    let mut k = i;
    while k <= j {
        let v = tab.get_int(k);
        match obj::tostr_basic(v) {
            Some(b) => out.extend_from_slice(&b),
            None => {
                // luaL_typename: the basic type, not `__name`.
                let tn = v.type_name();
                let m = format!("invalid value ({tn}) at index {k} in table for 'concat'");
                return Err(crate::vm::error::rt_error(l, &m));
            }
        }
        if k < j {
            out.extend_from_slice(&sep);
        }
        if k == i64::MAX {
            break;
        }
        k += 1;
    }
    super::push_str(l, &out);
    Ok(())
}

fn unpack(l: &mut State, args: &[TValue]) -> LResult<()> {
    let t = arg(args, 0);
    if meta_path(l, t, READ) {
        return hand_off(l);
    }
    let i = opt_int(l, args, 1, "unpack", 1)?;
    let j = if arg(args, 2).is_nil() {
        if t.tag != T_TABLE {
            // luaL_len of a value with no metatable: lua_len's error, raised in C.
            return Err(c_type_error(l, t, "get length of"));
        }
        obj::table(t).length() as i64
    } else {
        check_int(l, args, 2, "unpack")?
    };
    if i > j {
        return Ok(());
    }
    let n = (j as i128 - i as i128) as u128 + 1;
    if n >= 1_000_000 {
        return Err(crate::vm::error::rt_error(l, "too many results to unpack"));
    }
    if t.tag != T_TABLE {
        return Err(c_type_error(l, t, "index"));
    }
    let tab = obj::table(t);
    let mut k = i;
    loop {
        let v = tab.get_int(k);
        push(l, v);
        if k == j {
            break;
        }
        k += 1;
    }
    Ok(())
}

/// "attempt to WHAT a TYPE value", as lua_len or lua_geti raise it from a C function: no
/// position, no variable name.
fn c_type_error(l: &mut State, v: TValue, what: &str) -> LuaError {
    LuaError(l.str(&format!("attempt to {what} a {} value", v.type_name())))
}

fn pack(l: &mut State, args: &[TValue]) -> LResult<()> {
    let t = obj::new_table(l, args.len(), 1);
    let tab = obj::table(t);
    for (i, v) in args.iter().enumerate() {
        tab.set_int(i as i64 + 1, *v);
    }
    let n = l.str("n");
    let _ = obj::table(t).set(n, TValue::int(args.len() as i64));
    push(l, t);
    Ok(())
}

fn tmove(l: &mut State, args: &[TValue]) -> LResult<()> {
    if meta_path(l, arg(args, 0), MOVE) || meta_path(l, arg(args, 4), MOVE) {
        return hand_off(l);
    }
    // lua5.4 checks the integers first, then the tables.
    let f = check_int(l, args, 1, "move")?;
    let e = check_int(l, args, 2, "move")?;
    let t = check_int(l, args, 3, "move")?;
    let a1 = check_table(l, args, 0, "move")?;
    let a2 = if arg(args, 4).is_nil() { a1 } else { check_table(l, args, 4, "move")? };
    if e >= f {
        if !(f > 0 || e < i64::MAX + f) {
            return Err(arg_error(l, 2, "move", "too many elements to move"));
        }
        if t > i64::MAX - (e - f) {
            return Err(arg_error(l, 3, "move", "destination wrap around"));
        }
        let (src, dst) = (obj::table(a1), obj::table(a2));
        if t > e || t <= f || a1.val != a2.val {
            for i in 0..=(e - f) {
                let v = src.get_int(f + i);
                dst.set_int(t + i, v);
            }
        } else {
            let mut i = e - f;
            loop {
                let v = src.get_int(f + i);
                dst.set_int(t + i, v);
                if i == 0 {
                    break;
                }
                i -= 1;
            }
        }
    }
    push(l, a2);
    Ok(())
}
