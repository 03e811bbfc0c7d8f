//! Traces a known loop on real CoreSight hardware and checks the decoded ranges iteration by
//! iteration. Needs an ETM/ETE with perf `cs_etm` support and `perf_event_paranoid` <= 2.

#![cfg(target_arch = "aarch64")]

use trace_ir::path::CodeImage;
use tracer_etm::collector::{CollectOptions, Collector};
use tracer_etm::element::ElementKind;

std::arch::global_asm!(
    ".global tracery_etm_test_loop",
    ".p2align 4",
    "tracery_etm_test_loop:",
    "mov x1, #0",
    "1: add x1, x1, #1",
    "cmp x1, x0",
    "b.ne 1b",
    "ret",
    ".global tracery_etm_test_loop_end",
    "tracery_etm_test_loop_end:",
);

extern "C" {
    fn tracery_etm_test_loop(n: u64) -> u64;
    fn tracery_etm_test_loop_end();
}

#[test]
#[ignore = "needs CoreSight ETM"]
fn known_loop_decodes_iteration_by_iteration() {
    let start = tracery_etm_test_loop as *const () as u64;
    let end = tracery_etm_test_loop_end as *const () as u64;
    let opts = CollectOptions { filter: Some((start, end)), ..Default::default() };
    // stay on one CPU so one trace unit sees the whole loop
    // SAFETY: plain libc calls on a zeroed cpu_set_t we own.
    unsafe {
        let cpu = libc::sched_getcpu();
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu as usize, &mut set);
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set);
    }
    let c = Collector::open(&opts).unwrap_or_else(|e| panic!("cannot trace: {e}"));
    const N: u64 = 5;
    c.enable().unwrap();
    // SAFETY: the assembly routine only uses x0/x1 and returns.
    let r = unsafe { tracery_etm_test_loop(std::hint::black_box(N)) };
    c.disable().unwrap();
    assert_eq!(r, N);
    let cap = c.read();
    let mut img = CodeImage::new();
    // SAFETY: the routine's code is mapped and readable for the life of the process.
    let code = unsafe { std::slice::from_raw_parts(start as *const u8, (end - start) as usize) };
    img.add(start, code.to_vec(), "loop");
    let ranges: Vec<_> = cap
        .decode(&img)
        .into_iter()
        .filter_map(|e| match e.kind {
            ElementKind::InstrRange(r) => Some((r.start - start, r.end - start, r.num_instr, r.executed)),
            _ => None,
        })
        .collect();
    let mut want = vec![(0, 16, 4, N > 1)];
    for i in 2..=N {
        want.push((4, 16, 3, i < N));
    }
    want.push((16, 20, 1, true));
    assert_eq!(ranges, want);
}
