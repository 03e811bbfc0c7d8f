//! Executes compiled traces (AArch64 only; under qemu-aarch64 on x86-64 hosts) and checks
//! every result against the reference model in `common`.
#![cfg(target_arch = "aarch64")]

mod common;

use backend_aarch64::A64;
use common::*;
use trace_ir::backend::{ExitInfo, Jit};
use trace_ir::ir::*;
use trace_ir::regalloc::Allocation;
use trace_ir::{Builder, Symbols, Type};

fn run_once(t: &Trace, al: &Allocation, syms: &Symbols, slots: &mut [u64]) -> ExitInfo {
    let mut j = A64::new();
    let id = j.install_with(t, al, syms).unwrap_or_else(|e| panic!("install: {e}"));
    j.run(id, slots).unwrap_or_else(|e| panic!("run: {e}"))
}

fn check_case(c: &Case, al: &Allocation, mode: &str) {
    let mut j = A64::new();
    let id = j.install_with(&c.trace, al, &Symbols::new()).unwrap_or_else(|e| panic!("{}: {e}", c.name));
    let n = c.checks.len() + 2;
    let mut failures = Vec::new();
    for (x, y) in inputs(c.in_ty) {
        let mut slots = vec![0u64; n];
        slots[0] = x;
        slots[1] = y;
        let e = j.run(id, &mut slots).unwrap();
        assert_eq!((e.snap, e.resume), (SnapId(0), 99), "{}", c.name);
        for (slot, ty, what, f) in &c.checks {
            if let Some(want) = f(x, y) {
                let got = slots[*slot as usize];
                if !same(*ty, got, want) {
                    failures.push(format!("{} [{mode}] {what} with a={x:#x} b={y:#x}: got {got:#x} want {want:#x}", c.name));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{} failures, first ones:\n{}", failures.len(), failures[..failures.len().min(20)].join("\n"));
}

#[test]
fn every_op_at_every_type_in_registers() {
    for c in all_cases() {
        check_case(&c, &regs(&c.trace), "regs");
    }
}

#[test]
fn every_op_at_every_type_spilled() {
    for c in all_cases() {
        check_case(&c, &spilled(&c.trace), "spilled");
    }
}
