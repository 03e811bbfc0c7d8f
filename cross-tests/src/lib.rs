//! The differential harness: every corpus case (`cases/*.tir`) and every seeded random trace
//! runs on the reference interpreter, on the optimized trace and on the host backend (x86-64
//! natively, AArch64 under qemu-aarch64 in CI), and all must agree on the exit, every slot and
//! memory. The reference interpreter is the oracle; corpus headers also state the expected
//! result, computed independently of it.

pub mod case;
pub mod engine;
pub mod harness;
pub mod helpers;
pub mod toyvm;

pub use engine::engines;
