//! Instruction helpers over dynasm: operands as register / ctx slot / immediate, immediates
//! in the cheapest encoding, moves between locations, sign extension and canonical
//! (zero-extended) form, condition codes.

use dynasmrt::x64::X64Relocation;
use dynasmrt::{dynasm, DynamicLabel, DynasmApi, DynasmLabelApi, VecAssembler};
use std::mem::offset_of;
use trace_ir::exit::TraceCtx;
use trace_ir::regalloc::{Loc, RegClass};
use trace_ir::Type;

use crate::regs::{CTX, S1};

pub type Asm = VecAssembler<X64Relocation>;

pub const SLOTS_OFF: i32 = offset_of!(TraceCtx, slots) as i32;
pub const EXIT_TRACE_OFF: i32 = offset_of!(TraceCtx, exit_trace) as i32;
pub const EXIT_SNAP_OFF: i32 = offset_of!(TraceCtx, exit_snap) as i32;

pub fn gpr_off(hw: u8) -> i32 {
    (offset_of!(TraceCtx, gpr) + 8 * hw as usize) as i32
}

pub fn fpr_off(hw: u8) -> i32 {
    (offset_of!(TraceCtx, fpr) + 8 * hw as usize) as i32
}

pub fn spill_off(k: u32) -> i32 {
    (offset_of!(TraceCtx, spill) + 8 * k as usize) as i32
}

/// An operand: a register, a ctx-relative memory slot (`[r15 + off]`) or constant bits.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Opnd {
    R(u8),
    M(i32),
    I(u64),
}

impl Opnd {
    pub fn of(loc: Loc) -> Opnd {
        match loc {
            Loc::Reg(r) => Opnd::R(r.hw),
            Loc::Spill(k) => Opnd::M(spill_off(k)),
            Loc::Const(b) => Opnd::I(b),
            Loc::None => Opnd::I(0),
        }
    }
}

/// Whether `bits` is encodable as the (sign-extended) imm32 of an instruction of this width.
pub fn imm_fits(bits: u64, w64: bool) -> bool {
    if w64 {
        bits as i64 == bits as i32 as i64
    } else {
        bits <= u32::MAX as u64 || bits as i64 == bits as i32 as i64
    }
}

/// Loads `bits` into `r` without touching the flags, in the shortest `mov` form.
pub fn mov_imm(a: &mut Asm, r: u8, bits: u64) {
    if bits <= u32::MAX as u64 {
        dynasm!(a ; .arch x64 ; mov Rd(r), bits as u32 as i32);
    } else if bits as i64 == bits as i32 as i64 {
        dynasm!(a ; .arch x64 ; mov Rq(r), bits as i32);
    } else {
        dynasm!(a ; .arch x64 ; mov Rq(r), QWORD bits as i64);
    }
}

/// Loads all 64 bits of an operand into `r`.
pub fn load_gpr(a: &mut Asm, r: u8, o: Opnd) {
    match o {
        Opnd::R(s) if s == r => {}
        Opnd::R(s) => dynasm!(a ; .arch x64 ; mov Rq(r), Rq(s)),
        Opnd::M(off) => dynasm!(a ; .arch x64 ; mov Rq(r), QWORD [Rq(CTX) + off]),
        Opnd::I(b) => mov_imm(a, r, b),
    }
}

/// An operand usable as the source of a two-operand ALU instruction: immediates that do not
/// fit go through `tmp`.
pub fn fit(a: &mut Asm, o: Opnd, w64: bool, tmp: u8) -> Opnd {
    match o {
        Opnd::I(b) if !imm_fits(b, w64) => {
            mov_imm(a, tmp, b);
            Opnd::R(tmp)
        }
        o => o,
    }
}

/// An operand in a register: registers stay, anything else is loaded into `tmp`.
pub fn in_reg(a: &mut Asm, o: Opnd, tmp: u8) -> u8 {
    match o {
        Opnd::R(r) => r,
        o => {
            load_gpr(a, tmp, o);
            tmp
        }
    }
}

/// Stores the 64 bits of `r` to a register or ctx slot.
pub fn store_gpr(a: &mut Asm, dst: Opnd, r: u8) {
    match dst {
        Opnd::R(d) if d == r => {}
        Opnd::R(d) => dynasm!(a ; .arch x64 ; mov Rq(d), Rq(r)),
        Opnd::M(off) => dynasm!(a ; .arch x64 ; mov QWORD [Rq(CTX) + off], Rq(r)),
        Opnd::I(_) => {}
    }
}

/// Loads an f64 operand into xmm `x`; constants go through GPR `tmp`.
pub fn load_fpr(a: &mut Asm, x: u8, o: Opnd, tmp: u8) {
    match o {
        Opnd::R(s) if s == x => {}
        Opnd::R(s) => dynasm!(a ; .arch x64 ; movapd Rx(x), Rx(s)),
        Opnd::M(off) => dynasm!(a ; .arch x64 ; movsd Rx(x), QWORD [Rq(CTX) + off]),
        Opnd::I(b) => {
            mov_imm(a, tmp, b);
            dynasm!(a ; .arch x64 ; movq Rx(x), Rq(tmp));
        }
    }
}

/// An f64 operand usable as the source of an SSE instruction (register or memory).
pub fn fit_fpr(a: &mut Asm, o: Opnd, xtmp: u8, tmp: u8) -> Opnd {
    match o {
        Opnd::I(_) => {
            load_fpr(a, xtmp, o, tmp);
            Opnd::R(xtmp)
        }
        o => o,
    }
}

pub fn store_fpr(a: &mut Asm, dst: Opnd, x: u8) {
    match dst {
        Opnd::R(d) if d == x => {}
        Opnd::R(d) => dynasm!(a ; .arch x64 ; movapd Rx(d), Rx(x)),
        Opnd::M(off) => dynasm!(a ; .arch x64 ; movsd QWORD [Rq(CTX) + off], Rx(x)),
        Opnd::I(_) => {}
    }
}

/// One move between locations of one class (allocator moves: may name the `S0`/`XS0`
/// cycle temporaries; memory-to-memory and constants go through `S1`).
pub fn move_loc(a: &mut Asm, from: Loc, to: Loc, class: RegClass) {
    if from == to || to == Loc::None || from == Loc::None {
        return;
    }
    let (f, t) = (Opnd::of(from), Opnd::of(to));
    match class {
        RegClass::Gpr => match (f, t) {
            (Opnd::I(b), Opnd::M(off)) if imm_fits(b, true) => {
                dynasm!(a ; .arch x64 ; mov QWORD [Rq(CTX) + off], b as i32)
            }
            (f, Opnd::R(d)) => load_gpr(a, d, f),
            (f, t) => {
                let r = in_reg(a, f, S1);
                store_gpr(a, t, r);
            }
        },
        RegClass::Fpr => match (f, t) {
            (Opnd::I(0), Opnd::R(d)) => dynasm!(a ; .arch x64 ; xorps Rx(d), Rx(d)),
            (f, Opnd::R(d)) => load_fpr(a, d, f, S1),
            (Opnd::R(s), t) => store_fpr(a, t, s),
            // Memory or constant to memory: the bits are the same in a GPR.
            (f, t) => move_loc(a, loc_of(f), loc_of(t), RegClass::Gpr),
        },
    }
}

fn loc_of(o: Opnd) -> Loc {
    match o {
        Opnd::R(r) => Loc::Reg(trace_ir::regalloc::Reg::gpr(r)),
        Opnd::M(off) => Loc::Spill(((off as usize - offset_of!(TraceCtx, spill)) / 8) as u32),
        Opnd::I(b) => Loc::Const(b),
    }
}

/// Puts a canonical integer of type `ty` into `r` sign-extended to 64 bits.
pub fn sext_to(a: &mut Asm, r: u8, o: Opnd, ty: Type) {
    match (o, ty) {
        (Opnd::I(b), _) => mov_imm(a, r, ty.sext(b) as u64),
        (o, Type::I1) => {
            load_gpr(a, r, o);
            dynasm!(a ; .arch x64 ; neg Rq(r));
        }
        (Opnd::R(s), Type::I8) => dynasm!(a ; .arch x64 ; movsx Rq(r), Rb(s)),
        (Opnd::M(off), Type::I8) => dynasm!(a ; .arch x64 ; movsx Rq(r), BYTE [Rq(CTX) + off]),
        (Opnd::R(s), Type::I16) => dynasm!(a ; .arch x64 ; movsx Rq(r), Rw(s)),
        (Opnd::M(off), Type::I16) => dynasm!(a ; .arch x64 ; movsx Rq(r), WORD [Rq(CTX) + off]),
        (Opnd::R(s), Type::I32) => dynasm!(a ; .arch x64 ; movsxd Rq(r), Rd(s)),
        (Opnd::M(off), Type::I32) => dynasm!(a ; .arch x64 ; movsxd Rq(r), DWORD [Rq(CTX) + off]),
        (o, _) => load_gpr(a, r, o),
    }
}

/// Makes `r` canonical for `ty` after an operation that may have left garbage above the
/// type's width. `wide` says the operation was 64-bit (so `i32` needs zero-extension too).
pub fn canon(a: &mut Asm, r: u8, ty: Type, wide: bool) {
    match ty {
        Type::I1 => dynasm!(a ; .arch x64 ; and Rd(r), 1),
        Type::I8 => dynasm!(a ; .arch x64 ; movzx Rd(r), Rb(r)),
        Type::I16 => dynasm!(a ; .arch x64 ; movzx Rd(r), Rw(r)),
        Type::I32 if wide => dynasm!(a ; .arch x64 ; mov Rd(r), Rd(r)),
        _ => {}
    }
}

/// x86 condition codes.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Cc {
    O,
    No,
    B,
    Ae,
    E,
    Ne,
    Be,
    A,
    P,
    Np,
    L,
    Ge,
    Le,
    G,
}

impl Cc {
    pub fn negate(self) -> Cc {
        match self {
            Cc::O => Cc::No,
            Cc::No => Cc::O,
            Cc::B => Cc::Ae,
            Cc::Ae => Cc::B,
            Cc::E => Cc::Ne,
            Cc::Ne => Cc::E,
            Cc::Be => Cc::A,
            Cc::A => Cc::Be,
            Cc::P => Cc::Np,
            Cc::Np => Cc::P,
            Cc::L => Cc::Ge,
            Cc::Ge => Cc::L,
            Cc::Le => Cc::G,
            Cc::G => Cc::Le,
        }
    }
}

/// `jcc` to a label (always rel32, so every guard has the same shape).
pub fn jcc(a: &mut Asm, cc: Cc, l: DynamicLabel) {
    match cc {
        Cc::O => dynasm!(a ; .arch x64 ; jo =>l),
        Cc::No => dynasm!(a ; .arch x64 ; jno =>l),
        Cc::B => dynasm!(a ; .arch x64 ; jb =>l),
        Cc::Ae => dynasm!(a ; .arch x64 ; jae =>l),
        Cc::E => dynasm!(a ; .arch x64 ; je =>l),
        Cc::Ne => dynasm!(a ; .arch x64 ; jne =>l),
        Cc::Be => dynasm!(a ; .arch x64 ; jbe =>l),
        Cc::A => dynasm!(a ; .arch x64 ; ja =>l),
        Cc::P => dynasm!(a ; .arch x64 ; jp =>l),
        Cc::Np => dynasm!(a ; .arch x64 ; jnp =>l),
        Cc::L => dynasm!(a ; .arch x64 ; jl =>l),
        Cc::Ge => dynasm!(a ; .arch x64 ; jge =>l),
        Cc::Le => dynasm!(a ; .arch x64 ; jle =>l),
        Cc::G => dynasm!(a ; .arch x64 ; jg =>l),
    }
}

/// `setcc` into the low byte of `r`.
pub fn setcc(a: &mut Asm, cc: Cc, r: u8) {
    match cc {
        Cc::O => dynasm!(a ; .arch x64 ; seto Rb(r)),
        Cc::No => dynasm!(a ; .arch x64 ; setno Rb(r)),
        Cc::B => dynasm!(a ; .arch x64 ; setb Rb(r)),
        Cc::Ae => dynasm!(a ; .arch x64 ; setae Rb(r)),
        Cc::E => dynasm!(a ; .arch x64 ; sete Rb(r)),
        Cc::Ne => dynasm!(a ; .arch x64 ; setne Rb(r)),
        Cc::Be => dynasm!(a ; .arch x64 ; setbe Rb(r)),
        Cc::A => dynasm!(a ; .arch x64 ; seta Rb(r)),
        Cc::P => dynasm!(a ; .arch x64 ; setp Rb(r)),
        Cc::Np => dynasm!(a ; .arch x64 ; setnp Rb(r)),
        Cc::L => dynasm!(a ; .arch x64 ; setl Rb(r)),
        Cc::Ge => dynasm!(a ; .arch x64 ; setge Rb(r)),
        Cc::Le => dynasm!(a ; .arch x64 ; setle Rb(r)),
        Cc::G => dynasm!(a ; .arch x64 ; setg Rb(r)),
    }
}

/// `op dst, src` for the integer ALU ops with a register/memory/immediate source, 32- or
/// 64-bit; immediates use imm8 when they fit. The immediate must satisfy `imm_fits`.
macro_rules! alu {
    ($a:expr, $op:ident, $w64:expr, $d:expr, $src:expr) => {{
        let d: u8 = $d;
        match ($w64, $src) {
            (true, Opnd::R(s)) => dynasm!($a ; .arch x64 ; $op Rq(d), Rq(s)),
            (false, Opnd::R(s)) => dynasm!($a ; .arch x64 ; $op Rd(d), Rd(s)),
            (true, Opnd::M(off)) => dynasm!($a ; .arch x64 ; $op Rq(d), QWORD [Rq(CTX) + off]),
            (false, Opnd::M(off)) => dynasm!($a ; .arch x64 ; $op Rd(d), DWORD [Rq(CTX) + off]),
            (_, Opnd::I(b)) => {
                let i = b as i32;
                match ($w64, i as i8 as i32 == i) {
                    (true, true) => dynasm!($a ; .arch x64 ; $op Rq(d), BYTE i as i8),
                    (true, false) => dynasm!($a ; .arch x64 ; $op Rq(d), DWORD i),
                    (false, true) => dynasm!($a ; .arch x64 ; $op Rd(d), BYTE i as i8),
                    (false, false) => dynasm!($a ; .arch x64 ; $op Rd(d), DWORD i),
                }
            }
        }
    }};
}
pub(crate) use alu;

/// Binds a fresh label here.
pub fn here(a: &mut Asm) -> DynamicLabel {
    let l = a.new_dynamic_label();
    dynasm!(a ; .arch x64 ; =>l);
    l
}

/// A sequence of moves into registers that reads every source before it is overwritten
/// (call arguments). Sources that are not registers never conflict and go last; cycles go
/// through `cycle_tmp`.
pub fn parallel_to_regs(a: &mut Asm, moves: &[(u8, Opnd)], class: RegClass, cycle_tmp: u8) {
    let mut pending: Vec<(u8, Opnd)> = moves.iter().copied().filter(|&(d, s)| s != Opnd::R(d)).collect();
    let emit = |a: &mut Asm, d: u8, s: Opnd| match class {
        RegClass::Gpr => load_gpr(a, d, s),
        RegClass::Fpr => match s {
            Opnd::I(0) => dynasm!(a ; .arch x64 ; xorps Rx(d), Rx(d)),
            s => load_fpr(a, d, s, S1),
        },
    };
    while !pending.is_empty() {
        let ready = pending.iter().position(|&(d, _)| !pending.iter().any(|&(_, s)| s == Opnd::R(d)));
        match ready {
            Some(i) => {
                let (d, s) = pending.remove(i);
                emit(a, d, s);
            }
            None => {
                // Every destination is still to be read: a cycle of registers. Save one
                // destination's current value and redirect its readers.
                let d = pending[0].0;
                emit(a, cycle_tmp, Opnd::R(d));
                for p in pending.iter_mut() {
                    if p.1 == Opnd::R(d) {
                        p.1 = Opnd::R(cycle_tmp);
                    }
                }
            }
        }
    }
}

/// `cmp l, src` (dynasm has no imm8 template for a run-time cmp immediate, so imm32).
pub fn cmp(a: &mut Asm, w64: bool, l: u8, src: Opnd) {
    match (w64, src) {
        // Same flags as `cmp l, 0` for every condition, three bytes shorter.
        (true, Opnd::I(0)) => dynasm!(a ; .arch x64 ; test Rq(l), Rq(l)),
        (false, Opnd::I(0)) => dynasm!(a ; .arch x64 ; test Rd(l), Rd(l)),
        (true, Opnd::R(s)) => dynasm!(a ; .arch x64 ; cmp Rq(l), Rq(s)),
        (false, Opnd::R(s)) => dynasm!(a ; .arch x64 ; cmp Rd(l), Rd(s)),
        (true, Opnd::M(off)) => dynasm!(a ; .arch x64 ; cmp Rq(l), QWORD [Rq(CTX) + off]),
        (false, Opnd::M(off)) => dynasm!(a ; .arch x64 ; cmp Rd(l), DWORD [Rq(CTX) + off]),
        (true, Opnd::I(b)) => dynasm!(a ; .arch x64 ; cmp Rq(l), DWORD b as i32),
        (false, Opnd::I(b)) => dynasm!(a ; .arch x64 ; cmp Rd(l), DWORD b as i32),
    }
}

/// `cmovcc t, src` (64-bit; the source is a register or ctx slot).
pub fn cmov(a: &mut Asm, cc: Cc, t: u8, src: Opnd) {
    match (cc, src) {
        (Cc::O, Opnd::R(s)) => dynasm!(a ; .arch x64 ; cmovo Rq(t), Rq(s)),
        (Cc::O, Opnd::M(off)) => dynasm!(a ; .arch x64 ; cmovo Rq(t), QWORD [Rq(CTX) + off]),
        (Cc::No, Opnd::R(s)) => dynasm!(a ; .arch x64 ; cmovno Rq(t), Rq(s)),
        (Cc::No, Opnd::M(off)) => dynasm!(a ; .arch x64 ; cmovno Rq(t), QWORD [Rq(CTX) + off]),
        (Cc::B, Opnd::R(s)) => dynasm!(a ; .arch x64 ; cmovb Rq(t), Rq(s)),
        (Cc::B, Opnd::M(off)) => dynasm!(a ; .arch x64 ; cmovb Rq(t), QWORD [Rq(CTX) + off]),
        (Cc::Ae, Opnd::R(s)) => dynasm!(a ; .arch x64 ; cmovae Rq(t), Rq(s)),
        (Cc::Ae, Opnd::M(off)) => dynasm!(a ; .arch x64 ; cmovae Rq(t), QWORD [Rq(CTX) + off]),
        (Cc::E, Opnd::R(s)) => dynasm!(a ; .arch x64 ; cmove Rq(t), Rq(s)),
        (Cc::E, Opnd::M(off)) => dynasm!(a ; .arch x64 ; cmove Rq(t), QWORD [Rq(CTX) + off]),
        (Cc::Ne, Opnd::R(s)) => dynasm!(a ; .arch x64 ; cmovne Rq(t), Rq(s)),
        (Cc::Ne, Opnd::M(off)) => dynasm!(a ; .arch x64 ; cmovne Rq(t), QWORD [Rq(CTX) + off]),
        (Cc::Be, Opnd::R(s)) => dynasm!(a ; .arch x64 ; cmovbe Rq(t), Rq(s)),
        (Cc::Be, Opnd::M(off)) => dynasm!(a ; .arch x64 ; cmovbe Rq(t), QWORD [Rq(CTX) + off]),
        (Cc::A, Opnd::R(s)) => dynasm!(a ; .arch x64 ; cmova Rq(t), Rq(s)),
        (Cc::A, Opnd::M(off)) => dynasm!(a ; .arch x64 ; cmova Rq(t), QWORD [Rq(CTX) + off]),
        (Cc::P, Opnd::R(s)) => dynasm!(a ; .arch x64 ; cmovp Rq(t), Rq(s)),
        (Cc::P, Opnd::M(off)) => dynasm!(a ; .arch x64 ; cmovp Rq(t), QWORD [Rq(CTX) + off]),
        (Cc::Np, Opnd::R(s)) => dynasm!(a ; .arch x64 ; cmovnp Rq(t), Rq(s)),
        (Cc::Np, Opnd::M(off)) => dynasm!(a ; .arch x64 ; cmovnp Rq(t), QWORD [Rq(CTX) + off]),
        (Cc::L, Opnd::R(s)) => dynasm!(a ; .arch x64 ; cmovl Rq(t), Rq(s)),
        (Cc::L, Opnd::M(off)) => dynasm!(a ; .arch x64 ; cmovl Rq(t), QWORD [Rq(CTX) + off]),
        (Cc::Ge, Opnd::R(s)) => dynasm!(a ; .arch x64 ; cmovge Rq(t), Rq(s)),
        (Cc::Ge, Opnd::M(off)) => dynasm!(a ; .arch x64 ; cmovge Rq(t), QWORD [Rq(CTX) + off]),
        (Cc::Le, Opnd::R(s)) => dynasm!(a ; .arch x64 ; cmovle Rq(t), Rq(s)),
        (Cc::Le, Opnd::M(off)) => dynasm!(a ; .arch x64 ; cmovle Rq(t), QWORD [Rq(CTX) + off]),
        (Cc::G, Opnd::R(s)) => dynasm!(a ; .arch x64 ; cmovg Rq(t), Rq(s)),
        (Cc::G, Opnd::M(off)) => dynasm!(a ; .arch x64 ; cmovg Rq(t), QWORD [Rq(CTX) + off]),
        (_, Opnd::I(_)) => unreachable!("cmov has no immediate form"),
    }
}

/// A memory operand `[base + index * scale + disp]`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Addr {
    pub base: u8,
    /// Index register and scale (1, 2, 4 or 8).
    pub index: Option<(u8, u8)>,
    pub disp: i32,
}

impl Addr {
    /// Whether the operand reads register `r`.
    pub fn uses(&self, r: u8) -> bool {
        self.base == r || self.index.is_some_and(|(i, _)| i == r)
    }
}

/// Emits one instruction with an `Addr` memory operand: `mem!(a, addr, [tokens before the
/// operand] [tokens after it])`.
macro_rules! mem {
    ($a:expr, $addr:expr, [$($pre:tt)*] [$($post:tt)*]) => {{
        let emit::Addr { base, index, disp } = $addr;
        // A run-time displacement is always encoded as disp32; without one dynasm uses the
        // short form, so zero displacements get their own arms.
        match index {
            None if disp == 0 => dynasm!($a ; .arch x64 ; $($pre)* [Rq(base)] $($post)*),
            Some((i, 1)) if disp == 0 => dynasm!($a ; .arch x64 ; $($pre)* [Rq(base) + Rq(i)] $($post)*),
            Some((i, 2)) if disp == 0 => dynasm!($a ; .arch x64 ; $($pre)* [Rq(base) + Rq(i) * 2] $($post)*),
            Some((i, 4)) if disp == 0 => dynasm!($a ; .arch x64 ; $($pre)* [Rq(base) + Rq(i) * 4] $($post)*),
            Some((i, 8)) if disp == 0 => dynasm!($a ; .arch x64 ; $($pre)* [Rq(base) + Rq(i) * 8] $($post)*),
            None => dynasm!($a ; .arch x64 ; $($pre)* [Rq(base) + disp] $($post)*),
            Some((i, 1)) => dynasm!($a ; .arch x64 ; $($pre)* [Rq(base) + Rq(i) + disp] $($post)*),
            Some((i, 2)) => dynasm!($a ; .arch x64 ; $($pre)* [Rq(base) + Rq(i) * 2 + disp] $($post)*),
            Some((i, 4)) => dynasm!($a ; .arch x64 ; $($pre)* [Rq(base) + Rq(i) * 4 + disp] $($post)*),
            Some((i, _)) => dynasm!($a ; .arch x64 ; $($pre)* [Rq(base) + Rq(i) * 8 + disp] $($post)*),
        }
    }};
}
pub(crate) use mem;
