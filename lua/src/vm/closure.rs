//! Closures and upvalues: an upvalue is open (pointing at its variable's stack slot) until
//! the variable's scope ends, then closed (holding the value itself). One open upvalue per
//! slot, so closures that capture the same variable share it.

use crate::gc::{Opaque, UpVal};
use crate::state::{FuncProto, State};
use crate::value::*;
use crate::vm::thread::Thread;

/// The open upvalue for `slot`, made if there is none.
pub(crate) fn find_upvalue(l: &mut State, slot: *mut TValue) -> *mut UpVal {
    let t = super::call::thread_mut(l);
    match t.open.binary_search_by(|(p, _)| (*p).cmp(&slot)) {
        Ok(i) => t.open[i].1,
        Err(i) => {
            // SAFETY: `slot` is a stack slot of the running thread; the upvalue goes into
            // the thread's open list, which closes it before the slot goes out of scope.
            let uv = unsafe { l.heap.new_upval_open(slot) };
            super::call::thread_mut(l).open.insert(i, (slot, uv));
            uv
        }
    }
}

/// Closes every open upvalue at or above `level`.
pub(crate) fn close_upvalues(t: &mut Thread, level: *mut TValue) {
    let i = t.open.partition_point(|(p, _)| *p < level);
    for (_, uv) in t.open.drain(i..) {
        // SAFETY: open upvalues in the list are live (the thread's trace marks them).
        unsafe { (*uv).close() };
    }
}

/// CLOSURE: a closure of `p` whose upvalues come from the running frame (`base`) or from
/// the running closure's (`enclosing`).
pub(crate) fn new_closure(
    l: &mut State,
    p: *const FuncProto,
    base: *mut TValue,
    enclosing: TValue,
) -> TValue {
    // SAFETY: prototypes live for the state's life.
    let pr = unsafe { &*p };
    let mut ups = Vec::with_capacity(pr.upvals.len());
    for d in &pr.upvals {
        if d.in_stack {
            ups.push(find_upvalue(l, base.wrapping_add(d.index as usize)));
        } else {
            ups.push(super::obj::closure(enclosing).upvals[d.index as usize]);
        }
    }
    TValue::lclosure(l.heap.new_lclosure(p as *mut Opaque, ups))
}
