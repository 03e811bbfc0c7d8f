//! The code region: one reservation that never moves, filled by appending, W^X at all times.
//!
//! The whole region is reserved `PROT_NONE` up front so that every trace has a fixed address
//! (side exits and `link` branch between traces with `b`, so the region is at most 128 MiB,
//! the reach of `b`). Appending flips only the pages it touches to read-write, copies, flips
//! them back to read-execute and synchronizes the i-cache. Patching does the same for one
//! page and one word. A page is never writable and executable at once; while a page is
//! writable it is not executable, so no compiled code may run during an append or a patch
//! (the `Jit` thread-safety contract).

use trace_ir::backend::BackendError;

use crate::cache;

/// The default reservation: 64 MiB, half the reach of `b`.
pub const DEFAULT_CAPACITY: usize = 64 << 20;

pub struct CodeRegion {
    base: *mut u8,
    cap: usize,
    used: usize,
    page: usize,
}

// SAFETY: the region is plain memory owned by this value; all mutation goes through
// `&mut self`.
unsafe impl Send for CodeRegion {}

fn os_err(what: &str) -> BackendError {
    BackendError::Memory(format!("{what}: {}", std::io::Error::last_os_error()))
}

impl CodeRegion {
    pub fn new(cap: usize) -> Result<CodeRegion, BackendError> {
        // SAFETY: sysconf has no preconditions.
        let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
        let page = if page > 0 { page as usize } else { 4096 };
        let cap = cap.div_ceil(page) * page;
        if cap == 0 || cap > 128 << 20 {
            return Err(BackendError::Memory(format!("code region of {cap} bytes (1 page to 128 MiB)")));
        }
        // SAFETY: an anonymous private mapping at an address of the kernel's choosing; it
        // aliases nothing.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                cap,
                libc::PROT_NONE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                -1,
                0,
            )
        };
        if p == libc::MAP_FAILED {
            return Err(os_err("mmap"));
        }
        Ok(CodeRegion { base: p as *mut u8, cap, used: 0, page })
    }

    pub fn base(&self) -> u64 {
        self.base as u64
    }

    pub fn used(&self) -> usize {
        self.used
    }

    /// The offset the next append will start at.
    pub fn next_offset(&self) -> usize {
        self.used.div_ceil(16) * 16
    }

    fn protect(&self, start: usize, end: usize, prot: libc::c_int) -> Result<(), BackendError> {
        let s = start / self.page * self.page;
        let e = end.div_ceil(self.page) * self.page;
        // SAFETY: [s, e) lies inside our own mapping (end <= cap, cap is page-aligned).
        let r = unsafe { libc::mprotect(self.base.add(s) as *mut libc::c_void, e - s, prot) };
        if r != 0 {
            return Err(os_err("mprotect"));
        }
        Ok(())
    }

    /// Appends `code` at `next_offset()` and returns that offset.
    pub fn append(&mut self, code: &[u8]) -> Result<usize, BackendError> {
        let start = self.next_offset();
        let end = start
            .checked_add(code.len())
            .filter(|&e| e <= self.cap)
            .ok_or_else(|| BackendError::Memory(format!("code region full ({} bytes)", self.cap)))?;
        self.protect(start, end, libc::PROT_READ | libc::PROT_WRITE)?;
        // SAFETY: [start, end) is inside the mapping and writable now; `code` is a separate
        // allocation.
        unsafe { std::ptr::copy_nonoverlapping(code.as_ptr(), self.base.add(start), code.len()) };
        self.protect(start, end, libc::PROT_READ | libc::PROT_EXEC)?;
        self.used = end;
        // New code: make it visible to instruction fetch before anyone branches to it.
        cache::sync(self.bytes(start, code.len()));
        Ok(start)
    }

    pub fn read_u32(&self, off: usize) -> Option<u32> {
        if !off.is_multiple_of(4) || off + 4 > self.used {
            return None;
        }
        // SAFETY: in bounds of the used (readable) part, 4-byte aligned.
        Some(unsafe { std::ptr::read_volatile(self.base.add(off) as *const u32) })
    }

    /// Replaces the instruction word at `off`. The store is a single aligned 32-bit write, so
    /// an instruction fetch sees either the old or the new word, never a mix (single-copy
    /// atomicity of aligned words; also the architecture's rule for concurrently modified
    /// `b`). After it the i-cache is synchronized for that word.
    pub fn patch_u32(&mut self, off: usize, word: u32) -> Result<(), BackendError> {
        if !off.is_multiple_of(4) || off + 4 > self.used {
            return Err(BackendError::Memory(format!("patch at {off:#x} outside the code")));
        }
        self.protect(off, off + 4, libc::PROT_READ | libc::PROT_WRITE)?;
        // SAFETY: in bounds, aligned, and the page is writable now.
        unsafe { std::ptr::write_volatile(self.base.add(off) as *mut u32, word) };
        self.protect(off, off + 4, libc::PROT_READ | libc::PROT_EXEC)?;
        // The patched branch may already be in the i-cache of this or another core: clean
        // the line to the point of unification and invalidate it, then isb.
        cache::sync(self.bytes(off, 4));
        Ok(())
    }

    pub fn ptr(&self, off: usize) -> *const u8 {
        self.base.wrapping_add(off)
    }

    pub fn bytes(&self, off: usize, len: usize) -> &[u8] {
        assert!(off + len <= self.used);
        // SAFETY: inside the used part, which is mapped readable.
        unsafe { std::slice::from_raw_parts(self.base.add(off), len) }
    }
}

impl Drop for CodeRegion {
    fn drop(&mut self) {
        // SAFETY: unmaps exactly the mapping created in `new`; no code of it can run after
        // its owner is gone.
        unsafe { libc::munmap(self.base as *mut libc::c_void, self.cap) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The permissions /proc/self/maps shows for `addr`.
    fn perms(addr: u64) -> Option<String> {
        let maps = std::fs::read_to_string("/proc/self/maps").ok()?;
        maps.lines().find_map(|l| {
            let mut it = l.split_whitespace();
            let range = it.next()?;
            let perm = it.next()?;
            let (s, e) = range.split_once('-')?;
            let (s, e) = (u64::from_str_radix(s, 16).ok()?, u64::from_str_radix(e, 16).ok()?);
            (s <= addr && addr < e).then(|| perm.to_string())
        })
    }

    #[test]
    fn appends_are_executable_and_never_writable() {
        let mut r = CodeRegion::new(1 << 20).unwrap();
        let a = r.append(&[0x1f, 0x20, 0x03, 0xd5, 0xc0, 0x03, 0x5f, 0xd6]).unwrap();
        assert_eq!(a, 0);
        let b = r.append(&[0xc0, 0x03, 0x5f, 0xd6]).unwrap();
        assert_eq!(b, 16, "appends are 16-byte aligned");
        assert_eq!(r.read_u32(16), Some(0xd65f03c0));
        if let Some(p) = perms(r.base()) {
            assert!(p.starts_with("r-x"), "code page is {p}");
        }
        r.patch_u32(4, 0xd503201f).unwrap();
        assert_eq!(r.read_u32(4), Some(0xd503201f));
        if let Some(p) = perms(r.base()) {
            assert!(p.starts_with("r-x"), "after a patch the page is {p}");
        }
        assert!(r.patch_u32(2, 0).is_err());
        assert!(r.patch_u32(20, 0).is_err(), "past the end of the code");
        assert_eq!(r.read_u32(20), None);
    }

    #[test]
    fn a_full_region_is_a_typed_error() {
        let mut r = CodeRegion::new(4096).unwrap();
        let big = vec![0u8; r.cap + 1];
        assert!(matches!(r.append(&big), Err(BackendError::Memory(_))));
        assert!(CodeRegion::new(256 << 20).is_err());
    }
}
