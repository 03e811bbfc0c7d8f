//! Indexing with metamethods: `__index` and `__newindex` as tables (followed, up to a
//! limit) and as functions (returned to the caller to call).

use crate::state::{LResult, State};
use crate::value::*;
use crate::vm::arith::{type_error, Outcome};
use crate::vm::error::rt_error;
use crate::vm::obj;

/// lua5.4's MAXTAGLOOP.
const MAX_CHAIN: usize = 2000;

pub enum SetOutcome {
    Done,
    /// Call `__newindex` (h) with (t, k, v).
    Meta(TValue, TValue, TValue, TValue),
}

fn is_callable(v: TValue) -> bool {
    v.tag == T_LCLOSURE || v.tag == T_NATIVE
}

/// `t[key]`.
pub(crate) fn index(
    l: &mut State,
    mut t: TValue,
    key: TValue,
    info: &dyn Fn() -> Option<String>,
) -> LResult<Outcome> {
    for _ in 0..MAX_CHAIN {
        let h = if t.tag == T_TABLE {
            let tab = obj::table(t);
            let v = tab.get(key);
            if !v.is_nil() || tab.meta.is_null() {
                return Ok(Outcome::Value(v));
            }
            let h = obj::metamethod(l, t, "__index");
            if h.is_nil() {
                return Ok(Outcome::Value(v));
            }
            h
        } else {
            let h = obj::metamethod(l, t, "__index");
            if h.is_nil() {
                let i = info();
                let i = with_key(i, key);
                return Err(type_error(l, t, "index", i));
            }
            h
        };
        if is_callable(h) {
            return Ok(Outcome::Meta(h, t, key));
        }
        t = h;
    }
    Err(rt_error(l, "'__index' chain too long; possible loop"))
}

/// lua5.4 names the key when the indexed value has no name of its own.
fn with_key(info: Option<String>, key: TValue) -> Option<String> {
    match info {
        Some(i) => Some(i),
        None if key.tag == T_STR => Some(format!("field '{}'", String::from_utf8_lossy(obj::str_bytes(key)))),
        None => None,
    }
}

/// `t[key] = v`.
pub(crate) fn set_index(
    l: &mut State,
    mut t: TValue,
    key: TValue,
    v: TValue,
    info: &dyn Fn() -> Option<String>,
) -> LResult<SetOutcome> {
    for _ in 0..MAX_CHAIN {
        let h = if t.tag == T_TABLE {
            let tab = obj::table(t);
            let h = if tab.meta.is_null() { TValue::nil() } else { obj::metamethod(l, t, "__newindex") };
            if h.is_nil() || !tab.get(key).is_nil() {
                raw_set(l, t, key, v)?;
                return Ok(SetOutcome::Done);
            }
            h
        } else {
            let h = obj::metamethod(l, t, "__newindex");
            if h.is_nil() {
                let i = with_key(info(), key);
                return Err(type_error(l, t, "index", i));
            }
            h
        };
        if is_callable(h) {
            return Ok(SetOutcome::Meta(h, t, key, v));
        }
        t = h;
    }
    Err(rt_error(l, "'__newindex' chain too long; possible loop"))
}

/// A raw assignment, with lua5.4's errors for nil and NaN keys.
pub(crate) fn raw_set(l: &mut State, t: TValue, key: TValue, v: TValue) -> LResult<()> {
    let tab = obj::table(t);
    match tab.set(key, v) {
        Ok(()) => Ok(()),
        Err(e) => Err(rt_error(l, &format!("table {}", e.message()))),
    }
}
