//! The syntax tree the parser builds and the compiler walks. Lines are kept where code
//! generation or a later semantic error needs them.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    IDiv,
    Mod,
    Pow,
    Concat,
    BAnd,
    BOr,
    BXor,
    Shl,
    Shr,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    And,
    Or,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnOp {
    Neg,
    Not,
    Len,
    BNot,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    Nil,
    True,
    False,
    Int(i64),
    Flt(f64),
    Str(Vec<u8>),
    Vararg,
    Function(Box<FuncBody>),
    /// A name, resolved by the compiler (local, upvalue or global).
    Name(String, u32),
    Index(Box<Expr>, Box<Expr>, u32),
    /// `f(args)`; the line is where lua5.4 attributes the call (the start of the
    /// suffixed expression).
    Call(Box<Expr>, Vec<Expr>, u32),
    /// `obj:name(args)`
    Method(Box<Expr>, Vec<u8>, Vec<Expr>, u32),
    Paren(Box<Expr>),
    Table(Vec<Field>, u32),
    Bin(BinOp, Box<Expr>, Box<Expr>, u32),
    Un(UnOp, Box<Expr>, u32),
}

impl Expr {
    /// Calls and `...` can produce several values.
    pub fn is_multi(&self) -> bool {
        matches!(self, Expr::Call(..) | Expr::Method(..) | Expr::Vararg)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Field {
    /// `[k] = v` or `name = v`
    Keyed(Expr, Expr),
    /// a positional item
    Item(Expr),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Attrib {
    None,
    Const,
    Close,
}

#[derive(Clone, Debug, PartialEq)]
pub struct FuncBody {
    pub params: Vec<String>,
    pub is_vararg: bool,
    pub body: Block,
    pub line: u32,
    /// The line of the closing `end`.
    pub end_line: u32,
    /// The lexer's line after `end` was read: where lua5.4 reports errors found when the
    /// function is closed (pending gotos).
    pub close_line: u32,
}

#[derive(Clone, Debug, PartialEq, Default)]
pub struct Block {
    pub stats: Vec<Stat>,
    /// The lexer's line when the block ended (the token that ends it).
    pub end_line: u32,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Stat {
    /// An expression statement (a call).
    Expr(Expr, u32),
    /// `targets = values`; `check_lines[i]` is where a const-assignment error for target
    /// i is reported.
    Assign {
        targets: Vec<Expr>,
        values: Vec<Expr>,
        line: u32,
        check_lines: Vec<u32>,
    },
    Local {
        names: Vec<(String, Attrib)>,
        values: Vec<Expr>,
        line: u32,
    },
    /// `function name.a.b:m() end`; `target` is the expression assigned to.
    Function {
        target: Expr,
        body: Box<FuncBody>,
        line: u32,
        check_line: u32,
    },
    LocalFunction {
        name: String,
        body: Box<FuncBody>,
        line: u32,
    },
    Do(Block),
    While {
        cond: Expr,
        body: Block,
        line: u32,
    },
    Repeat {
        body: Block,
        cond: Expr,
        line: u32,
    },
    If {
        conds: Vec<(Expr, Block)>,
        else_block: Option<Block>,
        line: u32,
    },
    NumFor {
        var: String,
        start: Expr,
        limit: Expr,
        step: Option<Expr>,
        body: Block,
        line: u32,
    },
    GenFor {
        vars: Vec<String>,
        exprs: Vec<Expr>,
        body: Block,
        line: u32,
    },
    Return {
        values: Vec<Expr>,
        line: u32,
    },
    Break {
        line: u32,
    },
    Goto {
        name: String,
        line: u32,
    },
    /// `::name::`; `report_line` is the lexer line after the run of no-op statements that
    /// follows it (where a duplicate-label error is reported).
    /// `last`: only no-op statements follow it in its block (its locals are out of scope).
    Label {
        name: String,
        line: u32,
        report_line: u32,
        last: bool,
    },
}
