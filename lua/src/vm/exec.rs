//! `lua_exec`: the native helper that runs one instruction with Lua's full semantics. The
//! fragments call it for every opcode without a fast path, and for the uncommon cases of
//! those with one. It never re-enters the VM: a Lua function to call (a callee, a
//! metamethod) gets a frame, and the status tells the fragments to reload.

use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::bytecode::{Ins, Op};
use crate::state::{FrameKind, HostReason, LResult, State};
use crate::value::*;
use crate::vm::arith::{self, Outcome};
use crate::vm::call;
use crate::vm::error::{reg_info, rk_info, rt_error};
use crate::vm::obj;
use crate::vm::program::{STATUS_HOST, STATUS_LOOP, STATUS_NEXT, STATUS_RELOAD};
use crate::vm::table::{index, set_index, SetOutcome};

/// The helper the `slow` fragment calls.
///
/// # Safety
/// `l` is the running `State` and `pc` an instruction of the frame running on its current
/// thread (what the fragments pass).
pub unsafe extern "C" fn lua_exec(l: *mut State, pc: u64) -> u64 {
    // SAFETY: the caller's contract.
    let l = unsafe { &mut *l };
    match catch_unwind(AssertUnwindSafe(|| step(l, pc as *const u64))) {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => {
            l.error = e.0;
            l.host = HostReason::Error;
            STATUS_HOST
        }
        Err(p) => {
            let m = if p.is::<crate::gc::OutOfMemory>() {
                "not enough memory"
            } else {
                "internal error in the VM"
            };
            l.error = l.str(m);
            l.host = HostReason::Error;
            STATUS_HOST
        }
    }
}

fn step(l: &mut State, pc: *const u64) -> LResult<u64> {
    let t = call::thread_mut(l);
    let ci = t.ci.last_mut().expect("a running frame");
    ci.pc = pc;
    let base = ci.base;
    let proto = ci.proto;
    // SAFETY: `pc` is an instruction of the running frame's prototype (kept for the
    // state's life), and `base` its registers, live stack slots.
    let (ins, p) = unsafe { (Ins(*pc), &*proto) };
    if l.heap.should_collect() {
        super::gc::collect(l);
        if l.heap.has_pending_finalizers() {
            if let Some(s) = run_finalizers(l)? {
                return Ok(s);
            }
        }
    }
    let r = |i: u16| base.wrapping_add(i as usize);
    // SAFETY (for the reads and writes below): register operands index the frame's
    // registers, below its top; constant operands index the prototype's constants.
    let get = |i: u16| unsafe { *r(i) };
    let kval = |i: u32| p.k()[i as usize];
    let rk = |x: u16, isk: bool| if isk { kval(x as u32) } else { get(x) };
    let set = |i: u16, v: TValue| unsafe { *r(i) = v };
    let ipc = p.index_of(pc);
    let a = ins.a();
    match ins.op() {
        Op::Move => set(a, get(ins.b())),
        Op::LoadK => set(a, kval(ins.bx())),
        Op::LoadI => set(a, TValue::int(ins.sbx() as i64)),
        Op::LoadFalse => set(a, TValue::boolean(false)),
        Op::LoadTrue => set(a, TValue::boolean(true)),
        Op::LoadNil => {
            for i in 0..=ins.b() {
                set(a + i, TValue::nil());
            }
        }
        Op::GetUpval => {
            let cl = obj::closure(unsafe { *ci_func(l) });
            set(a, obj::upval(cl.upvals[ins.b() as usize]).get());
        }
        Op::SetUpval => {
            let cl = obj::closure(unsafe { *ci_func(l) });
            obj::upval(cl.upvals[ins.b() as usize]).set(get(a));
        }
        Op::GetTabUp => {
            let cl = obj::closure(unsafe { *ci_func(l) });
            let t = obj::upval(cl.upvals[ins.b() as usize]).get();
            let key = kval(ins.c() as u32);
            let o = index(l, t, key, &|| upval_info(p, ins.b()))?;
            return finish_get(l, o, r(a));
        }
        Op::GetTable => {
            let key = rk(ins.c(), ins.kc());
            let o = index(l, get(ins.b()), key, &|| reg_info(p, ipc, ins.b()))?;
            return finish_get(l, o, r(a));
        }
        Op::GetI => {
            let key = TValue::int(ins.c() as i64);
            let o = index(l, get(ins.b()), key, &|| reg_info(p, ipc, ins.b()))?;
            return finish_get(l, o, r(a));
        }
        Op::SelfOp => {
            let o = get(ins.b());
            set(a + 1, o);
            let key = rk(ins.c(), ins.kc());
            let o = index(l, o, key, &|| reg_info(p, ipc, ins.b()))?;
            return finish_get(l, o, r(a));
        }
        Op::SetTabUp => {
            let cl = obj::closure(unsafe { *ci_func(l) });
            let t = obj::upval(cl.upvals[a as usize]).get();
            let key = kval(ins.b() as u32);
            let v = rk(ins.c(), ins.kc());
            let o = set_index(l, t, key, v, &|| upval_info(p, a))?;
            return finish_set(l, o);
        }
        Op::SetTable => {
            let key = rk(ins.b(), ins.kb());
            let v = rk(ins.c(), ins.kc());
            let o = set_index(l, get(a), key, v, &|| reg_info(p, ipc, a))?;
            return finish_set(l, o);
        }
        Op::SetI => {
            let key = TValue::int(ins.b() as i64);
            let v = rk(ins.c(), ins.kc());
            let o = set_index(l, get(a), key, v, &|| reg_info(p, ipc, a))?;
            return finish_set(l, o);
        }
        Op::NewTable => {
            let t = obj::new_table(l, ins.b() as usize, ins.c() as usize);
            set(a, t);
        }
        Op::Add
        | Op::Sub
        | Op::Mul
        | Op::Mod
        | Op::Pow
        | Op::Div
        | Op::IDiv
        | Op::BAnd
        | Op::BOr
        | Op::BXor
        | Op::Shl
        | Op::Shr => {
            let (x, y) = (rk(ins.b(), ins.kb()), rk(ins.c(), ins.kc()));
            let desc = |i: usize| {
                if i == 0 {
                    rk_info(p, ipc, ins.b(), ins.kb())
                } else {
                    rk_info(p, ipc, ins.c(), ins.kc())
                }
            };
            let o = arith::arith(l, ins.op(), x, y, &desc)?;
            return finish_get(l, o, r(a));
        }
        Op::Unm | Op::BNot => {
            let x = get(ins.b());
            let o = arith::arith(l, ins.op(), x, x, &|_| reg_info(p, ipc, ins.b()))?;
            return finish_get(l, o, r(a));
        }
        Op::Not => set(a, TValue::boolean(get(ins.b()).is_falsy())),
        Op::Len => {
            let o = arith::length(l, get(ins.b()), reg_info(p, ipc, ins.b()))?;
            return finish_get(l, o, r(a));
        }
        Op::Concat => return concat(l, a, ins.b()),
        Op::Close => {
            if let Some(s) = close_tbc(l, r(a), r(a))? {
                return Ok(s);
            }
            let t = call::thread_mut(l);
            super::closure::close_upvalues(t, r(a));
        }
        Op::Tbc => {
            let v = get(a);
            if !v.is_falsy() {
                if obj::metamethod(l, v, "__close").is_nil() {
                    let name = super::error::reg_info(p, ipc, a).unwrap_or_else(|| "?".into());
                    let name = name.trim_start_matches("local ").to_string();
                    return Err(rt_error(l, &format!("variable {name} got a non-closable value")));
                }
                call::thread_mut(l).tbc.push(r(a));
            }
        }
        Op::Jmp => {
            let to = pc.wrapping_add(1).wrapping_offset(ins.sbx() as isize);
            l.regs.pc = to as u64;
            return Ok(if to <= pc { STATUS_LOOP } else { STATUS_RELOAD });
        }
        Op::Eq | Op::Lt | Op::Le => {
            let (x, y) = (rk(ins.b(), ins.kb()), rk(ins.c(), ins.kc()));
            let o = match ins.op() {
                Op::Eq => arith::equals(l, x, y),
                Op::Lt => arith::less(l, x, y, false)?,
                _ => arith::less(l, x, y, true)?,
            };
            return match o {
                Outcome::Value(v) => Ok(call::compare_jump(l, pc, !v.is_falsy(), ins.k())),
                Outcome::Meta(m, x, y) => {
                    meta_call(l, m, &[x, y], std::ptr::null_mut(), 1, FrameKind::Compare { k: ins.k() })
                }
                Outcome::NotMeta(m, x, y) => {
                    meta_call(l, m, &[x, y], std::ptr::null_mut(), 1, FrameKind::Compare { k: !ins.k() })
                }
            };
        }
        Op::Test => {
            let truth = !get(a).is_falsy();
            return Ok(call::compare_jump(l, pc, truth, ins.k()));
        }
        Op::TestSet => {
            let v = get(ins.b());
            let truth = !v.is_falsy();
            if truth == ins.k() {
                set(a, v);
            }
            return Ok(call::compare_jump(l, pc, truth, ins.k()));
        }
        Op::Call => {
            let b = ins.b();
            let func = r(a);
            let nargs = if b == 0 { to_top(l, func) - 1 } else { b as usize - 1 };
            let nres = ins.c() as i32 - 1;
            return call::call(l, func, nargs, func, nres, FrameKind::Lua);
        }
        Op::TailCall => {
            let b = ins.b();
            let func = r(a);
            let nargs = if b == 0 { to_top(l, func) - 1 } else { b as usize - 1 };
            return call::tail_call(l, func, nargs);
        }
        Op::Return => {
            let b = ins.b();
            let from = r(a);
            let n = if b == 0 { to_top(l, from) } else { b as usize - 1 };
            if ins.k() {
                // The values stay where they are while each `__close` runs above them.
                if let Some(s) = close_tbc(l, base, from.wrapping_add(n))? {
                    return Ok(s);
                }
            }
            return call::do_return(l, from, n);
        }
        Op::ForPrep => return super::forloop::prep(l, pc, ins, base),
        Op::ForLoop => return super::forloop::step(l, pc, ins, base),
        Op::TForPrep => {
            // The fourth value is the loop's to-be-closed variable.
            let v = get(a + 3);
            if !v.is_falsy() {
                if obj::metamethod(l, v, "__close").is_nil() {
                    return Err(rt_error(l, "variable '(for state)' got a non-closable value"));
                }
                call::thread_mut(l).tbc.push(r(a + 3));
            }
            let to = pc.wrapping_add(1).wrapping_offset(ins.sbx() as isize);
            l.regs.pc = to as u64;
            return Ok(STATUS_RELOAD);
        }
        Op::TForCall => {
            // R[A+4..] := R[A](R[A+1], R[A+2])
            for i in 0..3 {
                set(a + 4 + i, get(a + i));
            }
            let func = r(a + 4);
            return call::call(l, func, 2, func, ins.c() as i32, FrameKind::Lua);
        }
        Op::TForLoop => {
            let v = get(a + 4);
            if !v.is_nil() {
                set(a + 2, v);
                let to = pc.wrapping_add(1).wrapping_offset(ins.sbx() as isize);
                l.regs.pc = to as u64;
                return Ok(STATUS_LOOP);
            }
        }
        Op::SetList => {
            let t = get(a);
            let n = if ins.b() == 0 { to_top(l, r(a)) - 1 } else { ins.b() as usize };
            let first = ins.c() as i64;
            let tab = obj::table(t);
            for i in 1..=n {
                tab.set_int(first + i as i64, get(a + i as u16));
            }
        }
        Op::Closure => {
            let f = unsafe { *ci_func(l) };
            let c = super::closure::new_closure(l, p.protos[ins.bx() as usize], base, f);
            set(a, c);
        }
        Op::VarArg => {
            let t = call::thread_mut(l);
            let ci = t.ci.last().expect("a frame");
            let nv = ci.nvarargs as usize;
            let from = ci.func.wrapping_sub(nv);
            let want = if ins.c() == 0 { nv } else { ins.c() as usize - 1 };
            let dst = r(a);
            if dst.wrapping_add(want) >= t.limit() {
                return Err(rt_error(l, "stack overflow"));
            }
            for i in 0..want {
                // SAFETY: varargs sit below the frame; the destination is checked above.
                unsafe { *dst.add(i) = if i < nv { *from.add(i) } else { TValue::nil() } };
            }
            if ins.c() == 0 {
                t.top = dst.wrapping_add(want);
                t.touch(t.top);
            }
        }
        Op::VarArgPrep => {}
    }
    Ok(STATUS_NEXT)
}

/// Values from `from` up to the thread's top (a variable-count list: CALL/RETURN/SETLIST
/// with a zero count).
fn to_top(l: &State, from: *mut TValue) -> usize {
    (call::thread_mut(l).top as usize - from as usize) / std::mem::size_of::<TValue>()
}

/// The running frame's function slot.
fn ci_func(l: &State) -> *mut TValue {
    call::thread_mut(l).ci.last().expect("a frame").func
}

fn upval_info(p: &crate::state::FuncProto, i: u16) -> Option<String> {
    p.upval_names.get(i as usize).map(|n| {
        if n == "_ENV" {
            "global".to_string()
        } else {
            format!("upvalue '{n}'")
        }
    })
}

/// Stores a value result, or calls the metamethod that produces it.
fn finish_get(l: &mut State, o: Outcome, dst: *mut TValue) -> LResult<u64> {
    match o {
        Outcome::Value(v) => {
            // SAFETY: `dst` is a register of the running frame.
            unsafe { *dst = v };
            Ok(STATUS_NEXT)
        }
        Outcome::Meta(m, x, y) => meta_call(l, m, &[x, y], dst, 1, FrameKind::Lua),
        Outcome::NotMeta(..) => unreachable!("only comparisons negate"),
    }
}

fn finish_set(l: &mut State, o: SetOutcome) -> LResult<u64> {
    match o {
        SetOutcome::Done => Ok(STATUS_NEXT),
        SetOutcome::Meta(h, t, k, v) => meta_call(l, h, &[t, k, v], std::ptr::null_mut(), 0, FrameKind::Lua),
    }
}

/// Calls metamethod `m` with `args` above the running frame; the result goes to `dst`.
pub(crate) fn meta_call(
    l: &mut State,
    m: TValue,
    args: &[TValue],
    dst: *mut TValue,
    nres: i32,
    kind: FrameKind,
) -> LResult<u64> {
    let t = call::thread_mut(l);
    let ci = *t.ci.last().expect("a frame");
    let at = ci.top.max(t.top);
    if at.wrapping_add(args.len() + 1) >= t.limit() {
        return Err(rt_error(l, "stack overflow"));
    }
    // SAFETY: above the running frame and below the stack's limit (checked).
    unsafe {
        *at = m;
        std::ptr::copy_nonoverlapping(args.as_ptr(), at.add(1), args.len());
    }
    t.touch(at.wrapping_add(args.len() + 1));
    let dst = if dst.is_null() { at } else { dst };
    call::call(l, at, args.len(), dst, nres, kind)
}

/// CONCAT of `n` values from register `a`, right to left; a `__concat` metamethod on the
/// way is called with a `Concat` continuation that comes back here.
pub(crate) fn concat(l: &mut State, a: u16, n: u16) -> LResult<u64> {
    let t = call::thread_mut(l);
    let ci = *t.ci.last().expect("a frame");
    let base = ci.base;
    let mut n = n as usize;
    // SAFETY: registers a..a+n of the running frame.
    let reg = |i: usize| unsafe { *base.add(a as usize + i) };
    // Strings and numbers concatenate as they are.
    let basic = |v: TValue| matches!(v.tag, T_STR | T_INT | T_FLOAT);
    while n > 1 {
        let (x, y) = (reg(n - 2), reg(n - 1));
        match (basic(x), basic(y)) {
            (true, true) => {
                // As many string/number operands as there are, from the right, at once.
                let mut k = n - 1;
                while k > 0 && basic(reg(k - 1)) {
                    k -= 1;
                }
                let mut buf = Vec::new();
                // Numbers take at most 24 bytes ("%.14g" or an integer).
                let total: usize =
                    (k..n).map(|i| if reg(i).tag == T_STR { obj::str_bytes(reg(i)).len() } else { 24 }).sum();
                if buf.try_reserve_exact(total).is_err() {
                    crate::gc::out_of_memory();
                }
                for i in k..n {
                    let v = reg(i);
                    if v.tag == T_STR {
                        buf.extend_from_slice(obj::str_bytes(v));
                    } else {
                        buf.extend_from_slice(crate::number::fmt_number(v).as_bytes());
                    }
                }
                let s = l.heap.str_value(&buf);
                // SAFETY: as above.
                unsafe { *base.add(a as usize + k) = s };
                n = k + 1;
            }
            _ => {
                let mut m = obj::metamethod(l, x, "__concat");
                if m.is_nil() {
                    m = obj::metamethod(l, y, "__concat");
                }
                if m.is_nil() {
                    let bad = if !basic(x) { (x, n - 2) } else { (y, n - 1) };
                    // SAFETY: the frame's prototype lives for the state's life.
                    let p = unsafe { &*ci.proto };
                    let info = reg_info(p, p.index_of(ci.pc), a + bad.1 as u16);
                    return Err(arith::type_error(l, bad.0, "concatenate", info));
                }
                let dst = base.wrapping_add(a as usize + n - 2);
                return meta_call(l, m, &[x, y], dst, 1, FrameKind::Concat { a, n: n as u16 });
            }
        }
    }
    // The result is in R[a].
    Ok(STATUS_NEXT)
}

/// Closes the innermost to-be-closed variable at or above `level`, if any: calls its
/// `__close(v, nil)` above the frame (and so above `keep`, which is at most the frame's or
/// the thread's top), after which the instruction runs again (`FrameKind::Close`) with the
/// thread's top at `keep`.
fn close_tbc(l: &mut State, level: *mut TValue, keep: *mut TValue) -> LResult<Option<u64>> {
    let t = call::thread_mut(l);
    match t.tbc.last() {
        Some(&slot) if slot >= level => {
            t.tbc.pop();
            // SAFETY: a tbc slot is a register of a live frame at or above `level`.
            let v = unsafe { *slot };
            let m = obj::metamethod(l, v, "__close");
            if m.is_nil() {
                return Ok(None);
            }
            Ok(Some(meta_call(l, m, &[v, TValue::nil()], keep, 0, FrameKind::Close)?))
        }
        _ => Ok(None),
    }
}

/// Calls the prelude's finalizer runner before the instruction the frame is at, which then
/// runs again (`FrameKind::Close`, keeping the thread's top).
fn run_finalizers(l: &mut State) -> LResult<Option<u64>> {
    let r = l.registry;
    let runner = crate::stdlib::get_field(l, r, crate::stdlib::base::FINALIZER_RUNNER);
    if runner.is_nil() {
        return Ok(None);
    }
    let t = call::thread_mut(l);
    let ci = *t.ci.last().expect("a frame");
    let keep = t.top;
    let at = ci.top.max(t.top);
    if at.wrapping_add(1) >= t.limit() {
        return Ok(None);
    }
    // SAFETY: above the frame, below the stack's limit (checked).
    unsafe { *at = runner };
    t.touch(at.wrapping_add(1));
    Ok(Some(call::call(l, at, 0, keep, 0, FrameKind::Close)?))
}
