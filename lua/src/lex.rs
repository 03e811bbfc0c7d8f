//! The Lua 5.4 lexer (llex.c): bytes in, tokens out, one token at a time so that a
//! syntax error earlier in the file is reported before a lexical error later in it.

use std::fmt;

/// A syntax (or lexical, or semantic) error, displayed exactly as lua5.4 prints it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntaxError {
    pub msg: String,
}

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.msg)
    }
}

impl std::error::Error for SyntaxError {}

/// Maximum size of a chunk id in messages (luaconf.h LUA_IDSIZE, including the NUL).
const LUA_IDSIZE: usize = 60;

/// The chunk name as messages show it (luaO_chunkid): `=name` -> name, `@file` -> file
/// (truncated from the left with "..."), else `[string "first line..."]`.
pub fn chunk_display_name(source: &str) -> String {
    let b = source.as_bytes();
    let bufflen = LUA_IDSIZE; // room includes the terminating NUL in C
    if let Some(rest) = b.strip_prefix(b"=") {
        let n = rest.len().min(bufflen - 1);
        return String::from_utf8_lossy(&rest[..n]).into_owned();
    }
    if let Some(rest) = b.strip_prefix(b"@") {
        if rest.len() < bufflen {
            return String::from_utf8_lossy(rest).into_owned();
        }
        let keep = bufflen - 1 - 3;
        let tail = &rest[rest.len() - keep..];
        return format!("...{}", String::from_utf8_lossy(tail));
    }
    // [string "source"]
    let nl = b.iter().position(|&c| c == b'\n');
    let pre = "[string \"";
    let post = "\"]";
    let dots = "...";
    let avail = bufflen - pre.len() - dots.len() - post.len() - 1;
    if b.len() < avail && nl.is_none() {
        return format!("{pre}{source}{post}");
    }
    let mut l = nl.unwrap_or(b.len());
    if l > avail {
        l = avail;
    }
    format!("{pre}{}{dots}{post}", String::from_utf8_lossy(&b[..l]))
}

/// A token. Names are ASCII identifiers; string contents are raw bytes.
#[derive(Clone, Debug, PartialEq)]
pub enum Tok {
    Eof,
    Name(String),
    Str(Vec<u8>),
    Int(i64),
    Flt(f64),
    // keywords
    And,
    Break,
    Do,
    Else,
    Elseif,
    End,
    False,
    For,
    Function,
    Goto,
    If,
    In,
    Local,
    Nil,
    Not,
    Or,
    Repeat,
    Return,
    Then,
    True,
    Until,
    While,
    // multi-char operators
    IDiv,
    Concat,
    Dots,
    Eq,
    Ge,
    Le,
    Ne,
    Shl,
    Shr,
    DbColon,
    /// A single-character token ('+', '(', ...), or any other byte.
    Char(u8),
}

const KEYWORDS: [(&str, Tok); 22] = [
    ("and", Tok::And),
    ("break", Tok::Break),
    ("do", Tok::Do),
    ("else", Tok::Else),
    ("elseif", Tok::Elseif),
    ("end", Tok::End),
    ("false", Tok::False),
    ("for", Tok::For),
    ("function", Tok::Function),
    ("goto", Tok::Goto),
    ("if", Tok::If),
    ("in", Tok::In),
    ("local", Tok::Local),
    ("nil", Tok::Nil),
    ("not", Tok::Not),
    ("or", Tok::Or),
    ("repeat", Tok::Repeat),
    ("return", Tok::Return),
    ("then", Tok::Then),
    ("true", Tok::True),
    ("until", Tok::Until),
    ("while", Tok::While),
];

impl Tok {
    /// luaX_token2str: how a message names a token kind.
    pub fn describe(&self) -> String {
        match self {
            Tok::Eof => "<eof>".into(),
            Tok::Name(_) => "<name>".into(),
            Tok::Str(_) => "<string>".into(),
            Tok::Int(_) => "<integer>".into(),
            Tok::Flt(_) => "<number>".into(),
            Tok::Char(c) => {
                if (0x20..0x7f).contains(c) {
                    format!("'{}'", *c as char)
                } else {
                    format!("'<\\{}>'", c)
                }
            }
            t => format!("'{}'", t.text()),
        }
    }

    /// The spelling of a keyword or operator token.
    fn text(&self) -> &'static str {
        for (s, t) in KEYWORDS.iter() {
            if t == self {
                return s;
            }
        }
        match self {
            Tok::IDiv => "//",
            Tok::Concat => "..",
            Tok::Dots => "...",
            Tok::Eq => "==",
            Tok::Ge => ">=",
            Tok::Le => "<=",
            Tok::Ne => "~=",
            Tok::Shl => "<<",
            Tok::Shr => ">>",
            Tok::DbColon => "::",
            _ => "?",
        }
    }
}

fn is_alpha(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_'
}
fn is_alnum(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}
fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}
fn hexval(c: u8) -> u32 {
    (c as char).to_digit(16).unwrap_or(0)
}

/// The lexer state. `buf` holds the raw text of the token being read, as llex.c's buffer
/// does, because messages quote it ("near '3x'").
pub struct Lexer<'a> {
    src: &'a [u8],
    pos: usize,
    pub line: u32,
    chunk: String,
    buf: Vec<u8>,
}

const EOZ: i32 = -1;

impl<'a> Lexer<'a> {
    pub fn new(src: &'a [u8], chunk: &str) -> Self {
        Lexer { src, pos: 0, line: 1, chunk: chunk.to_string(), buf: Vec::new() }
    }

    pub fn chunk(&self) -> &str {
        &self.chunk
    }

    fn cur(&self) -> i32 {
        self.src.get(self.pos).map_or(EOZ, |&c| c as i32)
    }
    fn next(&mut self) {
        self.pos += 1;
    }
    fn save(&mut self, c: u8) {
        self.buf.push(c);
    }
    fn save_next(&mut self) {
        if let Some(&c) = self.src.get(self.pos) {
            self.buf.push(c);
        }
        self.pos += 1;
    }
    fn is_cur(&self, c: u8) -> bool {
        self.cur() == c as i32
    }
    fn cur_newline(&self) -> bool {
        self.is_cur(b'\n') || self.is_cur(b'\r')
    }
    fn check_next2(&mut self, set: &[u8; 2]) -> bool {
        if self.is_cur(set[0]) || self.is_cur(set[1]) {
            self.save_next();
            true
        } else {
            false
        }
    }
    /// Skips a newline sequence (\n, \r, \n\r or \r\n) and counts the line.
    fn inc_line(&mut self) {
        let old = self.cur();
        self.next();
        if self.cur_newline() && self.cur() != old {
            self.next();
        }
        self.line += 1;
    }

    /// A message with the chunk and line prefix (luaG_addinfo).
    pub fn error_at(&self, msg: &str, line: u32) -> SyntaxError {
        SyntaxError { msg: format!("{}:{}: {}", self.chunk, line, msg) }
    }

    /// The text of a token for "near ...": a name, string or number shows its raw text.
    pub fn near(&self, t: &Tok) -> String {
        match t {
            Tok::Name(_) | Tok::Str(_) | Tok::Int(_) | Tok::Flt(_) => {
                format!("'{}'", String::from_utf8_lossy(&self.buf))
            }
            t => t.describe(),
        }
    }

    fn lex_error(&self, msg: &str, near_tok: Option<&Tok>) -> SyntaxError {
        match near_tok {
            Some(t) => self.error_at(&format!("{} near {}", msg, self.near(t)), self.line),
            None => self.error_at(msg, self.line),
        }
    }

    /// Reads the next token.
    pub fn token(&mut self) -> Result<Tok, SyntaxError> {
        self.buf.clear();
        loop {
            let c = self.cur();
            if c == EOZ {
                return Ok(Tok::Eof);
            }
            let c = c as u8;
            match c {
                b'\n' | b'\r' => self.inc_line(),
                b' ' | b'\t' | 0x0b | 0x0c => self.next(),
                b'-' => {
                    self.next();
                    if !self.is_cur(b'-') {
                        return Ok(Tok::Char(b'-'));
                    }
                    self.next();
                    if self.is_cur(b'[') {
                        let sep = self.skip_sep();
                        self.buf.clear();
                        if sep >= 2 {
                            self.read_long_string(sep, false)?;
                            self.buf.clear();
                            continue;
                        }
                    }
                    while !self.cur_newline() && self.cur() != EOZ {
                        self.next();
                    }
                }
                b'[' => {
                    let sep = self.skip_sep();
                    if sep >= 2 {
                        let s = self.read_long_string(sep, true)?;
                        return Ok(Tok::Str(s));
                    } else if sep == 0 {
                        return Err(self.lex_error("invalid long string delimiter", Some(&Tok::Str(vec![]))));
                    }
                    return Ok(Tok::Char(b'['));
                }
                b'=' => {
                    self.next();
                    return Ok(if self.eat(b'=') { Tok::Eq } else { Tok::Char(b'=') });
                }
                b'<' => {
                    self.next();
                    return Ok(if self.eat(b'=') {
                        Tok::Le
                    } else if self.eat(b'<') {
                        Tok::Shl
                    } else {
                        Tok::Char(b'<')
                    });
                }
                b'>' => {
                    self.next();
                    return Ok(if self.eat(b'=') {
                        Tok::Ge
                    } else if self.eat(b'>') {
                        Tok::Shr
                    } else {
                        Tok::Char(b'>')
                    });
                }
                b'/' => {
                    self.next();
                    return Ok(if self.eat(b'/') { Tok::IDiv } else { Tok::Char(b'/') });
                }
                b'~' => {
                    self.next();
                    return Ok(if self.eat(b'=') { Tok::Ne } else { Tok::Char(b'~') });
                }
                b':' => {
                    self.next();
                    return Ok(if self.eat(b':') { Tok::DbColon } else { Tok::Char(b':') });
                }
                b'"' | b'\'' => return self.read_string(c),
                b'.' => {
                    self.save_next();
                    if self.check_next1(b'.') {
                        if self.check_next1(b'.') {
                            return Ok(Tok::Dots);
                        }
                        return Ok(Tok::Concat);
                    }
                    if !(self.cur() >= 0 && (self.cur() as u8).is_ascii_digit()) {
                        return Ok(Tok::Char(b'.'));
                    }
                    return self.read_numeral();
                }
                b'0'..=b'9' => return self.read_numeral(),
                _ if is_alpha(c) => {
                    while self.cur() >= 0 && is_alnum(self.cur() as u8) {
                        self.save_next();
                    }
                    let s = String::from_utf8(self.buf.clone()).expect("ASCII name");
                    for (k, t) in KEYWORDS.iter() {
                        if *k == s {
                            return Ok(t.clone());
                        }
                    }
                    return Ok(Tok::Name(s));
                }
                _ => {
                    self.next();
                    return Ok(Tok::Char(c));
                }
            }
        }
    }

    fn eat(&mut self, c: u8) -> bool {
        if self.is_cur(c) {
            self.next();
            true
        } else {
            false
        }
    }
    fn check_next1(&mut self, c: u8) -> bool {
        if self.is_cur(c) {
            self.save_next();
            true
        } else {
            false
        }
    }

    /// `[=*[` or `]=*]`: returns level + 2 when well formed, 1 for a lone bracket, 0 for a
    /// bracket followed by `=`s but no second bracket.
    fn skip_sep(&mut self) -> usize {
        let s = self.cur();
        let mut count = 0;
        self.save_next();
        while self.is_cur(b'=') {
            self.save_next();
            count += 1;
        }
        if self.cur() == s {
            count + 2
        } else if count == 0 {
            1
        } else {
            0
        }
    }

    fn read_long_string(&mut self, sep: usize, is_string: bool) -> Result<Vec<u8>, SyntaxError> {
        let line = self.line;
        self.save_next(); // second '['
        if self.cur_newline() {
            self.inc_line();
        }
        loop {
            let c = self.cur();
            if c == EOZ {
                let what = if is_string { "string" } else { "comment" };
                let msg = format!("unfinished long {} (starting at line {})", what, line);
                return Err(self.lex_error(&msg, Some(&Tok::Eof)));
            }
            match c as u8 {
                b']' => {
                    if self.skip_sep() == sep {
                        self.save_next();
                        break;
                    }
                }
                b'\n' | b'\r' => {
                    self.save(b'\n');
                    self.inc_line();
                    if !is_string {
                        self.buf.clear();
                    }
                }
                _ => {
                    if is_string {
                        self.save_next();
                    } else {
                        self.next();
                    }
                }
            }
        }
        if !is_string {
            return Ok(Vec::new());
        }
        Ok(self.buf[sep..self.buf.len() - sep].to_vec())
    }

    fn esc_check(&mut self, ok: bool, msg: &str) -> Result<(), SyntaxError> {
        if !ok {
            if self.cur() != EOZ {
                self.save_next();
            }
            return Err(self.lex_error(msg, Some(&Tok::Str(vec![]))));
        }
        Ok(())
    }

    fn get_hexa(&mut self) -> Result<u32, SyntaxError> {
        self.save_next();
        let ok = self.cur() >= 0 && (self.cur() as u8).is_ascii_hexdigit();
        self.esc_check(ok, "hexadecimal digit expected")?;
        Ok(hexval(self.cur() as u8))
    }

    fn read_string(&mut self, del: u8) -> Result<Tok, SyntaxError> {
        self.save_next();
        while !self.is_cur(del) {
            let c = self.cur();
            if c == EOZ {
                return Err(self.lex_error("unfinished string", Some(&Tok::Eof)));
            }
            let c = c as u8;
            match c {
                b'\n' | b'\r' => {
                    return Err(self.lex_error("unfinished string", Some(&Tok::Str(vec![]))));
                }
                b'\\' => {
                    self.save_next();
                    let e = self.cur();
                    if e == EOZ {
                        continue; // will raise 'unfinished string'
                    }
                    let out: u8 = match e as u8 {
                        b'a' => 7,
                        b'b' => 8,
                        b'f' => 12,
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'v' => 11,
                        b'x' => {
                            let mut r = self.get_hexa()?;
                            r = (r << 4) + self.get_hexa()?;
                            self.buf.truncate(self.buf.len() - 2);
                            r as u8
                        }
                        b'u' => {
                            let r = self.read_utf8_esc()?;
                            self.buf.pop(); // the '\\'
                            utf8_esc(&mut self.buf, r);
                            continue;
                        }
                        b'\n' | b'\r' => {
                            self.inc_line();
                            self.buf.pop();
                            self.save(b'\n');
                            continue;
                        }
                        b'\\' | b'"' | b'\'' => e as u8,
                        b'z' => {
                            self.buf.pop();
                            self.next();
                            while self.cur() >= 0 && is_space(self.cur() as u8) {
                                if self.cur_newline() {
                                    self.inc_line();
                                } else {
                                    self.next();
                                }
                            }
                            continue;
                        }
                        d => {
                            let ok = d.is_ascii_digit();
                            self.esc_check(ok, "invalid escape sequence")?;
                            let mut r: u32 = 0;
                            let mut i = 0;
                            while i < 3 && self.cur() >= 0 && (self.cur() as u8).is_ascii_digit() {
                                r = 10 * r + (self.cur() as u8 - b'0') as u32;
                                self.save_next();
                                i += 1;
                            }
                            self.esc_check(r <= 255, "decimal escape too large")?;
                            self.buf.truncate(self.buf.len() - i);
                            self.buf.pop();
                            self.save(r as u8);
                            continue;
                        }
                    };
                    // read_save: skip the escape letter, drop the '\\', keep the byte
                    self.next();
                    self.buf.pop();
                    self.save(out);
                }
                _ => self.save_next(),
            }
        }
        self.save_next();
        Ok(Tok::Str(self.buf[1..self.buf.len() - 1].to_vec()))
    }

    fn read_utf8_esc(&mut self) -> Result<u32, SyntaxError> {
        let mut i = 4; // '\\', 'u', '{' and the first digit
        self.save_next(); // 'u'
        let ok = self.is_cur(b'{');
        self.esc_check(ok, "missing '{'")?;
        let mut r = self.get_hexa()?;
        loop {
            self.save_next();
            if !(self.cur() >= 0 && (self.cur() as u8).is_ascii_hexdigit()) {
                break;
            }
            i += 1;
            self.esc_check(r <= (0x7FFF_FFFFu32 >> 4), "UTF-8 value too large")?;
            r = (r << 4) + hexval(self.cur() as u8);
        }
        let ok = self.is_cur(b'}');
        self.esc_check(ok, "missing '}'")?;
        self.next();
        // remove the saved chars except the leading '\\' (the caller pops it)
        self.buf.truncate(self.buf.len() - (i - 1));
        Ok(r)
    }

    fn read_numeral(&mut self) -> Result<Tok, SyntaxError> {
        let first = self.cur();
        let mut expo = b"Ee";
        self.save_next();
        if first == b'0' as i32 && self.check_next2(b"xX") {
            expo = b"Pp";
        }
        loop {
            if self.check_next2(expo) {
                self.check_next2(b"-+");
            } else if self.cur() >= 0 && ((self.cur() as u8).is_ascii_hexdigit() || self.is_cur(b'.')) {
                self.save_next();
            } else {
                break;
            }
        }
        if self.cur() >= 0 && is_alpha(self.cur() as u8) {
            self.save_next();
        }
        match str2num(&self.buf) {
            Some(t) => Ok(t),
            None => Err(self.lex_error("malformed number", Some(&Tok::Flt(0.0)))),
        }
    }
}

/// luaO_utf8esc: up to six bytes, for values up to 2^31 - 1.
fn utf8_esc(out: &mut Vec<u8>, mut x: u32) {
    if x < 0x80 {
        out.push(x as u8);
        return;
    }
    let mut tmp = [0u8; 8];
    let mut n = 1;
    let mut mfb: u32 = 0x3f;
    loop {
        tmp[8 - n] = 0x80 | (x & 0x3f) as u8;
        n += 1;
        x >>= 6;
        mfb >>= 1;
        if x <= mfb {
            break;
        }
    }
    tmp[8 - n] = ((!mfb << 1) | x) as u8;
    out.extend_from_slice(&tmp[8 - n..]);
}

/// luaO_str2num on a numeral's text: an integer if it fits (hex integers wrap), else a
/// float; None when malformed.
pub fn str2num(s: &[u8]) -> Option<Tok> {
    let s = std::str::from_utf8(s).ok()?;
    let t = s.trim_matches(|c: char| c.is_ascii_whitespace());
    let (neg, body) = match t.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, t),
    };
    // integer?
    if let Some(h) = body.strip_prefix("0x").or_else(|| body.strip_prefix("0X")) {
        if !h.is_empty() && h.bytes().all(|c| c.is_ascii_hexdigit()) {
            let mut v: u64 = 0;
            for c in h.bytes() {
                v = v.wrapping_mul(16).wrapping_add(hexval(c) as u64);
            }
            let v = v as i64;
            return Some(Tok::Int(if neg { v.wrapping_neg() } else { v }));
        }
    } else if !body.is_empty() && body.bytes().all(|c| c.is_ascii_digit()) {
        let mut v: u64 = 0;
        let mut ok = true;
        for c in body.bytes() {
            let d = (c - b'0') as u64;
            if v >= (i64::MAX as u64) / 10
                && (v > (i64::MAX as u64) / 10 || d > (i64::MAX as u64) % 10 + neg as u64)
            {
                ok = false;
                break;
            }
            v = v * 10 + d;
        }
        if ok {
            let v = if neg { (v as i64).wrapping_neg() } else { v as i64 };
            return Some(Tok::Int(v));
        }
    }
    if t.contains(['n', 'N']) {
        return None;
    }
    let f = if body.starts_with("0x") || body.starts_with("0X") {
        hex_float(&body[2..])?
    } else {
        if !body.bytes().all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'E' | b'+' | b'-')) {
            return None;
        }
        body.parse::<f64>().ok()?
    };
    Some(Tok::Flt(if neg { -f } else { f }))
}

/// A hexadecimal float body (after "0x"): digits, optional '.', optional p exponent.
fn hex_float(s: &str) -> Option<f64> {
    let b = s.as_bytes();
    let mut i = 0;
    let mut mant: u64 = 0;
    let mut exp: i64 = 0;
    let mut any = false;
    let mut dot = false;
    let mut sticky = false;
    while i < b.len() {
        let c = b[i];
        if c == b'.' {
            if dot {
                return None;
            }
            dot = true;
        } else if c.is_ascii_hexdigit() {
            any = true;
            if mant >> 60 == 0 {
                mant = mant * 16 + hexval(c) as u64;
                if dot {
                    exp -= 4;
                }
            } else {
                sticky |= hexval(c) != 0;
                if !dot {
                    exp += 4;
                }
            }
        } else {
            break;
        }
        i += 1;
    }
    if !any {
        return None;
    }
    if i < b.len() {
        if b[i] != b'p' && b[i] != b'P' {
            return None;
        }
        i += 1;
        let mut eneg = false;
        if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
            eneg = b[i] == b'-';
            i += 1;
        }
        if i >= b.len() {
            return None;
        }
        let mut e: i64 = 0;
        while i < b.len() {
            if !b[i].is_ascii_digit() {
                return None;
            }
            e = (e * 10 + (b[i] - b'0') as i64).min(1 << 20);
            i += 1;
        }
        exp += if eneg { -e } else { e };
    }
    if sticky {
        mant |= 1;
    }
    Some(ldexp(mant as f64, exp))
}

fn ldexp(mut x: f64, mut e: i64) -> f64 {
    while e > 0 {
        let s = e.min(1000);
        x *= 2f64.powi(s as i32);
        e -= s;
        if x.is_infinite() {
            break;
        }
    }
    while e < 0 {
        let s = (-e).min(1000);
        x /= 2f64.powi(s as i32);
        e += s;
        if x == 0.0 {
            break;
        }
    }
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<Tok> {
        let mut l = Lexer::new(s.as_bytes(), "t");
        let mut v = vec![];
        loop {
            let t = l.token().unwrap();
            if t == Tok::Eof {
                return v;
            }
            v.push(t);
        }
    }

    #[test]
    fn numbers() {
        assert_eq!(
            toks("3 0x10 0xffffffffffffffff 9223372036854775808"),
            vec![Tok::Int(3), Tok::Int(16), Tok::Int(-1), Tok::Flt(9223372036854775808.0)]
        );
        assert_eq!(
            toks("0x1p4 0x.8 1e2 .5 3."),
            vec![Tok::Flt(16.0), Tok::Flt(0.5), Tok::Flt(100.0), Tok::Flt(0.5), Tok::Flt(3.0)]
        );
    }

    #[test]
    fn utf8() {
        let mut v = vec![];
        utf8_esc(&mut v, 0x7FFF_FFFF);
        assert_eq!(v, vec![0xFD, 0xBF, 0xBF, 0xBF, 0xBF, 0xBF]);
        let mut v = vec![];
        utf8_esc(&mut v, 0xE9);
        assert_eq!(v, "é".as_bytes());
    }

    #[test]
    fn chunk_names() {
        assert_eq!(chunk_display_name("=stdin"), "stdin");
        assert_eq!(chunk_display_name("@t.lua"), "t.lua");
        assert_eq!(chunk_display_name("x = 1\ny"), "[string \"x = 1...\"]");
        assert_eq!(chunk_display_name("x = 1"), "[string \"x = 1\"]");
    }
}
