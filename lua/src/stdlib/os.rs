//! `os` and `io.write` (the parts a program needs first).

use super::{push, reg};
use crate::state::{LResult, State};
use crate::value::*;

pub(crate) fn open(l: &mut State) {
    let t = super::lib_table(l, "os");
    reg(l, t, "clock", clock);
    reg(l, t, "time", time);
    reg(l, t, "getenv", getenv);
    reg(l, t, "exit", exit);
    reg(l, t, "date", date);
    reg(l, t, "remove", remove);
    reg(l, t, "rename", rename);
    reg(l, t, "tmpname", tmpname);
    reg(l, t, "difftime", difftime);
}

fn getenv(l: &mut State, args: &[TValue]) -> LResult<()> {
    let k = String::from_utf8_lossy(&super::check_str(l, args, 0, "getenv")?).into_owned();
    match std::env::var_os(&k) {
        Some(v) => super::push_str(l, v.to_string_lossy().as_bytes()),
        None => push(l, TValue::nil()),
    }
    Ok(())
}

fn exit(l: &mut State, args: &[TValue]) -> LResult<()> {
    let v = super::arg(args, 0);
    let code = match v.tag {
        T_NIL | T_TRUE => 0,
        T_FALSE => 1,
        _ => super::check_int(l, args, 0, "exit")? as i32,
    };
    l.flush_out();
    std::process::exit(code);
}

fn date(l: &mut State, args: &[TValue]) -> LResult<()> {
    let fmt = if super::arg(args, 0).is_nil() {
        b"%c".to_vec()
    } else {
        super::check_str(l, args, 0, "date")?.into_owned()
    };
    let t = if super::arg(args, 1).is_nil() {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0)
    } else {
        super::check_int(l, args, 1, "date")?
    };
    let (utc, fmt) = match fmt.strip_prefix(b"!") {
        Some(f) => (true, f.to_vec()),
        None => (false, fmt),
    };
    let tt = t as libc::time_t;
    // SAFETY: `tm` is plain data the *_r functions fill; `tt` is a valid time_t.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    unsafe {
        if utc {
            libc::gmtime_r(&tt, &mut tm);
        } else {
            libc::localtime_r(&tt, &mut tm);
        }
    }
    if fmt.starts_with(b"*t") {
        let tab = crate::vm::obj::new_table(l, 0, 9);
        let tp = tab.val as *mut crate::table::Table;
        for (k, v) in [
            ("year", tm.tm_year as i64 + 1900),
            ("month", tm.tm_mon as i64 + 1),
            ("day", tm.tm_mday as i64),
            ("hour", tm.tm_hour as i64),
            ("min", tm.tm_min as i64),
            ("sec", tm.tm_sec as i64),
            ("wday", tm.tm_wday as i64 + 1),
            ("yday", tm.tm_yday as i64 + 1),
        ] {
            super::set_field(l, tp, k, TValue::int(v));
        }
        super::set_field(l, tp, "isdst", TValue::boolean(tm.tm_isdst > 0));
        push(l, tab);
        return Ok(());
    }
    let mut cfmt = fmt.clone();
    cfmt.push(0);
    let mut buf = vec![0u8; 512];
    // SAFETY: `buf` has the length given; `cfmt` is NUL-terminated; `tm` was filled above.
    let n = unsafe {
        libc::strftime(
            buf.as_mut_ptr() as *mut libc::c_char,
            buf.len(),
            cfmt.as_ptr() as *const libc::c_char,
            &tm,
        )
    };
    super::push_str(l, &buf[..n]);
    Ok(())
}

fn remove(l: &mut State, args: &[TValue]) -> LResult<()> {
    let p = String::from_utf8_lossy(&super::check_str(l, args, 0, "remove")?).into_owned();
    match std::fs::remove_file(&p).or_else(|_| std::fs::remove_dir(&p)) {
        Ok(()) => push(l, TValue::boolean(true)),
        Err(e) => {
            push(l, TValue::nil());
            super::push_str(l, format!("{p}: {}", errno_text(&e)).as_bytes());
        }
    }
    Ok(())
}

fn rename(l: &mut State, args: &[TValue]) -> LResult<()> {
    let a = String::from_utf8_lossy(&super::check_str(l, args, 0, "rename")?).into_owned();
    let b = String::from_utf8_lossy(&super::check_str(l, args, 1, "rename")?).into_owned();
    match std::fs::rename(&a, &b) {
        Ok(()) => push(l, TValue::boolean(true)),
        Err(e) => {
            push(l, TValue::nil());
            super::push_str(l, format!("{a}: {}", errno_text(&e)).as_bytes());
        }
    }
    Ok(())
}

fn tmpname(l: &mut State, _: &[TValue]) -> LResult<()> {
    let n = format!("/tmp/lua_{:x}_{}", std::process::id(), l.heap.allocated());
    super::push_str(l, n.as_bytes());
    Ok(())
}

fn difftime(l: &mut State, args: &[TValue]) -> LResult<()> {
    let a = super::check_num(l, args, 0, "difftime")?.as_f64().unwrap_or(0.0);
    let b = if super::arg(args, 1).is_nil() {
        0.0
    } else {
        super::check_num(l, args, 1, "difftime")?.as_f64().unwrap_or(0.0)
    };
    push(l, TValue::float(a - b));
    Ok(())
}

fn clock(l: &mut State, _: &[TValue]) -> LResult<()> {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `ts` is a valid timespec to write; the clock id is a constant Linux knows.
    unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) };
    let c = ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9;
    push(l, TValue::float(c));
    Ok(())
}

fn time(l: &mut State, args: &[TValue]) -> LResult<()> {
    let t = super::arg(args, 0);
    if t.tag == T_TABLE {
        let tp = t.val as *mut crate::table::Table;
        let field = |l: &mut State, k: &str, def: Option<i64>| -> LResult<i64> {
            let v = super::get_field(l, tp, k);
            match v.tag {
                T_INT => Ok(v.val as i64),
                T_FLOAT => crate::number::float_to_int_exact(f64::from_bits(v.val))
                    .ok_or_else(|| crate::vm::error::rt_error(l, &format!("field '{k}' is not an integer"))),
                T_NIL => def.ok_or_else(|| {
                    crate::vm::error::rt_error(l, &format!("field '{k}' missing in date table"))
                }),
                _ => Err(crate::vm::error::rt_error(l, &format!("field '{k}' is not an integer"))),
            }
        };
        // SAFETY: `tm` is plain data; every field mktime reads is set below.
        let mut tm: libc::tm = unsafe { std::mem::zeroed() };
        tm.tm_year = (field(l, "year", None)? - 1900) as i32;
        tm.tm_mon = (field(l, "month", None)? - 1) as i32;
        tm.tm_mday = field(l, "day", None)? as i32;
        tm.tm_hour = field(l, "hour", Some(12))? as i32;
        tm.tm_min = field(l, "min", Some(0))? as i32;
        tm.tm_sec = field(l, "sec", Some(0))? as i32;
        let dst = super::get_field(l, tp, "isdst");
        tm.tm_isdst = if dst.is_nil() { -1 } else { (!dst.is_falsy()) as i32 };
        // SAFETY: `tm` is a valid, fully initialized struct tm.
        let r = unsafe { libc::mktime(&mut tm) };
        push(l, TValue::int(r as i64));
        return Ok(());
    }
    let s =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    push(l, TValue::int(s as i64));
    Ok(())
}

/// The text C's strerror gives for an I/O error (what lua5.4 puts in its messages).
pub(crate) fn errno_text(e: &std::io::Error) -> String {
    match e.raw_os_error() {
        Some(code) => {
            // SAFETY: strerror returns a pointer to a NUL-terminated static or thread-local
            // string, read at once.
            let p = unsafe { libc::strerror(code) };
            // SAFETY: as above, non-null for any code on glibc.
            unsafe { std::ffi::CStr::from_ptr(p) }.to_string_lossy().into_owned()
        }
        None => e.to_string(),
    }
}
