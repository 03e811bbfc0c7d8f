//! The exit state shared by both backends and the deopt restore.
//!
//! Compiled code receives a `*mut TraceCtx` and keeps it in a pinned register for the whole
//! trace. Spill slots live inside the context, not on the machine stack, so a trace can leave
//! without copying them and side traces can share one frame layout with their parents. A
//! failing guard's common exit stores every allocatable register into `gpr` and `fpr`
//! (indexed by hardware register number), records which trace and snapshot it left through,
//! and returns; `restore` then writes the snapshot back into the slots. The restore exists
//! once, here, for both targets.

use crate::ir::{SnapId, Trace};
use crate::regalloc::{Allocation, Loc, RegClass};

pub const CTX_GPRS: usize = 32;
pub const CTX_FPRS: usize = 32;
/// Spill slots available to one trace; the allocator fails with a typed error beyond this.
pub const CTX_SPILL_SLOTS: usize = 256;

/// What compiled code reads and writes. Field offsets are part of the contract with the
/// backends (`std::mem::offset_of!`).
#[repr(C)]
pub struct TraceCtx {
    /// The interpreter's slot array (64 bits per slot).
    pub slots: *mut u64,
    /// The trace the code left from (the id a backend gave it when it was installed).
    pub exit_trace: u32,
    /// The snapshot it left through (also the function's return value).
    pub exit_snap: u32,
    pub gpr: [u64; CTX_GPRS],
    pub fpr: [u64; CTX_FPRS],
    pub spill: [u64; CTX_SPILL_SLOTS],
}

impl TraceCtx {
    /// A context over `slots`. The pointer is only used while compiled code runs.
    pub fn new(slots: &mut [u64]) -> Box<TraceCtx> {
        Box::new(TraceCtx {
            slots: slots.as_mut_ptr(),
            exit_trace: 0,
            exit_snap: 0,
            gpr: [0; CTX_GPRS],
            fpr: [0; CTX_FPRS],
            spill: [0; CTX_SPILL_SLOTS],
        })
    }
}

/// The signature of a trace's entry: returns the snapshot id it left through.
pub type EntryFn = unsafe extern "C" fn(*mut TraceCtx) -> u32;

/// Why a restore could not be done: the exit state names something the trace does not have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RestoreError {
    NoSuchSnapshot(u32),
    SlotOutOfRange {
        slot: u32,
        len: usize,
    },
    /// A snapshot value has no location (the allocation and the trace disagree).
    Unallocated {
        slot: u32,
    },
}

impl std::fmt::Display for RestoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RestoreError::NoSuchSnapshot(s) => {
                write!(f, "exit through snap{s}, which the trace does not have")
            }
            RestoreError::SlotOutOfRange { slot, len } => {
                write!(f, "snapshot writes slot {slot}, but the slot array has {len} slots")
            }
            RestoreError::Unallocated { slot } => write!(f, "snapshot value for slot {slot} has no location"),
        }
    }
}

impl std::error::Error for RestoreError {}

/// Writes snapshot `snap` of `trace` back into `slots`, reading each value from where
/// `alloc` put it: the saved registers and spill slots of `ctx`, or a constant.
pub fn restore(
    trace: &Trace,
    alloc: &Allocation,
    snap: SnapId,
    ctx: &TraceCtx,
    slots: &mut [u64],
) -> Result<u64, RestoreError> {
    let s = trace.snaps.get(snap.index()).ok_or(RestoreError::NoSuchSnapshot(snap.0))?;
    for &(slot, v) in &s.entries {
        let bits = match alloc.loc(v) {
            Loc::Reg(r) => match r.class {
                RegClass::Gpr => ctx.gpr[r.hw as usize],
                RegClass::Fpr => ctx.fpr[r.hw as usize],
            },
            Loc::Spill(k) => ctx.spill[k as usize],
            Loc::Const(bits) => bits,
            Loc::None => return Err(RestoreError::Unallocated { slot }),
        };
        let len = slots.len();
        *slots.get_mut(slot as usize).ok_or(RestoreError::SlotOutOfRange { slot, len })? = bits;
    }
    Ok(s.resume)
}
