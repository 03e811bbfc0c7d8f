//! Front-end tests: lexer values, parser precedence, bytecode shapes (golden listings and
//! structural checks), and syntax errors whose expected texts were taken from lua5.4.4.

use tracery_lua::ast::{BinOp, Expr, Stat, UnOp};
use tracery_lua::bytecode::{Const, Op, Proto};
use tracery_lua::compile::{chunk_display_name, compile, disassemble};
use tracery_lua::lex::{Lexer, Tok};
use tracery_lua::parse::parse_chunk;

fn lex_all(src: &[u8]) -> Vec<Tok> {
    let mut l = Lexer::new(src, "t");
    let mut v = vec![];
    loop {
        let t = l.token().expect("lexes");
        if t == Tok::Eof {
            return v;
        }
        v.push(t);
    }
}

fn one(src: &[u8]) -> Tok {
    let v = lex_all(src);
    assert_eq!(v.len(), 1, "{:?}", v);
    v.into_iter().next().expect("one token")
}

#[test]
fn lex_numbers() {
    assert_eq!(one(b"0"), Tok::Int(0));
    assert_eq!(one(b"42"), Tok::Int(42));
    assert_eq!(one(b"9223372036854775807"), Tok::Int(i64::MAX));
    assert_eq!(one(b"9223372036854775808"), Tok::Flt(9223372036854775808.0));
    assert_eq!(one(b"0xff"), Tok::Int(255));
    assert_eq!(one(b"0XA"), Tok::Int(10));
    assert_eq!(one(b"0x7fffffffffffffff"), Tok::Int(i64::MAX));
    assert_eq!(one(b"0xffffffffffffffff"), Tok::Int(-1));
    assert_eq!(one(b"0x10000000000000000"), Tok::Int(0)); // wraps
    assert_eq!(one(b"1.5"), Tok::Flt(1.5));
    assert_eq!(one(b".5"), Tok::Flt(0.5));
    assert_eq!(one(b"5."), Tok::Flt(5.0));
    assert_eq!(one(b"1e3"), Tok::Flt(1000.0));
    assert_eq!(one(b"1E-2"), Tok::Flt(0.01));
    assert_eq!(one(b"2.5e+2"), Tok::Flt(250.0));
    assert_eq!(one(b"0x1p4"), Tok::Flt(16.0));
    assert_eq!(one(b"0x.8"), Tok::Flt(0.5));
    assert_eq!(one(b"0xA.8p1"), Tok::Flt(21.0));
    assert_eq!(one(b"0x1P-2"), Tok::Flt(0.25));
    assert_eq!(one(b"1e400"), Tok::Flt(f64::INFINITY));
    // a minus is an operator, not part of the literal
    assert_eq!(lex_all(b"-1"), vec![Tok::Char(b'-'), Tok::Int(1)]);
}

#[test]
fn lex_strings() {
    let s = |src: &[u8]| match one(src) {
        Tok::Str(v) => v,
        t => panic!("{:?}", t),
    };
    assert_eq!(s(b"'abc'"), b"abc");
    assert_eq!(s(b"\"a'b\""), b"a'b");
    assert_eq!(s(br#""\a\b\f\n\r\t\v\\\"\'""#), b"\x07\x08\x0c\n\r\t\x0b\\\"'");
    assert_eq!(s(b"\"a\\\nb\""), b"a\nb");
    assert_eq!(s(b"\"a\\z  \n\t b\""), b"ab");
    assert_eq!(s(b"\"\\x41\\x7a\""), b"Az");
    assert_eq!(s(b"\"\\65\\066\\0067\""), b"AB\x067");
    assert_eq!(s(b"\"\\0\""), b"\0");
    assert_eq!(s(b"\"\\u{41}\\u{e9}\\u{20AC}\""), "Aé€".as_bytes());
    assert_eq!(s(b"\"\\u{7FFFFFFF}\""), b"\xFD\xBF\xBF\xBF\xBF\xBF");
    assert_eq!(s(b"\"\\u{10FFFF}\""), b"\xF4\x8F\xBF\xBF");
    assert_eq!(s(b"\"\xff\x80\""), b"\xff\x80"); // bytes, not UTF-8
    assert_eq!(s(b"[[abc]]"), b"abc");
    assert_eq!(s(b"[[\nabc]]"), b"abc"); // first newline skipped
    assert_eq!(s(b"[[\r\nabc\r\nd]]"), b"abc\nd");
    assert_eq!(s(b"[==[a]]b]=]c]==]"), b"a]]b]=]c");
    assert_eq!(s(b"[=[\\n]=]"), b"\\n"); // no escapes in long strings
}

#[test]
fn lex_operators_comments_names() {
    let src = b"+ - * / // % ^ # & ~ | << >> == ~= <= >= < > = ( ) { } [ ] :: ; : , . .. ...";
    let t = lex_all(src);
    use Tok::*;
    assert_eq!(
        t,
        vec![
            Char(b'+'),
            Char(b'-'),
            Char(b'*'),
            Char(b'/'),
            IDiv,
            Char(b'%'),
            Char(b'^'),
            Char(b'#'),
            Char(b'&'),
            Char(b'~'),
            Char(b'|'),
            Shl,
            Shr,
            Eq,
            Ne,
            Le,
            Ge,
            Char(b'<'),
            Char(b'>'),
            Char(b'='),
            Char(b'('),
            Char(b')'),
            Char(b'{'),
            Char(b'}'),
            Char(b'['),
            Char(b']'),
            DbColon,
            Char(b';'),
            Char(b':'),
            Char(b','),
            Char(b'.'),
            Concat,
            Dots
        ]
    );
    let t = lex_all(b"a --c\n--[==[ long\n]] ]==] b _x1 end ending");
    assert_eq!(t, vec![Name("a".into()), Name("b".into()), Name("_x1".into()), End, Name("ending".into())]);
    let mut l = Lexer::new(b"a\n--[[\n\n]]\nb", "t");
    l.token().unwrap();
    l.token().unwrap();
    assert_eq!(l.line, 5);
}

#[test]
fn chunk_names() {
    // expected strings from lua5.4's load() messages
    assert_eq!(chunk_display_name("=stdin"), "stdin");
    assert_eq!(chunk_display_name("@some/file.lua"), "some/file.lua");
    assert_eq!(chunk_display_name("x="), "[string \"x=\"]");
    assert_eq!(chunk_display_name("local a = 1\nx="), "[string \"local a = 1...\"]");
    let long = format!("x= = {}", "y".repeat(80));
    assert_eq!(chunk_display_name(&long), "[string \"x= = yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy...\"]");
    let z43 = format!("{} = =", "z".repeat(43));
    assert_eq!(chunk_display_name(&z43), "[string \"zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz =...\"]");
    let z44 = format!("{} = =", "z".repeat(44));
    assert_eq!(chunk_display_name(&z44), "[string \"zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz ...\"]");
    let file = format!("@{}f.lua", "d/".repeat(40));
    assert_eq!(chunk_display_name(&file), ".../d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/d/f.lua");
    assert_eq!(chunk_display_name(&format!("={}", "n".repeat(70))), "n".repeat(59));
}

/// An S-expression of an expression, for precedence checks.
fn sx(e: &Expr) -> String {
    match e {
        Expr::Name(n, _) => n.clone(),
        Expr::Int(i) => i.to_string(),
        Expr::Str(s) => format!("{:?}", String::from_utf8_lossy(s)),
        Expr::Bin(op, a, b, _) => {
            let o = match op {
                BinOp::Add => "+",
                BinOp::Sub => "-",
                BinOp::Mul => "*",
                BinOp::Div => "/",
                BinOp::IDiv => "//",
                BinOp::Mod => "%",
                BinOp::Pow => "^",
                BinOp::Concat => "..",
                BinOp::BAnd => "&",
                BinOp::BOr => "|",
                BinOp::BXor => "~",
                BinOp::Shl => "<<",
                BinOp::Shr => ">>",
                BinOp::Eq => "==",
                BinOp::Ne => "~=",
                BinOp::Lt => "<",
                BinOp::Le => "<=",
                BinOp::Gt => ">",
                BinOp::Ge => ">=",
                BinOp::And => "and",
                BinOp::Or => "or",
            };
            format!("({} {} {})", o, sx(a), sx(b))
        }
        Expr::Un(op, a, _) => {
            let o = match op {
                UnOp::Neg => "neg",
                UnOp::Not => "not",
                UnOp::Len => "#",
                UnOp::BNot => "bnot",
            };
            format!("({} {})", o, sx(a))
        }
        Expr::Call(f, args, _) => {
            format!("(call {}{})", sx(f), args.iter().map(|a| format!(" {}", sx(a))).collect::<String>())
        }
        Expr::Method(o, n, args, _) => format!(
            "(method {} {}{})",
            sx(o),
            String::from_utf8_lossy(n),
            args.iter().map(|a| format!(" {}", sx(a))).collect::<String>()
        ),
        Expr::Index(t, k, _) => format!("(index {} {})", sx(t), sx(k)),
        Expr::Paren(e) => format!("(paren {})", sx(e)),
        Expr::Table(f, _) => format!("(table {})", f.len()),
        e => format!("{:?}", e),
    }
}

fn parse_expr(src: &str) -> String {
    let f = parse_chunk(format!("return {}", src).as_bytes(), "t").expect("parses");
    match &f.body.stats[0] {
        Stat::Return { values, .. } => sx(&values[0]),
        s => panic!("{:?}", s),
    }
}

#[test]
fn precedence() {
    let cases = [
        ("1 + 2 * 3", "(+ 1 (* 2 3))"),
        ("1 * 2 + 3", "(+ (* 1 2) 3)"),
        ("a - b - c", "(- (- a b) c)"),
        ("a ^ b ^ c", "(^ a (^ b c))"),
        ("-x ^ 2", "(neg (^ x 2))"),
        ("-x * 2", "(* (neg x) 2)"),
        ("not a == b", "(== (not a) b)"),
        ("a .. b .. c", "(.. a (.. b c))"),
        ("a + b .. c", "(.. (+ a b) c)"),
        ("a .. b + c", "(.. a (+ b c))"),
        ("a << b .. c", "(<< a (.. b c))"),
        ("a & b << c", "(& a (<< b c))"),
        ("a ~ b & c", "(~ a (& b c))"),
        ("a | b ~ c", "(| a (~ b c))"),
        ("a < b | c", "(< a (| b c))"),
        ("a and b < c", "(and a (< b c))"),
        ("a or b and c", "(or a (and b c))"),
        ("a or b or c", "(or (or a b) c)"),
        ("a // b % c / d", "(/ (% (// a b) c) d)"),
        ("#t + 1", "(+ (# t) 1)"),
        ("~a ~ b", "(~ (bnot a) b)"),
        ("2 ^ -3", "(^ 2 (neg 3))"),
        ("- - x", "(neg (neg x))"),
        ("a == b ~= c", "(~= (== a b) c)"),
        ("a >= b", "(>= a b)"),
        ("f'x'", "(call f \"x\")"),
        ("f{1}", "(call f (table 1))"),
        ("a.b.c:m(1)(2)", "(call (method (index (index a \"b\") \"c\") m 1) 2)"),
        ("(f())", "(paren (call f))"),
        ("t[1][k]", "(index (index t 1) k)"),
    ];
    for (src, want) in cases {
        assert_eq!(parse_expr(src), want, "{}", src);
    }
}

fn c(src: &str) -> Proto {
    match compile(src.as_bytes(), "t") {
        Ok(p) => p,
        Err(e) => panic!("{}: {}", src, e),
    }
}

fn ops(p: &Proto) -> Vec<Op> {
    p.code.iter().map(|i| i.op()).collect()
}

#[test]
fn golden_hello() {
    let want = "\
function <t:0> params=0+ stack=2 upvals=1 consts=2 protos=0
   0 [1] VARARGPREP 0
   1 [1] GETTABUP   0 0 K(\"print\")
   2 [1] LOADK      1 K(\"hi\")
   3 [1] CALL       0 2 1
   4 [1] RETURN     0 1 1
";
    assert_eq!(disassemble(&c("print('hi')")), want);
}

#[test]
fn golden_function() {
    let src = "local function f(a, b)\n  if a < b then return a + 1 end\n  return b\nend";
    let want = "\
function <t:0> params=0+ stack=2 upvals=1 consts=0 protos=1
   0 [1] VARARGPREP 0
   1 [4] CLOSURE    0 0
   2 [4] RETURN     1 1 1
function <t:1> params=2 stack=3 upvals=0 consts=1 protos=0
   0 [2] LT         0 1
   1 [2] JMP        to 4
   2 [2] ADD        2 0 K(1)
   3 [2] RETURN     2 2 0
   4 [3] RETURN     1 2 0
   5 [4] RETURN     2 1 0
";
    assert_eq!(disassemble(&c(src)), want);
}

#[test]
fn golden_loops() {
    let src = "local s = 0\nfor i = 1, 10, 2 do s = s + i end\nfor k, v in pairs(t) do s = s .. k end";
    let want = "\
function <t:0> params=0+ stack=9 upvals=1 consts=2 protos=0
   0 [1] VARARGPREP 0
   1 [1] LOADI      0 0
   2 [2] LOADI      1 1
   3 [2] LOADI      2 10
   4 [2] LOADI      3 2
   5 [2] FORPREP    1 to 7
   6 [2] ADD        0 0 4
   7 [2] FORLOOP    1 to 6
   8 [3] GETTABUP   1 0 K(\"pairs\")
   9 [3] GETTABUP   2 0 K(\"t\")
  10 [3] CALL       1 2 5
  11 [3] TFORPREP   1 to 16
  12 [3] MOVE       7 0
  13 [3] MOVE       8 5
  14 [3] CONCAT     7 2
  15 [3] MOVE       0 7
  16 [3] TFORCALL   1 2
  17 [3] TFORLOOP   1 to 12
  18 [3] CLOSE      1
  19 [3] RETURN     1 1 1 k
";
    assert_eq!(disassemble(&c(src)), want);
}

#[test]
fn main_chunk_shape() {
    let p = c("x = 1");
    assert!(p.is_vararg);
    assert_eq!(p.num_params, 0);
    assert_eq!(p.upval_names, vec!["_ENV".to_string()]);
    assert!(p.upvals[0].in_stack && p.upvals[0].index == 0);
    assert_eq!(p.code[0].op(), Op::VarArgPrep);
    assert_eq!(ops(&p), vec![Op::VarArgPrep, Op::SetTabUp, Op::Return]);
    assert!(p.code[1].kc(), "the value 1 is a constant operand");
    assert_eq!(p.lines.len(), p.code.len());
}

#[test]
fn local_env_uses_table_ops() {
    let p = c("local _ENV = {}; x = y");
    assert!(ops(&p).contains(&Op::GetTable) && ops(&p).contains(&Op::SetTable), "{}", disassemble(&p));
    assert!(!ops(&p).contains(&Op::GetTabUp));
}

#[test]
fn upvalues_resolve_through_levels() {
    let p = c("local a, b = 1, 2\nfunction f() return function() return a, b, c end end");
    let f = &p.protos[0];
    assert_eq!(f.upval_names, vec!["a", "b", "_ENV"]);
    assert_eq!((f.upvals[0].in_stack, f.upvals[0].index), (true, 0));
    assert_eq!((f.upvals[1].in_stack, f.upvals[1].index), (true, 1));
    assert_eq!((f.upvals[2].in_stack, f.upvals[2].index), (false, 0));
    let g = &f.protos[0];
    assert_eq!(g.upval_names, vec!["a", "b", "_ENV"]);
    assert!(g.upvals.iter().enumerate().all(|(i, u)| !u.in_stack && u.index as usize == i));
    // captured locals: the main chunk's returns close them
    assert!(p.code.last().unwrap().k());
}

#[test]
fn calls_and_multiple_results() {
    let p = c("f(g())");
    let call = p.code.iter().filter(|i| i.op() == Op::Call).collect::<Vec<_>>();
    assert_eq!((call[0].b(), call[0].c()), (1, 0), "g() gives all results");
    assert_eq!((call[1].b(), call[1].c()), (0, 1), "f takes them up to top");
    let p = c("local a, b, c = ...");
    let va = p.code.iter().find(|i| i.op() == Op::VarArg).unwrap();
    assert_eq!(va.c(), 4);
    let p = c("return ...");
    let r = p.code[p.code.len() - 2];
    assert_eq!((r.op(), r.b()), (Op::Return, 0));
    let p = c("return f(x)");
    let n = p.code.len();
    assert_eq!(p.code[n - 3].op(), Op::TailCall);
    assert_eq!((p.code[n - 2].op(), p.code[n - 2].b()), (Op::Return, 0));
    let p = c("return (f(x))");
    assert!(!ops(&p).contains(&Op::TailCall));
    let p = c("local x <close> = nil; return f(x)");
    assert!(!ops(&p).contains(&Op::TailCall), "no tail call inside a tbc scope");
    assert!(ops(&p).contains(&Op::Tbc));
}

#[test]
fn method_call_uses_self() {
    let p = c("obj:m(1, 2)");
    let s = p.code.iter().position(|i| i.op() == Op::SelfOp).unwrap();
    assert!(p.code[s].kc());
    let call = p.code[s + 3];
    assert_eq!((call.op(), call.a(), call.b()), (Op::Call, p.code[s].a(), 4));
}

#[test]
fn setlist_batches() {
    let items: Vec<String> = (0..120).map(|i| i.to_string()).collect();
    let p = c(&format!("local t = {{{}}}", items.join(",")));
    let sl: Vec<(u16, u16)> =
        p.code.iter().filter(|i| i.op() == Op::SetList).map(|i| (i.b(), i.c())).collect();
    assert_eq!(sl, vec![(50, 0), (50, 50), (20, 100)]);
    assert_eq!(p.code[1].op(), Op::NewTable);
    assert_eq!(p.code[1].b(), 120);
    let p = c("local t = {1, 2, f()}");
    let sl = p.code.iter().find(|i| i.op() == Op::SetList).unwrap();
    assert_eq!((sl.b(), sl.c()), (0, 0));
    let p = c("local t = {x = 1, [2] = 3, 4}");
    assert_eq!((p.code[1].b(), p.code[1].c()), (1, 2));
    let p = c("local t = {[1]=1, 2; 3, x=4,}");
    assert_eq!((p.code[1].b(), p.code[1].c()), (2, 2), "as luac5.4 sizes it");
    let sl = p.code.iter().find(|i| i.op() == Op::SetList).unwrap();
    assert_eq!((sl.b(), sl.c()), (2, 0));
}

#[test]
fn numeric_for_registers() {
    let p = c("for i = 1, n do local y = i end");
    let prep = p.code.iter().position(|i| i.op() == Op::ForPrep).unwrap();
    let lp = p.code.iter().position(|i| i.op() == Op::ForLoop).unwrap();
    assert_eq!(p.code[prep].a(), 0);
    assert_eq!(prep as i32 + 1 + p.code[prep].sbx(), lp as i32, "FORPREP points at FORLOOP");
    assert_eq!(lp as i32 + 1 + p.code[lp].sbx(), prep as i32 + 1, "FORLOOP goes back to the body");
    let names: Vec<(&str, u16)> = p.locals.iter().map(|l| (l.name.as_str(), l.reg)).collect();
    assert_eq!(names, vec![("(for state)", 0), ("(for state)", 1), ("(for state)", 2), ("i", 3), ("y", 4)]);
    assert!(p.locals.iter().all(|l| l.start_pc <= l.end_pc));
}

#[test]
fn generic_for_registers() {
    let p = c("for a, b, c in f() do end");
    let prep = p.code.iter().position(|i| i.op() == Op::TForPrep).unwrap();
    let call = p.code.iter().position(|i| i.op() == Op::TForCall).unwrap();
    let lp = p.code.iter().position(|i| i.op() == Op::TForLoop).unwrap();
    assert_eq!(prep as i32 + 1 + p.code[prep].sbx(), call as i32);
    assert_eq!(p.code[call].c(), 3);
    assert_eq!(lp, call + 1);
    assert_eq!(lp as i32 + 1 + p.code[lp].sbx(), prep as i32 + 1);
    assert_eq!(p.max_stack, 7, "as luac5.4 reports for this loop");
    assert_eq!(p.code[lp + 1].op(), Op::Close);
    let user: Vec<(&str, u16)> = p.locals.iter().skip(4).map(|l| (l.name.as_str(), l.reg)).collect();
    assert_eq!(user, vec![("a", 4), ("b", 5), ("c", 6)]);
}

#[test]
fn comparisons_and_logic() {
    let p = c("local a, b = 1, 2; local x = a > b");
    let lt = p.code.iter().find(|i| i.op() == Op::Lt).unwrap();
    assert_eq!((lt.b(), lt.c(), lt.k()), (1, 0, true), "a > b is b < a");
    let p = c("local a, b = 1, 2; local x = a ~= b");
    let eq = p.code.iter().find(|i| i.op() == Op::Eq).unwrap();
    assert!(!eq.k(), "~= is EQ with k = 0");
    let p = c("local a, b = 1, 2; local x = a == b");
    assert!(p.code.iter().find(|i| i.op() == Op::Eq).unwrap().k());
    let p = c("local a, b = 1, 2; local x = a or b");
    assert!(ops(&p).contains(&Op::TestSet) || ops(&p).contains(&Op::Test));
    let p = c("local a; local x = not a");
    assert!(ops(&p).contains(&Op::Not));
    // every test is followed by a jump
    let p = c("local a, b, c; if a and (b or not c) and a <= b then f() end");
    for (i, ins) in p.code.iter().enumerate() {
        if matches!(ins.op(), Op::Eq | Op::Lt | Op::Le | Op::Test | Op::TestSet) {
            assert_eq!(p.code[i + 1].op(), Op::Jmp);
        }
    }
}

#[test]
fn constant_folding_follows_5_4() {
    let k = |src: &str| c(src).consts;
    assert!(k("local x = 2 * 3 + 1").is_empty(), "folded into LOADI");
    assert!(k("local x = 2^53").contains(&Const::Float(9007199254740992.0)));
    assert!(ops(&c("local x = 1 // 0")).contains(&Op::IDiv), "no folding of division by zero");
    assert!(ops(&c("local x = 1 % 0")).contains(&Op::Mod));
    assert!(ops(&c("local x = 0/0")).contains(&Op::Div), "no NaN folding");
    assert!(ops(&c("local x = -0.0")).contains(&Op::Unm), "no -0.0 folding");
    assert!(ops(&c("local x = 1.5 | 1")).contains(&Op::BOr), "no folding of a failing conversion");
    assert!(!ops(&c("local x = 2.0 | 1")).contains(&Op::BOr));
    assert!(ops(&c("local x = 'a' + 1")).contains(&Op::Add), "strings are not folded");
    let p = c("local k <const> = 10; local y = k * 2");
    assert!(p.locals.iter().all(|l| l.name != "k"), "compile-time constant not materialized");
    assert_eq!(p.code[1].op(), Op::LoadI);
    assert_eq!(p.code[1].sbx(), 20);
}

#[test]
fn close_on_loop_exit() {
    // a captured local in a loop body is closed on each iteration
    let p = c("while x do local a; f(function() return a end) end");
    let cl = p.code.iter().position(|i| i.op() == Op::Close).unwrap();
    assert_eq!(p.code[cl + 1].op(), Op::Jmp);
    assert!(p.code[cl + 1].sbx() < 0, "then the back edge");
    // a break out of it closes too
    let p = c("while x do local a; f(function() return a end); if y then break end end");
    assert!(p.code.iter().filter(|i| i.op() == Op::Close).count() >= 2, "{}", disassemble(&p));
    // a backward goto leaving a scope closes it
    let p = c("::top:: do local a; f(function() return a end); goto top end");
    assert!(ops(&p).contains(&Op::Close));
}

#[test]
fn lines_follow_lua() {
    let p = c("local t = {}\nlocal x = t.a\n  + t.b\nf(\n1)\n");
    let add = p.code.iter().position(|i| i.op() == Op::Add).unwrap();
    assert_eq!(p.lines[add], 3, "arithmetic carries the operator's line");
    let call = p.code.iter().position(|i| i.op() == Op::Call).unwrap();
    assert_eq!(p.lines[call], 4, "a call carries the line where it starts");
    assert_eq!(p.lines.len(), p.code.len());
}

#[test]
fn limits() {
    let locals: String = (0..201).map(|i| format!("local a{}\n", i)).collect();
    let e = compile(locals.as_bytes(), "e.lua").unwrap_err();
    assert_eq!(
        e.to_string(),
        "e.lua:202: too many local variables (limit is 200) in main function near <eof>"
    );
    let ok: String = (0..200).map(|i| format!("local a{}\n", i)).collect();
    assert!(compile(ok.as_bytes(), "e.lua").is_ok());
    let many = format!("f({})", vec!["a"; 300].join(","));
    let e = compile(many.as_bytes(), "b.lua").unwrap_err();
    assert!(e.to_string().starts_with("b.lua:1: function or expression needs too many registers"), "{}", e);
    let nested = |n: usize| format!("x = {}1{}", "(".repeat(n), ")".repeat(n));
    assert!(compile(nested(196).as_bytes(), "a.lua").is_ok());
    assert_eq!(compile(nested(197).as_bytes(), "a.lua").unwrap_err().to_string(), "C stack overflow");
    let p = c(&format!("local t = {{{}}}", vec!["{}"; 300].join(",")));
    assert!(p.max_stack < 60, "{}", p.max_stack);
}

/// (source, what lua5.4.4 printed after "luac5.4: " with the file named t.lua)
const ERRORS: &[(&[u8], &str)] = &[
    (b"x = = 1", "t.lua:1: unexpected symbol near '='"),
    (b"local function (a) end", "t.lua:1: <name> expected near '('"),
    (b"x = 3x", "t.lua:1: malformed number near '3x'"),
    (b"x = \"abc", "t.lua:1: unfinished string near <eof>"),
    (b"x = \"abc\ny\"", "t.lua:1: unfinished string near '\"abc'"),
    (b"break", "t.lua:1: break outside loop at line 1"),
    (b"goto foo", "t.lua:1: no visible label 'foo' for <goto> at line 1"),
    (
        b"do goto l; local a; ::l:: print(a) end",
        "t.lua:1: <goto l> at line 1 jumps into the scope of local 'a'",
    ),
    (b"::a:: ::a::", "t.lua:1: label 'a' already defined on line 1"),
    (b"function f()\n x=1", "t.lua:2: 'end' expected (to close 'function' at line 1) near <eof>"),
    (b"x = 1 +", "t.lua:1: unexpected symbol near <eof>"),
    (b"a.b:c = 1", "t.lua:1: function arguments expected near '='"),
    (b"x = [==[ abc", "t.lua:1: unfinished long string (starting at line 1) near <eof>"),
    (b"x = \"\\q\"", "t.lua:1: invalid escape sequence near '\"\\q'"),
    (b"x = \"\\300\"", "t.lua:1: decimal escape too large near '\"\\300\"'"),
    (b"x = \"\\x4\"", "t.lua:1: hexadecimal digit expected near '\"\\x4\"'"),
    (b"x = \"\\u{80000000}\"", "t.lua:1: UTF-8 value too large near '\"\\u{80000000'"),
    (b"x = \"\\u{12\"", "t.lua:1: missing '}' near '\"\\u{12\"'"),
    (b"x = \"\\u12\"", "t.lua:1: missing '{' near '\"\\u1'"),
    (b"local x <foo> = 1", "t.lua:1: unknown attribute 'foo'"),
    (b"local x <const> = 1; x = 2", "t.lua:1: attempt to assign to const variable 'x'"),
    (b"for i=1 do end", "t.lua:1: ',' expected near 'do'"),
    (b"x = 0x", "t.lua:1: malformed number near '0x'"),
    (b"x = 1e", "t.lua:1: malformed number near '1e'"),
    (b"x = 3..4", "t.lua:1: malformed number near '3..4'"),
    (b"return return", "t.lua:1: unexpected symbol near 'return'"),
    (b"x = }", "t.lua:1: unexpected symbol near '}'"),
    (b"f(", "t.lua:1: unexpected symbol near <eof>"),
    (b"(f)", "t.lua:1: syntax error near <eof>"),
    (b"x = ~= 1", "t.lua:1: unexpected symbol near '~='"),
    (b"x = 1\nreturn 2\nx = 3", "t.lua:3: <eof> expected near 'x'"),
    (b"local t = {x 1}", "t.lua:1: '}' expected near '1'"),
    (b"f(\n1\n", "t.lua:3: ')' expected (to close '(' at line 1) near <eof>"),
    (b"x = \"a\\tb\" y", "t.lua:1: syntax error near <eof>"),
    (b"x = [[\nab]] y", "t.lua:2: syntax error near <eof>"),
    (b"if x then\nelse\nelseif", "t.lua:3: 'end' expected (to close 'if' at line 1) near 'elseif'"),
    (b"while true do", "t.lua:1: 'end' expected near <eof>"),
    (b"repeat x = 1", "t.lua:1: 'until' expected near <eof>"),
    (b"for a b", "t.lua:1: '=' or 'in' expected near 'b'"),
    (b"for a, in x do end", "t.lua:1: <name> expected near 'in'"),
    (b"local", "t.lua:1: <name> expected near <eof>"),
    (b"local 1", "t.lua:1: <name> expected near '1'"),
    (b"function a.1() end", "t.lua:1: '(' expected near '.1'"),
    (b"x.y.z", "t.lua:1: syntax error near <eof>"),
    (b"f() = 1", "t.lua:1: syntax error near '='"),
    (b"x, y() = 1, 2", "t.lua:1: syntax error near '='"),
    (b"(a) = 1", "t.lua:1: syntax error near '='"),
    (b"function f() return ... end", "t.lua:1: cannot use '...' outside a vararg function near '...'"),
    (b"local a <close>, b <close> = 1, 2", "t.lua:1: multiple to-be-closed variables in local list"),
    (b"x = @", "t.lua:1: unexpected symbol near '@'"),
    (b"x = \"\\xzz\"", "t.lua:1: hexadecimal digit expected near '\"\\xz'"),
    (b"--[[ unfinished", "t.lua:1: unfinished long comment (starting at line 1) near <eof>"),
    (b"x = [=", "t.lua:1: invalid long string delimiter near '[='"),
    (b"x = 1 .. 2 ..", "t.lua:1: unexpected symbol near <eof>"),
    (b"goto 1", "t.lua:1: <name> expected near '1'"),
    (b"::x", "t.lua:1: '::' expected near <eof>"),
    (b"x = {1, 2", "t.lua:1: '}' expected near <eof>"),
    (b"x = {[1 = 2}", "t.lua:1: ']' expected near '='"),
    (b"x = a[1", "t.lua:1: ']' expected near <eof>"),
    (b"return 1,", "t.lua:1: unexpected symbol near <eof>"),
    (b"x = function", "t.lua:1: '(' expected near <eof>"),
    (b"x = function(a,) end", "t.lua:1: <name> or '...' expected near ')'"),
    (b"x = function(..., a) end", "t.lua:1: ')' expected near ','"),
    (
        b"local function f() local x <const> = 1; x = 2 end",
        "t.lua:1: attempt to assign to const variable 'x'",
    ),
    (b"local x <const> = 1; function f() x = 2 end", "t.lua:1: attempt to assign to const variable 'x'"),
    (b"local x <close> = 1; x = 2", "t.lua:1: attempt to assign to const variable 'x'"),
    (
        b"repeat goto l; local y; ::l:: until y",
        "t.lua:1: <goto l> at line 1 jumps into the scope of local 'y'",
    ),
    (b"x = 1e+", "t.lua:1: malformed number near '1e+'"),
    (b"x = 0x1p", "t.lua:1: malformed number near '0x1p'"),
    (b"x = 1.2.3", "t.lua:1: malformed number near '1.2.3'"),
    (b"x = .5e", "t.lua:1: malformed number near '.5e'"),
    (b"x = \xc3\xa9", "t.lua:1: unexpected symbol near '<\\195>'"),
    (b"a = b c", "t.lua:1: syntax error near <eof>"),
    (b"if x then y end end", "t.lua:1: syntax error near 'end'"),
    (b"local a = 1 local b = 2 c", "t.lua:1: syntax error near <eof>"),
    (b"\n\n\n  break\n", "t.lua:5: break outside loop at line 4"),
    (b"return\nreturn", "t.lua:2: unexpected symbol near 'return'"),
    (b"f(1)(2) = 3", "t.lua:1: syntax error near '='"),
    (b"x = #", "t.lua:1: unexpected symbol near <eof>"),
    (b"x = not", "t.lua:1: unexpected symbol near <eof>"),
    (b"x = {f()=1}", "t.lua:1: '}' expected near '='"),
    (b"x = 'abc\\\ndef", "t.lua:2: unfinished string near <eof>"),
    (b"x = [[a]]..[==[b", "t.lua:1: unfinished long string (starting at line 1) near <eof>"),
    (b"x = 3 == = 4", "t.lua:1: unexpected symbol near '='"),
    (b"local function f() goto x end", "t.lua:1: no visible label 'x' for <goto> at line 1"),
    (b"do ::l:: end goto l", "t.lua:1: no visible label 'l' for <goto> at line 1"),
    (b"while 1 do ::l:: ::l:: end", "t.lua:1: label 'l' already defined on line 1"),
    (b"x = \"\\u{}\"", "t.lua:1: hexadecimal digit expected near '\"\\u{}'"),
    (b"x = \"\\256\"", "t.lua:1: decimal escape too large near '\"\\256\"'"),
    (b"x = \"\\99x\\999\"", "t.lua:1: decimal escape too large near '\"cx\\999\"'"),
    (b"x = a.b.", "t.lua:1: <name> expected near <eof>"),
    (b"x = a:b", "t.lua:1: function arguments expected near <eof>"),
    (b"a:b.c()", "t.lua:1: function arguments expected near '.'"),
    (b"for i=1,2,3,4 do end", "t.lua:1: 'do' expected near ','"),
    (b"for k,v in do end", "t.lua:1: unexpected symbol near 'do'"),
    (b"if then end", "t.lua:1: unexpected symbol near 'then'"),
    (b"x = (1", "t.lua:1: ')' expected near <eof>"),
    (b"x = (1\n\n+2", "t.lua:3: ')' expected (to close '(' at line 1) near <eof>"),
];

#[test]
fn syntax_errors_match_lua54() {
    assert!(ERRORS.len() >= 40);
    let mut bad = Vec::new();
    for (src, want) in ERRORS {
        match compile(src, "t.lua") {
            Ok(_) => bad.push(format!("{:?}: compiled, want {}", String::from_utf8_lossy(src), want)),
            Err(e) if e.to_string() != *want => {
                bad.push(format!("{:?}: got {}, want {}", String::from_utf8_lossy(src), e, want))
            }
            Err(_) => {}
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

#[test]
fn valid_programs_compile() {
    let progs = [
        "for i = 1, 2 do local x; goto cont; local y; ::cont:: end",
        "do ::l:: end goto l2 ::l2::",
        "local a <const>, b <close> = 1, nil",
        "local x <const> = 1; local function f() return x end",
        "a, b, c = f()",
        "t.x, t.y = 1",
        "local a = {f = function(self, ...) return select('#', ...) end}",
        "return",
        "return;",
        "local function f(...) local a, b = ... return ... end",
        "x = 0x7fffffffffffffff + 1 .. 'a' .. [[b]]",
        "while true do if x then break end end",
        "repeat local x = f() until x > 0",
        "if a then elseif b then else end",
        "goto done; do end ::done::",
        "local t = {[1]=1, 2; 3, x=4,}",
        "f{...}",
        "a.b.c.d = a.b.c.d",
        "local a; a, a.x = 1, 2",
        "#!shebang-is-not-lua",
    ];
    for (i, src) in progs.iter().enumerate() {
        let r = compile(src.as_bytes(), "t.lua");
        if i == progs.len() - 1 {
            assert!(r.is_err(), "'#' lines are the file loader's business");
        } else {
            let p = r.unwrap_or_else(|e| panic!("{}: {}", src, e));
            assert!(p.max_stack >= 2 && p.code.last().unwrap().op() == Op::Return, "{}", src);
        }
    }
}
