//! The `io` library: standard streams and files as userdata with a shared metatable.

use std::io::{BufRead, BufReader, Seek, SeekFrom, Write};

use super::{arg, arg_error, check_str, push, push_str, reg};
use crate::gc::Userdata;
use crate::state::{LResult, LuaError, State};
use crate::value::*;
use crate::vm::obj;

/// A file handle's payload.
pub enum LuaFile {
    Stdout,
    Stderr,
    Stdin(BufReader<std::io::Stdin>),
    Read(BufReader<std::fs::File>),
    Write(std::io::BufWriter<std::fs::File>),
    Closed,
}

fn file_of<'a>(v: TValue) -> Option<&'a mut LuaFile> {
    if v.tag != T_USERDATA {
        return None;
    }
    // SAFETY: a userdata value points at a live userdata.
    let u = unsafe { &mut *(v.val as *mut Userdata) };
    u.payload.downcast_mut::<LuaFile>()
}

fn new_file(l: &mut State, f: LuaFile) -> TValue {
    let u = l.heap.new_userdata(Box::new(f), None);
    // SAFETY: just made.
    unsafe { (*u).meta = l.file_meta };
    TValue::userdata(u)
}

pub(crate) fn open(l: &mut State) {
    let io = super::lib_table(l, "io");
    let mt = l.heap.new_table(0, 8);
    let methods = l.heap.new_table(0, 8);
    super::set_field(l, mt, "__index", TValue::table(methods));
    let name = l.str("FILE*");
    super::set_field(l, mt, "__name", name);
    reg(l, mt, "__tostring", file_tostring);
    l.file_meta = mt;
    l.heap.pin(mt);
    reg(l, methods, "write", f_write);
    reg(l, methods, "read", f_read);
    reg(l, methods, "lines", f_lines);
    reg(l, methods, "close", f_close);
    reg(l, methods, "flush", f_flush);
    reg(l, methods, "seek", f_seek);
    reg(l, methods, "setvbuf", f_setvbuf);
    let so = new_file(l, LuaFile::Stdout);
    let se = new_file(l, LuaFile::Stderr);
    let si = new_file(l, LuaFile::Stdin(BufReader::new(std::io::stdin())));
    super::set_field(l, io, "stdout", so);
    super::set_field(l, io, "stderr", se);
    super::set_field(l, io, "stdin", si);
    l.stdout_value = so;
    l.stdin_value = si;
    reg(l, io, "write", io_write);
    reg(l, io, "read", io_read);
    reg(l, io, "lines", io_lines);
    reg(l, io, "open", io_open);
    reg(l, io, "close", io_close);
    reg(l, io, "type", io_type);
    reg(l, io, "output", io_output);
    reg(l, io, "input", io_input);
}

fn file_tostring(l: &mut State, args: &[TValue]) -> LResult<()> {
    let v = arg(args, 0);
    let s = match file_of(v) {
        Some(LuaFile::Closed) => "file (closed)".to_string(),
        _ => format!("file (0x{:014x})", v.val),
    };
    push_str(l, s.as_bytes());
    Ok(())
}

fn write_values(l: &mut State, f: TValue, args: &[TValue], first: usize, fname: &str) -> LResult<()> {
    for (i, v) in args.iter().enumerate().skip(first) {
        let bytes = if v.tag == T_FLOAT {
            crate::number::c_format_float(b"%.14g\0", f64::from_bits(v.val))
        } else {
            check_str(l, args, i, fname)?.into_owned()
        };
        match file_of(f) {
            Some(LuaFile::Stdout) => l.write_out(&bytes),
            Some(LuaFile::Stderr) => {
                l.flush_out();
                let _ = std::io::stderr().write_all(&bytes);
            }
            Some(LuaFile::Write(w)) => {
                let _ = w.write_all(&bytes);
            }
            _ => {
                push(l, TValue::nil());
                push_str(l, b"file not writable");
                return Ok(());
            }
        }
    }
    push(l, f);
    Ok(())
}

fn io_write(l: &mut State, args: &[TValue]) -> LResult<()> {
    let out = l.stdout_value;
    write_values(l, out, args, 0, "write")
}

fn check_file(l: &mut State, args: &[TValue], fname: &str) -> LResult<TValue> {
    let f = arg(args, 0);
    match file_of(f) {
        Some(LuaFile::Closed) => Err(crate::vm::error::rt_error(l, "attempt to use a closed file")),
        Some(_) => Ok(f),
        None => Err(super::type_expected(l, args, 0, fname, "FILE*")),
    }
}

fn f_write(l: &mut State, args: &[TValue]) -> LResult<()> {
    let f = check_file(l, args, "write")?;
    write_values(l, f, args, 1, "write")
}

/// Reads one item in `fmt` ("l", "L", "n", "a", or a count) from `f`.
fn read_one(l: &mut State, f: TValue, fmt: TValue) -> LResult<TValue> {
    if f.val == l.stdin_value.val {
        l.flush_out();
    }
    let r: &mut dyn BufRead = match file_of(f) {
        Some(LuaFile::Stdin(r)) => r,
        Some(LuaFile::Read(r)) => r,
        _ => return Ok(TValue::nil()),
    };
    if fmt.tag == T_INT || fmt.tag == T_FLOAT {
        let n = fmt.as_f64().unwrap_or(0.0) as usize;
        let mut buf = vec![0u8; n];
        let mut got = 0;
        while got < n {
            match r.read(&mut buf[got..]) {
                Ok(0) | Err(_) => break,
                Ok(k) => got += k,
            }
        }
        if got == 0 && n > 0 {
            return Ok(TValue::nil());
        }
        buf.truncate(got);
        return Ok(l.heap.str_value(&buf));
    }
    let spec = if fmt.tag == T_STR { obj::str_bytes(fmt).to_vec() } else { b"l".to_vec() };
    let spec: &[u8] = spec.strip_prefix(b"*").unwrap_or(&spec);
    match spec.first() {
        Some(b'l') | Some(b'L') => {
            let mut line = Vec::new();
            let n = r.read_until(b'\n', &mut line).unwrap_or(0);
            if n == 0 {
                return Ok(TValue::nil());
            }
            if spec[0] == b'l' && line.last() == Some(&b'\n') {
                line.pop();
            }
            Ok(l.heap.str_value(&line))
        }
        Some(b'a') => {
            let mut all = Vec::new();
            let _ = r.read_to_end(&mut all);
            Ok(l.heap.str_value(&all))
        }
        Some(b'n') => {
            let mut tok = Vec::new();
            // Skip spaces, then take a number-looking token.
            loop {
                let buf = r.fill_buf().unwrap_or(&[]);
                if buf.is_empty() {
                    break;
                }
                let c = buf[0];
                if tok.is_empty() && c.is_ascii_whitespace() {
                    r.consume(1);
                    continue;
                }
                if c.is_ascii_alphanumeric() || c == b'.' || c == b'-' || c == b'+' {
                    tok.push(c);
                    r.consume(1);
                } else {
                    break;
                }
            }
            Ok(crate::number::str2number(&tok).unwrap_or_default())
        }
        _ => Err(crate::vm::error::rt_error(l, "bad argument #1 to 'read' (invalid format)")),
    }
}

fn read_fmts(l: &mut State, f: TValue, fmts: &[TValue]) -> LResult<()> {
    if fmts.is_empty() {
        let v = read_one(l, f, TValue::nil())?;
        push(l, v);
        return Ok(());
    }
    for &fm in fmts {
        let v = read_one(l, f, fm)?;
        let stop = v.is_nil();
        push(l, v);
        if stop {
            break;
        }
    }
    Ok(())
}

fn io_read(l: &mut State, args: &[TValue]) -> LResult<()> {
    let f = l.stdin_value;
    read_fmts(l, f, args)
}

fn f_read(l: &mut State, args: &[TValue]) -> LResult<()> {
    let f = check_file(l, args, "read")?;
    read_fmts(l, f, &args[1..])
}

/// The iterator `lines` returns: upvalues are the file, whether to close it at the end,
/// and the format.
fn lines_step(l: &mut State, _: &[TValue]) -> LResult<()> {
    let me = l.current_native;
    let ups = obj::native(me).upvals.clone();
    if matches!(file_of(ups[0]), Some(LuaFile::Closed)) {
        return Err(crate::vm::error::rt_error(l, "file is already closed"));
    }
    let v = read_one(l, ups[0], ups[2])?;
    if v.is_nil() && !ups[1].is_falsy() {
        if let Some(f) = file_of(ups[0]) {
            *f = LuaFile::Closed;
        }
    }
    push(l, v);
    Ok(())
}

fn f_lines(l: &mut State, args: &[TValue]) -> LResult<()> {
    let f = check_file(l, args, "lines")?;
    let it = obj::new_native(l, lines_step, "lines", vec![f, TValue::boolean(false), arg(args, 1)]);
    push(l, it);
    Ok(())
}

fn open_file(path: &str, mode: &[u8]) -> std::io::Result<LuaFile> {
    let m = mode.strip_suffix(b"b").unwrap_or(mode);
    Ok(match m {
        b"r" => LuaFile::Read(BufReader::new(std::fs::File::open(path)?)),
        b"w" => LuaFile::Write(std::io::BufWriter::new(std::fs::File::create(path)?)),
        b"a" => LuaFile::Write(std::io::BufWriter::new(
            std::fs::OpenOptions::new().append(true).create(true).open(path)?,
        )),
        _ => LuaFile::Read(BufReader::new(std::fs::OpenOptions::new().read(true).write(true).open(path)?)),
    })
}

fn io_lines(l: &mut State, args: &[TValue]) -> LResult<()> {
    if arg(args, 0).is_nil() {
        let f = l.stdin_value;
        let it = obj::new_native(l, lines_step, "lines", vec![f, TValue::boolean(false), arg(args, 1)]);
        push(l, it);
        return Ok(());
    }
    let path = String::from_utf8_lossy(&check_str(l, args, 0, "lines")?).into_owned();
    match open_file(&path, b"r") {
        Ok(lf) => {
            let f = new_file(l, lf);
            let it = obj::new_native(l, lines_step, "lines", vec![f, TValue::boolean(true), arg(args, 1)]);
            push(l, it);
            Ok(())
        }
        Err(e) => {
            let m = format!("{path}: {}", super::os::errno_text(&e));
            Err(crate::vm::error::rt_error(l, &m))
        }
    }
}

fn io_open(l: &mut State, args: &[TValue]) -> LResult<()> {
    let path = String::from_utf8_lossy(&check_str(l, args, 0, "open")?).into_owned();
    let mode =
        if arg(args, 1).is_nil() { b"r".to_vec() } else { check_str(l, args, 1, "open")?.into_owned() };
    let valid = matches!(
        &mode[..],
        b"r" | b"w" | b"a" | b"r+" | b"w+" | b"a+" | b"rb" | b"wb" | b"ab" | b"r+b" | b"w+b" | b"a+b"
    );
    if !valid {
        return Err(arg_error(l, 1, "open", "invalid mode"));
    }
    match open_file(&path, &mode) {
        Ok(lf) => {
            let f = new_file(l, lf);
            push(l, f);
        }
        Err(e) => {
            push(l, TValue::nil());
            let m = format!("{path}: {}", super::os::errno_text(&e));
            push_str(l, m.as_bytes());
            push(l, TValue::int(e.raw_os_error().unwrap_or(0) as i64));
        }
    }
    Ok(())
}

fn close_value(l: &mut State, f: TValue) -> LResult<()> {
    match file_of(f) {
        Some(LuaFile::Stdout) | Some(LuaFile::Stderr) | Some(LuaFile::Stdin(_)) => {
            push(l, TValue::nil());
            push_str(l, b"cannot close standard file");
        }
        Some(lf) => {
            if let LuaFile::Write(w) = lf {
                let _ = w.flush();
            }
            *lf = LuaFile::Closed;
            push(l, TValue::boolean(true));
        }
        None => return Err(LuaError(l.str("bad argument #1 to 'close' (FILE* expected)"))),
    }
    Ok(())
}

fn f_close(l: &mut State, args: &[TValue]) -> LResult<()> {
    let f = check_file(l, args, "close")?;
    close_value(l, f)
}

fn io_close(l: &mut State, args: &[TValue]) -> LResult<()> {
    let f = if arg(args, 0).is_nil() { l.stdout_value } else { check_file(l, args, "close")? };
    close_value(l, f)
}

fn f_flush(l: &mut State, args: &[TValue]) -> LResult<()> {
    let f = check_file(l, args, "flush")?;
    match file_of(f) {
        Some(LuaFile::Stdout) => l.flush_out(),
        Some(LuaFile::Write(w)) => {
            let _ = w.flush();
        }
        _ => {}
    }
    push(l, f);
    Ok(())
}

fn f_seek(l: &mut State, args: &[TValue]) -> LResult<()> {
    let f = check_file(l, args, "seek")?;
    let whence =
        if arg(args, 1).is_nil() { b"cur".to_vec() } else { check_str(l, args, 1, "seek")?.into_owned() };
    let off = super::opt_int(l, args, 2, "seek", 0)?;
    let pos = match &whence[..] {
        b"set" => SeekFrom::Start(off as u64),
        b"end" => SeekFrom::End(off),
        _ => SeekFrom::Current(off),
    };
    let r = match file_of(f) {
        Some(LuaFile::Read(r)) => r.seek(pos).ok(),
        Some(LuaFile::Write(w)) => w.seek(pos).ok(),
        _ => None,
    };
    match r {
        Some(p) => push(l, TValue::int(p as i64)),
        None => push(l, TValue::nil()),
    }
    Ok(())
}

fn f_setvbuf(l: &mut State, _: &[TValue]) -> LResult<()> {
    push(l, TValue::boolean(true));
    Ok(())
}

fn io_type(l: &mut State, args: &[TValue]) -> LResult<()> {
    let r = match file_of(arg(args, 0)) {
        Some(LuaFile::Closed) => l.str("closed file"),
        Some(_) => l.str("file"),
        None => TValue::nil(),
    };
    push(l, r);
    Ok(())
}

fn io_output(l: &mut State, _: &[TValue]) -> LResult<()> {
    let f = l.stdout_value;
    push(l, f);
    Ok(())
}

fn io_input(l: &mut State, _: &[TValue]) -> LResult<()> {
    let f = l.stdin_value;
    push(l, f);
    Ok(())
}
