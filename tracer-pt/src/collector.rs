//! The perf `intel_pt` collector: self-tracing of a code region in user space, with the AUX
//! ring buffer in full or snapshot mode and an IP filter on the traced range.
//!
//! `probe()` says whether tracing can work here and, if not, exactly what is missing;
//! `tracery doctor` prints it. Everything that touches the machine goes through `Env`, so
//! the error paths are tested with a fake sysfs, paranoid level and system calls.

use crate::cpu::Cpu;
use crate::perf_sys::{self, Linux, PerfEventAttr, Sys};
use std::fmt;
use std::path::{Path, PathBuf};

/// What is missing for Intel PT self-tracing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OpenError {
    /// Intel PT exists only on x86-64.
    UnsupportedArch { arch: &'static str },
    /// `perf_event_open` returns ENOSYS: an emulator (qemu-user), a sandbox (gVisor) or a
    /// seccomp filter is in the way.
    NoSyscall,
    /// No `intel_pt` PMU in sysfs: an AMD CPU, a VM without PT passthrough, or an old kernel.
    NoPmu { path: PathBuf },
    /// `perf_event_paranoid` forbids unprivileged perf and the process lacks CAP_PERFMON.
    Paranoid { level: i32 },
    /// The kernel refused with EACCES or EPERM anyway (an LSM, a container).
    PermissionDenied { errno: i32 },
    /// An IP filter was asked for but the PMU has no address ranges (caps/num_address_ranges
    /// is 0) or the kernel rejected the filter.
    NoAddressFilters { detail: String },
    /// A sysfs file of the PMU is unreadable or malformed.
    BadSysfs { path: PathBuf, detail: String },
    /// Any other failure of a perf call, with its errno.
    Perf { call: &'static str, errno: i32 },
}

impl fmt::Display for OpenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OpenError::UnsupportedArch { arch } => write!(f, "Intel PT needs x86-64 (this is {arch})"),
            OpenError::NoSyscall => {
                f.write_str("perf_event_open is not available (ENOSYS: emulator, sandbox or seccomp)")
            }
            OpenError::NoPmu { path } => {
                write!(f, "no intel_pt PMU ({} missing: not an Intel CPU with PT, or a VM)", path.display())
            }
            OpenError::Paranoid { level } => write!(
                f,
                "perf_event_paranoid is {level}; user-space tracing needs <= 2 or CAP_PERFMON \
                 (sysctl kernel.perf_event_paranoid=2)"
            ),
            OpenError::PermissionDenied { errno } => {
                write!(f, "perf_event_open denied: {}", std::io::Error::from_raw_os_error(*errno))
            }
            OpenError::NoAddressFilters { detail } => write!(f, "no IP address filters: {detail}"),
            OpenError::BadSysfs { path, detail } => write!(f, "{}: {detail}", path.display()),
            OpenError::Perf { call, errno } => {
                write!(f, "{call} failed: {}", std::io::Error::from_raw_os_error(*errno))
            }
        }
    }
}

impl std::error::Error for OpenError {}

/// A bit field of `perf_event_attr.config`, from the PMU's sysfs `format` directory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Field {
    pub lo: u32,
    pub hi: u32,
}

impl Field {
    fn parse(s: &str) -> Option<Field> {
        let r = s.trim().strip_prefix("config:")?;
        let (lo, hi) = match r.split_once('-') {
            Some((a, b)) => (a.parse().ok()?, b.parse().ok()?),
            None => {
                let b = r.parse().ok()?;
                (b, b)
            }
        };
        (lo <= hi && hi < 64).then_some(Field { lo, hi })
    }

    pub fn set(&self, config: u64, v: u64) -> u64 {
        let width = self.hi - self.lo + 1;
        let mask = if width == 64 { u64::MAX } else { (1u64 << width) - 1 };
        (config & !(mask << self.lo)) | ((v & mask) << self.lo)
    }
}

/// The `intel_pt` config fields the collector sets. Defaults are the kernel's layout.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Format {
    pub pt: Field,
    pub branch: Field,
    pub tsc: Field,
    pub mtc: Field,
    pub cyc: Field,
    pub noretcomp: Field,
}

impl Default for Format {
    fn default() -> Format {
        let b = |n| Field { lo: n, hi: n };
        Format { pt: b(0), cyc: b(1), mtc: b(9), tsc: b(10), noretcomp: b(11), branch: b(13) }
    }
}

/// What `probe()` found: everything needed to open the collector and decode its output.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PtInfo {
    /// `perf_event_attr.type` of the intel_pt PMU.
    pub pmu_type: u32,
    pub format: Format,
    /// IP filter ranges the PMU offers (0: no filtering).
    pub address_ranges: u32,
    pub paranoid: i32,
    /// CAP_PERFMON or CAP_SYS_ADMIN in the effective set.
    pub privileged: bool,
    /// family/model/stepping for the decoder's errata handling, and the vendor string.
    pub cpu: Option<Cpu>,
    pub vendor: String,
}

impl fmt::Display for PtInfo {
    /// One line for `tracery doctor`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "intel_pt PMU type {}, {} address filter range(s), perf_event_paranoid {}",
            self.pmu_type, self.address_ranges, self.paranoid
        )?;
        if self.privileged {
            f.write_str(" (CAP_PERFMON)")?;
        }
        if let Some(c) = self.cpu {
            write!(f, ", cpu {c} {}", self.vendor)?;
        }
        Ok(())
    }
}

/// Where the collector looks and what it calls; `Env::host()` is the real machine.
pub struct Env<'a> {
    pub sysfs: PathBuf,
    pub paranoid_file: PathBuf,
    /// The effective capability mask; `None` reads /proc/self/status.
    pub cap_eff: Option<u64>,
    pub sys: &'a dyn Sys,
    /// Pretend to be on x86-64 (tests of the later checks on other hosts).
    pub assume_x86_64: bool,
}

impl Env<'static> {
    pub fn host() -> Env<'static> {
        Env {
            sysfs: PathBuf::from("/sys"),
            paranoid_file: PathBuf::from("/proc/sys/kernel/perf_event_paranoid"),
            cap_eff: None,
            sys: &Linux,
            assume_x86_64: false,
        }
    }
}

const CAP_SYS_ADMIN: u32 = 21;
const CAP_PERFMON: u32 = 38;

fn read_trim(path: &Path) -> Result<String, OpenError> {
    std::fs::read_to_string(path)
        .map(|s| s.trim().to_string())
        .map_err(|e| OpenError::BadSysfs { path: path.into(), detail: e.to_string() })
}

fn cap_eff_of_self() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            let l = s.lines().find(|l| l.starts_with("CapEff:"))?;
            u64::from_str_radix(l["CapEff:".len()..].trim(), 16).ok()
        })
        .unwrap_or(0)
}

fn host_cpu() -> (Option<Cpu>, String) {
    #[cfg(target_arch = "x86_64")]
    {
        let (c, v) = Cpu::host();
        (Some(c), v)
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        (None, String::new())
    }
}

/// `probe()` against an explicit environment.
pub fn probe_with(env: &Env) -> Result<PtInfo, OpenError> {
    if !cfg!(target_arch = "x86_64") && !env.assume_x86_64 {
        return Err(OpenError::UnsupportedArch { arch: std::env::consts::ARCH });
    }
    // A harmless event first: under emulation sysfs shows the host's PMUs, but the system
    // call itself is missing.
    let dummy = PerfEventAttr {
        type_: perf_sys::PERF_TYPE_SOFTWARE,
        size: perf_sys::ATTR_SIZE,
        config: perf_sys::PERF_COUNT_SW_DUMMY,
        flags: perf_sys::FLAG_DISABLED | perf_sys::FLAG_EXCLUDE_KERNEL | perf_sys::FLAG_EXCLUDE_HV,
        ..Default::default()
    };
    match env.sys.perf_event_open(&dummy, 0, -1) {
        Ok(fd) => env.sys.close(fd),
        Err(libc::ENOSYS) => return Err(OpenError::NoSyscall),
        // Permission problems are diagnosed below with the paranoid level.
        Err(_) => {}
    }
    let pmu = env.sysfs.join("bus/event_source/devices/intel_pt");
    let type_path = pmu.join("type");
    if !type_path.exists() {
        return Err(OpenError::NoPmu { path: pmu });
    }
    let pmu_type = read_trim(&type_path)?
        .parse()
        .map_err(|_| OpenError::BadSysfs { path: type_path.clone(), detail: "not a number".into() })?;
    let mut format = Format::default();
    for (name, slot) in [
        ("pt", &mut format.pt),
        ("branch", &mut format.branch),
        ("tsc", &mut format.tsc),
        ("mtc", &mut format.mtc),
        ("cyc", &mut format.cyc),
        ("noretcomp", &mut format.noretcomp),
    ] {
        let p = pmu.join("format").join(name);
        if let Ok(s) = std::fs::read_to_string(&p) {
            *slot = Field::parse(&s).ok_or_else(|| OpenError::BadSysfs {
                path: p.clone(),
                detail: format!("bad format `{}`", s.trim()),
            })?;
        }
    }
    let address_ranges = std::fs::read_to_string(pmu.join("caps/num_address_ranges"))
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(0);
    let paranoid = read_trim(&env.paranoid_file)?.parse().map_err(|_| OpenError::BadSysfs {
        path: env.paranoid_file.clone(),
        detail: "not a number".into(),
    })?;
    let caps = env.cap_eff.unwrap_or_else(cap_eff_of_self);
    let privileged = caps & (1 << CAP_PERFMON | 1 << CAP_SYS_ADMIN) != 0;
    if paranoid > 2 && !privileged {
        return Err(OpenError::Paranoid { level: paranoid });
    }
    let (cpu, vendor) = host_cpu();
    Ok(PtInfo { pmu_type, format, address_ranges, paranoid, privileged, cpu, vendor })
}

/// Whether Intel PT self-tracing can work here; the error names what is missing.
pub fn probe() -> Result<PtInfo, OpenError> {
    probe_with(&Env::host())
}

/// How the AUX buffer is used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuxMode {
    /// The kernel stops (and records a gap) when the buffer is full; nothing is overwritten.
    Full,
    /// A ring that keeps the newest data: the last `aux_pages` of trace before `disable`.
    Snapshot,
}

/// Collector settings. Timing packets are off by default: the trace builder needs the path,
/// not the time, and they cost bandwidth.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CollectorConfig {
    /// AUX buffer size in pages, a power of two.
    pub aux_pages: usize,
    pub mode: AuxMode,
    /// Trace only `start..start + size` (user-space virtual addresses; anonymous JIT memory
    /// works from Linux 5.10).
    pub filter: Option<(u64, u64)>,
    pub ret_compression: bool,
    pub tsc: bool,
    pub mtc: bool,
    pub cyc: bool,
}

impl Default for CollectorConfig {
    fn default() -> CollectorConfig {
        CollectorConfig {
            aux_pages: 256,
            mode: AuxMode::Full,
            filter: None,
            ret_compression: true,
            tsc: false,
            mtc: false,
            cyc: false,
        }
    }
}

/// The perf_event_attr for `cfg` on the PMU `info` describes.
pub fn attr_for(info: &PtInfo, cfg: &CollectorConfig) -> PerfEventAttr {
    let f = &info.format;
    let mut config = f.pt.set(0, 1);
    config = f.branch.set(config, 1);
    config = f.tsc.set(config, cfg.tsc as u64);
    config = f.mtc.set(config, cfg.mtc as u64);
    config = f.cyc.set(config, cfg.cyc as u64);
    config = f.noretcomp.set(config, !cfg.ret_compression as u64);
    PerfEventAttr {
        type_: info.pmu_type,
        size: perf_sys::ATTR_SIZE,
        config,
        flags: perf_sys::FLAG_DISABLED | perf_sys::FLAG_EXCLUDE_KERNEL | perf_sys::FLAG_EXCLUDE_HV,
        ..Default::default()
    }
}

/// The kernel's address-filter string for the calling process's memory.
pub fn filter_string(start: u64, size: u64) -> String {
    format!("filter {start:#x}/{size:#x}")
}

fn map_errno(call: &'static str, errno: i32, paranoid: i32) -> OpenError {
    match errno {
        libc::ENOSYS => OpenError::NoSyscall,
        libc::EACCES | libc::EPERM if paranoid > 2 => OpenError::Paranoid { level: paranoid },
        libc::EACCES | libc::EPERM => OpenError::PermissionDenied { errno },
        _ => OpenError::Perf { call, errno },
    }
}

/// An open, disabled intel_pt event on the calling thread with its buffers mapped.
pub struct Collector<'a> {
    env_sys: &'a dyn Sys,
    fd: i32,
    base: *mut u8,
    base_len: usize,
    aux: *mut u8,
    aux_len: usize,
    mode: AuxMode,
    /// Whether the event is enabled: the kernel writes the AUX area only then.
    enabled: std::cell::Cell<bool>,
    pub info: PtInfo,
}

impl Collector<'static> {
    pub fn open(cfg: &CollectorConfig) -> Result<Collector<'static>, OpenError> {
        Collector::open_with(&Env::host(), cfg)
    }
}

impl<'a> Collector<'a> {
    /// Opens the event (disabled), sets the filter and maps the buffers.
    pub fn open_with(env: &Env<'a>, cfg: &CollectorConfig) -> Result<Collector<'a>, OpenError> {
        let info = probe_with(env)?;
        if cfg.filter.is_some() && info.address_ranges == 0 {
            return Err(OpenError::NoAddressFilters { detail: "caps/num_address_ranges is 0".into() });
        }
        if !cfg.aux_pages.is_power_of_two() {
            return Err(OpenError::Perf {
                call: "mmap (aux_pages must be a power of two)",
                errno: libc::EINVAL,
            });
        }
        // The AUX size must fit the address space: checked before anything is opened, as
        // `map` would overflow computing it.
        if aux_bytes(cfg.aux_pages, page_size()).is_none() {
            return Err(OpenError::Perf { call: "mmap (aux_pages too large)", errno: libc::EINVAL });
        }
        let attr = attr_for(&info, cfg);
        let fd = env
            .sys
            .perf_event_open(&attr, 0, -1)
            .map_err(|e| map_errno("perf_event_open", e, info.paranoid))?;
        let mut c = Collector {
            env_sys: env.sys,
            fd,
            base: std::ptr::null_mut(),
            base_len: 0,
            aux: std::ptr::null_mut(),
            aux_len: 0,
            mode: cfg.mode,
            enabled: std::cell::Cell::new(false),
            info,
        };
        if let Some((start, size)) = cfg.filter {
            let s = std::ffi::CString::new(filter_string(start, size)).expect("no NUL in a filter");
            env.sys.ioctl(fd, perf_sys::IOC_SET_FILTER, s.as_ptr() as usize).map_err(|e| match e {
                libc::EINVAL | libc::EOPNOTSUPP => OpenError::NoAddressFilters {
                    detail: format!("the kernel rejected `{}`", s.to_string_lossy()),
                },
                e => map_errno("PERF_EVENT_IOC_SET_FILTER", e, c.info.paranoid),
            })?;
        }
        c.map(cfg.aux_pages)?;
        Ok(c)
    }

    fn map(&mut self, aux_pages: usize) -> Result<(), OpenError> {
        let page = page_size();
        let too_large = OpenError::Perf { call: "mmap (aux_pages too large)", errno: libc::EINVAL };
        let aux_len = aux_bytes(aux_pages, page).ok_or(too_large)?;
        // The control page and one data page (perf wants 1 + 2^n pages before the AUX area).
        self.base_len = 2 * page;
        // SAFETY: a fresh shared mapping of the perf fd; the kernel validates the size.
        let base = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                self.base_len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                self.fd,
                0,
            )
        };
        if base == libc::MAP_FAILED {
            return Err(OpenError::Perf {
                call: "mmap (perf data)",
                errno: std::io::Error::last_os_error().raw_os_error().unwrap_or(0),
            });
        }
        self.base = base as *mut u8;
        self.aux_len = aux_len;
        // SAFETY: the control page is mapped read-write and these are its u64 aux fields.
        unsafe {
            (self.base.add(perf_sys::PAGE_AUX_OFFSET) as *mut u64).write_volatile(self.base_len as u64);
            (self.base.add(perf_sys::PAGE_AUX_SIZE) as *mut u64).write_volatile(self.aux_len as u64);
        }
        // A read-only AUX mapping is the kernel's overwrite (snapshot) mode.
        let prot = match self.mode {
            AuxMode::Full => libc::PROT_READ | libc::PROT_WRITE,
            AuxMode::Snapshot => libc::PROT_READ,
        };
        // SAFETY: maps the AUX area at the offset just published in the control page.
        let aux = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                self.aux_len,
                prot,
                libc::MAP_SHARED,
                self.fd,
                self.base_len as libc::off_t,
            )
        };
        if aux == libc::MAP_FAILED {
            return Err(OpenError::Perf {
                call: "mmap (AUX area)",
                errno: std::io::Error::last_os_error().raw_os_error().unwrap_or(0),
            });
        }
        self.aux = aux as *mut u8;
        Ok(())
    }

    pub fn enable(&self) -> Result<(), OpenError> {
        // Counted as enabled before the ioctl: a failed enable may still have started it.
        self.enabled.set(true);
        self.env_sys
            .ioctl(self.fd, perf_sys::IOC_ENABLE, 0)
            .map_err(|e| OpenError::Perf { call: "PERF_EVENT_IOC_ENABLE", errno: e })
    }

    pub fn disable(&self) -> Result<(), OpenError> {
        self.env_sys
            .ioctl(self.fd, perf_sys::IOC_DISABLE, 0)
            .map_err(|e| OpenError::Perf { call: "PERF_EVENT_IOC_DISABLE", errno: e })?;
        self.enabled.set(false);
        Ok(())
    }

    /// Runs `f` with tracing enabled and returns its result with the trace.
    pub fn trace<R>(&mut self, f: impl FnOnce() -> R) -> Result<(R, Vec<u8>), OpenError> {
        self.enable()?;
        let r = std::hint::black_box(f());
        self.disable()?;
        Ok((r, self.take()))
    }

    /// The trace collected so far; disables the event first if it is enabled (empty when
    /// that fails). Full mode consumes it; snapshot mode returns the ring, oldest byte first.
    pub fn take(&mut self) -> Vec<u8> {
        if self.enabled.get() && self.disable().is_err() {
            // The hardware may still be writing the AUX area: reading it would race.
            return Vec::new();
        }
        // SAFETY: the control page is mapped; aux_head/aux_tail are u64 fields the kernel
        // updates, read and written with volatile accesses; the AUX area is `aux_len` mapped
        // bytes that nothing writes while the event is disabled, which it is (just above).
        unsafe {
            let head_p = self.base.add(perf_sys::PAGE_AUX_HEAD) as *const u64;
            let tail_p = self.base.add(perf_sys::PAGE_AUX_TAIL) as *mut u64;
            let head = head_p.read_volatile();
            std::sync::atomic::fence(std::sync::atomic::Ordering::Acquire);
            let aux = std::slice::from_raw_parts(self.aux, self.aux_len);
            let tail = tail_p.read_volatile();
            let out = ring_bytes(aux, head, tail, self.mode);
            if self.mode == AuxMode::Full {
                std::sync::atomic::fence(std::sync::atomic::Ordering::Release);
                tail_p.write_volatile(head);
            }
            out
        }
    }
}

fn page_size() -> usize {
    // SAFETY: sysconf has no preconditions.
    unsafe { libc::sysconf(libc::_SC_PAGESIZE) as usize }
}

/// The AUX area's size in bytes, when it fits an mmap length and offset.
fn aux_bytes(pages: usize, page: usize) -> Option<usize> {
    pages.checked_mul(page).filter(|&n| n <= isize::MAX as usize)
}

/// The trace in an AUX ring: in full mode the unread bytes from `tail` to `head`; in snapshot
/// mode the whole ring starting at the oldest byte (`head` is where the next byte goes).
/// `head` and `tail` are the kernel's running byte counts.
pub fn ring_bytes(aux: &[u8], head: u64, tail: u64, mode: AuxMode) -> Vec<u8> {
    let len = aux.len() as u64;
    if len == 0 {
        return Vec::new();
    }
    match mode {
        AuxMode::Full => {
            let n = head.wrapping_sub(tail).min(len);
            let t = (tail % len) as usize;
            let first = (n as usize).min(aux.len() - t);
            let mut out = aux[t..t + first].to_vec();
            out.extend_from_slice(&aux[..n as usize - first]);
            out
        }
        AuxMode::Snapshot => {
            let h = (head % len) as usize;
            let mut out = aux[h..].to_vec();
            out.extend_from_slice(&aux[..h]);
            out
        }
    }
}

impl Drop for Collector<'_> {
    fn drop(&mut self) {
        // SAFETY: unmaps exactly the mappings made in `map` (null ones are skipped) and
        // closes the event fd this collector owns.
        unsafe {
            if !self.aux.is_null() {
                libc::munmap(self.aux as *mut libc::c_void, self.aux_len);
            }
            if !self.base.is_null() {
                libc::munmap(self.base as *mut libc::c_void, self.base_len);
            }
        }
        self.env_sys.close(self.fd);
    }
}
