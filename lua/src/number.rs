//! Numbers exactly as Lua 5.4 treats them: formatting (`%.14g` plus the ".0" rule),
//! string-to-number conversion, integer/float arithmetic corner cases, exact mixed
//! comparisons and `math.random`'s xoshiro256**.

use crate::value::{TValue, T_FLOAT, T_INT};

/// 2^63 as a float: floats in [-2^63, 2^63) convert to i64 without overflow.
const TWO63: f64 = (1u64 << 63) as f64;

/// The integer with the same value as `f`, if there is one (Lua 5.4's "number has no
/// integer representation" check).
#[inline]
pub fn float_to_int_exact(f: f64) -> Option<i64> {
    if f.floor() == f && (-TWO63..TWO63).contains(&f) {
        Some(f as i64)
    } else {
        None
    }
}

/// A number value converted to an integer without loss (ints as they are).
pub fn to_integer(v: TValue) -> Option<i64> {
    match v.tag {
        T_INT => Some(v.val as i64),
        T_FLOAT => float_to_int_exact(f64::from_bits(v.val)),
        _ => None,
    }
}

/// `i == f` mathematically.
#[inline]
pub fn eq_int_float(i: i64, f: f64) -> bool {
    float_to_int_exact(f) == Some(i)
}

/// Formats `f` with C's `snprintf` and the given format.
pub fn c_format_float(fmt: &[u8], f: f64) -> Vec<u8> {
    let mut buf = [0u8; 128];
    // SAFETY: `fmt` is NUL-terminated (checked by the callers' literals) and consumes exactly
    // one double; snprintf writes at most `buf.len()` bytes including the terminator.
    let n = unsafe {
        debug_assert_eq!(fmt.last(), Some(&0));
        libc::snprintf(
            buf.as_mut_ptr() as *mut libc::c_char,
            buf.len(),
            fmt.as_ptr() as *const libc::c_char,
            f,
        )
    };
    buf[..(n.max(0) as usize).min(buf.len() - 1)].to_vec()
}

/// Appends a float as `tostring` does: `%.14g`, plus ".0" if it reads as an integer.
pub fn write_float(out: &mut Vec<u8>, f: f64) {
    let s = c_format_float(b"%.14g\0", f);
    let looks_int = s.iter().all(|&c| c == b'-' || c.is_ascii_digit());
    out.extend_from_slice(&s);
    if looks_int {
        out.extend_from_slice(b".0");
    }
}

/// Appends a number as `tostring` does (non-numbers append nothing).
pub fn write_number(out: &mut Vec<u8>, v: TValue) {
    match v.tag {
        T_INT => out.extend_from_slice((v.val as i64).to_string().as_bytes()),
        T_FLOAT => write_float(out, f64::from_bits(v.val)),
        _ => {}
    }
}

/// `tostring` of a number.
pub fn fmt_number(v: TValue) -> String {
    let mut out = Vec::new();
    write_number(&mut out, v);
    String::from_utf8(out).expect("numbers format as ASCII")
}

/// C's `isspace` in the C locale.
#[inline]
pub fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

fn trim(s: &[u8]) -> &[u8] {
    let a = s.iter().position(|&c| !is_space(c)).unwrap_or(s.len());
    let b = s.iter().rposition(|&c| !is_space(c)).map_or(a, |i| i + 1);
    &s[a..b.max(a)]
}

/// An integer numeral: decimal (overflow fails, so the caller reads it as a float) or
/// hexadecimal (wraps around), with an optional sign.
fn str2int(s: &[u8]) -> Option<i64> {
    let s = trim(s);
    let (neg, s) = match s.first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let mut a: u64 = 0;
    if s.len() >= 2 && s[0] == b'0' && (s[1] | 0x20) == b'x' {
        let digits = &s[2..];
        if digits.is_empty() {
            return None;
        }
        for &c in digits {
            a = a.wrapping_mul(16).wrapping_add((c as char).to_digit(16)? as u64);
        }
    } else {
        if s.is_empty() {
            return None;
        }
        let limit = if neg { 1u64 << 63 } else { (1u64 << 63) - 1 };
        for &c in s {
            if !c.is_ascii_digit() {
                return None;
            }
            a = a.checked_mul(10)?.checked_add((c - b'0') as u64)?;
            if a > limit {
                return None;
            }
        }
    }
    Some(if neg { 0u64.wrapping_sub(a) as i64 } else { a as i64 })
}

/// A float numeral (decimal or hex), via C's `strtod`; "inf" and "nan" are refused.
fn str2float(s: &[u8]) -> Option<f64> {
    if s.iter().any(|&c| c == b'n' || c == b'N' || c == 0) {
        return None;
    }
    let mut z = s.to_vec();
    z.push(0);
    let mut end: *mut libc::c_char = std::ptr::null_mut();
    // SAFETY: `z` is NUL-terminated and lives across the call; strtod only reads it and
    // stores a pointer into it in `end`.
    let f = unsafe { libc::strtod(z.as_ptr() as *const libc::c_char, &mut end) };
    // SAFETY: `end` points into `z` (at or after its start), per strtod's contract.
    let used = unsafe { (end as *const u8).offset_from(z.as_ptr()) } as usize;
    if used == 0 || !z[used..s.len()].iter().all(|&c| is_space(c)) {
        return None;
    }
    Some(f)
}

/// `lua_stringtonumber`: an integer if the numeral is an integer that fits, else a float.
pub fn str2number(s: &[u8]) -> Option<TValue> {
    if let Some(i) = str2int(s) {
        return Some(TValue::int(i));
    }
    str2float(s).map(TValue::float)
}

/// `tonumber(s, base)` for base 2..=36: an integer numeral in that base (wrapping).
pub fn tonumber_base(s: &[u8], base: u32) -> Option<i64> {
    debug_assert!((2..=36).contains(&base));
    let s = trim(s);
    let (neg, s) = match s.first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if s.is_empty() {
        return None;
    }
    let mut n: u64 = 0;
    for &c in s {
        let d = (c as char).to_digit(36)?;
        if d >= base {
            return None;
        }
        n = n.wrapping_mul(base as u64).wrapping_add(d as u64);
    }
    Some(if neg { 0u64.wrapping_sub(n) as i64 } else { n as i64 })
}

/// Integer floor division `a // b`.
pub fn idiv_int(a: i64, b: i64) -> Result<i64, &'static str> {
    match b {
        0 => Err("attempt to divide by zero"),
        -1 => Ok(a.wrapping_neg()),
        _ => {
            let q = a / b;
            Ok(if a % b != 0 && (a ^ b) < 0 { q - 1 } else { q })
        }
    }
}

/// Integer modulo `a % b` (the result has the sign of `b`).
pub fn mod_int(a: i64, b: i64) -> Result<i64, &'static str> {
    match b {
        0 => Err("attempt to perform 'n%0'"),
        -1 => Ok(0),
        _ => {
            let r = a % b;
            Ok(if r != 0 && (r ^ b) < 0 { r + b } else { r })
        }
    }
}

/// Float modulo: C's fmod, adjusted so a nonzero result has the sign of `b`.
pub fn mod_float(a: f64, b: f64) -> f64 {
    let m = a % b;
    if (m > 0.0 && b < 0.0) || (m < 0.0 && b > 0.0) {
        m + b
    } else {
        m
    }
}

/// Float floor division.
pub fn idiv_float(a: f64, b: f64) -> f64 {
    (a / b).floor()
}

/// `a ^ b` (always float).
pub fn pow(a: f64, b: f64) -> f64 {
    if b == 2.0 {
        a * a
    } else {
        a.powf(b)
    }
}

/// `x << n`: logical; negative counts shift right; |n| >= 64 gives 0.
pub fn shl(x: i64, n: i64) -> i64 {
    if n <= -64 || n >= 64 {
        0
    } else if n < 0 {
        ((x as u64) >> (-n)) as i64
    } else {
        ((x as u64) << n) as i64
    }
}

/// `x >> n` (logical).
pub fn shr(x: i64, n: i64) -> i64 {
    shl(x, n.wrapping_neg())
}

/// Where `f` lies relative to the i64 range: below it, above it, or inside it (then its
/// floor and ceiling are exact i64 values). None for NaN.
enum Range {
    Below,
    Above,
    In,
}

fn range(f: f64) -> Option<Range> {
    if f.is_nan() {
        None
    } else if f >= TWO63 {
        Some(Range::Above)
    } else if f < -TWO63 {
        Some(Range::Below)
    } else {
        Some(Range::In)
    }
}

/// `i < f`, exactly: for an integer i, i < f <=> i < ceil(f).
pub fn lt_int_float(i: i64, f: f64) -> bool {
    match range(f) {
        None | Some(Range::Below) => false,
        Some(Range::Above) => true,
        Some(Range::In) => i < f.ceil() as i64,
    }
}

/// `i <= f`, exactly: i <= f <=> i <= floor(f).
pub fn le_int_float(i: i64, f: f64) -> bool {
    match range(f) {
        None | Some(Range::Below) => false,
        Some(Range::Above) => true,
        Some(Range::In) => i <= f.floor() as i64,
    }
}

/// `f < i`, exactly: f < i <=> floor(f) < i.
pub fn lt_float_int(f: f64, i: i64) -> bool {
    match range(f) {
        None | Some(Range::Above) => false,
        Some(Range::Below) => true,
        Some(Range::In) => (f.floor() as i64) < i,
    }
}

/// `f <= i`, exactly: f <= i <=> ceil(f) <= i.
pub fn le_float_int(f: f64, i: i64) -> bool {
    match range(f) {
        None | Some(Range::Above) => false,
        Some(Range::Below) => true,
        Some(Range::In) => (f.ceil() as i64) <= i,
    }
}

/// `a < b` for two numbers (None if either is not a number).
pub fn num_lt(a: TValue, b: TValue) -> Option<bool> {
    Some(match (a.tag, b.tag) {
        (T_INT, T_INT) => (a.val as i64) < (b.val as i64),
        (T_INT, T_FLOAT) => lt_int_float(a.val as i64, f64::from_bits(b.val)),
        (T_FLOAT, T_INT) => lt_float_int(f64::from_bits(a.val), b.val as i64),
        (T_FLOAT, T_FLOAT) => f64::from_bits(a.val) < f64::from_bits(b.val),
        _ => return None,
    })
}

/// `a <= b` for two numbers (None if either is not a number).
pub fn num_le(a: TValue, b: TValue) -> Option<bool> {
    Some(match (a.tag, b.tag) {
        (T_INT, T_INT) => (a.val as i64) <= (b.val as i64),
        (T_INT, T_FLOAT) => le_int_float(a.val as i64, f64::from_bits(b.val)),
        (T_FLOAT, T_INT) => le_float_int(f64::from_bits(a.val), b.val as i64),
        (T_FLOAT, T_FLOAT) => f64::from_bits(a.val) <= f64::from_bits(b.val),
        _ => return None,
    })
}

/// `math.random`'s generator: xoshiro256**, seeded and projected as Lua 5.4 does.
#[derive(Clone, Debug)]
pub struct Rng {
    s: [u64; 4],
}

impl Default for Rng {
    fn default() -> Self {
        let mut r = Rng { s: [0; 4] };
        r.seed(0, 0);
        r
    }
}

impl Rng {
    /// `math.randomseed(n1, n2)`: state (n1, 0xff, n2, 0), then 16 outputs discarded.
    pub fn seed(&mut self, n1: i64, n2: i64) {
        self.s = [n1 as u64, 0xff, n2 as u64, 0];
        for _ in 0..16 {
            self.next_u64();
        }
    }

    pub fn next_u64(&mut self) -> u64 {
        let s = &mut self.s;
        let res = s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        res
    }

    /// `math.random()`: the top 53 bits as a float in [0, 1).
    pub fn random_float(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (0.5f64).powi(53)
    }

    /// Maps `ran` into [0, n] without bias: mask to the smallest 2^b-1 >= n, and draw again
    /// while the result is above n.
    fn project(&mut self, mut ran: u64, n: u64) -> u64 {
        if n & n.wrapping_add(1) == 0 {
            return ran & n;
        }
        let mut lim = n;
        lim |= lim >> 1;
        lim |= lim >> 2;
        lim |= lim >> 4;
        lim |= lim >> 8;
        lim |= lim >> 16;
        lim |= lim >> 32;
        loop {
            ran &= lim;
            if ran <= n {
                return ran;
            }
            ran = self.next_u64();
        }
    }

    /// `math.random(lo, hi)`.
    pub fn random_range(&mut self, lo: i64, hi: i64) -> Result<i64, &'static str> {
        let r = self.next_u64();
        if lo > hi {
            return Err("interval is empty");
        }
        let p = self.project(r, (hi as u64).wrapping_sub(lo as u64));
        Ok(p.wrapping_add(lo as u64) as i64)
    }

    /// `math.random(0)`: all 64 bits as an integer.
    pub fn random_int(&mut self) -> i64 {
        self.next_u64() as i64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ff(f: f64) -> String {
        fmt_number(TValue::float(f))
    }

    #[test]
    #[allow(clippy::approx_constant)] // 3.14159265358979 is a Lua test value, not PI
    fn float_formatting_matches_lua() {
        let cases: &[(f64, &str)] = &[
            (1e15, "1e+15"),
            (2f64.powi(53), "9.007199254741e+15"),
            (3.0, "3.0"),
            (-0.0, "-0.0"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
            (0.1, "0.1"),
            (1.0 / 3.0, "0.33333333333333"),
            (-1.0 / 3.0, "-0.33333333333333"),
            (100.0, "100.0"),
            (1e100, "1e+100"),
            (1e-5, "1e-05"),
            (123456789012345.0, "1.2345678901234e+14"),
            (1234567890123456.0, "1.2345678901235e+15"),
            (TWO63, "9.2233720368548e+18"),
            (-TWO63, "-9.2233720368548e+18"),
            (5e-324, "4.9406564584125e-324"),
            (f64::MAX, "1.7976931348623e+308"),
            (3.14159265358979, "3.1415926535898"),
            (1e14, "1e+14"),
            (1e16, "1e+16"),
            (0.5, "0.5"),
            (-2.5e-7, "-2.5e-07"),
            (12345.678, "12345.678"),
        ];
        for &(f, s) in cases {
            assert_eq!(ff(f), s, "formatting {f:e}");
        }
        // 0/0 on x86 has the sign bit set; glibc prints it as "-nan".
        assert_eq!(ff(f64::from_bits(0xfff8_0000_0000_0000)), "-nan");
        assert_eq!(ff(f64::from_bits(0x7ff8_0000_0000_0000)), "nan");
        assert_eq!(fmt_number(TValue::int(i64::MIN)), "-9223372036854775808");
        assert_eq!(fmt_number(TValue::int(-1)), "-1");
    }

    #[derive(Debug, PartialEq)]
    enum N {
        I(i64),
        F(f64),
        No,
    }

    fn conv(s: &str) -> N {
        match str2number(s.as_bytes()) {
            Some(v) if v.tag == T_INT => N::I(v.val as i64),
            Some(v) => N::F(f64::from_bits(v.val)),
            None => N::No,
        }
    }

    #[test]
    fn str2number_matches_lua() {
        use N::*;
        let cases: &[(&str, N)] = &[
            ("10", I(10)),
            ("  10  ", I(10)),
            ("0x10", I(16)),
            ("0xA", I(10)),
            ("0Xff", I(255)),
            ("-0x10", I(-16)),
            ("0xffffffffffffffff", I(-1)),
            ("0x1ffffffffffffffff", I(-1)),
            ("9223372036854775807", I(i64::MAX)),
            ("9223372036854775808", F(TWO63)),
            ("-9223372036854775808", I(i64::MIN)),
            ("-9223372036854775809", F(-TWO63)),
            ("1e2", F(100.0)),
            (" 1.5 ", F(1.5)),
            (".5", F(0.5)),
            ("5.", F(5.0)),
            ("0x1p4", F(16.0)),
            ("0x.8", F(0.5)),
            ("0x1.8p1", F(3.0)),
            ("inf", No),
            ("nan", No),
            ("-inf", No),
            ("1e", No),
            ("", No),
            (" ", No),
            ("1 2", No),
            ("0x", No),
            ("- 1", No),
            ("+5", I(5)),
            ("+0x10", I(16)),
            ("1e400", F(f64::INFINITY)),
            ("-1e400", F(f64::NEG_INFINITY)),
            ("0.1e-2", F(0.001)),
            ("\t\n12\x0b\x0c\r", I(12)),
            ("12a", No),
            ("1_000", No),
            ("0x1P-2", F(0.25)),
            ("1E+2", F(100.0)),
            ("00012", I(12)),
            ("-0", I(0)),
            ("0x7fffffffffffffff", I(i64::MAX)),
            ("3.0", F(3.0)),
            ("1\0", No),
        ];
        for (s, want) in cases {
            assert_eq!(&conv(s), want, "converting {s:?}");
        }
        match conv("-0.0") {
            F(f) => assert!(f == 0.0 && f.is_sign_negative()),
            other => panic!("-0.0 gave {other:?}"),
        }
    }

    #[test]
    fn tonumber_with_base() {
        let cases: &[(&str, u32, Option<i64>)] = &[
            ("ff", 16, Some(255)),
            ("FF", 16, Some(255)),
            ("  -ff  ", 16, Some(-255)),
            ("zz", 36, Some(1295)),
            ("777", 8, Some(511)),
            ("8", 8, None),
            ("1010", 2, Some(10)),
            ("", 10, None),
            ("1 1", 10, None),
            ("7fffffffffffffff", 16, Some(i64::MAX)),
            ("ffffffffffffffff", 16, Some(-1)),
            ("10000000000000000", 16, Some(0)),
            ("+z", 36, Some(35)),
            ("12", 3, Some(5)),
        ];
        for &(s, b, want) in cases {
            assert_eq!(tonumber_base(s.as_bytes(), b), want, "tonumber({s:?}, {b})");
        }
    }

    #[test]
    fn integer_division_and_modulo() {
        assert_eq!(idiv_int(7, 2), Ok(3));
        assert_eq!(idiv_int(-7, 2), Ok(-4));
        assert_eq!(idiv_int(7, -2), Ok(-4));
        assert_eq!(idiv_int(-7, -2), Ok(3));
        assert_eq!(idiv_int(i64::MIN, -1), Ok(i64::MIN));
        assert_eq!(mod_int(7, 3), Ok(1));
        assert_eq!(mod_int(-7, 3), Ok(2));
        assert_eq!(mod_int(7, -3), Ok(-2));
        assert_eq!(mod_int(-7, -3), Ok(-1));
        assert_eq!(mod_int(i64::MIN, -1), Ok(0));
        assert_eq!(idiv_int(1, 0), Err("attempt to divide by zero"));
        assert_eq!(mod_int(1, 0), Err("attempt to perform 'n%0'"));
    }

    #[test]
    fn float_division_and_modulo() {
        assert_eq!(idiv_float(7.5, 2.0), 3.0);
        assert_eq!(idiv_float(-7.5, 2.0), -4.0);
        assert_eq!(mod_float(5.5, 2.0), 1.5);
        assert_eq!(mod_float(-5.5, 2.0), 0.5);
        assert_eq!(mod_float(5.5, -2.0), -0.5);
        assert_eq!(mod_float(-5.5, -2.0), -1.5);
        assert_eq!(mod_float(1.0, f64::INFINITY), 1.0);
        assert_eq!(mod_float(-1.0, f64::INFINITY), f64::INFINITY);
        assert_eq!(mod_float(1.0, f64::NEG_INFINITY), f64::NEG_INFINITY);
        assert!(mod_float(5.0, 0.0).is_nan());
        let z = mod_float(-0.0, 1.0);
        assert!(z == 0.0 && z.is_sign_negative());
        assert_eq!(ff(pow(2.0, 0.5)), "1.4142135623731");
        assert_eq!(pow(2.0, -1.0), 0.5);
        assert_eq!(pow(0.0, 0.0), 1.0);
        assert!(pow(-8.0, 1.0 / 3.0).is_nan());
        assert_eq!(pow(10.0, 308.0) * 10.0, f64::INFINITY);
    }

    #[test]
    fn shifts() {
        assert_eq!(shl(1, 63), i64::MIN);
        assert_eq!(shl(1, 64), 0);
        assert_eq!(shl(1, -1), 0);
        assert_eq!(shr(-1, 1), i64::MAX);
        assert_eq!(shr(-1, 63), 1);
        assert_eq!(shr(-1, 64), 0);
        assert_eq!(shl(5, -70), 0);
        assert_eq!(shr(3, -2), 12);
        assert_eq!(shl(-1, 0), -1);
        assert_eq!(shr(-1, i64::MIN), 0);
    }

    #[test]
    fn mixed_comparisons_are_exact() {
        let i = TValue::int;
        let f = TValue::float;
        assert_eq!(num_lt(i(1), f(1.5)), Some(true));
        assert_eq!(num_lt(i(i64::MAX), f(TWO63)), Some(true));
        assert_eq!(num_lt(i(i64::MAX), f(i64::MAX as f64)), Some(true));
        assert_eq!(num_le(i(i64::MIN), f(-TWO63)), Some(true));
        assert_eq!(num_lt(i(i64::MIN), f(-TWO63)), Some(false));
        assert_eq!(num_le(i(1), f(f64::NAN)), Some(false));
        assert_eq!(num_lt(i(3), f(f64::INFINITY)), Some(true));
        assert_eq!(num_lt(f(f64::NEG_INFINITY), i(i64::MIN)), Some(true));
        assert_eq!(num_lt(i(9007199254740993), f(9007199254740992.0)), Some(false));
        assert_eq!(num_le(i(9007199254740993), f(9007199254740992.0)), Some(false));
        assert_eq!(num_lt(f(9007199254740992.0), i(9007199254740993)), Some(true));
        assert_eq!(num_le(f(2.5), i(2)), Some(false));
        assert_eq!(num_le(f(2.0), i(2)), Some(true));
        assert_eq!(num_lt(f(-0.5), i(0)), Some(true));
        assert_eq!(num_lt(i(1), TValue::nil()), None);
        assert!(!eq_int_float(9007199254740993, 9007199254740992.0));
        assert_eq!(float_to_int_exact(3.5), None);
        assert_eq!(float_to_int_exact(TWO63), None);
        assert_eq!(float_to_int_exact(-TWO63), Some(i64::MIN));
        assert_eq!(to_integer(TValue::float(-0.0)), Some(0));
    }

    #[test]
    fn random_matches_lua() {
        let mut r = Rng::default();
        r.seed(42, 0);
        assert_eq!(r.random_range(1, 100), Ok(50));
        assert_eq!(ff(r.random_float()), "0.54688311243421");
        r.seed(42, 0);
        let v: Vec<i64> = (0..5).map(|_| r.random_int()).collect();
        assert_eq!(
            v,
            [
                -1276290044721465627,
                8333941968102511665,
                -8358531260401861301,
                -3807604385970496171,
                -7059243630996204619
            ]
        );
        r.seed(7, 3);
        let v: Vec<i64> = (0..5).map(|_| r.random_range(1, 6).unwrap()).collect();
        assert_eq!(v, [4, 3, 1, 1, 6]);
        r.seed(-1, 0);
        let v: Vec<String> = (0..3).map(|_| format!("{:.17}", r.random_float())).collect();
        assert_eq!(v, ["0.64588803338814316", "0.93513561224856689", "0.85629716275528922"]);
        r.seed(0, 0);
        let v: Vec<i64> = (0..5).map(|_| r.random_range(i64::MIN, i64::MAX).unwrap()).collect();
        assert_eq!(
            v,
            [
                -4668652479432084543,
                -4891536436855184888,
                -7945456509895968853,
                1594979197220761365,
                -476379886374458193
            ]
        );
        r.seed(123, 0);
        let v: Vec<i64> = (0..5).map(|_| r.random_range(-10, 10).unwrap()).collect();
        assert_eq!(v, [-6, -2, 5, 7, 3]);
        r.seed(123, 0);
        let v: Vec<i64> = (0..5).map(|_| r.random_range(1, 1000).unwrap()).collect();
        assert_eq!(v, [37, 809, 89, 944, 114]);
        assert_eq!(r.random_range(2, 1), Err("interval is empty"));
    }
}
