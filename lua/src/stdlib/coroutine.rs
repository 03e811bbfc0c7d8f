//! The `coroutine` library. `resume`, `yield` and the functions `wrap` makes are run by
//! the call machinery (vm/call.rs), which switches threads; the rest is here.

use super::{arg, push, reg, type_expected};
use crate::state::{LResult, State};
use crate::value::*;
use crate::vm::call::{self, thread_of};
use crate::vm::thread::{CoStatus, Thread, CO_STACK_SLOTS};

pub(crate) fn open(l: &mut State) {
    let t = super::lib_table(l, "coroutine");
    reg(l, t, "create", create);
    for name in [call::SPECIAL_RESUME, call::SPECIAL_YIELD] {
        let f = crate::vm::obj::new_special(l, name, Vec::new());
        super::set_field(l, t, name, f);
    }
    reg(l, t, "status", status);
    reg(l, t, "wrap", wrap);
    reg(l, t, "isyieldable", isyieldable);
    reg(l, t, "running", running);
    let f = crate::vm::obj::new_special(l, call::SPECIAL_CLOSE, Vec::new());
    super::set_field(l, t, call::SPECIAL_CLOSE, f);
}

pub(crate) fn trace_thread(p: &dyn std::any::Any, m: &mut crate::gc::Marker) {
    if let Some(t) = p.downcast_ref::<Box<Thread>>() {
        crate::vm::gc::mark_thread(t, m);
    }
}

fn new_thread(l: &mut State, f: TValue) -> LResult<TValue> {
    let t = Thread::new(f, CO_STACK_SLOTS).map_err(|_| crate::vm::error::oom(l))?;
    let o = l.heap.new_opaque(crate::gc::K_THREAD, Box::new(t), Some(trace_thread));
    Ok(TValue::thread(o))
}

fn create(l: &mut State, args: &[TValue]) -> LResult<()> {
    let f = arg(args, 0);
    if f.tag != T_LCLOSURE && f.tag != T_NATIVE {
        return Err(type_expected(l, args, 0, "create", "function"));
    }
    let co = new_thread(l, f)?;
    push(l, co);
    Ok(())
}

fn wrap(l: &mut State, args: &[TValue]) -> LResult<()> {
    let f = arg(args, 0);
    if f.tag != T_LCLOSURE && f.tag != T_NATIVE {
        return Err(type_expected(l, args, 0, "wrap", "function"));
    }
    let co = new_thread(l, f)?;
    let w = crate::vm::obj::new_special(l, call::SPECIAL_WRAP, vec![co]);
    push(l, w);
    Ok(())
}

fn status(l: &mut State, args: &[TValue]) -> LResult<()> {
    let co = arg(args, 0);
    if co.tag != T_THREAD {
        return Err(type_expected(l, args, 0, "status", "coroutine"));
    }
    let t = thread_of(co);
    let s = if std::ptr::eq(t, l.thread) {
        "running"
    } else {
        match t.status {
            CoStatus::Suspended => "suspended",
            CoStatus::Running => "running",
            CoStatus::Normal => "normal",
            CoStatus::Dead => "dead",
        }
    };
    super::push_str(l, s.as_bytes());
    Ok(())
}

fn isyieldable(l: &mut State, _: &[TValue]) -> LResult<()> {
    let y = l.thread != l.main_thread;
    push(l, TValue::boolean(y));
    Ok(())
}

fn running(l: &mut State, _: &[TValue]) -> LResult<()> {
    let main = l.thread == l.main_thread;
    let v = if main { l.main_value } else { call::thread_mut(l).co_value };
    push(l, v);
    push(l, TValue::boolean(main));
    Ok(())
}
