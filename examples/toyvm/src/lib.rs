//! The test VM of issue 11: a small register bytecode VM whose handlers are a fragment
//! program (`program`), with a plain Rust implementation of the same VM as an independent
//! oracle (`vm`) and a seeded generator of random terminating programs (`gen`).
//!
//! Bytecode: one 64-bit word per instruction, `op | a << 8 | b << 16 | c << 24 | imm << 32`
//! (`imm` a signed 32-bit number). Registers are VM stack memory: `r[i]` is the word at
//! `base + 8 * i`. A frame's `r[0]` holds the return pc and `r[1]` the caller's base (0 in
//! the outermost frame); arguments start at `r[2]`. Jumps are relative to the next
//! instruction: `pc + 1 + imm`.
//!
//! | op | name | effect |
//! |---|---|---|
//! | 0 | `add a, b, c` | `r[a] = r[b] + r[c]`, overflow is an error |
//! | 1 | `addi a, b, imm` | `r[a] = r[b] + imm`, overflow is an error |
//! | 2 | `jlt a, b, imm` | jump when `r[a] < r[b]` (signed) |
//! | 3 | `mov a, b` | `r[a] = r[b]` |
//! | 4 | `movi a, imm` | `r[a] = imm` |
//! | 5 | `sub a, b, c` | `r[a] = r[b] - r[c]`, overflow is an error |
//! | 6 | `mul a, b, c` | `r[a] = r[b] * r[c]`, overflow is an error |
//! | 7 | `jeq a, b, imm` | jump when `r[a] == r[b]` |
//! | 8 | `jne a, b, imm` | jump when `r[a] != r[b]` |
//! | 9 | `jmp imm` | jump |
//! | 10 | `load a, b` | `r[a] = array[r[b]]`, an index past the array is an error |
//! | 11 | `store a, b` | `array[r[a]] = r[b]`, an index past the array is an error |
//! | 12 | `call a, imm` | call the function at `pc + 1 + imm` with its frame at `r[a]` |
//! | 13 | `ret a` | return `r[a]` into the caller's `r[a']` of the call (the callee's `r[0]`); from the outermost frame, halt with it |
//! | 14 | `hash a, b, c` | `r[a] = mix(r[b], r[c])`, a native helper |
//!
//! A call needs `FRAME_BYTES` of stack above the new frame's base, else it is a stack
//! overflow error; every frame can so address all 256 registers.

pub mod gen;
pub mod program;
pub mod vm;

/// The opcodes, numbered as the dispatch table is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Opcode {
    Add = 0,
    Addi,
    Jlt,
    Mov,
    Movi,
    Sub,
    Mul,
    Jeq,
    Jne,
    Jmp,
    Load,
    Store,
    Call,
    Ret,
    Hash,
}

impl Opcode {
    pub const ALL: [Opcode; 15] = [
        Opcode::Add,
        Opcode::Addi,
        Opcode::Jlt,
        Opcode::Mov,
        Opcode::Movi,
        Opcode::Sub,
        Opcode::Mul,
        Opcode::Jeq,
        Opcode::Jne,
        Opcode::Jmp,
        Opcode::Load,
        Opcode::Store,
        Opcode::Call,
        Opcode::Ret,
        Opcode::Hash,
    ];

    pub fn from_u8(op: u8) -> Option<Opcode> {
        Opcode::ALL.get(op as usize).copied()
    }

    pub fn name(self) -> &'static str {
        match self {
            Opcode::Add => "add",
            Opcode::Addi => "addi",
            Opcode::Jlt => "jlt",
            Opcode::Mov => "mov",
            Opcode::Movi => "movi",
            Opcode::Sub => "sub",
            Opcode::Mul => "mul",
            Opcode::Jeq => "jeq",
            Opcode::Jne => "jne",
            Opcode::Jmp => "jmp",
            Opcode::Load => "load",
            Opcode::Store => "store",
            Opcode::Call => "call",
            Opcode::Ret => "ret",
            Opcode::Hash => "hash",
        }
    }

    /// Jumps and calls: `imm` is a relative target.
    pub fn has_target(self) -> bool {
        matches!(self, Opcode::Jlt | Opcode::Jeq | Opcode::Jne | Opcode::Jmp | Opcode::Call)
    }

    /// Control never falls through to the next instruction.
    pub fn ends_block(self) -> bool {
        matches!(self, Opcode::Jmp | Opcode::Ret)
    }
}

/// Bytes of stack a frame needs above its base (256 registers).
pub const FRAME_BYTES: u64 = 8 * 256;

/// Resume words of the VM's exits to the host.
pub const RESUME_HALT: u64 = 0;
pub const RESUME_OVERFLOW: u64 = 1;
pub const RESUME_RANGE: u64 = 2;
pub const RESUME_STACK: u64 = 3;
/// A dispatch past the table: an opcode the VM does not have.
pub const RESUME_BAD_OPCODE: u64 = 4;

/// One decoded instruction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Insn {
    pub op: u8,
    pub a: u8,
    pub b: u8,
    pub c: u8,
    pub imm: i32,
}

impl Insn {
    pub fn encode(self) -> u64 {
        u64::from(self.op)
            | u64::from(self.a) << 8
            | u64::from(self.b) << 16
            | u64::from(self.c) << 24
            | u64::from(self.imm as u32) << 32
    }

    pub fn decode(w: u64) -> Insn {
        Insn { op: w as u8, a: (w >> 8) as u8, b: (w >> 16) as u8, c: (w >> 24) as u8, imm: (w >> 32) as i32 }
    }
}

/// How a VM run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// `ret` from the outermost frame, with the value returned.
    Halt(i64),
    /// An `add`, `addi`, `sub` or `mul` overflowed.
    Overflow,
    /// A `load` or `store` index past the array.
    OutOfRange,
    /// A `call` with too little stack.
    StackOverflow,
    /// An opcode the VM does not have.
    BadOpcode,
}

impl Outcome {
    /// From an exit's resume word and the result slot.
    pub fn from_resume(resume: u64, result: u64) -> Option<Outcome> {
        Some(match resume {
            RESUME_HALT => Outcome::Halt(result as i64),
            RESUME_OVERFLOW => Outcome::Overflow,
            RESUME_RANGE => Outcome::OutOfRange,
            RESUME_STACK => Outcome::StackOverflow,
            RESUME_BAD_OPCODE => Outcome::BadOpcode,
            _ => return None,
        })
    }
}

/// Why bytecode was rejected before running.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CodeError {
    Empty,
    /// The instruction at `pc` jumps or calls outside the code.
    TargetOutOfCode {
        pc: usize,
        target: i64,
    },
    /// The last instruction falls through past the end.
    FallsOffTheEnd,
    /// An assembler label used but never placed.
    UnboundLabel(usize),
    /// Too many instructions for 32-bit offsets.
    TooLong(usize),
}

impl std::fmt::Display for CodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CodeError::Empty => write!(f, "no instructions"),
            CodeError::TargetOutOfCode { pc, target } => {
                write!(f, "instruction {pc} jumps to {target}, outside the code")
            }
            CodeError::FallsOffTheEnd => write!(f, "the last instruction falls through past the end"),
            CodeError::UnboundLabel(l) => write!(f, "label {l} is used but never placed"),
            CodeError::TooLong(n) => write!(f, "{n} instructions, too many"),
        }
    }
}

impl std::error::Error for CodeError {}

/// Checks that every pc the code can reach is inside it: jump and call targets are in range
/// and the last instruction does not fall through. (Opcodes are not checked: an unknown one
/// is a run-time `BadOpcode` exit.) Code that passes never makes the VM read outside it.
pub fn validate(code: &[u64]) -> Result<(), CodeError> {
    let last = code.last().ok_or(CodeError::Empty)?;
    if code.len() > i32::MAX as usize / 2 {
        return Err(CodeError::TooLong(code.len()));
    }
    for (pc, &w) in code.iter().enumerate() {
        let i = Insn::decode(w);
        if let Some(op) = Opcode::from_u8(i.op) {
            if op.has_target() {
                let target = pc as i64 + 1 + i64::from(i.imm);
                if target < 0 || target >= code.len() as i64 {
                    return Err(CodeError::TargetOutOfCode { pc, target });
                }
            }
        }
    }
    let li = Insn::decode(*last);
    match Opcode::from_u8(li.op) {
        Some(op) if op.ends_block() => Ok(()),
        // A bad opcode stops the VM, so it does not fall through either.
        None => Ok(()),
        Some(_) => Err(CodeError::FallsOffTheEnd),
    }
}

/// A label for forward and backward jumps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Label(usize);

/// The assembler: emit instructions, place labels, then `finish` resolves the offsets and
/// validates the code.
#[derive(Default, Debug)]
pub struct Asm {
    code: Vec<Insn>,
    labels: Vec<Option<usize>>,
    /// (instruction, label) pairs whose `imm` is the label's offset.
    fixups: Vec<(usize, Label)>,
}

impl Asm {
    pub fn new() -> Asm {
        Asm::default()
    }

    /// The pc the next instruction gets.
    pub fn here(&self) -> usize {
        self.code.len()
    }

    pub fn label(&mut self) -> Label {
        self.labels.push(None);
        Label(self.labels.len() - 1)
    }

    /// Places `l` at the next instruction.
    pub fn bind(&mut self, l: Label) {
        let here = self.code.len();
        if let Some(s) = self.labels.get_mut(l.0) {
            *s = Some(here);
        }
    }

    pub fn insn(&mut self, op: Opcode, a: u8, b: u8, c: u8, imm: i32) {
        self.code.push(Insn { op: op as u8, a, b, c, imm });
    }

    /// A raw word (for bad opcodes in tests).
    pub fn raw(&mut self, i: Insn) {
        self.code.push(i);
    }

    fn to(&mut self, op: Opcode, a: u8, b: u8, l: Label) {
        self.fixups.push((self.code.len(), l));
        self.insn(op, a, b, 0, 0);
    }

    pub fn add(&mut self, a: u8, b: u8, c: u8) {
        self.insn(Opcode::Add, a, b, c, 0)
    }
    pub fn sub(&mut self, a: u8, b: u8, c: u8) {
        self.insn(Opcode::Sub, a, b, c, 0)
    }
    pub fn mul(&mut self, a: u8, b: u8, c: u8) {
        self.insn(Opcode::Mul, a, b, c, 0)
    }
    pub fn addi(&mut self, a: u8, b: u8, imm: i32) {
        self.insn(Opcode::Addi, a, b, 0, imm)
    }
    pub fn mov(&mut self, a: u8, b: u8) {
        self.insn(Opcode::Mov, a, b, 0, 0)
    }
    pub fn movi(&mut self, a: u8, imm: i32) {
        self.insn(Opcode::Movi, a, 0, 0, imm)
    }
    pub fn jlt(&mut self, a: u8, b: u8, l: Label) {
        self.to(Opcode::Jlt, a, b, l)
    }
    pub fn jeq(&mut self, a: u8, b: u8, l: Label) {
        self.to(Opcode::Jeq, a, b, l)
    }
    pub fn jne(&mut self, a: u8, b: u8, l: Label) {
        self.to(Opcode::Jne, a, b, l)
    }
    pub fn jmp(&mut self, l: Label) {
        self.to(Opcode::Jmp, 0, 0, l)
    }
    pub fn load(&mut self, a: u8, b: u8) {
        self.insn(Opcode::Load, a, b, 0, 0)
    }
    pub fn store(&mut self, a: u8, b: u8) {
        self.insn(Opcode::Store, a, b, 0, 0)
    }
    /// Calls the function at `l` with its frame at `r[a]`: its arguments are `r[a + 2]`...,
    /// its result lands in `r[a]`.
    pub fn call(&mut self, a: u8, l: Label) {
        self.to(Opcode::Call, a, 0, l)
    }
    pub fn ret(&mut self, a: u8) {
        self.insn(Opcode::Ret, a, 0, 0, 0)
    }
    pub fn hash(&mut self, a: u8, b: u8, c: u8) {
        self.insn(Opcode::Hash, a, b, c, 0)
    }

    /// The encoded, validated code.
    pub fn finish(mut self) -> Result<Vec<u64>, CodeError> {
        for &(at, l) in &self.fixups {
            let target = self.labels.get(l.0).copied().flatten().ok_or(CodeError::UnboundLabel(l.0))?;
            let off = target as i64 - at as i64 - 1;
            self.code[at].imm = i32::try_from(off).map_err(|_| CodeError::TooLong(self.code.len()))?;
        }
        let code: Vec<u64> = self.code.iter().map(|i| i.encode()).collect();
        validate(&code)?;
        Ok(code)
    }
}

/// A listing of bytecode, one instruction a line, for failure messages.
pub fn disassemble(code: &[u64]) -> String {
    let mut out = String::new();
    for (pc, &w) in code.iter().enumerate() {
        let i = Insn::decode(w);
        let t = pc as i64 + 1 + i64::from(i.imm);
        let line = match Opcode::from_u8(i.op) {
            None => format!("bad {:#x}", w),
            Some(op @ (Opcode::Add | Opcode::Sub | Opcode::Mul | Opcode::Hash)) => {
                format!("{} r{}, r{}, r{}", op.name(), i.a, i.b, i.c)
            }
            Some(Opcode::Addi) => format!("addi r{}, r{}, {}", i.a, i.b, i.imm),
            Some(op @ (Opcode::Jlt | Opcode::Jeq | Opcode::Jne)) => {
                format!("{} r{}, r{}, @{t}", op.name(), i.a, i.b)
            }
            Some(Opcode::Mov) => format!("mov r{}, r{}", i.a, i.b),
            Some(Opcode::Movi) => format!("movi r{}, {}", i.a, i.imm),
            Some(Opcode::Jmp) => format!("jmp @{t}"),
            Some(Opcode::Load) => format!("load r{}, [r{}]", i.a, i.b),
            Some(Opcode::Store) => format!("store [r{}], r{}", i.a, i.b),
            Some(Opcode::Call) => format!("call r{}, @{t}", i.a),
            Some(Opcode::Ret) => format!("ret r{}", i.a),
        };
        out.push_str(&format!("{pc:4}: {line}\n"));
    }
    out
}

/// The native helper `hash` calls: a 64-bit mix of two words.
pub extern "C" fn toyvm_mix(a: u64, b: u64) -> u64 {
    mix(a, b)
}

/// `toyvm_mix` in Rust (its model, and the Rust VM's `hash`).
pub fn mix(a: u64, b: u64) -> u64 {
    let mut x = a ^ b.rotate_left(29) ^ 0x9e37_79b9_7f4a_7c15;
    x = (x ^ (x >> 31)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x ^ (x >> 27)
}

/// The name `hash` calls in the fragment program.
pub const MIX_SYMBOL: &str = "toyvm_mix";

/// Symbols with the native helper registered (its address and its model).
pub fn symbols() -> trace_ir::Symbols {
    let mut s = trace_ir::Symbols::new();
    s.define(MIX_SYMBOL, toyvm_mix as *const () as usize as u64, |args: &[u64]| {
        mix(args.first().copied().unwrap_or(0), args.get(1).copied().unwrap_or(0))
    });
    s
}
