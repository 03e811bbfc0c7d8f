//! Lua patterns (Lua 5.4 manual §6.4.1): `find`, `match`, `gmatch` and `gsub`'s matching
//! core. The matcher is a backtracking interpreter over the pattern bytes; it recurses only
//! where a choice point needs one (captures, `?`, `*`, `+`, `-`), counted against a limit of
//! 200 levels ("pattern too complex"), so the native stack stays bounded.

/// Most captures one pattern may have.
pub const MAX_CAPTURES: usize = 32;
/// Most nested matcher calls ("pattern too complex" beyond).
const MAX_DEPTH: usize = 200;
const SPECIALS: &[u8] = b"^$*+?.([%-";

const CAP_UNFINISHED: isize = -1;
const CAP_POSITION: isize = -2;

/// One capture: a substring of the subject, or a position capture `()` (1-based).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Capture<'a> {
    Str(&'a [u8]),
    Pos(usize),
}

impl Capture<'_> {
    /// The capture as a string would be converted by `tostring` (positions in decimal).
    pub fn to_bytes(&self) -> Vec<u8> {
        match self {
            Capture::Str(s) => s.to_vec(),
            Capture::Pos(p) => p.to_string().into_bytes(),
        }
    }
}

type R<T> = Result<T, String>;

struct Matcher<'a> {
    src: &'a [u8],
    pat: &'a [u8],
    level: usize,
    caps: [(usize, isize); MAX_CAPTURES],
    depth: usize,
}

#[inline]
fn class_matches(c: u8, cl: u8) -> bool {
    let res = match cl.to_ascii_lowercase() {
        b'a' => c.is_ascii_alphabetic(),
        b'c' => c < 32 || c == 127,
        b'd' => c.is_ascii_digit(),
        b'g' => c.is_ascii_graphic(),
        b'l' => c.is_ascii_lowercase(),
        b'p' => c.is_ascii_punctuation(),
        b's' => crate::number::is_space(c),
        b'u' => c.is_ascii_uppercase(),
        b'w' => c.is_ascii_alphanumeric(),
        b'x' => c.is_ascii_hexdigit(),
        b'z' => c == 0, // deprecated in 5.2, still accepted by 5.4
        _ => return cl == c,
    };
    if cl.is_ascii_uppercase() {
        !res
    } else {
        res
    }
}

impl<'a> Matcher<'a> {
    fn new(src: &'a [u8], pat: &'a [u8]) -> Self {
        Matcher { src, pat, level: 0, caps: [(0, 0); MAX_CAPTURES], depth: MAX_DEPTH }
    }

    fn reset(&mut self) {
        self.level = 0;
        self.depth = MAX_DEPTH;
    }

    /// The index just past the single-character class starting at `p`.
    fn class_end(&self, mut p: usize) -> R<usize> {
        let pat = self.pat;
        let c = pat[p];
        p += 1;
        if c == b'%' {
            if p >= pat.len() {
                return Err("malformed pattern (ends with '%')".into());
            }
            return Ok(p + 1);
        }
        if c == b'[' {
            if pat.get(p) == Some(&b'^') {
                p += 1;
            }
            // The first character of a set is always literal, so "[]]" is a set of ']'.
            loop {
                if p >= pat.len() {
                    return Err("malformed pattern (missing ']')".into());
                }
                let cc = pat[p];
                p += 1;
                if cc == b'%' && p < pat.len() {
                    p += 1;
                }
                if p < pat.len() && pat[p] == b']' {
                    return Ok(p + 1);
                }
            }
        }
        Ok(p)
    }

    /// Whether `c` is in the set `pat[p..=ec]` (`pat[p]` is '[' and `pat[ec]` is ']').
    fn in_set(&self, c: u8, mut p: usize, ec: usize) -> bool {
        let pat = self.pat;
        let mut sig = true;
        p += 1;
        if pat[p] == b'^' {
            sig = false;
            p += 1;
        }
        while p < ec {
            if pat[p] == b'%' {
                p += 1;
                if class_matches(c, pat[p]) {
                    return sig;
                }
                p += 1;
            } else if pat[p + 1] == b'-' && p + 2 < ec {
                if pat[p] <= c && c <= pat[p + 2] {
                    return sig;
                }
                p += 3;
            } else {
                if pat[p] == c {
                    return sig;
                }
                p += 1;
            }
        }
        !sig
    }

    /// Whether subject position `s` matches the class `pat[p..ep]`.
    fn single(&self, s: usize, p: usize, ep: usize) -> bool {
        let Some(&c) = self.src.get(s) else { return false };
        match self.pat[p] {
            b'.' => true,
            b'%' => class_matches(c, self.pat[p + 1]),
            b'[' => self.in_set(c, p, ep - 1),
            pc => pc == c,
        }
    }

    fn do_match(&mut self, s: usize, p: usize) -> R<Option<usize>> {
        if self.depth == 0 {
            return Err("pattern too complex".into());
        }
        self.depth -= 1;
        let r = self.match_here(s, p);
        self.depth += 1;
        r
    }

    fn match_here(&mut self, mut s: usize, mut p: usize) -> R<Option<usize>> {
        let pat = self.pat;
        loop {
            if p == pat.len() {
                return Ok(Some(s));
            }
            match pat[p] {
                b'(' => {
                    return if pat.get(p + 1) == Some(&b')') {
                        self.start_capture(s, p + 2, CAP_POSITION)
                    } else {
                        self.start_capture(s, p + 1, CAP_UNFINISHED)
                    };
                }
                b')' => return self.end_capture(s, p + 1),
                b'$' if p + 1 == pat.len() => return Ok((s == self.src.len()).then_some(s)),
                b'%' if pat.get(p + 1) == Some(&b'b') => match self.balance(s, p + 2)? {
                    Some(e) => {
                        s = e;
                        p += 4;
                        continue;
                    }
                    None => return Ok(None),
                },
                b'%' if pat.get(p + 1) == Some(&b'f') => {
                    p += 2;
                    if pat.get(p) != Some(&b'[') {
                        return Err("missing '[' after '%f' in pattern".into());
                    }
                    let ep = self.class_end(p)?;
                    let prev = if s == 0 { 0 } else { self.src[s - 1] };
                    let cur = self.src.get(s).copied().unwrap_or(0);
                    if !self.in_set(prev, p, ep - 1) && self.in_set(cur, p, ep - 1) {
                        p = ep;
                        continue;
                    }
                    return Ok(None);
                }
                b'%' if pat.get(p + 1).is_some_and(|c| c.is_ascii_digit()) => {
                    match self.backref(s, pat[p + 1])? {
                        Some(e) => {
                            s = e;
                            p += 2;
                            continue;
                        }
                        None => return Ok(None),
                    }
                }
                _ => {}
            }
            let ep = self.class_end(p)?;
            let m = self.single(s, p, ep);
            match pat.get(ep) {
                Some(b'?') => {
                    if m {
                        if let Some(e) = self.do_match(s + 1, ep + 1)? {
                            return Ok(Some(e));
                        }
                    }
                    p = ep + 1;
                }
                Some(b'+') => return if m { self.max_expand(s + 1, p, ep) } else { Ok(None) },
                Some(b'*') => return self.max_expand(s, p, ep),
                Some(b'-') => return self.min_expand(s, p, ep),
                _ => {
                    if !m {
                        return Ok(None);
                    }
                    s += 1;
                    p = ep;
                }
            }
        }
    }

    fn max_expand(&mut self, s: usize, p: usize, ep: usize) -> R<Option<usize>> {
        let mut i = 0;
        while self.single(s + i, p, ep) {
            i += 1;
        }
        loop {
            if let Some(e) = self.do_match(s + i, ep + 1)? {
                return Ok(Some(e));
            }
            if i == 0 {
                return Ok(None);
            }
            i -= 1;
        }
    }

    fn min_expand(&mut self, mut s: usize, p: usize, ep: usize) -> R<Option<usize>> {
        loop {
            if let Some(e) = self.do_match(s, ep + 1)? {
                return Ok(Some(e));
            }
            if self.single(s, p, ep) {
                s += 1;
            } else {
                return Ok(None);
            }
        }
    }

    fn start_capture(&mut self, s: usize, p: usize, what: isize) -> R<Option<usize>> {
        if self.level >= MAX_CAPTURES {
            return Err("too many captures".into());
        }
        self.caps[self.level] = (s, what);
        self.level += 1;
        let r = self.do_match(s, p)?;
        if r.is_none() {
            self.level -= 1;
        }
        Ok(r)
    }

    fn end_capture(&mut self, s: usize, p: usize) -> R<Option<usize>> {
        let Some(l) = (0..self.level).rev().find(|&i| self.caps[i].1 == CAP_UNFINISHED) else {
            return Err("invalid pattern capture".into());
        };
        self.caps[l].1 = (s - self.caps[l].0) as isize;
        let r = self.do_match(s, p)?;
        if r.is_none() {
            self.caps[l].1 = CAP_UNFINISHED;
        }
        Ok(r)
    }

    /// `%bxy` at subject position `s`; `p` points at `x`.
    fn balance(&self, s: usize, p: usize) -> R<Option<usize>> {
        if p + 1 >= self.pat.len() {
            return Err("malformed pattern (missing arguments to '%b')".into());
        }
        let (open, close) = (self.pat[p], self.pat[p + 1]);
        if self.src.get(s) != Some(&open) {
            return Ok(None);
        }
        let mut depth = 1;
        for (i, &c) in self.src.iter().enumerate().skip(s + 1) {
            if c == close {
                depth -= 1;
                if depth == 0 {
                    return Ok(Some(i + 1));
                }
            } else if c == open {
                depth += 1;
            }
        }
        Ok(None)
    }

    /// `%1`..`%9`: the subject at `s` must repeat capture d.
    fn backref(&self, s: usize, d: u8) -> R<Option<usize>> {
        let l = d as isize - b'1' as isize;
        if l < 0 || l as usize >= self.level || self.caps[l as usize].1 == CAP_UNFINISHED {
            return Err(format!("invalid capture index %{}", l + 1));
        }
        let (start, len) = self.caps[l as usize];
        if len < 0 {
            return Ok(None); // a position capture never matches text
        }
        let cap = &self.src[start..start + len as usize];
        Ok(self.src[s..].starts_with(cap).then_some(s + cap.len()))
    }

    /// Capture `i` of a match `src[s..e]`; capture 0 is the whole match if there are none.
    fn capture(&self, i: usize, s: usize, e: usize) -> R<Capture<'a>> {
        if i >= self.level {
            if i == 0 {
                return Ok(Capture::Str(&self.src[s..e]));
            }
            return Err(format!("invalid capture index %{}", i + 1));
        }
        let (start, len) = self.caps[i];
        match len {
            CAP_UNFINISHED => Err("unfinished capture".into()),
            CAP_POSITION => Ok(Capture::Pos(start + 1)),
            _ => Ok(Capture::Str(&self.src[start..start + len as usize])),
        }
    }

    fn captures(&self, s: usize, e: usize, whole_if_none: bool) -> R<Vec<Capture<'a>>> {
        let n = if self.level == 0 && whole_if_none { 1 } else { self.level };
        (0..n).map(|i| self.capture(i, s, e)).collect()
    }
}

/// Lua's `posrelat` for a start position: 1-based, negative from the end, clamped at 1.
fn start_pos(init: i64, len: usize) -> usize {
    if init > 0 {
        init as usize
    } else if init == 0 || init.unsigned_abs() > len as u64 {
        1
    } else {
        (len as i64 + init + 1) as usize
    }
}

/// A successful `find`: 1-based inclusive bounds and the captures.
pub type Found<'a> = (usize, usize, Vec<Capture<'a>>);

fn find_aux<'a>(s: &'a [u8], pat: &'a [u8], init: i64, plain: bool, find: bool) -> R<Option<Found<'a>>> {
    let init = start_pos(init, s.len());
    if init > s.len() + 1 {
        return Ok(None);
    }
    if find && (plain || !pat.iter().any(|c| SPECIALS.contains(c))) {
        let hay = &s[init - 1..];
        let at = if pat.is_empty() { Some(0) } else { hay.windows(pat.len()).position(|w| w == pat) };
        return Ok(at.map(|i| (init + i, init + i + pat.len() - 1, Vec::new())));
    }
    let (anchor, p0) = if pat.first() == Some(&b'^') { (true, 1) } else { (false, 0) };
    let mut m = Matcher::new(s, pat);
    let mut s1 = init - 1;
    loop {
        m.reset();
        if let Some(e) = m.do_match(s1, p0)? {
            return Ok(Some((s1 + 1, e, m.captures(s1, e, !find)?)));
        }
        if anchor || s1 >= s.len() {
            return Ok(None);
        }
        s1 += 1;
    }
}

/// `string.find(s, pat, init, plain)`: the 1-based bounds of the first match and its
/// captures.
pub fn find<'a>(s: &'a [u8], pat: &'a [u8], init: i64, plain: bool) -> R<Option<Found<'a>>> {
    find_aux(s, pat, init, plain, true)
}

/// `string.match(s, pat, init)`: the captures of the first match (the whole match if the
/// pattern has none).
pub fn str_match<'a>(s: &'a [u8], pat: &'a [u8], init: i64) -> R<Option<Vec<Capture<'a>>>> {
    Ok(find_aux(s, pat, init, false, false)?.map(|(_, _, c)| c))
}

/// The state of a `string.gmatch` iteration. '^' is not an anchor here (as in Lua 5.4).
pub struct GMatch<'a> {
    src: &'a [u8],
    pat: &'a [u8],
    pos: usize,
    lastmatch: Option<usize>,
}

impl<'a> GMatch<'a> {
    pub fn new(src: &'a [u8], pat: &'a [u8], init: i64) -> Self {
        let pos = (start_pos(init, src.len()) - 1).min(src.len() + 1);
        GMatch { src, pat, pos, lastmatch: None }
    }

    /// The next match's captures; an empty match right where the previous match ended is
    /// skipped (5.4's "lastmatch" rule).
    pub fn next_match(&mut self) -> R<Option<Vec<Capture<'a>>>> {
        let mut m = Matcher::new(self.src, self.pat);
        let mut s = self.pos;
        while s <= self.src.len() {
            m.reset();
            if let Some(e) = m.do_match(s, 0)? {
                if Some(e) != self.lastmatch {
                    self.pos = e;
                    self.lastmatch = Some(e);
                    return Ok(Some(m.captures(s, e, true)?));
                }
            }
            s += 1;
        }
        self.pos = s;
        Ok(None)
    }
}

/// A callback replacement: gets the captures (the whole match if none), returns the
/// replacement, or `None` (Lua's false/nil) to keep the match.
pub type ReplFn<'r> = dyn FnMut(&[Capture]) -> R<Option<Vec<u8>>> + 'r;

/// What `gsub` replaces a match with. A table replacement is a `Fn` that indexes the table
/// with the first capture.
pub enum Repl<'r> {
    Str(&'r [u8]),
    Fn(&'r mut ReplFn<'r>),
}

fn add_repl_str(out: &mut Vec<u8>, r: &[u8], m: &Matcher, s: usize, e: usize) -> R<()> {
    let mut i = 0;
    while i < r.len() {
        let c = r[i];
        i += 1;
        if c != b'%' {
            out.push(c);
            continue;
        }
        match r.get(i) {
            Some(b'%') => out.push(b'%'),
            Some(b'0') => out.extend_from_slice(&m.src[s..e]),
            Some(&d) if d.is_ascii_digit() => {
                out.extend_from_slice(&m.capture((d - b'1') as usize, s, e)?.to_bytes())
            }
            _ => return Err("invalid use of '%' in replacement string".into()),
        }
        i += 1;
    }
    Ok(())
}

/// `string.gsub(s, pat, repl, max_n)`: the result and the number of matches replaced.
pub fn gsub(src: &[u8], pat: &[u8], mut repl: Repl, max_n: Option<i64>) -> R<(Vec<u8>, i64)> {
    let (anchor, p0) = if pat.first() == Some(&b'^') { (true, 1) } else { (false, 0) };
    let max_n = max_n.unwrap_or(src.len() as i64 + 1);
    let mut m = Matcher::new(src, pat);
    let mut out = Vec::with_capacity(src.len());
    let mut s = 0;
    let mut lastmatch = None;
    let mut n = 0;
    while n < max_n {
        m.reset();
        match m.do_match(s, p0)? {
            Some(e) if Some(e) != lastmatch => {
                n += 1;
                match &mut repl {
                    Repl::Str(r) => add_repl_str(&mut out, r, &m, s, e)?,
                    Repl::Fn(f) => {
                        let caps = m.captures(s, e, true)?;
                        match f(&caps)? {
                            Some(r) => out.extend_from_slice(&r),
                            None => out.extend_from_slice(&src[s..e]),
                        }
                    }
                }
                s = e;
                lastmatch = Some(e);
            }
            _ if s < src.len() => {
                out.push(src[s]);
                s += 1;
            }
            _ => break,
        }
        if anchor {
            break;
        }
    }
    out.extend_from_slice(&src[s..]);
    Ok((out, n))
}

/// A match starting exactly at 0-based offset `at` (the pattern is not anchored by a
/// leading '^' here: the caller strips it): the end offset and the captures (the whole match
/// if none). `gmatch` and a gsub with a Lua function replacement step with this.
pub fn match_at<'a>(s: &'a [u8], pat: &'a [u8], at: usize) -> R<Option<(usize, Vec<Capture<'a>>)>> {
    if at > s.len() {
        return Ok(None);
    }
    let mut m = Matcher::new(s, pat);
    m.reset();
    match m.do_match(at, 0)? {
        Some(e) => Ok(Some((e, m.captures(at, e, true)?))),
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Expected results generated by lua5.4 (5.4.4); see `show` for the encoding.
    type Case4 = (&'static [u8], &'static [u8], i64, &'static [u8]);
    type FindCase = (&'static [u8], &'static [u8], i64, bool, &'static [u8]);
    const FIND: &[FindCase] = &[
        (b"hello world", b"o", 1, false, b"5 5"),
        (b"hello world", b"o", 6, false, b"8 8"),
        (b"hello world", b"o", -3, false, b"nil"),
        (b"hello world", b"l+", 1, false, b"3 4"),
        (b"hello world", b"(h)(e)", 1, false, b"1 2 'h' 'e'"),
        (b"hello", b"", 1, false, b"1 0"),
        (b"hello", b"", 10, false, b"nil"),
        (b"hello", b"", 6, false, b"6 5"),
        (b"hello", b"", -100, false, b"1 0"),
        (b"a.b", b".", 1, true, b"2 2"),
        (b"a.b", b"%.", 1, false, b"2 2"),
        (b"a+b", b"+", 1, true, b"2 2"),
        (b"abc", b"^b", 1, false, b"nil"),
        (b"abc", b"^a", 1, false, b"1 1"),
        (b"abc", b"c$", 1, false, b"3 3"),
        (b"abc", b"b$", 1, false, b"nil"),
        (b"a$c", b"$c", 1, false, b"2 3"),
        (b"aaa", b"a-", 1, false, b"1 0"),
        (b"aaa", b"a-$", 1, false, b"1 3"),
        (b"aaab", b"a*b", 1, false, b"1 4"),
        (b"b", b"a*b", 1, false, b"1 1"),
        (b"xyz", b"()y()", 1, false, b"2 2 2 3"),
        (b"THE (quick) fox", b"%((%a+)%)", 1, false, b"5 11 'quick'"),
        (b"f(a(b)c)d", b"%b()", 1, false, b"2 8"),
        (b"f(a(b)c", b"%b()", 1, false, b"4 6"),
        (b"THE (quick) fox", b"%f[%a]%a+", 5, false, b"6 10"),
        (b"hello", b"%f[%l]", 1, false, b"1 0"),
        (b"hello", b"%f[%z]", 1, false, b"6 5"),
        (b"abab", b"(ab)%1", 1, false, b"1 4 'ab'"),
        (b"abcabc", b"(a)(b)(c)%3", 1, false, b"nil"),
        (b"  x", b"%s*()", 1, false, b"1 2 3"),
        (b"key = value", b"(%w+)%s*=%s*(%w+)", 1, false, b"1 11 'key' 'value'"),
        (b"[x]", b"[]]", 1, false, b"3 3"),
        (b"a-b", b"[a-]", 2, false, b"2 2"),
        (b"a^b", b"[%^]", 1, false, b"2 2"),
        (b"a^b", b"[b^]", 1, false, b"2 2"),
        (b"abc123", b"[^%a]+", 1, false, b"4 6"),
        (b"ABCdef", b"%u+", 1, false, b"1 3"),
        (b"ABCdef", b"%U+", 1, false, b"4 6"),
        (b"a1_b2", b"[%w_]+", 1, false, b"1 5"),
        (b"tab\x09here", b"%c", 1, false, b"4 4"),
        (b"x!y", b"%p", 1, false, b"2 2"),
        (b"\x00a\x00", b"%z", 1, false, b"1 1"),
        (b"\x00a\x00", b"a%z", 1, false, b"2 3"),
        (b"0x1F", b"%x+", 3, false, b"3 4"),
        (b"caf\xc3\xa9", b"[\x80-\xff]+", 1, false, b"4 5"),
        (b"abc", b"[a-c]+", 1, false, b"1 3"),
        (b"a", b"[z-a]", 1, false, b"nil"),
        (b"hello", b"l?l", 1, false, b"3 4"),
        (b"hello", b"x?h", 1, false, b"1 1"),
        (b"aaa", b"^a?a?a?a?$", 1, false, b"1 3"),
        (b"date: 2024-01-02", b"(%d+)-(%d+)-(%d+)", 1, false, b"7 16 '2024' '01' '02'"),
        (b"abc", b"%", 1, false, b"E:malformed pattern (ends with '%')"),
        (b"abc", b"[a", 1, false, b"E:malformed pattern (missing ']')"),
        (b"abc", b"[a%", 1, false, b"E:malformed pattern (missing ']')"),
        (b"abc", b"[", 1, false, b"E:malformed pattern (missing ']')"),
        (b"abc", b"[^", 1, false, b"E:malformed pattern (missing ']')"),
        (b"abc", b"%f", 1, false, b"E:missing '[' after '%f' in pattern"),
        (b"abc", b"%fa", 1, false, b"E:missing '[' after '%f' in pattern"),
        (b"abc", b"%1", 1, false, b"E:invalid capture index %1"),
        (b"abc", b"(a)%2", 1, false, b"E:invalid capture index %2"),
        (b"abc", b"(a%1)", 1, false, b"E:invalid capture index %1"),
        (b"abc", b"a)", 1, false, b"nil"),
        (b"abc", b"(a", 1, false, b"E:unfinished capture"),
        (b"abc", b"%b", 1, false, b"E:malformed pattern (missing arguments to '%b')"),
        (b"abc", b"%ba", 1, false, b"E:malformed pattern (missing arguments to '%b')"),
        (b"abc", b"(((((((((((((((((((((((((((((((((a)))))))))))))))))))))))))))))))))", 1, false, b"E:too many captures"),
        (b"abc", b"((((((((((((((((((((((((((((((((a))))))))))))))))))))))))))))))))", 1, false, b"1 1 'a' 'a' 'a' 'a' 'a' 'a' 'a' 'a' 'a' 'a' 'a' 'a' 'a' 'a' 'a' 'a' 'a' 'a' 'a' 'a' 'a' 'a' 'a' 'a' 'a' 'a' 'a' 'a' 'a' 'a' 'a' 'a'"),
        (b"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", b"a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?", 1, false, b"E:pattern too complex"),
        (b"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", b"a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?a?", 1, false, b"1 150"),
        (b"abc", b"%0", 1, false, b"E:invalid capture index %0"),
        (b"a.b", b".", 2, true, b"2 2"),
        (b"hello", b"l", -2, true, b"4 4"),
        (b"hello", b"xyz", 1, true, b"nil"),
        (b"hello", b"", 3, true, b"3 2"),
        (b"", b"", 1, false, b"1 0"),
        (b"", b"a*", 1, false, b"1 0"),
        (b"aXb", b"%ab", 1, false, b"2 3"),
        (b"one two", b"(%a+) (%a+)$", 1, false, b"1 7 'one' 'two'"),
        (b"x = 1, y = 2", b"()=", 4, false, b"10 10 10"),
        (b"((a))", b"%b()", 2, false, b"2 4"),
        (b"[[x]]", b"%b[]", 1, false, b"1 5"),
        (b"abc", b"a.-c", 1, false, b"1 3"),
        (b"abcabc", b"a.*c", 1, false, b"1 6"),
        (b"abcabc", b"a.-c$", 1, false, b"1 6"),
        (b"  trim  ", b"^%s*(.-)%s*$", 1, false, b"1 8 'trim'"),
        (b"a,b,,c", b",,", 1, false, b"4 5"),
        (b"THE (quick) fox", b"%f[%A]", 1, false, b"4 3"),
        (b"x", b"[%a-z]", 1, false, b"1 1"),
        (b"-", b"[%a-z]", 1, false, b"1 1"),
        (b"]", b"[]-a]", 1, false, b"1 1"),
        (b"b", b"[]-a]", 1, false, b"nil"),
    ];
    const MATCH: &[Case4] = &[
        (b"hello world", b"%w+", 1, b"'hello'"),
        (b"hello world", b"%w+", 6, b"'world'"),
        (b"hello world", b"(o)(r)", 1, b"'o' 'r'"),
        (b"  x", b"()x", 1, b"3"),
        (b"key=val", b"(%w+)=(%w+)", 1, b"'key' 'val'"),
        (b"abc", b"^(a)", 2, b"nil"),
        (b"2024", b"^%d+$", 1, b"'2024'"),
        (b"20x4", b"^%d+$", 1, b"nil"),
        (b"abc", b".-", 1, b"''"),
        (b"abc", b"(.-)$", 1, b"'abc'"),
        (b"abc", b"((a)(b))", 1, b"'ab' 'a' 'b'"),
        (b"abc", b"()", 4, b"4"),
        (b"abc", b"()", 5, b"nil"),
        (b"hello", b"(l)(l)", -3, b"'l' 'l'"),
        (b"x", b"(x)(y?)", 1, b"'x' ''"),
        (b"", b"^$", 1, b"''"),
        (b"a", b"()a()", 1, b"1 2"),
        (b"abc", b"(", 1, b"E:unfinished capture"),
        (b"abc", b")", 1, b"E:invalid pattern capture"),
    ];
    const GMATCH: &[Case4] = &[
        (b"hello world from lua", b"%a+", 1, b"'hello' nil;'world' nil;'from' nil;'lua' nil"),
        (b"abc", b"", 1, b"'' nil;'' nil;'' nil;'' nil"),
        (b"a,b,,c", b"([^,]*)", 1, b"'a' nil;'b' nil;'' nil;'c' nil"),
        (b"k1=v1, k2=v2", b"(%w+)=(%w+)", 1, b"'k1' 'v1';'k2' 'v2'"),
        (b"abc", b"()", 1, b"1 nil;2 nil;3 nil;4 nil"),
        (b"^a^a", b"^a", 1, b"'^a' nil;'^a' nil"),
        (b"hello", b"l*", 1, b"'' nil;'' nil;'ll' nil;'' nil"),
        (b"one two three", b"%a+", 5, b"'two' nil;'three' nil"),
        (b"abc", b"x*", -1, b"'' nil;'' nil"),
        (b"abc", b".", 10, b""),
        (b"aaa", b"a-", 1, b"'' nil;'' nil;'' nil;'' nil"),
        (b"xyz", b"%", 1, b"E:malformed pattern (ends with '%')"),
    ];
    type GsubCase = (&'static [u8], &'static [u8], &'static [u8], Option<i64>, &'static [u8]);
    const GSUB: &[GsubCase] = &[
        (b"hello world", b"o", b"0", None, b"hell0 w0rld|2"),
        (b"hello world", b"o", b"0", Some(1), b"hell0 world|1"),
        (b"hello world", b"(o)", b"[%1]", None, b"hell[o] w[o]rld|2"),
        (b"hello world", b"%w+", b"<%0>", None, b"<hello> <world>|2"),
        (b"abc", b"", b"-", None, b"-a-b-c-|4"),
        (b"abc", b"b*", b"-", None, b"-a-c-|3"),
        (b"hello", b"l", b"%%", None, b"he%%o|2"),
        (b"hello", b"l", b"%", None, b"E:invalid use of '%' in replacement string"),
        (b"hello", b"l", b"%x", None, b"E:invalid use of '%' in replacement string"),
        (b"hello", b"l", b"%2", None, b"E:invalid capture index %2"),
        (b"hello", b"(l)", b"%2", None, b"E:invalid capture index %2"),
        (b"hello", b"l", b"%1", None, b"hello|2"),
        (b"hello", b"()l", b"%1", None, b"he34o|2"),
        (b"abc", b"^a", b"x", None, b"xbc|1"),
        (b"aaa", b"^a", b"x", None, b"xaa|1"),
        (b"abc", b"$", b"!", None, b"abc!|1"),
        (b"hello world", b"(%w+) (%w+)", b"%2 %1", None, b"world hello|1"),
        (b"abc", b".", b"%0%0", Some(2), b"aabbc|2"),
        (b"abc", b".", b"x", Some(0), b"abc|0"),
        (b"abc", b".", b"x", Some(-1), b"abc|0"),
        (b"  trim  ", b"^%s+", b"", None, b"trim  |1"),
        (b"a.b.c", b"%.", b"/", None, b"a/b/c|2"),
        (b"abc", b"(", b"x", None, b"xaxbxcx|4"),
        (b"x y", b"%s", b"%%s", None, b"x%sy|1"),
        (b"hello", b"", b"%0", None, b"hello|6"),
        (b"abc", b"b", b"%1%0", None, b"abbc|1"),
        (b"ab", b"(a)(b)", b"%2%1%0", None, b"baab|1"),
        (b"aaa", b"a-", b"x", None, b"xaxaxax|4"),
        (b"aaa", b"a*", b"x", None, b"x|1"),
    ];
    const GSUB_FN: &[(&[u8], &[u8], &[u8])] = &[
        (b"abc", b"%a", b"<a>b<c>|3"),
        (b"abc", b"(%a)()", b"<a,2>b<c,4>|3"),
        (b"a b c", b"%a", b"<a> b <c>|3"),
        (b"key=val x=y", b"(%w+)=(%w+)", b"<key,val> <x,y>|2"),
        (b"abc", b"", b"<>a<>b<>c<>|4"),
    ];

    /// Lua-side rendering of results: strings quoted with ', numbers bare, space-separated.
    fn show(caps: &[Option<Capture>]) -> Vec<u8> {
        let mut out = Vec::new();
        for (i, c) in caps.iter().enumerate() {
            if i > 0 {
                out.push(b' ');
            }
            match c {
                Some(Capture::Str(s)) => {
                    out.push(b'\'');
                    out.extend_from_slice(s);
                    out.push(b'\'');
                }
                Some(Capture::Pos(p)) => out.extend_from_slice(p.to_string().as_bytes()),
                None => out.extend_from_slice(b"nil"),
            }
        }
        out
    }

    fn err(e: String) -> Vec<u8> {
        format!("E:{e}").into_bytes()
    }

    #[test]
    fn find_matches_lua() {
        for &(s, p, init, plain, want) in FIND {
            let got = match find(s, p, init, plain) {
                Ok(None) => b"nil".to_vec(),
                Ok(Some((i, j, caps))) => {
                    let mut v = format!("{i} {j}").into_bytes();
                    if !caps.is_empty() {
                        v.push(b' ');
                        v.extend(show(&caps.into_iter().map(Some).collect::<Vec<_>>()));
                    }
                    v
                }
                Err(e) => err(e),
            };
            assert_eq!(
                String::from_utf8_lossy(&got),
                String::from_utf8_lossy(want),
                "find({:?}, {:?}, {init}, {plain})",
                String::from_utf8_lossy(s),
                String::from_utf8_lossy(p)
            );
        }
    }

    #[test]
    fn match_matches_lua() {
        for &(s, p, init, want) in MATCH {
            let got = match str_match(s, p, init) {
                Ok(None) => b"nil".to_vec(),
                Ok(Some(caps)) => show(&caps.into_iter().map(Some).collect::<Vec<_>>()),
                Err(e) => err(e),
            };
            assert_eq!(
                got,
                want,
                "match({:?}, {:?}, {init})",
                String::from_utf8_lossy(s),
                String::from_utf8_lossy(p)
            );
        }
    }

    #[test]
    fn gmatch_matches_lua() {
        for &(s, p, init, want) in GMATCH {
            let mut g = GMatch::new(s, p, init);
            let mut parts: Vec<Vec<u8>> = Vec::new();
            let got = loop {
                match g.next_match() {
                    Ok(Some(caps)) => parts.push(show(&[caps.first().copied(), caps.get(1).copied()])),
                    Ok(None) => break parts.join(&b';'),
                    Err(e) => break err(e),
                }
            };
            assert_eq!(
                String::from_utf8_lossy(&got),
                String::from_utf8_lossy(want),
                "gmatch({:?}, {:?})",
                String::from_utf8_lossy(s),
                String::from_utf8_lossy(p)
            );
        }
    }

    #[test]
    fn gsub_string_matches_lua() {
        for &(s, p, r, n, want) in GSUB {
            let got = match gsub(s, p, Repl::Str(r), n) {
                Ok((mut out, k)) => {
                    out.extend_from_slice(format!("|{k}").as_bytes());
                    out
                }
                Err(e) => err(e),
            };
            assert_eq!(
                String::from_utf8_lossy(&got),
                String::from_utf8_lossy(want),
                "gsub({:?}, {:?}, {:?})",
                String::from_utf8_lossy(s),
                String::from_utf8_lossy(p),
                String::from_utf8_lossy(r)
            );
        }
    }

    #[test]
    fn gsub_function_matches_lua() {
        for &(s, p, want) in GSUB_FN {
            let mut f = |caps: &[Capture]| -> Result<Option<Vec<u8>>, String> {
                let parts: Vec<Vec<u8>> = caps.iter().map(|c| c.to_bytes()).collect();
                if parts[0] == b"b" {
                    return Ok(None);
                }
                let mut v = b"<".to_vec();
                v.extend(parts.join(&b','));
                v.push(b'>');
                Ok(Some(v))
            };
            let (mut out, k) = gsub(s, p, Repl::Fn(&mut f), None).unwrap();
            out.extend_from_slice(format!("|{k}").as_bytes());
            assert_eq!(String::from_utf8_lossy(&out), String::from_utf8_lossy(want));
        }
    }

    #[test]
    fn callback_errors_propagate() {
        let mut f = |_: &[Capture]| -> Result<Option<Vec<u8>>, String> { Err("boom".into()) };
        assert_eq!(gsub(b"abc", b"b", Repl::Fn(&mut f), None), Err("boom".to_string()));
    }

    #[test]
    fn deep_patterns_do_not_overflow() {
        let s = vec![b'a'; 100_000];
        // A single-char repetition is a loop, not recursion: long subjects are fine.
        assert_eq!(find(&s, b"a*$", 1, false).unwrap().map(|f| f.1), Some(100_000));
        assert_eq!(find(&s, b".-$", 1, false).unwrap().map(|f| f.1), Some(100_000));
        let p = b"a?".repeat(1000);
        assert_eq!(find(&s, &p, 1, false), Err("pattern too complex".to_string()));
    }
}
