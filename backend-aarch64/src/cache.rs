//! Instruction-cache maintenance.
//!
//! AArch64 does not keep the instruction cache coherent with data writes: after code bytes
//! are written (installing a trace, re-pointing a branch) the written lines must be cleaned
//! from the data cache to the point of unification (`dc cvau`), the stale instruction-cache
//! lines invalidated (`ic ivau`), both completed with `dsb ish`, and the executing core's
//! pipeline refetched with `isb`. dynasmrt's `synchronize_icache` does the first three for a
//! range (using the line sizes from CTR_EL0); `prepare_for_execution` is the `isb`. On x86-64
//! both are no-ops, which is correct there. QEMU does not model incoherent caches, so a
//! missing call here would never fail a test: every write to code goes through `sync`.

/// Makes `len` bytes at `ptr`, just written through a data mapping, visible to instruction
/// fetch on this and (through the `ic ivau` broadcast to the inner-shareable domain) every
/// other core. Other cores that may run the code must still execute an `isb` (or take an
/// exception, such as the syscall that hands them work) before running it. `code` is the
/// just-written range, read back through its (now read-execute) mapping.
pub fn sync(slice: &[u8]) {
    if slice.is_empty() {
        return;
    }
    dynasmrt::cache_control::synchronize_icache(slice);
    dynasmrt::cache_control::prepare_for_execution(slice);
}
