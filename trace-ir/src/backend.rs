//! The contract between the target-neutral pipeline and a code generator.
//!
//! `Backend` works on any host: it turns an allocated trace into bytes and a listing, which
//! is how the AArch64 backend serves as a cross compiler on x86-64. `Jit` is implemented only
//! by the backend of the machine it runs on: it installs traces in executable memory, runs
//! them and patches side exits.

use crate::ir::{SnapId, Trace};
use crate::regalloc::{Allocation, RegFile};
use crate::symbols::Symbols;

/// Why a backend could not compile, install, run or patch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BackendError {
    /// The trace failed the verifier or the allocator (the message names the instruction).
    Invalid(String),
    /// `@name` is not in the symbol table.
    UnknownSymbol(String),
    /// A run or a patch names a trace that is not installed. (`link T` to a trace not yet
    /// installed is allowed: it leaves through its snapshot until T is installed, and
    /// installing T re-points it, so traces may link to each other.)
    UnknownTrace(u32),
    UnknownExit {
        trace: u32,
        snap: u32,
    },
    /// The code region is full, or the OS refused memory or protection changes.
    Memory(String),
    /// Something this backend cannot encode (the message says what).
    Unsupported(String),
    /// The exit state did not match the trace (see `exit::RestoreError`).
    Restore(String),
}

impl std::fmt::Display for BackendError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BackendError::Invalid(m) => write!(f, "invalid trace: {m}"),
            BackendError::UnknownSymbol(s) => write!(f, "unknown function @{s}"),
            BackendError::UnknownTrace(t) => write!(f, "no installed trace {t}"),
            BackendError::UnknownExit { trace, snap } => write!(f, "trace {trace} has no exit snap{snap}"),
            BackendError::Memory(m) => write!(f, "code memory: {m}"),
            BackendError::Unsupported(m) => write!(f, "unsupported: {m}"),
            BackendError::Restore(m) => write!(f, "restore: {m}"),
        }
    }
}

impl std::error::Error for BackendError {}

/// One piece of a listing: the IR text it came from (or a label such as `entry`,
/// `exit stub snap3`) and the machine code emitted for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListingPart {
    pub what: String,
    pub offset: usize,
    pub len: usize,
}

/// Code assembled at a nominal address, with the map back to the IR.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assembled {
    pub code: Vec<u8>,
    pub parts: Vec<ListingPart>,
}

pub trait Backend {
    /// The target triple this backend emits code for.
    fn triple(&self) -> &'static str;

    /// The register file the shared allocator works with.
    fn regfile(&self) -> &RegFile;

    /// Machine code for an allocated trace, without executing anything. `symbols` gives call
    /// targets; traces named by `link` are assumed at a placeholder address.
    fn assemble(
        &self,
        trace: &Trace,
        alloc: &Allocation,
        symbols: &Symbols,
    ) -> Result<Assembled, BackendError>;

    /// The listing: each IR line followed by the disassembly of its code.
    fn listing(&self, trace: &Trace, alloc: &Allocation, symbols: &Symbols) -> Result<String, BackendError>;
}

/// How a run ended: the trace and snapshot it left through, and the snapshot's resume word.
/// The slots have been restored when this is returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExitInfo {
    pub trace: u32,
    pub snap: SnapId,
    pub resume: u64,
}

/// Where an installed trace's code lies (absolute addresses).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeInfo {
    pub start: u64,
    pub len: u64,
    /// Per snapshot: the address of its exit stub.
    pub exits: Vec<u64>,
    /// The internal entry: where `link` terminators and linked exits of other traces enter
    /// (after the prologue that only a run from the host executes).
    pub internal: u64,
    /// The address of the terminator's `link` branch (the jump that leaves for the next
    /// trace's internal entry), when the trace ends in `link`; for a `dispatch`, its indirect
    /// jump through the jump table.
    pub link_branch: Option<u64>,
    /// Per snapshot: the code a linked exit runs between its stub and the target's internal
    /// entry (`start..end`, writing the snapshot to the slots), where there is such code. It
    /// may lie outside `start..start + len` (x86-64 appends it when the exit is linked).
    pub link_paths: Vec<Option<(u64, u64)>>,
}

/// Installing, linking and inspecting code without running it. Both backends implement it on
/// every host (code is placed in W^X memory; only running it needs the machine it was
/// emitted for), which is what lets a native interpreter and its block map be built for
/// AArch64 on x86-64 and the other way round. `Jit` builds on it: its `install`,
/// `trace_count`, `code_info`, `link_exit` and `unlink_exit` are these methods.
///
/// Thread-safety contract: as `Jit`'s (installing and linking flip code pages writable).
pub trait CodeSpace: Backend {
    /// Verifies, allocates and emits `trace` into W^X memory; returns its id (ids are given
    /// out in order from 0). Code never moves once installed.
    fn add_trace(&mut self, trace: &Trace, symbols: &Symbols) -> Result<u32, BackendError>;

    /// How many traces are installed: the id the next `add_trace` gives out.
    fn trace_total(&self) -> u32;

    /// Where trace `id`'s code lies: its entry address and its length in bytes, the address
    /// of each snapshot's exit branch (the patchable stub a failing guard jumps to), in
    /// snapshot order, its internal entry, its `link` branch and its link paths. This is
    /// what a block map is made of.
    fn trace_code_info(&self, id: u32) -> Option<CodeInfo>;

    /// Points exit `snap` of trace `from` at trace `to` (`Some`): the snapshot is written to
    /// the slots and `to` runs from its internal entry; or back at the deopt path (`None`).
    fn set_exit_link(&mut self, from: u32, snap: SnapId, to: Option<u32>) -> Result<(), BackendError>;

    /// The installed code as it is now, patches included: the address of its first byte and
    /// every byte up to the last one installed (what a tracer's `CodeImage` is made of).
    /// `None` before anything is installed.
    fn code_bytes(&self) -> Option<(u64, &[u8])>;
}

/// Thread-safety contract: installing, linking and unlinking flip code pages writable, so no
/// compiled code of this `Jit` may run on any thread while they do. `&mut self` enforces it
/// for safe callers.
///
/// Implemented only by the backend of the machine it runs on. Everything but `run` is
/// `CodeSpace`, under the names callers of `Jit` know.
pub trait Jit: CodeSpace {
    /// Verifies, allocates and emits `trace` into executable memory; returns its id (ids are
    /// given out in order from 0). Code never moves once installed.
    fn install(&mut self, trace: &Trace, symbols: &Symbols) -> Result<u32, BackendError> {
        self.add_trace(trace, symbols)
    }

    /// How many traces are installed: the id the next `install` gives out.
    fn trace_count(&self) -> u32 {
        self.trace_total()
    }

    /// As `CodeSpace::trace_code_info`.
    fn code_info(&self, id: u32) -> Option<CodeInfo> {
        self.trace_code_info(id)
    }

    /// Runs trace `id` on `slots` until it leaves, and restores the exit's snapshot.
    ///
    /// # Safety
    /// Compiled code does what the trace says, unchecked: every load, store and call that
    /// trace `id` (and any trace it links or is linked to) performs with these slot values
    /// must be valid: addresses in live memory not otherwise borrowed, callees real functions
    /// with the trace's signatures, and no undefined operation (division by zero, `MIN / -1`).
    /// Running the reference interpreter first on the same inputs (`trace_ir::interp`, which
    /// checks all of this) is one way to know.
    unsafe fn run(&mut self, id: u32, slots: &mut [u64]) -> Result<ExitInfo, BackendError>;

    /// Redirects exit `snap` of trace `from` to trace `to`: the snapshot is written to the
    /// slots and `to` runs from its entry.
    fn link_exit(&mut self, from: u32, snap: SnapId, to: u32) -> Result<(), BackendError> {
        self.set_exit_link(from, snap, Some(to))
    }

    /// Points exit `snap` of trace `from` back at the deopt path.
    fn unlink_exit(&mut self, from: u32, snap: SnapId) -> Result<(), BackendError> {
        self.set_exit_link(from, snap, None)
    }
}
