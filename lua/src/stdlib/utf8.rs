//! The `utf8` library (Lua 5.4's, strict by default: no surrogates, at most U+10FFFF unless
//! `lax`).

use super::{arg, arg_error, check_int, check_str, opt_int, push, push_str, reg};
use crate::state::{LResult, State};
use crate::value::*;

pub fn open(l: &mut State) {
    let t = super::lib_table(l, "utf8");
    reg(l, t, "char", char);
    reg(l, t, "len", len);
    reg(l, t, "codepoint", codepoint);
    reg(l, t, "offset", offset);
    reg(l, t, "codes", codes);
    let pat = l.heap.str_value(b"[\0-\x7F\xC2-\xFD][\x80-\xBF]*");
    super::set_field(l, t, "charpattern", pat);
}

const MAXUTF: u32 = 0x7FFF_FFFF;

/// Encodes `x` as lua5.4's utf8.char does (up to 6 bytes for values up to 2^31).
fn encode(x: u32, out: &mut Vec<u8>) {
    if x < 0x80 {
        out.push(x as u8);
        return;
    }
    let mut buf = [0u8; 8];
    let mut n = 1;
    let mut x = x;
    let mut mfb: u32 = 0x3f;
    loop {
        buf[8 - n] = 0x80 | (x & 0x3f) as u8;
        n += 1;
        x >>= 6;
        mfb >>= 1;
        if x <= mfb {
            break;
        }
    }
    buf[8 - n] = ((!mfb << 1) | x) as u8;
    out.extend_from_slice(&buf[8 - n..]);
}

/// Decodes one sequence at `s[i..]`: (code point, length), or None when invalid.
fn decode(s: &[u8], i: usize, strict: bool) -> Option<(u32, usize)> {
    const LIMITS: [u32; 6] = [!0, 0x80, 0x800, 0x10000, 0x200000, 0x4000000];
    let c = *s.get(i)? as u32;
    if c < 0x80 {
        return Some((c, 1));
    }
    let mut res: u32 = 0;
    let mut count = 0usize;
    let mut cc = c;
    while cc & 0x40 != 0 {
        count += 1;
        let nb = *s.get(i + count)? as u32;
        if nb & 0xC0 != 0x80 {
            return None;
        }
        res = (res << 6) | (nb & 0x3F);
        cc <<= 1;
    }
    res |= (cc & 0x7F) << (count * 5);
    if count > 5 || res > MAXUTF || res < LIMITS[count] {
        return None;
    }
    if strict && (res > 0x10FFFF || (0xD800..=0xDFFF).contains(&res)) {
        return None;
    }
    Some((res, count + 1))
}

/// A 1-based, possibly negative position to a 0-based byte offset.
fn posrelat(pos: i64, len: usize) -> i64 {
    if pos >= 0 {
        pos
    } else if (-pos) as usize > len {
        0
    } else {
        len as i64 + pos + 1
    }
}

fn char(l: &mut State, args: &[TValue]) -> LResult<()> {
    let mut out = Vec::new();
    for i in 0..args.len() {
        let c = check_int(l, args, i, "char")?;
        if !(0..=MAXUTF as i64).contains(&c) {
            return Err(arg_error(l, i, "char", "value out of range"));
        }
        encode(c as u32, &mut out);
    }
    push_str(l, &out);
    Ok(())
}

fn len(l: &mut State, args: &[TValue]) -> LResult<()> {
    let s = check_str(l, args, 0, "len")?.into_owned();
    let mut i = posrelat(opt_int(l, args, 1, "len", 1)?, s.len());
    let j = posrelat(opt_int(l, args, 2, "len", -1)?, s.len());
    let lax = !arg(args, 3).is_falsy();
    if !(1 <= i && i - 1 <= s.len() as i64) {
        return Err(arg_error(l, 1, "len", "initial position out of bounds"));
    }
    if j > s.len() as i64 {
        return Err(arg_error(l, 2, "len", "final position out of bounds"));
    }
    i -= 1;
    let mut n = 0i64;
    while i < j {
        match decode(&s, i as usize, !lax) {
            Some((_, k)) => {
                i += k as i64;
                n += 1;
            }
            None => {
                push(l, TValue::nil());
                push(l, TValue::int(i + 1));
                return Ok(());
            }
        }
    }
    push(l, TValue::int(n));
    Ok(())
}

fn codepoint(l: &mut State, args: &[TValue]) -> LResult<()> {
    let s = check_str(l, args, 0, "codepoint")?.into_owned();
    let i = posrelat(opt_int(l, args, 1, "codepoint", 1)?, s.len());
    let j = posrelat(if arg(args, 2).is_nil() { i } else { check_int(l, args, 2, "codepoint")? }, s.len());
    let lax = !arg(args, 3).is_falsy();
    if i < 1 {
        return Err(arg_error(l, 1, "codepoint", "out of bounds"));
    }
    if j > s.len() as i64 {
        return Err(arg_error(l, 2, "codepoint", "out of bounds"));
    }
    let mut p = i - 1;
    while p < j {
        match decode(&s, p as usize, !lax) {
            Some((c, k)) => {
                push(l, TValue::int(c as i64));
                p += k as i64;
            }
            None => return Err(crate::vm::error::rt_error(l, "invalid UTF-8 code")),
        }
    }
    Ok(())
}

fn is_cont(s: &[u8], i: i64) -> bool {
    i >= 0 && (i as usize) < s.len() && s[i as usize] & 0xC0 == 0x80
}

fn offset(l: &mut State, args: &[TValue]) -> LResult<()> {
    let s = check_str(l, args, 0, "offset")?.into_owned();
    let n = check_int(l, args, 1, "offset")?;
    let def = if n >= 0 { 1 } else { s.len() as i64 + 1 };
    let mut posi = posrelat(opt_int(l, args, 2, "offset", def)?, s.len()) - 1;
    if !(0 <= posi && posi <= s.len() as i64) {
        return Err(arg_error(l, 2, "offset", "position out of bounds"));
    }
    let mut n = n;
    if n == 0 {
        while posi > 0 && is_cont(&s, posi) {
            posi -= 1;
        }
    } else {
        if is_cont(&s, posi) {
            return Err(crate::vm::error::rt_error(l, "initial position is a continuation byte"));
        }
        if n < 0 {
            while n < 0 && posi > 0 {
                posi -= 1;
                while posi > 0 && is_cont(&s, posi) {
                    posi -= 1;
                }
                n += 1;
            }
        } else {
            n -= 1;
            while n > 0 && posi < s.len() as i64 {
                posi += 1;
                while is_cont(&s, posi) {
                    posi += 1;
                }
                n -= 1;
            }
        }
    }
    if n == 0 {
        push(l, TValue::int(posi + 1));
    } else {
        push(l, TValue::nil());
    }
    Ok(())
}

/// The iterator `codes` returns: (s, i) -> next position and code point.
fn codes_step(l: &mut State, args: &[TValue]) -> LResult<()> {
    let s = check_str(l, args, 0, "codes")?.into_owned();
    let mut i = arg(args, 1).val as i64;
    if i > 0 {
        // Skip the current sequence.
        i += 1;
        while is_cont(&s, i - 1) {
            i += 1;
        }
    } else {
        i = 1;
    }
    if i as usize > s.len() {
        return Ok(());
    }
    match decode(&s, i as usize - 1, true) {
        Some((c, _)) => {
            push(l, TValue::int(i));
            push(l, TValue::int(c as i64));
            Ok(())
        }
        None => Err(crate::vm::error::rt_error(l, "invalid UTF-8 code")),
    }
}

fn codes(l: &mut State, args: &[TValue]) -> LResult<()> {
    let s = arg(args, 0);
    check_str(l, args, 0, "codes")?;
    let f = crate::vm::obj::new_native(l, codes_step, "for iterator", Vec::new());
    push(l, f);
    push(l, s);
    push(l, TValue::int(0));
    Ok(())
}
