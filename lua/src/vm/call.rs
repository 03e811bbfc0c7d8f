//! Calls and returns: frames pushed and popped by the helpers, results delivered by the
//! kind of the frame that returns (`FrameKind`), errors unwound to the nearest `pcall`, and
//! coroutines switched. Nothing here recurses into the VM: a Lua callee gets a frame and
//! the helper returns `STATUS_RELOAD`, so the interpreter (or a trace) runs it next.

use crate::bytecode::Ins;
use crate::state::{CallInfo, FrameKind, HostReason, LResult, LuaError, State};
use crate::value::*;
use crate::vm::obj;
use crate::vm::program::{STATUS_HOST, STATUS_LOOP, STATUS_NEXT, STATUS_RELOAD};
use crate::vm::thread::{CoStatus, Thread, MAX_FRAMES};

/// The natives the call machinery runs itself (`obj::new_special`); their `name` says
/// which they are.
pub const SPECIAL_PCALL: &str = "pcall";
pub const SPECIAL_XPCALL: &str = "xpcall";
pub const SPECIAL_RESUME: &str = "resume";
pub const SPECIAL_YIELD: &str = "yield";
/// The function `coroutine.wrap` returns (its upvalue 0 is the coroutine).
pub const SPECIAL_WRAP: &str = "wrap";
pub const SPECIAL_CLOSE: &str = "close";

pub(crate) fn thread_mut<'a>(l: &State) -> &'a mut Thread {
    // SAFETY: `State::thread` is the running thread, owned by a live thread object; the VM
    // is single-threaded and the reference is not held across a switch.
    unsafe { &mut *l.thread }
}

pub(crate) fn thread_of<'a>(v: TValue) -> &'a mut Thread {
    debug_assert_eq!(v.tag, T_THREAD);
    // SAFETY: a thread value points at an Opaque whose payload is a Box<Thread>.
    unsafe {
        let o = &mut *(v.val as *mut crate::gc::Opaque);
        let b: &mut Box<Thread> = o.payload.downcast_mut().expect("a thread payload");
        b
    }
}

/// Sets the fragments' registers from the frame on top of the running thread, at `pc`.
fn resume_frame(l: &mut State, pc: *const u64) {
    let t = thread_mut(l);
    let ci = t.ci.last().expect("a frame to continue in");
    l.regs.pc = pc as u64;
    l.regs.base = ci.base as u64;
    // SAFETY: frames point at prototypes kept for the state's life.
    l.regs.k = unsafe { (*ci.proto).k_ptr };
}

/// Sets the registers to continue the frame on top of the running thread after the
/// instruction it is at (its CALL, or the instruction a metamethod ran for).
fn continue_caller(l: &mut State) {
    let pc = thread_mut(l).ci.last().expect("a frame to continue").pc;
    resume_frame(l, pc.wrapping_add(1));
}

/// Calls the value at `func` with the `nargs` values after it; its results go to `ret`
/// (`nresults` of them, -1: all) and then `kind` says how the caller goes on. Returns the
/// helper status.
pub(crate) fn call(
    l: &mut State,
    func: *mut TValue,
    nargs: usize,
    ret: *mut TValue,
    nresults: i32,
    kind: FrameKind,
) -> LResult<u64> {
    // SAFETY: func..func+nargs are slots of the running thread's stack below its limit.
    let f = unsafe { *func };
    match f.tag {
        T_LCLOSURE => {
            push_lua_frame(l, func, nargs, ret, nresults, kind)?;
            Ok(STATUS_RELOAD)
        }
        T_NATIVE => {
            // Called straight from pcall: no Lua caller for error positions.
            let cc = std::mem::take(&mut l.c_caller);
            let saved_cc = std::mem::replace(&mut l.native_c_caller, cc);
            let r = call_native(l, f, func, nargs, ret, nresults, kind);
            l.native_c_caller = saved_cc;
            r
        }
        _ => {
            let h = obj::metamethod(l, f, "__call");
            if h.is_nil() {
                return Err(call_error(l, f));
            }
            // The called value becomes the first argument.
            check_room(l, func.wrapping_add(nargs + 2))?;
            // SAFETY: room checked above; `copy` handles the overlap.
            unsafe {
                std::ptr::copy(func, func.add(1), nargs + 1);
                *func = h;
            }
            call(l, func, nargs + 1, ret, nresults, kind)
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn call_native(
    l: &mut State,
    f: TValue,
    func: *mut TValue,
    nargs: usize,
    ret: *mut TValue,
    nresults: i32,
    kind: FrameKind,
) -> LResult<u64> {
    {
        {
            let is_special = obj::is_special(f);
            let sname = if is_special { obj::native(f).name } else { "" };
            // SAFETY: the arguments are live stack slots; natives do not write the stack.
            let args = unsafe { std::slice::from_raw_parts(func.add(1), nargs) };
            if sname == SPECIAL_PCALL || sname == SPECIAL_XPCALL {
                let xp = sname == SPECIAL_XPCALL;
                l.current_native = f;
                if xp && nargs < 2 {
                    return Err(crate::stdlib::arg_error(l, 1, "xpcall", "function expected, got no value"));
                }
                if nargs == 0 {
                    return Err(crate::stdlib::arg_error(l, 0, "pcall", "value expected"));
                }
                // The protected function moves up into pcall's place; its arguments follow.
                // SAFETY: within the same stack; `copy` handles the overlap.
                let handler = if xp { args[1] } else { TValue::nil() };
                unsafe {
                    if xp {
                        *func = *func.add(1);
                        std::ptr::copy(func.add(3), func.add(1), nargs - 2);
                    } else {
                        std::ptr::copy(func.add(1), func, nargs);
                    }
                }
                let n = if xp { nargs - 2 } else { nargs - 1 };
                if kind == FrameKind::Pcall && !xp {
                    // pcall inside pcall: when the innermost callee is a native, its values
                    // are known now and each pcall level puts its flag in front.
                    if let Some(vals) = pcall_now(l, func, n) {
                        let mut v = vec![TValue::boolean(true)];
                        v.extend(vals);
                        // The outer pcall's flag is added by `deliver`.
                        return deliver(l, kind, ret, nresults, &v[1..], true);
                    }
                }
                let depth = thread_mut(l).ci.len();
                // A native called straight from pcall has a C caller: `error` at level 1
                // adds no position.
                l.c_caller = true;
                let r = call(l, func, n, ret, nresults, FrameKind::Pcall);
                l.c_caller = false;
                match r {
                    Ok(s) => {
                        if s == STATUS_RELOAD {
                            // The innermost level's handler is the one that runs.
                            if let Some(ci) = thread_mut(l).ci.get_mut(depth) {
                                if ci.pcall_levels == 0 {
                                    ci.handler = handler;
                                }
                                ci.pcall_levels = ci.pcall_levels.saturating_add(1);
                            }
                        }
                        Ok(s)
                    }
                    // A native that failed at once: pcall returns false, message.
                    Err(e) => {
                        place(l, ret, nresults, &[e.0], Some(false));
                        Ok(STATUS_NEXT)
                    }
                }
            } else if sname == SPECIAL_RESUME {
                let co = args.first().copied().unwrap_or(TValue::nil());
                if co.tag != T_THREAD {
                    l.current_native = f;
                    return Err(crate::stdlib::type_expected(l, args, 0, "resume", "thread"));
                }
                resume(l, co, &args[1..], ret, nresults, false, kind)
            } else if sname == SPECIAL_WRAP {
                let co = obj::native(f).upvals[0];
                resume(l, co, args, ret, nresults, true, kind)
            } else if sname == SPECIAL_YIELD {
                yield_(l, args, ret, nresults)
            } else if sname == SPECIAL_CLOSE {
                l.current_native = f;
                close_coroutine(l, args, ret, nresults, kind)
            } else {
                l.rets.clear();
                l.current_native = f;
                let nf = obj::native_fn(f);
                l.in_native = true;
                let r = nf(l, args);
                l.in_native = false;
                r?;
                if !l.handoff.is_nil() {
                    let g = std::mem::take(&mut l.handoff);
                    // SAFETY: the native's own slot; its arguments stay where they are.
                    unsafe { *func = g };
                    return call(l, func, nargs, ret, nresults, kind);
                }
                let rets = std::mem::take(&mut l.rets);
                let s = deliver(l, kind, ret, nresults, &rets, true);
                l.rets = rets;
                s
            }
        }
    }
}

/// What `pcall(f, args...)` returns, for `f` at `func` with `n` arguments after it, when `f`
/// is a native (or pcall of one) that runs to completion now; `None` for a Lua function.
fn pcall_now(l: &mut State, func: *mut TValue, n: usize) -> Option<Vec<TValue>> {
    // SAFETY: func..func+n are live stack slots.
    let f = unsafe { *func };
    if f.tag != T_NATIVE {
        return None;
    }
    // SAFETY: as above.
    let args: Vec<TValue> = unsafe { std::slice::from_raw_parts(func.add(1), n) }.to_vec();
    if obj::is_special(f) {
        if obj::native(f).name != SPECIAL_PCALL || args.is_empty() {
            return None;
        }
        // The inner pcall's function and arguments follow it (the stack stays as it is
        // when the chain ends in a Lua function, which the caller then calls).
        let inner = pcall_now(l, func.wrapping_add(1), n - 1)?;
        let mut v = vec![TValue::boolean(true)];
        v.extend(inner);
        return Some(v);
    }
    l.rets.clear();
    l.current_native = f;
    let saved = std::mem::replace(&mut l.native_c_caller, true);
    l.in_native = true;
    let r = obj::native_fn(f)(l, &args);
    l.in_native = false;
    l.native_c_caller = saved;
    if r.is_ok() && !l.handoff.is_nil() {
        // The native hands on to a Lua function before doing anything: it takes the
        // native's place, and the caller calls it.
        let g = std::mem::take(&mut l.handoff);
        // SAFETY: the native's slot.
        unsafe { *func = g };
        return None;
    }
    Some(match r {
        Ok(()) => {
            let mut v = vec![TValue::boolean(true)];
            v.extend_from_slice(&l.rets);
            v
        }
        Err(e) => vec![TValue::boolean(false), e.0],
    })
}

fn call_error(l: &mut State, f: TValue) -> LuaError {
    let t = thread_mut(l);
    let info = t.ci.last().and_then(|ci| {
        if ci.proto.is_null() {
            return None;
        }
        // SAFETY: prototypes live for the state's life.
        let p = unsafe { &*ci.proto };
        let pc = p.index_of(ci.pc);
        let ins = Ins(p.code[pc]);
        match ins.op() {
            crate::bytecode::Op::Call | crate::bytecode::Op::TailCall => {
                super::error::reg_info(p, pc, ins.a())
            }
            crate::bytecode::Op::TForCall => Some("for iterator 'for iterator'".to_string()),
            _ => None,
        }
    });
    super::arith::type_error(l, f, "call", info)
}

fn check_room(l: &mut State, top: *mut TValue) -> LResult<()> {
    let t = thread_mut(l);
    if top >= t.limit() || t.ci.len() >= MAX_FRAMES {
        return Err(super::error::rt_error(l, "stack overflow"));
    }
    t.touch(top);
    Ok(())
}

fn push_lua_frame(
    l: &mut State,
    func: *mut TValue,
    nargs: usize,
    ret: *mut TValue,
    nresults: i32,
    kind: FrameKind,
) -> LResult<()> {
    // SAFETY: `func` is a live stack slot holding a Lua closure.
    let f = unsafe { *func };
    let p = obj::proto_of(f);
    let np = p.num_params as usize;
    let (fslot, nvar) = if p.is_vararg {
        // Lua 5.4's layout: the function and its fixed parameters move above the actual
        // arguments; the extra ones stay below the new frame.
        let nf = func.wrapping_add(1 + nargs);
        check_room(l, nf.wrapping_add(1 + p.max_stack as usize))?;
        // SAFETY: room checked; source and destination do not overlap (nf is past them).
        unsafe {
            *nf = f;
            for i in 0..np {
                *nf.add(1 + i) = if i < nargs { *func.add(1 + i) } else { TValue::nil() };
            }
        }
        (nf, nargs.saturating_sub(np) as u32)
    } else {
        check_room(l, func.wrapping_add(1 + p.max_stack as usize))?;
        for i in nargs..np {
            // SAFETY: below the room just checked.
            unsafe { *func.add(1 + i) = TValue::nil() };
        }
        (func, 0)
    };
    let base = fslot.wrapping_add(1);
    let ci = CallInfo {
        func: fslot,
        base,
        top: base.wrapping_add(p.max_stack as usize),
        pc: p.code.as_ptr(),
        proto: p as *const _,
        ret,
        nresults,
        kind,
        nvarargs: nvar,
        handler: TValue::nil(),
        handling: false,
        pcall_levels: 0,
    };
    thread_mut(l).ci.push(ci);
    l.regs.pc = p.code.as_ptr() as u64;
    l.regs.base = base as u64;
    l.regs.k = p.k_ptr;
    Ok(())
}

/// Copies `vals` to `ret` adjusted to `nresults` (nil-filled; -1: all, setting the thread's
/// top), with `true`/`false` in front when `flag` is given.
fn place(l: &mut State, ret: *mut TValue, nresults: i32, vals: &[TValue], flag: Option<bool>) {
    let extra = flag.is_some() as usize;
    let n = vals.len() + extra;
    let want = if nresults < 0 { n } else { nresults as usize };
    // SAFETY: `ret` is a slot of the thread the results go to, with room for them (frames
    // keep STACK_EXTRA slots free above their top); `copy` handles overlap with `vals`.
    unsafe {
        let m = vals.len().min(want.saturating_sub(extra));
        std::ptr::copy(vals.as_ptr(), ret.add(extra), m);
        if let Some(b) = flag {
            if want > 0 {
                *ret = TValue::boolean(b);
            }
        }
        for i in (m + extra).min(want)..want {
            *ret.add(i) = TValue::nil();
        }
    }
    if nresults < 0 {
        let t = thread_mut(l);
        t.top = ret.wrapping_add(want);
        t.touch(t.top);
    }
}

/// Delivers the results of a call of kind `kind` and says how to go on. `native`: the
/// callee was a native run in place, so the caller's frame is still current.
pub(crate) fn deliver(
    l: &mut State,
    kind: FrameKind,
    ret: *mut TValue,
    nresults: i32,
    vals: &[TValue],
    native: bool,
) -> LResult<u64> {
    match kind {
        FrameKind::Lua | FrameKind::Pcall => {
            let flag = (kind == FrameKind::Pcall).then_some(true);
            place(l, ret, nresults, vals, flag);
            if native {
                return Ok(STATUS_NEXT);
            }
            continue_caller(l);
            Ok(STATUS_RELOAD)
        }
        FrameKind::Handler => {
            // The handler's first result is the error from now on; the xpcall frame is
            // on top again.
            let err = vals.first().copied().unwrap_or(TValue::nil());
            thread_mut(l).ci.last_mut().expect("the xpcall frame").handling = false;
            close_pending(l, ret, err)
        }
        FrameKind::Compare { k } => {
            let truth = vals.first().is_some_and(|v| !v.is_falsy());
            let pc = thread_mut(l).ci.last().expect("a caller").pc;
            Ok(compare_jump(l, pc, truth, k))
        }
        FrameKind::Concat { a, n } => {
            let base = thread_mut(l).ci.last().expect("a caller").base;
            // SAFETY: the caller's registers.
            unsafe {
                *base.add(a as usize + n as usize - 2) = vals.first().copied().unwrap_or(TValue::nil())
            };
            let s = super::exec::concat(l, a, n - 1)?;
            if s == STATUS_NEXT {
                continue_caller(l);
                return Ok(STATUS_RELOAD);
            }
            Ok(s)
        }
        FrameKind::Close => {
            let t = thread_mut(l);
            t.top = ret;
            let pc = t.ci.last().expect("a caller").pc;
            resume_frame(l, pc);
            Ok(STATUS_RELOAD)
        }
        FrameKind::CloseErr => {
            // SAFETY: the slot below the call, where `close_pending` left the error.
            let err = unsafe { *ret };
            close_pending(l, ret, err)
        }
        FrameKind::CoroutineBody => {
            let co = thread_mut(l);
            co.status = CoStatus::Dead;
            to_resumer(l, vals, true)
        }
        FrameKind::Main => {
            place(l, ret, nresults, vals, None);
            l.host = crate::state::HostReason::Finished;
            Ok(STATUS_HOST)
        }
    }
}

/// After an EQ/LT/LE at `pc` whose outcome was `truth`: skip its JMP, or take it.
pub(crate) fn compare_jump(l: &mut State, pc: *const u64, truth: bool, k: bool) -> u64 {
    let next = pc.wrapping_add(1);
    let to = if truth != k {
        next.wrapping_add(1)
    } else {
        // SAFETY: a comparison is always followed by a JMP in the same code array.
        let j = Ins(unsafe { *next });
        next.wrapping_add(1).wrapping_offset(j.sbx() as isize)
    };
    resume_frame(l, to);
    if to <= pc {
        STATUS_LOOP
    } else {
        STATUS_RELOAD
    }
}

/// RETURN: pops the running Lua frame and delivers `n` values from `from`.
pub(crate) fn do_return(l: &mut State, from: *mut TValue, n: usize) -> LResult<u64> {
    let t = thread_mut(l);
    let ci = t.ci.pop().expect("a frame to return from");
    super::closure::close_upvalues(t, ci.base);
    // SAFETY: the values are live slots of the frame just popped (not reused until the
    // results are placed).
    let vals = unsafe { std::slice::from_raw_parts(from, n) };
    if ci.pcall_levels > 1 {
        // The outer levels' flags (the innermost one's is added by `deliver`).
        let mut v = vec![TValue::boolean(true); ci.pcall_levels as usize - 1];
        v.extend_from_slice(vals);
        return deliver(l, ci.kind, ci.ret, ci.nresults, &v, false);
    }
    deliver(l, ci.kind, ci.ret, ci.nresults, vals, false)
}

/// TAILCALL A B: the callee replaces the running frame.
pub(crate) fn tail_call(l: &mut State, func: *mut TValue, nargs: usize) -> LResult<u64> {
    // SAFETY: func is a live slot.
    let f = unsafe { *func };
    if f.tag != T_LCLOSURE {
        // A native or a __call: an ordinary call whose results the RETURN after the
        // TAILCALL passes on. (lua5.4 too runs a C function on top of the calling frame,
        // which error positions see.)
        return call(l, func, nargs, func, -1, FrameKind::Lua);
    }
    let t = thread_mut(l);
    let ci = t.ci.pop().expect("a frame");
    super::closure::close_upvalues(t, ci.base);
    // The callee and its arguments move down to the frame's own function slot (below the
    // varargs of a vararg function).
    let dst = ci.func.wrapping_sub(ci.nvarargs as usize);
    // SAFETY: both ranges are in the stack; `copy` handles the overlap.
    unsafe { std::ptr::copy(func, dst, nargs + 1) };
    match push_lua_frame(l, dst, nargs, ci.ret, ci.nresults, ci.kind) {
        Ok(()) => Ok(STATUS_RELOAD),
        Err(e) => {
            thread_mut(l).ci.push(ci);
            Err(e)
        }
    }
}

fn resume(
    l: &mut State,
    co: TValue,
    args: &[TValue],
    ret: *mut TValue,
    nresults: i32,
    wrap: bool,
    kind: FrameKind,
) -> LResult<u64> {
    let c = thread_of(co);
    let cptr = c as *mut Thread;
    if c.status != CoStatus::Suspended || cptr == l.thread {
        let msg = if c.status == CoStatus::Dead {
            "cannot resume dead coroutine"
        } else {
            "cannot resume non-suspended coroutine"
        };
        if wrap {
            let e = super::error::rt_error(l, msg);
            if kind == FrameKind::Pcall {
                place(l, ret, nresults, &[e.0], Some(false));
                return Ok(STATUS_NEXT);
            }
            return Err(e);
        }
        let m = l.str(msg);
        if kind == FrameKind::Pcall {
            place(l, ret, nresults, &[TValue::boolean(false), m], Some(true));
        } else {
            place(l, ret, nresults, &[m], Some(false));
        }
        return Ok(STATUS_NEXT);
    }
    switch_to(l, c, co, ret, nresults, wrap, kind);
    if c.ci.is_empty() {
        let f = c.stack;
        // SAFETY: the fresh coroutine's stack has room for its function and arguments.
        unsafe {
            *f = c.body;
            std::ptr::copy_nonoverlapping(args.as_ptr(), f.add(1), args.len());
        }
        c.touch(f.wrapping_add(args.len() + 1));
        match call(l, f, args.len(), f, -1, FrameKind::CoroutineBody) {
            Ok(s) => Ok(s),
            Err(e) => {
                let t = thread_mut(l);
                t.status = CoStatus::Dead;
                t.death = e.0;
                to_resumer(l, &[e.0], false)
            }
        }
    } else {
        let (yret, yn) = (c.yield_ret, c.yield_nresults);
        place(l, yret, yn, args, None);
        continue_caller(l);
        Ok(STATUS_RELOAD)
    }
}

/// `coroutine.close(co)`: a suspended or dead coroutine's pending to-be-closed variables
/// are closed in it (with nil, or the error it died of), as a resume that unwinds; then it
/// is dead, and close returns true, or false and the error.
fn close_coroutine(
    l: &mut State,
    args: &[TValue],
    ret: *mut TValue,
    nresults: i32,
    kind: FrameKind,
) -> LResult<u64> {
    let co = args.first().copied().unwrap_or(TValue::nil());
    if co.tag != T_THREAD {
        return Err(crate::stdlib::type_expected(l, args, 0, "close", "thread"));
    }
    let c = thread_of(co);
    let cptr = c as *mut Thread;
    if cptr == l.thread || c.status == CoStatus::Running || c.status == CoStatus::Normal {
        let s = if cptr == l.thread { "running" } else { "normal" };
        return Err(super::error::rt_error(l, &format!("cannot close a {s} coroutine")));
    }
    let base = c.stack;
    super::closure::close_upvalues(c, base);
    let death = std::mem::take(&mut c.death);
    if c.tbc.is_empty() {
        c.ci.clear();
        c.status = CoStatus::Dead;
        let vals =
            if death.is_nil() { vec![TValue::boolean(true)] } else { vec![TValue::boolean(false), death] };
        let flag = (kind == FrameKind::Pcall).then_some(true);
        place(l, ret, nresults, &vals, flag);
        return Ok(STATUS_NEXT);
    }
    let floor = c.live_top();
    c.ci.truncate(1);
    if c.ci.is_empty() {
        // A coroutine that died keeps no frames: a bottom frame to close them from.
        c.ci.push(CallInfo::bottom(base, base, FrameKind::CoroutineBody));
    }
    c.closing = true;
    switch_to(l, c, co, ret, nresults, false, kind);
    close_pending(l, floor, death)
}

/// Makes coroutine `c` (the value `co`) the running thread, resumed by the running one,
/// with its results going to `ret` (see `to_resumer`).
fn switch_to(
    l: &mut State,
    c: &mut Thread,
    co: TValue,
    ret: *mut TValue,
    nresults: i32,
    wrap: bool,
    kind: FrameKind,
) {
    let cur = l.thread;
    c.resumer = cur;
    c.resume_ret = ret;
    c.resume_nresults = nresults;
    c.wrap = wrap;
    c.resume_kind = kind;
    c.co_value = co;
    // SAFETY: `cur` is the running thread.
    unsafe { (*cur).status = CoStatus::Normal };
    c.status = CoStatus::Running;
    l.thread = c as *mut Thread;
}

fn yield_(l: &mut State, args: &[TValue], ret: *mut TValue, nresults: i32) -> LResult<u64> {
    if l.thread == l.main_thread {
        return Err(super::error::rt_error(l, "attempt to yield from outside a coroutine"));
    }
    // Prelude functions stand for lua5.4's C library functions (sort's comparator, gsub's
    // replacement, __tostring through tostring, ...), which cannot be yielded across.
    let across_c = thread_mut(l).ci.iter().any(|c| {
        !c.proto.is_null() && {
            // SAFETY: frames point at prototypes kept for the state's life.
            unsafe { (*c.proto).hidden }
        }
    });
    if across_c {
        return Err(LuaError(l.str("attempt to yield across a C-call boundary")));
    }
    let c = thread_mut(l);
    c.yield_ret = ret;
    c.yield_nresults = nresults;
    c.status = CoStatus::Suspended;
    // The values may sit in this coroutine's stack; the resumer's is another one.
    let vals: Vec<TValue> = args.to_vec();
    to_resumer(l, &vals, true)
}

/// Switches from the running coroutine back to its resumer, delivering `vals` as the
/// results of its `resume` (with the success flag first, or raised when `wrap` fails).
pub(crate) fn to_resumer(l: &mut State, vals: &[TValue], ok: bool) -> LResult<u64> {
    // The values may sit in the coroutine's stack, which is cleared below.
    let vals: Vec<TValue> = vals.to_vec();
    let vals = &vals[..];
    let c = thread_mut(l);
    let r = c.resumer;
    let (ret, nres, wrap, kind) = (c.resume_ret, c.resume_nresults, c.wrap, c.resume_kind);
    // The resume ran under pcall (`pcall(co_wrap)`, `pcall(coroutine.resume, co)`): the
    // results get pcall's flag too, and a wrap's error is pcall's to report.
    let pcalled = kind == FrameKind::Pcall;
    if c.status == CoStatus::Running {
        c.status = CoStatus::Suspended;
    }
    super::gc::clear_above(c);
    l.thread = r;
    thread_mut(l).status = CoStatus::Running;
    if wrap && !ok {
        let mut e = vals.first().copied().unwrap_or(TValue::nil());
        if e.tag == T_STR && !pcalled {
            if let Some(w) = super::error::where_(l, 1) {
                let mut s = w.into_bytes();
                s.extend_from_slice(obj::str_bytes(e));
                e = l.heap.str_value(&s);
            }
        }
        if pcalled {
            place(l, ret, nres, &[e], Some(false));
            continue_caller(l);
            return Ok(STATUS_RELOAD);
        }
        return Err(LuaError(e));
    }
    if wrap {
        place(l, ret, nres, vals, if pcalled { Some(true) } else { None });
    } else if pcalled {
        let mut v = Vec::with_capacity(vals.len() + 1);
        v.push(TValue::boolean(ok));
        v.extend_from_slice(vals);
        place(l, ret, nres, &v, Some(true));
    } else {
        place(l, ret, nres, vals, Some(ok));
    }
    continue_caller(l);
    Ok(STATUS_RELOAD)
}

/// An error escaped a helper: unwinds the running thread to its innermost pcall, closes
/// the to-be-closed variables on the way with the error (after an xpcall's handler ran on
/// it), and delivers (false, error) there. Returns the error when nothing catches it (the
/// host reports it; a coroutine.wrap on the way may have added a position).
///
/// Handlers and `__close` methods are Lua calls, so this only starts them: their frames'
/// kinds (`Handler`, `CloseErr`) go on with `close_pending` when they return, and an error
/// in one comes back here and finds the same catching frame.
pub(crate) fn unwind(l: &mut State, err: TValue) -> Option<TValue> {
    let mut err = err;
    l.host = HostReason::None;
    loop {
        let r = match catch(l, err) {
            Catch::Uncaught(e) => return Some(e),
            Catch::Running(r) => r,
        };
        match r {
            // Closing finished for a frame that does not catch: the error goes on.
            Ok(s) if s == STATUS_HOST && l.host == HostReason::Error => {
                l.host = HostReason::None;
                err = l.error;
            }
            Ok(_) => return None,
            Err(e) => err = e.0,
        }
    }
}

enum Catch {
    /// Caught: the status of what runs next (a handler, a `__close`, or the pcall's caller).
    Running(LResult<u64>),
    Uncaught(TValue),
}

fn catch(l: &mut State, mut err: TValue) -> Catch {
    let main = l.thread == l.main_thread;
    let t = thread_mut(l);
    let i = match t.ci.iter().rposition(|c| c.kind == FrameKind::Pcall) {
        Some(i) => i,
        // Nothing catches, but the main chunk (lua.c runs it under lua_pcall) and a
        // wrapped coroutine's body still close their variables first.
        None if !t.tbc.is_empty() && !t.ci.is_empty() && (main || t.wrap || t.closing) => 0,
        None => return die(l, err),
    };
    let floor = t.live_top();
    t.ci.truncate(i + 1);
    let ci = t.ci[i];
    super::closure::close_upvalues(t, ci.func);
    if ci.kind == FrameKind::Pcall && !ci.handler.is_nil() {
        if ci.handling {
            t.ci[i].handling = false;
            err = l.str("error in error handling");
        } else if floor.wrapping_add(2) < t.limit() {
            t.ci[i].handling = true;
            // SAFETY: above every live frame, below the limit (checked).
            unsafe {
                *floor = ci.handler;
                *floor.add(1) = err;
            }
            t.touch(floor.wrapping_add(2));
            match call(l, floor, 1, floor, 1, FrameKind::Handler) {
                Ok(s) => return Catch::Running(Ok(s)),
                Err(_) => {
                    thread_mut(l).ci[i].handling = false;
                    err = l.str("error in error handling");
                }
            }
        }
    }
    Catch::Running(close_pending(l, floor, err))
}

/// Closes the next to-be-closed variable of the catching frame (the top one) and those
/// above it with `err`, calling its `__close` at `floor` (the error waits in that slot);
/// with none left, finishes the unwinding.
pub(crate) fn close_pending(l: &mut State, floor: *mut TValue, err: TValue) -> LResult<u64> {
    loop {
        let t = thread_mut(l);
        let ci = *t.ci.last().expect("the catching frame");
        let slot = match t.tbc.last() {
            Some(&s) if s >= ci.func => s,
            _ => break,
        };
        t.tbc.pop();
        // SAFETY: a tbc slot is a register of a frame at or above the catching one, which
        // the truncation left in place (nothing has been written above them but at floor).
        let v = unsafe { *slot };
        let m = obj::metamethod(l, v, "__close");
        let t = thread_mut(l);
        if m.is_nil() || floor.wrapping_add(4) >= t.limit() {
            continue;
        }
        // SAFETY: above every live frame, below the limit (checked).
        unsafe {
            *floor = err;
            *floor.add(1) = m;
            *floor.add(2) = v;
            *floor.add(3) = err;
        }
        t.touch(floor.wrapping_add(4));
        return call(l, floor.wrapping_add(1), 2, floor, 0, FrameKind::CloseErr);
    }
    let t = thread_mut(l);
    let ci = *t.ci.last().expect("the catching frame");
    if ci.kind != FrameKind::Pcall {
        // The main chunk or a coroutine body: closed, and still uncaught.
        l.error = err;
        l.host = HostReason::Error;
        return Ok(STATUS_HOST);
    }
    t.ci.pop();
    // (false, err) for the innermost level; each level around it succeeded.
    let mut v = vec![TValue::boolean(true); ci.pcall_levels.max(1) as usize - 1];
    v.push(TValue::boolean(false));
    v.push(err);
    place(l, ci.ret, ci.nresults, &v[1..], Some(!v[0].is_falsy()));
    continue_caller(l);
    Ok(STATUS_RELOAD)
}

/// Nothing in the running thread catches `err`: the main thread reports it; a coroutine
/// dies of it, and its resumer gets it.
fn die(l: &mut State, err: TValue) -> Catch {
    if l.thread == l.main_thread {
        return Catch::Uncaught(err);
    }
    let t = thread_mut(l);
    let base = t.stack;
    super::closure::close_upvalues(t, base);
    if t.tbc.is_empty() || t.closing {
        t.ci.clear();
    }
    // (Otherwise the frames stay, keeping the stack live for coroutine.close.)
    t.status = CoStatus::Dead;
    if std::mem::take(&mut t.closing) {
        // coroutine.close finished closing: true, or false and the error.
        t.tbc.clear();
        return Catch::Running(if err.is_nil() {
            to_resumer(l, &[], true)
        } else {
            to_resumer(l, &[err], false)
        });
    }
    t.death = err;
    Catch::Running(to_resumer(l, &[err], false))
}
