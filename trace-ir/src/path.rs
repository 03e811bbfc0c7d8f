//! The path vocabulary shared by the tracers and the trace builder: the code a tracer walked
//! (`CodeImage`) and what it found executed (`Path`).
//!
//! A tracer's decoder turns raw trace bytes into a `Path`; nothing downstream knows which
//! tracer (Intel PT, CoreSight ETM, software) produced it.

use std::fmt;

/// One contiguous piece of code at a virtual address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CodeRegion {
    pub base: u64,
    pub bytes: Vec<u8>,
    /// Where the bytes came from (a file name, `jit`, ...), for messages.
    pub name: String,
}

impl CodeRegion {
    /// One past the last byte. Regions never reach past the top of the address space
    /// (`CodeImage::add` cuts them there), so this does not overflow.
    pub fn end(&self) -> u64 {
        self.base.saturating_add(self.bytes.len() as u64)
    }

    pub fn contains(&self, addr: u64) -> bool {
        addr >= self.base && addr < self.end()
    }
}

/// The traced program's code, as the decoder needs it to follow the flow between waypoints.
/// Regions are kept sorted by address and do not overlap; a later region shadows an earlier
/// one where they would.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CodeImage {
    regions: Vec<CodeRegion>,
}

impl CodeImage {
    pub fn new() -> CodeImage {
        CodeImage::default()
    }

    /// Adds code at `base`. Bytes that overlap an existing region replace it there; bytes
    /// that would lie past the top of the 64-bit address space are dropped (no address
    /// names them).
    pub fn add(&mut self, base: u64, mut bytes: Vec<u8>, name: impl Into<String>) {
        let room = u64::MAX - base;
        if bytes.len() as u64 > room {
            bytes.truncate(room as usize);
        }
        let new = CodeRegion { base, bytes, name: name.into() };
        if new.bytes.is_empty() {
            return;
        }
        let (lo, hi) = (new.base, new.end());
        let mut kept = Vec::with_capacity(self.regions.len() + 2);
        for r in self.regions.drain(..) {
            if r.end() <= lo || r.base >= hi {
                kept.push(r);
                continue;
            }
            if r.base < lo {
                let n = (lo - r.base) as usize;
                kept.push(CodeRegion { base: r.base, bytes: r.bytes[..n].to_vec(), name: r.name.clone() });
            }
            if r.end() > hi {
                let off = (hi - r.base) as usize;
                kept.push(CodeRegion { base: hi, bytes: r.bytes[off..].to_vec(), name: r.name.clone() });
            }
        }
        kept.push(new);
        kept.sort_by_key(|r| r.base);
        self.regions = kept;
    }

    pub fn regions(&self) -> &[CodeRegion] {
        &self.regions
    }

    pub fn region_of(&self, addr: u64) -> Option<&CodeRegion> {
        let i = self.regions.partition_point(|r| r.base <= addr);
        let r = self.regions.get(i.checked_sub(1)?)?;
        r.contains(addr).then_some(r)
    }

    /// The bytes from `addr` to the end of its region, or `None` when `addr` is not mapped.
    pub fn bytes_at(&self, addr: u64) -> Option<&[u8]> {
        let r = self.region_of(addr)?;
        Some(&r.bytes[(addr - r.base) as usize..])
    }

    /// Exactly `len` bytes at `addr`, when all of them are mapped in one region.
    pub fn read(&self, addr: u64, len: usize) -> Option<&[u8]> {
        self.bytes_at(addr).and_then(|b| b.get(..len))
    }
}

/// How the last instruction of an executed range left it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BranchKind {
    /// Not a branch: the range ended for another reason (trace off, an exception, the end of
    /// the data).
    None,
    /// A direct jump or conditional branch.
    Direct,
    /// A branch to a register or memory target.
    Indirect,
    Call,
    IndirectCall,
    Return,
}

/// A run of sequential instructions that executed, from `start` up to (not including) `end`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ExecRange {
    pub start: u64,
    pub end: u64,
    pub insn_count: u32,
    pub last_insn_size: u8,
    pub last_kind: BranchKind,
    /// Whether the last instruction's branch was taken (false for a not-taken conditional).
    pub taken: bool,
}

impl ExecRange {
    pub fn last_insn(&self) -> u64 {
        self.end - self.last_insn_size as u64
    }
}

/// One thing a decoder found, in execution order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PathEvent {
    Range(ExecRange),
    /// Tracing (re)started at `addr`, e.g. after a filter region was entered.
    TraceOn {
        addr: Option<u64>,
    },
    /// Tracing stopped (left the filter region, or disabled) after `addr`.
    TraceOff {
        addr: Option<u64>,
    },
    /// An asynchronous transfer: an interrupt, exception or far transfer from `from`.
    Exception {
        from: Option<u64>,
        to: Option<u64>,
        number: u32,
    },
    ExceptionReturn,
    /// The tracer lost data; execution between here and the next sync point is unknown.
    Overflow,
    /// The decoder could not follow the flow (missing code, bad data) and resynced.
    Gap {
        reason: String,
    },
    /// A time stamp in the tracer's clock.
    Timestamp(u64),
    /// Context (process or thread id, address space) changed.
    Context {
        id: u64,
    },
}

/// The decoded path: what executed, in order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Path {
    pub events: Vec<PathEvent>,
}

impl Path {
    pub fn ranges(&self) -> impl Iterator<Item = &ExecRange> {
        self.events.iter().filter_map(|e| match e {
            PathEvent::Range(r) => Some(r),
            _ => None,
        })
    }

    pub fn insn_count(&self) -> u64 {
        self.ranges().map(|r| r.insn_count as u64).sum()
    }
}

impl fmt::Display for ExecRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:#x}..{:#x} ({} insns, {:?}{})",
            self.start,
            self.end,
            self.insn_count,
            self.last_kind,
            if self.taken { ", taken" } else { "" }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlapping_regions_are_shadowed_by_the_later_one() {
        let mut img = CodeImage::new();
        img.add(0x1000, vec![1; 16], "a");
        img.add(0x1008, vec![2; 4], "b");
        assert_eq!(img.read(0x1006, 2), Some(&[1u8, 1][..]));
        assert_eq!(img.read(0x1008, 4), Some(&[2u8; 4][..]));
        assert_eq!(img.read(0x100c, 4), Some(&[1u8; 4][..]));
        assert_eq!(img.read(0x100e, 4), None);
        assert!(img.bytes_at(0x2000).is_none());
        assert!(img.bytes_at(0xfff).is_none());
        assert_eq!(img.regions().len(), 3);
    }

    #[test]
    fn code_at_the_top_of_the_address_space_is_cut_there() {
        let mut img = CodeImage::new();
        img.add(u64::MAX - 2, vec![7; 16], "top");
        assert_eq!(img.regions()[0].bytes.len(), 2);
        assert_eq!(img.regions()[0].end(), u64::MAX);
        assert_eq!(img.read(u64::MAX - 2, 2), Some(&[7u8, 7][..]));
        assert!(img.bytes_at(u64::MAX).is_none());
        img.add(u64::MAX - 8, vec![1; 4], "below");
        assert_eq!(img.regions().len(), 2);
    }
}
