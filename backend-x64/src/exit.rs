//! Entry trampoline, exit stubs, the common exit, and side-exit link/unlink patching.
//!
//! Frame (shared by every trace, so a jump between traces is valid):
//! ```text
//! entry:  push rbx; push rbp; push r12; push r13; push r14; push r15
//!         sub rsp, 520          ; 512 bytes of outgoing call arguments + 8 to realign
//!         mov r15, rdi          ; r15 = *mut TraceCtx for the whole run
//! inner:  mov r11, [r15]        ; ctx.slots; load each input into its location
//!         ...body, loop...
//! stubN:  jmp rel32 -> deoptN   ; the patchable word: re-pointed at a transfer block
//! deoptN: mov r11d, N; jmp common
//! common: store every allocatable GPR to ctx.gpr[hw], FPR to ctx.fpr[hw]
//!         mov [r15+exit_snap], r11d; mov dword [r15+exit_trace], ID; mov eax, r11d
//!         add rsp, 520; pop r15..rbx; ret
//! ```
//! At `inner` and in the body, `rsp` is 16-byte aligned and `[rsp, rsp+512)` is the
//! outgoing argument area.
//!
//! `link T` to a trace not installed yet jumps to the deopt path of its snapshot (the trace
//! leaves as if through that snapshot) until `T` is installed; installing `T` re-points
//! that `jmp rel32` at `T`'s inner entry, so traces may link to each other in any order.
//!
//! A `dispatch` terminator writes its snapshot, bounds-checks the index (past the table:
//! `jae` to the snapshot's stub, so it leaves as an `exit` would) and jumps through a jump
//! table of absolute addresses: `lea r11, [rip + table]; jmp [r11 + idx*8]`. The table is
//! data in the code region, after the common exit, 8-byte aligned, so it is read-execute like
//! the code (W^X holds: it is written only while installing and patching). An entry is a
//! target's internal entry, a stub (an entry that leaves), or, for a target not installed
//! yet, the snapshot's deopt path (the slots already hold the snapshot) until installing the
//! target patches the entry.
//!
//! A linked exit: the stub's rel32 points at a transfer block appended later, which stores
//! the snapshot into `ctx.slots` from the exiting trace's locations and jumps to the target
//! trace's `inner` entry. Unlinking writes the original rel32 back.
//!
//! Thread safety: patching rewrites 4 bytes of installed code through a read-write,
//! non-executable window (`code.rs`). During the window the page cannot execute, so no code
//! of the `Jit` may run on any thread while `install`, `link_exit` or `unlink_exit` run.
//! `&mut self` on those methods and on `run` enforces this for safe callers within one
//! thread; callers sharing a `Jit` between threads must hold an exclusive lock for both.

use dynasmrt::{dynasm, DynasmApi, DynasmLabelApi};
use trace_ir::backend::BackendError;
use trace_ir::ir::{DispatchTarget, SnapId, Terminator, Trace};
use trace_ir::regalloc::Allocation;
use trace_ir::Symbols;

use crate::emit::{self, Asm};
use crate::lower::{Lower, Part};
use crate::regs::*;

/// Outgoing stack-argument slots reserved in every frame.
pub const OUTGOING_ARGS: usize = 64;
/// `sub rsp, FRAME` after the six pushes keeps `rsp` 16-byte aligned.
pub const FRAME: i32 = (OUTGOING_ARGS * 8 + 8) as i32;

/// One trace's code and the offsets patching needs (relative to the code's start).
#[derive(Debug, Clone)]
pub struct TraceCode {
    pub code: Vec<u8>,
    /// `(what, offset)` listing parts in order.
    pub parts: Vec<(Part, usize)>,
    pub inner: usize,
    /// Offset of each snapshot's `jmp rel32` stub.
    pub stubs: Vec<usize>,
    /// Offset of each snapshot's deopt path (the stub's original target).
    pub deopts: Vec<usize>,
    /// `link T` jumps to traces not installed yet: `(offset of the jmp rel32, T)`.
    pub pending_links: Vec<(usize, u32)>,
    /// Offset of the terminator's `link` jump, when the trace ends in `link`, or its
    /// dispatch's indirect `jmp`.
    pub link_branch: Option<usize>,
    /// Dispatch table entries for traces not installed yet: `(offset of the 8-byte entry, T)`.
    pub pending_entries: Vec<(usize, u32)>,
}

/// Assembles `trace` for address `base`. `inner_of(T)` gives the absolute inner entry of an
/// installed trace `T` (for `link T`); `id` is this trace's id, so `link` to itself works.
pub fn assemble_trace(
    trace: &Trace,
    alloc: &Allocation,
    syms: &Symbols,
    id: u32,
    base: usize,
    inner_of: &dyn Fn(u32) -> Option<usize>,
) -> Result<TraceCode, BackendError> {
    let mut l = Lower::new(trace, alloc, syms, Asm::new(base))?;
    l.part(Part::Label("entry"));
    prologue(&mut l.a);
    l.part(Part::Label("inputs"));
    let inner_label = emit::here(&mut l.a);
    let inner = l.a.offset().0;
    l.inputs()?;
    l.body()?;
    let n = trace.snaps.len();
    let deopt_labels: Vec<_> = (0..n).map(|_| l.a.new_dynamic_label()).collect();
    let mut pending_links = Vec::new();
    let mut link_branch = None;
    if let Terminator::Link { trace: target, snap } = trace.term {
        l.write_snapshot(snap)?;
        link_branch = Some(l.a.offset().0);
        if target == id {
            dynasm!(l.a ; .arch x64 ; jmp =>inner_label);
        } else if let Some(addr) = inner_of(target) {
            dynasm!(l.a ; .arch x64 ; jmp extern addr);
        } else {
            // Not installed yet: leave through the snapshot (already in the slots) until the
            // target is installed and this `jmp rel32` is re-pointed at it.
            let deopt = *deopt_labels
                .get(snap.index())
                .ok_or_else(|| BackendError::Invalid(format!("no snapshot snap{}", snap.0)))?;
            pending_links.push((l.a.offset().0, target));
            dynasm!(l.a ; .arch x64 ; jmp =>deopt);
        }
    }
    let mut table = None;
    if let Terminator::Dispatch { index, snap, targets } = &trace.term {
        l.write_snapshot(*snap)?;
        // After the snapshot store, which uses S0 and S1; lea only writes S0.
        let r = l.gpr_in(*index, S1);
        let stub = l.stub(*snap)?;
        let len = i32::try_from(targets.len())
            .map_err(|_| BackendError::Unsupported("dispatch table too large".into()))?;
        let tl = l.a.new_dynamic_label();
        dynasm!(l.a ; .arch x64 ; cmp Rq(r), len);
        emit::jcc(&mut l.a, emit::Cc::Ae, stub);
        dynasm!(l.a ; .arch x64 ; lea Rq(S0), [=>tl]);
        link_branch = Some(l.a.offset().0);
        dynasm!(l.a ; .arch x64 ; jmp QWORD [Rq(S0) + Rq(r) * 8]);
        table = Some((tl, *snap, targets.clone()));
    }
    let common = l.a.new_dynamic_label();
    let mut stubs = Vec::with_capacity(n);
    for (s, &deopt) in deopt_labels.iter().enumerate() {
        l.part(Part::Stub(s as u32));
        stubs.push(l.a.offset().0);
        let stub = l.stubs[s];
        dynasm!(l.a ; .arch x64 ; =>stub ; jmp =>deopt);
    }
    let mut deopts = Vec::with_capacity(n);
    for (s, &deopt) in deopt_labels.iter().enumerate() {
        l.part(Part::Deopt(s as u32));
        deopts.push(l.a.offset().0);
        dynasm!(l.a ; .arch x64 ; =>deopt ; mov Rd(S0), s as i32 ; jmp =>common);
    }
    l.part(Part::Label("common exit"));
    dynasm!(l.a ; .arch x64 ; =>common);
    common_exit(&mut l.a, id);
    let mut table_at = None;
    if let Some((tl, _, targets)) = &table {
        l.part(Part::Label("dispatch table"));
        l.a.align(8, 0xcc);
        table_at = Some(l.a.offset().0);
        dynasm!(l.a ; .arch x64 ; =>*tl);
        for _ in targets {
            l.a.push_u64(0);
        }
    }
    let parts = std::mem::take(&mut l.parts);
    let mut code = l.a.finalize().map_err(|e| BackendError::Invalid(format!("assembler: {e:?}")))?;
    let mut pending_entries = Vec::new();
    if let (Some(at), Some((_, snap, targets))) = (table_at, &table) {
        for (k, d) in targets.iter().enumerate() {
            let off = at + 8 * k;
            let addr = match *d {
                DispatchTarget::Trace(t) if t == id => base + inner,
                DispatchTarget::Trace(t) => match inner_of(t) {
                    Some(a) => a,
                    None => {
                        pending_entries.push((off, t));
                        base + deopts[snap.index()]
                    }
                },
                DispatchTarget::Exit(s) => {
                    base + *stubs
                        .get(s.index())
                        .ok_or_else(|| BackendError::Invalid(format!("no snap{}", s.0)))?
                }
            };
            code[off..off + 8].copy_from_slice(&(addr as u64).to_le_bytes());
        }
    }
    Ok(TraceCode { code, parts, inner, stubs, deopts, pending_links, link_branch, pending_entries })
}

fn prologue(a: &mut Asm) {
    for r in CALLEE_SAVED {
        dynasm!(a ; .arch x64 ; push Rq(r));
    }
    dynasm!(a ; .arch x64 ; sub rsp, FRAME ; mov Rq(CTX), rdi);
}

/// Saves every allocatable register into the context, records the exit, and returns.
fn common_exit(a: &mut Asm, id: u32) {
    for r in ALLOC_GPRS {
        let off = emit::gpr_off(r);
        dynasm!(a ; .arch x64 ; mov QWORD [Rq(CTX) + off], Rq(r));
    }
    for x in ALLOC_FPRS {
        let off = emit::fpr_off(x);
        dynasm!(a ; .arch x64 ; movsd QWORD [Rq(CTX) + off], Rx(x));
    }
    dynasm!(a ; .arch x64
        ; mov DWORD [Rq(CTX) + emit::EXIT_SNAP_OFF], Rd(S0)
        ; mov DWORD [Rq(CTX) + emit::EXIT_TRACE_OFF], id as i32
        ; mov eax, Rd(S0)
        ; add rsp, FRAME
    );
    for &r in CALLEE_SAVED.iter().rev() {
        dynasm!(a ; .arch x64 ; pop Rq(r));
    }
    dynasm!(a ; .arch x64 ; ret);
}

/// The transfer block of a linked side exit, assembled for address `base`: writes snapshot
/// `snap` of `trace` into the slots from `alloc`'s locations, then jumps to `target_inner`.
pub fn transfer_block(
    trace: &Trace,
    alloc: &Allocation,
    snap: SnapId,
    base: usize,
    target_inner: usize,
) -> Result<Vec<u8>, BackendError> {
    let syms = Symbols::new();
    let mut l = Lower::new(trace, alloc, &syms, Asm::new(base))?;
    l.write_snapshot(snap)?;
    dynasm!(l.a ; .arch x64 ; jmp extern target_inner);
    l.a.finalize().map_err(|e| BackendError::Invalid(format!("assembler: {e:?}")))
}

/// The bytes of `jmp rel32` at `at` to `to` (both absolute).
pub fn jmp_rel32(at: usize, to: usize) -> Result<[u8; 5], BackendError> {
    let rel = (to as i64) - (at as i64 + 5);
    let rel = i32::try_from(rel)
        .map_err(|_| BackendError::Memory(format!("jump from {at:#x} to {to:#x} out of range")))?;
    let b = rel.to_le_bytes();
    Ok([0xe9, b[0], b[1], b[2], b[3]])
}
