//! The `string` library and the string metatable (`("x"):len()`).

use super::{arg, arg_error, check_int, check_str, opt_int, push, push_str, reg};
use crate::state::{LResult, State};
use crate::value::*;

pub fn open(l: &mut State) {
    let t = super::lib_table(l, "string");
    reg(l, t, "len", len);
    reg(l, t, "sub", sub);
    reg(l, t, "upper", upper);
    reg(l, t, "lower", lower);
    reg(l, t, "rep", rep);
    reg(l, t, "reverse", reverse);
    reg(l, t, "byte", byte);
    reg(l, t, "char", char);
    let mt = l.heap.new_table(0, 4);
    super::set_field(l, mt, "__index", TValue::table(t));
    l.string_meta = mt;
}

/// A 1-based, possibly negative position to a 0-based offset clipped to `len`
/// (lua5.4's posrelat for starts).
fn start_of(i: i64, len: usize) -> usize {
    if i > 0 {
        (i as usize - 1).min(len)
    } else if i == 0 {
        0
    } else if (-i) as usize > len {
        0
    } else {
        len - (-i) as usize
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
    let mut out = Vec::with_capacity(total as usize);
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
