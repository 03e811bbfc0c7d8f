//! The basic functions (`print`, `type`, `pairs`, `pcall`, `setmetatable`, ...).

use super::{arg, arg_error, check_int, check_table, push, push_str, reg, type_expected};
use crate::state::{LResult, LuaError, State};
use crate::value::*;
use crate::vm::call;
use crate::vm::obj;

/// `print`, `tostring` and `pairs` are the prelude's (they may call metamethods); it
/// builds them on `print_fast`, `raw_tostring`, `next` and the native `ipairs` here.
pub(crate) fn open(l: &mut State) {
    let g = l.globals;
    reg(l, g, "type", type_);
    reg(l, g, "tonumber", tonumber);
    reg(l, g, "rawget", rawget);
    reg(l, g, "rawset", rawset);
    reg(l, g, "rawequal", rawequal);
    reg(l, g, "rawlen", rawlen);
    reg(l, g, "setmetatable", setmetatable);
    reg(l, g, "getmetatable", getmetatable);
    reg(l, g, "assert", assert);
    reg(l, g, "error", error);
    reg(l, g, "next", next);
    reg(l, g, "select", select);
    for name in [call::SPECIAL_PCALL, call::SPECIAL_XPCALL] {
        let f = obj::new_special(l, name, Vec::new());
        super::set_field(l, g, name, f);
    }
    reg(l, g, "ipairs", ipairs);
    reg(l, g, "collectgarbage", collectgarbage);
    reg(l, g, "loadfile", loadfile);
    let gv = TValue::table(g);
    super::set_field(l, g, "_G", gv);
    let ver = l.str("Lua 5.4");
    super::set_field(l, g, "_VERSION", ver);
}

/// `tostring` without `__tostring` (which the caller handles): numbers, strings, and
/// `TYPE: 0xADDR` with `__name` as lua5.4 prints it.
pub(crate) fn tostring_basic(l: &mut State, v: TValue) -> Vec<u8> {
    match v.tag {
        T_NIL => b"nil".to_vec(),
        T_FALSE => b"false".to_vec(),
        T_TRUE => b"true".to_vec(),
        T_INT | T_FLOAT | T_STR => obj::tostr_basic(v).expect("a number or string"),
        _ => {
            let name = crate::vm::arith::type_name_meta(l, v);
            let kind = if v.tag == T_NATIVE && name == "function" { "builtin" } else { "" };
            let _ = kind;
            format!("{name}: 0x{:014x}", v.val).into_bytes()
        }
    }
}

/// The prelude's fast path of `print`: prints and returns true unless some argument has a
/// `__tostring` (then the prelude prints, calling it).
pub(crate) fn print_fast(l: &mut State, args: &[TValue]) -> LResult<()> {
    if args.iter().any(|&v| v.tag >= T_TABLE && !obj::metamethod(l, v, "__tostring").is_nil()) {
        push(l, TValue::boolean(false));
        return Ok(());
    }
    print(l, args)?;
    push(l, TValue::boolean(true));
    Ok(())
}

/// `raw_tostring(v)`: `tostring` without `__tostring`.
pub(crate) fn raw_tostring(l: &mut State, args: &[TValue]) -> LResult<()> {
    let s = tostring_basic(l, arg(args, 0));
    push_str(l, &s);
    Ok(())
}

/// `raw_meta(v)`: the metatable, ignoring `__metatable`.
pub(crate) fn raw_meta(l: &mut State, args: &[TValue]) -> LResult<()> {
    let mt = obj::metatable(l, arg(args, 0));
    push(l, if mt.is_null() { TValue::nil() } else { TValue::table(mt) });
    Ok(())
}

fn print(l: &mut State, args: &[TValue]) -> LResult<()> {
    let mut out = Vec::new();
    for (i, &v) in args.iter().enumerate() {
        if i > 0 {
            out.push(b'\t');
        }
        out.extend_from_slice(&tostring_basic(l, v));
    }
    out.push(b'\n');
    l.write_out(&out);
    Ok(())
}

fn type_(l: &mut State, args: &[TValue]) -> LResult<()> {
    if args.is_empty() {
        return Err(arg_error(l, 0, "type", "value expected"));
    }
    let n = args[0].type_name();
    push_str(l, n.as_bytes());
    Ok(())
}

fn tonumber(l: &mut State, args: &[TValue]) -> LResult<()> {
    let v = arg(args, 0);
    if arg(args, 1).is_nil() {
        let r = match v.tag {
            T_INT | T_FLOAT => v,
            T_STR => crate::number::str2number(obj::str_bytes(v)).unwrap_or_default(),
            _ => {
                if args.is_empty() {
                    return Err(arg_error(l, 0, "tonumber", "value expected"));
                }
                TValue::nil()
            }
        };
        push(l, r);
        return Ok(());
    }
    let base = check_int(l, args, 1, "tonumber")?;
    if v.tag != T_STR {
        return Err(type_expected(l, args, 0, "tonumber", "string"));
    }
    if !(2..=36).contains(&base) {
        return Err(arg_error(l, 1, "tonumber", "base out of range"));
    }
    let r = crate::number::tonumber_base(obj::str_bytes(v), base as u32).map(TValue::int).unwrap_or_default();
    push(l, r);
    Ok(())
}

fn rawget(l: &mut State, args: &[TValue]) -> LResult<()> {
    let t = check_table(l, args, 0, "rawget")?;
    let v = obj::table(t).get(arg(args, 1));
    push(l, v);
    Ok(())
}

fn rawset(l: &mut State, args: &[TValue]) -> LResult<()> {
    let t = check_table(l, args, 0, "rawset")?;
    crate::vm::table::raw_set(l, t, arg(args, 1), arg(args, 2))?;
    push(l, t);
    Ok(())
}

fn rawequal(l: &mut State, args: &[TValue]) -> LResult<()> {
    let r = arg(args, 0).raw_eq(arg(args, 1));
    push(l, TValue::boolean(r));
    Ok(())
}

fn rawlen(l: &mut State, args: &[TValue]) -> LResult<()> {
    let v = arg(args, 0);
    let n = match v.tag {
        T_TABLE => obj::table(v).length() as i64,
        T_STR => obj::str_bytes(v).len() as i64,
        _ => return Err(arg_error(l, 0, "rawlen", "table or string expected")),
    };
    push(l, TValue::int(n));
    Ok(())
}

fn setmetatable(l: &mut State, args: &[TValue]) -> LResult<()> {
    let t = check_table(l, args, 0, "setmetatable")?;
    let m = arg(args, 1);
    if m.tag != T_NIL && m.tag != T_TABLE {
        return Err(type_expected(l, args, 1, "setmetatable", "nil or table"));
    }
    if !obj::metamethod(l, t, "__metatable").is_nil() {
        return Err(crate::vm::error::rt_error(l, "cannot change a protected metatable"));
    }
    let mp = if m.is_nil() { std::ptr::null_mut() } else { m.val as *mut crate::table::Table };
    obj::table(t).set_meta(mp);
    // As 5.4: only a metatable that has `__gc` when it is set makes the table finalizable.
    if !mp.is_null() && !super::get_field(l, mp, "__gc").is_nil() {
        l.heap.register_finalizer(t.val as *mut crate::table::Table);
    }
    push(l, t);
    Ok(())
}

/// The registry field that holds the prelude's finalizer runner.
pub(crate) const FINALIZER_RUNNER: &str = "finalizer runner";

/// `fin_next()`: the `__gc` method and object of the next due finalizer, or nothing. Called
/// with a function first, at start-up: that is the prelude's runner, kept in the registry.
pub(crate) fn fin_next(l: &mut State, args: &[TValue]) -> LResult<()> {
    let f = arg(args, 0);
    if !f.is_nil() {
        let r = l.registry;
        super::set_field(l, r, FINALIZER_RUNNER, f);
        return Ok(());
    }
    while let Some(p) = l.heap.next_to_finalize() {
        let v = TValue::table(p as *mut crate::table::Table);
        let m = obj::metamethod(l, v, "__gc");
        if !m.is_nil() {
            push(l, m);
            push(l, v);
            break;
        }
    }
    Ok(())
}

/// After a collection that queued finalizers: hands the running native's call on to the
/// prelude's runner, which calls them and then returns what `collectgarbage` returns.
fn finalize_then_return(l: &mut State) {
    if l.heap.has_pending_finalizers() {
        let r = l.registry;
        l.handoff = super::get_field(l, r, FINALIZER_RUNNER);
        l.rets.clear();
    }
}

fn getmetatable(l: &mut State, args: &[TValue]) -> LResult<()> {
    let v = arg(args, 0);
    let mt = obj::metatable(l, v);
    if mt.is_null() {
        push(l, TValue::nil());
        return Ok(());
    }
    let protected = obj::metamethod(l, v, "__metatable");
    push(l, if protected.is_nil() { TValue::table(mt) } else { protected });
    Ok(())
}

fn assert(l: &mut State, args: &[TValue]) -> LResult<()> {
    if args.is_empty() {
        return Err(arg_error(l, 0, "assert", "value expected"));
    }
    if args[0].is_falsy() {
        // As lua5.4: the message (default "assertion failed!") raised like `error(msg)`.
        let msg = if args.len() > 1 { args[1] } else { l.str("assertion failed!") };
        return error(l, &[msg]);
    }
    l.rets.extend_from_slice(args);
    Ok(())
}

fn error(l: &mut State, args: &[TValue]) -> LResult<()> {
    let v = arg(args, 0);
    let level = super::opt_int(l, args, 1, "error", 1)?;
    if v.tag == T_STR && level > 0 {
        if let Some(w) = crate::vm::error::where_(l, level as usize) {
            let mut s = w.into_bytes();
            s.extend_from_slice(obj::str_bytes(v));
            return Err(LuaError(l.heap.str_value(&s)));
        }
    }
    Err(LuaError(v))
}

fn next(l: &mut State, args: &[TValue]) -> LResult<()> {
    let t = check_table(l, args, 0, "next")?;
    match obj::table(t).next(arg(args, 1)) {
        Ok(Some((k, v))) => {
            push(l, k);
            push(l, v);
        }
        Ok(None) => push(l, TValue::nil()),
        Err(()) => return Err(crate::vm::error::rt_error(l, "invalid key to 'next'")),
    }
    Ok(())
}

fn select(l: &mut State, args: &[TValue]) -> LResult<()> {
    let n = arg(args, 0);
    if n.tag == T_STR && obj::str_bytes(n) == b"#" {
        push(l, TValue::int(args.len() as i64 - 1));
        return Ok(());
    }
    let i = check_int(l, args, 0, "select")?;
    let rest = args.len() as i64 - 1;
    let start = if i < 0 {
        if -i > rest {
            return Err(arg_error(l, 0, "select", "index out of range"));
        }
        rest + i
    } else if i == 0 {
        return Err(arg_error(l, 0, "select", "index out of range"));
    } else {
        (i - 1).min(rest)
    };
    l.rets.extend_from_slice(&args[1 + start as usize..]);
    Ok(())
}

fn ipairs_iter(l: &mut State, args: &[TValue]) -> LResult<()> {
    let i = arg(args, 1).val as i64 + 1;
    let t = arg(args, 0);
    // Values with a metatable iterate in the prelude (through __index).
    let v = if t.tag == T_TABLE {
        obj::table(t).get_int(i)
    } else {
        // lua5.4 raises this inside its C iterator: no position.
        let m = format!("attempt to index a {} value", crate::vm::arith::type_name_meta(l, t));
        return Err(LuaError(l.str(&m)));
    };
    if v.is_nil() {
        push(l, TValue::nil());
    } else {
        push(l, TValue::int(i));
        push(l, v);
    }
    Ok(())
}

fn ipairs(l: &mut State, args: &[TValue]) -> LResult<()> {
    if args.is_empty() {
        return Err(arg_error(l, 0, "ipairs", "table expected, got no value"));
    }
    let f = obj::new_native(l, ipairs_iter, "ipairs_iter", Vec::new());
    push(l, f);
    push(l, args[0]);
    push(l, TValue::int(0));
    Ok(())
}

fn collectgarbage(l: &mut State, args: &[TValue]) -> LResult<()> {
    let opt = arg(args, 0);
    let o = if opt.is_nil() {
        b"collect".to_vec()
    } else {
        super::check_str(l, args, 0, "collectgarbage")?.into_owned()
    };
    match &o[..] {
        b"collect" => {
            crate::vm::gc::collect_from_native(l, args.as_ptr_range().end as *mut TValue);
            push(l, TValue::int(0));
            finalize_then_return(l);
        }
        b"count" => {
            let kb = l.heap.count_kb();
            push(l, TValue::float(kb));
        }
        b"step" => {
            // Every step finishes a cycle here (the collector is stop-the-world).
            crate::vm::gc::collect_from_native(l, args.as_ptr_range().end as *mut TValue);
            push(l, TValue::boolean(true));
            finalize_then_return(l);
        }
        // The previous mode; there is one mode.
        b"incremental" | b"generational" => push_str(l, b"incremental"),
        b"isrunning" => push(l, TValue::boolean(true)),
        b"stop" | b"restart" => push(l, TValue::int(0)),
        _ => {
            let s = String::from_utf8_lossy(&o).into_owned();
            return Err(arg_error(l, 0, "collectgarbage", &format!("invalid option '{s}'")));
        }
    }
    Ok(())
}

/// Compiles `src` into a closure whose `_ENV` is `env`, or returns the syntax error.
pub(crate) fn load_chunk(l: &mut State, src: &[u8], chunkname: &str, env: TValue) -> Result<TValue, String> {
    let proto = crate::compile::compile(src, &crate::lex::chunk_display_name(chunkname))
        .map_err(|e| e.to_string())?;
    let p = l.load_proto(&proto);
    let uv = l.heap.new_upval_closed(env);
    Ok(TValue::lclosure(l.heap.new_lclosure(p as *mut crate::gc::Opaque, vec![uv])))
}

/// The native part of `load` (the prelude reads function chunks): `native_load(s,
/// chunkname, mode, env, env_given)`.
pub(crate) fn native_load(l: &mut State, args: &[TValue]) -> LResult<()> {
    let s = super::check_str(l, args, 0, "load")?.into_owned();
    let name = if arg(args, 1).is_nil() {
        String::from_utf8_lossy(&s).into_owned()
    } else {
        String::from_utf8_lossy(&super::check_str(l, args, 1, "load")?).into_owned()
    };
    let mode = if arg(args, 2).is_nil() {
        b"bt".to_vec()
    } else {
        super::check_str(l, args, 2, "load")?.into_owned()
    };
    if !mode.contains(&b't') {
        push(l, TValue::nil());
        let m = format!("attempt to load a text chunk (mode is '{}')", String::from_utf8_lossy(&mode));
        push_str(l, m.as_bytes());
        return Ok(());
    }
    let env = if arg(args, 4).is_falsy() { TValue::table(l.globals) } else { arg(args, 3) };
    match load_chunk(l, &s, &name, env) {
        Ok(f) => push(l, f),
        Err(m) => {
            push(l, TValue::nil());
            push_str(l, m.as_bytes());
        }
    }
    Ok(())
}

fn loadfile(l: &mut State, args: &[TValue]) -> LResult<()> {
    let path = String::from_utf8_lossy(&super::check_str(l, args, 0, "loadfile")?).into_owned();
    let env = if args.len() >= 3 { arg(args, 2) } else { TValue::table(l.globals) };
    match std::fs::read(&path) {
        Ok(src) => {
            let src = if src.first() == Some(&b'#') {
                let e = src.iter().position(|&c| c == b'\n').unwrap_or(src.len());
                src[e..].to_vec()
            } else {
                src
            };
            match load_chunk(l, &src, &format!("@{path}"), env) {
                Ok(f) => push(l, f),
                Err(m) => {
                    push(l, TValue::nil());
                    push_str(l, m.as_bytes());
                }
            }
        }
        Err(e) => {
            push(l, TValue::nil());
            let m = format!("cannot open {path}: {}", crate::stdlib::os::errno_text(&e));
            push_str(l, m.as_bytes());
        }
    }
    Ok(())
}

/// `__searchpath(name, path)`: the first file `path`'s templates name that exists.
pub(crate) fn searchpath(l: &mut State, args: &[TValue]) -> LResult<()> {
    let name = String::from_utf8_lossy(&super::check_str(l, args, 0, "searchpath")?).replace('.', "/");
    let path = String::from_utf8_lossy(&super::check_str(l, args, 1, "searchpath")?).into_owned();
    let mut tried = String::new();
    for t in path.split(';') {
        let f = t.replace('?', &name);
        if std::fs::metadata(&f).is_ok() {
            push_str(l, f.as_bytes());
            return Ok(());
        }
        tried.push_str(&format!("\n\tno file '{f}'"));
    }
    push(l, TValue::nil());
    push_str(l, tried.as_bytes());
    Ok(())
}
