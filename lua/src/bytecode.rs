//! The register bytecode: what the front end produces and the VM's fragments execute.
//!
//! It follows Lua 5.4's opcodes (lopcodes.h) in meaning, with one encoding change: an
//! instruction is a 64-bit word, so fields never overflow in practice and the fragments
//! decode them with one shift and one mask each.
//!
//! ```text
//!  bits  0..8   op
//!  bits  8..24  A   (u16)
//!  bits 24..40  B   (u16)         | bits 24..56 Bx (u32) / sBx (i32)
//!  bits 40..56  C   (u16)         |
//!  bit  56      kB  B names a constant, not a register (RK operands)
//!  bit  57      kC  C names a constant, not a register
//!  bit  58      k   a flag (EQ/LT/LE/TEST/TESTSET: the expected outcome)
//! ```
//!
//! Jumps are relative to the next instruction: `pc' = pc + 1 + sBx`. A comparison or test
//! (EQ LT LE TEST TESTSET) is always followed by a JMP: when the condition's outcome equals
//! `k` the JMP is taken, otherwise it is skipped (Lua 5.4's `if (cond ~= k) then pc++`).
//!
//! Register operands index the frame (`R[A]`); `K[i]` is constant i of the function's
//! prototype; `U[i]` its upvalue i; `RK(B)` is `K[B]` when kB is set, else `R[B]`.

/// Operation codes. The comment gives the meaning, in Lua 5.4's notation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Op {
    /// R[A] := R[B]
    Move = 0,
    /// R[A] := K[Bx]
    LoadK,
    /// R[A] := sBx (an integer)
    LoadI,
    /// R[A] := false
    LoadFalse,
    /// R[A] := true
    LoadTrue,
    /// R[A], ..., R[A+B] := nil
    LoadNil,
    /// R[A] := U[B]
    GetUpval,
    /// U[B] := R[A]
    SetUpval,
    /// R[A] := U[B][K[C]]  (K[C] is a string; globals are `_ENV` fields)
    GetTabUp,
    /// R[A] := R[B][RK(C)]
    GetTable,
    /// R[A] := R[B][C]  (C an integer key)
    GetI,
    /// U[A][K[B]] := RK(C)
    SetTabUp,
    /// R[A][RK(B)] := RK(C)
    SetTable,
    /// R[A][B] := RK(C)  (B an integer key)
    SetI,
    /// R[A] := {}  with B array slots and C hash slots as size hints
    NewTable,
    /// R[A+1] := R[B]; R[A] := R[B][RK(C)]
    SelfOp,
    /// R[A] := RK(B) + RK(C)
    Add,
    Sub,
    Mul,
    Mod,
    Pow,
    Div,
    IDiv,
    BAnd,
    BOr,
    BXor,
    Shl,
    Shr,
    /// R[A] := -R[B]
    Unm,
    /// R[A] := ~R[B]
    BNot,
    /// R[A] := not R[B]
    Not,
    /// R[A] := #R[B]
    Len,
    /// R[A] := R[A] .. ... .. R[A+B-1]
    Concat,
    /// close upvalues and to-be-closed variables >= R[A]
    Close,
    /// mark R[A] to be closed
    Tbc,
    /// pc += sBx
    Jmp,
    /// if ((RK(B) == RK(C)) ~= k) then pc++   (then the JMP that follows)
    Eq,
    /// if ((RK(B) <  RK(C)) ~= k) then pc++
    Lt,
    /// if ((RK(B) <= RK(C)) ~= k) then pc++
    Le,
    /// if (not R[A] == k) then pc++
    Test,
    /// if (not R[B] == k) then pc++ else R[A] := R[B]
    TestSet,
    /// R[A], ..., R[A+C-2] := R[A](R[A+1], ..., R[A+B-1]); B = 0: arguments up to top;
    /// C = 0: all results, top set after the last
    Call,
    /// return R[A](R[A+1], ..., R[A+B-1])
    TailCall,
    /// return R[A], ..., R[A+B-2]; B = 0: up to top
    Return,
    /// numeric for, after the body: update counters; if the loop goes on, pc += sBx
    /// (back to the body)
    ForLoop,
    /// numeric for, before the loop: check and prepare; if it does not run, pc += sBx + 1
    /// (past its FORLOOP)
    ForPrep,
    /// generic for: create the to-be-closed variable R[A+3]; pc += sBx (to its TFORCALL)
    TForPrep,
    /// R[A+4], ..., R[A+3+C] := R[A](R[A+1], R[A+2])
    TForCall,
    /// if R[A+4] ~= nil then { R[A+2] := R[A+4]; pc += sBx }  (the same A as its
    /// TFORCALL; sBx is negative, back to the body)
    TForLoop,
    /// R[A][C+i] := R[A+i], 1 <= i <= B; B = 0: up to top. C is the first index - 1.
    SetList,
    /// R[A] := closure(KPROTO[Bx])
    Closure,
    /// R[A], R[A+1], ..., R[A+C-2] = vararg; C = 0: all, top set after the last
    VarArg,
    /// adjust the frame of a vararg function with A fixed parameters
    VarArgPrep,
}

/// The number of opcodes: the size of the VM's dispatch table.
pub const OP_COUNT: usize = Op::VarArgPrep as usize + 1;

impl Op {
    pub fn from_u8(b: u8) -> Option<Op> {
        if (b as usize) < OP_COUNT {
            // SAFETY: Op is repr(u8) with contiguous discriminants from 0 to OP_COUNT - 1,
            // and b is in that range.
            Some(unsafe { std::mem::transmute::<u8, Op>(b) })
        } else {
            None
        }
    }
}

pub const KB: u64 = 1 << 56;
pub const KC: u64 = 1 << 57;
pub const K: u64 = 1 << 58;

/// One instruction, decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ins(pub u64);

impl Ins {
    pub fn abc(op: Op, a: u16, b: u16, c: u16) -> Ins {
        Ins(op as u64 | (a as u64) << 8 | (b as u64) << 24 | (c as u64) << 40)
    }
    pub fn abx(op: Op, a: u16, bx: u32) -> Ins {
        Ins(op as u64 | (a as u64) << 8 | (bx as u64) << 24)
    }
    pub fn asbx(op: Op, a: u16, sbx: i32) -> Ins {
        Ins::abx(op, a, sbx as u32)
    }
    /// With flag bits (KB, KC, K) set.
    pub fn with(self, flags: u64) -> Ins {
        Ins(self.0 | flags)
    }
    pub fn op(self) -> Op {
        Op::from_u8(self.0 as u8).expect("a valid opcode")
    }
    pub fn a(self) -> u16 {
        (self.0 >> 8) as u16
    }
    pub fn b(self) -> u16 {
        (self.0 >> 24) as u16
    }
    pub fn c(self) -> u16 {
        (self.0 >> 40) as u16
    }
    pub fn bx(self) -> u32 {
        (self.0 >> 24) as u32
    }
    pub fn sbx(self) -> i32 {
        (self.0 >> 24) as u32 as i32
    }
    pub fn kb(self) -> bool {
        self.0 & KB != 0
    }
    pub fn kc(self) -> bool {
        self.0 & KC != 0
    }
    pub fn k(self) -> bool {
        self.0 & K != 0
    }
    /// Replaces the sBx field (jump patching).
    pub fn set_sbx(&mut self, sbx: i32) {
        self.0 = (self.0 & !(0xffff_ffffu64 << 24)) | ((sbx as u32 as u64) << 24);
    }
}

/// A constant of a prototype, before the VM turns it into a value.
#[derive(Clone, Debug, PartialEq)]
pub enum Const {
    Nil,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(Vec<u8>),
}

/// Where a closure's upvalue comes from when CLOSURE runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UpvalDesc {
    /// True: register `index` of the enclosing function; false: its upvalue `index`.
    pub in_stack: bool,
    pub index: u16,
}

/// A compiled function.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Proto {
    /// The chunk name as error messages show it (`t.lua`, or `[string "..."]`).
    pub source: String,
    pub line_defined: u32,
    pub num_params: u16,
    pub is_vararg: bool,
    /// Registers the frame needs.
    pub max_stack: u16,
    pub code: Vec<Ins>,
    /// The source line of each instruction.
    pub lines: Vec<u32>,
    pub consts: Vec<Const>,
    pub upvals: Vec<UpvalDesc>,
    /// Upvalue names, for error messages ("attempt to index a nil value (upvalue 'x')").
    pub upval_names: Vec<String>,
    pub protos: Vec<Proto>,
    /// Local variable names with the pc range where each is live (for error messages).
    pub locals: Vec<LocalInfo>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct LocalInfo {
    pub name: String,
    pub reg: u16,
    pub start_pc: u32,
    pub end_pc: u32,
}
