//! Basic blocks of the traced code, decoded once with iced-x86 and cached with their
//! successors, so that following the trace through code already seen is a table walk.

use iced_x86::{Decoder, DecoderOptions, FlowControl, Instruction, Mnemonic};
use std::collections::HashMap;
use trace_ir::path::{BranchKind, CodeImage};

/// The execution mode from MODE.Exec (CS.L / CS.D).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ExecMode {
    Bits64,
    Bits32,
    Bits16,
}

impl ExecMode {
    pub fn from_bits(csl: bool, csd: bool) -> ExecMode {
        match (csl, csd) {
            (true, _) => ExecMode::Bits64,
            (false, true) => ExecMode::Bits32,
            (false, false) => ExecMode::Bits16,
        }
    }

    fn bitness(self) -> u32 {
        match self {
            ExecMode::Bits64 => 64,
            ExecMode::Bits32 => 32,
            ExecMode::Bits16 => 16,
        }
    }
}

/// How a block ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum End {
    /// Not a branch: the block was cut (decode failure ahead, region end, length limit). The
    /// next block starts at `Block::end`.
    Fall,
    /// A conditional branch: one TNT bit.
    Cond {
        target: u64,
    },
    Jump {
        target: u64,
    },
    /// A direct call; `push` is false for a call to the next instruction (used to read the
    /// IP), which is never returned from and so is not on the return-compression stack.
    Call {
        target: u64,
        push: bool,
    },
    IndJump,
    IndCall,
    Ret,
    /// syscall, int, iret, far call/jump/return...: a TIP, or a FUP-bound event, gives the target.
    Far,
}

/// A run of instructions ending at the first branch.
#[derive(Clone, Debug)]
pub struct Block {
    pub start: u64,
    /// Address after the last instruction.
    pub end: u64,
    /// Offset of each instruction from `start`.
    pub offs: Vec<u32>,
    pub exit: End,
    pub mode: ExecMode,
    /// Address of the last instruction (kept here so the walk never touches `offs`).
    last: u64,
    /// Cached successor block indices: [fall-through/not-taken, taken/target].
    pub(crate) succ: [u32; 2],
    /// The last indirect target seen and its block.
    pub(crate) ind: (u64, u32),
    /// The last short-TNT byte walked from this block and its run in `BlockCache::runs`.
    pub(crate) run: (u8, u32),
}

/// The blocks one short TNT packet leads through from a block, when they are all
/// conditional, jump or fall-through blocks: a whole packet becomes one lookup.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Run {
    pub(crate) blocks: [u32; RUN_MAX],
    pub(crate) len: u8,
    /// The block after the run.
    pub(crate) end: u32,
}

pub(crate) const RUN_MAX: usize = 12;

pub(crate) const NONE: u32 = u32::MAX;
/// Bounds a block on straight-line code so that a bad image cannot make one huge.
const MAX_INSNS: usize = 4096;

impl Block {
    pub fn len(&self) -> usize {
        self.offs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.offs.is_empty()
    }

    pub fn insn(&self, i: usize) -> u64 {
        self.start.wrapping_add(self.offs[i] as u64)
    }

    #[inline]
    pub fn last_insn(&self) -> u64 {
        self.last
    }

    /// The index of the instruction at `ip`, if an instruction of this block starts there.
    pub fn index_of(&self, ip: u64) -> Option<usize> {
        let off = ip.wrapping_sub(self.start);
        if off >= self.end.wrapping_sub(self.start) {
            return None;
        }
        self.offs.binary_search(&(off as u32)).ok()
    }

    /// The path vocabulary's kind for the last instruction.
    pub fn branch_kind(&self) -> BranchKind {
        match self.exit {
            End::Fall => BranchKind::None,
            End::Cond { .. } | End::Jump { .. } => BranchKind::Direct,
            End::Call { .. } => BranchKind::Call,
            End::IndJump | End::Far => BranchKind::Indirect,
            End::IndCall => BranchKind::IndirectCall,
            End::Ret => BranchKind::Return,
        }
    }
}

/// Why no block could be decoded at an address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BlockError {
    NoMap,
    BadInsn,
}

/// The decoded blocks of one code image, indexed by start address and mode.
pub struct BlockCache<'i> {
    image: &'i CodeImage,
    pub(crate) blocks: Vec<Block>,
    index: HashMap<(u64, ExecMode), u32>,
    pub(crate) runs: Vec<Run>,
    insn: Instruction,
}

impl<'i> BlockCache<'i> {
    pub fn new(image: &'i CodeImage) -> BlockCache<'i> {
        BlockCache {
            image,
            blocks: Vec::new(),
            index: HashMap::new(),
            runs: Vec::new(),
            insn: Instruction::default(),
        }
    }

    pub fn image(&self) -> &'i CodeImage {
        self.image
    }

    pub fn get(&self, idx: u32) -> &Block {
        &self.blocks[idx as usize]
    }

    pub fn len(&self) -> usize {
        self.blocks.len()
    }

    pub fn is_empty(&self) -> bool {
        self.blocks.is_empty()
    }

    /// The block starting at `ip`, decoding it on first use.
    pub fn lookup(&mut self, ip: u64, mode: ExecMode) -> Result<u32, BlockError> {
        if let Some(&i) = self.index.get(&(ip, mode)) {
            return Ok(i);
        }
        let blk = self.decode(ip, mode)?;
        let i = self.blocks.len() as u32;
        self.blocks.push(blk);
        self.index.insert((ip, mode), i);
        Ok(i)
    }

    /// The successor of block `from` along `taken` (false: fall-through), through the cache.
    #[inline]
    pub fn successor(&mut self, from: u32, taken: bool, ip: u64) -> Result<u32, BlockError> {
        let b = &self.blocks[from as usize];
        let s = b.succ[taken as usize];
        if s != NONE {
            return Ok(s);
        }
        let mode = b.mode;
        let s = self.lookup(ip, mode)?;
        self.blocks[from as usize].succ[taken as usize] = s;
        Ok(s)
    }

    /// The successor of block `from` at an indirect target, through a one-entry cache.
    #[inline]
    pub fn indirect(&mut self, from: u32, ip: u64, mode: ExecMode) -> Result<u32, BlockError> {
        let b = &self.blocks[from as usize];
        if b.ind.0 == ip && b.ind.1 != NONE && self.blocks[b.ind.1 as usize].mode == mode {
            return Ok(b.ind.1);
        }
        let s = self.lookup(ip, mode)?;
        self.blocks[from as usize].ind = (ip, s);
        Ok(s)
    }

    fn decode(&mut self, start: u64, mode: ExecMode) -> Result<Block, BlockError> {
        let bytes = self.image.bytes_at(start).ok_or(BlockError::NoMap)?;
        let mut dec = Decoder::with_ip(mode.bitness(), bytes, start, DecoderOptions::NONE);
        let mut offs = Vec::new();
        let mut exit = End::Fall;
        let mut end = start;
        let insn = &mut self.insn;
        while dec.can_decode() && offs.len() < MAX_INSNS {
            dec.decode_out(insn);
            if insn.is_invalid() {
                // Also when the bytes run out mid-instruction at the region end.
                break;
            }
            offs.push(end.wrapping_sub(start) as u32);
            end = insn.next_ip();
            let target = || insn.near_branch_target();
            exit = match insn.flow_control() {
                FlowControl::Next | FlowControl::XbeginXabortXend | FlowControl::Exception => continue,
                FlowControl::ConditionalBranch => End::Cond { target: target() },
                FlowControl::UnconditionalBranch if insn.is_jmp_far() => End::Far,
                FlowControl::UnconditionalBranch => End::Jump { target: target() },
                FlowControl::IndirectBranch if insn.is_jmp_far_indirect() => End::Far,
                FlowControl::IndirectBranch => End::IndJump,
                FlowControl::Call if insn.mnemonic() == Mnemonic::Call && !insn.is_call_far() => {
                    End::Call { target: target(), push: target() != end }
                }
                FlowControl::IndirectCall if !insn.is_call_far_indirect() => End::IndCall,
                FlowControl::Return if insn.mnemonic() == Mnemonic::Ret => End::Ret,
                FlowControl::Call
                | FlowControl::IndirectCall
                | FlowControl::Return
                | FlowControl::Interrupt => End::Far,
            };
            break;
        }
        if offs.is_empty() {
            // The first instruction does not decode: missing bytes past the region end are
            // unmapped memory, anything else is a bad instruction.
            let mapped = self.image.bytes_at(start).map_or(0, |b| b.len());
            return Err(if mapped < 15 { BlockError::NoMap } else { BlockError::BadInsn });
        }
        let last = start.wrapping_add(offs[offs.len() - 1] as u64);
        Ok(Block { start, end, offs, exit, mode, last, succ: [NONE; 2], ind: (0, NONE), run: (0, NONE) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_end_at_branches_and_classify_them() {
        let mut img = CodeImage::new();
        // 0x1000: mov eax,1; cmp eax,2; jne +2; call 0x100b (next insn); ret; syscall
        img.add(
            0x1000,
            vec![0xb8, 1, 0, 0, 0, 0x83, 0xf8, 2, 0x75, 0x02, 0xe8, 0, 0, 0, 0, 0xc3, 0x0f, 0x05],
            "t",
        );
        let mut c = BlockCache::new(&img);
        let b = c.lookup(0x1000, ExecMode::Bits64).unwrap();
        let b = c.get(b).clone();
        assert_eq!(b.offs, vec![0, 5, 8]);
        assert_eq!(b.exit, End::Cond { target: 0x100c });
        assert_eq!(b.end, 0x100a);
        assert_eq!(b.index_of(0x1005), Some(1));
        assert_eq!(b.index_of(0x1006), None);
        let b = c.lookup(0x100a, ExecMode::Bits64).unwrap();
        assert_eq!(c.get(b).exit, End::Call { target: 0x100f, push: false });
        let b = c.lookup(0x100f, ExecMode::Bits64).unwrap();
        assert_eq!(c.get(b).exit, End::Ret);
        let b = c.lookup(0x1010, ExecMode::Bits64).unwrap();
        assert_eq!(c.get(b).exit, End::Far);
        assert_eq!(c.lookup(0x2000, ExecMode::Bits64), Err(BlockError::NoMap));
    }
}
