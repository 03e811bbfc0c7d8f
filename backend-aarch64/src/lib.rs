//! The AArch64 backend: lowers allocated trace IR to ARMv8.0-A machine code with dynasm, with
//! the entry trampoline, exit stubs, the common exit, patchable side exits and the i-cache
//! maintenance they need. It mirrors backend-x64 file by file.

pub mod emit;
pub mod regs;
