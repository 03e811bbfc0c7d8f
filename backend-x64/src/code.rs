//! The code region: one reserved mapping that never moves, so installed code, exit stubs and
//! the `jmp rel32` between traces stay valid for the life of the `Jit`.
//!
//! W^X: pages start `PROT_NONE`; to write, the touched pages become read-write (not
//! executable), the bytes are copied, and the pages become read-execute. No page is ever
//! writable and executable at once. While a write is in progress the touched pages are not
//! executable, so no compiled code may run during `append` or `patch` (see `exit.rs`).
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

/// Protection of one page, as tracked by the region (checked against `/proc/self/maps` in
/// the tests).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Prot {
    None,
    ReadWrite,
    ReadExec,
}

pub struct CodeRegion {
    base: *mut u8,
    size: usize,
    used: usize,
    page: usize,
    prot: Vec<Prot>,
    backing: Backing,
}

/// The default reservation: room for many thousands of traces; only touched pages cost.
pub const DEFAULT_REGION: usize = 64 << 20;

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
    /// A region of `size` bytes (rounded up to pages) in a memfd; anonymous memory when the
    /// system refuses the memfd (`anonymous_reason` says why), never an error for that alone.
    pub fn new(size: usize) -> Result<CodeRegion, BackendError> {
        CodeRegion::with_backing(size, true)
    }

    /// A region in anonymous memory, as when memfds are unavailable.
    pub fn new_anonymous(size: usize) -> Result<CodeRegion, BackendError> {
        CodeRegion::with_backing(size, false)
    }

    fn with_backing(size: usize, file: bool) -> Result<CodeRegion, BackendError> {
        // SAFETY: sysconf has no preconditions.
        let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
        let page = if page > 0 { page as usize } else { 4096 };
        let size = size.div_ceil(page).max(1) * page;
        let mapped = if file { map_file(size, page) } else { Err("anonymous by request".to_string()) };
        let (base, backing) = match mapped {
            Ok((p, fd)) => (p, Backing::File(fd)),
            Err(why) => (map_anonymous(size)?, Backing::Anonymous(why)),
        };
        Ok(CodeRegion { base, size, used: 0, page, prot: vec![Prot::None; size / page], backing })
    }

    pub fn base(&self) -> usize {
        self.base as usize
    }

    pub fn len(&self) -> usize {
        self.size
    }

    /// Bytes installed so far (from the base).
    pub fn used(&self) -> usize {
        self.used
    }

    pub fn is_empty(&self) -> bool {
        self.used == 0
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

    /// The protections of every page, in order.
    pub fn protections(&self) -> &[Prot] {
        &self.prot
    }

    /// The address the next `append` with this alignment will write at.
    pub fn next_addr(&self, align: usize) -> usize {
        self.base() + self.used.next_multiple_of(align)
    }

    fn set_prot(&mut self, first: usize, last: usize, prot: Prot) -> Result<(), BackendError> {
        let flags = match prot {
            Prot::None => libc::PROT_NONE,
            Prot::ReadWrite => libc::PROT_READ | libc::PROT_WRITE,
            Prot::ReadExec => libc::PROT_READ | libc::PROT_EXEC,
        };
        // SAFETY: the page range lies inside our own mapping (callers pass page indices below
        // `prot.len()`), and the W^X rule holds: every flag set is either W or X, never both.
        let r = unsafe {
            libc::mprotect(self.base.add(first * self.page).cast(), (last - first) * self.page, flags)
        };
        if r != 0 {
            return Err(os_err("mprotect"));
        }
        self.prot[first..last].iter_mut().for_each(|p| *p = prot);
        Ok(())
    }

    /// Copies `bytes` to `offset` through a read-write window, then makes the pages
    /// read-execute again.
    fn write(&mut self, offset: usize, bytes: &[u8]) -> Result<(), BackendError> {
        if bytes.is_empty() {
            return Ok(());
        }
        let end = offset.checked_add(bytes.len()).filter(|&e| e <= self.size);
        let Some(end) = end else {
            return Err(BackendError::Memory(format!(
                "code region full ({} of {} bytes used, {} more needed)",
                self.used,
                self.size,
                bytes.len()
            )));
        };
        let first = offset / self.page;
        let last = end.div_ceil(self.page);
        self.set_prot(first, last, Prot::ReadWrite)?;
        // SAFETY: [offset, end) is inside the mapping (checked above) and now read-write; the
        // source is a distinct Rust slice, so the ranges cannot overlap.
        unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), self.base.add(offset), bytes.len()) };
        self.set_prot(first, last, Prot::ReadExec)
    }

    /// Appends code at the next `align`ed offset and returns that offset. The code must have
    /// been assembled for `next_addr(align)`.
    pub fn append(&mut self, bytes: &[u8], align: usize) -> Result<usize, BackendError> {
        let off = self.used.next_multiple_of(align);
        self.write(off, bytes)?;
        self.used = off + bytes.len();
        Ok(off)
    }

    /// Overwrites installed code (exit stub patching).
    pub fn patch(&mut self, offset: usize, bytes: &[u8]) -> Result<(), BackendError> {
        if offset + bytes.len() > self.used {
            return Err(BackendError::Memory(format!("patch at {offset:#x} outside installed code")));
        }
        self.write(offset, bytes)
    }

    /// The installed bytes at `offset`.
    pub fn read(&self, offset: usize, len: usize) -> &[u8] {
        assert!(offset + len <= self.used, "read outside installed code");
        // SAFETY: the range is inside installed code, whose pages are readable (read-execute)
        // whenever no `&mut self` method runs, which the borrow of `self` guarantees.
        unsafe { std::slice::from_raw_parts(self.base.add(offset), len) }
    }
}

impl Drop for CodeRegion {
    fn drop(&mut self) {
        // SAFETY: unmaps exactly the mapping created in `with_backing` (the memfd, if any,
        // closes after it); no code from it can run after the owning `Jit` is gone.
        unsafe { libc::munmap(self.base.cast(), self.size) };
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

    #[test]
    fn append_and_patch_leave_pages_read_exec_never_writable_and_executable() {
        let mut r = CodeRegion::new(1 << 20).unwrap();
        assert!(r.protections().iter().all(|&p| p == Prot::None));
        let a = r.append(&[0xc3; 10], 16).unwrap();
        let b = r.append(&[0x90; 5000], 16).unwrap();
        assert_eq!(a, 0);
        assert_eq!(b, 16);
        assert_eq!(r.read(16, 3), &[0x90; 3]);
        r.patch(17, &[0xcc]).unwrap();
        assert_eq!(r.read(16, 3), &[0x90, 0xcc, 0x90]);
        let p = r.protections();
        assert_eq!(p[0], Prot::ReadExec);
        assert_eq!(p[1], Prot::ReadExec);
        assert_eq!(p[2], Prot::None);
        assert!(r.patch(r.used, &[0]).is_err());
    }

    #[test]
    fn a_full_region_is_a_typed_error() {
        let mut r = CodeRegion::new(4096).unwrap();
        let e = r.append(&vec![0u8; 8192], 1).unwrap_err();
        assert!(matches!(e, BackendError::Memory(ref m) if m.contains("full")), "{e:?}");
    }

    #[test]
    fn the_region_is_a_memfd_whose_file_reads_back_the_installed_code() {
        let mut r = CodeRegion::new(1 << 20).unwrap();
        assert_eq!(r.anonymous_reason(), None, "the memfd was refused");
        let path = r.file_path().unwrap();
        assert!(path.starts_with("/proc/self/fd/"), "{path:?}");
        assert_eq!(r.file_offset(), Some(0));
        let code: Vec<u8> = (0..5000u32).map(|i| (i * 7 + 1) as u8).collect();
        r.append(&[0xc3; 10], 16).unwrap();
        let at = r.append(&code, 16).unwrap();
        r.patch(at + 1, &[0xcc]).unwrap();
        let lines = maps_lines(r.base() as u64, r.len() as u64);
        assert!(lines.iter().all(|l| l.contains(&format!("/memfd:{MEMFD_NAME}"))), "{lines:#?}");
        assert_w_xor_x(&lines);
        assert!(r.protections().iter().all(|&p| p != Prot::ReadWrite));
        let off = r.file_offset().unwrap();
        assert_eq!(pread(&path, off, r.used()), r.read(0, r.used()));
        assert_eq!(pread(&path, off + at as u64, 3), [code[0], 0xcc, code[2]]);
    }

    #[test]
    fn a_forced_anonymous_region_works_and_says_why() {
        let mut r = CodeRegion::new_anonymous(1 << 20).unwrap();
        assert_eq!((r.file_path(), r.file_offset()), (None, None));
        assert!(r.fd().is_none());
        assert!(r.anonymous_reason().is_some_and(|w| w.contains("anonymous")), "{:?}", r.anonymous_reason());
        let at = r.append(&[0x90; 100], 16).unwrap();
        r.patch(at + 3, &[0xcc]).unwrap();
        assert_eq!(r.read(at + 2, 3), &[0x90, 0xcc, 0x90]);
        let lines = maps_lines(r.base() as u64, r.len() as u64);
        assert!(lines.iter().all(|l| !l.contains("memfd")), "{lines:#?}");
        assert_w_xor_x(&lines);
    }
}
