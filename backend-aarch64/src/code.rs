//! The code region: one reservation that never moves, filled by appending, W^X at all times.
//!
//! The whole region is reserved `PROT_NONE` up front so that every trace has a fixed address
//! (side exits and `link` branch between traces with `b`, so the region is at most 128 MiB,
//! the reach of `b`). Appending flips only the pages it touches to read-write, copies, flips
//! them back to read-execute and synchronizes the i-cache. Patching does the same for one
//! page and one word. A page is never writable and executable at once; while a page is
//! writable it is not executable, so no compiled code may run during an append or a patch
//! (the `Jit` thread-safety contract).
//!
//! The mapping is file-backed where the system allows: a memfd (`tracery-code`) mapped
//! `MAP_SHARED` from file offset 0, so a hardware tracer's address filter can name the code
//! by file (`file_path()`, `/proc/self/fd/N`, and `file_offset()`). The file has no other
//! mapping, so the protections above are the only way to the bytes from memory. Where memfds
//! are refused (ENOSYS on old kernels, an emulator, a policy against executing them), the
//! region is anonymous memory instead and `anonymous_reason()` says why; everything else works
//! the same, only hardware tracing cannot filter on it.

use std::ffi::CString;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::path::PathBuf;

use trace_ir::backend::BackendError;

use crate::cache;

/// The default reservation: 64 MiB, half the reach of `b`.
pub const DEFAULT_CAPACITY: usize = 64 << 20;

pub struct CodeRegion {
    base: *mut u8,
    cap: usize,
    used: usize,
    page: usize,
    backing: Backing,
}

// SAFETY: the region is plain memory owned by this value; all mutation goes through
// `&mut self`.
unsafe impl Send for CodeRegion {}

fn os_err(what: &str) -> BackendError {
    BackendError::Memory(format!("{what}: {}", std::io::Error::last_os_error()))
}

/// The memfd's name, as `/proc/self/maps` shows it (`/memfd:tracery-code (deleted)`).
pub const MEMFD_NAME: &str = "tracery-code";

/// What holds the region's bytes.
enum Backing {
    /// A memfd mapped `MAP_SHARED` at file offset 0: a hardware tracer's address filter can
    /// name the code as `/proc/self/fd/N`.
    File(OwnedFd),
    /// Anonymous memory, with the reason the file-backed mapping was not used.
    Anonymous(String),
}

/// Maps `size` bytes of a fresh memfd, `PROT_NONE`, or says why not (the caller then falls
/// back to anonymous memory). The file has no other mapping: the only way to write code is
/// through the region's own read-write window, so W^X holds for the mapping. (The descriptor
/// itself is writable, as any memfd is; it is close-on-exec and owned by the region, and a
/// tracer only reads its path.) The size is sealed, so nothing can truncate the file under
/// running code (a mapping past the end of its file faults).
fn map_file(size: usize, page: usize) -> Result<(*mut u8, OwnedFd), String> {
    let name = CString::new(MEMFD_NAME).expect("no NUL in the name");
    let create = |flags: libc::c_uint| {
        // SAFETY: `name` is a valid NUL-terminated string that outlives the call; the result
        // is checked below.
        let fd = unsafe { libc::memfd_create(name.as_ptr(), flags) };
        // SAFETY: a non-negative result is a fresh descriptor that nothing else owns.
        (fd >= 0).then(|| unsafe { OwnedFd::from_raw_fd(fd) }).ok_or_else(std::io::Error::last_os_error)
    };
    let base = libc::MFD_CLOEXEC | libc::MFD_ALLOW_SEALING;
    // MFD_EXEC (Linux 6.3) keeps the file executable where vm.memfd_noexec defaults memfds to
    // non-executable; older kernels refuse the flag with EINVAL, so ask again without it.
    let fd = match create(base | libc::MFD_EXEC) {
        Err(e) if e.raw_os_error() == Some(libc::EINVAL) => create(base),
        r => r,
    }
    .map_err(|e| format!("memfd_create: {e}"))?;
    let len = libc::off_t::try_from(size).map_err(|_| format!("{size} bytes do not fit off_t"))?;
    // SAFETY: `fd` is an open memfd owned here; ftruncate only sets its length.
    if unsafe { libc::ftruncate(fd.as_raw_fd(), len) } != 0 {
        return Err(format!("ftruncate: {}", std::io::Error::last_os_error()));
    }
    // Best effort: a kernel or emulator without sealing still gives a working region.
    // SAFETY: F_ADD_SEALS on an owned memfd takes an int flag set and touches no memory.
    unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_ADD_SEALS, libc::F_SEAL_SHRINK | libc::F_SEAL_GROW) };
    // SAFETY: a shared mapping of our own file at an address of the kernel's choosing; it
    // aliases no Rust memory. The result is checked for MAP_FAILED.
    let p = unsafe {
        libc::mmap(std::ptr::null_mut(), size, libc::PROT_NONE, libc::MAP_SHARED, fd.as_raw_fd(), 0)
    };
    if p == libc::MAP_FAILED {
        return Err(format!("mmap of the memfd: {}", std::io::Error::last_os_error()));
    }
    // Some policies (noexec mounts, LSMs) allow the mapping but refuse PROT_EXEC on it; find
    // out now, on one page that holds no code yet, rather than at the first install.
    // SAFETY: the first page of the mapping just made; read-execute is not writable, and
    // the page goes back to PROT_NONE before anything is written.
    let exec = unsafe { libc::mprotect(p, page, libc::PROT_READ | libc::PROT_EXEC) };
    let err = std::io::Error::last_os_error();
    // SAFETY: as above; PROT_NONE is the state every page starts in.
    let back = unsafe { libc::mprotect(p, page, libc::PROT_NONE) };
    if exec != 0 || back != 0 {
        // SAFETY: unmaps exactly the mapping made above, which holds no code.
        unsafe { libc::munmap(p, size) };
        return Err(format!("the memfd mapping cannot be made executable: {err}"));
    }
    Ok((p as *mut u8, fd))
}

/// Maps `size` bytes of anonymous memory, `PROT_NONE`.
fn map_anonymous(size: usize) -> Result<*mut u8, BackendError> {
    // SAFETY: an anonymous private mapping at an address of the kernel's choosing touches no
    // existing memory; the result is checked for MAP_FAILED.
    let p = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            size,
            libc::PROT_NONE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
            -1,
            0,
        )
    };
    if p == libc::MAP_FAILED {
        return Err(os_err("mmap of the code region"));
    }
    Ok(p as *mut u8)
}

impl CodeRegion {
    /// A region of `cap` bytes (rounded up to pages) in a memfd; anonymous memory when the
    /// system refuses the memfd (`anonymous_reason` says why), never an error for that alone.
    pub fn new(cap: usize) -> Result<CodeRegion, BackendError> {
        CodeRegion::with_backing(cap, true)
    }

    /// A region in anonymous memory, as when memfds are unavailable.
    pub fn new_anonymous(cap: usize) -> Result<CodeRegion, BackendError> {
        CodeRegion::with_backing(cap, false)
    }

    fn with_backing(cap: usize, file: bool) -> Result<CodeRegion, BackendError> {
        // SAFETY: sysconf has no preconditions.
        let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
        let page = if page > 0 { page as usize } else { 4096 };
        let cap = cap.div_ceil(page) * page;
        if cap == 0 || cap > 128 << 20 {
            return Err(BackendError::Memory(format!("code region of {cap} bytes (1 page to 128 MiB)")));
        }
        let mapped = if file { map_file(cap, page) } else { Err("anonymous by request".to_string()) };
        let (base, backing) = match mapped {
            Ok((p, fd)) => (p, Backing::File(fd)),
            Err(why) => (map_anonymous(cap)?, Backing::Anonymous(why)),
        };
        Ok(CodeRegion { base, cap, used: 0, page, backing })
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

    /// The file that holds the code, as a path a hardware tracer's address filter can name
    /// (`/proc/self/fd/N`, valid while the region lives), or `None` when the region is
    /// anonymous (`anonymous_reason` says why).
    pub fn file_path(&self) -> Option<PathBuf> {
        self.fd().map(|fd| PathBuf::from(format!("/proc/self/fd/{}", fd.as_raw_fd())))
    }

    /// The file offset of the base when file-backed: address `base() + k` is file offset
    /// `file_offset() + k`. Always 0.
    pub fn file_offset(&self) -> Option<u64> {
        self.fd().map(|_| 0)
    }

    /// The memfd, when file-backed.
    pub fn fd(&self) -> Option<BorrowedFd<'_>> {
        match &self.backing {
            Backing::File(fd) => Some(fd.as_fd()),
            Backing::Anonymous(_) => None,
        }
    }

    /// Why the region is anonymous memory rather than a memfd, or `None` when file-backed.
    pub fn anonymous_reason(&self) -> Option<&str> {
        match &self.backing {
            Backing::File(_) => None,
            Backing::Anonymous(why) => Some(why),
        }
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

    /// Replaces the aligned 8-byte data word at `off` (a dispatch table entry): a single
    /// aligned 64-bit store, so a load sees the old or the new address. It is data, read by
    /// `ldr`, so no i-cache maintenance is needed.
    pub fn patch_u64(&mut self, off: usize, word: u64) -> Result<(), BackendError> {
        if !off.is_multiple_of(8) || off + 8 > self.used {
            return Err(BackendError::Memory(format!("patch at {off:#x} outside the code")));
        }
        self.protect(off, off + 8, libc::PROT_READ | libc::PROT_WRITE)?;
        // SAFETY: in bounds of the used part, 8-byte aligned, and the page is writable now.
        unsafe { std::ptr::write_volatile(self.base.add(off) as *mut u64, word) };
        self.protect(off, off + 8, libc::PROT_READ | libc::PROT_EXEC)?;
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
        // SAFETY: unmaps exactly the mapping created in `with_backing` (the memfd, if any,
        // closes after it); no code of it can run after its owner is gone.
        unsafe { libc::munmap(self.base as *mut libc::c_void, self.cap) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `/proc/self/maps` lines of the mappings that overlap `[base, base + len)`.
    fn maps_lines(base: u64, len: u64) -> Vec<String> {
        let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
        maps.lines()
            .filter(|l| {
                let (s, e) = l.split_whitespace().next().unwrap().split_once('-').unwrap();
                let (s, e) = (u64::from_str_radix(s, 16).unwrap(), u64::from_str_radix(e, 16).unwrap());
                s < base + len && base < e
            })
            .map(str::to_string)
            .collect()
    }

    /// No line is writable and executable, and some line is read-execute.
    fn assert_w_xor_x(lines: &[String]) {
        assert!(!lines.is_empty());
        for l in lines {
            let perm = l.split_whitespace().nth(1).unwrap();
            assert!(!(perm.contains('w') && perm.contains('x')), "W+X mapping: {l}");
        }
        assert!(lines.iter().any(|l| l.split_whitespace().nth(1).unwrap().starts_with("r-x")), "{lines:#?}");
    }

    /// `len` bytes at `off` of the file at `path`, opened afresh (as a tracer would).
    fn pread(path: &std::path::Path, off: u64, len: usize) -> Vec<u8> {
        use std::os::unix::fs::FileExt;
        let f = std::fs::File::open(path).unwrap();
        let mut buf = vec![0; len];
        f.read_exact_at(&mut buf, off).unwrap();
        buf
    }

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

    #[test]
    fn the_region_is_a_memfd_whose_file_reads_back_the_installed_code() {
        let mut r = CodeRegion::new(1 << 20).unwrap();
        assert_eq!(r.anonymous_reason(), None, "the memfd was refused");
        let path = r.file_path().unwrap();
        assert!(path.starts_with("/proc/self/fd/"), "{path:?}");
        assert_eq!(r.file_offset(), Some(0));
        let code: Vec<u8> = (0..5000u32).map(|i| (i * 7 + 1) as u8).collect();
        r.append(&[0xc0, 0x03, 0x5f, 0xd6]).unwrap();
        let at = r.append(&code).unwrap();
        r.patch_u32(at + 4, 0xd503201f).unwrap();
        let lines = maps_lines(r.base(), r.cap as u64);
        assert!(lines.iter().all(|l| l.contains(&format!("/memfd:{MEMFD_NAME}"))), "{lines:#?}");
        assert_w_xor_x(&lines);
        let off = r.file_offset().unwrap();
        assert_eq!(pread(&path, off, r.used()), r.bytes(0, r.used()));
        assert_eq!(pread(&path, off + at as u64 + 4, 4), 0xd503201fu32.to_le_bytes());
    }

    #[test]
    fn a_forced_anonymous_region_works_and_says_why() {
        let mut r = CodeRegion::new_anonymous(1 << 20).unwrap();
        assert_eq!((r.file_path(), r.file_offset()), (None, None));
        assert!(r.fd().is_none());
        assert!(r.anonymous_reason().is_some_and(|w| w.contains("anonymous")), "{:?}", r.anonymous_reason());
        let at = r.append(&[0x1f, 0x20, 0x03, 0xd5, 0xc0, 0x03, 0x5f, 0xd6]).unwrap();
        r.patch_u32(at, 0xd65f03c0).unwrap();
        assert_eq!(r.read_u32(at), Some(0xd65f03c0));
        let lines = maps_lines(r.base(), r.cap as u64);
        assert!(lines.iter().all(|l| !l.contains("memfd")), "{lines:#?}");
        assert_w_xor_x(&lines);
    }
}
