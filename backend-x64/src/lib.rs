//! The x86-64 backend: lowers allocated trace IR to SSE2-baseline machine code with dynasm,
//! with the entry trampoline, exit stubs, the common exit and patchable side exits. It only
//! puts bytes in memory; allocation, exit state and deopt restore come from trace-ir.
//!
//! `X64` is a `Backend` on every host (assembling and listing never execute) and a `Jit` on
//! x86-64 hosts. Conventions (pinned `r15`, scratch `r10`/`r11`/`xmm14`/`xmm15`, the frame)
//! are in `regs.rs` and `exit.rs`.

// dynasm's expansion converts register numbers with `.into()`, which clippy flags.
#![allow(clippy::useless_conversion)]
// The installed-trace bookkeeping serves only the x86-64-only `Jit` impl.
#![cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]

pub mod code;
pub mod disasm;
pub mod emit;
pub mod exit;
pub mod lower;
pub mod regs;

use trace_ir::backend::{Assembled, Backend, BackendError, CodeInfo, CodeSpace, ListingPart};
#[cfg(target_arch = "x86_64")]
use trace_ir::backend::{ExitInfo, Jit};
#[cfg(target_arch = "x86_64")]
use trace_ir::exit::{EntryFn, TraceCtx};
use trace_ir::ir::{SnapId, Trace};
use trace_ir::regalloc::{Allocation, RegFile};
use trace_ir::Symbols;

use crate::code::CodeRegion;

/// The nominal address `assemble` and `listing` place code at (`link` targets are assumed
/// there too).
pub const NOMINAL_BASE: usize = 0x1000_0000;

/// An installed trace: what `run` needs to restore its exits and `link_exit` to patch them.
struct Installed {
    trace: Trace,
    alloc: Allocation,
    /// Offsets in the code region.
    entry: usize,
    inner: usize,
    /// Bytes of code at `entry` (transfer blocks appended later not included).
    len: usize,
    stubs: Vec<usize>,
    deopts: Vec<usize>,
    /// Region offset of the terminator's `link` jump.
    link_branch: Option<usize>,
    /// Exits currently linked to another trace: `(snap, to)`.
    linked: Vec<(u32, u32)>,
    /// `link T` jumps waiting for `T` to be installed: `(region offset of the jmp, T)`.
    pending_links: Vec<(usize, u32)>,
    /// Dispatch table entries waiting for `T`: `(region offset of the entry, T)`.
    pending_entries: Vec<(usize, u32)>,
    /// Transfer blocks appended by `link_exit`: `(snap, to, region offset, length)`. A block depends
    /// only on this trace, the snapshot and the target's entry, all fixed once installed, so
    /// linking the same exit to the same trace again reuses it instead of growing the region
    /// (aarch64 has one precompiled link path per snapshot instead).
    transfers: Vec<(u32, u32, usize, usize)>,
}

pub struct X64 {
    rf: RegFile,
    region: Option<CodeRegion>,
    region_size: usize,
    traces: Vec<Installed>,
    /// `slots_needed` per trace, cleared whenever links change.
    need_cache: Vec<Option<u32>>,
    /// The exit state, reused by every run (its slot pointer is set per run).
    #[cfg(target_arch = "x86_64")]
    ctx: Box<TraceCtx>,
}

impl Default for X64 {
    fn default() -> Self {
        X64::new()
    }
}

impl X64 {
    /// A backend; the code region is reserved on the first install.
    pub fn new() -> X64 {
        X64::with_region_size(code::DEFAULT_REGION)
    }

    pub fn with_region_size(size: usize) -> X64 {
        X64 {
            rf: regs::regfile(),
            region: None,
            region_size: size,
            traces: Vec::new(),
            need_cache: Default::default(),
            #[cfg(target_arch = "x86_64")]
            ctx: TraceCtx::new(&mut []),
        }
    }

    /// The code region, once something is installed (for inspection: protections, base).
    pub fn region(&self) -> Option<&CodeRegion> {
        self.region.as_ref()
    }

    fn region_mut(&mut self) -> Result<&mut CodeRegion, BackendError> {
        if self.region.is_none() {
            self.region = Some(CodeRegion::new(self.region_size)?);
        }
        Ok(self.region.as_mut().expect("region just created"))
    }

    /// Assembles with an allocation given by the caller (when the shared allocator is not
    /// wanted, or for tests with hand-made allocations).
    pub fn assemble_with_id(
        &self,
        trace: &Trace,
        alloc: &Allocation,
        symbols: &Symbols,
        id: u32,
        base: usize,
    ) -> Result<exit::TraceCode, BackendError> {
        let inner_of = |t: u32| -> Option<usize> {
            if base == NOMINAL_BASE {
                return Some(NOMINAL_BASE);
            }
            let r = self.region.as_ref()?;
            self.traces.get(t as usize).map(|x| r.base() + x.inner)
        };
        exit::assemble_trace(trace, alloc, symbols, id, base, &inner_of)
    }

    /// Installs `trace` with a caller-provided allocation; returns its id. Safe for any
    /// allocation: the trace is verified, and lowering proves the allocation with the fusions
    /// it plans (`regalloc::check_fused`: classes, allocatable registers, spill slots within
    /// `TraceCtx`, conflicts, moves), so an unsound one is an `Invalid` error, never code that
    /// writes outside its context.
    pub fn install_with(
        &mut self,
        trace: &Trace,
        alloc: &Allocation,
        symbols: &Symbols,
    ) -> Result<u32, BackendError> {
        trace_ir::verify::verify(trace).map_err(invalid)?;
        let id = self.traces.len() as u32;
        let base = self.region_mut()?.next_addr(16);
        let tc = self.assemble_with_id(trace, alloc, symbols, id, base)?;
        let region = self.region_mut()?;
        let off = region.append(&tc.code, 16)?;
        debug_assert_eq!(region.base() + off, base);
        self.traces.push(Installed {
            trace: trace.clone(),
            alloc: alloc.clone(),
            entry: off,
            inner: off + tc.inner,
            len: tc.code.len(),
            stubs: tc.stubs.iter().map(|s| off + s).collect(),
            deopts: tc.deopts.iter().map(|s| off + s).collect(),
            link_branch: tc.link_branch.map(|b| off + b),
            linked: Vec::new(),
            transfers: Vec::new(),
            pending_links: tc.pending_links.iter().map(|&(o, t)| (off + o, t)).collect(),
            pending_entries: tc.pending_entries.iter().map(|&(o, t)| (off + o, t)).collect(),
        });
        self.resolve_links(id)?;
        self.need_cache.clear();
        Ok(id)
    }

    /// Re-points every pending `link id` jump at the newly installed trace `id`.
    fn resolve_links(&mut self, id: u32) -> Result<(), BackendError> {
        let inner = self.traces[id as usize].inner;
        let mut patches = Vec::new();
        let mut entries = Vec::new();
        for t in &mut self.traces {
            t.pending_links.retain(|&(off, target)| {
                if target == id {
                    patches.push(off);
                }
                target != id
            });
            t.pending_entries.retain(|&(off, target)| {
                if target == id {
                    entries.push(off);
                }
                target != id
            });
        }
        let region = self.region_mut()?;
        let base = region.base();
        for off in patches {
            region.patch(off, &exit::jmp_rel32(base + off, base + inner)?)?;
        }
        for off in entries {
            region.patch(off, &((base + inner) as u64).to_le_bytes())?;
        }
        Ok(())
    }

    /// The slots trace `id` and every trace it may continue in (through `link` or linked
    /// exits) touch.
    fn slots_needed(&mut self, id: u32) -> u32 {
        self.need_cache.resize(self.traces.len(), None);
        if let Some(n) = self.need_cache.get(id as usize).copied().flatten() {
            return n;
        }
        let mut seen = vec![false; self.traces.len()];
        let mut work = vec![id];
        let mut need = 0;
        while let Some(t) = work.pop() {
            let Some(x) = self.traces.get(t as usize) else { continue };
            if std::mem::replace(&mut seen[t as usize], true) {
                continue;
            }
            need = need.max(x.trace.slot_count());
            work.extend(x.trace.term.linked_traces());
            work.extend(x.linked.iter().map(|l| l.1));
        }
        if let Some(c) = self.need_cache.get_mut(id as usize) {
            *c = Some(need);
        }
        need
    }

    fn stub_of(&self, from: u32, snap: SnapId) -> Result<(usize, usize), BackendError> {
        let t = self.traces.get(from as usize).ok_or(BackendError::UnknownTrace(from))?;
        let i = snap.index();
        match (t.stubs.get(i), t.deopts.get(i)) {
            (Some(&s), Some(&d)) => Ok((s, d)),
            _ => Err(BackendError::UnknownExit { trace: from, snap: snap.0 }),
        }
    }
}

impl Backend for X64 {
    fn triple(&self) -> &'static str {
        "x86_64-unknown-linux-gnu"
    }

    fn regfile(&self) -> &RegFile {
        &self.rf
    }

    fn assemble(
        &self,
        trace: &Trace,
        alloc: &Allocation,
        symbols: &Symbols,
    ) -> Result<Assembled, BackendError> {
        let tc = self.assemble_with_id(trace, alloc, symbols, 0, NOMINAL_BASE)?;
        let pr = trace_ir::text::Printer::new(trace);
        let parts = (tc.parts.iter().enumerate())
            .map(|(k, (what, off))| {
                let end = tc.parts.get(k + 1).map_or(tc.code.len(), |p| p.1);
                ListingPart { what: what.text(trace, &pr, false), offset: *off, len: end - off }
            })
            .collect();
        Ok(Assembled { code: tc.code, parts })
    }

    fn listing(&self, trace: &Trace, alloc: &Allocation, symbols: &Symbols) -> Result<String, BackendError> {
        let tc = self.assemble_with_id(trace, alloc, symbols, 0, NOMINAL_BASE)?;
        let pr = trace_ir::text::Printer::new(trace);
        let parts: Vec<(String, usize)> =
            tc.parts.iter().map(|(p, off)| (p.text(trace, &pr, true), *off)).collect();
        Ok(disasm::listing(&parts, &tc.code, NOMINAL_BASE as u64))
    }
}

fn invalid<E: std::fmt::Display>(e: E) -> BackendError {
    BackendError::Invalid(e.to_string())
}

/// On every host: installing and patching never execute the code.
impl CodeSpace for X64 {
    fn add_trace(&mut self, trace: &Trace, symbols: &Symbols) -> Result<u32, BackendError> {
        trace_ir::verify::verify(trace).map_err(invalid)?;
        let alloc = trace_ir::regalloc::allocate(trace, &self.rf).map_err(invalid)?;
        self.install_with(trace, &alloc, symbols)
    }

    fn trace_total(&self) -> u32 {
        self.traces.len() as u32
    }

    fn trace_code_info(&self, id: u32) -> Option<CodeInfo> {
        let t = self.traces.get(id as usize)?;
        let base = self.region.as_ref()?.base() as u64;
        Some(CodeInfo {
            start: base + t.entry as u64,
            len: t.len as u64,
            exits: t.stubs.iter().map(|&s| base + s as u64).collect(),
            internal: base + t.inner as u64,
            link_branch: t.link_branch.map(|b| base + b as u64),
            link_paths: (0..t.stubs.len() as u32)
                .map(|snap| {
                    let (_, to) = *t.linked.iter().find(|l| l.0 == snap)?;
                    let &(_, _, off, len) = t.transfers.iter().find(|x| (x.0, x.1) == (snap, to))?;
                    Some((base + off as u64, base + (off + len) as u64))
                })
                .collect(),
        })
    }

    fn set_exit_link(&mut self, from: u32, snap: SnapId, to: Option<u32>) -> Result<(), BackendError> {
        match to {
            Some(to) => self.link_exit_to(from, snap, to),
            None => self.unlink_exit_to(from, snap),
        }
    }

    fn code_bytes(&self) -> Option<(u64, &[u8])> {
        let r = self.region.as_ref()?;
        Some((r.base() as u64, r.read(0, r.used())))
    }
}

impl X64 {
    /// `Jit::link_exit` (patching only, any host).
    pub fn link_exit_to(&mut self, from: u32, snap: SnapId, to: u32) -> Result<(), BackendError> {
        let (stub, _) = self.stub_of(from, snap)?;
        let target = self.traces.get(to as usize).ok_or(BackendError::UnknownTrace(to))?.inner;
        let region = self.region.as_ref().ok_or(BackendError::UnknownTrace(from))?;
        let base = region.base();
        let f = &self.traces[from as usize];
        let known = f.transfers.iter().find(|t| (t.0, t.1) == (snap.0, to)).map(|t| t.2);
        let off = match known {
            Some(off) => off,
            None => {
                let at = region.next_addr(16);
                let block = exit::transfer_block(&f.trace, &f.alloc, snap, at, base + target)?;
                let off = self.region_mut()?.append(&block, 16)?;
                self.traces[from as usize].transfers.push((snap.0, to, off, block.len()));
                off
            }
        };
        let region = self.region_mut()?;
        let jmp = exit::jmp_rel32(base + stub, base + off)?;
        region.patch(stub, &jmp)?;
        let linked = &mut self.traces[from as usize].linked;
        linked.retain(|l| l.0 != snap.0);
        linked.push((snap.0, to));
        self.need_cache.clear();
        Ok(())
    }

    /// `Jit::unlink_exit` (patching only, any host).
    pub fn unlink_exit_to(&mut self, from: u32, snap: SnapId) -> Result<(), BackendError> {
        let (stub, deopt) = self.stub_of(from, snap)?;
        let region = self.region_mut()?;
        let base = region.base();
        let jmp = exit::jmp_rel32(base + stub, base + deopt)?;
        region.patch(stub, &jmp)?;
        self.traces[from as usize].linked.retain(|l| l.0 != snap.0);
        self.need_cache.clear();
        Ok(())
    }
}

/// Only on x86-64 hosts: elsewhere `X64` is a cross assembler.
#[cfg(target_arch = "x86_64")]
impl Jit for X64 {
    unsafe fn run(&mut self, id: u32, slots: &mut [u64]) -> Result<ExitInfo, BackendError> {
        let entry = self.traces.get(id as usize).ok_or(BackendError::UnknownTrace(id))?.entry;
        let need = self.slots_needed(id) as usize;
        if slots.len() < need {
            return Err(BackendError::Restore(format!(
                "the installed traces use {need} slots, but the slot array has {}",
                slots.len()
            )));
        }
        let region = self.region.as_ref().ok_or(BackendError::UnknownTrace(id))?;
        let ctx = &mut *self.ctx;
        ctx.slots = slots.as_mut_ptr();
        let addr = region.base() + entry;
        // SAFETY: `addr` is the entry of code assembled by `exit::assemble_trace` for exactly
        // this address, installed read-execute and never moved; it follows the `EntryFn` ABI
        // (System V, callee-saved registers restored, 16-byte aligned calls). It only touches
        // `ctx` (alive for the call), the slot array (checked long enough above for every
        // installed trace it may link to) and the memory the trace's own loads, stores and
        // calls name, which the caller vouches for (`Jit::run`'s safety contract).
        let snap = unsafe {
            let entry: EntryFn = std::mem::transmute::<usize, EntryFn>(addr);
            entry(ctx)
        };
        // The slot pointer is only meaningful during the run.
        ctx.slots = std::ptr::null_mut();
        let exit_trace = ctx.exit_trace;
        let from = self.traces.get(exit_trace as usize).ok_or(BackendError::UnknownTrace(exit_trace))?;
        let resume = trace_ir::exit::restore(&from.trace, &from.alloc, SnapId(snap), ctx, slots)
            .map_err(|e| BackendError::Restore(e.to_string()))?;
        Ok(ExitInfo { trace: exit_trace, snap: SnapId(snap), resume })
    }
}
