//! x86-64 registers: hardware numbers, names, the register file the shared allocator uses,
//! and the per-op constraints (shift counts in `rcx`, division in `rax`/`rdx`, calls).
//!
//! Pinned: `r15` holds the `*mut TraceCtx` for the whole trace (and across linked traces).
//! Scratch (never allocated): `r11`, `r10`, `xmm15`, `xmm14`. `rsp` is the frame.

use trace_ir::ir::{BinOp, Op, Trace};
use trace_ir::regalloc::{OpConstraints, Reg, RegFile};

pub const RAX: u8 = 0;
pub const RCX: u8 = 1;
pub const RDX: u8 = 2;
pub const RBX: u8 = 3;
pub const RSP: u8 = 4;
pub const RBP: u8 = 5;
pub const RSI: u8 = 6;
pub const RDI: u8 = 7;
pub const R8: u8 = 8;
pub const R9: u8 = 9;
pub const R10: u8 = 10;
pub const R11: u8 = 11;
pub const R12: u8 = 12;
pub const R13: u8 = 13;
pub const R14: u8 = 14;
pub const R15: u8 = 15;

/// The register holding the `*mut TraceCtx`.
pub const CTX: u8 = R15;
/// GPR scratch: `S0` breaks move cycles (the allocator's convention), `S1` reloads and
/// materializes.
pub const S0: u8 = R11;
pub const S1: u8 = R10;
/// FPR scratch.
pub const XS0: u8 = 15;
pub const XS1: u8 = 14;

/// Allocatable GPRs in order of preference: the ones without fixed roles first, `rax`,
/// `rdx`, `rcx` last because division and shifts claim them.
pub const ALLOC_GPRS: [u8; 12] = [RSI, RDI, R8, R9, RBX, R12, R13, R14, RBP, RAX, RDX, RCX];
pub const ALLOC_FPRS: [u8; 14] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13];
/// Callee-saved GPRs, pushed by the prologue in this order.
pub const CALLEE_SAVED: [u8; 6] = [RBX, RBP, R12, R13, R14, R15];
pub const CALLER_SAVED_GPRS: [u8; 9] = [RAX, RCX, RDX, RSI, RDI, R8, R9, R10, R11];
pub const ARG_GPRS: [u8; 6] = [RDI, RSI, RDX, RCX, R8, R9];
pub const ARG_FPRS: [u8; 8] = [0, 1, 2, 3, 4, 5, 6, 7];

pub const GPR_NAMES: [&str; 16] = [
    "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi", "r8", "r9", "r10", "r11", "r12", "r13", "r14",
    "r15",
];
pub const FPR_NAMES: [&str; 16] = [
    "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11",
    "xmm12", "xmm13", "xmm14", "xmm15",
];

/// The register file handed to `trace_ir::regalloc::allocate`.
pub fn regfile() -> RegFile {
    RegFile {
        gprs: ALLOC_GPRS.to_vec(),
        fprs: ALLOC_FPRS.to_vec(),
        caller_saved_gprs: CALLER_SAVED_GPRS.to_vec(),
        caller_saved_fprs: (0..16).collect(),
        arg_gprs: ARG_GPRS.to_vec(),
        arg_fprs: ARG_FPRS.to_vec(),
        ret_gpr: RAX,
        ret_fpr: 0,
        scratch_gprs: vec![S0, S1],
        scratch_fprs: vec![XS0, XS1],
        gpr_names: &GPR_NAMES,
        fpr_names: &FPR_NAMES,
        constraints,
    }
}

/// What instruction `index` of `trace` needs from the allocator on x86-64.
pub fn constraints(trace: &Trace, index: usize) -> OpConstraints {
    let Some(inst) = trace.insts.get(index) else { return OpConstraints::default() };
    match &inst.op {
        Op::Bin(op, _, b) => match op {
            BinOp::Shl | BinOp::LShr | BinOp::AShr => OpConstraints {
                temps: if trace.const_bits(*b).is_some() { vec![] } else { vec![Reg::gpr(RCX)] },
                two_address: true,
                ..Default::default()
            },
            BinOp::SDiv | BinOp::UDiv | BinOp::SRem | BinOp::URem => {
                OpConstraints { temps: vec![Reg::gpr(RAX), Reg::gpr(RDX)], ..Default::default() }
            }
            _ => OpConstraints { two_address: true, ..Default::default() },
        },
        Op::Un(..) => OpConstraints { two_address: true, ..Default::default() },
        Op::Call { .. } => {
            let mut clobbers: Vec<Reg> = CALLER_SAVED_GPRS.iter().map(|&r| Reg::gpr(r)).collect();
            clobbers.extend((0..16).map(Reg::fpr));
            OpConstraints { clobbers, ..Default::default() }
        }
        _ => OpConstraints::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pinned_and_scratch_registers_are_never_allocatable() {
        let rf = regfile();
        for r in [CTX, S0, S1, RSP] {
            assert!(!rf.gprs.contains(&r), "{} allocatable", GPR_NAMES[r as usize]);
        }
        for r in [XS0, XS1] {
            assert!(!rf.fprs.contains(&r));
        }
        assert_eq!(rf.name(Reg::gpr(R15)), "r15");
        assert_eq!(rf.name(Reg::fpr(13)), "xmm13");
    }
}
