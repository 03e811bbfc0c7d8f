//! Decode throughput on the conformance captures: packets only, and full decode (packets,
//! flow reconstruction, elements), in MiB of trace per second and elements per second.
//! On x86-64 the same run decodes the same snapshots with OpenCSD's C library (Debian
//! `libopencsd-dev`) through a small bench-only binding and prints the ratio.
//!
//! Each measurement decodes every snapshot once per round, setup included for both decoders
//! (our block cache and OpenCSD's decode tree start cold every round); the median of the rounds
//! is reported.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use tracer_etm::{decode_snapshot, DecodeOptions, Snapshot};

const SNAPSHOTS: [(&str, bool); 8] = [
    ("juno_r1_1", false),
    ("a57_single_step", false),
    ("init-short-addr", false),
    ("001-ack_test", false),
    ("ts_marker", false),
    ("maxspec78_commopt0", false),
    ("ete_spec_2", false),
    ("q_elem", true),
];
const ROUNDS: usize = 21;

fn load() -> Vec<(Snapshot, DecodeOptions)> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/testdata/etm");
    let only = std::env::var("ETM_BENCH_ONLY").ok();
    SNAPSHOTS
        .iter()
        .filter(|(n, _)| only.as_deref().is_none_or(|o| o == *n))
        .map(|(n, multi)| {
            let s = Snapshot::load(root.join(n)).unwrap_or_else(|e| panic!("{n}: {e}"));
            (s, DecodeOptions { multi_session: *multi, ..Default::default() })
        })
        .collect()
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

struct Result {
    name: &'static str,
    time: Duration,
    bytes: u64,
    items: u64,
}

impl Result {
    fn print(&self, what: &str) {
        let s = self.time.as_secs_f64();
        println!(
            "{:<28} {:>10.3} ms  {:>8.1} MiB/s  {:>12.0} {what}/s",
            self.name,
            s * 1e3,
            self.bytes as f64 / s / (1024.0 * 1024.0),
            self.items as f64 / s
        );
    }
}

fn ours(snaps: &[(Snapshot, DecodeOptions)], packets_only: bool) -> Result {
    let mut times = Vec::new();
    let (mut bytes, mut items) = (0, 0);
    for _ in 0..ROUNDS {
        let t = Instant::now();
        let (mut b, mut n) = (0, 0);
        for (s, o) in snaps {
            let o = DecodeOptions { packets_only, ..*o };
            let st = decode_snapshot(s, &o, |_, _, _| {}, |_| {});
            b += st.bytes;
            n += if packets_only { st.packets } else { st.elements };
        }
        times.push(t.elapsed());
        bytes = b;
        items = n;
    }
    Result {
        name: if packets_only { "tracery packets" } else { "tracery full decode" },
        time: median(times),
        bytes,
        items,
    }
}

#[cfg(target_arch = "x86_64")]
mod ocsd {
    //! The few OpenCSD C API calls the comparison needs.
    use std::ffi::{c_char, c_int, c_void, CString};

    use tracer_etm::snapshot::BufferFormat;
    use tracer_etm::{DecodeOptions, Snapshot};

    type Handle = *mut c_void;
    type ElemFn = extern "C" fn(*const c_void, u64, u8, *const c_void) -> c_int;

    #[link(name = "opencsd_c_api")]
    extern "C" {
        fn ocsd_create_dcd_tree(src_type: c_int, deformatter_flags: u32) -> Handle;
        fn ocsd_destroy_dcd_tree(h: Handle);
        fn ocsd_dt_process_data(
            h: Handle,
            op: c_int,
            index: u64,
            size: u32,
            data: *const u8,
            done: *mut u32,
        ) -> c_int;
        fn ocsd_dt_set_gen_elem_outfn(h: Handle, f: ElemFn, ctx: *const c_void) -> c_int;
        fn ocsd_dt_create_decoder(
            h: Handle,
            name: *const c_char,
            flags: c_int,
            cfg: *const c_void,
            csid: *mut u8,
        ) -> c_int;
        fn ocsd_dt_attach_packet_callback(
            h: Handle,
            csid: u8,
            kind: c_int,
            f: *const c_void,
            ctx: *const c_void,
        ) -> c_int;
        fn ocsd_dt_add_buffer_mem_acc(h: Handle, addr: u64, space: c_int, data: *const u8, len: u32)
            -> c_int;
    }

    #[repr(C)]
    struct Etmv4Cfg {
        idr0: u32,
        idr1: u32,
        idr2: u32,
        idr8: u32,
        idr9: u32,
        idr10: u32,
        idr11: u32,
        idr12: u32,
        idr13: u32,
        configr: u32,
        traceidr: u32,
        arch: c_int,
        profile: c_int,
    }

    #[repr(C)]
    struct EteCfg {
        idr0: u32,
        idr1: u32,
        idr2: u32,
        idr8: u32,
        devarch: u32,
        configr: u32,
        traceidr: u32,
        arch: c_int,
        profile: c_int,
    }

    extern "C" fn count_elem(ctx: *const c_void, _i: u64, _id: u8, _e: *const c_void) -> c_int {
        // SAFETY: ctx is the &mut u64 counter passed below, alive for the whole decode.
        unsafe { *(ctx as *mut u64) += 1 };
        0
    }

    extern "C" fn count_pkt(ctx: *const c_void, op: c_int, _i: u64, _p: *const c_void) -> c_int {
        if op == 0 {
            // SAFETY: as above.
            unsafe { *(ctx as *mut u64) += 1 };
        }
        0
    }

    /// Decodes `snap` with OpenCSD; returns (bytes, elements or packets).
    pub fn decode(snap: &Snapshot, opts: &DecodeOptions, packets_only: bool) -> (u64, u64) {
        let mut count = 0u64;
        let mut bytes = 0u64;
        let bufs: Vec<_> = if opts.multi_session {
            snap.buffers.iter().collect()
        } else {
            snap.buffers.iter().take(1).collect()
        };
        for buf in bufs {
            let raw = buf.format == BufferFormat::SourceData;
            // SAFETY: plain constructor; a null handle is checked.
            let h = unsafe { ocsd_create_dcd_tree(if raw { 1 } else { 0 }, if raw { 0 } else { 0x04 }) };
            assert!(!h.is_null());
            let ctx = &mut count as *mut u64 as *const c_void;
            for r in snap.image.regions() {
                // SAFETY: the image outlives the tree; OpenCSD only reads the buffer.
                unsafe {
                    ocsd_dt_add_buffer_mem_acc(h, r.base, 0x1f, r.bytes.as_ptr(), r.bytes.len() as u32)
                };
            }
            let flags = if packets_only { 0x01 } else { 0x02 };
            for dev in snap.sources_for(&buf.name).into_iter().take(if raw { 1 } else { usize::MAX }) {
                let c = dev.etm_config();
                let mut csid = 0u8;
                let rc = if c.is_ete() {
                    let cfg = EteCfg {
                        idr0: c.trcidr0,
                        idr1: c.trcidr1,
                        idr2: c.trcidr2,
                        idr8: c.trcidr8,
                        devarch: c.trcdevarch,
                        configr: c.trcconfigr,
                        traceidr: c.trctraceidr,
                        arch: 0x0864,
                        profile: 3,
                    };
                    let name = CString::new("ETE").unwrap();
                    // SAFETY: name and cfg are valid for the call; OpenCSD copies the config.
                    unsafe {
                        ocsd_dt_create_decoder(
                            h,
                            name.as_ptr(),
                            flags,
                            &cfg as *const EteCfg as *const c_void,
                            &mut csid,
                        )
                    }
                } else {
                    let cfg = Etmv4Cfg {
                        idr0: c.trcidr0,
                        idr1: c.trcidr1,
                        idr2: c.trcidr2,
                        idr8: c.trcidr8,
                        idr9: 0,
                        idr10: 0,
                        idr11: 0,
                        idr12: 0,
                        idr13: 0,
                        configr: c.trcconfigr,
                        traceidr: c.trctraceidr,
                        arch: 0x0800,
                        profile: 3,
                    };
                    let name = CString::new("ETMV4I").unwrap();
                    // SAFETY: as above.
                    unsafe {
                        ocsd_dt_create_decoder(
                            h,
                            name.as_ptr(),
                            flags,
                            &cfg as *const Etmv4Cfg as *const c_void,
                            &mut csid,
                        )
                    }
                };
                assert_eq!(rc, 0, "OpenCSD refused the decoder config");
                if std::env::var_os("OCSD_DEBUG").is_some() {
                    eprintln!("{}: decoder for id {csid:#x} created", buf.name);
                }
                if packets_only {
                    // SAFETY: callback and context outlive the tree.
                    unsafe { ocsd_dt_attach_packet_callback(h, csid, 0, count_pkt as *const c_void, ctx) };
                }
            }
            // SAFETY: the callback and its context outlive the tree (destroyed below). It is
            // set after the decoders exist so they get connected to it.
            unsafe { ocsd_dt_set_gen_elem_outfn(h, count_elem, ctx) };
            let mut at = 0usize;
            while at < buf.data.len() {
                let mut done = 0u32;
                let rest = &buf.data[at..];
                // SAFETY: `rest` is valid for its length; `done` receives the count consumed.
                let r = unsafe {
                    ocsd_dt_process_data(h, 0, at as u64, rest.len() as u32, rest.as_ptr(), &mut done)
                };
                at += done as usize;
                if std::env::var_os("OCSD_DEBUG").is_some() {
                    eprintln!("{}: process_data -> {r}, consumed {done}", buf.name);
                }
                if r >= 6 || done == 0 {
                    break;
                }
            }
            let mut done = 0u32;
            // SAFETY: end-of-trace operation, no data.
            unsafe {
                ocsd_dt_process_data(h, 1, 0, 0, std::ptr::null(), &mut done);
                ocsd_destroy_dcd_tree(h);
            }
            bytes += buf.data.len() as u64;
        }
        (bytes, count)
    }
}

#[cfg(target_arch = "x86_64")]
fn opencsd(snaps: &[(Snapshot, DecodeOptions)], packets_only: bool) -> Result {
    let mut times = Vec::new();
    let (mut bytes, mut items) = (0, 0);
    for _ in 0..ROUNDS {
        let t = Instant::now();
        let (mut b, mut n) = (0, 0);
        for (s, o) in snaps {
            let (x, y) = ocsd::decode(s, o, packets_only);
            b += x;
            n += y;
        }
        times.push(t.elapsed());
        bytes = b;
        items = n;
    }
    Result {
        name: if packets_only { "OpenCSD packets" } else { "OpenCSD full decode" },
        time: median(times),
        bytes,
        items,
    }
}

fn main() {
    let snaps = load();
    let total: usize = snaps.iter().map(|(s, _)| s.buffers.iter().map(|b| b.data.len()).sum::<usize>()).sum();
    println!("ETM decode, {} snapshots, {total} bytes of trace, median of {ROUNDS} rounds", snaps.len());
    if std::env::var_os("ETM_BENCH_PROFILE").is_some() {
        // for `perf record`: only our decoder (ETM_BENCH_PROFILE=packets or =full)
        let packets_only = std::env::var("ETM_BENCH_PROFILE").is_ok_and(|v| v == "packets");
        for _ in 0..20 {
            ours(&snaps, packets_only);
        }
        return;
    }
    let p = ours(&snaps, true);
    p.print("packets");
    let f = ours(&snaps, false);
    f.print("elements");
    #[cfg(target_arch = "x86_64")]
    {
        let op = opencsd(&snaps, true);
        op.print("packets");
        let of = opencsd(&snaps, false);
        of.print("elements");
        println!(
            "ratio (OpenCSD time / tracery time): packets {:.2}x, full decode {:.2}x",
            op.time.as_secs_f64() / p.time.as_secs_f64(),
            of.time.as_secs_f64() / f.time.as_secs_f64()
        );
        println!(
            "(OpenCSD element count {} vs ours {}: {})",
            of.items,
            f.items,
            if of.items == f.items { "same" } else { "differs: library 1.3.3 vs the 1.8.0 references" }
        );
    }
}
