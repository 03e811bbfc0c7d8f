//! The `math` library.

use super::{arg, arg_error, check_int, check_num, push, reg};
use crate::state::{LResult, State};
use crate::value::*;

pub(crate) fn open(l: &mut State) {
    let t = super::lib_table(l, "math");
    reg(l, t, "floor", floor);
    reg(l, t, "ceil", ceil);
    reg(l, t, "abs", abs);
    reg(l, t, "sqrt", sqrt);
    super::mark_builtin(l, t, "sqrt", crate::vm::program::BUILTIN_SQRT);
    super::mark_builtin(l, t, "abs", crate::vm::program::BUILTIN_ABS);
    reg(l, t, "max", max);
    reg(l, t, "min", min);
    reg(l, t, "tointeger", tointeger);
    reg(l, t, "type", mtype);
    reg(l, t, "fmod", fmod);
    reg(l, t, "sin", |l, a| f1(l, a, "sin", f64::sin));
    reg(l, t, "cos", |l, a| f1(l, a, "cos", f64::cos));
    reg(l, t, "tan", |l, a| f1(l, a, "tan", f64::tan));
    reg(l, t, "asin", |l, a| f1(l, a, "asin", f64::asin));
    reg(l, t, "acos", |l, a| f1(l, a, "acos", f64::acos));
    reg(l, t, "exp", |l, a| f1(l, a, "exp", f64::exp));
    reg(l, t, "log", log);
    reg(l, t, "atan", atan);
    reg(l, t, "ult", ult);
    reg(l, t, "modf", modf);
    reg(l, t, "random", random);
    reg(l, t, "randomseed", randomseed);
    super::set_field(l, t, "pi", TValue::float(std::f64::consts::PI));
    super::set_field(l, t, "huge", TValue::float(f64::INFINITY));
    super::set_field(l, t, "maxinteger", TValue::int(i64::MAX));
    super::set_field(l, t, "mininteger", TValue::int(i64::MIN));
}

fn f1(l: &mut State, args: &[TValue], name: &str, f: fn(f64) -> f64) -> LResult<()> {
    let x = check_num(l, args, 0, name)?.as_f64().expect("a number");
    push(l, TValue::float(f(x)));
    Ok(())
}

/// A float's floor or ceiling as an integer when it fits, else the float.
fn to_int_or_float(f: f64) -> TValue {
    if (-9.223_372_036_854_776e18..9.223_372_036_854_776e18).contains(&f) {
        TValue::int(f as i64)
    } else {
        TValue::float(f)
    }
}

fn floor(l: &mut State, args: &[TValue]) -> LResult<()> {
    let v = check_num(l, args, 0, "floor")?;
    let r = if v.tag == T_INT { v } else { to_int_or_float(f64::from_bits(v.val).floor()) };
    push(l, r);
    Ok(())
}

fn ceil(l: &mut State, args: &[TValue]) -> LResult<()> {
    let v = check_num(l, args, 0, "ceil")?;
    let r = if v.tag == T_INT { v } else { to_int_or_float(f64::from_bits(v.val).ceil()) };
    push(l, r);
    Ok(())
}

fn abs(l: &mut State, args: &[TValue]) -> LResult<()> {
    let v = check_num(l, args, 0, "abs")?;
    // Only an integer value stays one: a numeric string is a float here, as in 5.4.
    let r = if args[0].tag == T_INT {
        TValue::int((v.val as i64).wrapping_abs())
    } else if v.tag == T_INT {
        TValue::float((v.val as i64 as f64).abs())
    } else {
        TValue::float(f64::from_bits(v.val).abs())
    };
    push(l, r);
    Ok(())
}

fn sqrt(l: &mut State, args: &[TValue]) -> LResult<()> {
    f1(l, args, "sqrt", f64::sqrt)
}

fn minmax(l: &mut State, args: &[TValue], name: &str, want_less: bool) -> LResult<()> {
    let mut best = check_num(l, args, 0, name)?;
    for i in 1..args.len() {
        let v = check_num(l, args, i, name)?;
        let less = crate::number::num_lt(v, best).unwrap_or(false);
        let greater = crate::number::num_lt(best, v).unwrap_or(false);
        if (want_less && less) || (!want_less && greater) {
            best = v;
        }
    }
    push(l, best);
    Ok(())
}

fn max(l: &mut State, args: &[TValue]) -> LResult<()> {
    if args.is_empty() {
        return Err(arg_error(l, 0, "max", "value expected"));
    }
    minmax(l, args, "max", false)
}

fn min(l: &mut State, args: &[TValue]) -> LResult<()> {
    if args.is_empty() {
        return Err(arg_error(l, 0, "min", "value expected"));
    }
    minmax(l, args, "min", true)
}

fn tointeger(l: &mut State, args: &[TValue]) -> LResult<()> {
    let v = arg(args, 0);
    let r = match v.tag {
        T_INT => v,
        T_FLOAT => {
            crate::number::float_to_int_exact(f64::from_bits(v.val)).map(TValue::int).unwrap_or_default()
        }
        T_STR => match crate::number::str2number(crate::vm::obj::str_bytes(v)) {
            Some(n) if n.tag == T_INT => n,
            Some(n) => {
                crate::number::float_to_int_exact(f64::from_bits(n.val)).map(TValue::int).unwrap_or_default()
            }
            None => TValue::nil(),
        },
        _ => TValue::nil(),
    };
    push(l, r);
    Ok(())
}

fn mtype(l: &mut State, args: &[TValue]) -> LResult<()> {
    if args.is_empty() {
        return Err(arg_error(l, 0, "type", "value expected"));
    }
    let v = args[0];
    let r = match v.tag {
        T_INT => l.str("integer"),
        T_FLOAT => l.str("float"),
        _ => TValue::nil(),
    };
    push(l, r);
    Ok(())
}

fn fmod(l: &mut State, args: &[TValue]) -> LResult<()> {
    let a = check_num(l, args, 0, "fmod")?;
    let b = check_num(l, args, 1, "fmod")?;
    if a.tag == T_INT && b.tag == T_INT {
        let (x, y) = (a.val as i64, b.val as i64);
        if y == 0 {
            return Err(arg_error(l, 1, "fmod", "zero"));
        }
        let r = if y == -1 { 0 } else { x % y };
        push(l, TValue::int(r));
    } else {
        let r = a.as_f64().unwrap() % b.as_f64().unwrap();
        push(l, TValue::float(r));
    }
    Ok(())
}

fn log(l: &mut State, args: &[TValue]) -> LResult<()> {
    let x = check_num(l, args, 0, "log")?.as_f64().unwrap();
    let r = if arg(args, 1).is_nil() {
        x.ln()
    } else {
        let b = check_num(l, args, 1, "log")?.as_f64().unwrap();
        if b == 2.0 {
            x.log2()
        } else if b == 10.0 {
            x.log10()
        } else {
            x.ln() / b.ln()
        }
    };
    push(l, TValue::float(r));
    Ok(())
}

fn atan(l: &mut State, args: &[TValue]) -> LResult<()> {
    let y = check_num(l, args, 0, "atan")?.as_f64().unwrap();
    let x = if arg(args, 1).is_nil() { 1.0 } else { check_num(l, args, 1, "atan")?.as_f64().unwrap() };
    push(l, TValue::float(y.atan2(x)));
    Ok(())
}

fn ult(l: &mut State, args: &[TValue]) -> LResult<()> {
    let a = check_int(l, args, 0, "ult")?;
    let b = check_int(l, args, 1, "ult")?;
    push(l, TValue::boolean((a as u64) < (b as u64)));
    Ok(())
}

fn modf(l: &mut State, args: &[TValue]) -> LResult<()> {
    let v = check_num(l, args, 0, "modf")?;
    if v.tag == T_INT {
        push(l, v);
        push(l, TValue::float(0.0));
        return Ok(());
    }
    let x = f64::from_bits(v.val);
    let ip = if x.is_infinite() { x } else { x.trunc() };
    let fp = if x.is_infinite() { 0.0 } else { x - ip };
    // The integral part is an integer when it fits (lua5.4's pushnumint).
    push(l, crate::number::float_to_int_exact(ip).map(TValue::int).unwrap_or(TValue::float(ip)));
    push(l, TValue::float(fp));
    Ok(())
}

fn random(l: &mut State, args: &[TValue]) -> LResult<()> {
    if args.len() == 1 && arg(args, 0).tag == T_INT && arg(args, 0).val == 0 {
        // math.random(0): a random integer (all bits).
        let r = l.rng.random_int();
        push(l, TValue::int(r));
        return Ok(());
    }
    let (lo, hi) = match args.len() {
        0 => {
            let f = l.rng.random_float();
            push(l, TValue::float(f));
            return Ok(());
        }
        1 => (1, check_int(l, args, 0, "random")?),
        2 => (check_int(l, args, 0, "random")?, check_int(l, args, 1, "random")?),
        _ => return Err(crate::vm::error::rt_error(l, "wrong number of arguments")),
    };
    if lo == 0 && hi == 0 && args.len() == 1 {
        let r = l.rng.random_int();
        push(l, TValue::int(r));
        return Ok(());
    }
    match l.rng.random_range(lo, hi) {
        Ok(r) => {
            push(l, TValue::int(r));
            Ok(())
        }
        Err(m) => Err(arg_error(l, 0, "random", m)),
    }
}

fn randomseed(l: &mut State, args: &[TValue]) -> LResult<()> {
    if args.is_empty() {
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as i64)
            .unwrap_or(0);
        l.rng.seed(t, std::process::id() as i64);
        return Ok(());
    }
    let n1 = match arg(args, 0) {
        v if v.tag == T_FLOAT => {
            let f = f64::from_bits(v.val);
            crate::number::float_to_int_exact(f).unwrap_or(f.to_bits() as i64)
        }
        _ => check_int(l, args, 0, "randomseed")?,
    };
    let n2 = if arg(args, 1).is_nil() { 0 } else { check_int(l, args, 1, "randomseed")? };
    l.rng.seed(n1, n2);
    push(l, TValue::int(n1));
    push(l, TValue::int(n2));
    Ok(())
}
