//! Lua values: a 16-byte tagged pair whose layout is a contract with the VM's IR fragments,
//! which load `tag` at offset 0 and `val` at offset 8.

use crate::gc::{LClosure, Native, Opaque, Userdata};
use crate::string::LuaStr;
use crate::table::Table;

/// A Lua value: `tag` says the type; `val` holds the payload (integer bits, float bits, or a
/// pointer to a heap object for tags >= `T_STR`).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TValue {
    pub tag: u64,
    pub val: u64,
}

pub const T_NIL: u64 = 0;
pub const T_FALSE: u64 = 1;
pub const T_TRUE: u64 = 2;
/// `val` = i64 bits.
pub const T_INT: u64 = 3;
/// `val` = f64 bits.
pub const T_FLOAT: u64 = 4;
pub const T_STR: u64 = 5;
pub const T_TABLE: u64 = 6;
pub const T_LCLOSURE: u64 = 7;
pub const T_NATIVE: u64 = 8;
pub const T_USERDATA: u64 = 9;
pub const T_THREAD: u64 = 10;
/// Internal: a function prototype (never visible to Lua code).
pub const T_PROTO: u64 = 11;

/// Byte offsets of the fields, for IR fragments.
pub const TVALUE_TAG: usize = std::mem::offset_of!(TValue, tag);
pub const TVALUE_VAL: usize = std::mem::offset_of!(TValue, val);

const _: () = assert!(std::mem::size_of::<TValue>() == 16);

impl Default for TValue {
    fn default() -> Self {
        TValue::nil()
    }
}

impl TValue {
    pub const NIL: TValue = TValue { tag: T_NIL, val: 0 };

    #[inline]
    pub const fn nil() -> TValue {
        TValue::NIL
    }
    #[inline]
    pub const fn int(i: i64) -> TValue {
        TValue { tag: T_INT, val: i as u64 }
    }
    #[inline]
    pub fn float(f: f64) -> TValue {
        TValue { tag: T_FLOAT, val: f.to_bits() }
    }
    #[inline]
    pub const fn boolean(b: bool) -> TValue {
        TValue { tag: if b { T_TRUE } else { T_FALSE }, val: 0 }
    }
    /// A value of an object type; the pointer is stored, never dereferenced here.
    #[inline]
    pub fn obj<T>(tag: u64, p: *mut T) -> TValue {
        debug_assert!(tag >= T_STR);
        TValue { tag, val: p as u64 }
    }
    #[inline]
    pub fn string(p: *mut LuaStr) -> TValue {
        TValue::obj(T_STR, p)
    }
    #[inline]
    pub fn table(p: *mut Table) -> TValue {
        TValue::obj(T_TABLE, p)
    }
    #[inline]
    pub fn lclosure(p: *mut LClosure) -> TValue {
        TValue::obj(T_LCLOSURE, p)
    }
    #[inline]
    pub fn native(p: *mut Native) -> TValue {
        TValue::obj(T_NATIVE, p)
    }
    #[inline]
    pub fn userdata(p: *mut Userdata) -> TValue {
        TValue::obj(T_USERDATA, p)
    }
    #[inline]
    pub fn thread(p: *mut Opaque) -> TValue {
        TValue::obj(T_THREAD, p)
    }
    #[inline]
    pub fn proto(p: *mut Opaque) -> TValue {
        TValue::obj(T_PROTO, p)
    }

    #[inline]
    pub fn is_nil(self) -> bool {
        self.tag == T_NIL
    }
    /// nil and false are the only falsy values; the tag order makes this one compare.
    #[inline]
    pub fn is_falsy(self) -> bool {
        self.tag <= T_FALSE
    }
    #[inline]
    pub fn is_number(self) -> bool {
        self.tag == T_INT || self.tag == T_FLOAT
    }
    #[inline]
    pub fn is_obj(self) -> bool {
        self.tag >= T_STR
    }
    #[inline]
    pub fn as_int(self) -> Option<i64> {
        (self.tag == T_INT).then_some(self.val as i64)
    }
    #[inline]
    pub fn as_float(self) -> Option<f64> {
        (self.tag == T_FLOAT).then(|| f64::from_bits(self.val))
    }
    /// The numeric value as a float (ints converted), for numbers only.
    #[inline]
    pub fn as_f64(self) -> Option<f64> {
        match self.tag {
            T_INT => Some(self.val as i64 as f64),
            T_FLOAT => Some(f64::from_bits(self.val)),
            _ => None,
        }
    }
    /// The object pointer, if `tag` matches.
    #[inline]
    pub fn as_ptr<T>(self, tag: u64) -> Option<*mut T> {
        (self.tag == tag).then_some(self.val as *mut T)
    }
    #[inline]
    pub fn as_str_ptr(self) -> Option<*mut LuaStr> {
        self.as_ptr(T_STR)
    }
    #[inline]
    pub fn as_table_ptr(self) -> Option<*mut Table> {
        self.as_ptr(T_TABLE)
    }

    /// The name `type()` returns.
    pub fn type_name(self) -> &'static str {
        tag_type_name(self.tag)
    }

    /// Primitive equality (no metamethods): numbers compare mathematically (1 == 1.0),
    /// everything else by tag and payload, which is identity for objects and content for
    /// strings because every string is interned.
    pub fn raw_eq(self, other: TValue) -> bool {
        match (self.tag, other.tag) {
            (T_INT, T_FLOAT) => crate::number::eq_int_float(self.val as i64, f64::from_bits(other.val)),
            (T_FLOAT, T_INT) => crate::number::eq_int_float(other.val as i64, f64::from_bits(self.val)),
            (T_FLOAT, T_FLOAT) => f64::from_bits(self.val) == f64::from_bits(other.val),
            (a, b) if a == b => a <= T_TRUE || self.val == other.val,
            _ => false,
        }
    }
}

/// The `type()` name of a tag.
pub fn tag_type_name(tag: u64) -> &'static str {
    match tag {
        T_NIL => "nil",
        T_FALSE | T_TRUE => "boolean",
        T_INT | T_FLOAT => "number",
        T_STR => "string",
        T_TABLE => "table",
        T_LCLOSURE | T_NATIVE => "function",
        T_USERDATA => "userdata",
        T_THREAD => "thread",
        _ => "proto",
    }
}

/// Why a value cannot be a table key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyError {
    Nil,
    NaN,
}

impl KeyError {
    pub fn message(self) -> &'static str {
        match self {
            KeyError::Nil => "index is nil",
            KeyError::NaN => "index is NaN",
        }
    }
}

/// Normalizes a table key so that equal keys have equal bits: floats with an integral value
/// become integers (Lua 5.4: `t[1.0]` is `t[1]`), and `false`/`true` lose any stray payload.
/// After this, two keys are the same key iff their (tag, val) pairs are equal.
#[inline]
pub fn normalize_key(k: TValue) -> Result<TValue, KeyError> {
    match k.tag {
        T_NIL => Err(KeyError::Nil),
        T_FLOAT => {
            let f = f64::from_bits(k.val);
            if f.is_nan() {
                Err(KeyError::NaN)
            } else if let Some(i) = crate::number::float_to_int_exact(f) {
                Ok(TValue::int(i))
            } else {
                Ok(k)
            }
        }
        T_FALSE | T_TRUE => Ok(TValue { tag: k.tag, val: 0 }),
        _ => Ok(k),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout() {
        assert_eq!(std::mem::size_of::<TValue>(), 16);
        assert_eq!(TVALUE_TAG, 0);
        assert_eq!(TVALUE_VAL, 8);
    }

    #[test]
    fn truthiness_and_names() {
        assert!(TValue::nil().is_falsy());
        assert!(TValue::boolean(false).is_falsy());
        assert!(!TValue::boolean(true).is_falsy());
        assert!(!TValue::int(0).is_falsy());
        assert_eq!(TValue::int(1).type_name(), "number");
        assert_eq!(TValue::float(1.5).type_name(), "number");
        assert_eq!(TValue::boolean(true).type_name(), "boolean");
        assert_eq!(TValue::nil().type_name(), "nil");
        assert_eq!(tag_type_name(T_NATIVE), "function");
        assert_eq!(tag_type_name(T_LCLOSURE), "function");
        assert_eq!(tag_type_name(T_THREAD), "thread");
    }

    #[test]
    fn raw_equality() {
        assert!(TValue::int(1).raw_eq(TValue::float(1.0)));
        assert!(TValue::float(1.0).raw_eq(TValue::int(1)));
        assert!(!TValue::int(1).raw_eq(TValue::float(1.5)));
        assert!(!TValue::float(f64::NAN).raw_eq(TValue::float(f64::NAN)));
        assert!(TValue::float(0.0).raw_eq(TValue::float(-0.0)));
        assert!(!TValue::int(i64::MAX).raw_eq(TValue::float(i64::MAX as f64)));
        assert!(TValue::nil().raw_eq(TValue::nil()));
        assert!(!TValue::nil().raw_eq(TValue::boolean(false)));
        assert!(TValue::boolean(true).raw_eq(TValue::boolean(true)));
    }

    #[test]
    fn key_normalization() {
        assert_eq!(normalize_key(TValue::float(3.0)), Ok(TValue::int(3)));
        assert_eq!(normalize_key(TValue::float(-0.0)), Ok(TValue::int(0)));
        assert_eq!(normalize_key(TValue::float(2.5)), Ok(TValue::float(2.5)));
        assert_eq!(normalize_key(TValue::float(f64::NAN)), Err(KeyError::NaN));
        assert_eq!(normalize_key(TValue::nil()), Err(KeyError::Nil));
        assert_eq!(normalize_key(TValue::float(1e300)), Ok(TValue::float(1e300)));
    }
}
