//! The x86-64 backend: lowers allocated trace IR to SSE2-baseline machine code with dynasm,
//! with the entry trampoline, exit stubs, the common exit and patchable side exits. It only
//! puts bytes in memory; allocation, exit state and deopt restore come from trace-ir.
