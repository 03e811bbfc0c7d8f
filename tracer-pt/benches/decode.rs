//! `cargo bench -p tracer-pt`: packet and full-decode throughput on the real captures, in
//! MiB of trace per second and instructions per second, against libipt 2.0.5's packet,
//! instruction-flow (pt_insn_*) and block (pt_blk_*) decoders on the same trace and image
//! in the same run. Each number is the median of 11 samples of about 20 ms of thread CPU time.

#[path = "../tests/common/mod.rs"]
mod common;
#[cfg(target_arch = "x86_64")]
#[path = "../tests/libipt/mod.rs"]
mod libipt;

use common::CAPTURES;
use std::hint::black_box;
use tracer_pt::flow::{Config, FlowDecoder};
use tracer_pt::listing::Counter;
use tracer_pt::packet::Packets;

/// This thread's CPU time in seconds: the machine is shared, and wall time counts the time
/// other processes hold the core.
fn cpu_now() -> f64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: clock_gettime writes one timespec through a valid pointer.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9
}

/// Median CPU seconds per call of `f`.
fn median(mut f: impl FnMut()) -> f64 {
    let mut reps = 1u32;
    loop {
        let t = cpu_now();
        for _ in 0..reps {
            f();
        }
        if cpu_now() - t > 0.02 {
            break;
        }
        reps *= 2;
    }
    let mut samples: Vec<f64> = (0..11)
        .map(|_| {
            let t = cpu_now();
            for _ in 0..reps {
                f();
            }
            (cpu_now() - t) / reps as f64
        })
        .collect();
    samples.sort_by(|a, b| a.partial_cmp(b).unwrap());
    samples[5]
}

fn mib(bytes: usize, secs: f64) -> f64 {
    bytes as f64 / secs / (1024.0 * 1024.0)
}

fn main() {
    println!(
        "tracer-pt decode benchmark (median of 11 samples of thread CPU time; libipt 2.0.5 in the same run)"
    );
    // TRACER_PT_BENCH=name limits the run to one capture (for profiling).
    let only = std::env::var("TRACER_PT_BENCH").ok();
    for c in CAPTURES.iter().filter(|c| only.as_deref().is_none_or(|o| o == c.name)) {
        let trace = c.bytes();
        let img = c.image();
        // Only the bytes from the first PSB on are trace; the rest is zero fill.
        let bytes = trace.len() - tracer_pt::packet::find_psb(&trace, 0).unwrap_or(0);
        let pk = median(|| {
            black_box(Packets::new(black_box(&trace)).count());
        });
        let mut insns = 0;
        let full = median(|| {
            let mut s = Counter::default();
            FlowDecoder::new(black_box(&trace), &img, Config::default()).run(&mut s);
            insns = s.insns;
        });
        // Warm: the block cache of the previous decode of this image carries over.
        let mut blocks = Some(tracer_pt::block::BlockCache::new(&img));
        let warm = median(|| {
            let mut s = Counter::default();
            let mut d =
                FlowDecoder::with_blocks(black_box(&trace), blocks.take().unwrap(), Config::default());
            d.run(&mut s);
            blocks = Some(d.into_blocks());
        });
        println!("{}: {} trace bytes, {} instructions", c.name, bytes, insns);
        println!("  ours   packets  {:9.1} MiB/s", mib(bytes, pk));
        println!(
            "  ours   flow     {:9.1} MiB/s {:8.1} Minsn/s  (cold block cache)",
            mib(bytes, full),
            insns as f64 / full / 1e6
        );
        println!(
            "  ours   flow     {:9.1} MiB/s {:8.1} Minsn/s  (warm block cache)",
            mib(bytes, warm),
            insns as f64 / warm / 1e6
        );
        #[cfg(target_arch = "x86_64")]
        {
            let lpk = median(|| {
                black_box(libipt::decode(black_box(&trace)).len());
            });
            let elfs: Vec<_> = c.elfs.iter().map(|(f, a)| (common::lldb().join(f), *a)).collect();
            let limg = libipt::Image::new(&elfs);
            let mut li = (0, 0);
            let ins = median(|| li = libipt::insn_decode(black_box(&trace), &limg, c.cpu));
            let mut lb = (0, 0);
            let blk = median(|| lb = libipt::blk_decode(black_box(&trace), &limg, c.cpu));
            println!("  libipt packets  {:9.1} MiB/s   (ours {:.1}x)", mib(bytes, lpk), lpk / pk);
            println!(
                "  libipt insn     {:9.1} MiB/s {:8.1} Minsn/s ({} insns; ours cold {:.1}x, warm {:.1}x)",
                mib(bytes, ins),
                li.0 as f64 / ins / 1e6,
                li.0,
                ins / full,
                ins / warm
            );
            println!(
                "  libipt block    {:9.1} MiB/s {:8.1} Minsn/s ({} insns; ours cold {:.1}x, warm {:.1}x)",
                mib(bytes, blk),
                lb.0 as f64 / blk / 1e6,
                lb.0,
                blk / full,
                blk / warm
            );
        }
    }
}
