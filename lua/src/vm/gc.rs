//! The collector's roots: every thread's live stack (and clearing above it, so that a
//! stale value never points at a freed object), open upvalues, globals, the registry, the
//! string metatable, the error in flight, and prototype constants (pinned at load).

use crate::gc::Marker;
use crate::state::State;
use crate::value::TValue;
use crate::vm::thread::Thread;

/// Marks what a thread holds.
pub(crate) fn mark_thread(t: &Thread, m: &mut Marker) {
    let top = t.mark_top();
    let mut p = t.stack;
    while p < top {
        // SAFETY: slots below the live top are initialized values of this stack.
        m.mark_value(unsafe { *p });
        p = p.wrapping_add(1);
    }
    for &(_, uv) in &t.open {
        m.mark_obj(uv);
    }
    m.mark_value(t.body);
    m.mark_value(t.co_value);
    m.mark_value(t.death);
}

/// Clears a thread's stack above its live part (so the next collection never reads a
/// value that this one did not mark).
pub(crate) fn clear_above(t: &mut Thread) {
    let top = t.mark_top();
    let mut p = top;
    while p < t.used {
        // SAFETY: slots between the live top and the high-water mark are in the mapping.
        unsafe { *p = TValue::nil() };
        p = p.wrapping_add(1);
    }
    // The frames above `gc_top` keep writing their registers without touching `used`.
    t.used = top.max(t.live_top());
}

/// A collection from a native whose arguments end at `args_end` in the running thread's
/// stack: as in 5.4, the running frame's registers above them are dead (a call's function
/// sits at the frame's first free register), so what only they hold is garbage.
pub(crate) fn collect_from_native(l: &mut State, args_end: *mut TValue) {
    // SAFETY: the running thread is live, and not otherwise borrowed here.
    let t = unsafe { &mut *l.thread };
    if t.ci.last().is_some_and(|ci| args_end >= ci.base && args_end <= ci.top) {
        t.gc_top = args_end;
    }
    collect(l);
    // SAFETY: as above.
    unsafe { (*l.thread).gc_top = std::ptr::null_mut() };
}

pub(crate) fn collect(l: &mut State) {
    // Clear every thread reachable from here first: the running one and its resumers.
    let mut t = l.thread;
    while !t.is_null() {
        // SAFETY: the running thread and its resumer chain are live threads.
        let th = unsafe { &mut *t };
        clear_above(th);
        t = th.resumer;
        if t == l.thread {
            break;
        }
    }
    let (globals, registry, smeta, err) = (l.globals, l.registry, l.string_meta, l.error);
    let (cur, main, main_value) = (l.thread, l.main_thread, l.main_value);
    let rets = std::mem::take(&mut l.rets);
    let stdio = (l.stdout_value, l.stdin_value);
    l.heap.collect(&mut |m: &mut Marker| {
        m.mark_obj(globals);
        m.mark_obj(registry);
        if !smeta.is_null() {
            m.mark_obj(smeta);
        }
        m.mark_value(err);
        m.mark_value(stdio.0);
        m.mark_value(stdio.1);
        for v in &rets {
            m.mark_value(*v);
        }
        let mut t = cur;
        while !t.is_null() {
            // SAFETY: as above.
            let th = unsafe { &*t };
            mark_thread(th, m);
            t = th.resumer;
            if t == cur {
                break;
            }
        }
        // SAFETY: the main thread lives as long as the state.
        mark_thread(unsafe { &*main }, m);
        m.mark_value(main_value);
    });
    l.rets = rets;
}
