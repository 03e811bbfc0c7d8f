//! Synthetic streams for what the real captures do not contain: TRBE padding, the return
//! stack, exceptions and PE reset, transactions, instrumentation, events, cancelled
//! speculation, overflow, inaccessible code, source addresses, Q packets and timestamps with
//! cycle counts. Each stream runs against a small A64 program.

use trace_ir::path::CodeImage;
use tracer_etm::element::{ElementKind, MemTrans, UnsyncReason};
use tracer_etm::insn::{InsnSubType, InsnType};
use tracer_etm::{decode_raw, EtmConfig};

const ASYNC: [u8; 12] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x80];

/// 0x1000 nop; nop; b.ne 0x1010; nop; 0x1010 bl 0x1020; nop; b 0x1000; nop; 0x1020 nop; ret
fn image() -> CodeImage {
    let words: [u32; 10] = [
        0xd503_201f,
        0xd503_201f,
        0x5400_0041,
        0xd503_201f,
        0x9400_0004,
        0xd503_201f,
        0x17ff_fffa,
        0xd503_201f,
        0xd503_201f,
        0xd65f_03c0,
    ];
    let mut img = CodeImage::new();
    img.add(0x1000, words.iter().flat_map(|w| w.to_le_bytes()).collect(), "prog");
    img
}

/// A-Sync, Trace Info, Trace On, then a 64-bit address with context (EL1, NS, AArch64).
fn start(addr: u64) -> Vec<u8> {
    let mut v = ASYNC.to_vec();
    v.extend_from_slice(&[0x01, 0x00, 0x04, 0x85, ((addr >> 2) & 0x7f) as u8, ((addr >> 9) & 0x7f) as u8]);
    for i in 2..8 {
        v.push((addr >> (8 * i)) as u8);
    }
    v.push(0x31);
    v
}

fn kinds(cfg: &EtmConfig, data: &[u8]) -> Vec<ElementKind> {
    decode_raw(cfg, data, &image()).into_iter().map(|e| e.kind).collect()
}

fn ranges(k: &[ElementKind]) -> Vec<(u64, u64, u32, bool)> {
    k.iter()
        .filter_map(|e| match e {
            ElementKind::InstrRange(r) => Some((r.start, r.end, r.num_instr, r.executed)),
            _ => None,
        })
        .collect()
}

#[test]
fn atoms_walk_the_program() {
    let mut s = start(0x1000);
    s.extend_from_slice(&[0xf7, 0xf7, 0xf7, 0x95, 0x05, 0xf7]);
    let k = kinds(&EtmConfig::ete_default(1), &s);
    assert_eq!(
        ranges(&k),
        vec![
            (0x1000, 0x100c, 3, true),
            (0x1010, 0x1014, 1, true),
            (0x1020, 0x1028, 2, true),
            (0x1014, 0x101c, 2, true)
        ]
    );
    let ElementKind::InstrRange(r) = k.iter().find(|e| matches!(e, ElementKind::InstrRange(_))).unwrap()
    else {
        unreachable!()
    };
    assert_eq!((r.last_type, r.last_cond), (InsnType::Branch, true));
    assert!(matches!(k.last(), Some(ElementKind::EoTrace(UnsyncReason::EndOfTrace))));
}

#[test]
fn trbe_ignore_padding_changes_nothing() {
    let mut s = start(0x1000);
    s.extend_from_slice(&[0xf7, 0xf7, 0xf7, 0x95, 0x05, 0xf7]);
    let mut padded = Vec::new();
    for (i, b) in s.iter().enumerate() {
        padded.push(*b);
        if i >= 13 && i % 3 == 0 && !(15..25).contains(&i) {
            padded.extend_from_slice(&[0x70; 5]);
        }
    }
    padded.extend_from_slice(&[0x70; 64]);
    let cfg = EtmConfig::ete_default(1);
    assert_ne!(padded.len(), s.len());
    assert_eq!(kinds(&cfg, &padded), kinds(&cfg, &s));
}

#[test]
fn return_stack_supplies_the_return_address() {
    let mut cfg = EtmConfig::ete_default(1);
    cfg.trcconfigr |= 1 << 12;
    let mut s = start(0x1000);
    s.extend_from_slice(&[0xf7, 0xf7, 0xf7, 0xf7]);
    assert_eq!(ranges(&kinds(&cfg, &s))[3], (0x1014, 0x101c, 2, true));
}

#[test]
fn exception_and_pe_reset() {
    let mut s = start(0x1000);
    s.extend_from_slice(&[0x06, 0x1c, 0x95, 0x02]); // IRQ-like exception 0xe, return to 0x1008
    s.extend_from_slice(&[0x06, 0x00, 0x00]); // ETE PE reset
    let k = kinds(&EtmConfig::ete_default(1), &s);
    assert_eq!(ranges(&k), vec![(0x1000, 0x1008, 2, true)]);
    let exc: Vec<_> = k.iter().filter(|e| matches!(e, ElementKind::Exception { .. })).collect();
    assert_eq!(
        exc,
        vec![
            &ElementKind::Exception { ret_addr: 0x1008, number: 0xe, ret_is_branch_target: false },
            &ElementKind::Exception { ret_addr: 0, number: 0, ret_is_branch_target: false }
        ]
    );
}

#[test]
fn transactions_events_and_instrumentation() {
    let mut cfg = EtmConfig::ete_default(1);
    cfg.trcdevarch = 0x4773_5a13; // ETE 1.3 has instrumentation packets
    let mut s = start(0x1000);
    s.extend_from_slice(&[0x0a, 0xf7, 0x0b, 0x72, 0x09, 0x01, 1, 0, 0, 0, 0, 0, 0, 0, 0xf7]);
    let k = kinds(&cfg, &s);
    let pos =
        |want: &ElementKind| k.iter().position(|e| e == want).unwrap_or_else(|| panic!("{want:?} in {k:?}"));
    let st = pos(&ElementKind::MemTrans(MemTrans::Start));
    let cm = pos(&ElementKind::MemTrans(MemTrans::Commit));
    let ev = pos(&ElementKind::Event(2));
    let ite = pos(&ElementKind::Instrumentation { el: 1, value: 1 });
    assert!(st < cm && cm < ev && ev < ite);
}

#[test]
fn cancelled_speculation_produces_no_range() {
    let mut cfg = EtmConfig::ete_default(1);
    cfg.trcidr8 = 4;
    let mut s = start(0x1000);
    s.extend_from_slice(&[0xdb, 0x2e, 0x01, 0x2d, 0x01]); // EE, cancel 1, commit 1
    assert_eq!(ranges(&kinds(&cfg, &s)), vec![(0x1000, 0x100c, 3, true)]);
    // a mispredict flips the newest atom before it commits
    let mut s = start(0x1000);
    s.extend_from_slice(&[0xf7, 0x30, 0x2d, 0x01]);
    assert_eq!(ranges(&kinds(&cfg, &s)), vec![(0x1000, 0x100c, 3, false)]);
}

#[test]
fn overflow_restarts_with_trace_on_overflow() {
    let mut s = start(0x1000);
    s.extend_from_slice(&[0xf7, 0x00, 0x05]);
    s.extend_from_slice(&start(0x1000));
    s.push(0xf7);
    let k = kinds(&EtmConfig::ete_default(1), &s);
    assert!(k.contains(&ElementKind::NoSync(UnsyncReason::Overflow)), "{k:?}");
    assert!(k.contains(&ElementKind::TraceOn { overflow: true }), "{k:?}");
    assert_eq!(ranges(&k).len(), 2);
}

#[test]
fn code_outside_the_image_is_not_accessible() {
    let mut s = start(0x5000);
    s.push(0xf7);
    let k = kinds(&EtmConfig::ete_default(1), &s);
    assert!(k.contains(&ElementKind::AddrNacc { addr: 0x5000, mem_space: 0x2 }), "{k:?}");
}

#[test]
fn source_address_and_q_packets() {
    let mut s = start(0x1000);
    s.extend_from_slice(&[0xb4, 0x02]); // source address 0x1008: the b.ne was taken
    s.push(0xf7); // then bl at 0x1010
    let k = kinds(&EtmConfig::ete_default(1), &s);
    assert_eq!(ranges(&k), vec![(0x1000, 0x100c, 3, true), (0x1010, 0x1014, 1, true)]);

    let mut s = start(0x1000);
    s.extend_from_slice(&[0xa5, 0x02, 0x02]); // Q: 2 instructions, then at 0x1008
    s.extend_from_slice(&[0xa5, 0x05, 0x03]); // Q: 3 instructions, then at 0x1014: path unknown
    let k = kinds(&EtmConfig::ete_default(1), &s);
    assert_eq!(ranges(&k), vec![(0x1000, 0x1008, 2, true)]);
    assert!(k.contains(&ElementKind::IRangeNoPath { start: 0x1008, next: 0x1014, count: 3 }), "{k:?}");
}

#[test]
fn timestamp_with_cycle_count() {
    let mut cfg = EtmConfig::ete_default(1);
    cfg.trcconfigr |= 1 << 4;
    let mut s = start(0x1000);
    s.extend_from_slice(&[0x03, 0x81, 0x01, 0x05, 0xf7]);
    let k = kinds(&cfg, &s);
    assert!(k.contains(&ElementKind::Timestamp { ts: 0x81, cc: Some(5) }), "{k:?}");
}

#[test]
fn eret_atom_reports_exception_return_on_ete() {
    let mut img = image();
    img.add(0x2000, 0xd69f_03e0u32.to_le_bytes().to_vec(), "eret");
    let mut s = start(0x2000);
    s.push(0xf7);
    let k: Vec<_> = decode_raw(&EtmConfig::ete_default(1), &s, &img).into_iter().map(|e| e.kind).collect();
    let i = k
        .iter()
        .position(|e| matches!(e, ElementKind::InstrRange(r) if r.last_sub == InsnSubType::Eret))
        .unwrap();
    assert_eq!(k[i + 1], ElementKind::ExceptionRet);
}

#[test]
fn source_address_ranges_split_on_not_taken_branches() {
    use tracer_etm::decoder::decode_raw_with;
    use tracer_etm::flow::FlowOptions;
    let mut s = start(0x1000);
    s.extend_from_slice(&[0xb4, 0x04]); // source address 0x1010 (the bl): b.ne at 0x1008 not taken
    let cfg = EtmConfig::ete_default(1);
    let plain = ranges(&kinds(&cfg, &s));
    assert_eq!(plain, vec![(0x1000, 0x1014, 5, true)]);
    let split: Vec<ElementKind> = decode_raw_with(&cfg, &s, &image(), FlowOptions { src_addr_n_atoms: true })
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(ranges(&split), vec![(0x1000, 0x100c, 3, false), (0x100c, 0x1014, 2, true)]);
}

/// A-Sync, Trace Info, Trace On, then a 64-bit address with context in AArch32 state (EL1,
/// NS, SF=0): IS=1 (T32) or IS=0 (A32).
fn start_aarch32(addr: u64, is1: bool) -> Vec<u8> {
    let mut v = ASYNC.to_vec();
    v.extend_from_slice(&[0x01, 0x00, 0x04]);
    if is1 {
        v.extend_from_slice(&[0x86, ((addr >> 1) & 0x7f) as u8, (addr >> 8) as u8]);
    } else {
        v.extend_from_slice(&[0x85, ((addr >> 2) & 0x7f) as u8, ((addr >> 9) & 0x7f) as u8]);
    }
    for i in 2..8 {
        v.push((addr >> (8 * i)) as u8);
    }
    v.push(0x21);
    v
}

#[test]
fn aarch32_code_is_an_unsupported_isa_gap_not_a64() {
    use tracer_etm::element::Isa;
    for (is1, isa) in [(true, Isa::T32), (false, Isa::A32)] {
        let mut s = start_aarch32(0x1000, is1);
        s.extend_from_slice(&[0xf7, 0xf7, 0xf7]);
        // Back in AArch64 at 0x1000: walked again.
        s.extend_from_slice(&start(0x1000)[12..]);
        s.extend_from_slice(&[0xf7]);
        let k = kinds(&EtmConfig::ete_default(1), &s);
        let gaps: Vec<_> = k.iter().filter(|e| matches!(e, ElementKind::UnsupportedIsa { .. })).collect();
        assert_eq!(gaps, vec![&ElementKind::UnsupportedIsa { addr: 0x1000, isa }], "{isa:?}: {k:?}");
        // Only the A64 atom after the second address is a range.
        assert_eq!(ranges(&k), vec![(0x1000, 0x100c, 3, true)], "{isa:?}: {k:?}");
        let path = tracer_etm::to_path(&tracer_etm::decode_raw(&EtmConfig::ete_default(1), &s, &image()));
        assert!(
            path.events.iter().any(
                |e| matches!(e, trace_ir::path::PathEvent::Gap { reason } if reason.contains("not decoded"))
            ),
            "{:?}",
            path.events
        );
    }
}
