//! Unusual event sequences on hand-made streams, decoded by libipt 2.0.5's instruction-flow
//! decoder and by ours: TSX aborts, TIP.PGD in straight-line code, and overflows without a
//! FUP under erratum SKD010. Both must find the same instructions.
#![cfg(target_arch = "x86_64")]

mod common;
mod enc;
mod libipt;

use enc::W;
use trace_ir::path::CodeImage;
use tracer_pt::block::Block;
use tracer_pt::cpu::Cpu;
use tracer_pt::flow::{Config, Event, Filter, FlowDecoder, Sink};

const BASE: u64 = 0x40_0000;

#[derive(Default)]
struct Rec {
    insns: Vec<u64>,
    events: Vec<(usize, Event)>,
}

impl Sink for Rec {
    fn insns(&mut self, b: &Block, n: usize) {
        self.insns.extend((0..n).map(|i| b.insn(i)));
    }
    fn event(&mut self, ev: &Event) {
        if !matches!(ev, Event::Tsc(_) | Event::ExecMode(_)) {
            self.events.push((self.insns.len(), *ev));
        }
    }
}

impl Rec {
    fn errors(&self) -> usize {
        self.events.iter().filter(|(_, e)| matches!(e, Event::Error(_))).count()
    }
}

fn ours(trace: &[u8], code: &[u8], cfg: Config) -> Rec {
    let mut img = CodeImage::new();
    img.add(BASE, code.to_vec(), "code");
    let mut r = Rec::default();
    FlowDecoder::new(trace, &img, cfg).run(&mut r);
    r
}

fn theirs(name: &str, trace: &[u8], code: &[u8], cpu: Option<Cpu>, filter: Option<Filter>) -> libipt::Flow {
    let f = common::temp_file(&format!("events-{name}.bin"));
    std::fs::write(&f, code).unwrap();
    let flow = libipt::insn_flow(
        trace,
        &libipt::Image::raw(&f, BASE),
        cpu.map(|c| (c.family, c.model, c.stepping)),
        filter.map(|f| (f.start, f.end)),
    );
    std::fs::remove_file(&f).ok();
    flow
}

/// nop x4 (BASE..+4), jmp rax (+4), nop x2 (+6), nop x4 (+8, the abort handler), ret (+12).
const TSX_CODE: &[u8] = &[0x90, 0x90, 0x90, 0x90, 0xff, 0xe0, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0xc3];

#[test]
fn tsx_abort_is_an_asynchronous_branch_at_the_fup_like_libipt() {
    // A transaction begins at +1 (MODE.TSX binds its FUP), aborts at +3 (MODE.TSX with
    // abort: the FUP and the TIP after it are an asynchronous branch to the handler), and
    // tracing stops asynchronously in the handler.
    let t = W::new()
        .psb()
        .mode64()
        .fup(BASE)
        .psbend()
        .tsx(true, false)
        .fup(BASE + 1)
        .tsx(false, true)
        .fup(BASE + 3)
        .tip(BASE + 8)
        .fup(BASE + 10)
        .pgd(None);
    let lib = theirs("tsx", &t.0, TSX_CODE, None, None);
    let r = ours(&t.0, TSX_CODE, Config::default());
    let b = BASE;
    let want = vec![b, b + 1, b + 2, b + 8, b + 9];
    assert_eq!((&lib.ips, lib.errs), (&want, 0), "libipt: {:x?}", lib.events);
    assert_eq!((&r.insns, r.errors()), (&want, 0), "ours: {:x?}", r.events);
    // libipt: the abort's TSX event, then an asynchronous branch from the FUP's IP.
    assert!(
        lib.events
            .iter()
            .any(|(at, e)| *at == 3 && e.ty == libipt::PTEV_ASYNC_BRANCH && (e.a, e.b) == (b + 3, b + 8)),
        "{:x?}",
        lib.events
    );
    assert!(r.events.contains(&(3, Event::AsyncBranch { from: b + 3, to: Some(b + 8) })), "{:x?}", r.events);
}

#[test]
fn tsx_commit_still_binds_its_fup() {
    // A commit (no abort) binds the FUP: no asynchronous branch, the jmp rax takes the TIP.
    let t = W::new()
        .psb()
        .mode64()
        .fup(BASE)
        .psbend()
        .tsx(true, false)
        .fup(BASE + 1)
        .tsx(false, false)
        .fup(BASE + 3)
        .tip(BASE + 8)
        .fup(BASE + 10)
        .pgd(None);
    let lib = theirs("tsx-commit", &t.0, TSX_CODE, None, None);
    let r = ours(&t.0, TSX_CODE, Config::default());
    let b = BASE;
    let want = vec![b, b + 1, b + 2, b + 3, b + 4, b + 8, b + 9];
    assert_eq!((&lib.ips, lib.errs), (&want, 0), "libipt: {:x?}", lib.events);
    assert_eq!((&r.insns, r.errors()), (&want, 0), "ours: {:x?}", r.events);
    assert!(!r.events.iter().any(|(_, e)| matches!(e, Event::AsyncBranch { .. })), "{:x?}", r.events);
}

/// 16 NOPs, then ret (+16).
fn straight_line() -> Vec<u8> {
    let mut c = vec![0x90; 16];
    c.push(0xc3);
    c
}

#[test]
fn pgd_with_an_ip_in_straight_line_code_stops_there_like_libipt() {
    // The filter region ends after +4: tracing stops before the instruction at +5, with no
    // branch to bind the disable to. libipt's block decoder (ptxed's default) walks to the
    // PGD's IP and stops there; its instruction-flow decoder (2.0.5) runs on to the ret.
    let t = W::new().psb().mode64().psbend().pge(BASE).pgd(Some(BASE + 5));
    let filter = Filter { start: BASE, end: BASE + 4 };
    let code = straight_line();
    let b = BASE;
    let want = vec![b, b + 1, b + 2, b + 3, b + 4];
    let f = common::temp_file("pgd.bin");
    std::fs::write(&f, &code).unwrap();
    let blocks = libipt::blk_ranges(&t.0, &libipt::Image::raw(&f, BASE));
    std::fs::remove_file(&f).ok();
    assert_eq!(blocks, (vec![(b, b + 4, 5)], 0), "libipt's block decoder");
    for f in [None, Some(filter)] {
        let r = ours(&t.0, &code, Config { filter: f, ..Config::default() });
        assert_eq!((&r.insns, r.errors()), (&want, 0), "ours {f:?}: {:x?}", r.events);
        assert_eq!(r.events.last(), Some(&(5, Event::Disabled { ip: Some(b + 5) })), "{:x?}", r.events);
    }
}

/// A Skylake client (family 6, model 0x4e): libipt applies SKD010 there.
const SKYLAKE: Cpu = Cpu { family: 6, model: 0x4e, stepping: 3 };

/// Overflows whose FUP is missing, each followed by what tells libipt (with SKD010) that
/// tracing was on and where to resume. Without the erratum both decoders lose the trace up
/// to the next PSB; with it both resume at the same place.
#[test]
fn overflow_without_fup_resumes_under_skd010_like_libipt() {
    let b = BASE;
    let head = || W::new().psb().mode64().fup(BASE).psbend().ovf();
    let pip = [0x02, 0x43, 0, 0x10, 0, 0, 0, 0];
    let tail = |w: W| w.tip(BASE + 4).tip(BASE + 10).fup(BASE + 11).pgd(None);
    let cases: Vec<(&str, W, Vec<u64>)> = vec![
        // A TIP: resume at its target (the MODE.Exec before it is skipped).
        (
            "tip",
            tail(head().mode64().tip(BASE + 8)),
            vec![b + 8, b + 9, b + 10, b + 11, b + 12, b + 4, b + 10],
        ),
        // A FUP after a PIP: resume at the FUP's IP; the FUP and TIP are an async branch.
        (
            "fup",
            head().raw(&pip).fup(BASE + 8).tip(BASE + 1).tip(BASE + 10).fup(BASE + 11).pgd(None),
            vec![b + 1, b + 2, b + 3, b + 4, b + 10],
        ),
        // A TIP.PGD: tracing was on and went off; resume disabled after it.
        (
            "pgd",
            tail(head().mode64().pgd(None).pge(BASE + 8)),
            vec![b + 8, b + 9, b + 10, b + 11, b + 12, b + 4, b + 10],
        ),
        // A PSB+ with a FUP: resume at the FUP's IP.
        (
            "psb",
            tail(head().raw(&pip).psb().mode64().fup(BASE + 8).psbend()),
            vec![b + 8, b + 9, b + 10, b + 11, b + 12, b + 4, b + 10],
        ),
    ];
    for (name, t, want) in cases {
        let lib = theirs(name, &t.0, TSX_CODE, Some(SKYLAKE), None);
        let r = ours(&t.0, TSX_CODE, Config { cpu: Some(SKYLAKE), ..Config::default() });
        assert_eq!((&lib.ips, lib.errs), (&want, 0), "{name}: libipt with SKD010: {:x?}", lib.events);
        assert_eq!((&r.insns, r.errors()), (&want, 0), "{name}: ours with SKD010: {:x?}", r.events);
        let lib = theirs(name, &t.0, TSX_CODE, None, None);
        let r = ours(&t.0, TSX_CODE, Config::default());
        assert_eq!(
            r.insns, lib.ips,
            "{name}: ours and libipt without errata: {:x?} / {:x?}",
            r.events, lib.events
        );
    }
}

#[test]
fn our_errata_table_is_libipts() {
    for family in [5u16, 6, 0xf] {
        for model in 0..=255u8 {
            for stepping in [0u8, 9] {
                let e = Cpu { family, model, stepping }.errata();
                assert_eq!(
                    e.bits(),
                    libipt::errata_bits(family, model, stepping),
                    "{family}/{model:#x}/{stepping}: {e:?}"
                );
            }
        }
    }
}

/// The events bound to a FUP (MODE.TSX here) are reported where libipt reports them: when
/// the walk reaches the FUP's IP, not when the packet is read.
#[test]
fn fup_bound_events_come_at_the_fups_ip_like_libipt() {
    for abort in [false, true] {
        let t = W::new()
            .psb()
            .mode64()
            .fup(BASE)
            .psbend()
            .tsx(true, false)
            .fup(BASE + 1)
            .tsx(false, abort)
            .fup(BASE + 3)
            .tip(BASE + 8)
            .fup(BASE + 10)
            .pgd(None);
        let lib = theirs("tsx-order", &t.0, TSX_CODE, None, None);
        let r = ours(&t.0, TSX_CODE, Config::default());
        let lib_tsx: Vec<(usize, bool, bool)> = lib
            .events
            .iter()
            .filter(|(_, e)| e.ty == libipt::PTEV_TSX)
            .map(|&(at, e)| (at, e.b & 1 != 0, e.b & 2 != 0))
            .collect();
        let our_tsx: Vec<(usize, bool, bool)> = r
            .events
            .iter()
            .filter_map(|&(at, e)| match e {
                Event::Tsx { intx, abrt } => Some((at, intx, abrt)),
                _ => None,
            })
            .collect();
        assert_eq!(lib_tsx, vec![(1, true, false), (3, false, abort)], "libipt: {:x?}", lib.events);
        assert_eq!(our_tsx, lib_tsx, "abort {abort}: {:x?}", r.events);
    }
}

/// An Apollo Lake (family 6, model 0x5c): libipt applies APL11 and APL12 there.
const APOLLO_LAKE: Cpu = Cpu { family: 6, model: 0x5c, stepping: 9 };

#[test]
fn apollo_lake_overflow_errata_decode_like_libipt() {
    let b = BASE;
    let head = || W::new().psb().mode64().fup(BASE).psbend().ovf();
    let cases: Vec<(&str, W, Vec<u64>)> = vec![
        // APL12: a FUP after the OVF, but tracing was off (a STOP, then the end): nothing ran.
        ("apl12-stop", head().fup(BASE + 1).raw(&[0x02, 0x83]), vec![]),
        // APL12: the same before a TIP.PGE: tracing comes back on there.
        (
            "apl12-pge",
            head().fup(BASE + 1).pge(BASE + 8).tip(BASE + 4).tip(BASE + 10).fup(BASE + 11).pgd(None),
            vec![b + 8, b + 9, b + 10, b + 11, b + 12, b + 4, b + 10],
        ),
        // A FUP with tracing on (a TIP follows): it binds as usual.
        (
            "apl12-on",
            head().fup(BASE + 1).tip(BASE + 8).fup(BASE + 9).pgd(None),
            vec![b + 1, b + 2, b + 3, b + 4, b + 8],
        ),
        // APL11: a TIP.PGD right after the OVF.
        (
            "apl11",
            head().pgd(None).pge(BASE + 8).tip(BASE + 4).tip(BASE + 10).fup(BASE + 11).pgd(None),
            vec![b + 8, b + 9, b + 10, b + 11, b + 12, b + 4, b + 10],
        ),
    ];
    for (name, t, want) in cases {
        let lib = theirs(name, &t.0, TSX_CODE, Some(APOLLO_LAKE), None);
        let r = ours(&t.0, TSX_CODE, Config { cpu: Some(APOLLO_LAKE), ..Config::default() });
        assert_eq!((&lib.ips, lib.errs), (&want, 0), "{name}: libipt: {:x?}", lib.events);
        assert_eq!((&r.insns, r.errors()), (&want, 0), "{name}: ours: {:x?}", r.events);
    }
}
