//! `string.format`, with Lua 5.4's (5.4.4's) rules for which flags each conversion takes and
//! its error messages. The numeric conversions go through C's `snprintf`, so the digits are
//! exactly C's (and Lua's).

use crate::number::{float_to_int_exact, str2number};
use crate::value::{T_FLOAT, T_INT};

/// One argument, as the VM hands it over. For `%s` the VM passes the `tostring` result
/// (it alone can call `__tostring`), for the others the raw value.
#[derive(Clone, Debug, PartialEq)]
pub enum FmtArg {
    /// No argument at this position ("no value").
    None,
    Nil,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(Vec<u8>),
    /// Any other value: its type name and address (for `%p` and a fallback `%s`).
    Obj(&'static str, usize),
}

impl FmtArg {
    fn type_name(&self) -> &'static str {
        match self {
            FmtArg::None => "no value",
            FmtArg::Nil => "nil",
            FmtArg::Bool(_) => "boolean",
            FmtArg::Int(_) | FmtArg::Float(_) => "number",
            FmtArg::Str(_) => "string",
            FmtArg::Obj(t, _) => t,
        }
    }
}

/// The longest conversion spec (flags, width, precision and the conversion character).
const MAX_SPEC: usize = 21;

fn arg_error(n: usize, msg: &str) -> String {
    format!("bad argument #{n} to 'format' ({msg})")
}

/// Runs C's snprintf on `form` (NUL-terminated) with one argument.
fn c_fmt(out: &mut Vec<u8>, form: &[u8], arg: CArg) {
    let mut buf = vec![0u8; 512];
    loop {
        // SAFETY: `form` is NUL-terminated and validated to hold exactly one conversion
        // whose type matches `arg` (ll-integers, doubles, NUL-terminated C strings, ints,
        // pointers that %p only prints); snprintf writes at most `buf.len()` bytes.
        let n = unsafe {
            let (b, f) = (buf.as_mut_ptr() as *mut libc::c_char, form.as_ptr() as *const libc::c_char);
            match arg {
                CArg::I(i) => libc::snprintf(b, buf.len(), f, i as libc::c_longlong),
                CArg::F(x) => libc::snprintf(b, buf.len(), f, x),
                CArg::C(c) => libc::snprintf(b, buf.len(), f, c),
                CArg::S(s) => libc::snprintf(b, buf.len(), f, s),
                CArg::P(p) => libc::snprintf(b, buf.len(), f, p),
            }
        };
        let n = n.max(0) as usize;
        if n < buf.len() {
            out.extend_from_slice(&buf[..n]);
            return;
        }
        buf.resize(n + 1, 0);
    }
}

#[derive(Clone, Copy)]
enum CArg {
    I(i64),
    F(f64),
    C(libc::c_int),
    S(*const libc::c_char),
    P(*const libc::c_void),
}

/// Checks the spec against the flags a conversion accepts, then up to two width digits and
/// (if allowed) a '.' and up to two precision digits.
fn check_spec(spec: &[u8], flags: &[u8], precision: bool) -> Result<(), String> {
    let mut i = spec.iter().take_while(|c| flags.contains(c)).count();
    let two_digits = |i: &mut usize| {
        for _ in 0..2 {
            if spec.get(*i).is_some_and(|c| c.is_ascii_digit()) {
                *i += 1;
            }
        }
    };
    if spec.get(i) != Some(&b'0') {
        two_digits(&mut i);
        if spec.get(i) == Some(&b'.') && precision {
            i += 1;
            two_digits(&mut i);
        }
    }
    if i + 1 != spec.len() {
        return Err(format!("invalid conversion specification: '%{}'", String::from_utf8_lossy(spec)));
    }
    Ok(())
}

/// `form` = '%' + spec with "ll" inserted before the conversion, NUL-terminated.
fn c_form(spec: &[u8], long: bool) -> Vec<u8> {
    let mut f = Vec::with_capacity(spec.len() + 4);
    f.push(b'%');
    f.extend_from_slice(&spec[..spec.len() - 1]);
    if long {
        f.extend_from_slice(b"ll");
    }
    f.push(spec[spec.len() - 1]);
    f.push(0);
    f
}

fn to_int(a: &FmtArg, n: usize) -> Result<i64, String> {
    let v = match a {
        FmtArg::None => return Err(arg_error(n, "no value")),
        FmtArg::Int(i) => return Ok(*i),
        FmtArg::Float(f) => *f,
        FmtArg::Str(s) => match str2number(s) {
            Some(v) if v.tag == T_INT => return Ok(v.val as i64),
            Some(v) if v.tag == T_FLOAT => f64::from_bits(v.val),
            _ => return Err(arg_error(n, "number expected, got string")),
        },
        other => return Err(arg_error(n, &format!("number expected, got {}", other.type_name()))),
    };
    float_to_int_exact(v).ok_or_else(|| arg_error(n, "number has no integer representation"))
}

fn to_float(a: &FmtArg, n: usize) -> Result<f64, String> {
    match a {
        FmtArg::None => Err(arg_error(n, "no value")),
        FmtArg::Int(i) => Ok(*i as f64),
        FmtArg::Float(f) => Ok(*f),
        FmtArg::Str(s) => {
            str2number(s).and_then(|v| v.as_f64()).ok_or_else(|| arg_error(n, "number expected, got string"))
        }
        other => Err(arg_error(n, &format!("number expected, got {}", other.type_name()))),
    }
}

/// `tostring` for the values the VM did not convert itself.
fn tostring(a: &FmtArg) -> Vec<u8> {
    match a {
        FmtArg::None | FmtArg::Nil => b"nil".to_vec(),
        FmtArg::Bool(b) => if *b { &b"true"[..] } else { b"false" }.to_vec(),
        FmtArg::Int(i) => i.to_string().into_bytes(),
        FmtArg::Float(f) => crate::number::fmt_number(crate::value::TValue::float(*f)).into_bytes(),
        FmtArg::Str(s) => s.clone(),
        FmtArg::Obj(t, p) => format!("{t}: {p:#x}").into_bytes(),
    }
}

/// `%q` of a string: a Lua literal that reads back as the same bytes.
fn add_quoted(out: &mut Vec<u8>, s: &[u8]) {
    out.push(b'"');
    for (i, &c) in s.iter().enumerate() {
        match c {
            b'"' | b'\\' | b'\n' => {
                out.push(b'\\');
                out.push(c);
            }
            c if c < 32 || c == 127 => {
                // Three digits when a digit follows, so the escape cannot absorb it.
                if s.get(i + 1).is_some_and(|d| d.is_ascii_digit()) {
                    out.extend_from_slice(format!("\\{c:03}").as_bytes());
                } else {
                    out.extend_from_slice(format!("\\{c}").as_bytes());
                }
            }
            _ => out.push(c),
        }
    }
    out.push(b'"');
}

fn add_literal(out: &mut Vec<u8>, a: &FmtArg, n: usize) -> Result<(), String> {
    match a {
        FmtArg::Str(s) => add_quoted(out, s),
        FmtArg::Int(i) if *i == i64::MIN => out.extend_from_slice(b"0x8000000000000000"),
        FmtArg::Int(i) => out.extend_from_slice(i.to_string().as_bytes()),
        FmtArg::Float(f) if *f == f64::INFINITY => out.extend_from_slice(b"1e9999"),
        FmtArg::Float(f) if *f == f64::NEG_INFINITY => out.extend_from_slice(b"-1e9999"),
        FmtArg::Float(f) if f.is_nan() => out.extend_from_slice(b"(0/0)"),
        FmtArg::Float(f) => c_fmt(out, b"%a\0", CArg::F(*f)),
        FmtArg::Nil | FmtArg::Bool(_) => out.extend_from_slice(&tostring(a)),
        FmtArg::None => return Err(arg_error(n, "no value")),
        FmtArg::Obj(..) => return Err(arg_error(n, "value has no literal form")),
    }
    Ok(())
}

/// `string.format(fmt, ...)`. `arg(n, conv)` returns Lua argument `n` (2 is the first
/// after the format string) for conversion `conv`, or `FmtArg::None` past the last one.
pub fn format(
    fmt: &[u8],
    arg: &mut dyn FnMut(usize, u8) -> Result<FmtArg, String>,
) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(fmt.len() + 16);
    let mut n = 1;
    let mut i = 0;
    while i < fmt.len() {
        let c = fmt[i];
        i += 1;
        if c != b'%' {
            out.push(c);
            continue;
        }
        if fmt.get(i) == Some(&b'%') {
            out.push(b'%');
            i += 1;
            continue;
        }
        // The spec: flags, digits and '.', then the conversion character. As in Lua, a
        // missing argument is reported before a malformed spec.
        let span = fmt[i..].iter().take_while(|c| b"-+ #0123456789.".contains(c)).count();
        n += 1;
        let a = arg(n, fmt.get(i + span).copied().unwrap_or(0))?;
        if a == FmtArg::None {
            return Err(arg_error(n, "no value"));
        }
        if span + 1 > MAX_SPEC {
            return Err("invalid format (too long)".into());
        }
        let Some(&conv) = fmt.get(i + span) else {
            return Err(format!("invalid conversion '%{}' to 'format'", String::from_utf8_lossy(&fmt[i..])));
        };
        let spec = &fmt[i..i + span + 1];
        i += span + 1;
        let modifiers = spec.len() > 1;
        match conv {
            b'c' => {
                check_spec(spec, b"-", false)?;
                let v = to_int(&a, n)?;
                c_fmt(&mut out, &c_form(spec, false), CArg::C(v as libc::c_int));
            }
            b'd' | b'i' | b'u' | b'o' | b'x' | b'X' => {
                let flags: &[u8] = match conv {
                    b'd' | b'i' => b"-+ 0",
                    b'u' => b"-0",
                    _ => b"-#0",
                };
                check_spec(spec, flags, true)?;
                let v = to_int(&a, n)?;
                c_fmt(&mut out, &c_form(spec, true), CArg::I(v));
            }
            b'a' | b'A' | b'e' | b'E' | b'f' | b'g' | b'G' => {
                check_spec(spec, b"-+ #0", true)?;
                let v = to_float(&a, n)?;
                c_fmt(&mut out, &c_form(spec, false), CArg::F(v));
            }
            b'p' => {
                check_spec(spec, b"-", false)?;
                let mut form = c_form(spec, false);
                match a {
                    FmtArg::Obj(_, p) if p != 0 => c_fmt(&mut out, &form, CArg::P(p as *const libc::c_void)),
                    FmtArg::None => return Err(arg_error(n, "no value")),
                    _ => {
                        let l = form.len();
                        form[l - 2] = b's';
                        c_fmt(&mut out, &form, CArg::S(c"(null)".as_ptr()));
                    }
                }
            }
            b'q' => {
                if modifiers {
                    return Err("specifier '%q' cannot have modifiers".into());
                }
                add_literal(&mut out, &a, n)?;
            }
            b's' => {
                check_spec(spec, b"-", true)?;
                let s = tostring(&a);
                if !modifiers || (!spec.contains(&b'.') && s.len() >= 100) {
                    out.extend_from_slice(&s);
                } else if s.contains(&0) {
                    return Err(arg_error(n, "string contains zeros"));
                } else {
                    let mut z = s;
                    z.push(0);
                    c_fmt(&mut out, &c_form(spec, false), CArg::S(z.as_ptr() as *const libc::c_char));
                }
            }
            _ => {
                return Err(format!("invalid conversion '%{}' to 'format'", String::from_utf8_lossy(spec)));
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Test-side argument encoding (floats as bit patterns, so every value is exact).
    #[derive(Clone, Copy)]
    enum A {
        Nil,
        B(bool),
        I(i64),
        F(u64),
        S(&'static [u8]),
    }
    use A::*;

    fn to_arg(a: A) -> FmtArg {
        match a {
            Nil => FmtArg::Nil,
            B(b) => FmtArg::Bool(b),
            I(i) => FmtArg::Int(i),
            F(bits) => FmtArg::Float(f64::from_bits(bits)),
            S(s) => FmtArg::Str(s.to_vec()),
        }
    }

    fn run(fmt: &[u8], args: &[A]) -> Vec<u8> {
        let mut get = |n: usize, _conv: u8| Ok(args.get(n - 2).map_or(FmtArg::None, |&a| to_arg(a)));
        match format(fmt, &mut get) {
            Ok(v) => v,
            Err(e) => format!("E:{e}").into_bytes(),
        }
    }

    // Generated by lua5.4 (5.4.4): format string, arguments, output or "E:" + error.
    const CASES: &[(&[u8], &[A], &[u8])] = &[
        (b"%d", &[I(42)], b"42"),
        (b"%5d", &[I(42)], b"   42"),
        (b"%-5d|", &[I(42)], b"42   |"),
        (b"%+d", &[I(42)], b"+42"),
        (b"% d", &[I(42)], b" 42"),
        (b"%05d", &[I(-42)], b"-0042"),
        (b"%.3d", &[I(7)], b"007"),
        (b"%8.3d", &[I(-7)], b"    -007"),
        (b"%d", &[I(i64::MIN)], b"-9223372036854775808"),
        (b"%d", &[I(9223372036854775807)], b"9223372036854775807"),
        (b"%i", &[I(-3)], b"-3"),
        (b"%d", &[F(0x4008000000000000)], b"3"),
        (b"%d", &[F(0x400c000000000000)], b"E:bad argument #2 to 'format' (number has no integer representation)"),
        (b"%d", &[S(b"10")], b"10"),
        (b"%d", &[S(b"0x10")], b"16"),
        (b"%d", &[S(b"3.0")], b"3"),
        (b"%d", &[S(b"x")], b"E:bad argument #2 to 'format' (number expected, got string)"),
        (b"%d", &[Nil], b"E:bad argument #2 to 'format' (number expected, got nil)"),
        (b"%d", &[B(true)], b"E:bad argument #2 to 'format' (number expected, got boolean)"),
        (b"%d", &[F(0x43e0000000000000)], b"E:bad argument #2 to 'format' (number has no integer representation)"),
        (b"%d", &[F(0x8000000000000000)], b"0"),
        (b"%u", &[I(42)], b"42"),
        (b"%u", &[I(-1)], b"18446744073709551615"),
        (b"%x", &[I(255)], b"ff"),
        (b"%X", &[I(255)], b"FF"),
        (b"%#x", &[I(255)], b"0xff"),
        (b"%#X", &[I(0)], b"0"),
        (b"%08x", &[I(48879)], b"0000beef"),
        (b"%x", &[I(-1)], b"ffffffffffffffff"),
        (b"%o", &[I(8)], b"10"),
        (b"%#o", &[I(8)], b"010"),
        (b"%#o", &[I(0)], b"0"),
        (b"%-#10x|", &[I(1)], b"0x1       |"),
        (b"%c", &[I(65)], b"A"),
        (b"%c%c%c", &[I(76), I(117), I(97)], b"Lua"),
        (b"%5c|", &[I(65)], b"    A|"),
        (b"%-5c|", &[I(65)], b"A    |"),
        (b"%c", &[I(0)], b"\x00"),
        (b"%c", &[F(0x4050400000000000)], b"A"),
        (b"%f", &[F(0x400921f9f01b866e)], b"3.141590"),
        (b"%.2f", &[F(0x400921f9f01b866e)], b"3.14"),
        (b"%10.3f|", &[F(0xc00921f9f01b866e)], b"    -3.142|"),
        (b"%-10.1f|", &[F(0x4004000000000000)], b"2.5       |"),
        (b"%+f", &[I(1)], b"+1.000000"),
        (b"% f", &[I(1)], b" 1.000000"),
        (b"%010.2f", &[F(0xbff8000000000000)], b"-000001.50"),
        (b"%.0f", &[F(0x4004000000000000)], b"2"),
        (b"%.0f", &[F(0x400c000000000000)], b"4"),
        (b"%#.0f", &[I(3)], b"3."),
        (b"%f", &[F(0x7ff0000000000000)], b"inf"),
        (b"%f", &[F(0xfff0000000000000)], b"-inf"),
        (b"%f", &[F(0x7ff8000000000000)], b"nan"),
        (b"%5.1f", &[F(0xfff8000000000000)], b" -nan"),
        (b"%f", &[F(0x7e37e43c8800759c)], b"1000000000000000052504760255204420248704468581108159154915854115511802457988908195786371375080447864043704443832883878176942523235360430575644792184786706982848387200926575803737830233794788090059368953234970799945081119038967640880074652742780142494579258788820056842838115669472196386865459400540160.000000"),
        (b"%.99f", &[F(0x3fb999999999999a)], b"0.100000000000000005551115123125782702118158340454101562500000000000000000000000000000000000000000000"),
        (b"%f", &[S(b"1e1")], b"10.000000"),
        (b"%f", &[S(b"x")], b"E:bad argument #2 to 'format' (number expected, got string)"),
        (b"%f", &[I(7)], b"7.000000"),
        (b"%e", &[F(0x40c81cd6e631f8a1)], b"1.234568e+04"),
        (b"%.3e", &[I(0)], b"0.000e+00"),
        (b"%E", &[F(0x01a56e1fc2f8f359)], b"1.000000E-300"),
        (b"%+.2e", &[I(-5)], b"-5.00e+00"),
        (b"%g", &[I(100000)], b"100000"),
        (b"%g", &[I(1000000)], b"1e+06"),
        (b"%g", &[F(0x3ee4f8b588e368f1)], b"1e-05"),
        (b"%g", &[F(0x3f1a36e2eb1c432d)], b"0.0001"),
        (b"%.3g", &[F(0x400921f9f01b866e)], b"3.14"),
        (b"%#g", &[I(1)], b"1.00000"),
        (b"%G", &[F(0x3bc79ca10c924223)], b"1E-20"),
        (b"%g", &[F(0x4340000000000000)], b"9.0072e+15"),
        (b"%.14g", &[F(0x3fb999999999999a)], b"0.1"),
        (b"%.17g", &[F(0x3fb999999999999a)], b"0.10000000000000001"),
        (b"%g", &[F(0x8000000000000000)], b"-0"),
        (b"%a", &[I(1)], b"0x1p+0"),
        (b"%A", &[F(0x406ff00000000000)], b"0X1.FFP+7"),
        (b"%.2a", &[F(0x3fd5555555555555)], b"0x1.55p-2"),
        (b"%a", &[I(0)], b"0x0p+0"),
        (b"%#a", &[I(1)], b"0x1.p+0"),
        (b"%s", &[S(b"hello")], b"hello"),
        (b"%10s|", &[S(b"hi")], b"        hi|"),
        (b"%-10s|", &[S(b"hi")], b"hi        |"),
        (b"%.3s", &[S(b"abcdef")], b"abc"),
        (b"%.0s|", &[S(b"abc")], b"|"),
        (b"%5.1s|", &[S(b"xyz")], b"    x|"),
        (b"%s", &[I(42)], b"42"),
        (b"%s", &[F(0x3ff8000000000000)], b"1.5"),
        (b"%s", &[Nil], b"nil"),
        (b"%s", &[B(true)], b"true"),
        (b"%s", &[S(b"a\x00b")], b"a\x00b"),
        (b"%5s", &[S(b"a\x00b")], b"E:bad argument #2 to 'format' (string contains zeros)"),
        (b"%s", &[S(b"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx")], b"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"),
        (b"%5s", &[S(b"yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy")], b"yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy"),
        (b"%.5s", &[S(b"yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy")], b"yyyyy"),
        (b"%s %s", &[S(b"a")], b"E:bad argument #3 to 'format' (no value)"),
        (b"%q", &[S(b"hello")], b"\x22hello\x22"),
        (b"%q", &[S(b"a \x22quoted\x22 \x5c string")], b"\x22a \x5c\x22quoted\x5c\x22 \x5c\x5c string\x22"),
        (b"%q", &[S(b"line1\x0aline2")], b"\x22line1\x5c\x0aline2\x22"),
        (b"%q", &[S(b"cr\x0dhere")], b"\x22cr\x5c13here\x22"),
        (b"%q", &[S(b"nul\x00x")], b"\x22nul\x5c0x\x22"),
        (b"%q", &[S(b"nul\x001")], b"\x22nul\x5c0001\x22"),
        (b"%q", &[S(b"\x01\x012\x1f\x7f\xc8\xff")], b"\x22\x5c1\x5c0012\x5c31\x5c127\xc8\xff\x22"),
        (b"%q", &[I(42)], b"42"),
        (b"%q", &[I(i64::MIN)], b"0x8000000000000000"),
        (b"%q", &[F(0x3ff8000000000000)], b"0x1.8p+0"),
        (b"%q", &[F(0x54b249ad2594c37d)], b"0x1.249ad2594c37dp+332"),
        (b"%q", &[F(0x7ff0000000000000)], b"1e9999"),
        (b"%q", &[F(0xfff0000000000000)], b"-1e9999"),
        (b"%q", &[F(0xfff8000000000000)], b"(0/0)"),
        (b"%q", &[Nil], b"nil"),
        (b"%q", &[B(true)], b"true"),
        (b"%q", &[B(false)], b"false"),
        (b"%q", &[F(0x8000000000000000)], b"-0x0p+0"),
        (b"%q", &[F(0x4008000000000000)], b"0x1.8p+1"),
        (b"%-q", &[S(b"x")], b"E:specifier '%q' cannot have modifiers"),
        (b"%5q", &[S(b"x")], b"E:specifier '%q' cannot have modifiers"),
        (b"%q", &[], b"E:bad argument #2 to 'format' (no value)"),
        (b"100%%", &[], b"100%"),
        (b"%5%", &[], b"E:bad argument #2 to 'format' (no value)"),
        (b"%", &[], b"E:bad argument #2 to 'format' (no value)"),
        (b"abc%", &[], b"E:bad argument #2 to 'format' (no value)"),
        (b"%y", &[I(1)], b"E:invalid conversion '%y' to 'format'"),
        (b"%ld", &[I(1)], b"E:invalid conversion '%l' to 'format'"),
        (b"%F", &[I(1)], b"E:invalid conversion '%F' to 'format'"),
        (b"%5", &[I(1)], b"E:invalid conversion '%5' to 'format'"),
        (b"%100d", &[I(1)], b"E:invalid conversion specification: '%100d'"),
        (b"%.100f", &[I(1)], b"E:invalid conversion specification: '%.100f'"),
        (b"%099d", &[I(1)], b"000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000001"),
        (b"%00005d", &[I(1)], b"00001"),
        (b"%0-5d|", &[I(1)], b"1    |"),
        (b"%1.1.1f", &[I(1)], b"E:invalid conversion specification: '%1.1.1f'"),
        (b"%05s", &[S(b"x")], b"E:invalid conversion specification: '%05s'"),
        (b"%+s", &[S(b"x")], b"E:invalid conversion specification: '%+s'"),
        (b"%#d", &[I(1)], b"E:invalid conversion specification: '%#d'"),
        (b"%+x", &[I(1)], b"E:invalid conversion specification: '%+x'"),
        (b"%.3c", &[I(65)], b"E:invalid conversion specification: '%.3c'"),
        (b"%-+ #0f", &[I(42)], b"+42.000000"),
        (b"%00000000000000000000d", &[I(1)], b"1"),
        (b"%000000000000000000000d", &[I(1)], b"E:invalid format (too long)"),
        (b"%-+ #0000000000000000005d", &[I(1)], b"E:invalid format (too long)"),
        (b"%p", &[I(1)], b"(null)"),
        (b"%10p|", &[Nil], b"    (null)|"),
        (b"%d %s %q", &[I(1), S(b"two"), S(b"3")], b"1 two \x223\x22"),
        (b"%5.2f|%q", &[F(0x400921f9f01b866e), S(b"a\x0a\x00b")], b" 3.14|\x22a\x5c\x0a\x5c0b\x22"),
        (b"no conversions", &[], b"no conversions"),
        (b"", &[], b""),
        (b"%s|%d", &[S(b"x")], b"E:bad argument #3 to 'format' (no value)"),
        (b"%x", &[F(0x3ff8000000000000)], b"E:bad argument #2 to 'format' (number has no integer representation)"),
        (b"%c", &[S(b"66")], b"B"),
        (b"%.1f", &[S(b"0x10")], b"16.0"),
    ];

    #[test]
    fn format_matches_lua() {
        assert!(CASES.len() >= 100);
        for &(fmt, args, want) in CASES {
            assert_eq!(
                String::from_utf8_lossy(&run(fmt, args)),
                String::from_utf8_lossy(want),
                "format({:?})",
                String::from_utf8_lossy(fmt)
            );
        }
    }

    #[test]
    fn objects_format_with_p_and_s() {
        let mut get = |_: usize, _: u8| Ok(FmtArg::Obj("table", 0x55d0c0de));
        assert_eq!(format(b"%p", &mut get).unwrap(), b"0x55d0c0de");
        assert_eq!(format(b"%s", &mut get).unwrap(), b"table: 0x55d0c0de");
        assert_eq!(
            format(b"%q", &mut get),
            Err("bad argument #2 to 'format' (value has no literal form)".to_string())
        );
        assert_eq!(
            format(b"%d", &mut get),
            Err("bad argument #2 to 'format' (number expected, got table)".to_string())
        );
    }

    #[test]
    fn callback_sees_argument_numbers_and_conversions() {
        let mut seen = Vec::new();
        let mut get = |n: usize, c: u8| {
            seen.push((n, c));
            Ok(FmtArg::Int(n as i64))
        };
        assert_eq!(format(b"%d-%s-%x", &mut get).unwrap(), b"2-3-4");
        assert_eq!(seen, [(2, b'd'), (3, b's'), (4, b'x')]);
        let mut fail = |_: usize, _: u8| Err("custom".to_string());
        assert_eq!(format(b"%s", &mut fail), Err("custom".to_string()));
    }
}
