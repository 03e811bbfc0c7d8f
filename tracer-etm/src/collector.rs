//! Self-tracing with perf's `cs_etm` PMU: open an ETM/ETE event on the current thread, user
//! space only, with an AUX ring buffer, optionally an address filter on the traced range;
//! enable and disable it around the region; hand the AUX bytes and the metadata to the
//! decoder.
//!
//! Why `libc` and a hand-written `perf_event_attr` rather than the `perf-event-open` crate:
//! `libc` is already a workspace dependency; `cs_etm` needs a dynamic PMU type, raw config and
//! config2 (sink ID) bits read from sysfs, and an AUX mapping, which are a few dozen lines
//! against the stable kernel ABI; and every errno must map to a precise [`OpenError`], which
//! is easiest when we make the system call ourselves.
//!
//! Everything that reads the system (sysfs, `perf_event_paranoid`, the kernel release) goes
//! through [`SysEnv`], so every refusal can be tested on machines without CoreSight.

use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};

use crate::config::EtmConfig;

/// Where the collector looks at the system; tests point it at fake trees.
#[derive(Clone, Debug)]
pub struct SysEnv {
    /// Normally `/sys`.
    pub sysfs: PathBuf,
    /// `perf_event_paranoid`; `None` reads `/proc/sys/kernel/perf_event_paranoid`.
    pub paranoid: Option<i32>,
    /// Kernel (major, minor); `None` asks `uname`.
    pub kernel: Option<(u32, u32)>,
}

impl Default for SysEnv {
    fn default() -> SysEnv {
        SysEnv { sysfs: PathBuf::from("/sys"), paranoid: None, kernel: None }
    }
}

/// The oldest kernel we try start/size address filters (no backing file, so usable on
/// anonymous JIT memory) with. This is a conservative assumption, not a documented boundary:
/// whatever the version, a kernel that refuses the filter (EINVAL/EOPNOTSUPP from
/// `PERF_EVENT_IOC_SET_FILTER`) is reported as `KernelTooOldForFilters` too.
pub const MIN_KERNEL_ANON_FILTERS: (u32, u32) = (5, 10);

/// The highest `perf_event_paranoid` that allows an unprivileged per-thread user-space event.
pub const MAX_PARANOID: i32 = 2;

/// Exactly what stops ETM self-tracing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OpenError {
    /// No `cs_etm` PMU in sysfs: no CoreSight ETM/ETE, or the driver is not loaded.
    NoCsEtmPmu { path: PathBuf },
    /// `perf_event_paranoid` forbids the event.
    ParanoidTooHigh { level: i32, max: i32 },
    /// The kernel cannot filter on anonymous memory (needed to trace JIT code only).
    KernelTooOldForFilters { kernel: (u32, u32), needed: (u32, u32) },
    /// The PMU exposes no address filters at all.
    NoAddressFilters,
    /// Neither TRBE nor an ETR sink is available.
    NoSink,
    /// `perf_event_open` is not implemented (ENOSYS): typically running under QEMU user mode.
    PerfUnavailable,
    /// The kernel refused for lack of privilege (EACCES/EPERM).
    PermissionDenied { errno: i32 },
    /// The kernel rejected the event configuration (EINVAL, EOPNOTSUPP, ENOENT, ...).
    Rejected { call: &'static str, errno: i32 },
    /// A sysfs file had unexpected contents.
    BadSysfs { path: PathBuf, what: String },
    /// Mapping the ring or AUX buffer failed.
    Mmap { errno: i32 },
}

impl fmt::Display for OpenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OpenError::NoCsEtmPmu { path } => {
                write!(
                    f,
                    "no cs_etm PMU ({} missing): no CoreSight ETM/ETE or driver not loaded",
                    path.display()
                )
            }
            OpenError::ParanoidTooHigh { level, max } => {
                write!(f, "perf_event_paranoid is {level}; ETM self-tracing needs {max} or lower")
            }
            OpenError::KernelTooOldForFilters { kernel, needed } => write!(
                f,
                "kernel {}.{} cannot filter anonymous memory; {}.{} or later needed",
                kernel.0, kernel.1, needed.0, needed.1
            ),
            OpenError::NoAddressFilters => write!(f, "cs_etm exposes no address filters"),
            OpenError::NoSink => write!(f, "no trace sink: neither TRBE nor an ETR is available"),
            OpenError::PerfUnavailable => {
                write!(f, "perf_event_open is not implemented here (ENOSYS; running under QEMU?)")
            }
            OpenError::PermissionDenied { errno } => {
                write!(f, "perf_event_open: permission denied (errno {errno})")
            }
            OpenError::Rejected { call, errno } => write!(f, "{call} rejected the ETM event (errno {errno})"),
            OpenError::BadSysfs { path, what } => write!(f, "{}: {what}", path.display()),
            OpenError::Mmap { errno } => write!(f, "mapping the trace buffer failed (errno {errno})"),
        }
    }
}

impl std::error::Error for OpenError {}

/// Maps a failed `perf_event_open` errno to what it means for ETM tracing.
pub fn map_open_errno(errno: i32) -> OpenError {
    match errno {
        libc::ENOSYS => OpenError::PerfUnavailable,
        libc::EACCES | libc::EPERM => OpenError::PermissionDenied { errno },
        libc::ENOENT | libc::ENODEV => OpenError::NoSink,
        _ => OpenError::Rejected { call: "perf_event_open", errno },
    }
}

/// A config field from `cs_etm/format/<name>` (`config:12`, `config2:0-31`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FormatField {
    /// 0 = config, 1 = config1, 2 = config2, 3 = config3.
    pub word: u8,
    pub lo: u8,
    pub hi: u8,
}

impl FormatField {
    pub fn parse(s: &str) -> Option<FormatField> {
        let (w, bits) = s.trim().split_once(':')?;
        let word = match w {
            "config" => 0,
            "config1" => 1,
            "config2" => 2,
            "config3" => 3,
            _ => return None,
        };
        let (lo, hi) = match bits.split_once('-') {
            Some((a, b)) => (a.parse().ok()?, b.parse().ok()?),
            None => {
                let b = bits.parse().ok()?;
                (b, b)
            }
        };
        (lo <= hi && hi < 64).then_some(FormatField { word, lo, hi })
    }

    fn apply(&self, words: &mut [u64; 4], value: u64) {
        let width = self.hi - self.lo + 1;
        let mask = if width >= 64 { u64::MAX } else { (1u64 << width) - 1 };
        words[self.word as usize] |= (value & mask) << self.lo;
    }
}

/// Where the trace goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Sink {
    /// Per-CPU TRBE: raw ETE bytes, selected by the kernel automatically.
    Trbe,
    /// An ETR, selected through its sink ID in config2; formatted frames.
    Etr { name: String, id: u32 },
}

/// One CPU's trace unit, as sysfs describes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CpuEtm {
    pub cpu: u32,
    pub config: EtmConfig,
}

/// What `tracery doctor` reports and `open` needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EtmInfo {
    pub pmu_type: u32,
    pub cycacc: Option<FormatField>,
    pub timestamp: Option<FormatField>,
    pub contextid: Option<FormatField>,
    pub retstack: Option<FormatField>,
    pub sinkid: Option<FormatField>,
    pub sink: Sink,
    pub cpus: Vec<CpuEtm>,
    pub nr_addr_filters: u32,
    pub paranoid: i32,
    pub kernel: (u32, u32),
}

fn read_trim(p: &Path) -> Option<String> {
    fs::read_to_string(p).ok().map(|s| s.trim().to_string())
}

fn parse_num(s: &str) -> Option<u64> {
    let s = s.trim();
    match s.strip_prefix("0x") {
        Some(h) => u64::from_str_radix(h, 16).ok(),
        None => s.parse().ok(),
    }
}

fn kernel_version() -> (u32, u32) {
    // SAFETY: `uname` fills the zero-initialised struct we own; no pointers escape.
    let mut u: libc::utsname = unsafe { std::mem::zeroed() };
    // SAFETY: `u` is a valid, writable utsname.
    if unsafe { libc::uname(&mut u) } != 0 {
        return (0, 0);
    }
    // c_char is i8 on x86-64 and u8 on AArch64
    #[allow(clippy::unnecessary_cast)]
    let rel: Vec<u8> = u.release.iter().take_while(|&&c| c != 0).map(|&c| c as u8).collect();
    parse_release(&String::from_utf8_lossy(&rel))
}

/// `6.1.0-18-arm64` -> (6, 1).
pub fn parse_release(s: &str) -> (u32, u32) {
    let mut it =
        s.split(|c: char| !c.is_ascii_digit()).filter(|p| !p.is_empty()).map(|p| p.parse().unwrap_or(0));
    (it.next().unwrap_or(0), it.next().unwrap_or(0))
}

/// Checks everything ETM self-tracing needs without opening an event.
pub fn probe() -> Result<EtmInfo, OpenError> {
    probe_with(&SysEnv::default())
}

/// `probe` against an explicit environment.
pub fn probe_with(env: &SysEnv) -> Result<EtmInfo, OpenError> {
    let pmu = env.sysfs.join("bus/event_source/devices/cs_etm");
    let type_path = pmu.join("type");
    if !pmu.is_dir() {
        return Err(OpenError::NoCsEtmPmu { path: pmu });
    }
    let pmu_type = read_trim(&type_path)
        .and_then(|s| parse_num(&s))
        .ok_or_else(|| OpenError::BadSysfs { path: type_path.clone(), what: "no PMU type number".into() })?
        as u32;
    let paranoid = match env.paranoid {
        Some(p) => p,
        None => read_trim(Path::new("/proc/sys/kernel/perf_event_paranoid"))
            .and_then(|s| s.parse().ok())
            .unwrap_or(2),
    };
    if paranoid > MAX_PARANOID {
        return Err(OpenError::ParanoidTooHigh { level: paranoid, max: MAX_PARANOID });
    }
    let kernel = env.kernel.unwrap_or_else(kernel_version);
    let field = |n: &str| read_trim(&pmu.join("format").join(n)).and_then(|s| FormatField::parse(&s));
    let trbe = fs::read_dir(env.sysfs.join("bus/coresight/devices"))
        .map(|d| d.flatten().any(|e| e.file_name().to_string_lossy().starts_with("trbe")))
        .unwrap_or(false);
    let sink = if trbe {
        Sink::Trbe
    } else {
        let mut etrs: Vec<(String, u32)> = fs::read_dir(pmu.join("sinks"))
            .map(|d| {
                d.flatten()
                    .filter_map(|e| {
                        let name = e.file_name().to_string_lossy().to_string();
                        let id = read_trim(&e.path()).and_then(|s| parse_num(&s))? as u32;
                        name.contains("etr").then_some((name, id))
                    })
                    .collect()
            })
            .unwrap_or_default();
        etrs.sort();
        match etrs.into_iter().next() {
            Some((name, id)) => Sink::Etr { name, id },
            None => return Err(OpenError::NoSink),
        }
    };
    let nr_addr_filters =
        read_trim(&pmu.join("nr_addr_filters")).and_then(|s| parse_num(&s)).unwrap_or(0) as u32;
    let mut cpus = Vec::new();
    if let Ok(d) = fs::read_dir(&pmu) {
        for e in d.flatten() {
            let name = e.file_name().to_string_lossy().to_string();
            let Some(n) = name.strip_prefix("cpu").and_then(|n| n.parse::<u32>().ok()) else { continue };
            let reg =
                |sub: &str| read_trim(&e.path().join(sub)).and_then(|s| parse_num(&s)).unwrap_or(0) as u32;
            let devarch = reg("mgmt/trcdevarch");
            let mut cfg = EtmConfig {
                trcconfigr: 0,
                trctraceidr: reg("mgmt/trctraceid"),
                trcidr0: reg("trcidr/trcidr0"),
                trcidr1: reg("trcidr/trcidr1"),
                trcidr2: reg("trcidr/trcidr2"),
                trcidr8: reg("trcidr/trcidr8"),
                trcdevarch: devarch,
                ete: false,
            };
            cfg.ete = (devarch >> 12) & 0xf >= 5 && devarch != 0;
            cpus.push(CpuEtm { cpu: n, config: cfg });
        }
    }
    cpus.sort_by_key(|c| c.cpu);
    Ok(EtmInfo {
        pmu_type,
        cycacc: field("cycacc"),
        timestamp: field("timestamp"),
        contextid: field("contextid"),
        retstack: field("retstack"),
        sinkid: field("sinkid"),
        sink,
        cpus,
        nr_addr_filters,
        paranoid,
        kernel,
    })
}

/// What to trace.
#[derive(Clone, Copy, Debug)]
pub struct CollectOptions {
    /// Only trace `[start, end)` (an address filter); `None` traces all user space.
    pub filter: Option<(u64, u64)>,
    pub timestamps: bool,
    pub context_id: bool,
    pub return_stack: bool,
    /// Cycle-accurate mode; off by default (it multiplies the trace size).
    pub cycle_accurate: bool,
    /// AUX buffer size in pages (a power of two).
    pub aux_pages: usize,
}

impl Default for CollectOptions {
    fn default() -> CollectOptions {
        CollectOptions {
            filter: None,
            timestamps: true,
            context_id: true,
            return_stack: true,
            cycle_accurate: false,
            aux_pages: 256,
        }
    }
}

/// The config words for the event and the TRCCONFIGR value the decoder must assume.
pub fn event_config(info: &EtmInfo, opts: &CollectOptions) -> ([u64; 4], u32) {
    let mut w = [0u64; 4];
    let mut trcconfigr = 1u32;
    let mut set = |f: Option<FormatField>, on: bool, bit: u32, w: &mut [u64; 4]| {
        if let (Some(f), true) = (f, on) {
            f.apply(w, 1);
            trcconfigr |= 1 << bit;
        }
    };
    set(info.cycacc, opts.cycle_accurate, 4, &mut w);
    set(info.contextid, opts.context_id, 6, &mut w);
    set(info.timestamp, opts.timestamps, 11, &mut w);
    set(info.retstack, opts.return_stack, 12, &mut w);
    if let (Sink::Etr { id, .. }, Some(f)) = (&info.sink, info.sinkid) {
        f.apply(&mut w, *id as u64);
    }
    (w, trcconfigr)
}

/// The kernel's `perf_event_attr`, version 8 (136 bytes).
#[repr(C)]
#[derive(Clone, Copy, Default)]
struct PerfEventAttr {
    type_: u32,
    size: u32,
    config: u64,
    sample_period: u64,
    sample_type: u64,
    read_format: u64,
    flags: u64,
    wakeup_events: u32,
    bp_type: u32,
    config1: u64,
    config2: u64,
    branch_sample_type: u64,
    sample_regs_user: u64,
    sample_stack_user: u32,
    clockid: i32,
    sample_regs_intr: u64,
    aux_watermark: u32,
    sample_max_stack: u16,
    reserved2: u16,
    aux_sample_size: u32,
    reserved3: u32,
    sig_data: u64,
    config3: u64,
}

const FLAG_DISABLED: u64 = 1 << 0;
const PERF_FLAG_FD_CLOEXEC: libc::c_ulong = 1 << 3;
const FLAG_EXCLUDE_KERNEL: u64 = 1 << 5;
const FLAG_EXCLUDE_HV: u64 = 1 << 6;
const IOC_ENABLE: libc::c_ulong = 0x2400;
const IOC_DISABLE: libc::c_ulong = 0x2401;
const IOC_SET_FILTER: libc::c_ulong = 0x4008_2406;
// perf_event_mmap_page offsets of the AUX fields
const AUX_HEAD: usize = 1056;
const AUX_TAIL: usize = 1064;
const AUX_OFFSET: usize = 1072;
const AUX_SIZE: usize = 1080;

/// Opens `attr` for the calling thread on any CPU.
fn perf_event_open(attr: &PerfEventAttr) -> Result<libc::c_int, OpenError> {
    // SAFETY: perf_event_open reads `attr` (a valid repr(C) struct of the size it is told)
    // and returns a new descriptor or -1; no memory is shared.
    let fd = unsafe {
        libc::syscall(
            libc::SYS_perf_event_open,
            attr as *const PerfEventAttr,
            0,
            -1,
            -1,
            PERF_FLAG_FD_CLOEXEC,
        )
    } as libc::c_int;
    if fd < 0 {
        Err(map_open_errno(errno()))
    } else {
        Ok(fd)
    }
}

fn errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

/// An open `cs_etm` event on the calling thread with its buffers.
pub struct Collector {
    fd: libc::c_int,
    ring: *mut libc::c_void,
    ring_len: usize,
    aux: *mut libc::c_void,
    aux_len: usize,
    info: EtmInfo,
    trcconfigr: u32,
    /// Whether the event is enabled: the sink writes the AUX area only then.
    enabled: std::cell::Cell<bool>,
}

/// Trace bytes plus what the decoder needs to read them.
#[derive(Clone, Debug)]
pub struct Capture {
    pub data: Vec<u8>,
    /// Frame-formatted (ETR) rather than raw (TRBE).
    pub formatted: bool,
    /// One configuration per CPU's trace unit, with TRCCONFIGR as the event set it.
    pub configs: Vec<EtmConfig>,
}

impl Collector {
    /// Opens the event (disabled) for the calling thread.
    pub fn open(opts: &CollectOptions) -> Result<Collector, OpenError> {
        Self::open_with(&SysEnv::default(), opts)
    }

    pub fn open_with(env: &SysEnv, opts: &CollectOptions) -> Result<Collector, OpenError> {
        let info = probe_with(env)?;
        if opts.filter.is_some() {
            if info.nr_addr_filters == 0 {
                return Err(OpenError::NoAddressFilters);
            }
            if info.kernel < MIN_KERNEL_ANON_FILTERS {
                return Err(OpenError::KernelTooOldForFilters {
                    kernel: info.kernel,
                    needed: MIN_KERNEL_ANON_FILTERS,
                });
            }
        }
        let (w, trcconfigr) = event_config(&info, opts);
        let attr = PerfEventAttr {
            type_: info.pmu_type,
            size: std::mem::size_of::<PerfEventAttr>() as u32,
            config: w[0],
            config1: w[1],
            config2: w[2],
            config3: w[3],
            flags: FLAG_DISABLED | FLAG_EXCLUDE_KERNEL | FLAG_EXCLUDE_HV,
            ..Default::default()
        };
        let fd = perf_event_open(&attr)?;
        let mut c = Collector {
            fd,
            ring: std::ptr::null_mut(),
            ring_len: 0,
            aux: std::ptr::null_mut(),
            aux_len: 0,
            info,
            trcconfigr,
            enabled: std::cell::Cell::new(false),
        };
        if let Some((start, end)) = opts.filter {
            let f = std::ffi::CString::new(format!("filter 0x{start:x}/0x{:x}", end.saturating_sub(start)))
                .map_err(|_| OpenError::Rejected { call: "address filter", errno: libc::EINVAL })?;
            // SAFETY: `fd` is our perf event; the filter string is NUL-terminated and outlives the call.
            if unsafe { libc::ioctl(c.fd, IOC_SET_FILTER as _, f.as_ptr()) } < 0 {
                let e = errno();
                return Err(if e == libc::EINVAL || e == libc::EOPNOTSUPP {
                    OpenError::KernelTooOldForFilters {
                        kernel: c.info.kernel,
                        needed: MIN_KERNEL_ANON_FILTERS,
                    }
                } else {
                    OpenError::Rejected { call: "PERF_EVENT_IOC_SET_FILTER", errno: e }
                });
            }
        }
        // SAFETY: sysconf has no memory effects.
        let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as usize;
        c.ring_len = page * 2;
        // SAFETY: a fresh shared mapping of the perf ring (header + 1 data page) on our fd.
        let ring = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                c.ring_len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                c.fd,
                0,
            )
        };
        if ring == libc::MAP_FAILED {
            return Err(OpenError::Mmap { errno: errno() });
        }
        c.ring = ring;
        c.aux_len = aux_bytes(opts.aux_pages, page).ok_or(OpenError::Mmap { errno: libc::EINVAL })?;
        // SAFETY: the header page is mapped read/write; aux_offset/aux_size are u64 fields at
        // fixed offsets of perf_event_mmap_page and are written before the AUX mmap.
        unsafe {
            let base = c.ring as *mut u8;
            std::ptr::write_volatile(base.add(AUX_OFFSET) as *mut u64, c.ring_len as u64);
            std::ptr::write_volatile(base.add(AUX_SIZE) as *mut u64, c.aux_len as u64);
        }
        // SAFETY: maps the AUX area at the offset we just published; the kernel validates it.
        let aux = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                c.aux_len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                c.fd,
                c.ring_len as libc::off_t,
            )
        };
        if aux == libc::MAP_FAILED {
            return Err(OpenError::Mmap { errno: errno() });
        }
        c.aux = aux;
        Ok(c)
    }

    pub fn info(&self) -> &EtmInfo {
        &self.info
    }

    pub fn enable(&self) -> Result<(), OpenError> {
        // Counted as enabled before the ioctl: a failed enable may still have started it.
        self.enabled.set(true);
        // SAFETY: ioctl on our own perf fd with no argument.
        if unsafe { libc::ioctl(self.fd, IOC_ENABLE as _, 0) } < 0 {
            return Err(OpenError::Rejected { call: "PERF_EVENT_IOC_ENABLE", errno: errno() });
        }
        Ok(())
    }

    pub fn disable(&self) -> Result<(), OpenError> {
        // SAFETY: ioctl on our own perf fd with no argument.
        if unsafe { libc::ioctl(self.fd, IOC_DISABLE as _, 0) } < 0 {
            return Err(OpenError::Rejected { call: "PERF_EVENT_IOC_DISABLE", errno: errno() });
        }
        self.enabled.set(false);
        Ok(())
    }

    /// Copies out the trace collected so far and releases it to the kernel; disables the
    /// event first if it is enabled (no data when that fails).
    pub fn read(&self) -> Capture {
        let racing = self.enabled.get() && self.disable().is_err();
        let data = if racing {
            Vec::new()
        } else {
            // SAFETY: the header page stays mapped while `self` lives; aux_head/aux_tail are
            // naturally aligned u64s the kernel updates, read with volatile accesses and
            // ordered with fences as the perf ABI requires. The AUX area is `aux_len` bytes
            // that nothing writes while the event is disabled, and it is only read then.
            unsafe {
                let base = self.ring as *mut u8;
                let head = std::ptr::read_volatile(base.add(AUX_HEAD) as *const u64);
                std::sync::atomic::fence(std::sync::atomic::Ordering::Acquire);
                let tail = std::ptr::read_volatile(base.add(AUX_TAIL) as *const u64);
                let n = (head.wrapping_sub(tail) as usize).min(self.aux_len);
                let aux = std::slice::from_raw_parts(self.aux as *const u8, self.aux_len);
                let start = (head as usize).wrapping_sub(n) % self.aux_len;
                let mut v = Vec::with_capacity(n);
                for i in 0..n {
                    v.push(aux[(start + i) % self.aux_len]);
                }
                std::sync::atomic::fence(std::sync::atomic::Ordering::Release);
                std::ptr::write_volatile(base.add(AUX_TAIL) as *mut u64, head);
                v
            }
        };
        let configs = self
            .info
            .cpus
            .iter()
            .map(|c| {
                let mut cfg = c.config.clone();
                cfg.trcconfigr = self.trcconfigr;
                cfg
            })
            .collect();
        Capture { data, formatted: matches!(self.info.sink, Sink::Etr { .. }), configs }
    }
}

impl Capture {
    /// Decodes the capture against `image`: every CPU's stream, in CPU order.
    pub fn decode(&self, image: &trace_ir::path::CodeImage) -> Vec<crate::Element> {
        let mut out = Vec::new();
        for cfg in &self.configs {
            if self.formatted {
                let mut bytes = Vec::new();
                crate::deformat::deformat_runs(
                    &self.data,
                    crate::deformat::FrameMode::MemAligned,
                    &mut |e| {
                        if let crate::deformat::RunEvent::Data { id, bytes: b, .. } = e {
                            if id == cfg.trace_id() {
                                bytes.extend_from_slice(b);
                            }
                        }
                    },
                );
                out.extend(crate::decoder::decode_raw(cfg, &bytes, image));
            } else {
                out.extend(crate::decoder::decode_raw(cfg, &self.data, image));
            }
        }
        out
    }
}

/// The AUX area's size: `pages` rounded up to a power of two, in bytes, when that fits an
/// mmap length.
fn aux_bytes(pages: usize, page: usize) -> Option<usize> {
    let n = pages.max(1).checked_next_power_of_two()?.checked_mul(page)?;
    (n <= isize::MAX as usize).then_some(n)
}

impl Drop for Collector {
    fn drop(&mut self) {
        // SAFETY: we unmap exactly what we mapped and close our own descriptor once.
        unsafe {
            if !self.aux.is_null() {
                libc::munmap(self.aux, self.aux_len);
            }
            if !self.ring.is_null() {
                libc::munmap(self.ring, self.ring_len);
            }
            libc::close(self.fd);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Tree(PathBuf);

    impl Tree {
        fn new(tag: &str) -> Tree {
            let p = std::env::temp_dir().join(format!("tracer-etm-sysfs-{}-{tag}", std::process::id()));
            let _ = fs::remove_dir_all(&p);
            fs::create_dir_all(&p).unwrap();
            Tree(p)
        }
        fn file(&self, rel: &str, text: &str) {
            let p = self.0.join(rel);
            fs::create_dir_all(p.parent().unwrap()).unwrap();
            fs::write(p, text).unwrap();
        }
        fn env(&self) -> SysEnv {
            SysEnv { sysfs: self.0.clone(), paranoid: Some(1), kernel: Some((6, 1)) }
        }
        fn pmu(&self) {
            let d = "bus/event_source/devices/cs_etm/";
            self.file(&format!("{d}type"), "11\n");
            self.file(&format!("{d}format/cycacc"), "config:12\n");
            self.file(&format!("{d}format/timestamp"), "config:28\n");
            self.file(&format!("{d}format/contextid"), "config:14\n");
            self.file(&format!("{d}format/retstack"), "config:29\n");
            self.file(&format!("{d}format/sinkid"), "config2:0-31\n");
            self.file(&format!("{d}nr_addr_filters"), "8\n");
            self.file(&format!("{d}cpu0/trcidr/trcidr0"), "0x28000ea1\n");
            self.file(&format!("{d}cpu0/trcidr/trcidr1"), "0x4100f403\n");
            self.file(&format!("{d}cpu0/trcidr/trcidr2"), "0x488\n");
            self.file(&format!("{d}cpu0/mgmt/trctraceid"), "0x10\n");
        }
    }

    impl Drop for Tree {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    #[test]
    fn missing_pmu_is_named() {
        let t = Tree::new("nopmu");
        match probe_with(&t.env()) {
            Err(OpenError::NoCsEtmPmu { path }) => assert!(path.ends_with("cs_etm")),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn paranoid_level_is_checked() {
        let t = Tree::new("paranoid");
        t.pmu();
        t.file("bus/event_source/devices/cs_etm/sinks/tmc_etr0", "0x8ab4f3\n");
        let env = SysEnv { paranoid: Some(3), ..t.env() };
        assert_eq!(probe_with(&env), Err(OpenError::ParanoidTooHigh { level: 3, max: 2 }));
        let e = probe_with(&env).unwrap_err().to_string();
        assert!(e.contains("perf_event_paranoid is 3"), "{e}");
    }

    #[test]
    fn no_sink_is_named() {
        let t = Tree::new("nosink");
        t.pmu();
        assert_eq!(probe_with(&t.env()), Err(OpenError::NoSink));
    }

    #[test]
    fn bad_type_file_is_named() {
        let t = Tree::new("badtype");
        t.pmu();
        t.file("bus/event_source/devices/cs_etm/type", "eleven\n");
        assert!(matches!(probe_with(&t.env()), Err(OpenError::BadSysfs { .. })));
    }

    #[test]
    fn etr_sink_and_config_bits() {
        let t = Tree::new("etr");
        t.pmu();
        t.file("bus/event_source/devices/cs_etm/sinks/tmc_etf0", "0x1111\n");
        t.file("bus/event_source/devices/cs_etm/sinks/tmc_etr0", "0x8ab4f3\n");
        let info = probe_with(&t.env()).unwrap();
        assert_eq!(info.pmu_type, 11);
        assert_eq!(info.sink, Sink::Etr { name: "tmc_etr0".into(), id: 0x8ab4f3 });
        assert_eq!(info.cpus.len(), 1);
        assert_eq!(info.cpus[0].config.trace_id(), 0x10);
        let (w, trcconfigr) = event_config(&info, &CollectOptions::default());
        assert_eq!(w[0], (1 << 28) | (1 << 14) | (1 << 29));
        assert_eq!(w[2], 0x8ab4f3);
        assert_eq!(trcconfigr, 1 | (1 << 6) | (1 << 11) | (1 << 12));
        let (w, _) = event_config(&info, &CollectOptions { cycle_accurate: true, ..Default::default() });
        assert_ne!(w[0] & (1 << 12), 0);
    }

    #[test]
    fn trbe_is_preferred() {
        let t = Tree::new("trbe");
        t.pmu();
        t.file("bus/coresight/devices/trbe0/uevent", "");
        t.file("bus/event_source/devices/cs_etm/sinks/tmc_etr0", "0x8ab4f3\n");
        let info = probe_with(&t.env()).unwrap();
        assert_eq!(info.sink, Sink::Trbe);
        assert_eq!(event_config(&info, &CollectOptions::default()).0[2], 0);
    }

    #[test]
    fn old_kernel_and_missing_filters_refuse_a_filtered_open() {
        let t = Tree::new("oldk");
        t.pmu();
        t.file("bus/event_source/devices/cs_etm/sinks/tmc_etr0", "0x8ab4f3\n");
        let opts = CollectOptions { filter: Some((0x1000, 0x2000)), ..Default::default() };
        let env = SysEnv { kernel: Some((4, 19)), ..t.env() };
        assert!(matches!(
            Collector::open_with(&env, &opts),
            Err(OpenError::KernelTooOldForFilters { kernel: (4, 19), .. })
        ));
        t.file("bus/event_source/devices/cs_etm/nr_addr_filters", "0\n");
        assert!(matches!(Collector::open_with(&t.env(), &opts), Err(OpenError::NoAddressFilters)));
    }

    #[test]
    fn errno_mapping() {
        assert_eq!(map_open_errno(libc::ENOSYS), OpenError::PerfUnavailable);
        assert_eq!(map_open_errno(libc::EACCES), OpenError::PermissionDenied { errno: libc::EACCES });
        assert_eq!(map_open_errno(libc::ENOENT), OpenError::NoSink);
        assert_eq!(
            map_open_errno(libc::EINVAL),
            OpenError::Rejected { call: "perf_event_open", errno: libc::EINVAL }
        );
        assert!(OpenError::PerfUnavailable.to_string().contains("QEMU"));
    }

    #[test]
    fn format_fields_and_releases_parse() {
        assert_eq!(FormatField::parse("config:12"), Some(FormatField { word: 0, lo: 12, hi: 12 }));
        assert_eq!(FormatField::parse("config2:0-31"), Some(FormatField { word: 2, lo: 0, hi: 31 }));
        assert_eq!(FormatField::parse("config9:1"), None);
        assert_eq!(FormatField::parse("config:9-3"), None);
        assert_eq!(parse_release("6.1.0-18-arm64"), (6, 1));
        assert_eq!(parse_release("5.15.0"), (5, 15));
    }

    /// The raw system call answers with a descriptor or a typed error: under QEMU user mode
    /// (the AArch64 CI) it is ENOSYS, which must come out as `PerfUnavailable`.
    #[test]
    fn perf_event_open_result_is_typed() {
        // a software CPU-clock event, user space only: available wherever perf is
        let attr = PerfEventAttr {
            type_: 1,
            size: std::mem::size_of::<PerfEventAttr>() as u32,
            flags: FLAG_DISABLED | FLAG_EXCLUDE_KERNEL | FLAG_EXCLUDE_HV,
            ..Default::default()
        };
        match perf_event_open(&attr) {
            Ok(fd) => {
                // SAFETY: closing the descriptor we just opened.
                unsafe { libc::close(fd) };
            }
            Err(e) => {
                println!("perf_event_open: {e}");
                assert!(
                    matches!(
                        e,
                        OpenError::PerfUnavailable | OpenError::PermissionDenied { .. } | OpenError::NoSink
                    ),
                    "{e:?}"
                );
            }
        }
    }

    #[test]
    fn aux_sizes_round_up_and_never_overflow() {
        assert_eq!(aux_bytes(0, 4096), Some(4096));
        assert_eq!(aux_bytes(3, 4096), Some(4 * 4096));
        assert_eq!(aux_bytes(usize::MAX, 4096), None);
        assert_eq!(aux_bytes(1 << 62, 4096), None);
    }

    #[test]
    fn attr_has_the_kernel_size() {
        assert_eq!(std::mem::size_of::<PerfEventAttr>(), 136);
    }

    /// Whatever this machine is, `probe` answers with a typed result and never panics; on the
    /// x86-64 CI host and under QEMU there is no cs_etm PMU.
    #[test]
    fn probe_on_this_machine_is_typed() {
        match probe() {
            Ok(info) => assert!(info.pmu_type > 0),
            Err(e) => assert!(!e.to_string().is_empty()),
        }
        #[cfg(target_arch = "x86_64")]
        assert!(matches!(probe(), Err(OpenError::NoCsEtmPmu { .. })));
    }
}
