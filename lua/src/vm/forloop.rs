//! The numeric `for` exactly as Lua 5.4 runs it: an integer loop precomputes its iteration
//! count (so it never overflows), a float loop steps a float.

use crate::bytecode::Ins;
use crate::state::{LResult, State};
use crate::value::*;
use crate::vm::error::rt_error;
use crate::vm::program::{STATUS_LOOP, STATUS_NEXT, STATUS_RELOAD};

fn jump(l: &mut State, pc: *const u64, sbx: i32, extra: isize) -> *const u64 {
    let to = pc.wrapping_add(1).wrapping_offset(sbx as isize + extra);
    l.regs.pc = to as u64;
    to
}

/// A for-loop operand as a number ("'for' initial value must be a number").
fn num(l: &mut State, v: TValue, what: &str) -> LResult<TValue> {
    match v.tag {
        T_INT | T_FLOAT => Ok(v),
        T_STR if crate::number::str2number(super::obj::str_bytes(v)).is_some() => {
            Ok(crate::number::str2number(super::obj::str_bytes(v)).expect("checked"))
        }
        _ => {
            let tn = crate::vm::arith::type_name_meta(l, v);
            Err(rt_error(l, &format!("bad 'for' {what} (number expected, got {tn})")))
        }
    }
}

/// FORPREP A sBx.
pub(crate) fn prep(l: &mut State, pc: *const u64, ins: Ins, base: *mut TValue) -> LResult<u64> {
    let ra = base.wrapping_add(ins.a() as usize);
    // SAFETY: R[A]..R[A+3] are registers of the running frame.
    let (init, limit, step) = unsafe { (*ra, *ra.add(1), *ra.add(2)) };
    if init.tag == T_INT && step.tag == T_INT {
        let (i, s) = (init.val as i64, step.val as i64);
        if s == 0 {
            return Err(rt_error(l, "'for' step is zero"));
        }
        let lim = num(l, limit, "limit")?;
        // The limit clipped to an integer (floor for a positive step, ceil for negative).
        let (lim, skip) = match lim.tag {
            T_INT => (lim.val as i64, false),
            _ => {
                let f = f64::from_bits(lim.val);
                if f.is_nan() {
                    (0, true)
                } else if s > 0 {
                    let fl = f.floor();
                    if fl >= 9.223_372_036_854_776e18 {
                        (i64::MAX, false)
                    } else if fl < -9.223_372_036_854_776e18 {
                        (0, true)
                    } else {
                        (fl as i64, false)
                    }
                } else {
                    let c = f.ceil();
                    if c < -9.223_372_036_854_776e18 {
                        (i64::MIN, false)
                    } else if c >= 9.223_372_036_854_776e18 {
                        (0, true)
                    } else {
                        (c as i64, false)
                    }
                }
            }
        };
        if skip || (s > 0 && i > lim) || (s < 0 && i < lim) {
            jump(l, pc, ins.sbx(), 1);
            return Ok(STATUS_RELOAD);
        }
        // The iteration count, unsigned as lua5.4 computes it.
        let count = if s > 0 {
            ((lim as u64).wrapping_sub(i as u64)) / s as u64
        } else {
            ((i as u64).wrapping_sub(lim as u64)) / ((-(s + 1)) as u64 + 1)
        };
        // SAFETY: as above.
        unsafe {
            *ra.add(1) = TValue::int(count as i64);
            *ra.add(3) = TValue::int(i);
        }
        return Ok(STATUS_NEXT);
    }
    let lim = num(l, limit, "limit")?;
    let st = num(l, step, "step")?;
    let ini = num(l, init, "initial value")?;
    let (fi, fl, fs) = (ini.as_f64().unwrap(), lim.as_f64().unwrap(), st.as_f64().unwrap());
    if fs == 0.0 {
        return Err(rt_error(l, "'for' step is zero"));
    }
    if (fs > 0.0 && fi.partial_cmp(&fl).is_none_or(|o| o.is_gt()))
        || (fs < 0.0 && fl.partial_cmp(&fi).is_none_or(|o| o.is_gt()))
    {
        jump(l, pc, ins.sbx(), 1);
        return Ok(STATUS_RELOAD);
    }
    // SAFETY: as above.
    unsafe {
        *ra = TValue::float(fi);
        *ra.add(1) = TValue::float(fl);
        *ra.add(2) = TValue::float(fs);
        *ra.add(3) = TValue::float(fi);
    }
    Ok(STATUS_NEXT)
}

/// FORLOOP A sBx.
pub(crate) fn step(l: &mut State, pc: *const u64, ins: Ins, base: *mut TValue) -> LResult<u64> {
    let ra = base.wrapping_add(ins.a() as usize);
    // SAFETY: R[A]..R[A+3] are registers of the running frame.
    unsafe {
        if (*ra.add(2)).tag == T_INT {
            let count = (*ra.add(1)).val;
            if count == 0 {
                return Ok(STATUS_NEXT);
            }
            (*ra.add(1)).val = count - 1;
            let i = ((*ra).val as i64).wrapping_add((*ra.add(2)).val as i64);
            *ra = TValue::int(i);
            *ra.add(3) = TValue::int(i);
        } else {
            let s = f64::from_bits((*ra.add(2)).val);
            let lim = f64::from_bits((*ra.add(1)).val);
            let i = f64::from_bits((*ra).val) + s;
            let go = if s > 0.0 { i <= lim } else { lim <= i };
            if !go {
                return Ok(STATUS_NEXT);
            }
            *ra = TValue::float(i);
            *ra.add(3) = TValue::float(i);
        }
    }
    jump(l, pc, ins.sbx(), 0);
    Ok(STATUS_LOOP)
}
