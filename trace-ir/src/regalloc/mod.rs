//! The shared register allocator: linear scan over the linear trace, driven by a backend's
//! `RegFile`. Nothing here knows a target; the backends describe their registers and per-op
//! constraints, and read the result.
//!
//! The model, which both backends rely on:
//! - Every value has one location for its whole life (`Allocation::locs`): a register, a
//!   spill slot in `TraceCtx::spill`, or, for constants, `Loc::Const` (constants never occupy
//!   a register; a backend materializes them at each use, as an immediate when it can).
//! - A value's live range runs from its definition to its last use. Uses include snapshot
//!   entries of every guard, overflow op and terminator that leaves through the snapshot. A
//!   value defined before the loop and used inside it lives until the back edge.
//! - `OpConstraints::clobbers`: registers the instruction destroys. No value live after the
//!   instruction is there; its operands may be (the backend reads them first) and so may its
//!   result. Calls clobber the caller-saved registers.
//! - `OpConstraints::temps`: registers the backend needs free during the instruction (x86
//!   shift counts in `rcx`, division in `rax`/`rdx`). Neither operands nor values live across
//!   are there; the result may be.
//! - Scratch registers (`RegFile::scratch_*`) are never allocated: backends use them to reload
//!   spilled operands and to materialize constants. Moves use `scratch_*[0]` to break cycles.
//! - Loop parameters get their own locations. `preheader_moves` run before the loop (inits to
//!   parameters) and `backedge_moves` at the `jump` (next values to parameters); both are
//!   already sequenced.
//! - Integer values are kept zero-extended to 64 bits in every location.
//!
//! Details the allocator and `check` agree on (additions to the model above):
//! - Inputs are loaded into their locations at entry (an input with `Loc::None` is unused).
//! - A result may share a register with any operand that dies at its instruction, not only
//!   operand 0 (a two-address backend must handle `dst == src2`).
//! - The snapshot of a guard or overflow op is read after the instruction writes its result
//!   (`add; jo exit`): its entries never share a register with that result, and for clobbers
//!   and temps they count as live after the instruction.
//! - The allocator adds the caller-saved registers to every call's clobbers itself; a
//!   backend's constraints function may list them too.
//! - A loop parameter nobody reads has `Loc::None`: its init and jump argument are not uses,
//!   and no move writes it.
//! - Constants always have `Loc::Const`, used or not. A call whose result is unused has
//!   `Loc::None` (the backend discards the result).
//! - A backend that fuses instructions (address arithmetic into addressing modes, post-indexed
//!   base updates) describes where their code runs in a `Schedule` (`fused.rs`), asks
//!   `Schedule::holds` whether an operand is still in its location where the code moves to,
//!   and has `check_fused` prove the whole schedule.
//! - `sequentialize` is public so that backends can use it for other parallel moves, such as
//!   call arguments; `annotate` is the `--dump regalloc` text.

mod check;
mod dump;
mod fused;
mod liveness;
mod parmove;
mod scan;

pub use check::{check, check_fused};
pub use dump::annotate;
pub use fused::{Place, Schedule};
pub use parmove::sequentialize;

use crate::ir::Trace;
use crate::types::Type;

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
pub enum RegClass {
    Gpr,
    Fpr,
}

impl RegClass {
    pub fn of(ty: Type) -> RegClass {
        if ty.is_float() {
            RegClass::Fpr
        } else {
            RegClass::Gpr
        }
    }
}

/// A machine register by class and hardware number (the encoding the backend uses).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
pub struct Reg {
    pub class: RegClass,
    pub hw: u8,
}

impl Reg {
    pub const fn gpr(hw: u8) -> Reg {
        Reg { class: RegClass::Gpr, hw }
    }

    pub const fn fpr(hw: u8) -> Reg {
        Reg { class: RegClass::Fpr, hw }
    }
}

/// Where a value lives for its whole life.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Loc {
    /// No location: the instruction defines nothing, or its value is never used.
    None,
    Reg(Reg),
    /// Index into `TraceCtx::spill`.
    Spill(u32),
    /// Constant bits, rematerialized at each use.
    Const(u64),
}

/// A move between locations, of one register class.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Move {
    pub from: Loc,
    pub to: Loc,
    pub class: RegClass,
}

/// Per-instruction needs of a backend.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OpConstraints {
    pub clobbers: Vec<Reg>,
    pub temps: Vec<Reg>,
    /// The result prefers the register of the first operand when that operand dies here
    /// (x86 two-address forms).
    pub two_address: bool,
}

/// A backend's description of its registers.
#[derive(Clone, Debug)]
pub struct RegFile {
    /// Allocatable registers, in order of preference.
    pub gprs: Vec<u8>,
    pub fprs: Vec<u8>,
    /// Registers a call destroys (a subset may be allocatable).
    pub caller_saved_gprs: Vec<u8>,
    pub caller_saved_fprs: Vec<u8>,
    pub arg_gprs: Vec<u8>,
    pub arg_fprs: Vec<u8>,
    pub ret_gpr: u8,
    pub ret_fpr: u8,
    /// Never allocated; at least two of each class.
    pub scratch_gprs: Vec<u8>,
    pub scratch_fprs: Vec<u8>,
    /// Register names for dumps, indexed by hardware number.
    pub gpr_names: &'static [&'static str],
    pub fpr_names: &'static [&'static str],
    /// The constraints of instruction `index` of `trace`.
    pub constraints: fn(&Trace, usize) -> OpConstraints,
}

impl RegFile {
    pub fn name(&self, r: Reg) -> &'static str {
        let names = match r.class {
            RegClass::Gpr => self.gpr_names,
            RegClass::Fpr => self.fpr_names,
        };
        names.get(r.hw as usize).copied().unwrap_or("?")
    }

    pub fn is_caller_saved(&self, r: Reg) -> bool {
        match r.class {
            RegClass::Gpr => self.caller_saved_gprs.contains(&r.hw),
            RegClass::Fpr => self.caller_saved_fprs.contains(&r.hw),
        }
    }
}

/// The result of allocation for one trace.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Allocation {
    /// The location of each value, indexed by `Value`.
    pub locs: Vec<Loc>,
    /// How many spill slots the trace uses (at most `exit::CTX_SPILL_SLOTS`).
    pub spill_slots: u32,
    pub preheader_moves: Vec<Move>,
    pub backedge_moves: Vec<Move>,
}

impl Allocation {
    pub fn loc(&self, v: crate::ir::Value) -> Loc {
        self.locs.get(v.index()).copied().unwrap_or(Loc::None)
    }
}

/// Why allocation failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AllocError {
    /// More values must be spilled at once than `TraceCtx` has spill slots.
    TooManySpills { needed: usize },
    /// The register file cannot satisfy an instruction's constraints (names the instruction).
    Unsatisfiable(String),
}

impl std::fmt::Display for AllocError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AllocError::TooManySpills { needed } => {
                write!(
                    f,
                    "needs {needed} spill slots, more than the {} available",
                    crate::exit::CTX_SPILL_SLOTS
                )
            }
            AllocError::Unsatisfiable(m) => write!(f, "cannot allocate: {m}"),
        }
    }
}

impl std::error::Error for AllocError {}

/// Allocates registers for a verified trace.
pub fn allocate(trace: &Trace, rf: &RegFile) -> Result<Allocation, AllocError> {
    scan::allocate(trace, rf)
}
