//! The `table` library (`sort` is in the prelude: it calls comparators).

use super::{arg, arg_error, check_int, check_table, opt_int, push, reg};
use crate::state::{LResult, State};
use crate::value::*;
use crate::vm::obj;

pub(crate) fn open(l: &mut State) {
    let t = super::lib_table(l, "table");
    reg(l, t, "insert", insert);
    reg(l, t, "remove", remove);
    reg(l, t, "concat", concat);
    reg(l, t, "unpack", unpack);
    reg(l, t, "pack", pack);
    reg(l, t, "move", tmove);
}

fn insert(l: &mut State, args: &[TValue]) -> LResult<()> {
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
    let t = check_table(l, args, 0, "remove")?;
    let tab = obj::table(t);
    let size = tab.length() as i64;
    let mut pos = opt_int(l, args, 1, "remove", size)?;
    // A given position must be in [1, size + 1] (lua5.4's check).
    if pos != size && (pos as u64).wrapping_sub(1) > size as u64 {
        return Err(arg_error(l, 1, "remove", "position out of bounds"));
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
                let tn = crate::vm::arith::type_name_meta(l, v);
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
    let i = opt_int(l, args, 1, "unpack", 1)?;
    let j = if arg(args, 2).is_nil() {
        if t.tag != T_TABLE {
            return Err(super::type_expected(l, args, 0, "unpack", "table"));
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
        return Err(super::type_expected(l, args, 0, "unpack", "table"));
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
    let a1 = check_table(l, args, 0, "move")?;
    let f = check_int(l, args, 1, "move")?;
    let e = check_int(l, args, 2, "move")?;
    let t = check_int(l, args, 3, "move")?;
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
