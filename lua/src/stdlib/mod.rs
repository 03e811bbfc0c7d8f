//! The standard library: natives registered into the globals, and the prelude (Lua source
//! compiled at start-up) for the functions that call back into Lua.

pub mod base;
pub mod coroutine;
pub mod io;
pub mod math;
pub mod os;
pub mod string;
pub mod table;
pub mod utf8;

use crate::state::{LResult, State};
use crate::table::Table;
use crate::value::*;
use crate::vm::obj::{self, NativeFn};

/// Sets `t[name] = f` for a native.
pub(crate) fn reg(l: &mut State, t: *mut Table, name: &'static str, f: NativeFn) {
    let v = obj::new_native(l, f, name, Vec::new());
    set_field(l, t, name, v);
}

/// Lua fallbacks: a native that is the fast path of a library function whose general case
/// must call metamethods (the `table` functions on a table with `__index`, `__newindex` or
/// `__len`) hands its call on (`State::handoff`) to a Lua version of itself in the prelude.
///
/// Such a native is registered by `reg_with_fallback` with one upvalue slot, nil at first.
/// The prelude, once it has defined the Lua version, stores it there with `set_fallback`
/// (one of the natives it receives): `set_fallback(table.insert, insert_meta)`. The native
/// then reaches it as its own upvalue 0 (`hand_off`): no lookup by name, and the Lua
/// version is a prelude local that user code cannot reach or replace.
pub(crate) fn reg_with_fallback(l: &mut State, t: *mut Table, name: &'static str, f: NativeFn) {
    let v = obj::new_native(l, f, name, vec![TValue::nil()]);
    set_field(l, t, name, v);
}

/// `set_fallback(native, f)`: the prelude installs `f` as the Lua fallback of `native`.
fn set_fallback(_: &mut State, args: &[TValue]) -> LResult<()> {
    let (n, f) = (arg(args, 0), arg(args, 1));
    assert!(
        n.tag == T_NATIVE && !obj::is_special(n) && obj::native(n).upvals.len() == 1 && f.tag == T_LCLOSURE,
        "set_fallback takes a native made by reg_with_fallback and a Lua function"
    );
    obj::native_mut(n).upvals[0] = f;
    Ok(())
}

/// Marks the native `t[name]` as the library function the fragments know as `builtin`.
pub(crate) fn mark_builtin(l: &mut State, t: *mut Table, name: &'static str, builtin: u64) {
    let f = get_field(l, t, name);
    obj::native_mut(f).builtin = builtin;
}

/// Hands the running native's call on to its Lua fallback (see `reg_with_fallback`). The
/// native must return at once, having done nothing else.
pub(crate) fn hand_off(l: &mut State) -> LResult<()> {
    let f = obj::native(l.current_native).upvals[0];
    debug_assert_eq!(f.tag, T_LCLOSURE, "the prelude installed the fallback");
    l.handoff = f;
    Ok(())
}

/// `lib_arg(fname, n, v, what)`, luaL_check* for the prelude's library functions: argument
/// `n` of `fname` ("table.insert") is `v`; `what` "integer" or "string" returns it converted
/// (luaL_checkinteger, luaL_checklstring), and any other type name raises
/// "bad argument #n to 'insert' (WHAT expected, got TYPE)". The messages are the natives'.
fn lib_arg(l: &mut State, args: &[TValue]) -> LResult<()> {
    let (fname, n) = lib_fname_n(args);
    let what = lib_str(arg(args, 3));
    // The value sits at its argument's place, for the natives' checks.
    let mut a = vec![TValue::nil(); n];
    a[n - 1] = arg(args, 2);
    let r = match what.as_str() {
        "integer" => TValue::int(check_int(l, &a, n - 1, &fname)?),
        "string" => {
            let b = check_str(l, &a, n - 1, &fname)?.into_owned();
            l.heap.str_value(&b)
        }
        _ => return Err(type_expected(l, &a, n - 1, &fname, &what)),
    };
    push(l, r);
    Ok(())
}

/// `lib_argerror(fname, n, msg)`: raises "bad argument #n to 'NAME' (msg)", luaL_argerror
/// for the prelude's library functions.
fn lib_argerror(l: &mut State, args: &[TValue]) -> LResult<()> {
    let (fname, n) = lib_fname_n(args);
    let msg = lib_str(arg(args, 2));
    Err(arg_error(l, n - 1, &fname, &msg))
}

/// The function name and argument number that `lib_arg` and `lib_argerror` start with
/// (the prelude always gives them right).
fn lib_fname_n(args: &[TValue]) -> (String, usize) {
    let n = arg(args, 1);
    assert!(n.tag == T_INT && n.val as i64 >= 1, "the prelude passes argument numbers from 1");
    (lib_str(arg(args, 0)), n.val as usize)
}

fn lib_str(v: TValue) -> String {
    assert_eq!(v.tag, T_STR, "the prelude passes names and messages as strings");
    String::from_utf8_lossy(obj::str_bytes(v)).into_owned()
}

pub(crate) fn set_field(l: &mut State, t: *mut Table, name: &str, v: TValue) {
    let k = l.str(name);
    // SAFETY: `t` is a live table the library just made or the globals.
    let _ = unsafe { (*t).set(k, v) };
}

pub(crate) fn get_field(l: &mut State, t: *mut Table, name: &str) -> TValue {
    let k = l.str(name);
    // SAFETY: as in `set_field`.
    unsafe { (*t).get(k) }
}

/// A new library table, stored as global `name`.
pub(crate) fn lib_table(l: &mut State, name: &str) -> *mut Table {
    let t = l.heap.new_table(0, 32);
    let g = l.globals;
    set_field(l, g, name, TValue::table(t));
    t
}

pub fn open(l: &mut State) {
    base::open(l);
    coroutine::open(l);
    string::open(l);
    table::open(l);
    math::open(l);
    os::open(l);
    io::open(l);
    utf8::open(l);
}

/// Argument `i` (0-based), nil when absent.
pub(crate) fn arg(args: &[TValue], i: usize) -> TValue {
    args.get(i).copied().unwrap_or(TValue::nil())
}

/// "bad argument #N to 'NAME' (MSG)", with the name lua5.4 would give: 'for iterator'
/// when a generic for called it, the qualified global name ('string.rep') when pcall did.
/// `fname` is the function's own name, short ("rep") or qualified ("string.rep"; the
/// prelude's functions that no global holds give theirs so).
pub fn arg_error(l: &mut State, i: usize, fname: &str, msg: &str) -> crate::state::LuaError {
    let name = call_name(l, fname).unwrap_or_else(|| short_name(fname).to_string());
    crate::vm::error::rt_error(l, &format!("bad argument #{} to '{name}' ({msg})", i + 1))
}

/// "rep" of "string.rep".
fn short_name(q: &str) -> &str {
    q.rsplit('.').next().unwrap_or(q)
}

pub(crate) fn call_name(l: &mut State, fname: &str) -> Option<String> {
    if l.native_c_caller {
        let f = l.current_native;
        return global_name(l, f);
    }
    call_site_name(l, fname)
}

/// `f`'s name among the globals and the library tables ("print", "string.rep").
fn global_name(l: &mut State, f: TValue) -> Option<String> {
    {
        let g = l.globals;
        // SAFETY: the globals table is live.
        let gt = unsafe { &*g };
        let mut key = TValue::nil();
        while let Ok(Some((k, v))) = gt.next(key) {
            if v.raw_eq(f) && k.tag == T_STR {
                return Some(String::from_utf8_lossy(obj::str_bytes(k)).into_owned());
            }
            if v.tag == T_TABLE && k.tag == T_STR && obj::str_bytes(k) != b"_G" {
                let t = obj::table(v);
                let mut k2 = TValue::nil();
                while let Ok(Some((kk, vv))) = t.next(k2) {
                    if vv.raw_eq(f) && kk.tag == T_STR {
                        return Some(format!(
                            "{}.{}",
                            String::from_utf8_lossy(obj::str_bytes(k)),
                            String::from_utf8_lossy(obj::str_bytes(kk))
                        ));
                    }
                    k2 = kk;
                }
            }
            key = k;
        }
        None
    }
}

fn call_site_name(l: &mut State, fname: &str) -> Option<String> {
    let t = crate::vm::call::thread_mut(l);
    let ci = *t.ci.last()?;
    if ci.pc.is_null() {
        return None;
    }
    // SAFETY: frames point at prototypes kept for the state's life.
    let hidden = |c: &crate::state::CallInfo| !c.proto.is_null() && unsafe { (*c.proto).hidden };
    if hidden(&ci) {
        // A prelude function stands for a library function: its name (the global that
        // holds it, else `fname`), qualified when pcall called it. It is the lowest of the
        // prelude frames on top (the others are its helpers).
        let entry = *t.ci.iter().rev().take_while(|c| hidden(c)).last()?;
        // SAFETY: a frame's function slot holds its closure.
        let f = unsafe { *entry.func };
        let q = global_name(l, f).or_else(|| fname.contains('.').then(|| fname.to_string()))?;
        return Some(if entry.kind == crate::state::FrameKind::Pcall {
            q
        } else {
            short_name(&q).to_string()
        });
    }
    // SAFETY: a frame's pc points into its prototype's code.
    let ins = crate::bytecode::Ins(unsafe { *ci.pc });
    if ins.op() == crate::bytecode::Op::TForCall {
        return Some("for iterator".into());
    }
    None
}

/// "X expected, got Y".
pub(crate) fn type_expected(
    l: &mut State,
    args: &[TValue],
    i: usize,
    fname: &str,
    what: &str,
) -> crate::state::LuaError {
    let got =
        if i >= args.len() { "no value".to_string() } else { crate::vm::arith::type_name_meta(l, args[i]) };
    arg_error(l, i, fname, &format!("{what} expected, got {got}"))
}

pub(crate) fn check_int(l: &mut State, args: &[TValue], i: usize, fname: &str) -> LResult<i64> {
    let v = arg(args, i);
    match v.tag {
        T_INT => Ok(v.val as i64),
        T_FLOAT => crate::number::float_to_int_exact(f64::from_bits(v.val))
            .ok_or_else(|| arg_error(l, i, fname, "number has no integer representation")),
        T_STR => match crate::number::str2number(obj::str_bytes(v)) {
            Some(n) if n.tag == T_INT => Ok(n.val as i64),
            Some(n) => crate::number::float_to_int_exact(f64::from_bits(n.val))
                .ok_or_else(|| arg_error(l, i, fname, "number has no integer representation")),
            None => Err(type_expected(l, args, i, fname, "number")),
        },
        _ => Err(type_expected(l, args, i, fname, "number")),
    }
}

pub(crate) fn opt_int(l: &mut State, args: &[TValue], i: usize, fname: &str, def: i64) -> LResult<i64> {
    if arg(args, i).is_nil() {
        Ok(def)
    } else {
        check_int(l, args, i, fname)
    }
}

pub(crate) fn check_num(l: &mut State, args: &[TValue], i: usize, fname: &str) -> LResult<TValue> {
    let v = arg(args, i);
    match crate::vm::arith::to_number(v) {
        Some(n) => Ok(n),
        None => Err(type_expected(l, args, i, fname, "number")),
    }
}

pub(crate) fn check_str<'a>(
    l: &mut State,
    args: &[TValue],
    i: usize,
    fname: &str,
) -> LResult<std::borrow::Cow<'a, [u8]>> {
    let v = arg(args, i);
    match v.tag {
        T_STR => Ok(std::borrow::Cow::Borrowed(obj::str_bytes(v))),
        T_INT | T_FLOAT => Ok(std::borrow::Cow::Owned(crate::number::fmt_number(v).into_bytes())),
        _ => Err(type_expected(l, args, i, fname, "string")),
    }
}

pub(crate) fn check_table(l: &mut State, args: &[TValue], i: usize, fname: &str) -> LResult<TValue> {
    let v = arg(args, i);
    if v.tag == T_TABLE {
        Ok(v)
    } else {
        Err(type_expected(l, args, i, fname, "table"))
    }
}

pub(crate) fn push(l: &mut State, v: TValue) {
    l.rets.push(v);
}

pub(crate) fn push_str(l: &mut State, s: &[u8]) {
    let v = l.heap.str_value(s);
    l.rets.push(v);
}

/// The prelude's source; `prelude_args` are the natives it receives.
pub const PRELUDE: &str = include_str!("prelude.lua");

pub(crate) fn prelude_args(l: &mut State) -> Vec<TValue> {
    let st = l.globals;
    let string = get_field(l, st, "string");
    let gsub = get_field(l, string.val as *mut Table, "gsub");
    let io = get_field(l, st, "io");
    let write = get_field(l, io.val as *mut Table, "write");
    vec![
        obj::new_native(l, base::raw_tostring, "tostring", Vec::new()),
        obj::new_native(l, base::raw_meta, "getmetatable", Vec::new()),
        obj::new_native(l, base::print_fast, "print", Vec::new()),
        write,
        obj::new_native(l, string::match_at, "gsub", Vec::new()),
        gsub,
        obj::new_native(l, base::native_load, "load", Vec::new()),
        obj::new_native(l, base::searchpath, "require", Vec::new()),
        l.heap.str_value(l.script_dir.clone().as_bytes()),
        obj::new_native(l, string::format_fast, "format", Vec::new()),
        get_field(l, st, "ipairs"),
        obj::new_native(l, base::fin_next, "fin_next", Vec::new()),
        obj::new_native(l, set_fallback, "set_fallback", Vec::new()),
        obj::new_native(l, lib_arg, "lib_arg", Vec::new()),
        obj::new_native(l, lib_argerror, "lib_argerror", Vec::new()),
    ]
}
