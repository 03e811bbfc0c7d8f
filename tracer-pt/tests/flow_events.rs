//! Flow reconstruction on hand-made traces over small programs: each event the decoder
//! handles, checked instruction by instruction.

mod enc;

use enc::W;
use trace_ir::path::{BranchKind, CodeImage, PathEvent};
use tracer_pt::block::Block;
use tracer_pt::flow::{Config, Event, Filter, FlowDecoder, Sink};

const BASE: u64 = 0x40_0000;

/// Records instruction addresses and events.
#[derive(Default)]
struct Rec {
    insns: Vec<u64>,
    events: Vec<Event>,
}

impl Sink for Rec {
    fn insns(&mut self, b: &Block, n: usize) {
        self.insns.extend((0..n).map(|i| b.insn(i)));
    }
    fn event(&mut self, ev: &Event) {
        if !matches!(ev, Event::Tsc(_) | Event::ExecMode(_)) {
            self.events.push(*ev);
        }
    }
}

fn run(trace: &W, code: &[u8], cfg: Config) -> Rec {
    let mut img = CodeImage::new();
    img.add(BASE, code.to_vec(), "code");
    let mut r = Rec::default();
    FlowDecoder::new(&trace.0, &img, cfg).run(&mut r);
    r
}

/// mov ecx, 3; xor eax, eax; L: add eax, ecx; dec ecx; jnz L; ret
const LOOP: &[u8] = &[0xb9, 3, 0, 0, 0, 0x31, 0xc0, 0x01, 0xc8, 0xff, 0xc9, 0x75, 0xfa, 0xc3];

#[test]
fn loop_with_filter_exit_at_ret() {
    let t = W::new().psb().mode64().psbend().pge(BASE).tnt(&[true, true, false]).pgd(Some(0x1234));
    let r = run(&t, LOOP, Config::default());
    let b = BASE;
    assert_eq!(
        r.insns,
        vec![b, b + 5, b + 7, b + 9, b + 11, b + 7, b + 9, b + 11, b + 7, b + 9, b + 11, b + 13]
    );
    assert_eq!(
        r.events,
        vec![Event::Enabled { ip: b, resumed: false }, Event::Disabled { ip: Some(0x1234) }]
    );
    // The same as a path: ranges ending in the conditional branch, taken twice, then not.
    let mut img = CodeImage::new();
    img.add(BASE, LOOP.to_vec(), "code");
    let path = tracer_pt::decode_path(&t.0, &img, Config::default());
    let rs: Vec<_> = path.ranges().collect();
    assert_eq!(rs.len(), 4);
    assert_eq!(rs.iter().map(|r| r.taken).collect::<Vec<_>>(), vec![true, true, false, true]);
    assert_eq!(rs[3].last_kind, BranchKind::Return);
    assert!(matches!(path.events.last(), Some(PathEvent::TraceOff { .. })));
}

/// main: call f; call f; jmp rax; f: ret   (0: e8 rel, 5: e8 rel, 10: ff e0, 12: c3)
const CALLS: &[u8] = &[0xe8, 0x07, 0, 0, 0, 0xe8, 0x02, 0, 0, 0, 0xff, 0xe0, 0xc3];

#[test]
fn compressed_and_uncompressed_returns_and_indirect_jump() {
    // First ret compressed (a taken bit), second uncompressed (a TIP), then jmp rax via TIP.
    let t =
        W::new().psb().mode64().fup(BASE).psbend().tnt(&[true]).tip(BASE + 10).tip(BASE + 12).tip(BASE + 12);
    let r = run(&t, CALLS, Config::default());
    let b = BASE;
    assert!(r.insns.len() >= 7, "{:x?} {:?}", r.insns, r.events);
    assert_eq!(r.insns[..7], [b, b + 12, b + 5, b + 12, b + 10, b + 12, b + 12]);
}

#[test]
fn bad_return_compression_is_an_error_and_resyncs() {
    // A compressed return with a not-taken bit; then a fresh PSB+ that works.
    let t = W::new().psb().mode64().fup(BASE).psbend().tnt(&[false]).psb().mode64().fup(BASE + 12).psbend();
    let r = run(&t, CALLS, Config::default());
    let errs: Vec<_> = r.events.iter().filter(|e| matches!(e, Event::Error(_))).collect();
    assert_eq!(errs.len(), 1, "{:?}", r.events);
    assert_eq!(r.insns[..2], [BASE, BASE + 12]);
}

#[test]
fn interrupt_through_fup_and_tip() {
    // In the loop: an interrupt before the second `dec`, handled at 0x40000c... resuming at
    // the loop head via the TIP.
    let t = W::new()
        .psb()
        .mode64()
        .psbend()
        .pge(BASE)
        .tnt(&[true])
        .fup(BASE + 9)
        .tip(BASE + 7)
        .tnt(&[false])
        .pgd(None);
    let r = run(&t, LOOP, Config::default());
    let b = BASE;
    assert_eq!(r.insns, vec![b, b + 5, b + 7, b + 9, b + 11, b + 7, b + 7, b + 9, b + 11, b + 13]);
    assert!(r.events.contains(&Event::AsyncBranch { from: b + 9, to: Some(b + 7) }));
}

#[test]
fn async_disable_and_resume() {
    let t = W::new()
        .psb()
        .mode64()
        .psbend()
        .pge(BASE)
        .fup(BASE + 5)
        .pgd(None)
        .pge(BASE + 5)
        .tnt(&[false])
        .pgd(None);
    let mut code = LOOP.to_vec();
    code[1] = 1; // ecx = 1: one iteration
    let r = run(&t, &code, Config::default());
    let b = BASE;
    assert_eq!(r.insns, vec![b, b + 5, b + 7, b + 9, b + 11, b + 13]);
    assert_eq!(
        r.events,
        vec![
            Event::Enabled { ip: b, resumed: false },
            Event::AsyncDisabled { at: b + 5 },
            Event::Enabled { ip: b + 5, resumed: true },
            Event::Disabled { ip: None },
        ]
    );
}

#[test]
fn overflow_resumes_at_the_fup() {
    let t =
        W::new().psb().mode64().psbend().pge(BASE).tnt(&[true]).ovf().fup(BASE + 11).tnt(&[false]).pgd(None);
    let r = run(&t, LOOP, Config::default());
    let b = BASE;
    assert_eq!(r.insns, vec![b, b + 5, b + 7, b + 9, b + 11, b + 11, b + 13]);
    assert!(r.events.contains(&Event::Overflow { resume: Some(b + 11) }));
}

#[test]
fn ptwrite_and_timing_packets_do_not_disturb_the_flow() {
    let t = W::new()
        .psb()
        .mode64()
        .psbend()
        .tsc(5)
        .pge(BASE)
        .ptw_ip(7)
        .fup(BASE + 9)
        .tnt(&[true, true])
        .tsc(9)
        .tnt(&[false])
        .pgd(None);
    let r = run(&t, LOOP, Config::default());
    assert_eq!(r.insns.len(), 12);
    assert!(r.events.contains(&Event::Ptwrite(7)));
}

#[test]
fn mode_exec_32_bit_code() {
    // 32-bit: inc eax is 0x40 (a REX prefix in 64-bit mode); then jmp -3 back... via a jnz.
    // 0: 40 inc eax; 1: 48 dec eax; 2: 75 fc jnz 0; 4: c3 ret
    let code = [0x40, 0x48, 0x75, 0xfc, 0xc3];
    let t = W::new().psb().mode32().psbend().pge(BASE).tnt(&[true, false]).pgd(None);
    let r = run(&t, &code, Config::default());
    let b = BASE;
    assert_eq!(r.insns, vec![b, b + 1, b + 2, b, b + 1, b + 2, b + 4]);
    // The same bytes in 64-bit mode are one instruction (rex + dec... ) and a different flow.
    let t64 = W::new().psb().mode64().psbend().pge(BASE).tnt(&[true, false]).pgd(None);
    assert_ne!(run(&t64, &code, Config::default()).insns, r.insns);
}

#[test]
fn suppressed_pgd_binds_where_the_filter_is_left() {
    // Straight-line code then a jump out of the filter: nop; nop; jmp +0x100
    let code = [0x90, 0x90, 0xe9, 0x00, 0x01, 0, 0];
    let t = W::new().psb().mode64().psbend().pge(BASE).pgd(None);
    let cfg = Config { filter: Some(Filter { start: BASE, end: BASE + 6 }), cpu: None };
    let r = run(&t, &code, cfg);
    assert_eq!(r.insns, vec![BASE, BASE + 1, BASE + 2]);
    assert_eq!(r.events.last(), Some(&Event::Disabled { ip: None }));
}

#[test]
fn missing_code_is_an_error_then_the_next_psb_resyncs() {
    let t = W::new().psb().mode64().psbend().pge(0x9999_0000).psb().mode64().fup(BASE + 13).psbend();
    let r = run(&t, LOOP, Config::default());
    assert!(matches!(r.events[1], Event::Error(e) if e.ip == 0x9999_0000));
    assert_eq!(r.insns, vec![BASE + 13]);
}

#[test]
fn a_loop_of_direct_jumps_ends_in_an_error_not_a_hang() {
    // jmp . ; with TNT bits pending (table walk) and without (careful walk).
    let spin = [0xeb, 0xfe];
    for t in [
        W::new().psb().mode64().psbend().pge(BASE).tnt(&[true, false]),
        W::new().psb().mode64().psbend().pge(BASE).fup(BASE + 1).pgd(None),
    ] {
        let r = run(&t, &spin, Config::default());
        assert!(
            r.events.iter().any(
                |e| matches!(e, Event::Error(e) if e.kind == tracer_pt::flow::FlowErrorKind::NoProgress)
            ),
            "{:?}",
            r.events
        );
    }
    // A call to itself, the same.
    let rec = [0xe8, 0xfb, 0xff, 0xff, 0xff];
    let t = W::new().psb().mode64().psbend().pge(BASE).tnt(&[true]);
    let r = run(&t, &rec, Config::default());
    assert!(r.events.iter().any(|e| matches!(e, Event::Error(_))), "{:?}", r.events);
}

/// 4,095 NOPs and a jump back to the first: a block of 4,096 instructions that never needs
/// a packet.
fn nop_sled_loop() -> Vec<u8> {
    let mut code = vec![0x90; 4095];
    let back = -(4095i32 + 5);
    code.push(0xe9);
    code.extend_from_slice(&back.to_le_bytes());
    code
}

/// Counts instructions and no-progress errors, without keeping them.
#[derive(Default)]
struct Count {
    insns: u64,
    no_progress: u64,
}

impl Sink for Count {
    fn insns(&mut self, _: &Block, n: usize) {
        self.insns += n as u64;
    }
    fn event(&mut self, ev: &Event) {
        if matches!(ev, Event::Error(e) if e.kind == tracer_pt::flow::FlowErrorKind::NoProgress) {
            self.no_progress += 1;
        }
    }
}

#[test]
fn work_without_progress_is_bounded_in_instructions_not_blocks() {
    // One sync point over the NOP loop with a TNT bit that no conditional branch takes.
    let t = W::new().psb().mode64().fup(BASE).psbend().tnt(&[true]);
    let mut img = CodeImage::new();
    img.add(BASE, nop_sled_loop(), "code");
    let mut c = Count::default();
    FlowDecoder::new(&t.0, &img, Config::default()).run(&mut c);
    assert_eq!(c.no_progress, 1);
    // Each sync point walks at most the no-progress bound (64 Ki instructions) plus a block.
    assert!(c.insns <= (1 << 16) + 4096, "{} instructions walked without progress", c.insns);
}

#[test]
fn a_thousand_sync_points_over_a_nop_loop_decode_in_seconds() {
    let mut t = W::new();
    for _ in 0..1000 {
        t = t.psb().mode64().fup(BASE).psbend().tnt(&[true]);
    }
    assert!(t.0.len() > 25_000 && t.0.len() < 35_000, "{}", t.0.len());
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut img = CodeImage::new();
        img.add(BASE, nop_sled_loop(), "code");
        let mut c = Count::default();
        FlowDecoder::new(&t.0, &img, Config::default()).run(&mut c);
        tx.send((c.insns, c.no_progress)).ok();
    });
    let (insns, errs) = rx.recv_timeout(std::time::Duration::from_secs(30)).expect("decode took over 30 s");
    assert_eq!(errs, 1000);
    assert!(insns <= 1000 * ((1 << 16) + 4096), "{insns}");
}
