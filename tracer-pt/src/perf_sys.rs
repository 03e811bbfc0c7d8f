//! The raw perf interface the collector needs: `perf_event_attr` (ABI version 8, 136 bytes),
//! the ioctls, the mmap page's AUX fields, and a `Sys` trait over the system calls so that
//! tests can make them fail the ways real kernels do.
//!
//! Why plain libc and not the `perf-event-open` crate: the collector needs the AUX area in
//! snapshot (overwrite, read-only mapping) mode as well as full mode, the SET_FILTER ioctl for
//! address filters, and direct control of aux_tail; the crate offers streaming AUX only, and
//! brings an async runtime into the build.

use std::io;

/// `struct perf_event_attr`, PERF_ATTR_SIZE_VER8.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct PerfEventAttr {
    pub type_: u32,
    pub size: u32,
    pub config: u64,
    pub sample_period: u64,
    pub sample_type: u64,
    pub read_format: u64,
    pub flags: u64,
    pub wakeup_events: u32,
    pub bp_type: u32,
    pub config1: u64,
    pub config2: u64,
    pub branch_sample_type: u64,
    pub sample_regs_user: u64,
    pub sample_stack_user: u32,
    pub clockid: i32,
    pub sample_regs_intr: u64,
    pub aux_watermark: u32,
    pub sample_max_stack: u16,
    pub reserved_2: u16,
    pub aux_sample_size: u32,
    pub reserved_3: u32,
    pub sig_data: u64,
    pub config3: u64,
}

pub const ATTR_SIZE: u32 = 136;
const _: () = assert!(std::mem::size_of::<PerfEventAttr>() == ATTR_SIZE as usize);

pub const FLAG_DISABLED: u64 = 1 << 0;
pub const FLAG_EXCLUDE_KERNEL: u64 = 1 << 5;
pub const FLAG_EXCLUDE_HV: u64 = 1 << 6;

pub const PERF_TYPE_SOFTWARE: u32 = 1;
pub const PERF_COUNT_SW_DUMMY: u64 = 9;

pub const IOC_ENABLE: u64 = 0x2400;
pub const IOC_DISABLE: u64 = 0x2401;
/// _IOW('$', 6, char *)
pub const IOC_SET_FILTER: u64 = 0x4008_2406;

/// Offsets in `struct perf_event_mmap_page`.
pub const PAGE_DATA_HEAD: usize = 1024;
pub const PAGE_AUX_HEAD: usize = 1056;
pub const PAGE_AUX_TAIL: usize = 1064;
pub const PAGE_AUX_OFFSET: usize = 1072;
pub const PAGE_AUX_SIZE: usize = 1080;

/// The system calls the collector makes; errors are errno values.
pub trait Sys {
    fn perf_event_open(&self, attr: &PerfEventAttr, pid: i32, cpu: i32) -> Result<i32, i32>;
    fn ioctl(&self, fd: i32, req: u64, arg: usize) -> Result<(), i32>;
    fn close(&self, fd: i32);
}

/// The real kernel.
pub struct Linux;

fn errno() -> i32 {
    io::Error::last_os_error().raw_os_error().unwrap_or(libc::EIO)
}

impl Sys for Linux {
    fn perf_event_open(&self, attr: &PerfEventAttr, pid: i32, cpu: i32) -> Result<i32, i32> {
        // SAFETY: `attr` is a valid perf_event_attr of the size it declares; the kernel only
        // reads it. No group fd, no flags.
        let fd = unsafe {
            libc::syscall(libc::SYS_perf_event_open, attr as *const PerfEventAttr, pid, cpu, -1i32, 0u64)
        };
        if fd < 0 {
            Err(errno())
        } else {
            Ok(fd as i32)
        }
    }

    fn ioctl(&self, fd: i32, req: u64, arg: usize) -> Result<(), i32> {
        // SAFETY: the perf ioctls used take either no argument or a pointer to a
        // NUL-terminated string that the caller keeps alive across the call.
        let rc = unsafe { libc::ioctl(fd, req as _, arg) };
        if rc < 0 {
            Err(errno())
        } else {
            Ok(())
        }
    }

    fn close(&self, fd: i32) {
        // SAFETY: closes a descriptor this process opened and owns.
        unsafe { libc::close(fd) };
    }
}
