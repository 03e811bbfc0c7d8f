//! The code region: one reserved mapping that never moves, so installed code, exit stubs and
//! the `jmp rel32` between traces stay valid for the life of the `Jit`.
//!
//! W^X: pages start `PROT_NONE`; to write, the touched pages become read-write (not
//! executable), the bytes are copied, and the pages become read-execute. No page is ever
//! writable and executable at once. While a write is in progress the touched pages are not
//! executable, so no compiled code may run during `append` or `patch` (see `exit.rs`).

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
}

/// The default reservation: room for many thousands of traces; only touched pages cost.
pub const DEFAULT_REGION: usize = 64 << 20;

fn os_err(what: &str) -> BackendError {
    BackendError::Memory(format!("{what}: {}", std::io::Error::last_os_error()))
}

impl CodeRegion {
    pub fn new(size: usize) -> Result<CodeRegion, BackendError> {
        // SAFETY: sysconf has no preconditions.
        let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
        let page = if page > 0 { page as usize } else { 4096 };
        let size = size.div_ceil(page).max(1) * page;
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
        Ok(CodeRegion { base: p as *mut u8, size, used: 0, page, prot: vec![Prot::None; size / page] })
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
        // SAFETY: unmaps exactly the mapping created in `new`; no code from it can run after
        // the owning `Jit` is gone.
        unsafe { libc::munmap(self.base.cast(), self.size) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
