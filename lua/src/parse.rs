//! A recursive-descent parser for Lua 5.4 (lparser.c's grammar and its messages). It
//! builds the tree in `ast`; name resolution and code generation are `compile`'s job.
//! Checks that lua5.4 makes while parsing and that need only the parser's state (local
//! variable limits, attributes, `...` outside a vararg function, nesting depth) are made
//! here, so their messages carry the same "near" token.

use crate::ast::*;
use crate::lex::{Lexer, SyntaxError, Tok};

/// lua5.4's parser counts C levels; with the stand-alone interpreter one level is already
/// in use, so the 199th nested level fails (measured with lua5.4 on files).
const MAX_LEVELS: u32 = 199;
const MAXVARS: usize = 200;

pub struct Parser<'a> {
    lex: Lexer<'a>,
    tok: Tok,
    ahead: Option<Tok>,
    /// The line of the last token consumed (llex.c's `lastline`).
    lastline: u32,
    depth: u32,
    /// Per open function: declared locals in scope, and whether it is vararg.
    funcs: Vec<(usize, bool)>,
    /// The line of each open non-main function, for limit messages.
    func_lines: Vec<u32>,
}

type R<T> = Result<T, SyntaxError>;

/// Parses a whole chunk; the main function is vararg and has no parameters.
pub fn parse_chunk(src: &[u8], chunk: &str) -> R<FuncBody> {
    let mut p = Parser::new(src, chunk)?;
    p.funcs.push((0, true));
    let body = p.block()?;
    if p.tok != Tok::Eof {
        return Err(p.error_expected(&Tok::Eof));
    }
    Ok(FuncBody {
        params: vec![],
        is_vararg: true,
        body,
        line: 0,
        end_line: p.lastline,
        close_line: p.lex.line,
    })
}

fn binop(t: &Tok) -> Option<(BinOp, u8, u8)> {
    Some(match t {
        Tok::Char(b'+') => (BinOp::Add, 10, 10),
        Tok::Char(b'-') => (BinOp::Sub, 10, 10),
        Tok::Char(b'*') => (BinOp::Mul, 11, 11),
        Tok::Char(b'%') => (BinOp::Mod, 11, 11),
        Tok::Char(b'^') => (BinOp::Pow, 14, 13),
        Tok::Char(b'/') => (BinOp::Div, 11, 11),
        Tok::IDiv => (BinOp::IDiv, 11, 11),
        Tok::Char(b'&') => (BinOp::BAnd, 6, 6),
        Tok::Char(b'|') => (BinOp::BOr, 4, 4),
        Tok::Char(b'~') => (BinOp::BXor, 5, 5),
        Tok::Shl => (BinOp::Shl, 7, 7),
        Tok::Shr => (BinOp::Shr, 7, 7),
        Tok::Concat => (BinOp::Concat, 9, 8),
        Tok::Eq => (BinOp::Eq, 3, 3),
        Tok::Char(b'<') => (BinOp::Lt, 3, 3),
        Tok::Le => (BinOp::Le, 3, 3),
        Tok::Ne => (BinOp::Ne, 3, 3),
        Tok::Char(b'>') => (BinOp::Gt, 3, 3),
        Tok::Ge => (BinOp::Ge, 3, 3),
        Tok::And => (BinOp::And, 2, 2),
        Tok::Or => (BinOp::Or, 1, 1),
        _ => return None,
    })
}

const UNARY_PRIORITY: u8 = 12;

impl<'a> Parser<'a> {
    fn new(src: &'a [u8], chunk: &str) -> R<Self> {
        let mut lex = Lexer::new(src, chunk);
        let tok = lex.token()?;
        Ok(Parser { lex, tok, ahead: None, lastline: 1, depth: 0, funcs: vec![], func_lines: vec![] })
    }

    fn next(&mut self) -> R<()> {
        self.lastline = self.lex.line;
        self.tok = match self.ahead.take() {
            Some(t) => t,
            None => self.lex.token()?,
        };
        Ok(())
    }

    fn lookahead(&mut self) -> R<&Tok> {
        if self.ahead.is_none() {
            self.ahead = Some(self.lex.token()?);
        }
        Ok(self.ahead.as_ref().expect("lookahead"))
    }

    fn error(&self, msg: &str) -> SyntaxError {
        let near = self.lex.near(&self.tok);
        self.lex.error_at(&format!("{} near {}", msg, near), self.lex.line)
    }

    fn sem_error(&self, msg: &str) -> SyntaxError {
        self.lex.error_at(msg, self.lex.line)
    }

    fn error_expected(&self, t: &Tok) -> SyntaxError {
        self.error(&format!("{} expected", t.describe()))
    }

    fn test_next(&mut self, t: &Tok) -> R<bool> {
        if &self.tok == t {
            self.next()?;
            Ok(true)
        } else {
            Ok(false)
        }
    }

    fn check_next(&mut self, t: &Tok) -> R<()> {
        if !self.test_next(t)? {
            return Err(self.error_expected(t));
        }
        Ok(())
    }

    fn check_match(&mut self, what: &Tok, who: &Tok, line: u32) -> R<()> {
        if !self.test_next(what)? {
            if line == self.lex.line {
                return Err(self.error_expected(what));
            }
            return Err(self.error(&format!(
                "{} expected (to close {} at line {})",
                what.describe(),
                who.describe(),
                line
            )));
        }
        Ok(())
    }

    fn check_name(&mut self) -> R<String> {
        if let Tok::Name(n) = &self.tok {
            let n = n.clone();
            self.next()?;
            Ok(n)
        } else {
            Err(self.error_expected(&Tok::Name(String::new())))
        }
    }

    fn enter_level(&mut self) -> R<()> {
        self.depth += 1;
        if self.depth >= MAX_LEVELS {
            return Err(SyntaxError { msg: "C stack overflow".into() });
        }
        Ok(())
    }

    /// Declares a local of the current function, with lua5.4's limit and message.
    fn new_local(&mut self) -> R<()> {
        let f = self.funcs.last_mut().expect("function");
        f.0 += 1;
        if f.0 > MAXVARS {
            let where_ = if self.funcs.len() == 1 {
                "main function".to_string()
            } else {
                format!("function at line {}", self.func_lines.last().copied().unwrap_or(0))
            };
            return Err(self.error(&format!("too many local variables (limit is {}) in {}", MAXVARS, where_)));
        }
        Ok(())
    }

    fn block_follow(&self, with_until: bool) -> bool {
        match self.tok {
            Tok::Else | Tok::Elseif | Tok::End | Tok::Eof => true,
            Tok::Until => with_until,
            _ => false,
        }
    }

    /// A block with its own scope for the parser's local count.
    fn block(&mut self) -> R<Block> {
        let saved = self.funcs.last().expect("function").0;
        let b = self.statlist()?;
        self.funcs.last_mut().expect("function").0 = saved;
        Ok(b)
    }

    fn statlist(&mut self) -> R<Block> {
        let mut stats = Vec::new();
        while !self.block_follow(true) {
            if self.tok == Tok::Return {
                self.statement(&mut stats)?;
                break;
            }
            self.statement(&mut stats)?;
        }
        Ok(Block { stats, end_line: self.lex.line })
    }

    fn statement(&mut self, out: &mut Vec<Stat>) -> R<()> {
        let line = self.lex.line;
        self.enter_level()?;
        match self.tok.clone() {
            Tok::Char(b';') => self.next()?,
            Tok::If => {
                let s = self.ifstat(line)?;
                out.push(s);
            }
            Tok::While => {
                self.next()?;
                let cond = self.expr()?;
                self.check_next(&Tok::Do)?;
                let body = self.block()?;
                self.check_match(&Tok::End, &Tok::While, line)?;
                out.push(Stat::While { cond, body, line });
            }
            Tok::Do => {
                self.next()?;
                let b = self.block()?;
                self.check_match(&Tok::End, &Tok::Do, line)?;
                out.push(Stat::Do(b));
            }
            Tok::For => {
                let s = self.forstat(line)?;
                out.push(s);
            }
            Tok::Repeat => {
                self.next()?;
                let saved = self.funcs.last().expect("function").0;
                let body = self.statlist()?;
                self.check_match(&Tok::Until, &Tok::Repeat, line)?;
                let cond = self.expr()?;
                self.funcs.last_mut().expect("function").0 = saved;
                out.push(Stat::Repeat { body, cond, line });
            }
            Tok::Function => {
                self.next()?;
                // funcname: Name {'.' Name} [':' Name]
                let nline = self.lex.line;
                let n = self.check_name()?;
                let mut target = Expr::Name(n, nline);
                let mut is_method = false;
                while self.tok == Tok::Char(b'.') || self.tok == Tok::Char(b':') {
                    is_method = self.tok == Tok::Char(b':');
                    self.next()?;
                    let kl = self.lex.line;
                    let k = self.check_name()?;
                    target = Expr::Index(Box::new(target), Box::new(Expr::Str(k.into_bytes())), kl);
                    if is_method {
                        break;
                    }
                }
                let body = self.body(is_method, line)?;
                let check_line = self.lex.line;
                out.push(Stat::Function { target, body: Box::new(body), line, check_line });
            }
            Tok::Local => {
                self.next()?;
                if self.test_next(&Tok::Function)? {
                    let name = self.check_name()?;
                    self.new_local()?;
                    let fl = self.lex.line;
                    let body = self.body(false, fl)?;
                    out.push(Stat::LocalFunction { name, body: Box::new(body), line });
                } else {
                    let s = self.localstat(line)?;
                    out.push(s);
                }
            }
            Tok::DbColon => {
                self.next()?;
                let name = self.check_name()?;
                self.check_next(&Tok::DbColon)?;
                while self.tok == Tok::Char(b';') || self.tok == Tok::DbColon {
                    self.statement(out)?;
                }
                let last = self.block_follow(false);
                out.push(Stat::Label { name, line, report_line: self.lex.line, last });
            }
            Tok::Return => {
                self.next()?;
                let values = if self.block_follow(true) || self.tok == Tok::Char(b';') {
                    vec![]
                } else {
                    self.explist()?
                };
                let rline = self.lastline;
                self.test_next(&Tok::Char(b';'))?;
                out.push(Stat::Return { values, line: rline });
            }
            Tok::Break => {
                self.next()?;
                out.push(Stat::Break { line });
            }
            Tok::Goto => {
                self.next()?;
                let gl = self.lex.line;
                let name = self.check_name()?;
                out.push(Stat::Goto { name, line: gl });
            }
            _ => {
                let s = self.exprstat(line)?;
                out.push(s);
            }
        }
        self.depth -= 1;
        Ok(())
    }

    fn ifstat(&mut self, line: u32) -> R<Stat> {
        let mut conds = Vec::new();
        loop {
            self.next()?; // 'if' or 'elseif'
            let c = self.expr()?;
            self.check_next(&Tok::Then)?;
            let b = self.block()?;
            conds.push((c, b));
            if self.tok != Tok::Elseif {
                break;
            }
        }
        let else_block = if self.test_next(&Tok::Else)? { Some(self.block()?) } else { None };
        self.check_match(&Tok::End, &Tok::If, line)?;
        Ok(Stat::If { conds, else_block, line })
    }

    fn forstat(&mut self, line: u32) -> R<Stat> {
        let saved = self.funcs.last().expect("function").0;
        self.next()?;
        let var = self.check_name()?;
        let s = match self.tok {
            Tok::Char(b'=') => {
                for _ in 0..4 {
                    self.new_local()?;
                }
                self.next()?;
                let start = self.expr()?;
                self.check_next(&Tok::Char(b','))?;
                let limit = self.expr()?;
                let step = if self.test_next(&Tok::Char(b','))? { Some(self.expr()?) } else { None };
                self.check_next(&Tok::Do)?;
                let body = self.block()?;
                Stat::NumFor { var, start, limit, step, body, line }
            }
            Tok::Char(b',') | Tok::In => {
                for _ in 0..5 {
                    self.new_local()?;
                }
                let mut vars = vec![var];
                while self.test_next(&Tok::Char(b','))? {
                    vars.push(self.check_name()?);
                    self.new_local()?;
                }
                self.check_next(&Tok::In)?;
                let eline = self.lex.line;
                let exprs = self.explist()?;
                self.check_next(&Tok::Do)?;
                let body = self.block()?;
                Stat::GenFor { vars, exprs, body, line: eline }
            }
            _ => return Err(self.error("'=' or 'in' expected")),
        };
        self.check_match(&Tok::End, &Tok::For, line)?;
        self.funcs.last_mut().expect("function").0 = saved;
        Ok(s)
    }

    fn localstat(&mut self, line: u32) -> R<Stat> {
        let mut names = Vec::new();
        let mut has_close = false;
        loop {
            let n = self.check_name()?;
            self.new_local()?;
            let mut attr = Attrib::None;
            if self.test_next(&Tok::Char(b'<'))? {
                let a = self.check_name()?;
                self.check_next(&Tok::Char(b'>'))?;
                attr = match a.as_str() {
                    "const" => Attrib::Const,
                    "close" => Attrib::Close,
                    _ => return Err(self.sem_error(&format!("unknown attribute '{}'", a))),
                };
                if attr == Attrib::Close {
                    if has_close {
                        return Err(self.sem_error("multiple to-be-closed variables in local list"));
                    }
                    has_close = true;
                }
            }
            names.push((n, attr));
            if !self.test_next(&Tok::Char(b','))? {
                break;
            }
        }
        let values = if self.test_next(&Tok::Char(b'='))? { self.explist()? } else { vec![] };
        Ok(Stat::Local { names, values, line })
    }

    fn exprstat(&mut self, line: u32) -> R<Stat> {
        let e = self.suffixedexp()?;
        if self.tok == Tok::Char(b'=') || self.tok == Tok::Char(b',') {
            let mut targets = vec![e];
            let mut check_lines = vec![];
            loop {
                if !matches!(targets.last(), Some(Expr::Name(..)) | Some(Expr::Index(..))) {
                    return Err(self.error("syntax error"));
                }
                check_lines.push(self.lex.line);
                if self.test_next(&Tok::Char(b','))? {
                    targets.push(self.suffixedexp()?);
                    self.enter_level()?;
                } else {
                    break;
                }
            }
            self.check_next(&Tok::Char(b'='))?;
            let values = self.explist()?;
            self.depth -= (targets.len() - 1) as u32;
            Ok(Stat::Assign { targets, values, line: self.lastline, check_lines })
        } else {
            if !matches!(e, Expr::Call(..) | Expr::Method(..)) {
                return Err(self.error("syntax error"));
            }
            Ok(Stat::Expr(e, line))
        }
    }

    fn body(&mut self, is_method: bool, line: u32) -> R<FuncBody> {
        self.check_next(&Tok::Char(b'('))?;
        self.funcs.push((0, false));
        self.func_lines.push(line);
        let mut params = Vec::new();
        if is_method {
            params.push("self".to_string());
            self.new_local()?;
        }
        let mut is_vararg = false;
        if self.tok != Tok::Char(b')') {
            loop {
                match &self.tok {
                    Tok::Name(_) => {
                        params.push(self.check_name()?);
                        self.new_local()?;
                    }
                    Tok::Dots => {
                        self.next()?;
                        is_vararg = true;
                    }
                    _ => return Err(self.error("<name> or '...' expected")),
                }
                if is_vararg || !self.test_next(&Tok::Char(b','))? {
                    break;
                }
            }
        }
        self.funcs.last_mut().expect("function").1 = is_vararg;
        self.check_next(&Tok::Char(b')'))?;
        let body = self.statlist()?;
        let end_line = self.lex.line;
        self.check_match(&Tok::End, &Tok::Function, line)?;
        self.funcs.pop();
        self.func_lines.pop();
        Ok(FuncBody { params, is_vararg, body, line, end_line, close_line: self.lex.line })
    }

    fn explist(&mut self) -> R<Vec<Expr>> {
        let mut v = vec![self.expr()?];
        while self.test_next(&Tok::Char(b','))? {
            v.push(self.expr()?);
        }
        Ok(v)
    }

    pub fn expr(&mut self) -> R<Expr> {
        self.subexpr(0)
    }

    fn subexpr(&mut self, limit: u8) -> R<Expr> {
        self.enter_level()?;
        let uop = match self.tok {
            Tok::Not => Some(UnOp::Not),
            Tok::Char(b'-') => Some(UnOp::Neg),
            Tok::Char(b'#') => Some(UnOp::Len),
            Tok::Char(b'~') => Some(UnOp::BNot),
            _ => None,
        };
        let mut e = if let Some(op) = uop {
            let line = self.lex.line;
            self.next()?;
            let operand = self.subexpr(UNARY_PRIORITY)?;
            Expr::Un(op, Box::new(operand), line)
        } else {
            self.simpleexp()?
        };
        while let Some((op, left, right)) = binop(&self.tok) {
            if left <= limit {
                break;
            }
            let line = self.lex.line;
            self.next()?;
            let e2 = self.subexpr(right)?;
            e = Expr::Bin(op, Box::new(e), Box::new(e2), line);
        }
        self.depth -= 1;
        Ok(e)
    }

    fn simpleexp(&mut self) -> R<Expr> {
        let e = match &self.tok {
            Tok::Flt(f) => Expr::Flt(*f),
            Tok::Int(i) => Expr::Int(*i),
            Tok::Str(s) => Expr::Str(s.clone()),
            Tok::Nil => Expr::Nil,
            Tok::True => Expr::True,
            Tok::False => Expr::False,
            Tok::Dots => {
                if !self.funcs.last().expect("function").1 {
                    return Err(self.error("cannot use '...' outside a vararg function"));
                }
                Expr::Vararg
            }
            Tok::Char(b'{') => return self.constructor(),
            Tok::Function => {
                self.next()?;
                let line = self.lex.line;
                return Ok(Expr::Function(Box::new(self.body(false, line)?)));
            }
            _ => return self.suffixedexp(),
        };
        self.next()?;
        Ok(e)
    }

    fn primaryexp(&mut self) -> R<Expr> {
        match &self.tok {
            Tok::Char(b'(') => {
                let line = self.lex.line;
                self.next()?;
                let e = self.expr()?;
                self.check_match(&Tok::Char(b')'), &Tok::Char(b'('), line)?;
                Ok(match e {
                    // parentheses matter only to truncate multiple results
                    e @ (Expr::Call(..) | Expr::Method(..) | Expr::Vararg) => Expr::Paren(Box::new(e)),
                    Expr::Name(n, l) => Expr::Paren(Box::new(Expr::Name(n, l))),
                    e @ Expr::Index(..) => Expr::Paren(Box::new(e)),
                    e => e,
                })
            }
            Tok::Name(_) => {
                let line = self.lex.line;
                let n = self.check_name()?;
                Ok(Expr::Name(n, line))
            }
            _ => Err(self.error("unexpected symbol")),
        }
    }

    fn suffixedexp(&mut self) -> R<Expr> {
        let line = self.lex.line;
        let mut e = self.primaryexp()?;
        loop {
            match &self.tok {
                Tok::Char(b'.') => {
                    self.next()?;
                    let kl = self.lex.line;
                    let k = self.check_name()?;
                    e = Expr::Index(Box::new(e), Box::new(Expr::Str(k.into_bytes())), kl);
                }
                Tok::Char(b'[') => {
                    self.next()?;
                    let k = self.expr()?;
                    let kl = self.lex.line;
                    self.check_next(&Tok::Char(b']'))?;
                    e = Expr::Index(Box::new(e), Box::new(k), kl);
                }
                Tok::Char(b':') => {
                    self.next()?;
                    let name = self.check_name()?;
                    let args = self.funcargs(line)?;
                    e = Expr::Method(Box::new(e), name.into_bytes(), args, line);
                }
                Tok::Char(b'(') | Tok::Str(_) | Tok::Char(b'{') => {
                    let args = self.funcargs(line)?;
                    e = Expr::Call(Box::new(e), args, line);
                }
                _ => return Ok(e),
            }
        }
    }

    fn funcargs(&mut self, line: u32) -> R<Vec<Expr>> {
        match &self.tok {
            Tok::Char(b'(') => {
                self.next()?;
                let args = if self.tok == Tok::Char(b')') { vec![] } else { self.explist()? };
                self.check_match(&Tok::Char(b')'), &Tok::Char(b'('), line)?;
                Ok(args)
            }
            Tok::Char(b'{') => Ok(vec![self.constructor()?]),
            Tok::Str(s) => {
                let s = s.clone();
                self.next()?;
                Ok(vec![Expr::Str(s)])
            }
            _ => Err(self.error("function arguments expected")),
        }
    }

    fn constructor(&mut self) -> R<Expr> {
        let line = self.lex.line;
        self.check_next(&Tok::Char(b'{'))?;
        let mut fields = Vec::new();
        loop {
            if self.tok == Tok::Char(b'}') {
                break;
            }
            match &self.tok {
                Tok::Name(_) => {
                    if self.lookahead()? != &Tok::Char(b'=') {
                        fields.push(Field::Item(self.expr()?));
                    } else {
                        let k = self.check_name()?;
                        self.check_next(&Tok::Char(b'='))?;
                        let v = self.expr()?;
                        fields.push(Field::Keyed(Expr::Str(k.into_bytes()), v));
                    }
                }
                Tok::Char(b'[') => {
                    self.next()?;
                    let k = self.expr()?;
                    self.check_next(&Tok::Char(b']'))?;
                    self.check_next(&Tok::Char(b'='))?;
                    let v = self.expr()?;
                    fields.push(Field::Keyed(k, v));
                }
                _ => fields.push(Field::Item(self.expr()?)),
            }
            if !(self.test_next(&Tok::Char(b','))? || self.test_next(&Tok::Char(b';'))?) {
                break;
            }
        }
        self.check_match(&Tok::Char(b'}'), &Tok::Char(b'{'), line)?;
        Ok(Expr::Table(fields, line))
    }
}
