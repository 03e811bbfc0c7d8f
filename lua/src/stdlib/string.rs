//! The `string` library and the string metatable (`("x"):len()`).

use super::{arg, arg_error, check_int, check_str, opt_int, push, push_str, reg};
use crate::state::{LResult, State};
use crate::value::*;

pub(crate) fn open(l: &mut State) {
    let t = super::lib_table(l, "string");
    reg(l, t, "len", len);
    reg(l, t, "sub", sub);
    reg(l, t, "upper", upper);
    reg(l, t, "lower", lower);
    reg(l, t, "rep", rep);
    reg(l, t, "reverse", reverse);
    reg(l, t, "byte", byte);
    reg(l, t, "char", char);
    reg(l, t, "find", find);
    reg(l, t, "match", str_match);
    reg(l, t, "gmatch", gmatch);
    reg(l, t, "gsub", gsub);
    reg(l, t, "format", format);
    let mt = l.heap.new_table(0, 16);
    super::set_field(l, mt, "__index", TValue::table(t));
    for (ev, f) in [
        ("__add", s_add as crate::vm::obj::NativeFn),
        ("__sub", s_sub),
        ("__mul", s_mul),
        ("__div", s_div),
        ("__mod", s_mod),
        ("__pow", s_pow),
        ("__unm", s_unm),
        ("__idiv", s_idiv),
    ] {
        reg(l, mt, ev, f);
    }
    l.string_meta = mt;
}

/// A 1-based, possibly negative position to a 0-based offset clipped to `len`
/// (lua5.4's posrelat for starts).
fn start_of(i: i64, len: usize) -> usize {
    if i > 0 {
        (i as usize - 1).min(len)
    } else if i == 0 {
        0
    } else {
        len.saturating_sub(i.unsigned_abs() as usize)
    }
}

/// An end position to one past a 0-based offset.
fn end_of(j: i64, len: usize) -> usize {
    if j > len as i64 {
        len
    } else if j >= 0 {
        j as usize
    } else if (-j) as usize > len {
        0
    } else {
        len + 1 - (-j) as usize
    }
}

fn len(l: &mut State, args: &[TValue]) -> LResult<()> {
    let s = check_str(l, args, 0, "len")?;
    push(l, TValue::int(s.len() as i64));
    Ok(())
}

fn sub(l: &mut State, args: &[TValue]) -> LResult<()> {
    let s = check_str(l, args, 0, "sub")?;
    let i = opt_int(l, args, 1, "sub", 1)?;
    let j = opt_int(l, args, 2, "sub", -1)?;
    let (a, b) = (start_of(i, s.len()), end_of(j, s.len()));
    if a < b {
        push_str(l, &s[a..b]);
    } else {
        push_str(l, b"");
    }
    Ok(())
}

fn upper(l: &mut State, args: &[TValue]) -> LResult<()> {
    let s = check_str(l, args, 0, "upper")?.to_ascii_uppercase();
    push_str(l, &s);
    Ok(())
}

fn lower(l: &mut State, args: &[TValue]) -> LResult<()> {
    let s = check_str(l, args, 0, "lower")?.to_ascii_lowercase();
    push_str(l, &s);
    Ok(())
}

fn rep(l: &mut State, args: &[TValue]) -> LResult<()> {
    let s = check_str(l, args, 0, "rep")?.into_owned();
    let n = check_int(l, args, 1, "rep")?;
    let sep = if arg(args, 2).is_nil() { Vec::new() } else { check_str(l, args, 2, "rep")?.into_owned() };
    if n <= 0 {
        push_str(l, b"");
        return Ok(());
    }
    let total = (s.len() + sep.len()) as u128 * n as u128;
    if total >= i32::MAX as u128 {
        return Err(crate::vm::error::rt_error(l, "resulting string too large"));
    }
    let mut out = Vec::new();
    if out.try_reserve_exact(total as usize).is_err() {
        crate::gc::out_of_memory();
    }
    for k in 0..n {
        if k > 0 {
            out.extend_from_slice(&sep);
        }
        out.extend_from_slice(&s);
    }
    push_str(l, &out);
    Ok(())
}

fn reverse(l: &mut State, args: &[TValue]) -> LResult<()> {
    let mut s = check_str(l, args, 0, "reverse")?.into_owned();
    s.reverse();
    push_str(l, &s);
    Ok(())
}

fn byte(l: &mut State, args: &[TValue]) -> LResult<()> {
    let s = check_str(l, args, 0, "byte")?;
    let i = opt_int(l, args, 1, "byte", 1)?;
    let j = opt_int(l, args, 2, "byte", i)?;
    let (a, b) = (start_of(i, s.len()), end_of(j, s.len()));
    for k in a..b.max(a) {
        push(l, TValue::int(s[k] as i64));
    }
    Ok(())
}

fn char(l: &mut State, args: &[TValue]) -> LResult<()> {
    let mut out = Vec::with_capacity(args.len());
    for i in 0..args.len() {
        let c = check_int(l, args, i, "char")?;
        if !(0..=255).contains(&c) {
            return Err(arg_error(l, i, "char", "value out of range"));
        }
        out.push(c as u8);
    }
    push_str(l, &out);
    Ok(())
}

fn push_caps(l: &mut State, caps: &[crate::pattern::Capture]) {
    for c in caps {
        match c {
            crate::pattern::Capture::Str(b) => push_str(l, b),
            crate::pattern::Capture::Pos(p) => push(l, TValue::int(*p as i64)),
        }
    }
}

fn find_aux(l: &mut State, args: &[TValue], find: bool) -> LResult<()> {
    let name = if find { "find" } else { "match" };
    let s = check_str(l, args, 0, name)?.into_owned();
    let p = check_str(l, args, 1, name)?.into_owned();
    let init = opt_int(l, args, 2, name, 1)?;
    let plain = find && !arg(args, 3).is_falsy();
    let r = if find {
        crate::pattern::find(&s, &p, init, plain).map(|o| o.map(|(a, b, c)| (Some((a, b)), c)))
    } else {
        crate::pattern::str_match(&s, &p, init).map(|o| o.map(|c| (None, c)))
    };
    match r {
        Err(e) => Err(crate::vm::error::rt_error(l, &e)),
        Ok(None) => {
            push(l, TValue::nil());
            Ok(())
        }
        Ok(Some((bounds, caps))) => {
            if let Some((a, b)) = bounds {
                push(l, TValue::int(a as i64));
                push(l, TValue::int(b as i64));
            }
            push_caps(l, &caps);
            Ok(())
        }
    }
}

fn find(l: &mut State, args: &[TValue]) -> LResult<()> {
    find_aux(l, args, true)
}

fn str_match(l: &mut State, args: &[TValue]) -> LResult<()> {
    find_aux(l, args, false)
}

/// `__match_at(s, p, pos)`: a match starting exactly at 1-based `pos`: the position after
/// it, then the captures; nil if none. The prelude's gsub and gmatch step with it.
pub(crate) fn match_at(l: &mut State, args: &[TValue]) -> LResult<()> {
    let s = check_str(l, args, 0, "match_at")?.into_owned();
    let p = check_str(l, args, 1, "match_at")?.into_owned();
    let pos = check_int(l, args, 2, "match_at")?;
    match crate::pattern::match_at(&s, &p, (pos - 1).max(0) as usize) {
        Err(e) => Err(crate::vm::error::rt_error(l, &e)),
        Ok(None) => {
            push(l, TValue::nil());
            Ok(())
        }
        Ok(Some((e, caps))) => {
            push(l, TValue::int(e as i64 + 1));
            push_caps(l, &caps);
            Ok(())
        }
    }
}

/// `string.gmatch(s, p, init)`: an iterator native whose upvalues are the subject, the
/// pattern, the next position and the end of the last match.
fn gmatch(l: &mut State, args: &[TValue]) -> LResult<()> {
    let s = check_str(l, args, 0, "gmatch")?.into_owned();
    let p = check_str(l, args, 1, "gmatch")?.into_owned();
    let init = opt_int(l, args, 2, "gmatch", 1)?;
    let len = s.len() as i64;
    let start = if init > 0 {
        init - 1
    } else if init == 0 || -init > len {
        0
    } else {
        len + init
    };
    let sv = l.heap.str_value(&s);
    let pv = l.heap.str_value(&p);
    let f = crate::vm::obj::new_native(
        l,
        gmatch_step,
        "gmatch_step",
        vec![sv, pv, TValue::int(start.min(len + 1)), TValue::int(-1)],
    );
    push(l, f);
    Ok(())
}

fn gmatch_step(l: &mut State, _: &[TValue]) -> LResult<()> {
    // The running native is the one just called: its upvalues hold the state.
    let f = l.current_native;
    let ups = &mut crate::vm::obj::native_mut(f).upvals;
    let (s, p) = (crate::vm::obj::str_bytes(ups[0]), crate::vm::obj::str_bytes(ups[1]));
    let mut pos = ups[2].val as i64 as usize;
    let last = ups[3].val as i64;
    while pos <= s.len() {
        match crate::pattern::match_at(s, p, pos) {
            Err(e) => return Err(crate::vm::error::rt_error(l, &e)),
            Ok(Some((e, caps))) if e as i64 != last => {
                let ups = &mut crate::vm::obj::native_mut(f).upvals;
                ups[2] = TValue::int(e as i64);
                ups[3] = TValue::int(e as i64);
                push_caps(l, &caps);
                return Ok(());
            }
            _ => pos += 1,
        }
    }
    // At the end the iterator returns nothing at all (not even nil), as lua5.4's does.
    crate::vm::obj::native_mut(f).upvals[2] = TValue::int(pos as i64);
    Ok(())
}

/// Whether the native `f` can be called from another native: it is no special (pcall,
/// resume, ...), and it never hands its call on to Lua code (a library function with a Lua
/// fallback, or `collectgarbage`, which may run finalizers).
fn calls_plainly(f: TValue) -> bool {
    let n = crate::vm::obj::native(f);
    let has_fallback = n.upvals.len() == 1 && matches!(n.upvals[0].tag, T_NIL | T_LCLOSURE);
    !crate::vm::obj::is_special(f) && !has_fallback && n.name != "collectgarbage"
}

/// `gsub` with a native replacement function, called here for each match as lua5.4's C
/// gsub calls it: with the captures, from a C caller (its errors carry no position).
fn gsub_native(
    l: &mut State,
    s: &[u8],
    p: &[u8],
    f: TValue,
    max_n: Option<i64>,
) -> LResult<Result<(Vec<u8>, i64), String>> {
    let saved_rets = std::mem::take(&mut l.rets);
    let saved_native = l.current_native;
    let saved_c_caller = std::mem::replace(&mut l.native_c_caller, true);
    let mut failed = None;
    let mut repl = |caps: &[crate::pattern::Capture]| -> Result<Option<Vec<u8>>, String> {
        let args: Vec<TValue> = caps
            .iter()
            .map(|c| match *c {
                crate::pattern::Capture::Str(b) => l.heap.str_value(b),
                crate::pattern::Capture::Pos(p) => TValue::int(p as i64),
            })
            .collect();
        l.rets.clear();
        l.current_native = f;
        if let Err(e) = crate::vm::obj::native_fn(f)(l, &args) {
            failed = Some(e);
            return Err(String::new());
        }
        let v = l.rets.first().copied().unwrap_or(TValue::nil());
        match v.tag {
            T_NIL | T_FALSE => Ok(None),
            T_STR | T_INT | T_FLOAT => Ok(crate::vm::obj::tostr_basic(v)),
            _ => Err(format!("invalid replacement value (a {})", v.type_name())),
        }
    };
    let r = crate::pattern::gsub(s, p, crate::pattern::Repl::Fn(&mut repl), max_n);
    l.rets = saved_rets;
    l.current_native = saved_native;
    l.native_c_caller = saved_c_caller;
    match failed {
        Some(e) => Err(e),
        None => Ok(r),
    }
}

fn gsub(l: &mut State, args: &[TValue]) -> LResult<()> {
    let s = check_str(l, args, 0, "gsub")?.into_owned();
    let p = check_str(l, args, 1, "gsub")?.into_owned();
    let r = arg(args, 2);
    let max_n = if arg(args, 3).is_nil() { None } else { Some(check_int(l, args, 3, "gsub")?) };
    let res = match r.tag {
        T_STR | T_INT | T_FLOAT => {
            let rs = crate::vm::obj::tostr_basic(r).expect("a string or number");
            crate::pattern::gsub(&s, &p, crate::pattern::Repl::Str(&rs), max_n)
        }
        T_TABLE => {
            let t = crate::vm::obj::table(r);
            let mut err: Option<String> = None;
            let mut heap_keys: Vec<TValue> = Vec::new();
            let mut f = |caps: &[crate::pattern::Capture]| -> Result<Option<Vec<u8>>, String> {
                let key = match caps[0] {
                    crate::pattern::Capture::Str(b) => {
                        let k = l.heap.str_value(b);
                        heap_keys.push(k);
                        k
                    }
                    crate::pattern::Capture::Pos(p) => TValue::int(p as i64),
                };
                let v = t.get(key);
                match v.tag {
                    T_NIL | T_FALSE => Ok(None),
                    T_STR | T_INT | T_FLOAT => Ok(crate::vm::obj::tostr_basic(v)),
                    _ => {
                        let m = format!("invalid replacement value (a {})", v.type_name());
                        err = Some(m.clone());
                        Err(m)
                    }
                }
            };
            let r = crate::pattern::gsub(&s, &p, crate::pattern::Repl::Fn(&mut f), max_n);
            let _ = err;
            r
        }
        T_NATIVE if calls_plainly(r) => gsub_native(l, &s, &p, r, max_n)?,
        // A Lua function (or a native that may call one): the prelude's gsub calls it.
        T_LCLOSURE | T_NATIVE => {
            push(l, TValue::boolean(false));
            return Ok(());
        }
        _ => {
            return Err(super::type_expected(l, args, 2, "gsub", "string/function/table"));
        }
    };
    match res {
        Ok((out, n)) => {
            push_str(l, &out);
            push(l, TValue::int(n));
            Ok(())
        }
        Err(e) => Err(crate::vm::error::rt_error(l, &e)),
    }
}

/// `format`, or false when a `%s` argument has a `__tostring` (the prelude converts it).
pub(crate) fn format_fast(l: &mut State, args: &[TValue]) -> LResult<()> {
    let needs = args
        .iter()
        .skip(1)
        .any(|&v| v.tag >= T_TABLE && !crate::vm::obj::metamethod(l, v, "__tostring").is_nil());
    if needs {
        push(l, TValue::boolean(false));
        return Ok(());
    }
    format(l, args)
}

fn format(l: &mut State, args: &[TValue]) -> LResult<()> {
    let fmt = check_str(l, args, 0, "format")?.into_owned();
    let mut bad: Option<String> = None;
    let out = {
        let mut get = |n: usize, conv: u8| -> Result<crate::format::FmtArg, String> {
            use crate::format::FmtArg;
            let v = match args.get(n - 1) {
                None => return Ok(FmtArg::None),
                Some(v) => *v,
            };
            Ok(match v.tag {
                T_NIL => FmtArg::Nil,
                T_FALSE => FmtArg::Bool(false),
                T_TRUE => FmtArg::Bool(true),
                T_INT => FmtArg::Int(v.val as i64),
                T_FLOAT => FmtArg::Float(f64::from_bits(v.val)),
                T_STR => FmtArg::Str(crate::vm::obj::str_bytes(v).to_vec()),
                _ => {
                    if conv == b's' {
                        if !crate::vm::obj::metamethod(l, v, "__tostring").is_nil() {
                            bad = Some("__tostring in string.format is not supported yet".into());
                        }
                        FmtArg::Str(super::base::tostring_basic(l, v))
                    } else {
                        FmtArg::Obj(v.type_name(), v.val as usize)
                    }
                }
            })
        };
        crate::format::format(&fmt, &mut get)
    };
    if let Some(b) = bad {
        return Err(crate::vm::error::rt_error(l, &b));
    }
    match out {
        Ok(o) => {
            push_str(l, &o);
            Ok(())
        }
        Err(e) => {
            let e = match super::call_name(l, "format") {
                Some(n) if e.starts_with("bad argument") => e.replacen("'format'", &format!("'{n}'"), 1),
                _ => e,
            };
            Err(crate::vm::error::rt_error(l, &e))
        }
    }
}

/// The string metatable's arithmetic: operands converted with `tonumber`'s rules.
fn s_arith(l: &mut State, args: &[TValue], op: crate::bytecode::Op) -> LResult<()> {
    let (a, b) = (arg(args, 0), arg(args, 1));
    match (crate::vm::arith::to_number(a), crate::vm::arith::to_number(b)) {
        (Some(x), Some(y)) => {
            let r = crate::vm::arith::arith_num(l, op, x, y)?;
            push(l, r);
            Ok(())
        }
        _ => {
            let ev = &crate::vm::arith::event_of(op)[2..];
            let msg = format!("attempt to {ev} a '{}' with a '{}'", a.type_name(), b.type_name());
            Err(crate::vm::error::rt_error(l, &msg))
        }
    }
}

fn s_add(l: &mut State, a: &[TValue]) -> LResult<()> {
    s_arith(l, a, crate::bytecode::Op::Add)
}
fn s_sub(l: &mut State, a: &[TValue]) -> LResult<()> {
    s_arith(l, a, crate::bytecode::Op::Sub)
}
fn s_mul(l: &mut State, a: &[TValue]) -> LResult<()> {
    s_arith(l, a, crate::bytecode::Op::Mul)
}
fn s_div(l: &mut State, a: &[TValue]) -> LResult<()> {
    s_arith(l, a, crate::bytecode::Op::Div)
}
fn s_mod(l: &mut State, a: &[TValue]) -> LResult<()> {
    s_arith(l, a, crate::bytecode::Op::Mod)
}
fn s_pow(l: &mut State, a: &[TValue]) -> LResult<()> {
    s_arith(l, a, crate::bytecode::Op::Pow)
}
fn s_unm(l: &mut State, a: &[TValue]) -> LResult<()> {
    s_arith(l, a, crate::bytecode::Op::Unm)
}
fn s_idiv(l: &mut State, a: &[TValue]) -> LResult<()> {
    s_arith(l, a, crate::bytecode::Op::IDiv)
}
