//! Entry, exit stubs, the common exit, and the layout that linking patches.
//!
//! Frame (shared by every trace, so traces can branch into each other): the prologue pushes a
//! 160-byte save area (x29/x30, x19-x28, d8-d15), points x29 at it, then drops sp by a fixed
//! 512-byte outgoing-argument area (64 stack arguments). sp stays 16-byte aligned. x28 holds
//! the `TraceCtx` pointer from the first instruction after the prologue until the return.
//!
//! Every trace has two entries: the external one (prologue, then the internal one) and the
//! internal one (input loads, preheader, loop), which `link T` and linked side exits branch
//! to with the frame already set up.
//!
//! Exits, per snapshot N:
//! - `stub N`: one `b`, the only instruction guards branch to. Unlinked it goes to `deopt N`;
//!   linked it goes to `link path N`. Re-pointing it is a single aligned 4-byte store.
//! - `deopt N`: `mov w16, #N`, then the common exit.
//! - `link path N`: writes snapshot N to `ctx.slots`, then a `b` that is patched to the
//!   internal entry of the linked trace (unlinked, it goes to `deopt N`).
//! - `dispatch`: the snapshot is written, the index bounds-checked (past the table: `b.hs`
//!   to the snapshot's stub, as `exit` would leave), then `adr x17, table; ldr x17, [x17,
//!   idx, lsl 3]; br x17`. The table is data in the code region after the common exit,
//!   8-byte aligned, read-execute like the code (W^X holds: written only while installing
//!   and patching, each entry one aligned 8-byte store). An entry is a target's internal
//!   entry, a stub (an entry that leaves), or, for a target not installed yet, the
//!   snapshot's deopt path until installing the target patches the entry.
//! - the common exit stores every allocatable register into `ctx.gpr`/`ctx.fpr` (by hardware
//!   number), records the trace id and the snapshot, and returns the snapshot id.

// dynasm's expansion converts every register number with `.into()`.
#![allow(clippy::useless_conversion)]

use dynasmrt::{DynasmApi, DynasmLabelApi};
use trace_ir::backend::BackendError;
use trace_ir::exit::TraceCtx;
use trace_ir::ir::{DispatchTarget, Op, SnapId, Terminator, Trace};
use trace_ir::regalloc::{Allocation, Loc, Reg, RegClass};
use trace_ir::{Symbols, Type};

use crate::emit::*;
use crate::lower::{fpr_off, gpr_off, spill_off, Compiled, Lower, Target, MAX_STACK_ARGS};
use crate::regs::{ALLOC_FPRS, ALLOC_GPRS, CTX, S0, S1, S2};

/// Bytes of the callee-saved register area.
pub const SAVE_AREA: u32 = 160;
/// Bytes of the outgoing-argument area below it.
pub const OUT_AREA: u32 = 8 * MAX_STACK_ARGS as u32;

pub fn prologue(a: &mut Asm) {
    a64!(a
        ; sub sp, sp, SAVE_AREA
        ; stp x29, x30, [sp]
        ; stp x19, x20, [sp, 16]
        ; stp x21, x22, [sp, 32]
        ; stp x23, x24, [sp, 48]
        ; stp x25, x26, [sp, 64]
        ; stp x27, x28, [sp, 80]
        ; stp d8, d9, [sp, 96]
        ; stp d10, d11, [sp, 112]
        ; stp d12, d13, [sp, 128]
        ; stp d14, d15, [sp, 144]
        ; mov x29, sp
        ; sub sp, sp, OUT_AREA
        ; mov X(CTX), x0
    );
}

pub fn epilogue(a: &mut Asm) {
    a64!(a
        ; mov sp, x29
        ; ldp d14, d15, [sp, 144]
        ; ldp d12, d13, [sp, 128]
        ; ldp d10, d11, [sp, 112]
        ; ldp d8, d9, [sp, 96]
        ; ldp x27, x28, [sp, 80]
        ; ldp x25, x26, [sp, 64]
        ; ldp x23, x24, [sp, 48]
        ; ldp x21, x22, [sp, 32]
        ; ldp x19, x20, [sp, 16]
        ; ldp x29, x30, [sp]
        ; add sp, sp, SAVE_AREA
        ; ret
    );
}

/// Loads every used input from `ctx.slots[slot]`, zero-extended to its type.
fn load_inputs(l: &mut Lower) -> Result<(), BackendError> {
    let inputs: Vec<(usize, u32, Type)> =
        l.t.insts
            .iter()
            .enumerate()
            .filter_map(|(i, inst)| match inst.op {
                Op::Input { slot } => Some((i, slot, inst.ty?)),
                _ => None,
            })
            .filter(|&(i, _, _)| matches!(l.al.locs.get(i), Some(Loc::Reg(_)) | Some(Loc::Spill(_))))
            .collect();
    if inputs.is_empty() {
        return Ok(());
    }
    mem(&mut l.a, Mem::LdX, S2, CTX, std::mem::offset_of!(TraceCtx, slots) as i64, S2);
    for (i, slot, ty) in inputs {
        let off = 8 * slot as i64;
        let loc = l.al.locs[i];
        let (reg, spill) = match loc {
            Loc::Reg(r) => (r.hw, None),
            Loc::Spill(k) => (if ty.is_float() { crate::regs::F0 } else { S0 }, Some(k)),
            _ => continue,
        };
        if let Loc::Reg(r) = loc {
            if r.class != RegClass::of(ty) {
                return Err(BackendError::Invalid(format!("input %{i} of type {ty} in {r:?}")));
            }
        }
        match ty {
            Type::F64 => mem(&mut l.a, Mem::LdD, reg, S2, off, S1),
            Type::I64 => mem(&mut l.a, Mem::LdX, reg, S2, off, S1),
            Type::I32 => mem(&mut l.a, Mem::LdW, reg, S2, off, S1),
            Type::I16 => mem(&mut l.a, Mem::LdH, reg, S2, off, S1),
            Type::I8 => mem(&mut l.a, Mem::LdB, reg, S2, off, S1),
            Type::I1 => {
                mem(&mut l.a, Mem::LdB, reg, S2, off, S1);
                a64!(l.a; and WSP(reg), W(reg), 1);
            }
        }
        if let Some(k) = spill {
            let m = if ty.is_float() { Mem::StD } else { Mem::StX };
            mem(&mut l.a, m, reg, CTX, spill_off(k), S1);
        }
    }
    Ok(())
}

/// Stores registers with `stp` where two consecutive numbers are both in `regs`.
fn save_regs(a: &mut Asm, regs: &[u8], fpr: bool) {
    let mut sorted = regs.to_vec();
    sorted.sort_unstable();
    let mut i = 0;
    while i < sorted.len() {
        let r = sorted[i];
        let off = if fpr { fpr_off(r) } else { gpr_off(r) };
        let pair = i + 1 < sorted.len() && sorted[i + 1] == r + 1 && off <= 504;
        match (pair, fpr) {
            (true, false) => a64!(a; stp X(r), X(r + 1), [X(CTX), off as i32]),
            (true, true) => a64!(a; stp D(r), D(r + 1), [X(CTX), off as i32]),
            (false, false) => mem(a, Mem::StX, r, CTX, off, S1),
            (false, true) => mem(a, Mem::StD, r, CTX, off, S1),
        }
        i += if pair { 2 } else { 1 };
    }
}

/// Lowers a whole trace at `tgt.base`.
pub fn compile(t: &Trace, al: &Allocation, syms: &Symbols, tgt: &Target) -> Result<Compiled, BackendError> {
    if al.locs.len() < t.insts.len() {
        return Err(BackendError::Invalid(format!(
            "the allocation covers {} values, the trace has {}",
            al.locs.len(),
            t.insts.len()
        )));
    }
    if let Some(s) = t.term.snap() {
        if s.index() >= t.snaps.len() {
            return Err(BackendError::Invalid(format!(
                "the terminator names snap{}, which does not exist",
                s.0
            )));
        }
    }
    if t.loop_start.is_none() && matches!(t.term, Terminator::Jump(_)) {
        return Err(BackendError::Invalid("jump without a loop".into()));
    }
    // Branch reach decides the form: sign tests (`tbz`, ±32 KiB) first, then compare and
    // `b.cond` (±1 MiB), then exits that hop over a `b` (±128 MiB).
    let sign_tests = t.insts.iter().any(|i| {
        matches!(i.op, Op::ICmp(trace_ir::ir::ICmp::Slt | trace_ir::ir::ICmp::Sge, _, y) if t.const_bits(y) == Some(0))
    });
    let tries: &[(bool, bool)] = if sign_tests {
        &[(true, false), (false, false), (false, true)]
    } else {
        &[(false, false), (false, true)]
    };
    let mut result = Err(BackendError::Unsupported("no attempt".into()));
    for &(tbz, far) in tries {
        result = compile_with(t, al, syms, tgt, tbz, far);
        if !matches!(result, Err(BackendError::Unsupported(_))) {
            break;
        }
    }
    result
}

fn compile_with(
    t: &Trace,
    al: &Allocation,
    syms: &Symbols,
    tgt: &Target,
    tbz: bool,
    far: bool,
) -> Result<Compiled, BackendError> {
    let printer = trace_ir::text::Printer::new(t);
    let mut l = Lower::new(t, al, syms, tgt);
    // The allocation, with the fusions just planned, must be sound before any byte is
    // emitted: this is what keeps installed code inside its `TraceCtx` whatever allocation a
    // caller hands in.
    trace_ir::regalloc::check_fused(t, al, &crate::regs::regfile(), &l.sched)
        .map_err(|e| BackendError::Invalid(format!("allocation rejected: {e}")))?;
    l.far = far;
    l.tbz_ok = tbz;
    l.plan_sign_tests();
    let nsnaps = t.snaps.len();
    let deopt: Vec<_> = (0..nsnaps).map(|_| l.a.new_dynamic_label()).collect();
    let link: Vec<_> = (0..nsnaps).map(|_| l.a.new_dynamic_label()).collect();
    let common = l.a.new_dynamic_label();
    let head = l.a.new_dynamic_label();

    let entry = l.offset();
    prologue(&mut l.a);
    l.part("entry".into(), entry);
    let internal = l.offset();
    load_inputs(&mut l)?;
    l.part("internal entry: inputs".into(), internal);

    let body_start = t.loop_start.unwrap_or(t.insts.len());
    let rotate = if far { None } else { l.rotation() };
    for i in 0..t.insts.len() {
        if i == body_start {
            let s = l.offset();
            l.moves(&al.preheader_moves)?;
            l.part("preheader moves".into(), s);
        }
        if t.loop_start == Some(i) && rotate.is_none() {
            l.a.dynamic_label(head);
        }
        let s = l.offset();
        l.inst(i)?;
        if !t.insts[i].op.is_positionless() && !matches!(t.insts[i].op, Op::Nop | Op::LoopParam { .. }) {
            l.part_of(i, printer.inst(i), s);
        }
        if rotate.is_some_and(|(_, g)| g == i) {
            // The loop proper starts after the entry copy of its leading compare and guard.
            l.a.dynamic_label(head);
        }
    }
    let mut loop_head = None;
    let mut back_edge = None;
    let mut pending_link = None;
    let mut link_branch = None;
    let mut table = None;
    let s = l.offset();
    match &t.term {
        Terminator::Jump(_) => {
            if t.insts.len() == body_start {
                // An empty body: the preheader moves and header were not emitted above.
                l.moves(&al.preheader_moves)?;
                l.a.dynamic_label(head);
            }
            l.moves(&al.backedge_moves)?;
            match rotate {
                // Rotated: the leading compare and guard again, branching back while the
                // guard holds; the snapshot sees the next iteration's values, as at the top.
                Some((c, g)) => {
                    l.inst(c)?;
                    back_edge = Some(l.offset());
                    l.bottom_guard(g, head)?;
                }
                None => {
                    back_edge = Some(l.offset());
                    a64!(l.a; b =>head);
                }
            }
        }
        Terminator::Exit(sn) => {
            let stub = l.stub[sn.index()];
            a64!(l.a; b =>stub);
        }
        Terminator::Link { trace, snap } => {
            l.snapshot_store(*snap)?;
            link_branch = Some(l.offset());
            let at = tgt.base + l.offset() as u64;
            match (tgt.resolve)(*trace) {
                Some(target) => {
                    let w = b_word(at, target).ok_or_else(|| {
                        BackendError::Memory(format!("trace {trace} is out of branch range"))
                    })?;
                    l.a.push_u32(w);
                }
                None => {
                    // Not installed yet: leave through the snapshot's deopt path (the slots
                    // already hold the snapshot) until the installer patches this branch
                    // when trace `trace` arrives.
                    pending_link = Some((l.offset(), *trace));
                    let d = deopt[snap.index()];
                    a64!(l.a; b =>d);
                }
            }
        }
        Terminator::Dispatch { index, snap, targets } => {
            // The snapshot store uses S0..S2; the index then goes in its register or S0.
            l.snapshot_store(*snap)?;
            let r = l.gpr(*index, S0)?;
            let len = targets.len() as u64;
            if len < 4096 {
                a64!(l.a; cmp XSP(r), len as u32);
            } else {
                mov_imm(&mut l.a, W::X64, S1, len);
                a64!(l.a; cmp X(r), X(S1));
            }
            let stub = l.stub[snap.index()];
            l.exit_if(Cond::Hs, stub);
            let tl = l.a.new_dynamic_label();
            a64!(l.a; adr X(S1), =>tl; ldr X(S1), [X(S1), X(r), lsl 3]);
            link_branch = Some(l.offset());
            a64!(l.a; br X(S1));
            table = Some((tl, *snap, targets.clone()));
        }
    }
    l.part(printer.terminator(), s);

    let mut stubs = Vec::with_capacity(nsnaps);
    for (n, &stub) in l.stub.clone().iter().enumerate() {
        let s = l.offset();
        l.a.dynamic_label(stub);
        stubs.push(s);
        let d = deopt[n];
        a64!(l.a; b =>d);
        l.part(format!("exit stub snap{n}"), s);
    }
    let mut deopts = Vec::with_capacity(nsnaps);
    for (n, &d) in deopt.iter().enumerate() {
        let s = l.offset();
        l.a.dynamic_label(d);
        deopts.push(s);
        mov_imm(&mut l.a, W::W32, S0, n as u64);
        a64!(l.a; b =>common);
        l.part(format!("deopt snap{n}"), s);
    }
    let mut link_paths = Vec::with_capacity(nsnaps);
    let mut link_tails = Vec::with_capacity(nsnaps);
    for n in 0..nsnaps {
        let s = l.offset();
        l.a.dynamic_label(link[n]);
        link_paths.push(s);
        l.snapshot_store(SnapId(n as u32))?;
        link_tails.push(l.offset());
        let d = deopt[n];
        a64!(l.a; b =>d);
        l.part(format!("link path snap{n}"), s);
    }
    let s = l.offset();
    l.a.dynamic_label(common);
    save_regs(&mut l.a, &ALLOC_GPRS, false);
    save_regs(&mut l.a, &ALLOC_FPRS, true);
    mov_imm(&mut l.a, W::W32, S1, tgt.trace_id as u64);
    a64!(l.a
        ; str W(S1), [X(CTX), std::mem::offset_of!(TraceCtx, exit_trace) as u32]
        ; str W(S0), [X(CTX), std::mem::offset_of!(TraceCtx, exit_snap) as u32]
        ; mov w0, W(S0)
    );
    epilogue(&mut l.a);
    l.part("common exit".into(), s);
    let mut table_at = None;
    if let Some((tl, _, targets)) = &table {
        l.a.align(8, 0);
        let s = l.offset();
        table_at = Some(s);
        l.a.dynamic_label(*tl);
        for _ in targets {
            l.a.push_u64(0);
        }
        l.part("dispatch table".into(), s);
    }
    if t.loop_start.is_some() {
        loop_head = l.a.labels().resolve_dynamic(head).ok().map(|o| o.0);
    }
    let parts = std::mem::take(&mut l.parts);
    let part_inst = std::mem::take(&mut l.part_inst);
    let mut code =
        l.a.finalize()
            .map_err(|e| BackendError::Unsupported(format!("trace too large for its branches: {e}")))?;
    let mut pending_entries = Vec::new();
    if let (Some(at), Some((_, snap, targets))) = (table_at, &table) {
        for (k, d) in targets.iter().enumerate() {
            let off = at + 8 * k;
            let addr = match *d {
                DispatchTarget::Trace(n) if n == tgt.trace_id => tgt.base + internal as u64,
                DispatchTarget::Trace(n) => match (tgt.resolve)(n) {
                    Some(a) => a,
                    None => {
                        pending_entries.push((off, n));
                        tgt.base + deopts[snap.index()] as u64
                    }
                },
                DispatchTarget::Exit(x) => {
                    let st = stubs
                        .get(x.index())
                        .ok_or_else(|| BackendError::Invalid(format!("no snap{}", x.0)))?;
                    tgt.base + *st as u64
                }
            };
            code[off..off + 8].copy_from_slice(&addr.to_le_bytes());
        }
    }
    Ok(Compiled {
        code,
        parts,
        entry,
        internal,
        loop_head,
        back_edge,
        stubs,
        deopts,
        link_paths,
        link_tails,
        pending_link,
        link_branch,
        pending_entries,
        part_inst,
    })
}

/// The offset of a register in the exit state, for tests and tools.
pub fn saved_reg_offset(r: Reg) -> i64 {
    match r.class {
        RegClass::Gpr => gpr_off(r.hw),
        RegClass::Fpr => fpr_off(r.hw),
    }
}

/// Points the exit stub of snapshot `snap` (in code at region offset `at`) at its link path,
/// after pointing the link path's tail at `target` (an absolute internal entry). The tail is
/// patched first, while nothing can reach it yet; then the stub, a single aligned word, so a
/// concurrent fetch sees the old or the new branch, both valid. Each patch synchronizes the
/// i-cache for its word (`CodeRegion::patch_u32`).
pub fn link(
    region: &mut crate::code::CodeRegion,
    at: usize,
    c: &Compiled,
    snap: SnapId,
    target: u64,
) -> Result<(), BackendError> {
    let n = snap.index();
    let (Some(&tail), Some(&stub), Some(&path)) = (c.link_tails.get(n), c.stubs.get(n), c.link_paths.get(n))
    else {
        return Err(BackendError::Invalid(format!("no snap{}", snap.0)));
    };
    let base = region.base();
    let tail_word = b_word(base + (at + tail) as u64, target)
        .ok_or_else(|| BackendError::Memory("link target out of branch range".into()))?;
    region.patch_u32(at + tail, tail_word)?;
    let stub_word = b_word(base + (at + stub) as u64, base + (at + path) as u64)
        .ok_or_else(|| BackendError::Memory("link path out of branch range".into()))?;
    region.patch_u32(at + stub, stub_word)
}

/// Points the exit stub of `snap` back at its deopt path (one aligned word, then i-cache
/// synchronization). The link path's tail is left as it is: nothing reaches it any more.
pub fn unlink(
    region: &mut crate::code::CodeRegion,
    at: usize,
    c: &Compiled,
    snap: SnapId,
) -> Result<(), BackendError> {
    let n = snap.index();
    let (Some(&stub), Some(&deopt)) = (c.stubs.get(n), c.deopts.get(n)) else {
        return Err(BackendError::Invalid(format!("no snap{}", snap.0)));
    };
    let base = region.base();
    let word = b_word(base + (at + stub) as u64, base + (at + deopt) as u64)
        .ok_or_else(|| BackendError::Memory("deopt path out of branch range".into()))?;
    region.patch_u32(at + stub, word)
}
