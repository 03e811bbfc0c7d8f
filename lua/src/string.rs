//! Lua strings: immutable byte strings, all interned, so string equality is pointer
//! equality and a string key hashes once, at creation.

use crate::gc::{GcHeader, K_STR};
use std::ptr;

/// A Lua string. The bytes live in their own allocation (`data`, `len` bytes, plus a
/// trailing 0 so C-style consumers can read them), so the header has a fixed size and the
/// VM can read `len` and `data` at fixed offsets. `hdr.next` chains the intern bucket.
#[repr(C)]
pub struct LuaStr {
    pub hdr: GcHeader,
    pub hash: u64,
    pub len: u64,
    pub data: *mut u8,
}

pub const STR_HASH: usize = std::mem::offset_of!(LuaStr, hash);
pub const STR_LEN: usize = std::mem::offset_of!(LuaStr, len);
pub const STR_DATA: usize = std::mem::offset_of!(LuaStr, data);

impl LuaStr {
    /// The string's bytes.
    pub fn as_bytes(&self) -> &[u8] {
        // SAFETY: `data` came from a boxed slice of `len + 1` bytes that lives as long as
        // `self` (freed only in `free`), and is never written after creation.
        unsafe { std::slice::from_raw_parts(self.data, self.len as usize) }
    }

    /// Bytes the heap accounts for this string.
    pub(crate) fn size(&self) -> usize {
        std::mem::size_of::<LuaStr>() + self.len as usize + 1
    }
}

/// A fast 64-bit hash (an Fx-style multiply-rotate over 8-byte words, then a final
/// avalanche so the low bits used for bucket selection depend on every byte).
pub fn hash_bytes(b: &[u8], seed: u64) -> u64 {
    const K: u64 = 0x517c_c1b7_2722_0a95;
    let mut h = seed ^ (b.len() as u64).wrapping_mul(K);
    let mut chunks = b.chunks_exact(8);
    for c in &mut chunks {
        let w = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
        h = (h.rotate_left(5) ^ w).wrapping_mul(K);
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut buf = [0u8; 8];
        buf[..rest.len()].copy_from_slice(rest);
        h = (h.rotate_left(5) ^ u64::from_le_bytes(buf)).wrapping_mul(K);
    }
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h
}

/// The intern table: buckets of strings chained through `hdr.next`. It owns the strings;
/// the collector sweeps it (strings are not on the heap's object list).
pub(crate) struct StrTable {
    buckets: Vec<*mut LuaStr>,
    count: usize,
    seed: u64,
}

impl StrTable {
    pub(crate) fn new() -> StrTable {
        StrTable { buckets: vec![ptr::null_mut(); 64], count: 0, seed: 0x9e37_79b9_7f4a_7c15 }
    }

    pub(crate) fn len(&self) -> usize {
        self.count
    }

    /// Finds or creates the string; returns it and the bytes newly allocated (0 if found).
    pub(crate) fn intern(&mut self, b: &[u8]) -> (*mut LuaStr, usize) {
        let h = hash_bytes(b, self.seed);
        let mask = self.buckets.len() - 1;
        let mut p = self.buckets[h as usize & mask];
        while !p.is_null() {
            // SAFETY: every pointer in a bucket chain is a live string owned by this table.
            let s = unsafe { &*p };
            if s.hash == h && s.as_bytes() == b {
                return (p, 0);
            }
            p = s.hdr.next as *mut LuaStr;
        }
        if self.count >= self.buckets.len() {
            self.resize(self.buckets.len() * 2);
        }
        let mut bytes = Vec::new();
        if bytes.try_reserve_exact(b.len() + 1).is_err() {
            crate::gc::out_of_memory();
        }
        bytes.extend_from_slice(b);
        bytes.push(0);
        let data = Box::into_raw(bytes.into_boxed_slice()) as *mut u8;
        let idx = h as usize & (self.buckets.len() - 1);
        let s = Box::into_raw(Box::new(LuaStr {
            hdr: GcHeader::new(K_STR, self.buckets[idx] as *mut GcHeader),
            hash: h,
            len: b.len() as u64,
            data,
        }));
        self.buckets[idx] = s;
        self.count += 1;
        // SAFETY: just allocated above.
        (s, unsafe { (*s).size() })
    }

    fn resize(&mut self, n: usize) {
        let mut nb = vec![ptr::null_mut::<LuaStr>(); n];
        for &head in &self.buckets {
            let mut p = head;
            while !p.is_null() {
                // SAFETY: a live string of this table; we relink it into the new buckets.
                let s = unsafe { &mut *p };
                let next = s.hdr.next as *mut LuaStr;
                let i = s.hash as usize & (n - 1);
                s.hdr.next = nb[i] as *mut GcHeader;
                nb[i] = p;
                p = next;
            }
        }
        self.buckets = nb;
    }

    /// Frees unmarked strings, clears the marks of the rest; returns (live bytes, freed count).
    pub(crate) fn sweep(&mut self) -> (usize, usize) {
        let mut live = 0;
        let mut freed = 0;
        for head in self.buckets.iter_mut() {
            let mut link: *mut *mut LuaStr = head;
            // SAFETY: `link` points at a bucket head or at a live string's `hdr.next`,
            // both valid for the duration of this loop; unmarked strings are unlinked
            // before they are freed, so no freed memory is read.
            unsafe {
                while !(*link).is_null() {
                    let s = *link;
                    if (*s).hdr.marked != 0 {
                        (*s).hdr.marked = 0;
                        live += (*s).size();
                        link = &mut (*s).hdr.next as *mut *mut GcHeader as *mut *mut LuaStr;
                    } else {
                        *link = (*s).hdr.next as *mut LuaStr;
                        free_str(s);
                        freed += 1;
                    }
                }
            }
        }
        self.count -= freed;
        (live, freed)
    }

    /// Whether `b` is interned (for tests and debugging).
    pub(crate) fn contains(&self, b: &[u8]) -> bool {
        let h = hash_bytes(b, self.seed);
        let mut p = self.buckets[h as usize & (self.buckets.len() - 1)];
        while !p.is_null() {
            // SAFETY: live strings of this table.
            let s = unsafe { &*p };
            if s.as_bytes() == b {
                return true;
            }
            p = s.hdr.next as *mut LuaStr;
        }
        false
    }
}

/// Frees one string and its bytes.
///
/// # Safety
/// `s` must be a string created by `StrTable::intern`, already unlinked, not used again.
unsafe fn free_str(s: *mut LuaStr) {
    // SAFETY: per the contract; `data` is the boxed slice of `len + 1` bytes.
    unsafe {
        let b = Box::from_raw(s);
        drop(Box::from_raw(ptr::slice_from_raw_parts_mut(b.data, b.len as usize + 1)));
    }
}

impl Drop for StrTable {
    fn drop(&mut self) {
        for &head in &self.buckets {
            let mut p = head;
            while !p.is_null() {
                // SAFETY: each string is visited once and freed after reading its link.
                unsafe {
                    let next = (*p).hdr.next as *mut LuaStr;
                    free_str(p);
                    p = next;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interning_gives_one_pointer() {
        let mut t = StrTable::new();
        let (a, n) = t.intern(b"hello");
        assert!(n > 0);
        let (b, m) = t.intern(b"hello");
        assert_eq!(a, b);
        assert_eq!(m, 0);
        let (c, _) = t.intern(b"hellp");
        assert_ne!(a, c);
        // SAFETY: live strings of `t`.
        unsafe {
            assert_eq!((*a).as_bytes(), b"hello");
            assert_eq!(*(*a).data.add(5), 0);
        }
    }

    #[test]
    fn many_strings_survive_resizes() {
        let mut t = StrTable::new();
        let ptrs: Vec<_> = (0..5000).map(|i| t.intern(format!("s{i}").as_bytes()).0).collect();
        assert_eq!(t.len(), 5000);
        for (i, &p) in ptrs.iter().enumerate() {
            assert_eq!(t.intern(format!("s{i}").as_bytes()).0, p);
        }
        assert!(t.contains(b"s4999"));
        assert!(!t.contains(b"s5000"));
    }

    #[test]
    fn hash_depends_on_all_bytes() {
        assert_ne!(hash_bytes(b"abcdefghi", 1), hash_bytes(b"abcdefghj", 1));
        assert_ne!(hash_bytes(b"", 1), hash_bytes(b"\0", 1));
        assert_eq!(hash_bytes(b"xyz", 7), hash_bytes(b"xyz", 7));
    }
}
