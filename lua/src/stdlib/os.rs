//! `os` and `io.write` (the parts a program needs first).

use super::{push, reg};
use crate::state::{LResult, State};
use crate::value::*;

pub fn open(l: &mut State) {
    let t = super::lib_table(l, "os");
    reg(l, t, "clock", clock);
    reg(l, t, "time", time);
    let io = super::lib_table(l, "io");
    reg(l, io, "write", write);
}

fn clock(l: &mut State, _: &[TValue]) -> LResult<()> {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `ts` is a valid timespec to write; the clock id is a constant Linux knows.
    unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) };
    let c = ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9;
    push(l, TValue::float(c));
    Ok(())
}

fn time(l: &mut State, _: &[TValue]) -> LResult<()> {
    let s =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    push(l, TValue::int(s as i64));
    Ok(())
}

fn write(l: &mut State, args: &[TValue]) -> LResult<()> {
    for (i, v) in args.iter().enumerate() {
        // io.write prints floats with the bare "%.14g" (no ".0", unlike tostring).
        if v.tag == T_FLOAT {
            let s = crate::number::c_format_float(b"%.14g\0", f64::from_bits(v.val));
            l.write_out(&s);
            continue;
        }
        let s = super::check_str(l, args, i, "write")?.into_owned();
        l.write_out(&s);
    }
    Ok(())
}

/// The text C's strerror gives for an I/O error (what lua5.4 puts in its messages).
pub fn errno_text(e: &std::io::Error) -> String {
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
