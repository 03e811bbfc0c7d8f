//! AArch64 registers as the shared allocator sees them, and the per-op constraints.
//!
//! Fixed roles (AAPCS64): x28 holds the `TraceCtx` pointer for the whole trace (callee-saved,
//! so calls keep it); x15, x16 and x17 are scratch for reloads, constants and the cycle
//! breaking of parallel moves (x16/x17 are the intra-procedure-call registers anyway); x18 is
//! the platform register and is never touched; x29/x30 are the frame pointer and link
//! register. d31 and d30 are the float scratch registers.

use trace_ir::ir::{Op, Trace};
use trace_ir::regalloc::{OpConstraints, Reg, RegFile};

/// The pinned context pointer.
pub const CTX: u8 = 28;
/// Scratch GPRs. `S0` is also the allocator's cycle breaker (`scratch_gprs[0]`).
pub const S0: u8 = 16;
pub const S1: u8 = 17;
pub const S2: u8 = 15;
/// Scratch FPRs. `F0` is the allocator's cycle breaker (`scratch_fprs[0]`).
pub const F0: u8 = 31;
pub const F1: u8 = 30;
/// The zero register in operand positions that read it (same number as sp).
pub const ZR: u8 = 31;

/// Allocatable GPRs in order of preference: callee-saved first, so that values survive calls
/// without the allocator having to avoid anything, then the caller-saved ones.
pub const ALLOC_GPRS: [u8; 24] =
    [19, 20, 21, 22, 23, 24, 25, 26, 27, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14];
/// Allocatable FPRs: d8-d15 keep their low 64 bits across calls.
pub const ALLOC_FPRS: [u8; 30] = [
    8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28,
    29,
];
pub const CALLER_SAVED_GPRS: [u8; 19] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 30];
pub const CALLER_SAVED_FPRS: [u8; 24] =
    [0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31];
pub const ARG_GPRS: [u8; 8] = [0, 1, 2, 3, 4, 5, 6, 7];
pub const ARG_FPRS: [u8; 8] = [0, 1, 2, 3, 4, 5, 6, 7];

pub static GPR_NAMES: [&str; 32] = [
    "x0", "x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11", "x12", "x13", "x14", "x15",
    "x16", "x17", "x18", "x19", "x20", "x21", "x22", "x23", "x24", "x25", "x26", "x27", "x28", "x29", "x30",
    "sp",
];
pub static FPR_NAMES: [&str; 32] = [
    "d0", "d1", "d2", "d3", "d4", "d5", "d6", "d7", "d8", "d9", "d10", "d11", "d12", "d13", "d14", "d15",
    "d16", "d17", "d18", "d19", "d20", "d21", "d22", "d23", "d24", "d25", "d26", "d27", "d28", "d29", "d30",
    "d31",
];

/// AArch64 has three-address forms, no fixed-register operands and no flag registers that the
/// allocator must know about; the only constraint is that a call destroys the caller-saved
/// registers.
pub fn constraints(trace: &Trace, index: usize) -> OpConstraints {
    match trace.insts.get(index).map(|i| &i.op) {
        Some(Op::Call { .. }) => OpConstraints {
            clobbers: ALLOC_GPRS
                .iter()
                .filter(|r| CALLER_SAVED_GPRS.contains(r))
                .map(|&r| Reg::gpr(r))
                .chain(ALLOC_FPRS.iter().filter(|r| CALLER_SAVED_FPRS.contains(r)).map(|&r| Reg::fpr(r)))
                .collect(),
            temps: Vec::new(),
            two_address: false,
        },
        _ => OpConstraints::default(),
    }
}

pub fn regfile() -> RegFile {
    RegFile {
        gprs: ALLOC_GPRS.to_vec(),
        fprs: ALLOC_FPRS.to_vec(),
        caller_saved_gprs: CALLER_SAVED_GPRS.to_vec(),
        caller_saved_fprs: CALLER_SAVED_FPRS.to_vec(),
        arg_gprs: ARG_GPRS.to_vec(),
        arg_fprs: ARG_FPRS.to_vec(),
        ret_gpr: 0,
        ret_fpr: 0,
        scratch_gprs: vec![S0, S1, S2],
        scratch_fprs: vec![F0, F1],
        gpr_names: &GPR_NAMES,
        fpr_names: &FPR_NAMES,
        constraints,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_do_not_overlap() {
        let rf = regfile();
        for fixed in [CTX, 18, 29, 30, 31] {
            assert!(!rf.gprs.contains(&fixed), "x{fixed} must not be allocatable");
        }
        for s in &rf.scratch_gprs {
            assert!(!rf.gprs.contains(s));
        }
        for s in &rf.scratch_fprs {
            assert!(!rf.fprs.contains(s));
        }
        assert_eq!(rf.name(Reg::gpr(CTX)), "x28");
        assert_eq!(rf.name(Reg::fpr(F0)), "d31");
        // Every allocatable register is distinct.
        let mut g = rf.gprs.clone();
        g.sort();
        g.dedup();
        assert_eq!(g.len(), rf.gprs.len());
    }

    #[test]
    fn calls_clobber_exactly_the_caller_saved_allocatable_registers() {
        let mut b = trace_ir::Builder::new();
        let s = b.snapshot(0, &[]);
        b.call(None, trace_ir::ir::Callee::Symbol("f".into()), &[], Default::default());
        let t = b.exit(s);
        let c = constraints(&t, 0);
        assert!(c.clobbers.contains(&Reg::gpr(0)));
        assert!(c.clobbers.contains(&Reg::fpr(16)));
        assert!(!c.clobbers.contains(&Reg::gpr(19)));
        assert!(!c.clobbers.contains(&Reg::fpr(8)));
        assert!(!c.clobbers.contains(&Reg::gpr(S0)), "scratch is never allocated, so not listed");
    }
}
