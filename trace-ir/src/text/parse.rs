//! The parser: one line at a time, no recursion, every failure a `ParseError`.
//!
//! It builds the trace as written and checks only what the `Trace` cannot represent (names,
//! snapshot numbering, a store's width); types and ordering rules are the verifier's job, so
//! a test can write an ill-typed trace in text and watch the verifier reject it.

use std::collections::{BTreeMap, HashMap};

use super::lex::{lex_line, to_u32, Tok, Token};
use super::ParseError;
use crate::ir::*;
use crate::types::Type;

pub(crate) fn parse(src: &str) -> Result<Trace, ParseError> {
    parse_in(src, 1, None)
}

/// The fragment and table names of a program, so that snapshot targets may be written by
/// name. Without them (a standalone trace) targets are numbers.
#[derive(Default, Debug)]
pub(crate) struct TargetNames {
    pub fragments: HashMap<String, u32>,
    pub tables: HashMap<String, u32>,
}

/// Parses `src` whose first line is line `first_line` of a larger text (a fragment of a
/// program), resolving target names through `names`.
pub(crate) fn parse_in(src: &str, first_line: u32, names: Option<&TargetNames>) -> Result<Trace, ParseError> {
    let mut p = Parser { targets: names, ..Parser::default() };
    let mut last = (first_line, 1u32);
    for (i, text) in src.split('\n').enumerate() {
        let line = to_u32(i).saturating_add(first_line);
        let toks = lex_line(text, line)?;
        last = (line, toks.last().map_or(1, |t| t.col));
        if matches!(toks.first().map(|t| t.tok), None | Some(Tok::Eol)) {
            continue;
        }
        let mut cur = Cursor { toks: &toks, pos: 0, line };
        p.line(&mut cur)?;
        let t = cur.peek();
        if t.tok != Tok::Eol {
            return Err(cur.err(t, format!("expected end of line, found {}", t.tok.describe())));
        }
        p.lines += 1;
    }
    p.finish(last)
}

struct Cursor<'t, 'a> {
    toks: &'t [Token<'a>],
    pos: usize,
    line: u32,
}

impl<'a> Cursor<'_, 'a> {
    fn peek(&self) -> Token<'a> {
        match self.toks.get(self.pos) {
            Some(t) => *t,
            None => Token { tok: Tok::Eol, col: self.toks.last().map_or(1, |t| t.col) },
        }
    }

    fn next(&mut self) -> Token<'a> {
        let t = self.peek();
        if t.tok != Tok::Eol {
            self.pos += 1;
        }
        t
    }

    fn err(&self, t: Token<'_>, message: String) -> ParseError {
        ParseError { line: self.line, col: t.col, message }
    }

    fn expected(&self, t: Token<'_>, what: &str) -> ParseError {
        self.err(t, format!("expected {what}, found {}", t.tok.describe()))
    }

    /// Consumes punctuation `c`; `ctx` says where, as in "after the first operand".
    fn punct(&mut self, c: char, ctx: &str) -> Result<Token<'a>, ParseError> {
        let t = self.next();
        if t.tok == Tok::Punct(c) {
            Ok(t)
        } else {
            Err(self.expected(t, &format!("`{c}` {ctx}")))
        }
    }

    fn eat(&mut self, c: char) -> bool {
        if self.peek().tok == Tok::Punct(c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }
}

#[derive(Default)]
struct Parser<'n> {
    targets: Option<&'n TargetNames>,
    trace: Trace,
    /// Every name written so far, with the line that defined it.
    names: HashMap<String, (Value, u32)>,
    consts: HashMap<(Type, u64), Value>,
    /// Snapshots by the number written, with where they were defined.
    snaps: BTreeMap<u32, (Snapshot, u32, u32)>,
    /// Non-empty lines seen.
    lines: u32,
    loop_line: Option<u32>,
    term: Option<Terminator>,
}

/// What a number token means as an unsigned integer.
enum Num {
    Ok(u128),
    TooBig,
    Invalid,
}

fn uint(text: &str) -> Num {
    let (digits, radix) = match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some(h) => (h, 16),
        None => (text, 10),
    };
    if digits.is_empty() {
        return Num::Invalid;
    }
    let mut v: u128 = 0;
    let mut big = false;
    for c in digits.chars() {
        let Some(d) = c.to_digit(radix) else { return Num::Invalid };
        match v.checked_mul(radix as u128).and_then(|v| v.checked_add(d as u128)) {
            Some(n) => v = n,
            None => big = true,
        }
    }
    if big {
        Num::TooBig
    } else {
        Num::Ok(v)
    }
}

fn type_name(s: &str) -> Option<Type> {
    Type::from_name(s)
}

/// `snapN` with no leading zeros.
fn snap_number(word: &str) -> Option<Num> {
    let digits = word.strip_prefix("snap")?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if digits.len() > 1 && digits.starts_with('0') {
        return Some(Num::Invalid);
    }
    Some(uint(digits))
}

fn bin_op(s: &str) -> Option<BinOp> {
    BinOp::ALL.iter().copied().find(|o| o.name() == s)
}

fn un_op(s: &str) -> Option<UnOp> {
    UnOp::ALL.iter().copied().find(|o| o.name() == s)
}

fn ovf_op(s: &str) -> Option<OvfOp> {
    OvfOp::ALL.iter().copied().find(|o| o.name() == s)
}

fn conv_op(s: &str) -> Option<Conv> {
    Conv::ALL.iter().copied().find(|o| o.name() == s)
}

impl Parser<'_> {
    fn line(&mut self, cur: &mut Cursor<'_, '_>) -> Result<(), ParseError> {
        let first = cur.peek();
        if self.term.is_some() {
            return Err(
                cur.err(first, format!("nothing may follow the terminator, found {}", first.tok.describe()))
            );
        }
        match first.tok {
            Tok::Word("trace") => {
                if self.lines > 0 {
                    return Err(cur.err(first, "`trace NAME` may only be the first line".into()));
                }
                cur.next();
                let t = cur.next();
                match t.tok {
                    Tok::Word(w) => self.trace.name = Some(w.to_string()),
                    _ => return Err(cur.expected(t, "a trace name after `trace`")),
                }
                Ok(())
            }
            Tok::Local(name) => {
                cur.next();
                if let Some((_, l)) = self.names.get(name) {
                    return Err(cur.err(first, format!("`%{name}` is already defined on line {l}")));
                }
                cur.punct('=', &format!("after `%{name}`"))?;
                self.value_inst(cur, name)
            }
            Tok::Word("loop") => self.loop_line(cur),
            Tok::Word(w) if snap_number(w).is_some() => self.snapshot(cur),
            Tok::Word("guard" | "guard.not") => {
                cur.next();
                let expect = first.tok == Tok::Word("guard");
                let cond = self.operand(cur, "as the guard's condition")?;
                cur.punct(',', "after the guard's condition")?;
                let snap = self.snap_ref(cur, "after `,`")?;
                self.push(Op::Guard { cond, expect, snap }, None, None);
                Ok(())
            }
            Tok::Word(w) if w.starts_with("store.") || w == "store" => self.store(cur),
            Tok::Word(w) if w.starts_with("call.") || w == "call" => {
                let (op, ty, effect, hint, callee, args) = self.call(cur)?;
                if let Some(ty) = ty {
                    return Err(cur.err(
                        op,
                        format!("a call returning {ty} needs a result: write `%name = call.{ty} ...`"),
                    ));
                }
                self.push(Op::Call { callee, args, effect, hint }, None, None);
                Ok(())
            }
            Tok::Word("nop") => {
                cur.next();
                self.push(Op::Nop, None, None);
                Ok(())
            }
            Tok::Word("promote") => {
                cur.next();
                let v = self.operand(cur, "after `promote`")?;
                self.push(Op::Promote(v), None, None);
                Ok(())
            }
            Tok::Word("hint") => {
                cur.next();
                let v = self.operand(cur, "after `hint`")?;
                self.push(Op::Hint(v), None, None);
                Ok(())
            }
            Tok::Word("jump") => {
                cur.next();
                let args = self.value_list(cur, "after `jump`")?;
                self.term = Some(Terminator::Jump(args));
                Ok(())
            }
            Tok::Word("exit") => {
                cur.next();
                let s = self.snap_ref(cur, "after `exit`")?;
                self.term = Some(Terminator::Exit(s));
                Ok(())
            }
            Tok::Word("link") => {
                cur.next();
                let t = cur.next();
                let trace = match t.tok {
                    Tok::Num(n) => match uint(n) {
                        Num::Ok(v) if v <= u32::MAX as u128 => v as u32,
                        Num::Invalid => return Err(cur.expected(t, "a trace number after `link`")),
                        _ => {
                            return Err(cur.err(
                                t,
                                format!("trace number `{n}` is out of range (at most {})", u32::MAX),
                            ))
                        }
                    },
                    _ => return Err(cur.expected(t, "a trace number after `link`")),
                };
                cur.punct(',', "after the trace number")?;
                let snap = self.snap_ref(cur, "after `,`")?;
                self.term = Some(Terminator::Link { trace, snap });
                Ok(())
            }
            Tok::Word("dispatch") => {
                cur.next();
                let index = self.operand(cur, "after `dispatch`")?;
                cur.punct(',', "after the dispatch index")?;
                let snap = self.snap_ref(cur, "after `,`")?;
                cur.punct(',', "after the snapshot")?;
                cur.punct('[', "before the dispatch table")?;
                let mut targets = Vec::new();
                if !cur.eat(']') {
                    loop {
                        let t = cur.peek();
                        match t.tok {
                            Tok::Num(n) => {
                                cur.next();
                                match uint(n) {
                                    Num::Ok(v) if v <= u32::MAX as u128 => {
                                        targets.push(DispatchTarget::Trace(v as u32))
                                    }
                                    _ => return Err(cur.expected(t, "a trace number in the dispatch table")),
                                }
                            }
                            _ => targets
                                .push(DispatchTarget::Exit(self.snap_ref(cur, "in the dispatch table")?)),
                        }
                        if cur.eat(']') {
                            break;
                        }
                        cur.punct(',', "between dispatch table entries")?;
                    }
                }
                self.term = Some(Terminator::Dispatch { index, snap, targets });
                Ok(())
            }
            Tok::Word(w) if defines_value(w) => {
                Err(cur.err(first, format!("`{w}` defines a value: write `%name = {w} ...`")))
            }
            Tok::Word(w) => Err(cur.err(first, format!("unknown instruction `{w}`"))),
            _ => Err(cur.expected(first, "an instruction")),
        }
    }

    fn push(&mut self, op: Op, ty: Option<Type>, name: Option<&str>) -> Value {
        let v = Value(to_u32(self.trace.insts.len()));
        self.trace.insts.push(Inst { op, ty, name: name.map(str::to_string) });
        v
    }

    fn define(&mut self, name: &str, v: Value, line: u32) {
        self.names.insert(name.to_string(), (v, line));
    }

    fn operand(&self, cur: &mut Cursor<'_, '_>, ctx: &str) -> Result<Value, ParseError> {
        let t = cur.next();
        match t.tok {
            Tok::Local(name) => match self.names.get(name) {
                Some(&(v, _)) => Ok(v),
                None => Err(cur.err(t, format!("undefined value `%{name}`"))),
            },
            _ => Err(cur.expected(t, &format!("a value like `%x` {ctx}"))),
        }
    }

    fn snap_ref(&self, cur: &mut Cursor<'_, '_>, ctx: &str) -> Result<SnapId, ParseError> {
        let t = cur.next();
        let Tok::Word(w) = t.tok else {
            return Err(cur.expected(t, &format!("a snapshot like `snap0` {ctx}")));
        };
        match snap_number(w) {
            Some(Num::Ok(n)) if n <= u32::MAX as u128 && self.snaps.contains_key(&(n as u32)) => {
                Ok(SnapId(n as u32))
            }
            Some(Num::Ok(_) | Num::TooBig) => {
                Err(cur
                    .err(t, format!("undefined snapshot `{w}` (a snapshot is written before its first use)")))
            }
            _ => Err(cur.expected(t, &format!("a snapshot like `snap0` {ctx}"))),
        }
    }

    fn ty(&self, v: Value) -> Option<Type> {
        self.trace.ty(v)
    }

    /// `(%a, %b, ...)`, possibly empty.
    fn value_list(&self, cur: &mut Cursor<'_, '_>, ctx: &str) -> Result<Vec<Value>, ParseError> {
        let open = cur.punct('(', ctx)?;
        let mut vs = Vec::new();
        if cur.eat(')') {
            return Ok(vs);
        }
        loop {
            let what = if vs.is_empty() { "after `(`" } else { "after `,`" };
            vs.push(self.operand(cur, what)?);
            let t = cur.next();
            match t.tok {
                Tok::Punct(',') => {}
                Tok::Punct(')') => return Ok(vs),
                _ => {
                    return Err(
                        cur.expected(t, &format!("`,` or `)` to close the `(` at column {}", open.col))
                    )
                }
            }
        }
    }

    fn value_inst(&mut self, cur: &mut Cursor<'_, '_>, name: &str) -> Result<(), ParseError> {
        let line = cur.line;
        let opt = cur.peek();
        let Tok::Word(w) = opt.tok else {
            return Err(cur.expected(opt, &format!("an operation after `%{name} =`")));
        };
        let (head, suffix) = match w.split_once('.') {
            Some((h, s)) => (h, Some(s)),
            None => (w, None),
        };
        // The column of the suffix, for errors about it.
        let suffix_tok = Token {
            tok: Tok::Word(suffix.unwrap_or("")),
            col: opt.col.saturating_add(to_u32(head.len() + 1)),
        };
        let suffix_type = |cur: &Cursor<'_, '_>| -> Result<Type, ParseError> {
            match suffix {
                None => Err(cur.err(opt, format!("`{w}` needs a result type, as in `{w}.i64`"))),
                Some(s) => type_name(s).ok_or_else(|| cur.err(suffix_tok, format!("unknown type `{s}`"))),
            }
        };
        let v = if let Some(op) = bin_op(w) {
            cur.next();
            let a = self.operand(cur, &format!("as the first operand of `{w}`"))?;
            cur.punct(',', "after the first operand")?;
            let b = self.operand(cur, &format!("as the second operand of `{w}`"))?;
            let ty = self.ty(a);
            self.push(Op::Bin(op, a, b), ty, Some(name))
        } else if let Some(op) = un_op(w) {
            cur.next();
            let a = self.operand(cur, &format!("as the operand of `{w}`"))?;
            let ty = self.ty(a);
            self.push(Op::Un(op, a), ty, Some(name))
        } else if let Some(op) = ovf_op(w) {
            cur.next();
            let a = self.operand(cur, &format!("as the first operand of `{w}`"))?;
            cur.punct(',', "after the first operand")?;
            let b = self.operand(cur, &format!("as the second operand of `{w}`"))?;
            cur.punct(',', "after the second operand")?;
            let s = self.snap_ref(cur, "after `,`")?;
            let ty = self.ty(a);
            self.push(Op::Ovf(op, a, b, s), ty, Some(name))
        } else {
            match head {
                "input" if suffix.is_none() => {
                    cur.next();
                    let t = cur.next();
                    let slot = match t.tok {
                        Tok::Num(n) => match uint(n) {
                            Num::Ok(v) if v <= u32::MAX as u128 => v as u32,
                            Num::Invalid => return Err(cur.expected(t, "a slot number after `input`")),
                            _ => {
                                return Err(
                                    cur.err(t, format!("slot `{n}` is out of range (at most {})", u32::MAX))
                                )
                            }
                        },
                        _ => return Err(cur.expected(t, "a slot number after `input`")),
                    };
                    cur.punct(':', "after the slot number")?;
                    let ty = self.type_after(cur, "after `:`")?;
                    self.push(Op::Input { slot }, Some(ty), Some(name))
                }
                "const" if suffix.is_none() => {
                    cur.next();
                    return self.konst(cur, name, line);
                }
                "icmp" | "fcmp" => {
                    cur.next();
                    let Some(s) = suffix else {
                        return Err(cur.err(opt, format!("`{w}` needs a condition, as in `{w}.eq`")));
                    };
                    let op = if head == "icmp" {
                        ICmp::ALL.iter().copied().find(|c| c.name() == s).map(|c| (Some(c), None))
                    } else {
                        FCmp::ALL.iter().copied().find(|c| c.name() == s).map(|c| (None, Some(c)))
                    };
                    let Some(op) = op else {
                        return Err(cur.err(suffix_tok, format!("unknown `{head}` condition `{s}`")));
                    };
                    let a = self.operand(cur, &format!("as the first operand of `{w}`"))?;
                    cur.punct(',', "after the first operand")?;
                    let b = self.operand(cur, &format!("as the second operand of `{w}`"))?;
                    let op = match op {
                        (Some(c), _) => Op::ICmp(c, a, b),
                        (_, Some(c)) => Op::FCmp(c, a, b),
                        _ => Op::Nop,
                    };
                    self.push(op, Some(Type::I1), Some(name))
                }
                "select" if suffix.is_none() => {
                    cur.next();
                    let c = self.operand(cur, "as the condition of `select`")?;
                    cur.punct(',', "after the condition")?;
                    let a = self.operand(cur, "as the second operand of `select`")?;
                    cur.punct(',', "after the second operand")?;
                    let b = self.operand(cur, "as the third operand of `select`")?;
                    let ty = self.ty(a);
                    self.push(Op::Select(c, a, b), ty, Some(name))
                }
                h if conv_op(h).is_some() => {
                    cur.next();
                    let ty = suffix_type(cur)?;
                    let a = self.operand(cur, &format!("as the operand of `{w}`"))?;
                    let op = conv_op(h).map_or(Op::Nop, |c| Op::Conv(c, a));
                    self.push(op, Some(ty), Some(name))
                }
                "load" => {
                    cur.next();
                    let ty = suffix_type(cur)?;
                    let imm = matches!(cur.peek().tok, Tok::Word("imm"));
                    if imm {
                        cur.next();
                    }
                    let mem = mem_class(cur);
                    let (base, disp) = self.address(cur, &format!("after `{w}`"))?;
                    self.push(Op::Load { base, disp, imm, mem }, Some(ty), Some(name))
                }
                "call" => {
                    let (op, ty, effect, hint, callee, args) = self.call(cur)?;
                    if ty.is_none() {
                        return Err(cur.err(op, "a `call.void` has no result: drop the `%name =`".into()));
                    }
                    self.push(Op::Call { callee, args, effect, hint }, ty, Some(name))
                }
                "store" | "guard" | "nop" | "jump" | "exit" | "link" | "loop" => {
                    return Err(cur.err(opt, format!("`{w}` does not define a value")));
                }
                _ => return Err(cur.err(opt, format!("unknown operation `{w}`"))),
            }
        };
        self.define(name, v, line);
        Ok(())
    }

    fn type_after(&self, cur: &mut Cursor<'_, '_>, ctx: &str) -> Result<Type, ParseError> {
        let t = cur.next();
        match t.tok {
            Tok::Word(w) => type_name(w).ok_or_else(|| cur.err(t, format!("unknown type `{w}`"))),
            _ => Err(cur.expected(t, &format!("a type like `i64` {ctx}"))),
        }
    }

    /// `const LITERAL : TYPE`, interned: an equal constant already defined gets the new name
    /// as an alias.
    fn konst(&mut self, cur: &mut Cursor<'_, '_>, name: &str, line: u32) -> Result<(), ParseError> {
        let first = cur.next();
        let (neg, lit) = if first.tok == Tok::Punct('-') { (true, cur.next()) } else { (false, first) };
        if !matches!(lit.tok, Tok::Num(_) | Tok::Word(_)) {
            return Err(cur.expected(lit, "a number after `const`"));
        }
        cur.punct(':', "after the constant")?;
        let ty = self.type_after(cur, "after `:`")?;
        let bits = if ty == Type::F64 {
            float_bits(cur, neg, lit)?
        } else {
            let Tok::Num(n) = lit.tok else {
                return Err(cur.expected(lit, &format!("an integer for an {ty} constant")));
            };
            let range = || {
                let lo = -(1i128 << (ty.bits() - 1));
                let hi = (1i128 << ty.bits()) - 1;
                cur.err(
                    lit,
                    format!("`{}{n}` is out of range for {ty} ({lo} to {hi})", if neg { "-" } else { "" }),
                )
            };
            let v: i128 = match uint(n) {
                Num::Ok(u) if u <= i64::MAX as u128 * 4 => {
                    if neg {
                        -(u as i128)
                    } else {
                        u as i128
                    }
                }
                Num::Invalid => return Err(cur.expected(lit, &format!("an integer for an {ty} constant"))),
                _ => return Err(range()),
            };
            if v < -(1i128 << (ty.bits() - 1)) || v > (1i128 << ty.bits()) - 1 {
                return Err(range());
            }
            (v as u64) & ty.mask()
        };
        let v = match self.consts.get(&(ty, bits)) {
            Some(&v) => v,
            None => {
                let v = self.push(Op::Const { bits }, Some(ty), Some(name));
                self.consts.insert((ty, bits), v);
                v
            }
        };
        self.define(name, v, line);
        Ok(())
    }

    /// `[%base]`, `[%base + N]` or `[%base - N]`.
    fn address(&self, cur: &mut Cursor<'_, '_>, ctx: &str) -> Result<(Value, i32), ParseError> {
        let open = cur.punct('[', ctx)?;
        let base = self.operand(cur, "as the base address after `[`")?;
        let t = cur.next();
        let neg = match t.tok {
            Tok::Punct(']') => return Ok((base, 0)),
            Tok::Punct('+') => false,
            Tok::Punct('-') => true,
            _ => {
                return Err(
                    cur.expected(t, &format!("`+`, `-` or `]` to close the `[` at column {}", open.col))
                )
            }
        };
        let n = cur.next();
        let Tok::Num(text) = n.tok else {
            return Err(cur.expected(n, &format!("a displacement after `{}`", if neg { '-' } else { '+' })));
        };
        let d: i64 = match uint(text) {
            Num::Ok(u) if u <= 1 << 31 => {
                if neg {
                    -(u as i64)
                } else {
                    u as i64
                }
            }
            Num::Invalid => return Err(cur.expected(n, "a displacement")),
            _ => -1 << 40,
        };
        let Ok(disp) = i32::try_from(d) else {
            return Err(cur.err(
                n,
                format!("displacement `{}{text}` is out of range for i32", if neg { "-" } else { "" }),
            ));
        };
        cur.punct(']', &format!("to close the `[` at column {}", open.col))?;
        Ok((base, disp))
    }

    fn store(&mut self, cur: &mut Cursor<'_, '_>) -> Result<(), ParseError> {
        let opt = cur.next();
        let Tok::Word(w) = opt.tok else { return Err(cur.expected(opt, "`store`")) };
        let Some(s) = w.strip_prefix("store.") else {
            return Err(cur.err(opt, "`store` needs the stored type, as in `store.i64`".into()));
        };
        let suffix_tok = Token { tok: Tok::Word(s), col: opt.col.saturating_add(6) };
        let ty = type_name(s).ok_or_else(|| cur.err(suffix_tok, format!("unknown type `{s}`")))?;
        let mem = mem_class(cur);
        let (base, disp) = self.address(cur, &format!("after `{w}`"))?;
        cur.punct(',', "after the address")?;
        let vt = cur.peek();
        let value = self.operand(cur, "as the stored value")?;
        if let Some(t) = self.ty(value) {
            if t != ty {
                return Err(cur.err(vt, format!("`{w}` stores an {ty}, but the value is an {t}")));
            }
        }
        self.push(Op::Store { base, disp, value, mem }, None, None);
        Ok(())
    }

    /// `call.TYPE [readonly|pure] CALLEE(ARGS)`; returns the op token for errors.
    #[allow(clippy::type_complexity)]
    fn call<'a>(
        &self,
        cur: &mut Cursor<'_, 'a>,
    ) -> Result<(Token<'a>, Option<Type>, CallEffect, CallHint, Callee, Vec<Value>), ParseError> {
        let opt = cur.next();
        let Tok::Word(w) = opt.tok else { return Err(cur.expected(opt, "`call`")) };
        let Some(s) = w.strip_prefix("call.") else {
            return Err(cur.err(opt, "`call` needs a result type, as in `call.i64` or `call.void`".into()));
        };
        let suffix_tok = Token { tok: Tok::Word(s), col: opt.col.saturating_add(5) };
        let ty = if s == "void" {
            None
        } else {
            Some(type_name(s).ok_or_else(|| cur.err(suffix_tok, format!("unknown type `{s}`")))?)
        };
        let effect = match cur.peek().tok {
            Tok::Word("readonly") => CallEffect::ReadOnly,
            Tok::Word("pure") => CallEffect::Pure,
            _ => CallEffect::Any,
        };
        if effect != CallEffect::Any {
            cur.next();
        }
        let hint = match cur.peek().tok {
            Tok::Word("elidable") => CallHint::Elidable,
            Tok::Word("outline") => CallHint::Outline,
            _ => CallHint::None,
        };
        if hint != CallHint::None {
            cur.next();
        }
        let t = cur.next();
        let callee = match t.tok {
            Tok::Global(sym) => Callee::Symbol(sym.to_string()),
            Tok::Local(name) => match self.names.get(name) {
                Some(&(v, _)) => Callee::Value(v),
                None => return Err(cur.err(t, format!("undefined value `%{name}`"))),
            },
            _ => return Err(cur.expected(t, "a callee like `@name` or `%fnptr`")),
        };
        let args = self.value_list(cur, "before the arguments")?;
        Ok((opt, ty, effect, hint, callee, args))
    }

    fn snapshot(&mut self, cur: &mut Cursor<'_, '_>) -> Result<(), ParseError> {
        let t = cur.next();
        let Tok::Word(w) = t.tok else { return Err(cur.expected(t, "a snapshot")) };
        let n = match snap_number(w) {
            Some(Num::Ok(n)) if n <= u32::MAX as u128 => n as u32,
            Some(Num::Invalid) => {
                return Err(cur.err(t, format!("`{w}`: snapshot numbers have no leading zeros")))
            }
            _ => return Err(cur.err(t, format!("snapshot number in `{w}` is out of range"))),
        };
        if let Some((_, l, _)) = self.snaps.get(&n) {
            return Err(cur.err(t, format!("`{w}` is already defined on line {l}")));
        }
        let mut resume = 0;
        if cur.peek().tok == Tok::Global("resume") {
            cur.next();
            cur.punct('(', "after `@resume`")?;
            let r = cur.next();
            resume = match r.tok {
                Tok::Num(text) => match uint(text) {
                    Num::Ok(v) if v <= u64::MAX as u128 => v as u64,
                    Num::Invalid => return Err(cur.expected(r, "a number after `@resume(`")),
                    _ => return Err(cur.err(r, format!("resume value `{text}` is out of range for u64"))),
                },
                _ => return Err(cur.expected(r, "a number after `@resume(`")),
            };
            cur.punct(')', "after the resume value")?;
        }
        let mut to = SnapTo::Host;
        if cur.peek().tok == Tok::Punct('-') {
            cur.next();
            cur.punct('>', "after `-` (a target is written `-> name`)")?;
            to = self.snap_target(cur)?;
        }
        let open = cur.punct('{', &format!("after `{w}`"))?;
        let mut entries = Vec::new();
        if !cur.eat('}') {
            loop {
                let s = cur.next();
                let slot = match s.tok {
                    Tok::Num(text) => match uint(text) {
                        Num::Ok(v) if v <= u32::MAX as u128 => v as u32,
                        Num::Invalid => return Err(cur.expected(s, "a slot number")),
                        _ => {
                            return Err(
                                cur.err(s, format!("slot `{text}` is out of range (at most {})", u32::MAX))
                            )
                        }
                    },
                    _ => return Err(cur.expected(s, "a slot number in the snapshot")),
                };
                cur.punct(':', "after the slot number")?;
                let v = self.operand(cur, "after `:`")?;
                entries.push((slot, v));
                let c = cur.next();
                match c.tok {
                    Tok::Punct(',') => {}
                    Tok::Punct('}') => break,
                    _ => {
                        return Err(
                            cur.expected(c, &format!("`,` or `}}` to close the `{{` at column {}", open.col))
                        )
                    }
                }
            }
        }
        self.snaps.insert(n, (Snapshot { resume, entries, to }, cur.line, t.col));
        Ok(())
    }

    fn loop_line(&mut self, cur: &mut Cursor<'_, '_>) -> Result<(), ParseError> {
        let t = cur.next();
        if let Some(l) = self.loop_line {
            return Err(cur.err(t, format!("a trace has at most one loop; it started on line {l}")));
        }
        let open = cur.punct('(', "after `loop`")?;
        let mut params: Vec<(&str, Value, Token<'_>)> = Vec::new();
        if !cur.eat(')') {
            loop {
                let p = cur.next();
                let Tok::Local(name) = p.tok else {
                    return Err(cur.expected(p, "a loop parameter like `%i`"));
                };
                if let Some((_, l)) = self.names.get(name) {
                    return Err(cur.err(p, format!("`%{name}` is already defined on line {l}")));
                }
                if params.iter().any(|(n, _, _)| *n == name) {
                    return Err(cur.err(p, format!("`%{name}` is already defined on line {}", cur.line)));
                }
                cur.punct('=', "after the loop parameter")?;
                let init = self.operand(cur, "as the initial value")?;
                params.push((name, init, p));
                let c = cur.next();
                match c.tok {
                    Tok::Punct(',') => {}
                    Tok::Punct(')') => break,
                    _ => {
                        return Err(
                            cur.expected(c, &format!("`,` or `)` to close the `(` at column {}", open.col))
                        )
                    }
                }
            }
        }
        self.loop_line = Some(cur.line);
        self.trace.loop_start = Some(self.trace.insts.len());
        for (i, (name, init, _)) in params.into_iter().enumerate() {
            let ty = self.ty(init);
            let v = self.push(Op::LoopParam { index: to_u32(i) }, ty, Some(name));
            self.trace.loop_inits.push(init);
            self.define(name, v, cur.line);
        }
        Ok(())
    }

    /// After `->`: a fragment (`name` or number) or `dispatch TABLE[SLOT]`.
    fn snap_target(&self, cur: &mut Cursor<'_, '_>) -> Result<SnapTo, ParseError> {
        let t = cur.next();
        if t.tok == Tok::Word("dispatch") {
            let table =
                self.target_ref(cur, "dispatch table", "a dispatch table after `dispatch`", |n| &n.tables)?;
            cur.punct('[', "after the table (a dispatch is written `dispatch TABLE[SLOT]`)")?;
            let s = cur.next();
            let slot = match s.tok {
                Tok::Num(text) => match uint(text) {
                    Num::Ok(v) if v <= u32::MAX as u128 => v as u32,
                    _ => return Err(cur.expected(s, "a slot number inside `[...]`")),
                },
                _ => return Err(cur.expected(s, "a slot number inside `[...]`")),
            };
            cur.punct(']', "after the slot number")?;
            return Ok(SnapTo::Dispatch { table, slot });
        }
        cur.pos -= 1;
        let f = self.target_ref(cur, "fragment", "a fragment or `dispatch` after `->`", |n| &n.fragments)?;
        Ok(SnapTo::Fragment(f))
    }

    /// A fragment or table: by number, or by name inside a program.
    fn target_ref(
        &self,
        cur: &mut Cursor<'_, '_>,
        noun: &str,
        what: &str,
        map: impl Fn(&TargetNames) -> &HashMap<String, u32>,
    ) -> Result<u32, ParseError> {
        let t = cur.next();
        match t.tok {
            Tok::Num(text) => match uint(text) {
                Num::Ok(v) if v <= u32::MAX as u128 => Ok(v as u32),
                _ => Err(cur.expected(t, what)),
            },
            Tok::Word(name) => match self.targets {
                Some(names) => match map(names).get(name) {
                    Some(&k) => Ok(k),
                    None => Err(cur.err(t, format!("unknown {noun} `{name}`"))),
                },
                None => Err(cur.err(t, format!("`{name}`: outside a program, targets are numbers"))),
            },
            _ => Err(cur.expected(t, what)),
        }
    }

    fn finish(mut self, last: (u32, u32)) -> Result<Trace, ParseError> {
        let Some(term) = self.term.take() else {
            return Err(ParseError {
                line: last.0,
                col: last.1,
                message: "expected a terminator (`jump`, `exit` or `link`), found end of input".into(),
            });
        };
        self.trace.term = term;
        let n = self.snaps.len();
        if let Some((&k, &(_, line, col))) = self.snaps.range(to_u32(n)..).next() {
            let missing = (0..).find(|i| !self.snaps.contains_key(i)).unwrap_or(0);
            return Err(ParseError {
                line,
                col,
                message: format!(
                    "`snap{k}` skips `snap{missing}`: snapshots are numbered from 0 without gaps"
                ),
            });
        }
        self.trace.snaps = self.snaps.into_values().map(|(s, _, _)| s).collect();
        Ok(self.trace)
    }
}

/// Words that begin a value-defining instruction, for a helpful error when `%x =` is missing.
fn defines_value(w: &str) -> bool {
    let head = w.split_once('.').map_or(w, |(h, _)| h);
    bin_op(w).is_some()
        || un_op(w).is_some()
        || ovf_op(w).is_some()
        || conv_op(head).is_some()
        || matches!(head, "input" | "const" | "icmp" | "fcmp" | "select" | "load")
}

/// The bits of an f64 literal: decimal, `inf`, `nan`, or `0x` bits (no sign).
fn float_bits(cur: &Cursor<'_, '_>, neg: bool, lit: Token<'_>) -> Result<u64, ParseError> {
    let sign = if neg { 1u64 << 63 } else { 0 };
    match lit.tok {
        Tok::Word("inf") => Ok(f64::INFINITY.to_bits() ^ sign),
        Tok::Word("nan") => Ok(f64::NAN.to_bits() ^ sign),
        Tok::Num(n) if n.starts_with("0x") || n.starts_with("0X") => {
            if neg {
                return Err(cur.err(lit, "a float given by its `0x` bits has no sign".into()));
            }
            match uint(n) {
                Num::Ok(u) if u <= u64::MAX as u128 => Ok(u as u64),
                Num::Invalid => Err(cur.expected(lit, "an f64 constant")),
                _ => Err(cur.err(lit, format!("`{n}` is out of range for 64 bits"))),
            }
        }
        Tok::Num(n) => {
            let decimal =
                n.bytes().all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'));
            match n.parse::<f64>() {
                Ok(f) if decimal => Ok(f.to_bits() ^ sign),
                _ => Err(cur.expected(lit, "an f64 constant (decimal, `inf`, `nan` or `0x` bits)")),
            }
        }
        _ => Err(cur.expected(lit, "an f64 constant (decimal, `inf`, `nan` or `0x` bits)")),
    }
}

/// An access's memory class word (`frame`, `heap`), if one comes next.
fn mem_class(cur: &mut Cursor<'_, '_>) -> MemClass {
    let mem = match cur.peek().tok {
        Tok::Word("frame") => MemClass::Frame,
        Tok::Word("heap") => MemClass::Heap,
        _ => return MemClass::Any,
    };
    cur.next();
    mem
}
