//! A64 instruction classes as ETM waypoints see them. yaxpeax-arm decodes the instruction;
//! branch targets come straight from the immediate fields.

use yaxpeax_arch::{Decoder, U8Reader};
use yaxpeax_arm::armv8::a64::{InstDecoder, Opcode};

/// What kind of waypoint an instruction is (OpenCSD's `ocsd_instr_type`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum InsnType {
    Other,
    Branch,
    IndirectBranch,
    Isb,
    DsbDmb,
    WfiWfe,
}

/// Refinement of a branch (OpenCSD's `ocsd_instr_subtype`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum InsnSubType {
    None,
    BranchLink,
    Ret,
    Eret,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct InsnInfo {
    pub ty: InsnType,
    pub sub: InsnSubType,
    pub cond: bool,
    pub link: bool,
    /// Target of a direct branch.
    pub target: u64,
}

impl InsnInfo {
    pub const OTHER: InsnInfo =
        InsnInfo { ty: InsnType::Other, sub: InsnSubType::None, cond: false, link: false, target: 0 };

    pub fn is_branch(&self) -> bool {
        matches!(self.ty, InsnType::Branch | InsnType::IndirectBranch)
    }
}

fn sext(v: u32, bits: u32) -> i64 {
    let s = 64 - bits;
    ((v as i64) << s) >> s
}

/// Classifies the A64 instruction `word` at `addr`. `wfx_branch` makes WFI/WFE waypoints.
pub fn classify(word: u32, addr: u64, wfx_branch: bool) -> InsnInfo {
    // Waypoints all live in the "branches, exception generating and system" encoding group
    // (bits 28:26 = 0b101); everything else is an ordinary instruction, no decode needed.
    if (word >> 26) & 0b111 != 0b101 {
        return InsnInfo::OTHER;
    }
    let bytes = word.to_le_bytes();
    let mut rd = U8Reader::new(&bytes);
    let op = match InstDecoder::default().decode(&mut rd) {
        Ok(i) => i.opcode,
        Err(_) => return InsnInfo::OTHER,
    };
    let direct = |link: bool, cond: bool, off: i64| InsnInfo {
        ty: InsnType::Branch,
        sub: if link { InsnSubType::BranchLink } else { InsnSubType::None },
        cond,
        link,
        target: addr.wrapping_add(off as u64),
    };
    let indirect = |sub: InsnSubType, link: bool| InsnInfo {
        ty: InsnType::IndirectBranch,
        sub,
        cond: false,
        link,
        target: 0,
    };
    match op {
        Opcode::B => direct(false, false, sext(word & 0x03ff_ffff, 26) * 4),
        Opcode::BL => direct(true, false, sext(word & 0x03ff_ffff, 26) * 4),
        Opcode::Bcc(_) | Opcode::CBZ | Opcode::CBNZ => {
            direct(false, true, sext((word >> 5) & 0x7_ffff, 19) * 4)
        }
        Opcode::TBZ | Opcode::TBNZ => direct(false, true, sext((word >> 5) & 0x3fff, 14) * 4),
        Opcode::BR | Opcode::BRAA | Opcode::BRAAZ | Opcode::BRAB | Opcode::BRABZ => {
            indirect(InsnSubType::None, false)
        }
        Opcode::BLR | Opcode::BLRAA | Opcode::BLRAAZ | Opcode::BLRAB | Opcode::BLRABZ => {
            indirect(InsnSubType::BranchLink, true)
        }
        Opcode::RET | Opcode::RETAA | Opcode::RETAB => indirect(InsnSubType::Ret, false),
        Opcode::ERET | Opcode::ERETAA | Opcode::ERETAB => indirect(InsnSubType::Eret, false),
        Opcode::ISB => InsnInfo { ty: InsnType::Isb, ..InsnInfo::OTHER },
        _ => {
            if wfx_branch && (word & 0xffff_ffdf) == 0xd503_205f {
                InsnInfo { ty: InsnType::WfiWfe, ..InsnInfo::OTHER }
            } else {
                InsnInfo::OTHER
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn branches_and_targets() {
        // b . + 8
        let i = classify(0x1400_0002, 0x1000, false);
        assert_eq!((i.ty, i.target, i.cond), (InsnType::Branch, 0x1008, false));
        // bl . - 4
        let i = classify(0x97ff_ffff, 0x1000, false);
        assert_eq!((i.sub, i.target, i.link), (InsnSubType::BranchLink, 0xffc, true));
        // b.ne . + 0x10
        let i = classify(0x5400_0081, 0x2000, false);
        assert_eq!((i.cond, i.target), (true, 0x2010));
        // cbz x0, . - 8
        let i = classify(0xb4ff_ffc0, 0x2000, false);
        assert_eq!((i.cond, i.target), (true, 0x1ff8));
        // tbnz w1, #3, . + 4
        let i = classify(0x3718_0021, 0x3000, false);
        assert_eq!((i.cond, i.target), (true, 0x3004));
        assert_eq!(classify(0xd65f_03c0, 0, false).sub, InsnSubType::Ret);
        assert_eq!(classify(0xd69f_03e0, 0, false).sub, InsnSubType::Eret);
        assert_eq!(classify(0xd63f_0020, 0, false).sub, InsnSubType::BranchLink);
        assert_eq!(classify(0xd61f_0020, 0, false).ty, InsnType::IndirectBranch);
        assert_eq!(classify(0xd503_3fdf, 0, false).ty, InsnType::Isb);
        assert_eq!(classify(0xd503_207f, 0, true).ty, InsnType::WfiWfe);
        assert_eq!(classify(0xd503_207f, 0, false).ty, InsnType::Other);
        assert_eq!(classify(0x8b02_0020, 0, false), InsnInfo::OTHER);
    }
}
