//! The collector's error paths, forced with a fake sysfs, paranoid level and system calls;
//! the real probe on this machine; and, on Intel PT hardware, a traced loop decoded
//! iteration by iteration.

mod common;

use std::cell::RefCell;
use std::path::PathBuf;
use tracer_pt::collector::{
    attr_for, probe_with, ring_bytes, AuxMode, Collector, CollectorConfig, Env, OpenError,
};
use tracer_pt::perf_sys::{PerfEventAttr, Sys, IOC_SET_FILTER};

/// System calls that fail as told, recording what they were asked.
#[derive(Default)]
struct FakeSys {
    open_err: Option<i32>,
    /// Fail only PMU (non-software) opens.
    pt_open_err: Option<i32>,
    ioctl_err: Option<i32>,
    calls: RefCell<Vec<String>>,
}

impl Sys for FakeSys {
    fn perf_event_open(&self, attr: &PerfEventAttr, _pid: i32, _cpu: i32) -> Result<i32, i32> {
        self.calls.borrow_mut().push(format!("open type={} config={:#x}", attr.type_, attr.config));
        if let Some(e) = self.open_err {
            return Err(e);
        }
        if attr.type_ != 1 {
            if let Some(e) = self.pt_open_err {
                return Err(e);
            }
        }
        Ok(1000)
    }
    fn ioctl(&self, _fd: i32, req: u64, _arg: usize) -> Result<(), i32> {
        self.calls.borrow_mut().push(format!("ioctl {req:#x}"));
        self.ioctl_err.map_or(Ok(()), Err)
    }
    fn close(&self, fd: i32) {
        self.calls.borrow_mut().push(format!("close {fd}"));
    }
}

/// A fake sysfs and procfs under the temp directory.
struct Fake {
    root: PathBuf,
}

impl Fake {
    fn new(name: &str, pmu: bool, ranges: Option<u32>, paranoid: i32) -> Fake {
        let root = common::temp_file(&format!("sysfs-{name}"));
        let _ = std::fs::remove_dir_all(&root);
        let dev = root.join("bus/event_source/devices");
        std::fs::create_dir_all(dev.join("software")).unwrap();
        if pmu {
            let pt = dev.join("intel_pt");
            std::fs::create_dir_all(pt.join("format")).unwrap();
            std::fs::create_dir_all(pt.join("caps")).unwrap();
            std::fs::write(pt.join("type"), "8\n").unwrap();
            for (f, v) in [
                ("pt", "config:0"),
                ("branch", "config:13"),
                ("noretcomp", "config:11"),
                ("tsc", "config:10"),
            ] {
                std::fs::write(pt.join("format").join(f), format!("{v}\n")).unwrap();
            }
            if let Some(n) = ranges {
                std::fs::write(pt.join("caps/num_address_ranges"), format!("{n}\n")).unwrap();
            }
        }
        std::fs::write(root.join("paranoid"), format!("{paranoid}\n")).unwrap();
        Fake { root }
    }

    fn env<'a>(&self, sys: &'a FakeSys, caps: u64) -> Env<'a> {
        Env {
            sysfs: self.root.clone(),
            paranoid_file: self.root.join("paranoid"),
            cap_eff: Some(caps),
            sys,
            assume_x86_64: true,
        }
    }
}

impl Drop for Fake {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

const CAP_PERFMON: u64 = 1 << 38;

#[test]
fn no_intel_pt_pmu_is_named() {
    let f = Fake::new("nopmu", false, None, 2);
    let sys = FakeSys::default();
    let e = probe_with(&f.env(&sys, 0)).unwrap_err();
    assert!(matches!(&e, OpenError::NoPmu { path } if path.ends_with("intel_pt")), "{e:?}");
    assert!(e.to_string().contains("no intel_pt PMU"), "{e}");
}

#[test]
fn enosys_under_emulation_is_named() {
    let f = Fake::new("enosys", true, Some(2), 2);
    let sys = FakeSys { open_err: Some(libc::ENOSYS), ..Default::default() };
    assert_eq!(probe_with(&f.env(&sys, 0)), Err(OpenError::NoSyscall));
}

#[test]
fn paranoid_level_without_cap_perfmon_is_named() {
    let f = Fake::new("paranoid", true, Some(2), 3);
    let sys = FakeSys::default();
    assert_eq!(probe_with(&f.env(&sys, 0)), Err(OpenError::Paranoid { level: 3 }));
    // CAP_PERFMON lifts it.
    let info = probe_with(&f.env(&sys, CAP_PERFMON)).unwrap();
    assert!(info.privileged);
    let line = info.to_string();
    assert!(
        line.starts_with(
            "intel_pt PMU type 8, 2 address filter range(s), perf_event_paranoid 3 (CAP_PERFMON)"
        ),
        "{line}"
    );
    assert_eq!((info.pmu_type, info.paranoid, info.address_ranges), (8, 3, 2));
    // And a kernel refusal at a high level maps to the same diagnosis.
    let sys = FakeSys { pt_open_err: Some(libc::EACCES), ..Default::default() };
    let cfg = CollectorConfig::default();
    assert_eq!(
        Collector::open_with(&f.env(&sys, CAP_PERFMON), &cfg).err(),
        Some(OpenError::Paranoid { level: 3 })
    );
}

#[test]
fn permission_denied_at_a_permissive_level_is_named() {
    let f = Fake::new("eacces", true, Some(2), 2);
    let sys = FakeSys { pt_open_err: Some(libc::EPERM), ..Default::default() };
    let e = Collector::open_with(&f.env(&sys, 0), &CollectorConfig::default()).err().unwrap();
    assert_eq!(e, OpenError::PermissionDenied { errno: libc::EPERM });
}

#[test]
fn missing_address_filters_are_named() {
    let f = Fake::new("nofilter", true, None, 2);
    let sys = FakeSys::default();
    let cfg = CollectorConfig { filter: Some((0x1000, 0x100)), ..Default::default() };
    let e = Collector::open_with(&f.env(&sys, 0), &cfg).err().unwrap();
    assert!(matches!(e, OpenError::NoAddressFilters { .. }), "{e:?}");
    // Ranges advertised but the kernel rejects the filter: also named, and the fd is closed.
    let f = Fake::new("badfilter", true, Some(2), 2);
    let sys = FakeSys { ioctl_err: Some(libc::EINVAL), ..Default::default() };
    let e = Collector::open_with(&f.env(&sys, 0), &cfg).err().unwrap();
    assert!(
        matches!(&e, OpenError::NoAddressFilters { detail } if detail.contains("filter 0x1000/0x100")),
        "{e:?}"
    );
    let calls = sys.calls.borrow();
    assert!(calls.contains(&format!("ioctl {IOC_SET_FILTER:#x}")), "{calls:?}");
    assert_eq!(calls.last().map(String::as_str), Some("close 1000"));
}

#[test]
fn an_aux_buffer_larger_than_the_address_space_is_refused_before_opening() {
    let f = Fake::new("hugeaux", true, Some(2), 2);
    let sys = FakeSys::default();
    let cfg = CollectorConfig { aux_pages: 1 << 62, ..Default::default() };
    let e = Collector::open_with(&f.env(&sys, 0), &cfg).err().unwrap();
    assert!(matches!(e, OpenError::Perf { errno: libc::EINVAL, .. }), "{e:?}");
    let calls = sys.calls.borrow();
    assert!(!calls.iter().any(|c| c.starts_with("open type=8")), "{calls:?}");
}

#[test]
fn malformed_sysfs_is_named() {
    let f = Fake::new("badtype", true, Some(2), 2);
    std::fs::write(f.root.join("bus/event_source/devices/intel_pt/type"), "eight").unwrap();
    let sys = FakeSys::default();
    assert!(matches!(probe_with(&f.env(&sys, 0)), Err(OpenError::BadSysfs { .. })));
}

#[test]
fn config_bits_follow_the_pmu_format() {
    let f = Fake::new("format", true, Some(2), 2);
    let sys = FakeSys::default();
    let info = probe_with(&f.env(&sys, 0)).unwrap();
    let a = attr_for(&info, &CollectorConfig::default());
    assert_eq!(a.type_, 8);
    // pt and branch on; return compression on (noretcomp clear); no TSC, MTC, CYC.
    assert_eq!(a.config, 1 | 1 << 13);
    let a = attr_for(&info, &CollectorConfig { ret_compression: false, tsc: true, ..Default::default() });
    assert_eq!(a.config, 1 | 1 << 13 | 1 << 11 | 1 << 10);
    assert_eq!(a.flags & (1 << 5 | 1), 1 << 5 | 1, "exclude_kernel and disabled");
}

#[test]
fn aux_ring_reads_in_order_across_the_wrap() {
    let aux: Vec<u8> = (0..8).collect();
    // Full mode: unread bytes from tail to head, wrapping.
    assert_eq!(ring_bytes(&aux, 5, 2, AuxMode::Full), vec![2, 3, 4]);
    assert_eq!(ring_bytes(&aux, 11, 6, AuxMode::Full), vec![6, 7, 0, 1, 2]);
    assert_eq!(ring_bytes(&aux, 100, 100, AuxMode::Full), Vec::<u8>::new());
    // More than a ring's worth can never be unread; at most the ring comes back.
    assert_eq!(ring_bytes(&aux, 20, 0, AuxMode::Full).len(), 8);
    // Snapshot: the whole ring, oldest (at head) first.
    assert_eq!(ring_bytes(&aux, 13, 0, AuxMode::Snapshot), vec![5, 6, 7, 0, 1, 2, 3, 4]);
    assert!(ring_bytes(&[], 3, 1, AuxMode::Full).is_empty());
}

#[test]
fn this_machine_probe_names_what_is_missing_or_succeeds() {
    let r = tracer_pt::probe();
    let has_pmu = std::path::Path::new("/sys/bus/event_source/devices/intel_pt").exists();
    match r {
        Ok(info) => assert!(has_pmu && info.pmu_type > 0),
        Err(e) => {
            assert!(!e.to_string().is_empty());
            if !cfg!(target_arch = "x86_64") {
                assert!(matches!(e, OpenError::UnsupportedArch { .. }), "{e:?}");
            } else if !has_pmu {
                assert!(matches!(e, OpenError::NoPmu { .. } | OpenError::NoSyscall), "{e:?}");
            }
        }
    }
}

/// A loop in fresh executable memory: `mov ecx, N; xor eax, eax; L: add eax, ecx; dec ecx;
/// jnz L; ret`, traced with an IP filter on exactly that code.
#[cfg(target_arch = "x86_64")]
#[test]
#[ignore = "needs Intel PT"]
fn traced_loop_decodes_iteration_by_iteration() {
    use trace_ir::path::{BranchKind, CodeImage};
    const N: u32 = 100;
    let mut code = vec![0xb9];
    code.extend_from_slice(&N.to_le_bytes());
    code.extend_from_slice(&[0x31, 0xc0, 0x01, 0xc8, 0xff, 0xc9, 0x75, 0xfa, 0xc3]);
    // SAFETY: a private anonymous mapping, written while RW, then switched to RX before it
    // is executed (never writable and executable at once).
    let base = unsafe {
        let p = libc::mmap(
            std::ptr::null_mut(),
            4096,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        );
        assert_ne!(p, libc::MAP_FAILED);
        std::ptr::copy_nonoverlapping(code.as_ptr(), p as *mut u8, code.len());
        assert_eq!(libc::mprotect(p, 4096, libc::PROT_READ | libc::PROT_EXEC), 0);
        p as u64
    };
    // SAFETY: the bytes above are a complete function with the C ABI returning in eax.
    let f: extern "C" fn() -> u32 = unsafe { std::mem::transmute(base as usize) };
    let cfg = CollectorConfig {
        filter: Some((base, code.len() as u64)),
        mode: AuxMode::Full,
        ..Default::default()
    };
    let mut c = Collector::open(&cfg).unwrap_or_else(|e| panic!("{e}"));
    let (sum, trace) = c.trace(|| f()).unwrap();
    assert_eq!(sum, N * (N + 1) / 2);
    let mut img = CodeImage::new();
    img.add(base, code.clone(), "loop");
    let path = tracer_pt::decode_path(&trace, &img, tracer_pt::Config::default());
    let ranges: Vec<_> = path.ranges().copied().collect();
    // First pass: mov, xor, add, dec, jnz (taken); then N-2 taken iterations of add, dec,
    // jnz; the last one falls through; then ret.
    assert_eq!(ranges.len(), N as usize + 1, "{ranges:?}");
    assert_eq!((ranges[0].start, ranges[0].insn_count, ranges[0].taken), (base, 5, true));
    for (i, r) in ranges[1..N as usize].iter().enumerate() {
        assert_eq!((r.start, r.end, r.insn_count), (base + 7, base + 13, 3), "iteration {}", i + 1);
        assert_eq!(r.last_kind, BranchKind::Direct);
        assert_eq!(r.taken, i + 2 < N as usize, "iteration {}", i + 1);
    }
    let last = ranges[N as usize];
    assert_eq!((last.start, last.insn_count, last.last_kind), (base + 13, 1, BranchKind::Return));
    // SAFETY: unmaps the mapping made above; nothing references it any more.
    unsafe { libc::munmap(base as *mut libc::c_void, 4096) };
}
