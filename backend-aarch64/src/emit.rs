//! Instruction helpers over dynasm `.arch aarch64` that pick the cheapest legal encoding for
//! run-time immediates and offsets.
//!
//! dynasm panics when a run-time immediate cannot be encoded, so every helper here decides
//! the form first (imm12 with optional `lsl 12`, logical bitmask, unsigned scaled or unscaled
//! offset, movz/movn/orr/movk sequences) and falls back to a scratch register; no value that
//! reaches a `dynasm!` immediate is unchecked.

// dynasm's expansion converts every register number with `.into()`.
#![allow(clippy::useless_conversion)]

use dynasmrt::aarch64::{encode_logical_immediate_32bit, encode_logical_immediate_64bit, Aarch64Relocation};
use dynasmrt::{DynamicLabel, DynasmApi, DynasmLabelApi, VecAssembler};

use crate::regs::ZR;

pub type Asm = VecAssembler<Aarch64Relocation>;

macro_rules! a64 {
    ($ops:expr; $($t:tt)*) => {
        dynasmrt::dynasm!($ops ; .arch aarch64 ; $($t)*)
    };
}
pub(crate) use a64;

/// Operand width of an integer instruction: W (32-bit, zero-extends its result) or X.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum W {
    W32,
    X64,
}

/// An imm12 form: `(imm12, shifted_by_12)`.
pub fn imm12(v: u64) -> Option<(u32, bool)> {
    if v < 0x1000 {
        Some((v as u32, false))
    } else if v & 0xfff == 0 && v < 0x100_0000 {
        Some(((v >> 12) as u32, true))
    } else {
        None
    }
}

/// Condition codes, in the encoding order.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Cond {
    Eq,
    Ne,
    Hs,
    Lo,
    Mi,
    Pl,
    Vs,
    Vc,
    Hi,
    Ls,
    Ge,
    Lt,
    Gt,
    Le,
}

impl Cond {
    pub fn invert(self) -> Cond {
        use Cond::*;
        match self {
            Eq => Ne,
            Ne => Eq,
            Hs => Lo,
            Lo => Hs,
            Mi => Pl,
            Pl => Mi,
            Vs => Vc,
            Vc => Vs,
            Hi => Ls,
            Ls => Hi,
            Ge => Lt,
            Lt => Ge,
            Gt => Le,
            Le => Gt,
        }
    }

    pub fn code(self) -> u32 {
        self as u32
    }
}

/// `b.cond` to a label.
pub fn bcond(a: &mut Asm, c: Cond, l: DynamicLabel) {
    match c {
        Cond::Eq => a64!(a; b.eq =>l),
        Cond::Ne => a64!(a; b.ne =>l),
        Cond::Hs => a64!(a; b.hs =>l),
        Cond::Lo => a64!(a; b.lo =>l),
        Cond::Mi => a64!(a; b.mi =>l),
        Cond::Pl => a64!(a; b.pl =>l),
        Cond::Vs => a64!(a; b.vs =>l),
        Cond::Vc => a64!(a; b.vc =>l),
        Cond::Hi => a64!(a; b.hi =>l),
        Cond::Ls => a64!(a; b.ls =>l),
        Cond::Ge => a64!(a; b.ge =>l),
        Cond::Lt => a64!(a; b.lt =>l),
        Cond::Gt => a64!(a; b.gt =>l),
        Cond::Le => a64!(a; b.le =>l),
    }
}

/// `wd = cond ? 1 : 0`.
pub fn cset(a: &mut Asm, c: Cond, rd: u8) {
    match c {
        Cond::Eq => a64!(a; cset W(rd), eq),
        Cond::Ne => a64!(a; cset W(rd), ne),
        Cond::Hs => a64!(a; cset W(rd), hs),
        Cond::Lo => a64!(a; cset W(rd), lo),
        Cond::Mi => a64!(a; cset W(rd), mi),
        Cond::Pl => a64!(a; cset W(rd), pl),
        Cond::Vs => a64!(a; cset W(rd), vs),
        Cond::Vc => a64!(a; cset W(rd), vc),
        Cond::Hi => a64!(a; cset W(rd), hi),
        Cond::Ls => a64!(a; cset W(rd), ls),
        Cond::Ge => a64!(a; cset W(rd), ge),
        Cond::Lt => a64!(a; cset W(rd), lt),
        Cond::Gt => a64!(a; cset W(rd), gt),
        Cond::Le => a64!(a; cset W(rd), le),
    }
}

/// `rd = cond ? rn : rm`, 64 bits (inputs are zero-extended, so this fits every int type).
pub fn csel(a: &mut Asm, c: Cond, rd: u8, rn: u8, rm: u8) {
    match c {
        Cond::Eq => a64!(a; csel X(rd), X(rn), X(rm), eq),
        Cond::Ne => a64!(a; csel X(rd), X(rn), X(rm), ne),
        Cond::Hs => a64!(a; csel X(rd), X(rn), X(rm), hs),
        Cond::Lo => a64!(a; csel X(rd), X(rn), X(rm), lo),
        Cond::Mi => a64!(a; csel X(rd), X(rn), X(rm), mi),
        Cond::Pl => a64!(a; csel X(rd), X(rn), X(rm), pl),
        Cond::Vs => a64!(a; csel X(rd), X(rn), X(rm), vs),
        Cond::Vc => a64!(a; csel X(rd), X(rn), X(rm), vc),
        Cond::Hi => a64!(a; csel X(rd), X(rn), X(rm), hi),
        Cond::Ls => a64!(a; csel X(rd), X(rn), X(rm), ls),
        Cond::Ge => a64!(a; csel X(rd), X(rn), X(rm), ge),
        Cond::Lt => a64!(a; csel X(rd), X(rn), X(rm), lt),
        Cond::Gt => a64!(a; csel X(rd), X(rn), X(rm), gt),
        Cond::Le => a64!(a; csel X(rd), X(rn), X(rm), le),
    }
}

pub fn fcsel(a: &mut Asm, c: Cond, dd: u8, dn: u8, dm: u8) {
    match c {
        Cond::Eq => a64!(a; fcsel D(dd), D(dn), D(dm), eq),
        Cond::Ne => a64!(a; fcsel D(dd), D(dn), D(dm), ne),
        Cond::Hs => a64!(a; fcsel D(dd), D(dn), D(dm), hs),
        Cond::Lo => a64!(a; fcsel D(dd), D(dn), D(dm), lo),
        Cond::Mi => a64!(a; fcsel D(dd), D(dn), D(dm), mi),
        Cond::Pl => a64!(a; fcsel D(dd), D(dn), D(dm), pl),
        Cond::Vs => a64!(a; fcsel D(dd), D(dn), D(dm), vs),
        Cond::Vc => a64!(a; fcsel D(dd), D(dn), D(dm), vc),
        Cond::Hi => a64!(a; fcsel D(dd), D(dn), D(dm), hi),
        Cond::Ls => a64!(a; fcsel D(dd), D(dn), D(dm), ls),
        Cond::Ge => a64!(a; fcsel D(dd), D(dn), D(dm), ge),
        Cond::Lt => a64!(a; fcsel D(dd), D(dn), D(dm), lt),
        Cond::Gt => a64!(a; fcsel D(dd), D(dn), D(dm), gt),
        Cond::Le => a64!(a; fcsel D(dd), D(dn), D(dm), le),
    }
}

/// `mov xd/wd, #value` in the fewest instructions: movz, movn, orr with a bitmask immediate,
/// then movz/movn followed by movk for the remaining halfwords.
pub fn mov_imm(a: &mut Asm, w: W, rd: u8, value: u64) {
    let (value, halves) = match w {
        W::W32 => (value & 0xffff_ffff, 2u32),
        W::X64 => (value, 4u32),
    };
    let half = |v: u64, i: u32| ((v >> (16 * i)) & 0xffff) as u32;
    let inv = match w {
        W::W32 => !value & 0xffff_ffff,
        W::X64 => !value,
    };
    let nonzero = (0..halves).filter(|&i| half(value, i) != 0).count();
    let nonones = (0..halves).filter(|&i| half(inv, i) != 0).count();
    if nonzero <= 1 {
        let i = (0..halves).find(|&i| half(value, i) != 0).unwrap_or(0);
        movz(a, w, rd, half(value, i), i);
        return;
    }
    if nonones <= 1 {
        let i = (0..halves).find(|&i| half(inv, i) != 0).unwrap_or(0);
        movn(a, w, rd, half(inv, i), i);
        return;
    }
    let logical = match w {
        W::W32 => encode_logical_immediate_32bit(value as u32).is_some(),
        W::X64 => encode_logical_immediate_64bit(value).is_some(),
    };
    if logical {
        match w {
            W::W32 => a64!(a; orr WSP(rd), W(ZR), value as u32),
            W::X64 => a64!(a; orr XSP(rd), X(ZR), value),
        }
        return;
    }
    // Start from all-ones when more halfwords are 0xffff than 0x0000.
    let ones_base = nonones < nonzero;
    let mut first = true;
    for i in 0..halves {
        let h = half(value, i);
        let skip = if ones_base { h == 0xffff } else { h == 0 };
        if skip {
            continue;
        }
        if first {
            if ones_base {
                movn(a, w, rd, !h & 0xffff, i);
            } else {
                movz(a, w, rd, h, i);
            }
            first = false;
        } else {
            movk(a, w, rd, h, i);
        }
    }
}

fn movz(a: &mut Asm, w: W, rd: u8, h: u32, i: u32) {
    match (w, i) {
        (W::W32, 0) => a64!(a; movz W(rd), h),
        (W::W32, _) => a64!(a; movz W(rd), h, lsl 16),
        (W::X64, 0) => a64!(a; movz X(rd), h),
        (W::X64, 1) => a64!(a; movz X(rd), h, lsl 16),
        (W::X64, 2) => a64!(a; movz X(rd), h, lsl 32),
        (W::X64, _) => a64!(a; movz X(rd), h, lsl 48),
    }
}

fn movn(a: &mut Asm, w: W, rd: u8, h: u32, i: u32) {
    match (w, i) {
        (W::W32, 0) => a64!(a; movn W(rd), h),
        (W::W32, _) => a64!(a; movn W(rd), h, lsl 16),
        (W::X64, 0) => a64!(a; movn X(rd), h),
        (W::X64, 1) => a64!(a; movn X(rd), h, lsl 16),
        (W::X64, 2) => a64!(a; movn X(rd), h, lsl 32),
        (W::X64, _) => a64!(a; movn X(rd), h, lsl 48),
    }
}

fn movk(a: &mut Asm, w: W, rd: u8, h: u32, i: u32) {
    match (w, i) {
        (W::W32, 0) => a64!(a; movk W(rd), h),
        (W::W32, _) => a64!(a; movk W(rd), h, lsl 16),
        (W::X64, 0) => a64!(a; movk X(rd), h),
        (W::X64, 1) => a64!(a; movk X(rd), h, lsl 16),
        (W::X64, 2) => a64!(a; movk X(rd), h, lsl 32),
        (W::X64, _) => a64!(a; movk X(rd), h, lsl 48),
    }
}

/// Register moves; a move onto itself emits nothing (a W move still zero-extends, so it is
/// emitted).
pub fn mov_rr(a: &mut Asm, w: W, rd: u8, rn: u8) {
    match w {
        W::X64 if rd != rn => a64!(a; mov X(rd), X(rn)),
        W::X64 => {}
        W::W32 => a64!(a; mov W(rd), W(rn)),
    }
}

pub fn fmov_rr(a: &mut Asm, dd: u8, dn: u8) {
    if dd != dn {
        a64!(a; fmov D(dd), D(dn));
    }
}

/// `dd = bits` as f64: `movi d, #0` for +0.0, `fmov d, #imm8` when the value has an 8-bit
/// float form, otherwise through the GPR `tmp`.
pub fn fmov_imm(a: &mut Asm, dd: u8, bits: u64, tmp: u8) {
    if bits == 0 {
        a64!(a; movi D(dd), 0);
    } else if let Some(_imm8) = fp_imm8(bits) {
        let f = f64::from_bits(bits) as f32;
        a64!(a; fmov D(dd), f);
    } else {
        mov_imm(a, W::X64, tmp, bits);
        a64!(a; fmov D(dd), X(tmp));
    }
}

/// The 8-bit float immediate encoding of an f64 (±n/16 × 2^r, n in 16..=31, r in -3..=4).
pub fn fp_imm8(bits: u64) -> Option<u8> {
    let frac = bits & ((1u64 << 52) - 1);
    if frac & ((1u64 << 48) - 1) != 0 {
        return None;
    }
    let exp = ((bits >> 52) & 0x7ff) as i64 - 1023;
    if !(-3..=4).contains(&exp) {
        return None;
    }
    let sign = (bits >> 63) as u8;
    let e = ((exp + 3) as u8) ^ 0b100; // 3-bit exponent field: NOT(b6) b5..b4 pattern
    Some((sign << 7) | (e << 4) | ((frac >> 48) as u8))
}

/// `rd = rn + imm` (`imm` read in the operation width): add/sub imm12 (optionally `lsl 12`),
/// otherwise the constant goes through `tmp`.
pub fn add_imm(a: &mut Asm, w: W, rd: u8, rn: u8, imm: u64, tmp: u8) {
    let (imm, neg) = match w {
        W::W32 => (imm & 0xffff_ffff, (imm as u32).wrapping_neg() as u64),
        W::X64 => (imm, imm.wrapping_neg()),
    };
    if let Some((v, sh)) = imm12(imm) {
        match (w, sh) {
            (W::W32, false) => a64!(a; add WSP(rd), WSP(rn), v),
            (W::W32, true) => a64!(a; add WSP(rd), WSP(rn), v, lsl 12),
            (W::X64, false) => a64!(a; add XSP(rd), XSP(rn), v),
            (W::X64, true) => a64!(a; add XSP(rd), XSP(rn), v, lsl 12),
        }
    } else if let Some((v, sh)) = imm12(neg) {
        match (w, sh) {
            (W::W32, false) => a64!(a; sub WSP(rd), WSP(rn), v),
            (W::W32, true) => a64!(a; sub WSP(rd), WSP(rn), v, lsl 12),
            (W::X64, false) => a64!(a; sub XSP(rd), XSP(rn), v),
            (W::X64, true) => a64!(a; sub XSP(rd), XSP(rn), v, lsl 12),
        }
    } else {
        mov_imm(a, w, tmp, imm);
        match w {
            W::W32 => a64!(a; add W(rd), W(rn), W(tmp)),
            W::X64 => a64!(a; add X(rd), X(rn), X(tmp)),
        }
    }
}

/// Flags of `rn - imm`: `cmp #imm12`, or `cmn #-imm12` (same flags for any imm other than 0
/// and the minimum), otherwise through `tmp`.
pub fn cmp_imm(a: &mut Asm, w: W, rn: u8, imm: u64, tmp: u8) {
    let (imm, neg, min) = match w {
        W::W32 => (imm & 0xffff_ffff, (imm as u32).wrapping_neg() as u64, 0x8000_0000u64),
        W::X64 => (imm, imm.wrapping_neg(), 1u64 << 63),
    };
    if let Some((v, sh)) = imm12(imm) {
        match (w, sh) {
            (W::W32, false) => a64!(a; cmp WSP(rn), v),
            (W::W32, true) => a64!(a; cmp WSP(rn), v, lsl 12),
            (W::X64, false) => a64!(a; cmp XSP(rn), v),
            (W::X64, true) => a64!(a; cmp XSP(rn), v, lsl 12),
        }
    } else if let (Some((v, sh)), true) = (imm12(neg), imm != 0 && imm != min) {
        match (w, sh) {
            (W::W32, false) => a64!(a; cmn WSP(rn), v),
            (W::W32, true) => a64!(a; cmn WSP(rn), v, lsl 12),
            (W::X64, false) => a64!(a; cmn XSP(rn), v),
            (W::X64, true) => a64!(a; cmn XSP(rn), v, lsl 12),
        }
    } else {
        mov_imm(a, w, tmp, imm);
        cmp_rr(a, w, rn, tmp);
    }
}

pub fn cmp_rr(a: &mut Asm, w: W, rn: u8, rm: u8) {
    match w {
        W::W32 => a64!(a; cmp W(rn), W(rm)),
        W::X64 => a64!(a; cmp X(rn), X(rm)),
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Logic {
    And,
    Orr,
    Eor,
}

/// `rd = rn OP imm` with a bitmask immediate when `imm` has one, otherwise through `tmp`.
/// All-zeros and all-ones have no bitmask form; they take the register path.
pub fn logic_imm(a: &mut Asm, op: Logic, w: W, rd: u8, rn: u8, imm: u64, tmp: u8) {
    let enc = match w {
        W::W32 => encode_logical_immediate_32bit(imm as u32).is_some(),
        W::X64 => encode_logical_immediate_64bit(imm).is_some(),
    };
    if enc {
        let i32v = imm as u32;
        match (op, w) {
            (Logic::And, W::W32) => a64!(a; and WSP(rd), W(rn), i32v),
            (Logic::Orr, W::W32) => a64!(a; orr WSP(rd), W(rn), i32v),
            (Logic::Eor, W::W32) => a64!(a; eor WSP(rd), W(rn), i32v),
            (Logic::And, W::X64) => a64!(a; and XSP(rd), X(rn), imm),
            (Logic::Orr, W::X64) => a64!(a; orr XSP(rd), X(rn), imm),
            (Logic::Eor, W::X64) => a64!(a; eor XSP(rd), X(rn), imm),
        }
    } else {
        mov_imm(a, w, tmp, imm);
        logic_rr(a, op, w, rd, rn, tmp);
    }
}

pub fn logic_rr(a: &mut Asm, op: Logic, w: W, rd: u8, rn: u8, rm: u8) {
    match (op, w) {
        (Logic::And, W::W32) => a64!(a; and W(rd), W(rn), W(rm)),
        (Logic::Orr, W::W32) => a64!(a; orr W(rd), W(rn), W(rm)),
        (Logic::Eor, W::W32) => a64!(a; eor W(rd), W(rn), W(rm)),
        (Logic::And, W::X64) => a64!(a; and X(rd), X(rn), X(rm)),
        (Logic::Orr, W::X64) => a64!(a; orr X(rd), X(rn), X(rm)),
        (Logic::Eor, W::X64) => a64!(a; eor X(rd), X(rn), X(rm)),
    }
}

/// Bitfield start for extensions (a named value: dynasm's range check adds it to the width).
const LSB0: u32 = 0;

/// Zero-extends the low `bits` (1..=32) of `rn` into `rd` (uxtb/uxth are ubfx aliases).
pub fn zext_bits(a: &mut Asm, rd: u8, rn: u8, bits: u32) {
    match bits {
        32 => a64!(a; mov W(rd), W(rn)),
        8 => a64!(a; uxtb W(rd), W(rn)),
        16 => a64!(a; uxth W(rd), W(rn)),
        b if (1..32).contains(&b) => a64!(a; ubfx W(rd), W(rn), LSB0, b),
        _ => mov_rr(a, W::X64, rd, rn),
    }
}

/// Sign-extends the low `bits` of `rn` into `rd`, 32 bits wide (`w`) or 64 (`x`).
pub fn sext_bits(a: &mut Asm, w: W, rd: u8, rn: u8, bits: u32) {
    match (w, bits) {
        (_, 64) => mov_rr(a, W::X64, rd, rn),
        (W::W32, 32) => a64!(a; mov W(rd), W(rn)),
        (W::W32, 8) => a64!(a; sxtb W(rd), W(rn)),
        (W::W32, 16) => a64!(a; sxth W(rd), W(rn)),
        (W::W32, b) => a64!(a; sbfx W(rd), W(rn), LSB0, b),
        (W::X64, 8) => a64!(a; sxtb X(rd), W(rn)),
        (W::X64, 16) => a64!(a; sxth X(rd), W(rn)),
        (W::X64, 32) => a64!(a; sxtw X(rd), W(rn)),
        (W::X64, b) => a64!(a; sbfx X(rd), X(rn), LSB0, b),
    }
}

/// Memory access sizes and directions.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Mem {
    LdB,
    LdH,
    LdW,
    LdX,
    LdD,
    StB,
    StH,
    StW,
    StX,
    StD,
}

impl Mem {
    fn size(self) -> i64 {
        match self {
            Mem::LdB | Mem::StB => 1,
            Mem::LdH | Mem::StH => 2,
            Mem::LdW | Mem::StW => 4,
            Mem::LdX | Mem::StX | Mem::LdD | Mem::StD => 8,
        }
    }
}

/// `rt <-> [base + off]`: unsigned scaled imm12 when aligned and in range, the unscaled
/// 9-bit form for -256..=255, otherwise the offset goes through `tmp` (register offset).
pub fn mem(a: &mut Asm, m: Mem, rt: u8, base: u8, off: i64, tmp: u8) {
    let size = m.size();
    if off >= 0 && off % size == 0 && off / size < 4096 {
        let o = off as u32;
        match m {
            Mem::LdB => a64!(a; ldrb W(rt), [XSP(base), o]),
            Mem::LdH => a64!(a; ldrh W(rt), [XSP(base), o]),
            Mem::LdW => a64!(a; ldr W(rt), [XSP(base), o]),
            Mem::LdX => a64!(a; ldr X(rt), [XSP(base), o]),
            Mem::LdD => a64!(a; ldr D(rt), [XSP(base), o]),
            Mem::StB => a64!(a; strb W(rt), [XSP(base), o]),
            Mem::StH => a64!(a; strh W(rt), [XSP(base), o]),
            Mem::StW => a64!(a; str W(rt), [XSP(base), o]),
            Mem::StX => a64!(a; str X(rt), [XSP(base), o]),
            Mem::StD => a64!(a; str D(rt), [XSP(base), o]),
        }
    } else if (-256..256).contains(&off) {
        let o = off as i32;
        match m {
            Mem::LdB => a64!(a; ldurb W(rt), [XSP(base), o]),
            Mem::LdH => a64!(a; ldurh W(rt), [XSP(base), o]),
            Mem::LdW => a64!(a; ldur W(rt), [XSP(base), o]),
            Mem::LdX => a64!(a; ldur X(rt), [XSP(base), o]),
            Mem::LdD => a64!(a; ldur D(rt), [XSP(base), o]),
            Mem::StB => a64!(a; sturb W(rt), [XSP(base), o]),
            Mem::StH => a64!(a; sturh W(rt), [XSP(base), o]),
            Mem::StW => a64!(a; stur W(rt), [XSP(base), o]),
            Mem::StX => a64!(a; stur X(rt), [XSP(base), o]),
            Mem::StD => a64!(a; stur D(rt), [XSP(base), o]),
        }
    } else {
        mov_imm(a, W::X64, tmp, off as u64);
        match m {
            Mem::LdB => a64!(a; ldrb W(rt), [XSP(base), X(tmp)]),
            Mem::LdH => a64!(a; ldrh W(rt), [XSP(base), X(tmp)]),
            Mem::LdW => a64!(a; ldr W(rt), [XSP(base), X(tmp)]),
            Mem::LdX => a64!(a; ldr X(rt), [XSP(base), X(tmp)]),
            Mem::LdD => a64!(a; ldr D(rt), [XSP(base), X(tmp)]),
            Mem::StB => a64!(a; strb W(rt), [XSP(base), X(tmp)]),
            Mem::StH => a64!(a; strh W(rt), [XSP(base), X(tmp)]),
            Mem::StW => a64!(a; str W(rt), [XSP(base), X(tmp)]),
            Mem::StX => a64!(a; str X(rt), [XSP(base), X(tmp)]),
            Mem::StD => a64!(a; str D(rt), [XSP(base), X(tmp)]),
        }
    }
}

/// `rt <-> [base + (index << shift)]`, `shift` 0 or log2 of the access size.
pub fn mem_index(a: &mut Asm, m: Mem, rt: u8, base: u8, ix: u8, shift: u32) {
    match (m, shift != 0) {
        (Mem::LdB, _) => a64!(a; ldrb W(rt), [XSP(base), X(ix)]),
        (Mem::StB, _) => a64!(a; strb W(rt), [XSP(base), X(ix)]),
        (Mem::LdH, false) => a64!(a; ldrh W(rt), [XSP(base), X(ix)]),
        (Mem::LdH, true) => a64!(a; ldrh W(rt), [XSP(base), X(ix), lsl 1]),
        (Mem::StH, false) => a64!(a; strh W(rt), [XSP(base), X(ix)]),
        (Mem::StH, true) => a64!(a; strh W(rt), [XSP(base), X(ix), lsl 1]),
        (Mem::LdW, false) => a64!(a; ldr W(rt), [XSP(base), X(ix)]),
        (Mem::LdW, true) => a64!(a; ldr W(rt), [XSP(base), X(ix), lsl 2]),
        (Mem::StW, false) => a64!(a; str W(rt), [XSP(base), X(ix)]),
        (Mem::StW, true) => a64!(a; str W(rt), [XSP(base), X(ix), lsl 2]),
        (Mem::LdX, false) => a64!(a; ldr X(rt), [XSP(base), X(ix)]),
        (Mem::LdX, true) => a64!(a; ldr X(rt), [XSP(base), X(ix), lsl 3]),
        (Mem::StX, false) => a64!(a; str X(rt), [XSP(base), X(ix)]),
        (Mem::StX, true) => a64!(a; str X(rt), [XSP(base), X(ix), lsl 3]),
        (Mem::LdD, false) => a64!(a; ldr D(rt), [XSP(base), X(ix)]),
        (Mem::LdD, true) => a64!(a; ldr D(rt), [XSP(base), X(ix), lsl 3]),
        (Mem::StD, false) => a64!(a; str D(rt), [XSP(base), X(ix)]),
        (Mem::StD, true) => a64!(a; str D(rt), [XSP(base), X(ix), lsl 3]),
    }
}

/// `b` with a 26-bit word offset, as a raw instruction word (for patching and for branches
/// to code outside this assembler). `None` when out of the ±128 MiB range or misaligned.
pub fn b_word(from: u64, to: u64) -> Option<u32> {
    let delta = to.wrapping_sub(from) as i64;
    if delta % 4 != 0 || !(-(1i64 << 27)..(1i64 << 27)).contains(&delta) {
        return None;
    }
    Some(0x1400_0000 | (((delta >> 2) as u32) & 0x03ff_ffff))
}

/// The target of a raw `b` word at `at`, if it is one.
pub fn b_target(at: u64, word: u32) -> Option<u64> {
    if word & 0xfc00_0000 != 0x1400_0000 {
        return None;
    }
    let imm = ((word & 0x03ff_ffff) << 6) as i32 >> 6;
    Some(at.wrapping_add(((imm as i64) << 2) as u64))
}

#[cfg(test)]
mod tests {
    use super::*;
    use yaxpeax_arch::{Decoder, U8Reader};
    use yaxpeax_arm::armv8::a64::InstDecoder;

    fn text(f: impl FnOnce(&mut Asm)) -> Vec<String> {
        let mut a = Asm::new(0);
        f(&mut a);
        let code = a.finalize().unwrap();
        let d = InstDecoder::default();
        code.chunks(4)
            .map(|c| {
                let mut r = U8Reader::new(c);
                d.decode(&mut r).map(|i| i.to_string()).unwrap_or_else(|e| panic!("decode error {e:?}"))
            })
            .collect()
    }

    /// Simulates a movz/movn/movk/orr sequence into register `rd`, to check the value.
    fn sim_mov(code: &[String]) -> u64 {
        let mut v = 0u64;
        for l in code {
            let parts: Vec<&str> = l.split([' ', ',']).filter(|s| !s.is_empty()).collect();
            let imm = |s: &str| -> u64 {
                let s = s.trim_start_matches('#');
                if let Some(h) = s.strip_prefix("0x") {
                    u64::from_str_radix(h, 16).unwrap()
                } else if let Some(h) = s.strip_prefix("-0x") {
                    (u64::from_str_radix(h, 16).unwrap()).wrapping_neg()
                } else {
                    s.parse::<i64>().unwrap() as u64
                }
            };
            let shift = parts.iter().position(|p| *p == "lsl").map(|i| imm(parts[i + 1])).unwrap_or(0);
            let wide = parts[1].starts_with('x');
            let mask = if wide { u64::MAX } else { 0xffff_ffff };
            match parts[0] {
                "movz" => v = imm(parts[2]) << shift,
                "movn" => v = !(imm(parts[2]) << shift) & mask,
                "movk" => v = (v & !(0xffff << shift)) | (imm(parts[2]) << shift),
                "mov" | "orr" => v = imm(parts[parts.len() - 1]) & mask,
                other => panic!("unexpected {other} in {code:?}"),
            }
        }
        v
    }

    #[test]
    fn mov_imm_edge_values_round_trip() {
        let vals = [
            0u64,
            1,
            4095,
            4096,
            0x0100_0000,
            0xffff,
            0x1_0000,
            0xffff_0000,
            0x1234_5678,
            0x5555_5555_5555_5555,
            0x00ff_00ff_00ff_00ff,
            0x1234,
            0xdead_beef_cafe_f00d,
            u64::MAX,
            i64::MAX as u64,
            i64::MIN as u64,
            (-2i64) as u64,
            (-4097i64) as u64,
            0xffff_ffff,
            0x8000_0000,
            0xffff_1234_ffff_ffff,
        ];
        for v in vals {
            let code = text(|a| mov_imm(a, W::X64, 3, v));
            assert!(code.len() <= 4, "{v:#x}: {code:?}");
            assert_eq!(sim_mov(&code), v, "{v:#x}: {code:?}");
            let code32 = text(|a| mov_imm(a, W::W32, 3, v));
            assert!(code32.len() <= 2, "{v:#x}: {code32:?}");
            assert_eq!(sim_mov(&code32), v & 0xffff_ffff, "{v:#x} (w): {code32:?}");
        }
        assert_eq!(text(|a| mov_imm(a, W::X64, 0, 0)).len(), 1);
        assert_eq!(text(|a| mov_imm(a, W::X64, 0, u64::MAX)).len(), 1);
        assert_eq!(text(|a| mov_imm(a, W::X64, 0, 0x5555_5555_5555_5555)).len(), 1, "bitmask form");
        assert_eq!(text(|a| mov_imm(a, W::X64, 0, 0xffff_ffff_ffff_1234)).len(), 1, "movn form");
    }

    #[test]
    fn add_and_cmp_immediates_pick_the_legal_form() {
        for (imm, want) in [
            (0u64, "add x1, x2, #0x0"),
            (4095, "add x1, x2, #0xfff"),
            (4096, "add x1, x2, #0x1, lsl #12"),
            (0xfff000, "add x1, x2, #0xfff, lsl #12"),
            ((-1i64) as u64, "sub x1, x2, #0x1"),
            ((-4096i64) as u64, "sub x1, x2, #0x1, lsl #12"),
        ] {
            let t = text(|a| add_imm(a, W::X64, 1, 2, imm, 16));
            assert_eq!(t.len(), 1, "{imm:#x}: {t:?}");
            assert_eq!(t[0], want);
        }
        for imm in [0x0100_0000u64, 4097, i64::MIN as u64, i64::MAX as u64, 0x1001] {
            let t = text(|a| add_imm(a, W::X64, 1, 2, imm, 16));
            assert!(t.last().unwrap().starts_with("add x1, x2, x16"), "{imm:#x}: {t:?}");
        }
        let t = text(|a| add_imm(a, W::W32, 1, 2, 0xffff_ffff, 16));
        assert_eq!(t, ["sub w1, w2, #0x1"]);
        for imm in [0u64, 1, 4095, 4096, (-1i64) as u64, (-4096i64) as u64] {
            assert_eq!(text(|a| cmp_imm(a, W::X64, 1, imm, 16)).len(), 1, "{imm:#x}");
        }
        for imm in [i64::MIN as u64, 0x0100_0000, 12345678] {
            let t = text(|a| cmp_imm(a, W::X64, 1, imm, 16));
            assert!(t.last().unwrap().starts_with("cmp x1, x16"), "{t:?}");
        }
        let t = text(|a| cmp_imm(a, W::W32, 1, 0x8000_0000, 16));
        assert!(t.last().unwrap().starts_with("cmp w1, w16"), "{t:?}");
    }

    #[test]
    fn logical_immediates_use_bitmasks_or_fall_back() {
        for imm in [0xffu64, 0x5555_5555_5555_5555, 0xff00, 1, 0x8000_0000_0000_0000] {
            let t = text(|a| logic_imm(a, Logic::And, W::X64, 1, 2, imm, 16));
            assert_eq!(t.len(), 1, "{imm:#x}: {t:?}");
        }
        for imm in [0u64, u64::MAX, 0x1234, 0xdead_beef] {
            let t = text(|a| logic_imm(a, Logic::Eor, W::X64, 1, 2, imm, 16));
            assert!(t.last().unwrap().starts_with("eor x1, x2, x16"), "{imm:#x}: {t:?}");
        }
        for imm in [0u64, 0xffff_ffff, 0x1234] {
            let t = text(|a| logic_imm(a, Logic::Orr, W::W32, 1, 2, imm, 16));
            assert!(t.last().unwrap().starts_with("orr w1, w2, w16"), "{imm:#x}: {t:?}");
        }
        assert_eq!(text(|a| logic_imm(a, Logic::Orr, W::W32, 1, 2, 0xff, 16)).len(), 1);
    }

    #[test]
    fn memory_offsets_pick_scaled_unscaled_or_register_forms() {
        let one = |m, off| text(|a| mem(a, m, 1, 2, off, 16));
        assert_eq!(one(Mem::LdX, 0).len(), 1);
        assert_eq!(one(Mem::LdX, 8 * 4095).len(), 1);
        assert_eq!(one(Mem::LdX, -8).len(), 1);
        assert_eq!(one(Mem::LdX, -256).len(), 1);
        assert_eq!(one(Mem::LdX, 255).len(), 1, "unscaled");
        assert!(one(Mem::LdX, 8 * 4096).len() > 1);
        assert!(one(Mem::StB, -257).len() > 1);
        assert_eq!(one(Mem::StB, 4095).len(), 1);
        assert!(one(Mem::LdD, i32::MIN as i64).len() > 1);
        assert!(one(Mem::StH, i32::MAX as i64).len() > 1);
        assert_eq!(one(Mem::LdW, 4 * 4095).len(), 1);
    }

    #[test]
    fn float_immediates() {
        assert_eq!(fp_imm8(1.0f64.to_bits()), Some(0x70));
        assert_eq!(fp_imm8(2.0f64.to_bits()), Some(0x00));
        assert_eq!(fp_imm8((-0.5f64).to_bits()), Some(0xe0));
        assert_eq!(fp_imm8(0.1f64.to_bits()), None);
        assert_eq!(fp_imm8(f64::NAN.to_bits()), None);
        assert_eq!(fp_imm8(0.0f64.to_bits()), None);
        assert_eq!(fp_imm8(31.0f64.to_bits()), Some(0x3f));
        for v in [0.0f64, 1.0, -2.5, 0.1, f64::INFINITY, -0.0, 31.0, 0.125, 1e300] {
            let t = text(|a| fmov_imm(a, 2, v.to_bits(), 16));
            assert!(!t.is_empty());
            if v == 0.0 && v.is_sign_positive() {
                assert_eq!(t.len(), 1);
            }
        }
    }

    #[test]
    fn raw_branches_round_trip_and_respect_range() {
        let w = b_word(0x1000, 0x2000).unwrap();
        assert_eq!(b_target(0x1000, w), Some(0x2000));
        let w = b_word(0x2000, 0x1000).unwrap();
        assert_eq!(b_target(0x2000, w), Some(0x1000));
        assert!(b_word(0, 1 << 27).is_none());
        assert!(b_word(1 << 27, 0).is_some());
        assert!(b_word(0, 2).is_none());
        assert_eq!(b_target(0, 0xd503201f), None);
    }
}
