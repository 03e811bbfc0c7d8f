//! The trace: a linear SSA program with one entry, an optional loop and guards that leave it.
//!
//! Every value is the result of one instruction in `Trace::insts`, and `Value(i)` names
//! `insts[i]`. Inputs and constants are instructions too, but they have no position: they are
//! available everywhere, and the printer lists them first. Every other instruction runs in
//! vector order. A loop, when present, starts at `Trace::loop_start`: the loop parameters are
//! the `Op::LoopParam` instructions from there on, and everything after them is the loop body,
//! which the `Terminator::Jump` repeats.

use crate::types::Type;

/// An SSA value: the index of the instruction that defines it.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
pub struct Value(pub u32);

impl Value {
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// A snapshot: the index into `Trace::snaps`. It is also the exit id a backend returns when
/// the trace leaves through it, so exits are numbered by snapshot.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
pub struct SnapId(pub u32);

impl SnapId {
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// Two-operand integer and float arithmetic. Both operands and the result share one type.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    And,
    Or,
    Xor,
    /// Shift counts are taken modulo the type's bit width.
    Shl,
    LShr,
    AShr,
    /// Division by zero and `MIN / -1` are undefined (a front end guards first).
    SDiv,
    UDiv,
    SRem,
    URem,
    FAdd,
    FSub,
    FMul,
    FDiv,
}

impl BinOp {
    pub const ALL: [BinOp; 17] = [
        BinOp::Add,
        BinOp::Sub,
        BinOp::Mul,
        BinOp::And,
        BinOp::Or,
        BinOp::Xor,
        BinOp::Shl,
        BinOp::LShr,
        BinOp::AShr,
        BinOp::SDiv,
        BinOp::UDiv,
        BinOp::SRem,
        BinOp::URem,
        BinOp::FAdd,
        BinOp::FSub,
        BinOp::FMul,
        BinOp::FDiv,
    ];

    pub fn name(self) -> &'static str {
        match self {
            BinOp::Add => "add",
            BinOp::Sub => "sub",
            BinOp::Mul => "mul",
            BinOp::And => "and",
            BinOp::Or => "or",
            BinOp::Xor => "xor",
            BinOp::Shl => "shl",
            BinOp::LShr => "lshr",
            BinOp::AShr => "ashr",
            BinOp::SDiv => "sdiv",
            BinOp::UDiv => "udiv",
            BinOp::SRem => "srem",
            BinOp::URem => "urem",
            BinOp::FAdd => "fadd",
            BinOp::FSub => "fsub",
            BinOp::FMul => "fmul",
            BinOp::FDiv => "fdiv",
        }
    }

    pub fn is_float(self) -> bool {
        matches!(self, BinOp::FAdd | BinOp::FSub | BinOp::FMul | BinOp::FDiv)
    }

    pub fn is_commutative(self) -> bool {
        matches!(
            self,
            BinOp::Add | BinOp::Mul | BinOp::And | BinOp::Or | BinOp::Xor | BinOp::FAdd | BinOp::FMul
        )
    }

    pub fn is_division(self) -> bool {
        matches!(self, BinOp::SDiv | BinOp::UDiv | BinOp::SRem | BinOp::URem)
    }
}

/// One-operand arithmetic; the result has the operand's type.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum UnOp {
    Neg,
    Not,
    /// Flips the sign bit (also of NaN).
    FNeg,
    /// Clears the sign bit.
    FAbs,
    FSqrt,
}

impl UnOp {
    pub const ALL: [UnOp; 5] = [UnOp::Neg, UnOp::Not, UnOp::FNeg, UnOp::FAbs, UnOp::FSqrt];

    pub fn name(self) -> &'static str {
        match self {
            UnOp::Neg => "neg",
            UnOp::Not => "not",
            UnOp::FNeg => "fneg",
            UnOp::FAbs => "fabs",
            UnOp::FSqrt => "fsqrt",
        }
    }

    pub fn is_float(self) -> bool {
        matches!(self, UnOp::FNeg | UnOp::FAbs | UnOp::FSqrt)
    }
}

/// Overflow-checked integer arithmetic: leaves through its snapshot on signed overflow of
/// the operand type.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum OvfOp {
    Add,
    Sub,
    Mul,
}

impl OvfOp {
    pub const ALL: [OvfOp; 3] = [OvfOp::Add, OvfOp::Sub, OvfOp::Mul];

    pub fn name(self) -> &'static str {
        match self {
            OvfOp::Add => "add.ovf",
            OvfOp::Sub => "sub.ovf",
            OvfOp::Mul => "mul.ovf",
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum ICmp {
    Eq,
    Ne,
    Slt,
    Sle,
    Sgt,
    Sge,
    Ult,
    Ule,
    Ugt,
    Uge,
}

impl ICmp {
    pub const ALL: [ICmp; 10] = [
        ICmp::Eq,
        ICmp::Ne,
        ICmp::Slt,
        ICmp::Sle,
        ICmp::Sgt,
        ICmp::Sge,
        ICmp::Ult,
        ICmp::Ule,
        ICmp::Ugt,
        ICmp::Uge,
    ];

    pub fn name(self) -> &'static str {
        match self {
            ICmp::Eq => "eq",
            ICmp::Ne => "ne",
            ICmp::Slt => "slt",
            ICmp::Sle => "sle",
            ICmp::Sgt => "sgt",
            ICmp::Sge => "sge",
            ICmp::Ult => "ult",
            ICmp::Ule => "ule",
            ICmp::Ugt => "ugt",
            ICmp::Uge => "uge",
        }
    }

    /// The condition that holds exactly when this one does not.
    pub fn inverse(self) -> ICmp {
        match self {
            ICmp::Eq => ICmp::Ne,
            ICmp::Ne => ICmp::Eq,
            ICmp::Slt => ICmp::Sge,
            ICmp::Sle => ICmp::Sgt,
            ICmp::Sgt => ICmp::Sle,
            ICmp::Sge => ICmp::Slt,
            ICmp::Ult => ICmp::Uge,
            ICmp::Ule => ICmp::Ugt,
            ICmp::Ugt => ICmp::Ule,
            ICmp::Uge => ICmp::Ult,
        }
    }

    /// The condition with its operands exchanged (`a < b` is `b > a`).
    pub fn swapped(self) -> ICmp {
        match self {
            ICmp::Slt => ICmp::Sgt,
            ICmp::Sle => ICmp::Sge,
            ICmp::Sgt => ICmp::Slt,
            ICmp::Sge => ICmp::Sle,
            ICmp::Ult => ICmp::Ugt,
            ICmp::Ule => ICmp::Uge,
            ICmp::Ugt => ICmp::Ult,
            ICmp::Uge => ICmp::Ule,
            c => c,
        }
    }
}

/// Float comparisons. All are ordered (false when either side is NaN) except `ne`, which is
/// true for NaN as in C, and `uno`, which is true exactly when either side is NaN.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum FCmp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Uno,
}

impl FCmp {
    pub const ALL: [FCmp; 7] = [FCmp::Eq, FCmp::Ne, FCmp::Lt, FCmp::Le, FCmp::Gt, FCmp::Ge, FCmp::Uno];

    pub fn name(self) -> &'static str {
        match self {
            FCmp::Eq => "eq",
            FCmp::Ne => "ne",
            FCmp::Lt => "lt",
            FCmp::Le => "le",
            FCmp::Gt => "gt",
            FCmp::Ge => "ge",
            FCmp::Uno => "uno",
        }
    }
}

/// Conversions; the result type is the instruction's type.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Conv {
    ZExt,
    SExt,
    Trunc,
    /// Signed integer to f64.
    SIToFP,
    /// f64 to signed integer, truncating; undefined when out of range or NaN.
    FPToSI,
    /// i64 <-> f64, the same bits.
    Bitcast,
}

impl Conv {
    pub const ALL: [Conv; 6] =
        [Conv::ZExt, Conv::SExt, Conv::Trunc, Conv::SIToFP, Conv::FPToSI, Conv::Bitcast];

    pub fn name(self) -> &'static str {
        match self {
            Conv::ZExt => "zext",
            Conv::SExt => "sext",
            Conv::Trunc => "trunc",
            Conv::SIToFP => "sitofp",
            Conv::FPToSI => "fptosi",
            Conv::Bitcast => "bitcast",
        }
    }
}

/// Which memory an access touches, as the front end knows it (alias classes, as LuaJIT's
/// separate stack slots and table slots): a `Frame` access and a `Heap` access never touch
/// the same bytes, so a store of one leaves what is known of the other. `Any` may touch
/// either (and is what an access says unless its front end knows better).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default, PartialOrd, Ord)]
pub enum MemClass {
    #[default]
    Any,
    /// An interpreter's frame (a register window).
    Frame,
    /// Everything a frame is not: objects, their headers and buffers.
    Heap,
}

impl MemClass {
    /// Whether accesses of `self` and `other` may touch the same bytes.
    pub fn may_alias(self, other: MemClass) -> bool {
        self == other || self == MemClass::Any || other == MemClass::Any
    }

    /// The word the text format writes after the type (`load.i64 frame [...]`).
    pub fn keyword(self) -> Option<&'static str> {
        match self {
            MemClass::Any => None,
            MemClass::Frame => Some("frame"),
            MemClass::Heap => Some("heap"),
        }
    }
}

/// What a call may do, so that the optimizer knows what it may move or merge.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default)]
pub enum CallEffect {
    /// Reads and writes memory; never moved, merged or removed.
    #[default]
    Any,
    /// Reads memory but writes none: may be merged with an identical call when no store lies
    /// between them, and removed when unused.
    ReadOnly,
    /// Depends only on its arguments: may be merged, hoisted and removed.
    Pure,
}

/// A fragment's hint to the trace builder about a call.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default)]
pub enum CallHint {
    #[default]
    None,
    /// The result depends only on the arguments (and `imm` memory): with constant arguments
    /// the trace builder calls it once at build time and uses the result. Needs an effect
    /// other than `Any`.
    Elidable,
    /// Stays a real call in every trace, never folded or specialized, even with constant
    /// arguments (for helpers whose effects the trace must perform).
    Outline,
}

impl CallHint {
    pub fn name(self) -> Option<&'static str> {
        match self {
            CallHint::None => None,
            CallHint::Elidable => Some("elidable"),
            CallHint::Outline => Some("outline"),
        }
    }
}

/// The function a call goes to.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub enum Callee {
    /// A named native function, resolved to an address by a `Symbols` table at compile time
    /// (`@name` in text).
    Symbol(String),
    /// An address computed by the trace (an `i64` value).
    Value(Value),
}

#[derive(Clone, PartialEq, Debug)]
pub enum Op {
    /// Reads interpreter slot `slot` at entry.
    Input {
        slot: u32,
    },
    /// An interned constant: canonical bits (integers zero-extended, f64 as its bits).
    Const {
        bits: u64,
    },
    /// The `index`th loop-carried value; its first value is `Trace::loop_inits[index]`, later
    /// ones come from the `Terminator::Jump` arguments.
    LoopParam {
        index: u32,
    },
    Bin(BinOp, Value, Value),
    Un(UnOp, Value),
    Ovf(OvfOp, Value, Value, SnapId),
    ICmp(ICmp, Value, Value),
    FCmp(FCmp, Value, Value),
    /// `select %c, %a, %b`: `%a` when `%c` is true.
    Select(Value, Value, Value),
    Conv(Conv, Value),
    /// Loads the instruction's type from `base + disp`. `imm` marks memory that never changes
    /// while the trace is installed, so a load at a constant address may fold.
    Load {
        base: Value,
        disp: i32,
        imm: bool,
        mem: MemClass,
    },
    /// Stores `value` (with its own type's width) to `base + disp`.
    Store {
        base: Value,
        disp: i32,
        value: Value,
        mem: MemClass,
    },
    Call {
        callee: Callee,
        args: Vec<Value>,
        effect: CallEffect,
        /// What the trace builder may do with the call (fragments only; traces say `None`).
        hint: CallHint,
    },
    /// Fragments only: the value is logged while recording, and a trace built from the
    /// recording guards on it and treats it as a constant from here on.
    Promote(Value),
    /// Fragments only: as `promote`, but a trace takes the recorded value as a constant
    /// without a guard. The value is a guess (an inline cache's), so the fragment must be
    /// right for any value of it: it checks whatever it relies on.
    Hint(Value),
    /// Continues when `cond == expect`, otherwise leaves through `snap`.
    Guard {
        cond: Value,
        expect: bool,
        snap: SnapId,
    },
    /// A removed instruction, left in place until `Trace::compact`.
    Nop,
}

impl Op {
    /// Calls `f` on every value operand, in text order.
    pub fn visit_operands(&self, mut f: impl FnMut(Value)) {
        match self {
            Op::Input { .. } | Op::Const { .. } | Op::LoopParam { .. } | Op::Nop => {}
            Op::Bin(_, a, b) | Op::Ovf(_, a, b, _) | Op::ICmp(_, a, b) | Op::FCmp(_, a, b) => {
                f(*a);
                f(*b);
            }
            Op::Un(_, a) | Op::Conv(_, a) => f(*a),
            Op::Select(c, a, b) => {
                f(*c);
                f(*a);
                f(*b);
            }
            Op::Load { base, .. } => f(*base),
            Op::Store { base, value, .. } => {
                f(*base);
                f(*value);
            }
            Op::Call { callee, args, .. } => {
                if let Callee::Value(v) = callee {
                    f(*v);
                }
                args.iter().copied().for_each(f);
            }
            Op::Guard { cond, .. } | Op::Promote(cond) | Op::Hint(cond) => f(*cond),
        }
    }

    /// Rewrites every value operand through `f`.
    pub fn map_operands(&mut self, mut f: impl FnMut(Value) -> Value) {
        match self {
            Op::Input { .. } | Op::Const { .. } | Op::LoopParam { .. } | Op::Nop => {}
            Op::Bin(_, a, b) | Op::Ovf(_, a, b, _) | Op::ICmp(_, a, b) | Op::FCmp(_, a, b) => {
                *a = f(*a);
                *b = f(*b);
            }
            Op::Un(_, a) | Op::Conv(_, a) => *a = f(*a),
            Op::Select(c, a, b) => {
                *c = f(*c);
                *a = f(*a);
                *b = f(*b);
            }
            Op::Load { base, .. } => *base = f(*base),
            Op::Store { base, value, .. } => {
                *base = f(*base);
                *value = f(*value);
            }
            Op::Call { callee, args, .. } => {
                if let Callee::Value(v) = callee {
                    *v = f(*v);
                }
                for a in args.iter_mut() {
                    *a = f(*a);
                }
            }
            Op::Guard { cond, .. } | Op::Promote(cond) | Op::Hint(cond) => *cond = f(*cond),
        }
    }

    pub fn operands(&self) -> Vec<Value> {
        let mut v = Vec::new();
        self.visit_operands(|x| v.push(x));
        v
    }

    /// The snapshot this instruction may leave through.
    pub fn snap(&self) -> Option<SnapId> {
        match self {
            Op::Ovf(_, _, _, s) | Op::Guard { snap: s, .. } => Some(*s),
            _ => None,
        }
    }

    /// Inputs and constants have no position: they hold everywhere in the trace.
    pub fn is_positionless(&self) -> bool {
        matches!(self, Op::Input { .. } | Op::Const { .. })
    }

    /// True when the instruction does something besides defining its value (writes memory,
    /// calls, may leave the trace), so it is never removed for being unused.
    pub fn has_side_effect(&self) -> bool {
        match self {
            Op::Store { .. } | Op::Guard { .. } | Op::Ovf(..) | Op::Promote(_) | Op::Hint(_) => true,
            Op::Call { effect, .. } => *effect == CallEffect::Any,
            _ => false,
        }
    }

    /// True for ops that read memory (loads and non-pure calls).
    pub fn reads_memory(&self) -> bool {
        match self {
            Op::Load { .. } => true,
            Op::Call { effect, .. } => *effect != CallEffect::Pure,
            _ => false,
        }
    }

    /// True for ops that may write memory.
    pub fn writes_memory(&self) -> bool {
        match self {
            Op::Store { .. } => true,
            Op::Call { effect, .. } => *effect == CallEffect::Any,
            _ => false,
        }
    }
}

#[derive(Clone, PartialEq, Debug)]
pub struct Inst {
    pub op: Op,
    /// The result type; `None` for stores, guards and calls that return nothing.
    pub ty: Option<Type>,
    /// The name written in text (`%acc`), kept so dumps read like their source.
    pub name: Option<String>,
}

/// The interpreter state to write back when the trace leaves.
#[derive(Clone, PartialEq, Debug, Default)]
pub struct Snapshot {
    /// An opaque word for the front end, such as the bytecode pc to resume at.
    pub resume: u64,
    /// `(slot, value)` pairs, sorted by slot, each slot at most once. Slots not named keep the
    /// value they had at entry.
    pub entries: Vec<(u32, Value)>,
    /// Where control goes once the snapshot is written.
    pub to: SnapTo,
}

/// Where a snapshot sends control: back to the host (the resume word tells it where), or,
/// in a fragment program and in traces built from one, on into the native interpreter.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default)]
pub enum SnapTo {
    #[default]
    Host,
    /// Fragment `n` of the program (`-> name` in a program, `-> n` in a trace).
    Fragment(u32),
    /// The fragment that dispatch table `table` names at the index held in `slot` (after the
    /// snapshot is written). An index past the table's end leaves to the host instead.
    Dispatch { table: u32, slot: u32 },
}

#[derive(Clone, PartialEq, Debug)]
pub enum Terminator {
    /// Back to the loop header with the next loop-carried values.
    Jump(Vec<Value>),
    /// Leave through a snapshot, as a failing guard would.
    Exit(SnapId),
    /// Write the snapshot to the slots, then enter trace `trace` (a side trace joining its
    /// parent, or any other trace).
    Link { trace: u32, snap: SnapId },
    /// Native-interpreter code only (a lowered fragment's dispatch): write the snapshot, then
    /// go where `targets[index]` says, `index` read as unsigned; an index past the end leaves
    /// through `snap`. Backends lower it to an indirect jump through a jump table.
    Dispatch { index: Value, snap: SnapId, targets: Vec<DispatchTarget> },
}

/// One entry of a `Terminator::Dispatch` table.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum DispatchTarget {
    /// Enter trace `n` at its internal entry, as `link n` does (`n` in text).
    Trace(u32),
    /// Leave through this snapshot instead (`snapN` in text), which must write the same slots
    /// from the same values as the terminator's own (the slots are already written); its
    /// resume word and target may differ.
    Exit(SnapId),
}

/// Where an exit goes: back to the host through its snapshot, into another trace, or into
/// the native interpreter at a fragment (what deoptimization means once a fragment program
/// runs: the snapshot is written and the interpreter continues without the host).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ExitTarget {
    Deopt(SnapId),
    Trace { trace: u32, snap: SnapId },
    Fragment { fragment: u32, snap: SnapId },
}

impl Terminator {
    pub fn visit_operands(&self, mut f: impl FnMut(Value)) {
        match self {
            Terminator::Jump(vs) => vs.iter().copied().for_each(&mut f),
            Terminator::Dispatch { index, .. } => f(*index),
            _ => {}
        }
    }

    pub fn map_operands(&mut self, mut f: impl FnMut(Value) -> Value) {
        match self {
            Terminator::Jump(vs) => {
                for v in vs.iter_mut() {
                    *v = f(*v);
                }
            }
            Terminator::Dispatch { index, .. } => *index = f(*index),
            _ => {}
        }
    }

    /// The snapshot the terminator writes (and leaves through when it does not continue).
    pub fn snap(&self) -> Option<SnapId> {
        match self {
            Terminator::Jump(_) => None,
            Terminator::Exit(s) | Terminator::Link { snap: s, .. } | Terminator::Dispatch { snap: s, .. } => {
                Some(*s)
            }
        }
    }

    /// Every snapshot the terminator may leave through (a dispatch's table entries too).
    pub fn exit_snaps(&self) -> Vec<SnapId> {
        let mut v: Vec<SnapId> = self.snap().into_iter().collect();
        if let Terminator::Dispatch { targets, .. } = self {
            v.extend(targets.iter().filter_map(|t| match t {
                DispatchTarget::Exit(s) => Some(*s),
                DispatchTarget::Trace(_) => None,
            }));
        }
        v
    }

    /// The traces the terminator may enter (`link`, and a dispatch's table).
    pub fn linked_traces(&self) -> Vec<u32> {
        match self {
            Terminator::Link { trace, .. } => vec![*trace],
            Terminator::Dispatch { targets, .. } => targets
                .iter()
                .filter_map(|t| match t {
                    DispatchTarget::Trace(n) => Some(*n),
                    DispatchTarget::Exit(_) => None,
                })
                .collect(),
            _ => Vec::new(),
        }
    }
}

#[derive(Clone, PartialEq, Debug)]
pub struct Trace {
    pub name: Option<String>,
    pub insts: Vec<Inst>,
    pub snaps: Vec<Snapshot>,
    /// Index of the first `LoopParam` instruction, when the trace loops.
    pub loop_start: Option<usize>,
    /// Initial values of the loop parameters, in parameter order.
    pub loop_inits: Vec<Value>,
    pub term: Terminator,
}

impl Default for Trace {
    fn default() -> Self {
        Trace {
            name: None,
            insts: Vec::new(),
            snaps: Vec::new(),
            loop_start: None,
            loop_inits: Vec::new(),
            term: Terminator::Exit(SnapId(0)),
        }
    }
}

impl Trace {
    pub fn inst(&self, v: Value) -> &Inst {
        &self.insts[v.index()]
    }

    pub fn ty(&self, v: Value) -> Option<Type> {
        self.insts.get(v.index()).and_then(|i| i.ty)
    }

    pub fn snap(&self, s: SnapId) -> &Snapshot {
        &self.snaps[s.index()]
    }

    /// The constant bits of `v`, when it is a constant.
    pub fn const_bits(&self, v: Value) -> Option<u64> {
        match self.insts.get(v.index())?.op {
            Op::Const { bits } => Some(bits),
            _ => None,
        }
    }

    /// The loop parameters, in order.
    pub fn loop_params(&self) -> Vec<Value> {
        match self.loop_start {
            None => Vec::new(),
            Some(s) => (s..self.insts.len())
                .take_while(|&i| matches!(self.insts[i].op, Op::LoopParam { .. }))
                .map(|i| Value(i as u32))
                .collect(),
        }
    }

    /// The number of interpreter slots the trace touches (one past the highest named slot).
    pub fn slot_count(&self) -> u32 {
        let inputs = self.insts.iter().filter_map(|i| match i.op {
            Op::Input { slot } => Some(slot + 1),
            _ => None,
        });
        let snaps = self.snaps.iter().flat_map(|s| s.entries.iter().map(|&(slot, _)| slot + 1));
        inputs.chain(snaps).max().unwrap_or(0)
    }

    /// Removes `Op::Nop` instructions and renumbers every value. Returns the map from old to
    /// new values (`None` for removed ones).
    pub fn compact(&mut self) -> Vec<Option<Value>> {
        let mut map = vec![None; self.insts.len()];
        let mut next = 0u32;
        for (i, inst) in self.insts.iter().enumerate() {
            if inst.op != Op::Nop {
                map[i] = Some(Value(next));
                next += 1;
            }
        }
        if let Some(s) = self.loop_start {
            // The loop starts at the first kept instruction at or after the old start.
            self.loop_start = Some(map[s..].iter().flatten().next().map_or(next as usize, |v| v.index()));
        }
        let remap = |v: Value| map.get(v.index()).copied().flatten().unwrap_or(v);
        let old = std::mem::take(&mut self.insts);
        for mut inst in old.into_iter().filter(|i| i.op != Op::Nop) {
            inst.op.map_operands(remap);
            self.insts.push(inst);
        }
        for s in &mut self.snaps {
            for e in &mut s.entries {
                e.1 = remap(e.1);
            }
        }
        for v in &mut self.loop_inits {
            *v = remap(*v);
        }
        self.term.map_operands(remap);
        map
    }
}
