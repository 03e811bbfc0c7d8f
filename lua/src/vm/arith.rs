//! Arithmetic, bitwise, comparison, concatenation and length with Lua 5.4's full rules:
//! integer/float distinction, string coercion, and the metamethod fallbacks. A metamethod
//! that is a Lua function is not called here: the caller gets `Meta` and runs it as a call
//! (the VM never re-enters itself from a helper).

use crate::bytecode::Op;
use crate::number;
use crate::state::{LResult, State};
use crate::value::*;
use crate::vm::obj;

/// What an operation produced: a value, or a metamethod to call with two operands.
pub enum Outcome {
    Value(TValue),
    Meta(TValue, TValue, TValue),
    /// A comparison metamethod whose result is negated (`<=` through `__lt`).
    NotMeta(TValue, TValue, TValue),
}

pub(crate) fn event_of(op: Op) -> &'static str {
    match op {
        Op::Add => "__add",
        Op::Sub => "__sub",
        Op::Mul => "__mul",
        Op::Mod => "__mod",
        Op::Pow => "__pow",
        Op::Div => "__div",
        Op::IDiv => "__idiv",
        Op::BAnd => "__band",
        Op::BOr => "__bor",
        Op::BXor => "__bxor",
        Op::Shl => "__shl",
        Op::Shr => "__shr",
        Op::Unm => "__unm",
        Op::BNot => "__bnot",
        _ => "__index",
    }
}

fn is_bitwise(op: Op) -> bool {
    matches!(op, Op::BAnd | Op::BOr | Op::BXor | Op::Shl | Op::Shr | Op::BNot)
}

/// A number, or a string that converts to one (arithmetic's coercion).
pub(crate) fn to_number(v: TValue) -> Option<TValue> {
    match v.tag {
        T_INT | T_FLOAT => Some(v),
        T_STR => number::str2number(obj::str_bytes(v)),
        _ => None,
    }
}

/// The integer a bitwise operand stands for: `Err(true)` when it is a number without an
/// integer representation, `Err(false)` when it is not a number at all.
fn to_int(v: TValue) -> Result<i64, bool> {
    // Strings are not coerced for bitwise operators in 5.4 (their metamethods are
    // arithmetic only).
    let n = if v.tag == T_STR { None } else { to_number(v) };
    match n {
        Some(n) if n.tag == T_INT => Ok(n.val as i64),
        Some(n) => number::float_to_int_exact(f64::from_bits(n.val)).ok_or(true),
        None => Err(false),
    }
}

/// Integer and float arithmetic on two numbers.
pub(crate) fn arith_num(l: &mut State, op: Op, a: TValue, b: TValue) -> LResult<TValue> {
    if a.tag == T_INT && b.tag == T_INT && !matches!(op, Op::Div | Op::Pow) {
        let (x, y) = (a.val as i64, b.val as i64);
        let r = match op {
            Op::Add => x.wrapping_add(y),
            Op::Sub => x.wrapping_sub(y),
            Op::Mul => x.wrapping_mul(y),
            Op::Mod => number::mod_int(x, y).map_err(|m| super::error::rt_error(l, m))?,
            Op::IDiv => number::idiv_int(x, y).map_err(|m| super::error::rt_error(l, m))?,
            Op::Unm => x.wrapping_neg(),
            _ => unreachable!("not an arithmetic op"),
        };
        return Ok(TValue::int(r));
    }
    let x = a.as_f64().expect("a number");
    let y = b.as_f64().expect("a number");
    let r = match op {
        Op::Add => x + y,
        Op::Sub => x - y,
        Op::Mul => x * y,
        Op::Div => x / y,
        Op::Pow => number::pow(x, y),
        Op::Mod => number::mod_float(x, y),
        Op::IDiv => (x / y).floor(),
        Op::Unm => -x,
        _ => unreachable!("not an arithmetic op"),
    };
    Ok(TValue::float(r))
}

fn bitwise(op: Op, x: i64, y: i64) -> i64 {
    match op {
        Op::BAnd => x & y,
        Op::BOr => x | y,
        Op::BXor => x ^ y,
        Op::Shl => number::shl(x, y),
        Op::Shr => number::shr(x, y),
        Op::BNot => !x,
        _ => unreachable!("not a bitwise op"),
    }
}

/// `a op b` (for unary ops `b` is `a`), with `describe(i)` naming operand i for errors.
pub(crate) fn arith(
    l: &mut State,
    op: Op,
    a: TValue,
    b: TValue,
    describe: &dyn Fn(usize) -> Option<String>,
) -> LResult<Outcome> {
    if is_bitwise(op) {
        match (to_int(a), to_int(b)) {
            (Ok(x), Ok(y)) => return Ok(Outcome::Value(TValue::int(bitwise(op, x, y)))),
            (ea, eb) => {
                if let Some(m) = meta2(l, op, a, b) {
                    return Ok(m);
                }
                // The first operand at fault names the error.
                let (i, e) = match (ea, eb) {
                    (Err(e), _) => (0, e),
                    (_, Err(e)) => (1, e),
                    _ => unreachable!("one failed"),
                };
                let v = if i == 0 { a } else { b };
                if e {
                    let msg = match describe(i) {
                        Some(d) => format!("number ({d}) has no integer representation"),
                        None => "number has no integer representation".to_string(),
                    };
                    return Err(super::error::rt_error(l, &msg));
                }
                return Err(type_error(l, v, "perform bitwise operation on", describe(i)));
            }
        }
    }
    if let (Some(x), Some(y)) = (to_number(a), to_number(b)) {
        return Ok(Outcome::Value(arith_num(l, op, x, y)?));
    }
    if let Some(m) = meta2(l, op, a, b) {
        return Ok(m);
    }
    // A string operand has the string metatable's arithmetic metamethods, which fail
    // with lua5.4's "attempt to add a 'string' with a 'number'".
    if (a.tag == T_STR || b.tag == T_STR)
        && !matches!(op, Op::BAnd | Op::BOr | Op::BXor | Op::Shl | Op::Shr | Op::BNot)
    {
        let ev = &event_of(op)[2..];
        let msg = format!("attempt to {ev} a '{}' with a '{}'", a.type_name(), b.type_name());
        return Err(super::error::rt_error(l, &msg));
    }
    let i = if to_number(a).is_none() { 0 } else { 1 };
    let v = if i == 0 { a } else { b };
    Err(type_error(l, v, "perform arithmetic on", describe(i)))
}

/// The binary metamethod for `op`: the first operand's, else the second's.
fn meta2(l: &mut State, op: Op, a: TValue, b: TValue) -> Option<Outcome> {
    let ev = event_of(op);
    // The string metatable's arithmetic defers to the other operand's own metamethod
    // (lstrlib's trymt), so look there first.
    if a.tag == T_STR && b.tag >= T_TABLE {
        let m = obj::metamethod(l, b, ev);
        if !m.is_nil() {
            return Some(Outcome::Meta(m, a, b));
        }
    }
    let mut m = obj::metamethod(l, a, ev);
    if m.is_nil() {
        m = obj::metamethod(l, b, ev);
    }
    if m.is_nil() {
        None
    } else {
        Some(Outcome::Meta(m, a, b))
    }
}

/// "attempt to OP a TYPE value (VARINFO)".
pub(crate) fn type_error(
    l: &mut State,
    v: TValue,
    what: &str,
    info: Option<String>,
) -> crate::state::LuaError {
    let tn = type_name_meta(l, v);
    // Prelude code stands for C code: lua5.4 names no variable there.
    let info = if super::error::in_hidden_code(l) { None } else { info };
    let msg = match info {
        Some(i) => format!("attempt to {what} a {tn} value ({i})"),
        None => format!("attempt to {what} a {tn} value"),
    };
    super::error::rt_error(l, &msg)
}

/// A value's type name, honouring `__name` as lua5.4's error messages do.
pub(crate) fn type_name_meta(l: &mut State, v: TValue) -> String {
    let n = obj::metamethod(l, v, "__name");
    if n.tag == T_STR {
        return String::from_utf8_lossy(obj::str_bytes(n)).into_owned();
    }
    v.type_name().to_string()
}

/// `a == b`: raw equality, then `__eq` for two tables or two userdata.
pub(crate) fn equals(l: &mut State, a: TValue, b: TValue) -> Outcome {
    if a.raw_eq(b) {
        return Outcome::Value(TValue::boolean(true));
    }
    if a.tag != b.tag || !(a.tag == T_TABLE || a.tag == T_USERDATA) {
        return Outcome::Value(TValue::boolean(false));
    }
    let mut m = obj::metamethod(l, a, "__eq");
    if m.is_nil() {
        m = obj::metamethod(l, b, "__eq");
    }
    if m.is_nil() {
        Outcome::Value(TValue::boolean(false))
    } else {
        Outcome::Meta(m, a, b)
    }
}

/// `a < b` (`le`: `a <= b`).
pub(crate) fn less(l: &mut State, a: TValue, b: TValue, le: bool) -> LResult<Outcome> {
    if a.is_number() && b.is_number() {
        let r = if le { number::num_le(a, b) } else { number::num_lt(a, b) }.unwrap_or(false);
        return Ok(Outcome::Value(TValue::boolean(r)));
    }
    if a.tag == T_STR && b.tag == T_STR {
        let (x, y) = (obj::str_bytes(a), obj::str_bytes(b));
        let r = if le { x <= y } else { x < y };
        return Ok(Outcome::Value(TValue::boolean(r)));
    }
    let ev = if le { "__le" } else { "__lt" };
    let mut m = obj::metamethod(l, a, ev);
    if m.is_nil() {
        m = obj::metamethod(l, b, ev);
    }
    if !m.is_nil() {
        return Ok(Outcome::Meta(m, a, b));
    }
    if le {
        // LUA_COMPAT_LT_LE (on in 5.4's default build): a <= b as not (b < a).
        let mut m = obj::metamethod(l, b, "__lt");
        if m.is_nil() {
            m = obj::metamethod(l, a, "__lt");
        }
        if !m.is_nil() {
            return Ok(Outcome::NotMeta(m, b, a));
        }
    }
    let (ta, tb) = (type_name_meta(l, a), type_name_meta(l, b));
    let msg = if ta == tb {
        format!("attempt to compare two {ta} values")
    } else {
        format!("attempt to compare {ta} with {tb}")
    };
    Err(super::error::rt_error(l, &msg))
}

/// `#v`.
pub(crate) fn length(l: &mut State, v: TValue, info: Option<String>) -> LResult<Outcome> {
    if v.tag == T_STR {
        return Ok(Outcome::Value(TValue::int(obj::str_bytes(v).len() as i64)));
    }
    let m = obj::metamethod(l, v, "__len");
    if !m.is_nil() {
        return Ok(Outcome::Meta(m, v, v));
    }
    if v.tag == T_TABLE {
        return Ok(Outcome::Value(TValue::int(obj::table(v).length() as i64)));
    }
    Err(type_error(l, v, "get length of", info))
}
