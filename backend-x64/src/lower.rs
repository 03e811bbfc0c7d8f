//! Per-op lowering of an allocated trace: the body between the entry (input loads) and the
//! exits. Each value has one location for its whole life (`Allocation`); operands that are
//! spilled or constant are used as memory or immediate operands where x86 allows, otherwise
//! reloaded into the scratch registers `r11`/`r10` (`xmm15`/`xmm14`).

use dynasmrt::{dynasm, DynamicLabel, DynasmApi, DynasmLabelApi};
use trace_ir::backend::BackendError;
use trace_ir::ir::*;
use trace_ir::regalloc::{Allocation, Loc, RegClass, RegFile, Schedule};
use trace_ir::{Symbols, Type};

use crate::emit::{
    self, alu, canon, fit, fit_fpr, in_reg, load_fpr, load_gpr, mem, mov_imm, sext_to, store_fpr, store_gpr,
    Asm, Cc, Opnd,
};
use crate::regs::*;

/// `base + index * scale + disp` in terms of values, for an `add` folded into a load or store.
#[derive(Clone, Copy, Debug)]
struct AddrExpr {
    base: Value,
    index: Option<(Value, u8)>,
    disp: i32,
}

/// How a compare's result is read from the flags.
#[derive(Clone, Copy, Debug)]
enum Flags {
    Cc(Cc),
    /// Float equal: ZF=1 and PF=0.
    FEq,
    /// Float not-equal (true on NaN): ZF=0 or PF=1.
    FNe,
}

pub struct Lower<'a> {
    pub t: &'a Trace,
    pub al: &'a Allocation,
    pub syms: &'a Symbols,
    pub a: Asm,
    /// One exit stub label per snapshot.
    pub stubs: Vec<DynamicLabel>,
    /// Number of uses of each value (operands, snapshot entries, loop inits, jump args).
    uses: Vec<u32>,
    /// Address arithmetic folded into the memory operand of its only user (see `fuse_addresses`).
    fused_addr: Vec<Option<AddrExpr>>,
    /// Where fused instructions run (address arithmetic and loads folded into their user),
    /// planned with `Schedule::holds` and proved by `regalloc::check_fused`.
    pub sched: Schedule,
    /// The register file the allocation was made for (constraints and clobbers).
    rf: RegFile,
    /// Loads read directly as the memory operand of the next instruction (see `fuse_loads`).
    fused_load: Vec<bool>,
    pub parts: Vec<(Part, usize)>,
}

/// What a stretch of code was emitted for; turned into text only for listings, so that
/// installing pays no formatting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    Label(&'static str),
    Inst(usize),
    Term,
    Stub(u32),
    Deopt(u32),
}

impl Part {
    /// The part's text; `snaps` adds the snapshot line before a guard or overflow op that
    /// first uses it (listings), as a second line.
    pub fn text(self, t: &Trace, p: &trace_ir::text::Printer, snaps: bool) -> String {
        match self {
            Part::Label(s) => s.to_string(),
            Part::Inst(i) => {
                // A guard or overflow op shows the snapshot it leaves through, as the text
                // format does before the snapshot's first user.
                let snap = t.insts.get(i).and_then(|x| x.op.snap());
                let first =
                    snap.is_some_and(|s| t.insts.iter().position(|x| x.op.snap() == Some(s)) == Some(i));
                match snap {
                    Some(s) if first && snaps => format!("{}\n; {}", p.snapshot(s.index()), p.inst(i)),
                    _ => p.inst(i),
                }
            }
            Part::Term => p.terminator(),
            Part::Stub(s) => format!("exit stub snap{s}"),
            Part::Deopt(s) => format!("deopt snap{s}"),
        }
    }
}

fn unsupported(m: String) -> BackendError {
    BackendError::Unsupported(m)
}

fn invalid(m: String) -> BackendError {
    BackendError::Invalid(m)
}

impl<'a> Lower<'a> {
    pub fn new(
        t: &'a Trace,
        al: &'a Allocation,
        syms: &'a Symbols,
        a: Asm,
    ) -> Result<Lower<'a>, BackendError> {
        if al.locs.len() < t.insts.len() {
            return Err(invalid(format!(
                "the allocation covers {} values, the trace has {}",
                al.locs.len(),
                t.insts.len()
            )));
        }
        let mut uses = vec![0u32; t.insts.len()];
        let mut count = |v: Value| {
            if let Some(u) = uses.get_mut(v.index()) {
                *u += 1;
            }
        };
        for i in &t.insts {
            i.op.visit_operands(&mut count);
        }
        for s in &t.snaps {
            s.entries.iter().for_each(|&(_, v)| count(v));
        }
        t.loop_inits.iter().copied().for_each(&mut count);
        t.term.visit_operands(&mut count);
        let mut a = a;
        let stubs = (0..t.snaps.len()).map(|_| a.new_dynamic_label()).collect();
        let mut l = Lower {
            t,
            al,
            syms,
            a,
            stubs,
            uses,
            fused_addr: vec![None; t.insts.len()],
            sched: Schedule::new(t),
            rf: crate::regs::regfile(),
            fused_load: vec![false; t.insts.len()],
            parts: Vec::new(),
        };
        l.fuse_addresses();
        l.fuse_loads();
        // The allocation, with the fusions just planned, must be sound before any byte is
        // emitted: this is what keeps installed code inside its `TraceCtx` whatever
        // allocation a caller hands in.
        trace_ir::regalloc::check_fused(t, al, &l.rf, &l.sched)
            .map_err(|e| invalid(format!("allocation rejected: {e}")))?;
        Ok(l)
    }

    /// Finds `add` instructions (and a `shl` by 0..3 feeding them) whose only use is the
    /// address of a later load or store, and whose operands are in registers that still hold
    /// them at that load or store (`Schedule::can_fold`): those become
    /// `[base + index * scale + disp]` and are not emitted on their own.
    fn fuse_addresses(&mut self) {
        let t = self.t;
        let gpr = |l: &Lower, v: Value| matches!(l.loc(v), Loc::Reg(r) if r.class == RegClass::Gpr);
        for (u, inst) in t.insts.iter().enumerate() {
            let (base, disp) = match inst.op {
                Op::Load { base, disp, .. } => (base, disp),
                Op::Store { base, disp, value, .. } if value != base => (base, disp),
                _ => continue,
            };
            let k = base.index();
            if k >= u || self.uses_of(base) != 1 || t.ty(base) != Some(Type::I64) || self.sched.is_fused(k) {
                continue;
            }
            let Op::Bin(BinOp::Add, x, y) = t.insts[k].op else { continue };
            let shifted = |l: &Lower, v: Value| match t.insts.get(v.index()).map(|i| &i.op) {
                Some(&Op::Bin(BinOp::Shl, i, c))
                    if l.uses_of(v) == 1 && v.index() < k && !l.sched.is_fused(v.index()) =>
                {
                    t.const_bits(c).filter(|&c| c <= 3).map(|c| (i, 1u8 << c))
                }
                _ => None,
            };
            // Candidates in order of preference: (address, the shl folded with it).
            let mut cands = Vec::new();
            for (p, q) in [(x, y), (y, x)] {
                if !gpr(self, p) {
                    continue;
                }
                if let Some(c) = t.const_bits(q) {
                    if let Some(d) = (c as i64).checked_add(disp as i64).and_then(|d| i32::try_from(d).ok()) {
                        cands.push((AddrExpr { base: p, index: None, disp: d }, None));
                    }
                    continue;
                }
                if let Some((i, sc)) = shifted(self, q).filter(|&(i, _)| gpr(self, i)) {
                    cands.push((AddrExpr { base: p, index: Some((i, sc)), disp }, Some(q)));
                }
                if gpr(self, q) {
                    cands.push((AddrExpr { base: p, index: Some((q, 1)), disp }, None));
                }
            }
            for (e, sh) in cands {
                let also: Vec<Value> = sh.into_iter().collect();
                if self.sched.can_fold(t, self.al, &self.rf, k, u, &also) {
                    self.fused_addr[k] = Some(e);
                    self.sched.fold(k, u);
                    if let Some(q) = sh {
                        self.sched.fold(q.index(), k);
                    }
                    break;
                }
            }
        }
    }

    /// Finds i32/i64/f64 loads whose only use is the instruction right after them, an
    /// integer add/sub/and/or/xor/mul or compare or a float add/sub/mul/div that can take a
    /// memory operand in that position, with the address in registers. Nothing is emitted
    /// between the two, so the address registers still hold their values; the consumer keeps
    /// its result out of them. Whether the address registers still hold their values there
    /// is `Schedule::can_fold`'s answer.
    fn fuse_loads(&mut self) {
        let t = self.t;
        for u in 1..t.insts.len() {
            if self.sched.is_fused(u) {
                continue; // folded into an address itself: its operands are read elsewhere
            }
            let (x, y, commutes, want) = match t.insts[u].op {
                // Not commuted: which NaN an SSE op returns depends on the operand order.
                Op::Bin(op, x, y) if op.is_float() => (x, y, false, Type::F64),
                Op::Bin(
                    op @ (BinOp::Add | BinOp::Sub | BinOp::And | BinOp::Or | BinOp::Xor | BinOp::Mul),
                    x,
                    y,
                ) => (x, y, op.is_commutative(), self.ty(x)),
                Op::ICmp(_, x, y) => (x, y, true, self.ty(x)),
                _ => continue,
            };
            if x == y || !matches!(want, Type::I32 | Type::I64 | Type::F64) {
                continue;
            }
            let l = u - 1;
            if t.loop_start == Some(u) {
                continue; // a load before a loop without parameters is read once, not per iteration
            }
            let Op::Load { base, .. } = t.insts[l].op else { continue };
            let fits = (y.index() == l || (commutes && x.index() == l))
                && t.insts[l].ty == Some(want)
                && self.uses_of(Value(l as u32)) == 1
                && !self.sched.is_fused(l)
                && (matches!(self.loc(base), Loc::Reg(r) if r.class == RegClass::Gpr)
                    || self.fused_addr.get(base.index()).is_some_and(|f| f.is_some()))
                && self.sched.can_fold(t, self.al, &self.rf, l, u, &[]);
            if fits {
                self.fused_load[l] = true;
                self.sched.fold(l, u);
            }
        }
    }

    /// The memory operand of `v` when it is a load fused into its user.
    fn mem_of(&mut self, v: Value) -> Option<emit::Addr> {
        if !self.fused_load.get(v.index()).copied().unwrap_or(false) {
            return None;
        }
        let Op::Load { base, disp, .. } = self.t.insts[v.index()].op else { return None };
        Some(self.addr(base, disp))
    }

    /// The memory operand of a load or store at `base + disp`; a base that is not in a
    /// register is loaded into `S1`.
    fn addr(&mut self, base: Value, disp: i32) -> emit::Addr {
        let reg = |l: &Lower, v: Value| match l.op(v) {
            Opnd::R(r) => r,
            _ => unreachable!("fused address operands are registers"),
        };
        if let Some(e) = self.fused_addr.get(base.index()).copied().flatten() {
            return emit::Addr {
                base: reg(self, e.base),
                index: e.index.map(|(i, s)| (reg(self, i), s)),
                disp: e.disp,
            };
        }
        let ob = self.op(base);
        emit::Addr { base: in_reg(&mut self.a, ob, S1), index: None, disp }
    }

    pub fn part(&mut self, what: Part) {
        let off = self.a.offset().0;
        self.parts.push((what, off));
    }

    fn loc(&self, v: Value) -> Loc {
        match self.al.loc(v) {
            Loc::None => match self.t.const_bits(v) {
                Some(b) => Loc::Const(b),
                None => Loc::None,
            },
            l => l,
        }
    }

    fn op(&self, v: Value) -> Opnd {
        Opnd::of(self.loc(v))
    }

    fn ty(&self, v: Value) -> Type {
        self.t.ty(v).unwrap_or(Type::I64)
    }

    /// `v` in a GPR: its own, or loaded into `tmp`.
    pub fn gpr_in(&mut self, v: Value, tmp: u8) -> u8 {
        let o = self.op(v);
        in_reg(&mut self.a, o, tmp)
    }

    pub fn stub(&self, s: SnapId) -> Result<DynamicLabel, BackendError> {
        self.stubs.get(s.index()).copied().ok_or_else(|| invalid(format!("no snapshot snap{}", s.0)))
    }

    /// The register to compute a GPR result in: its own register, or `S0` when it is spilled
    /// or when writing it early would clobber one of `avoid`.
    fn target(&self, dst: Opnd, avoid: &[Opnd]) -> u8 {
        match dst {
            Opnd::R(d) if !avoid.contains(&Opnd::R(d)) => d,
            _ => S0,
        }
    }

    fn xtarget(&self, dst: Opnd, avoid: &[Opnd]) -> u8 {
        match dst {
            Opnd::R(d) if !avoid.contains(&Opnd::R(d)) => d,
            _ => XS0,
        }
    }

    /// Loads the trace's inputs from `ctx.slots` (low bits, zero-extended to the type).
    pub fn inputs(&mut self) -> Result<(), BackendError> {
        let ins: Vec<(Value, u32)> = (self.t.insts.iter().enumerate())
            .filter_map(|(i, inst)| match inst.op {
                Op::Input { slot } if self.al.loc(Value(i as u32)) != Loc::None => {
                    Some((Value(i as u32), slot))
                }
                _ => None,
            })
            .collect();
        if ins.is_empty() {
            return Ok(());
        }
        let a = &mut self.a;
        dynasm!(a ; .arch x64 ; mov Rq(S0), QWORD [Rq(CTX) + emit::SLOTS_OFF]);
        for (v, slot) in ins {
            let off = slot_off(slot)?;
            let dst = Opnd::of(self.al.loc(v));
            let ty = self.t.ty(v).unwrap_or(Type::I64);
            let x = self.xtarget(dst, &[]);
            let a = &mut self.a;
            if ty == Type::F64 {
                dynasm!(a ; .arch x64 ; movsd Rx(x), QWORD [Rq(S0) + off]);
                store_fpr(a, dst, x);
                continue;
            }
            let r = if let Opnd::R(d) = dst { d } else { S1 };
            load_mem(a, ty, r, S0, off);
            store_gpr(a, dst, r);
        }
        Ok(())
    }

    fn uses_of(&self, v: Value) -> u32 {
        self.uses.get(v.index()).copied().unwrap_or(0)
    }

    /// A compare whose only use is the guard right after it is emitted at the guard.
    /// Not across the loop start (a loop without parameters starts right after the compare):
    /// the compare would run every iteration, from registers the loop may have reused.
    fn fused_into_next(&self, i: usize) -> bool {
        if self.uses_of(Value(i as u32)) != 1
            || !matches!(self.t.insts[i].op, Op::ICmp(..) | Op::FCmp(..))
            || self.t.loop_start == Some(i + 1)
        {
            return false;
        }
        matches!(self.t.insts.get(i + 1), Some(Inst { op: Op::Guard { cond, .. }, .. }) if cond.index() == i)
    }

    /// A compare whose only use is the integer select right after it sets the flags for a
    /// `cmov` (or the branch of an f64 select) directly. Float eq/ne need two flags: not fused.
    fn fused_into_select(&self, i: usize) -> bool {
        if self.uses_of(Value(i as u32)) != 1 || self.t.loop_start == Some(i + 1) {
            return false;
        }
        let single_flag = match self.t.insts[i].op {
            Op::ICmp(..) => true,
            Op::FCmp(c, ..) => !matches!(c, FCmp::Eq | FCmp::Ne),
            _ => false,
        };
        single_flag
            && matches!(self.t.insts.get(i + 1), Some(Inst { op: Op::Select(c, ..), .. }) if c.index() == i)
    }

    pub fn body(&mut self) -> Result<(), BackendError> {
        let t = self.t;
        let start = t.loop_start;
        let mut loop_label = None;
        let mut rotated: Option<(usize, bool, SnapId, DynamicLabel)> = None;
        for (i, inst) in t.insts.iter().enumerate() {
            if Some(i) == start {
                self.part(Part::Label("preheader moves"));
                for m in &self.al.preheader_moves {
                    emit::move_loc(&mut self.a, m.from, m.to, m.class);
                }
                self.part(Part::Label("loop:"));
                loop_label = Some(emit::here(&mut self.a));
                rotated = self.rotation(i);
            }
            if inst.op.is_positionless() || matches!(inst.op, Op::LoopParam { .. } | Op::Nop) {
                continue;
            }
            self.part(Part::Inst(i));
            self.inst(i, inst)?;
            if let Some((c, _, _, after)) = rotated {
                if i == c + 1 {
                    dynasm!(self.a ; .arch x64 ; =>after);
                }
            }
        }
        if loop_label.is_none() && start.is_some_and(|s| s >= t.insts.len()) {
            // A loop with no instructions at all.
            self.part(Part::Label("preheader moves"));
            for m in &self.al.preheader_moves {
                emit::move_loc(&mut self.a, m.from, m.to, m.class);
            }
            self.part(Part::Label("loop:"));
            loop_label = Some(emit::here(&mut self.a));
        }
        self.part(Part::Term);
        match &t.term {
            Terminator::Jump(_) => {
                let Some(l) = loop_label else {
                    return Err(invalid("jump without a loop".into()));
                };
                for m in &self.al.backedge_moves {
                    emit::move_loc(&mut self.a, m.from, m.to, m.class);
                }
                match rotated {
                    // The loop's first guard tested again at the bottom: one taken branch
                    // per iteration instead of `jmp` plus the guard's not-taken branch.
                    Some((c, expect, snap, after)) => {
                        let stub = self.stub(snap)?;
                        let Flags::Cc(cc) = self.compare(&t.insts[c].op) else {
                            unreachable!("only single-flag compares rotate")
                        };
                        emit::jcc(&mut self.a, if expect { cc } else { cc.negate() }, after);
                        dynasm!(self.a ; .arch x64 ; jmp =>stub);
                    }
                    None => dynasm!(self.a ; .arch x64 ; jmp =>l),
                }
            }
            Terminator::Exit(s) => {
                let l = self.stub(*s)?;
                dynasm!(self.a ; .arch x64 ; jmp =>l);
            }
            // Emitted by the caller, which knows the targets.
            Terminator::Link { .. } | Terminator::Dispatch { .. } => {}
        }
        Ok(())
    }

    /// When the loop body starts with a single-flag compare fused into a guard, the back edge
    /// can repeat that test and branch past the guard: `(compare, expect, snap, label)`.
    /// Its operands are loop parameters or values from before the loop (nothing else is
    /// defined yet), which hold the next iteration's values after the back-edge moves.
    fn rotation(&mut self, start: usize) -> Option<(usize, bool, SnapId, DynamicLabel)> {
        let t = self.t;
        if !matches!(t.term, Terminator::Jump(_)) {
            return None;
        }
        let c = (start..t.insts.len()).find(|&i| {
            let op = &t.insts[i].op;
            !op.is_positionless() && !matches!(op, Op::LoopParam { .. } | Op::Nop)
        })?;
        let single = match t.insts[c].op {
            Op::ICmp(..) => true,
            Op::FCmp(f, ..) => !matches!(f, FCmp::Eq | FCmp::Ne),
            _ => false,
        };
        match t.insts.get(c + 1)?.op {
            Op::Guard { cond, expect, snap } if single && cond.index() == c && self.fused_into_next(c) => {
                Some((c, expect, snap, self.a.new_dynamic_label()))
            }
            _ => None,
        }
    }

    /// Stores snapshot `s` into `ctx.slots` from the values' locations (for `link` and for
    /// linked side exits). Uses `S0` (slot base) and `S1`.
    pub fn write_snapshot(&mut self, s: SnapId) -> Result<(), BackendError> {
        let snap = self.t.snaps.get(s.index()).ok_or_else(|| invalid(format!("no snapshot snap{}", s.0)))?;
        dynasm!(self.a ; .arch x64 ; mov Rq(S0), QWORD [Rq(CTX) + emit::SLOTS_OFF]);
        for &(slot, v) in &snap.entries {
            let off = slot_off(slot)?;
            let loc = self.loc(v);
            let a = &mut self.a;
            match loc {
                Loc::Reg(r) if r.class == RegClass::Fpr => {
                    dynasm!(a ; .arch x64 ; movsd QWORD [Rq(S0) + off], Rx(r.hw))
                }
                Loc::Const(b) if emit::imm_fits(b, true) => {
                    dynasm!(a ; .arch x64 ; mov QWORD [Rq(S0) + off], b as i32)
                }
                Loc::None => return Err(invalid(format!("snapshot value for slot {slot} has no location"))),
                l => {
                    let r = in_reg(a, Opnd::of(l), S1);
                    dynasm!(a ; .arch x64 ; mov QWORD [Rq(S0) + off], Rq(r));
                }
            }
        }
        Ok(())
    }

    fn inst(&mut self, i: usize, inst: &Inst) -> Result<(), BackendError> {
        let v = Value(i as u32);
        let dst = Opnd::of(self.al.loc(v));
        let dead = self.al.loc(v) == Loc::None;
        if (dead || self.sched.is_fused(i))
            && !inst.op.has_side_effect()
            && !matches!(inst.op, Op::Call { .. })
        {
            return Ok(());
        }
        let ty = inst.ty.unwrap_or(Type::I64);
        match &inst.op {
            Op::Bin(op, x, y) if op.is_float() => self.fbin(*op, *x, *y, dst),
            Op::Bin(op, x, y) => match op {
                BinOp::Shl | BinOp::LShr | BinOp::AShr => self.shift(*op, *x, *y, dst, ty),
                BinOp::SDiv | BinOp::UDiv | BinOp::SRem | BinOp::URem => self.div(*op, *x, *y, dst, ty),
                _ => self.ibin(*op, *x, *y, dst, ty),
            },
            Op::Un(op, x) => self.un(*op, *x, dst, ty),
            Op::Ovf(op, x, y, s) => self.ovf(*op, *x, *y, *s, dst, ty)?,
            Op::ICmp(..) | Op::FCmp(..) => {
                if !self.fused_into_next(i) && !self.fused_into_select(i) {
                    let f = self.compare(&inst.op);
                    self.materialize(f, dst);
                }
            }
            Op::Select(c, x, y) => self.select(*c, *x, *y, dst, ty),
            Op::Conv(c, x) => self.conv(*c, *x, dst, ty),
            Op::Load { base, disp, .. } => self.load(*base, *disp, dst, ty),
            Op::Store { base, disp, value, .. } => self.store(*base, *disp, *value),
            Op::Call { callee, args, .. } => self.call(callee, args, dst, inst.ty)?,
            Op::Guard { cond, expect, snap } => self.guard(*cond, *expect, *snap)?,
            // A promote is a hint for recording and trace building; it runs as nothing.
            Op::Input { .. }
            | Op::Const { .. }
            | Op::LoopParam { .. }
            | Op::Promote(_)
            | Op::Hint(_)
            | Op::Nop => {}
        }
        Ok(())
    }

    fn ibin(&mut self, op: BinOp, x: Value, y: Value, dst: Opnd, ty: Type) {
        let fused = match (self.mem_of(y), self.mem_of(x)) {
            (Some(m), _) => Some((m, x)),
            (None, Some(m)) => Some((m, y)),
            _ => None,
        };
        if let Some((m, other)) = fused {
            let ox = self.op(other);
            let t = match dst {
                Opnd::R(d) if !m.uses(d) => d,
                _ => S0,
            };
            let w64 = ty == Type::I64;
            let a = &mut self.a;
            load_gpr(a, t, ox);
            macro_rules! alu_mem {
                ($op:ident) => {
                    if w64 {
                        mem!(a, m, [$op Rq(t), QWORD] [])
                    } else {
                        mem!(a, m, [$op Rd(t), DWORD] [])
                    }
                };
            }
            match op {
                BinOp::Add => alu_mem!(add),
                BinOp::Sub => alu_mem!(sub),
                BinOp::And => alu_mem!(and),
                BinOp::Or => alu_mem!(or),
                BinOp::Xor => alu_mem!(xor),
                _ => alu_mem!(imul),
            }
            store_gpr(a, dst, t);
            return;
        }
        let (mut ox, mut oy) = (self.op(x), self.op(y));
        if op.is_commutative()
            && ((matches!(ox, Opnd::I(_)) && !matches!(oy, Opnd::I(_))) || (dst == oy && dst != ox))
        {
            std::mem::swap(&mut ox, &mut oy);
        }
        let t = self.target(dst, &[oy]);
        let w64 = ty == Type::I64;
        let a = &mut self.a;
        load_gpr(a, t, ox);
        let src = fit(a, oy, w64, S1);
        match op {
            BinOp::Add => alu!(a, add, w64, t, src),
            BinOp::Sub => alu!(a, sub, w64, t, src),
            BinOp::And => alu!(a, and, w64, t, src),
            BinOp::Or => alu!(a, or, w64, t, src),
            BinOp::Xor => alu!(a, xor, w64, t, src),
            _ => imul(a, t, src, w64),
        }
        if matches!(op, BinOp::Add | BinOp::Sub | BinOp::Mul) {
            canon(a, t, ty, false);
        }
        store_gpr(a, dst, t);
    }

    fn shift(&mut self, op: BinOp, x: Value, y: Value, dst: Opnd, ty: Type) {
        let (ox, oy) = (self.op(x), self.op(y));
        let bits = ty.bits() as u64;
        // A variable count occupies rcx, so a result there is computed in S0.
        let t = if dst == Opnd::R(RCX) && !matches!(oy, Opnd::I(_)) { S0 } else { self.target(dst, &[]) };
        let w64 = ty == Type::I64;
        let a = &mut self.a;
        if bits == 1 {
            // Counts are taken modulo 1: every shift of an i1 is the identity.
            load_gpr(a, t, ox);
            store_gpr(a, dst, t);
            return;
        }
        let count = match oy {
            Opnd::I(c) => Some((c % bits) as i8),
            o => {
                load_gpr(a, RCX, o);
                if bits < 32 {
                    dynasm!(a ; .arch x64 ; and ecx, (bits - 1) as i32);
                }
                None
            }
        };
        if op == BinOp::AShr && ty == Type::I32 {
            // 32-bit sar masks the count by 31 and zero-extends the result.
            load_gpr(a, t, ox);
            match count {
                Some(n) => dynasm!(a ; .arch x64 ; sar Rd(t), n),
                None => dynasm!(a ; .arch x64 ; sar Rd(t), cl),
            }
        } else if op == BinOp::AShr {
            sext_to(a, t, ox, ty);
            match count {
                Some(n) => dynasm!(a ; .arch x64 ; sar Rq(t), n),
                None => dynasm!(a ; .arch x64 ; sar Rq(t), cl),
            }
            canon(a, t, ty, true);
        } else {
            load_gpr(a, t, ox);
            match (op, w64, count) {
                (BinOp::Shl, true, Some(n)) => dynasm!(a ; .arch x64 ; shl Rq(t), n),
                (BinOp::Shl, false, Some(n)) => dynasm!(a ; .arch x64 ; shl Rd(t), n),
                (BinOp::Shl, true, None) => dynasm!(a ; .arch x64 ; shl Rq(t), cl),
                (BinOp::Shl, false, None) => dynasm!(a ; .arch x64 ; shl Rd(t), cl),
                (_, true, Some(n)) => dynasm!(a ; .arch x64 ; shr Rq(t), n),
                (_, false, Some(n)) => dynasm!(a ; .arch x64 ; shr Rd(t), n),
                (_, true, None) => dynasm!(a ; .arch x64 ; shr Rq(t), cl),
                (_, false, None) => dynasm!(a ; .arch x64 ; shr Rd(t), cl),
            }
            if op == BinOp::Shl {
                canon(a, t, ty, false);
            }
        }
        store_gpr(a, dst, t);
    }

    fn div(&mut self, op: BinOp, x: Value, y: Value, dst: Opnd, ty: Type) {
        let (ox, oy) = (self.op(x), self.op(y));
        let signed = matches!(op, BinOp::SDiv | BinOp::SRem);
        let a = &mut self.a;
        match (signed, ty) {
            (false, _) => {
                load_gpr(a, RAX, ox);
                let d = match oy {
                    Opnd::I(b) => {
                        mov_imm(a, S1, b);
                        Opnd::R(S1)
                    }
                    o => o,
                };
                dynasm!(a ; .arch x64 ; xor edx, edx);
                match (ty == Type::I64, d) {
                    (true, Opnd::R(r)) => dynasm!(a ; .arch x64 ; div Rq(r)),
                    (false, Opnd::R(r)) => dynasm!(a ; .arch x64 ; div Rd(r)),
                    (true, Opnd::M(off)) => dynasm!(a ; .arch x64 ; div QWORD [Rq(CTX) + off]),
                    (false, Opnd::M(off)) => dynasm!(a ; .arch x64 ; div DWORD [Rq(CTX) + off]),
                    (_, Opnd::I(_)) => unreachable!(),
                }
            }
            (true, Type::I64) => {
                load_gpr(a, RAX, ox);
                let r = in_reg(a, oy, S1);
                dynasm!(a ; .arch x64 ; cqo ; idiv Rq(r));
            }
            (true, _) => {
                sext_to(a, RAX, ox, ty);
                sext_to(a, S1, oy, ty);
                dynasm!(a ; .arch x64 ; cdq ; idiv Rd(S1));
            }
        }
        let r = if matches!(op, BinOp::SDiv | BinOp::UDiv) { RAX } else { RDX };
        if signed {
            canon(a, r, ty, false);
        }
        store_gpr(a, dst, r);
    }

    fn un(&mut self, op: UnOp, x: Value, dst: Opnd, ty: Type) {
        let ox = self.op(x);
        if op.is_float() {
            let t = self.xtarget(dst, &[]);
            let a = &mut self.a;
            match op {
                UnOp::FSqrt => match fit_fpr(a, ox, XS1, S1) {
                    Opnd::R(s) => dynasm!(a ; .arch x64 ; sqrtsd Rx(t), Rx(s)),
                    Opnd::M(off) => dynasm!(a ; .arch x64 ; sqrtsd Rx(t), QWORD [Rq(CTX) + off]),
                    Opnd::I(_) => unreachable!(),
                },
                _ => {
                    load_fpr(a, t, ox, S1);
                    let mask = if op == UnOp::FNeg { 1u64 << 63 } else { !(1u64 << 63) };
                    mov_imm(a, S1, mask);
                    dynasm!(a ; .arch x64 ; movq Rx(XS1), Rq(S1));
                    if op == UnOp::FNeg {
                        dynasm!(a ; .arch x64 ; xorpd Rx(t), Rx(XS1));
                    } else {
                        dynasm!(a ; .arch x64 ; andpd Rx(t), Rx(XS1));
                    }
                }
            }
            store_fpr(a, dst, t);
            return;
        }
        let t = self.target(dst, &[]);
        let a = &mut self.a;
        load_gpr(a, t, ox);
        match (op, ty == Type::I64) {
            (UnOp::Neg, true) => dynasm!(a ; .arch x64 ; neg Rq(t)),
            (UnOp::Neg, false) => dynasm!(a ; .arch x64 ; neg Rd(t)),
            (_, true) => dynasm!(a ; .arch x64 ; not Rq(t)),
            (_, false) => dynasm!(a ; .arch x64 ; not Rd(t)),
        }
        canon(a, t, ty, false);
        store_gpr(a, dst, t);
    }

    fn fbin(&mut self, op: BinOp, x: Value, y: Value, dst: Opnd) {
        let fused = match (self.mem_of(y), self.mem_of(x)) {
            (Some(m), _) => Some((m, x)),
            (None, Some(m)) => Some((m, y)),
            _ => None,
        };
        if let Some((m, other)) = fused {
            let ox = self.op(other);
            let t = match dst {
                Opnd::R(d) => d,
                _ => XS0,
            };
            let a = &mut self.a;
            load_fpr(a, t, ox, S1);
            match op {
                BinOp::FAdd => mem!(a, m, [addsd Rx(t), QWORD] []),
                BinOp::FSub => mem!(a, m, [subsd Rx(t), QWORD] []),
                BinOp::FMul => mem!(a, m, [mulsd Rx(t), QWORD] []),
                _ => mem!(a, m, [divsd Rx(t), QWORD] []),
            }
            store_fpr(a, dst, t);
            return;
        }
        // Operands keep their order even for fadd/fmul: with two NaNs, SSE (like AArch64 and
        // the reference interpreter) returns the first one, so a swap would change the bits.
        let (ox, oy) = (self.op(x), self.op(y));
        let t = self.xtarget(dst, &[oy]);
        let a = &mut self.a;
        load_fpr(a, t, ox, S1);
        let src = fit_fpr(a, oy, XS1, S1);
        macro_rules! sse {
            ($op:ident) => {
                match src {
                    Opnd::R(s) => dynasm!(a ; .arch x64 ; $op Rx(t), Rx(s)),
                    Opnd::M(off) => dynasm!(a ; .arch x64 ; $op Rx(t), QWORD [Rq(CTX) + off]),
                    Opnd::I(_) => unreachable!(),
                }
            };
        }
        match op {
            BinOp::FAdd => sse!(addsd),
            BinOp::FSub => sse!(subsd),
            BinOp::FMul => sse!(mulsd),
            _ => sse!(divsd),
        }
        store_fpr(a, dst, t);
    }

    /// Overflow-checked arithmetic, computed in the result's register (the snapshot never
    /// shares a register with the result, so a failing check leaves it intact; the garbage
    /// result is not restored). `jo` after the operation in the type's own width (8, 16, 32
    /// or 64 bits); i8 multiply and i1 check the sign-extended result instead.
    fn ovf(
        &mut self,
        op: OvfOp,
        x: Value,
        y: Value,
        s: SnapId,
        dst: Opnd,
        ty: Type,
    ) -> Result<(), BackendError> {
        let stub = self.stub(s)?;
        let (mut ox, mut oy) = (self.op(x), self.op(y));
        if op != OvfOp::Sub
            && ((matches!(ox, Opnd::I(_)) && !matches!(oy, Opnd::I(_))) || (dst == oy && dst != ox))
        {
            std::mem::swap(&mut ox, &mut oy);
        }
        // Results that alias a live snapshot value (hand-made allocations) go through S0.
        let snap_regs =
            self.t.snaps.get(s.index()).is_some_and(|sn| sn.entries.iter().any(|&(_, v)| self.op(v) == dst));
        let t = if snap_regs { S0 } else { self.target(dst, &[oy]) };
        let a = &mut self.a;
        if matches!(ty, Type::I32 | Type::I64) {
            let w64 = ty == Type::I64;
            load_gpr(a, t, ox);
            let src = fit(a, oy, w64, S1);
            match op {
                OvfOp::Add => alu!(a, add, w64, t, src),
                OvfOp::Sub => alu!(a, sub, w64, t, src),
                OvfOp::Mul => imul(a, t, src, w64),
            }
            emit::jcc(a, Cc::O, stub);
        } else if ty == Type::I16 || (ty == Type::I8 && op != OvfOp::Mul) {
            // The narrow forms set OF for the narrow width.
            load_gpr(a, t, ox);
            macro_rules! narrow {
                ($op:ident) => {
                    match (ty, oy) {
                        (Type::I8, Opnd::R(y)) => dynasm!(a ; .arch x64 ; $op Rb(t), Rb(y)),
                        (Type::I8, Opnd::M(off)) => dynasm!(a ; .arch x64 ; $op Rb(t), BYTE [Rq(CTX) + off]),
                        (Type::I8, Opnd::I(b)) => dynasm!(a ; .arch x64 ; $op Rb(t), b as i8),
                        (_, Opnd::R(y)) => dynasm!(a ; .arch x64 ; $op Rw(t), Rw(y)),
                        (_, Opnd::M(off)) => dynasm!(a ; .arch x64 ; $op Rw(t), WORD [Rq(CTX) + off]),
                        (_, Opnd::I(b)) => dynasm!(a ; .arch x64 ; $op Rw(t), b as i16),
                    }
                };
            }
            match op {
                OvfOp::Add => narrow!(add),
                OvfOp::Sub => narrow!(sub),
                OvfOp::Mul => match oy {
                    Opnd::R(y) => dynasm!(a ; .arch x64 ; imul Rw(t), Rw(y)),
                    Opnd::M(off) => dynasm!(a ; .arch x64 ; imul Rw(t), WORD [Rq(CTX) + off]),
                    Opnd::I(b) => dynasm!(a ; .arch x64 ; imul Rw(t), Rw(t), b as i16),
                },
            }
            emit::jcc(a, Cc::O, stub);
            canon(a, t, ty, false);
        } else {
            // i8 multiply (no two-operand 8-bit imul) and i1: compute on sign-extended
            // operands, leave when the result does not survive sign-extension from the width.
            sext_to(a, S1, oy, ty);
            sext_to(a, t, ox, ty);
            match op {
                OvfOp::Add => dynasm!(a ; .arch x64 ; add Rq(t), Rq(S1)),
                OvfOp::Sub => dynasm!(a ; .arch x64 ; sub Rq(t), Rq(S1)),
                OvfOp::Mul => dynasm!(a ; .arch x64 ; imul Rq(t), Rq(S1)),
            }
            match ty {
                Type::I1 => dynasm!(a ; .arch x64 ; mov Rq(S1), Rq(t) ; and Rq(S1), 1 ; neg Rq(S1)),
                Type::I8 => dynasm!(a ; .arch x64 ; movsx Rq(S1), Rb(t)),
                _ => dynasm!(a ; .arch x64 ; movsx Rq(S1), Rw(t)),
            }
            dynasm!(a ; .arch x64 ; cmp Rq(S1), Rq(t));
            emit::jcc(a, Cc::Ne, stub);
            canon(a, t, ty, true);
        }
        store_gpr(a, dst, t);
        Ok(())
    }

    /// Emits the compare and says which flags hold its result.
    fn compare(&mut self, op: &Op) -> Flags {
        match *op {
            Op::ICmp(c, x, y) => {
                let ty = self.ty(x);
                let (mut ox, mut oy, mut c) = (self.op(x), self.op(y), c);
                let signed = matches!(c, ICmp::Slt | ICmp::Sle | ICmp::Sgt | ICmp::Sge);
                let fused = match (self.mem_of(y), self.mem_of(x)) {
                    (Some(m), _) => Some((m, ox, c)),
                    (None, Some(m)) => Some((m, oy, c.swapped())),
                    _ => None,
                };
                let a = &mut self.a;
                if let Some((m, other, cc)) = fused {
                    // The compare writes no register, so the address needs no protection.
                    let l = in_reg(a, other, S0);
                    if ty == Type::I64 {
                        mem!(a, m, [cmp Rq(l), QWORD] []);
                    } else {
                        mem!(a, m, [cmp Rd(l), DWORD] []);
                    }
                    c = cc;
                } else if signed && ty != Type::I64 && ty != Type::I32 {
                    sext_to(a, S0, ox, ty);
                    sext_to(a, S1, oy, ty);
                    dynasm!(a ; .arch x64 ; cmp Rq(S0), Rq(S1));
                } else {
                    if matches!(ox, Opnd::I(_)) && !matches!(oy, Opnd::I(_)) {
                        std::mem::swap(&mut ox, &mut oy);
                        c = c.swapped();
                    }
                    let w64 = ty == Type::I64;
                    let l = in_reg(a, ox, S0);
                    let r = fit(a, oy, w64, S1);
                    emit::cmp(a, w64, l, r);
                }
                Flags::Cc(match c {
                    ICmp::Eq => Cc::E,
                    ICmp::Ne => Cc::Ne,
                    ICmp::Slt => Cc::L,
                    ICmp::Sle => Cc::Le,
                    ICmp::Sgt => Cc::G,
                    ICmp::Sge => Cc::Ge,
                    ICmp::Ult => Cc::B,
                    ICmp::Ule => Cc::Be,
                    ICmp::Ugt => Cc::A,
                    ICmp::Uge => Cc::Ae,
                })
            }
            Op::FCmp(c, x, y) => {
                // `a < b` is `b > a`: "above" is false on unordered (CF=1), as lt must be.
                let (l, r) = if matches!(c, FCmp::Lt | FCmp::Le) { (y, x) } else { (x, y) };
                let (ol, or) = (self.op(l), self.op(r));
                let a = &mut self.a;
                let lr = match ol {
                    Opnd::R(s) => s,
                    o => {
                        load_fpr(a, XS0, o, S0);
                        XS0
                    }
                };
                match fit_fpr(a, or, XS1, S1) {
                    Opnd::R(s) => dynasm!(a ; .arch x64 ; ucomisd Rx(lr), Rx(s)),
                    Opnd::M(off) => dynasm!(a ; .arch x64 ; ucomisd Rx(lr), QWORD [Rq(CTX) + off]),
                    Opnd::I(_) => unreachable!(),
                }
                match c {
                    FCmp::Eq => Flags::FEq,
                    FCmp::Ne => Flags::FNe,
                    FCmp::Lt | FCmp::Gt => Flags::Cc(Cc::A),
                    FCmp::Le | FCmp::Ge => Flags::Cc(Cc::Ae),
                    FCmp::Uno => Flags::Cc(Cc::P),
                }
            }
            _ => unreachable!("compare of a non-compare"),
        }
    }

    fn materialize(&mut self, f: Flags, dst: Opnd) {
        let t = self.target(dst, &[]);
        let a = &mut self.a;
        match f {
            Flags::Cc(cc) => emit::setcc(a, cc, t),
            Flags::FEq => {
                emit::setcc(a, Cc::E, t);
                emit::setcc(a, Cc::Np, S1);
                dynasm!(a ; .arch x64 ; and Rb(t), Rb(S1));
            }
            Flags::FNe => {
                emit::setcc(a, Cc::Ne, t);
                emit::setcc(a, Cc::P, S1);
                dynasm!(a ; .arch x64 ; or Rb(t), Rb(S1));
            }
        }
        dynasm!(a ; .arch x64 ; movzx Rd(t), Rb(t));
        store_gpr(a, dst, t);
    }

    /// Leaves through `stub` when the flags say `f` is `when`.
    fn exit_if(&mut self, f: Flags, when: bool, stub: DynamicLabel) {
        let a = &mut self.a;
        match (f, when) {
            (Flags::Cc(cc), true) => emit::jcc(a, cc, stub),
            (Flags::Cc(cc), false) => emit::jcc(a, cc.negate(), stub),
            // Leave when not (ZF=1 and PF=0), or when (ZF=0 or PF=1): unordered or unequal.
            (Flags::FEq, false) | (Flags::FNe, true) => {
                emit::jcc(a, Cc::P, stub);
                emit::jcc(a, Cc::Ne, stub);
            }
            // Leave when ordered and equal.
            (Flags::FEq, true) | (Flags::FNe, false) => {
                let skip = a.new_dynamic_label();
                emit::jcc(a, Cc::P, skip);
                emit::jcc(a, Cc::E, stub);
                dynasm!(a ; .arch x64 ; =>skip);
            }
        }
    }

    fn guard(&mut self, cond: Value, expect: bool, s: SnapId) -> Result<(), BackendError> {
        let stub = self.stub(s)?;
        let ci = cond.index();
        if self.fused_into_next(ci) {
            let t = self.t;
            let f = self.compare(&t.insts[ci].op);
            self.exit_if(f, !expect, stub);
            return Ok(());
        }
        let oc = self.op(cond);
        let a = &mut self.a;
        match oc {
            Opnd::I(b) => {
                if ((b & 1) != 0) != expect {
                    dynasm!(a ; .arch x64 ; jmp =>stub);
                }
                return Ok(());
            }
            Opnd::R(r) => dynasm!(a ; .arch x64 ; test Rd(r), Rd(r)),
            Opnd::M(off) => dynasm!(a ; .arch x64 ; cmp BYTE [Rq(CTX) + off], 0),
        }
        emit::jcc(a, if expect { Cc::E } else { Cc::Ne }, stub);
        Ok(())
    }

    fn select(&mut self, c: Value, x: Value, y: Value, dst: Opnd, ty: Type) {
        let (oc, ox, oy) = (self.op(c), self.op(x), self.op(y));
        if let Opnd::I(b) = oc {
            let o = if b & 1 != 0 { ox } else { oy };
            let xt = self.xtarget(dst, &[]);
            let a = &mut self.a;
            if ty == Type::F64 {
                let t = xt;
                load_fpr(a, t, o, S1);
                store_fpr(a, dst, t);
            } else {
                let t = if let Opnd::R(d) = dst { d } else { S0 };
                load_gpr(a, t, o);
                store_gpr(a, dst, t);
            }
            return;
        }
        // The condition's flags: from the fused compare, or from testing the i1.
        let fused = self.fused_into_select(c.index());
        let cc = if fused {
            let t = self.t;
            match self.compare(&t.insts[c.index()].op) {
                Flags::Cc(cc) => cc,
                _ => unreachable!("two-flag compares are not fused"),
            }
        } else {
            test_cond(&mut self.a, oc);
            Cc::Ne
        };
        if ty == Type::F64 {
            let a = &mut self.a;
            let (other, end) = (a.new_dynamic_label(), a.new_dynamic_label());
            emit::jcc(a, cc.negate(), other);
            load_fpr(a, XS0, ox, S1);
            dynasm!(a ; .arch x64 ; jmp =>end ; =>other);
            load_fpr(a, XS0, oy, S1);
            dynasm!(a ; .arch x64 ; =>end);
            store_fpr(a, dst, XS0);
            return;
        }
        // Only flag-preserving `mov`s from here to the cmov.
        let t = self.target(dst, &[ox, oc]);
        let a = &mut self.a;
        load_gpr(a, t, oy);
        let src = match ox {
            Opnd::I(b) => {
                mov_imm(a, S1, b);
                Opnd::R(S1)
            }
            o => o,
        };
        emit::cmov(a, cc, t, src);
        store_gpr(a, dst, t);
    }

    fn conv(&mut self, c: Conv, x: Value, dst: Opnd, ty: Type) {
        let from = self.ty(x);
        let ox = self.op(x);
        let a = &mut self.a;
        match c {
            Conv::SIToFP => {
                let t = match dst {
                    Opnd::R(d) => d,
                    _ => XS0,
                };
                sext_to(a, S0, ox, from);
                dynasm!(a ; .arch x64 ; xorps Rx(t), Rx(t) ; cvtsi2sd Rx(t), Rq(S0));
                store_fpr(a, dst, t);
            }
            Conv::FPToSI => {
                let t = if let Opnd::R(d) = dst { d } else { S0 };
                match fit_fpr(a, ox, XS1, S1) {
                    Opnd::R(s) => dynasm!(a ; .arch x64 ; cvttsd2si Rq(t), Rx(s)),
                    Opnd::M(off) => dynasm!(a ; .arch x64 ; cvttsd2si Rq(t), QWORD [Rq(CTX) + off]),
                    Opnd::I(_) => unreachable!(),
                }
                canon(a, t, ty, true);
                store_gpr(a, dst, t);
            }
            Conv::Bitcast if ty == Type::F64 => {
                let t = match dst {
                    Opnd::R(d) => d,
                    _ => XS0,
                };
                match ox {
                    Opnd::R(s) => dynasm!(a ; .arch x64 ; movq Rx(t), Rq(s)),
                    o => load_fpr(a, t, o, S1),
                }
                store_fpr(a, dst, t);
            }
            Conv::Bitcast => {
                let t = if let Opnd::R(d) = dst { d } else { S0 };
                match ox {
                    Opnd::R(s) => dynasm!(a ; .arch x64 ; movq Rq(t), Rx(s)),
                    o => load_gpr(a, t, o),
                }
                store_gpr(a, dst, t);
            }
            Conv::ZExt | Conv::SExt | Conv::Trunc => {
                let t = if let Opnd::R(d) = dst { d } else { S0 };
                if c == Conv::SExt {
                    sext_to(a, t, ox, from);
                    canon(a, t, ty, true);
                } else {
                    load_gpr(a, t, ox);
                    if c == Conv::Trunc {
                        canon(a, t, ty, true);
                    }
                }
                store_gpr(a, dst, t);
            }
        }
    }

    fn load(&mut self, base: Value, disp: i32, dst: Opnd, ty: Type) {
        let m = self.addr(base, disp);
        let a = &mut self.a;
        if ty == Type::F64 {
            let t = match dst {
                Opnd::R(d) => d,
                _ => XS0,
            };
            mem!(a, m, [movsd Rx(t), QWORD] []);
            store_fpr(a, dst, t);
            return;
        }
        let t = if let Opnd::R(d) = dst { d } else { S0 };
        match ty {
            Type::I1 | Type::I8 => mem!(a, m, [movzx Rd(t), BYTE] []),
            Type::I16 => mem!(a, m, [movzx Rd(t), WORD] []),
            Type::I32 => mem!(a, m, [mov Rd(t), DWORD] []),
            _ => mem!(a, m, [mov Rq(t), QWORD] []),
        }
        if ty == Type::I1 {
            dynasm!(a ; .arch x64 ; and Rd(t), 1);
        }
        store_gpr(a, dst, t);
    }

    fn store(&mut self, base: Value, disp: i32, value: Value) {
        let ty = self.ty(value);
        let ov = self.op(value);
        let m = self.addr(base, disp);
        let a = &mut self.a;
        if let (Type::F64, Opnd::R(x)) = (ty, ov) {
            mem!(a, m, [movsd QWORD] [, Rx(x)]);
            return;
        }
        match (ty.bytes(), ov) {
            (1, Opnd::I(i)) => mem!(a, m, [mov BYTE] [, i as i8]),
            (2, Opnd::I(i)) => mem!(a, m, [mov WORD] [, i as i16]),
            (4, Opnd::I(i)) => mem!(a, m, [mov DWORD] [, i as i32]),
            (_, Opnd::I(i)) if emit::imm_fits(i, true) => mem!(a, m, [mov QWORD] [, i as i32]),
            (n, o) => {
                let r = in_reg(a, o, S0);
                match n {
                    1 => mem!(a, m, [mov BYTE] [, Rb(r)]),
                    2 => mem!(a, m, [mov WORD] [, Rw(r)]),
                    4 => mem!(a, m, [mov DWORD] [, Rd(r)]),
                    _ => mem!(a, m, [mov QWORD] [, Rq(r)]),
                }
            }
        }
    }

    /// A System V call: stack arguments first (their sources are untouched yet), then a
    /// parallel move into the argument registers with the target address going to `rax`,
    /// `call rax`, and the result from `rax`/`xmm0`, made canonical.
    fn call(
        &mut self,
        callee: &Callee,
        args: &[Value],
        dst: Opnd,
        ret: Option<Type>,
    ) -> Result<(), BackendError> {
        let target = match callee {
            Callee::Symbol(name) => {
                Opnd::I(self.syms.addr(name).ok_or_else(|| BackendError::UnknownSymbol(name.clone()))?)
            }
            Callee::Value(v) => self.op(*v),
        };
        let (mut gi, mut fi, mut si) = (0usize, 0usize, 0usize);
        let mut gmoves = vec![(RAX, target)];
        let mut fmoves = Vec::new();
        let mut stack = Vec::new();
        for &v in args {
            let o = self.op(v);
            if self.ty(v) == Type::F64 && fi < ARG_FPRS.len() {
                fmoves.push((ARG_FPRS[fi], o));
                fi += 1;
            } else if self.ty(v) != Type::F64 && gi < ARG_GPRS.len() {
                gmoves.push((ARG_GPRS[gi], o));
                gi += 1;
            } else {
                stack.push((self.ty(v), o, si as i32 * 8));
                si += 1;
            }
        }
        if si > crate::exit::OUTGOING_ARGS {
            return Err(unsupported(format!(
                "a call with {si} stack arguments (at most {})",
                crate::exit::OUTGOING_ARGS
            )));
        }
        let a = &mut self.a;
        for (ty, o, off) in stack {
            match (ty, o) {
                (Type::F64, Opnd::R(x)) => dynasm!(a ; .arch x64 ; movsd QWORD [rsp + off], Rx(x)),
                (_, Opnd::I(b)) if emit::imm_fits(b, true) => {
                    dynasm!(a ; .arch x64 ; mov QWORD [rsp + off], b as i32)
                }
                (_, o) => {
                    let r = in_reg(a, o, S0);
                    dynasm!(a ; .arch x64 ; mov QWORD [rsp + off], Rq(r));
                }
            }
        }
        emit::parallel_to_regs(a, &gmoves, RegClass::Gpr, S0);
        emit::parallel_to_regs(a, &fmoves, RegClass::Fpr, XS0);
        dynasm!(a ; .arch x64 ; call rax);
        match ret {
            Some(Type::F64) => store_fpr(a, dst, 0),
            Some(ty) if dst != Opnd::I(0) => {
                // The C ABI leaves the bits above a narrow result undefined.
                canon(a, RAX, ty, true);
                store_gpr(a, dst, RAX);
            }
            _ => {}
        }
        Ok(())
    }
}

/// `imul t, src` (the three-operand form for immediates).
fn imul(a: &mut Asm, t: u8, src: Opnd, w64: bool) {
    match (w64, src) {
        (true, Opnd::R(s)) => dynasm!(a ; .arch x64 ; imul Rq(t), Rq(s)),
        (false, Opnd::R(s)) => dynasm!(a ; .arch x64 ; imul Rd(t), Rd(s)),
        (true, Opnd::M(off)) => dynasm!(a ; .arch x64 ; imul Rq(t), QWORD [Rq(CTX) + off]),
        (false, Opnd::M(off)) => dynasm!(a ; .arch x64 ; imul Rd(t), DWORD [Rq(CTX) + off]),
        (true, Opnd::I(b)) => dynasm!(a ; .arch x64 ; imul Rq(t), Rq(t), b as i32),
        (false, Opnd::I(b)) => dynasm!(a ; .arch x64 ; imul Rd(t), Rd(t), b as i32),
    }
}

/// Sets ZF from an i1 in a register or spill slot.
fn test_cond(a: &mut Asm, c: Opnd) {
    match c {
        Opnd::R(r) => dynasm!(a ; .arch x64 ; test Rd(r), Rd(r)),
        Opnd::M(off) => dynasm!(a ; .arch x64 ; cmp BYTE [Rq(CTX) + off], 0),
        Opnd::I(_) => {}
    }
}

/// Loads `ty` from `[base + disp]` into `r`, zero-extended.
fn load_mem(a: &mut Asm, ty: Type, r: u8, base: u8, disp: i32) {
    match ty {
        Type::I1 => dynasm!(a ; .arch x64 ; movzx Rd(r), BYTE [Rq(base) + disp] ; and Rd(r), 1),
        Type::I8 => dynasm!(a ; .arch x64 ; movzx Rd(r), BYTE [Rq(base) + disp]),
        Type::I16 => dynasm!(a ; .arch x64 ; movzx Rd(r), WORD [Rq(base) + disp]),
        Type::I32 => dynasm!(a ; .arch x64 ; mov Rd(r), DWORD [Rq(base) + disp]),
        _ => dynasm!(a ; .arch x64 ; mov Rq(r), QWORD [Rq(base) + disp]),
    }
}

/// The byte offset of a slot in the slot array.
pub fn slot_off(slot: u32) -> Result<i32, BackendError> {
    i32::try_from(slot as u64 * 8)
        .map_err(|_| unsupported(format!("slot {slot} is out of displacement range")))
}
