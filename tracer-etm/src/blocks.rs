//! Decoded code blocks: runs of instructions from a start address up to and including the
//! next waypoint (a branch, ISB, ...) or the end of mapped memory. Each block is decoded once;
//! after that, following the flow is a hash lookup plus a successor index per block.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use trace_ir::path::CodeImage;

use crate::insn::{classify, InsnInfo};

#[derive(Clone, Copy, Debug)]
pub struct Block {
    pub start: u64,
    /// Address after the last decoded instruction.
    pub end: u64,
    pub num_instr: u32,
    /// The waypoint that ends the block (meaningless when `nacc` and `num_instr` is 0).
    pub last: InsnInfo,
    /// The block ran into unmapped memory at `end` instead of a waypoint.
    pub nacc: bool,
    /// Cached block index of the direct-branch target and of the fall-through, once known.
    succ_taken: u32,
    succ_next: u32,
}

const NONE: u32 = u32::MAX;

/// Addresses are already well spread; a multiply-shift hash is plenty and much cheaper than
/// SipHash on the hot lookup.
#[derive(Default)]
pub struct AddrHasher(u64);

impl Hasher for AddrHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(5) ^ b as u64).wrapping_mul(0x517c_c1b7_2722_0a95);
        }
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = (v ^ (v >> 29)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

type AddrMap<V> = HashMap<u64, V, BuildHasherDefault<AddrHasher>>;

/// Per-image block cache.
pub struct BlockCache<'a> {
    image: &'a CodeImage,
    wfx_branch: bool,
    blocks: Vec<Block>,
    by_addr: AddrMap<u32>,
}

impl<'a> BlockCache<'a> {
    pub fn new(image: &'a CodeImage, wfx_branch: bool) -> BlockCache<'a> {
        BlockCache { image, wfx_branch, blocks: Vec::new(), by_addr: AddrMap::default() }
    }

    pub fn image(&self) -> &'a CodeImage {
        self.image
    }

    pub fn len(&self) -> usize {
        self.blocks.len()
    }

    pub fn is_empty(&self) -> bool {
        self.blocks.is_empty()
    }

    pub fn read_word(&self, addr: u64) -> Option<u32> {
        if let Some(b) = self.image.read(addr, 4) {
            return Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
        }
        // The word may straddle two adjacent regions (dumps need not end on a word).
        let mut w = [0u8; 4];
        for (i, x) in w.iter_mut().enumerate() {
            *x = *self.image.bytes_at(addr.checked_add(i as u64)?)?.first()?;
        }
        Some(u32::from_le_bytes(w))
    }

    /// Decodes the single instruction at `addr`.
    pub fn insn(&self, addr: u64) -> Option<InsnInfo> {
        self.read_word(addr).map(|w| classify(w, addr, self.wfx_branch))
    }

    /// The block starting at `addr`, decoding it on first use.
    pub fn block_id(&mut self, addr: u64) -> u32 {
        if let Some(&i) = self.by_addr.get(&addr) {
            return i;
        }
        let mut a = addr;
        let mut n = 0u32;
        let mut last = InsnInfo::OTHER;
        let mut nacc = true;
        // Walk the mapped bytes a region at a time (regions may be adjacent).
        'regions: while let Some(bytes) = self.image.bytes_at(a) {
            for w in bytes.chunks_exact(4) {
                let w = u32::from_le_bytes([w[0], w[1], w[2], w[3]]);
                last = classify(w, a, self.wfx_branch);
                a = a.wrapping_add(4);
                n += 1;
                if last.ty != crate::insn::InsnType::Other {
                    nacc = false;
                    break 'regions;
                }
                if a == 0 {
                    break 'regions;
                }
            }
            if bytes.len() % 4 != 0 {
                // a partial instruction at the end of a region: readable only if the next
                // region continues it
                if self.read_word(a).is_none() {
                    break;
                }
                let w = self.read_word(a).unwrap_or(0);
                last = classify(w, a, self.wfx_branch);
                a = a.wrapping_add(4);
                n += 1;
                if last.ty != crate::insn::InsnType::Other {
                    nacc = false;
                    break;
                }
            }
        }
        let id = self.blocks.len() as u32;
        self.blocks.push(Block {
            start: addr,
            end: a,
            num_instr: n,
            last,
            nacc,
            succ_taken: NONE,
            succ_next: NONE,
        });
        self.by_addr.insert(addr, id);
        id
    }

    pub fn block(&self, id: u32) -> &Block {
        &self.blocks[id as usize]
    }

    /// The successor block after `id`: the direct branch target when `taken`, else the
    /// fall-through. Cached in the block so steady-state decoding skips the hash lookup.
    pub fn successor(&mut self, id: u32, taken: bool) -> u32 {
        let b = self.blocks[id as usize];
        let cached = if taken { b.succ_taken } else { b.succ_next };
        if cached != NONE {
            return cached;
        }
        let next = self.block_id(if taken { b.last.target } else { b.end });
        let bm = &mut self.blocks[id as usize];
        if taken {
            bm.succ_taken = next;
        } else {
            bm.succ_next = next;
        }
        next
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_instruction_split_across_adjacent_regions_is_read_whole() {
        // nop; nop (its last two bytes in the next region); ret
        let mut img = CodeImage::new();
        img.add(0x1000, vec![0x1f, 0x20, 0x03, 0xd5, 0x1f, 0x20], "a");
        img.add(0x1006, vec![0x03, 0xd5, 0xc0, 0x03, 0x5f, 0xd6], "b");
        let mut c = BlockCache::new(&img, false);
        let id = c.block_id(0x1000);
        let b = *c.block(id);
        assert_eq!((b.start, b.end, b.num_instr, b.nacc), (0x1000, 0x100c, 3, false));
        assert_eq!(c.read_word(0x1004), Some(0xd503_201f));
        assert_eq!(c.read_word(0x100a), None, "runs off the end");
        assert_eq!(c.read_word(u64::MAX - 1), None);
    }
}
