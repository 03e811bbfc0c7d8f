//! The VM's view of heap objects: small accessors over the object runtime, so that the
//! handlers read as Lua semantics rather than pointer code.

use crate::gc::{LClosure, Native, UpVal};
use crate::state::{FuncProto, State};
use crate::table::Table;
use crate::value::*;

/// A native function: reads its arguments, pushes its results onto `State::rets`.
pub type NativeFn = fn(&mut State, &[TValue]) -> crate::state::LResult<()>;

pub(crate) fn str_bytes<'a>(v: TValue) -> &'a [u8] {
    debug_assert_eq!(v.tag, T_STR);
    // SAFETY: a string value points at a live interned string; strings never change, and
    // the caller keeps the value reachable while it uses the bytes.
    unsafe { (*(v.val as *const crate::string::LuaStr)).as_bytes() }
}

pub(crate) fn table<'a>(v: TValue) -> &'a mut Table {
    debug_assert_eq!(v.tag, T_TABLE);
    // SAFETY: a table value points at a live table; the VM is single-threaded and holds no
    // other reference to it across this use.
    unsafe { &mut *(v.val as *mut Table) }
}

pub(crate) fn closure<'a>(v: TValue) -> &'a LClosure {
    debug_assert_eq!(v.tag, T_LCLOSURE);
    // SAFETY: as `table`, for a Lua closure.
    unsafe { &*(v.val as *const LClosure) }
}

pub(crate) fn proto_of<'a>(v: TValue) -> &'a FuncProto {
    // SAFETY: a closure's proto field is the `FuncProto` it was made from (see `closure`
    // in vm/closure.rs), kept for the state's life.
    unsafe { &*(closure(v).proto as *const FuncProto) }
}

pub(crate) fn native<'a>(v: TValue) -> &'a Native {
    debug_assert_eq!(v.tag, T_NATIVE);
    // SAFETY: as `table`, for a native function.
    unsafe { &*(v.val as *const Native) }
}

pub(crate) fn native_mut<'a>(v: TValue) -> &'a mut Native {
    debug_assert_eq!(v.tag, T_NATIVE);
    // SAFETY: as `table`, for a native function.
    unsafe { &mut *(v.val as *mut Native) }
}

pub(crate) fn native_fn(v: TValue) -> NativeFn {
    let f = native(v).f;
    // SAFETY: `f` was made from a `NativeFn` by `new_native` below.
    unsafe { std::mem::transmute::<usize, NativeFn>(f) }
}

/// The `f` of a native the call machinery runs itself (pcall, resume, ...; its `name` says
/// which). Not a function address: function pointers are not reliably unique, so these are
/// marked by a value no code can have.
pub(crate) const SPECIAL_F: usize = 1;

pub(crate) fn new_special(l: &mut State, name: &'static str, upvals: Vec<TValue>) -> TValue {
    TValue::native(l.heap.new_native(SPECIAL_F, name, upvals))
}

pub(crate) fn is_special(v: TValue) -> bool {
    native(v).f == SPECIAL_F
}

pub(crate) fn new_native(l: &mut State, f: NativeFn, name: &'static str, upvals: Vec<TValue>) -> TValue {
    TValue::native(l.heap.new_native(f as usize, name, upvals))
}

pub(crate) fn upval<'a>(p: *mut UpVal) -> &'a mut UpVal {
    // SAFETY: closures hold live upvalues; single-threaded VM.
    unsafe { &mut *p }
}

pub(crate) fn new_table(l: &mut State, narr: usize, nhash: usize) -> TValue {
    TValue::table(l.heap.new_table(narr, nhash))
}

/// The metatable of any value (null: none).
pub(crate) fn metatable(l: &State, v: TValue) -> *mut Table {
    match v.tag {
        T_TABLE => table(v).meta,
        T_STR => l.string_meta,
        T_USERDATA => {
            // SAFETY: a userdata value points at a live userdata.
            unsafe { (*(v.val as *const crate::gc::Userdata)).meta }
        }
        _ => std::ptr::null_mut(),
    }
}

/// The metamethod `event` of `v`, or nil.
pub(crate) fn metamethod(l: &mut State, v: TValue, event: &'static str) -> TValue {
    let mt = metatable(l, v);
    if mt.is_null() {
        return TValue::nil();
    }
    let key = l.name(event);
    // SAFETY: a non-null metatable pointer is a live table, and `key` a live string.
    unsafe { (*mt).get_str(&*(key.val as *const crate::string::LuaStr)) }
}

/// Lua's `tostring` of a number or string (no metamethods), for `..` and messages.
pub(crate) fn tostr_basic(v: TValue) -> Option<Vec<u8>> {
    match v.tag {
        T_STR => Some(str_bytes(v).to_vec()),
        T_INT | T_FLOAT => Some(crate::number::fmt_number(v).into_bytes()),
        _ => None,
    }
}
