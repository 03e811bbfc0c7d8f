//! The AArch64 backend: lowers allocated trace IR to ARMv8.0-A machine code with dynasm, with
//! the entry trampoline, exit stubs, the common exit, patchable side exits and the i-cache
//! maintenance they need. It mirrors backend-x64 file by file. `Backend` (assembling and
//! listing) works on every host, which makes this crate the cross compiler behind
//! `tracery asm --target aarch64-unknown-linux-gnu`; `Jit` exists only on AArch64 hosts.
//!
//! Conventions: x28 is the pinned `TraceCtx` pointer, x15/x16/x17 and d30/d31 are scratch,
//! x18 is never touched; see `regs` for the register roles and `exit` for the frame and the
//! exit layout. Beyond one instruction per op, the lowering folds address arithmetic into
//! addressing modes (`[x, y, lsl #3]`, `[x, #k]`), `and` into `tst`, compares into the flags
//! of the guard or select that consumes them, and rotates loops that start with a guard so
//! that one `b.cond` closes them (`qemu/insn-count.sh` compares loop bodies with gcc -O2).
//! A `link T` to a trace not installed yet leaves through its snapshot until `T` arrives.

pub mod cache;
pub mod code;
pub mod disasm;
pub mod emit;
pub mod exit;
pub mod lower;
pub mod regs;

use trace_ir::backend::{Assembled, Backend, BackendError, CodeInfo, CodeSpace};
use trace_ir::ir::{SnapId, Trace};
use trace_ir::regalloc::{Allocation, RegFile};
use trace_ir::Symbols;

pub use lower::Compiled;

pub const TRIPLE: &str = "aarch64-unknown-linux-gnu";

/// An installed trace: what it was compiled from (the restore needs both) and where it is.
pub struct Installed {
    pub trace: Trace,
    pub alloc: Allocation,
    /// Offset of the code in the region.
    pub at: usize,
    pub code: Compiled,
}

struct JitState {
    region: code::CodeRegion,
    traces: Vec<Installed>,
    /// `link T` branches waiting for trace T: (region offset of the `b`, T).
    pending: Vec<(usize, u32)>,
    /// Dispatch table entries waiting for trace T: (region offset of the entry, T).
    pending_entries: Vec<(usize, u32)>,
}

/// The AArch64 backend. The code region is reserved on the first install.
pub struct A64 {
    rf: RegFile,
    jit: Option<JitState>,
}

impl Default for A64 {
    fn default() -> Self {
        A64::new()
    }
}

impl A64 {
    pub fn new() -> A64 {
        A64 { rf: regs::regfile(), jit: None }
    }

    /// Lowers `trace` for address `base` with exit id `trace_id`; `resolve` gives the internal
    /// entry of a trace named by `link`.
    pub fn compile(
        &self,
        trace: &Trace,
        alloc: &Allocation,
        symbols: &Symbols,
        base: u64,
        trace_id: u32,
        resolve: &dyn Fn(u32) -> Option<u64>,
    ) -> Result<Compiled, BackendError> {
        trace_ir::verify::verify(trace).map_err(|e| BackendError::Invalid(e.message))?;
        let tgt = lower::Target { base, trace_id, resolve };
        exit::compile(trace, alloc, symbols, &tgt)
    }

    fn state(&mut self) -> Result<&mut JitState, BackendError> {
        if self.jit.is_none() {
            let region = code::CodeRegion::new(code::DEFAULT_CAPACITY)?;
            self.jit = Some(JitState {
                region,
                traces: Vec::new(),
                pending: Vec::new(),
                pending_entries: Vec::new(),
            });
        }
        Ok(self.jit.as_mut().expect("just created"))
    }

    /// Installs `trace` with a given allocation (the allocator's, or a test's). Works on any
    /// host: the code is placed in W^X memory; only running it needs AArch64. A `link T` to
    /// a trace not installed yet leaves through its snapshot until `T` is installed, and
    /// from then on enters `T` (so traces may link forward and in cycles). Safe for any
    /// allocation: `compile` verifies the trace, and lowering proves the allocation with the
    /// fusions it plans (`regalloc::check_fused`: classes, allocatable registers, spill slots
    /// within `TraceCtx`, conflicts, moves), so an unsound one is an `Invalid` error, never
    /// code that writes outside its context.
    pub fn install_with(
        &mut self,
        trace: &Trace,
        alloc: &Allocation,
        symbols: &Symbols,
    ) -> Result<u32, BackendError> {
        let st = self.state()?;
        let id = st.traces.len() as u32;
        let at = st.region.next_offset();
        let base = st.region.base() + at as u64;
        let entries: Vec<u64> =
            st.traces.iter().map(|t| st.region.base() + (t.at + t.code.internal) as u64).collect();
        let resolve = move |t: u32| entries.get(t as usize).copied();
        let c = self.compile(trace, alloc, symbols, base, id, &resolve)?;
        let st = self.state()?;
        let got = st.region.append(&c.code)?;
        debug_assert_eq!(got, at);
        if let Some((off, target)) = c.pending_link {
            st.pending.push((at + off, target));
        }
        st.pending_entries.extend(c.pending_entries.iter().map(|&(off, t)| (at + off, t)));
        let internal = st.region.base() + (at + c.internal) as u64;
        st.traces.push(Installed { trace: trace.clone(), alloc: alloc.clone(), at, code: c });
        // Links that were waiting for this trace (its own `link` to itself included). Each is
        // one aligned word; `patch_u32` synchronizes the i-cache for it.
        let (ready, waiting): (Vec<_>, Vec<_>) = st.pending.drain(..).partition(|&(_, t)| t == id);
        st.pending = waiting;
        for (off, _) in ready {
            let w = emit::b_word(st.region.base() + off as u64, internal)
                .ok_or_else(|| BackendError::Memory("link target out of branch range".into()))?;
            st.region.patch_u32(off, w)?;
        }
        let (ready, waiting): (Vec<_>, Vec<_>) = st.pending_entries.drain(..).partition(|&(_, t)| t == id);
        st.pending_entries = waiting;
        for (off, _) in ready {
            st.region.patch_u64(off, internal)?;
        }
        Ok(id)
    }

    /// The code region, once something is installed (for inspection: base, backing file).
    pub fn region(&self) -> Option<&code::CodeRegion> {
        self.jit.as_ref().map(|st| &st.region)
    }

    pub fn installed(&self, id: u32) -> Option<&Installed> {
        self.jit.as_ref()?.traces.get(id as usize)
    }

    /// The installed machine code of trace `id`, as it is now (patches included).
    pub fn code_of(&self, id: u32) -> Option<&[u8]> {
        let st = self.jit.as_ref()?;
        let t = st.traces.get(id as usize)?;
        Some(st.region.bytes(t.at, t.code.code.len()))
    }

    /// The absolute address of offset `off` of trace `id`.
    pub fn addr_of(&self, id: u32, off: usize) -> Option<u64> {
        let st = self.jit.as_ref()?;
        let t = st.traces.get(id as usize)?;
        Some(st.region.base() + (t.at + off) as u64)
    }

    /// `Jit::link_exit` on any host (patching only).
    pub fn patch_link(&mut self, from: u32, snap: SnapId, to: u32) -> Result<(), BackendError> {
        let st = self.jit.as_mut().ok_or(BackendError::UnknownTrace(from))?;
        let target = st.traces.get(to as usize).ok_or(BackendError::UnknownTrace(to))?;
        let target = st.region.base() + (target.at + target.code.internal) as u64;
        let f = st.traces.get(from as usize).ok_or(BackendError::UnknownTrace(from))?;
        if snap.index() >= f.code.stubs.len() {
            return Err(BackendError::UnknownExit { trace: from, snap: snap.0 });
        }
        exit::link(&mut st.region, f.at, &f.code, snap, target)
    }

    /// `Jit::unlink_exit` on any host (patching only).
    pub fn patch_unlink(&mut self, from: u32, snap: SnapId) -> Result<(), BackendError> {
        let st = self.jit.as_mut().ok_or(BackendError::UnknownTrace(from))?;
        let f = st.traces.get(from as usize).ok_or(BackendError::UnknownTrace(from))?;
        if snap.index() >= f.code.stubs.len() {
            return Err(BackendError::UnknownExit { trace: from, snap: snap.0 });
        }
        exit::unlink(&mut st.region, f.at, &f.code, snap)
    }
}

impl Backend for A64 {
    fn triple(&self) -> &'static str {
        TRIPLE
    }

    fn regfile(&self) -> &RegFile {
        &self.rf
    }

    /// Assembles at nominal address 0; a `link T` branches to the placeholder address 0.
    fn assemble(
        &self,
        trace: &Trace,
        alloc: &Allocation,
        symbols: &Symbols,
    ) -> Result<Assembled, BackendError> {
        let c = self.compile(trace, alloc, symbols, 0, 0, &|_| Some(0))?;
        Ok(Assembled { code: c.code, parts: c.parts })
    }

    /// Each part's IR line (a guard or overflow op that is the first to leave through its
    /// snapshot shows the snapshot line above it, as the text format does), then its code.
    fn listing(&self, trace: &Trace, alloc: &Allocation, symbols: &Symbols) -> Result<String, BackendError> {
        let c = self.compile(trace, alloc, symbols, 0, 0, &|_| Some(0))?;
        let pr = trace_ir::text::Printer::new(trace);
        let mut parts = c.parts.clone();
        for (p, inst) in parts.iter_mut().zip(&c.part_inst) {
            let Some(i) = *inst else { continue };
            let Some(s) = trace.insts[i].op.snap() else { continue };
            if trace.insts.iter().position(|x| x.op.snap() == Some(s)) == Some(i) {
                p.what = format!("{}\n{}", pr.snapshot(s.index()), p.what);
            }
        }
        Ok(disasm::render(&c.code, &parts))
    }
}

/// On every host: the code is placed in W^X memory and patched; only running it needs
/// AArch64.
impl CodeSpace for A64 {
    fn add_trace(&mut self, trace: &Trace, symbols: &Symbols) -> Result<u32, BackendError> {
        trace_ir::verify::verify(trace).map_err(|e| BackendError::Invalid(e.message))?;
        let alloc = trace_ir::regalloc::allocate(trace, &self.rf)
            .map_err(|e| BackendError::Invalid(e.to_string()))?;
        self.install_with(trace, &alloc, symbols)
    }

    fn trace_total(&self) -> u32 {
        self.jit.as_ref().map_or(0, |st| st.traces.len() as u32)
    }

    fn trace_code_info(&self, id: u32) -> Option<CodeInfo> {
        let st = self.jit.as_ref()?;
        let t = st.traces.get(id as usize)?;
        let at = |off: usize| st.region.base() + (t.at + off) as u64;
        Some(CodeInfo {
            start: at(0),
            len: t.code.code.len() as u64,
            exits: t.code.stubs.iter().map(|&s| at(s)).collect(),
            internal: at(t.code.internal),
            link_branch: t.code.link_branch.map(at),
            // Every snapshot has its precompiled link path (reached only while linked).
            link_paths: (t.code.link_paths.iter().zip(&t.code.link_tails))
                .map(|(&p, &tail)| Some((at(p), at(tail + 4))))
                .collect(),
        })
    }

    fn set_exit_link(&mut self, from: u32, snap: SnapId, to: Option<u32>) -> Result<(), BackendError> {
        match to {
            Some(to) => self.patch_link(from, snap, to),
            None => self.patch_unlink(from, snap),
        }
    }

    fn code_bytes(&self) -> Option<(u64, &[u8])> {
        let st = self.jit.as_ref()?;
        Some((st.region.base(), st.region.bytes(0, st.region.used())))
    }
}

#[cfg(target_arch = "aarch64")]
mod jit {
    use super::*;
    use trace_ir::backend::{ExitInfo, Jit};
    use trace_ir::exit::{EntryFn, TraceCtx};

    impl Jit for A64 {
        unsafe fn run(&mut self, id: u32, slots: &mut [u64]) -> Result<ExitInfo, BackendError> {
            let st = self.jit.as_ref().ok_or(BackendError::UnknownTrace(id))?;
            let t = st.traces.get(id as usize).ok_or(BackendError::UnknownTrace(id))?;
            // Linked traces may read any slot any installed trace names.
            let need = st.traces.iter().map(|t| t.trace.slot_count()).max().unwrap_or(0) as usize;
            if slots.len() < need {
                return Err(BackendError::Invalid(format!(
                    "the slot array has {} slots, the installed traces use {need}",
                    slots.len()
                )));
            }
            let mut ctx = TraceCtx::new(slots);
            let entry = st.region.ptr(t.at + t.code.entry);
            // SAFETY: `entry` is the external entry of code this backend emitted, installed
            // RX and i-cache synchronized; it follows AAPCS64 with the `EntryFn` signature and
            // only touches `ctx`, the slot array it points to (checked long enough above), and
            // memory the trace's own loads, stores and calls name, which the caller vouches for
            // (`Jit::run`'s safety contract).
            let snap = unsafe {
                let f: EntryFn = std::mem::transmute::<*const u8, EntryFn>(entry);
                f(&mut *ctx)
            };
            let exit_trace = ctx.exit_trace;
            let et = st.traces.get(exit_trace as usize).ok_or(BackendError::UnknownTrace(exit_trace))?;
            let resume = trace_ir::exit::restore(&et.trace, &et.alloc, SnapId(snap), &ctx, slots)
                .map_err(|e| BackendError::Restore(e.to_string()))?;
            Ok(ExitInfo { trace: exit_trace, snap: SnapId(snap), resume })
        }
    }
}
