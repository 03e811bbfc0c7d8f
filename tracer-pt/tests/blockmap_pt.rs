//! Intel PT through the block map, without PT hardware: a fragment program runs natively with
//! the software recorder; the same execution of the plain copy is encoded as PT packets by
//! libipt's encoder (the branches taken are found by walking the installed x86-64 code,
//! guided by the recording); tracer-pt's flow decoder reads them back over a code image of
//! the installed code, and the block map must turn the decoded path into the identical
//! recording.
#![cfg(target_arch = "x86_64")]

mod libipt;

use backend_x64::X64;
use iced_x86::{Decoder, DecoderOptions, FlowControl};
use trace_ir::blockmap::{code_image, promoted_values, BlockMap, ExitTo, MapError};
use trace_ir::fragment::native::{NativeInterp, Origin};
use trace_ir::fragment::{interp, verify, Program};
use trace_ir::interp::Env;
use trace_ir::path::{CodeImage, PathEvent};
use trace_ir::recording::Recording;
use trace_ir::text::parse_program;
use trace_ir::Symbols;
use tracer_pt::packet::{IpPayload, Ipc, Packet};
use tracer_pt::Config;

/// Where the host's code would be: outside the traced code, where the last `ret` goes.
const HOST_RET: u64 = 0x5555_0000_1230;

fn example(name: &str) -> Program {
    let path = format!("{}/../examples/programs/{name}", env!("CARGO_MANIFEST_DIR"));
    let p = parse_program(&std::fs::read_to_string(path).unwrap()).unwrap();
    verify::verify(&p).unwrap();
    p
}

/// Whether the conditional branch to `target` leaves now: it must go to an exit stub, and it
/// is taken when that exit is step `i` of the recording and goes where step `i + 1` runs
/// (a dispatch's bounds check goes to its stub only past the table). `None`: not a branch to
/// a stub.
fn leaves(bm: &BlockMap, rec: &Recording, i: usize, target: u64) -> Option<bool> {
    let (k, s) = bm.exit_at(target)?;
    let e = &bm.traces[k as usize].exits[s as usize];
    let (Some(step), Origin::Snap { fragment, snap }) = (rec.steps.get(i), e.origin) else {
        return Some(false);
    };
    if (fragment, snap.0) != (step.fragment, step.snap) {
        return Some(false);
    }
    Some(match (e.to, rec.steps.get(i + 1)) {
        (ExitTo::Trace(t), Some(next)) => bm.traces[t as usize].fragment == next.fragment,
        (ExitTo::Host, None) => true,
        _ => false,
    })
}

/// The PT packets of the plain copy running from `entry`'s external entry as `rec` says,
/// A `dispatch` jump at `pc` (trace `k`): it must be step `i` of the recording; returns the
/// internal entry of the trace that runs step `i + 1` (the table entry the index selects).
fn dispatch_target(bm: &BlockMap, rec: &Recording, i: usize, k: u32, pc: u64) -> u64 {
    let t = &bm.traces[k as usize];
    let d = t.dispatch.as_ref().unwrap();
    let Origin::Snap { fragment, snap } = t.exits[d.snap as usize].origin else { panic!("dispatch origin") };
    let want = rec.steps.get(i).map(|s| (s.fragment, s.snap));
    assert_eq!(want, Some((fragment, snap.0)), "{pc:#x}: a dispatch the recording does not take");
    let next = rec.steps.get(i + 1).unwrap_or_else(|| panic!("{pc:#x}: a dispatch after the last step"));
    let to = d.to.iter().find(|&&x| bm.traces[x as usize].fragment == next.fragment);
    bm.traces[*to.unwrap_or_else(|| panic!("{pc:#x}: the table has no {}", next.fragment)) as usize].internal
}

/// and how many instructions that is.
fn encode_run(bm: &BlockMap, image: &CodeImage, entry: u32, rec: &Recording) -> (Vec<Packet>, u64) {
    let mut pc = bm.traces[entry as usize].start;
    let mut pkts = vec![
        Packet::Psb,
        Packet::ModeExec { csl: true, csd: false },
        Packet::PsbEnd,
        Packet::TipPge(IpPayload { ipc: Ipc::Sext48, ip: pc & 0xffff_ffff_ffff }),
    ];
    let mut bits: Vec<bool> = Vec::new();
    let flush = |bits: &mut Vec<bool>, pkts: &mut Vec<Packet>| {
        for chunk in std::mem::take(bits).chunks(6) {
            let v = chunk.iter().fold(0u64, |v, &b| v << 1 | b as u64);
            pkts.push(Packet::Tnt8 { bits: v, count: chunk.len() as u8 });
        }
    };
    let mut step = 0;
    let mut insns = 0u64;
    loop {
        insns += 1;
        assert!(insns < 10_000_000, "the walk does not end");
        if let Some((k, s)) = bm.exit_at(pc) {
            // Every exit runs its stub, whichever branch led there.
            let Origin::Snap { fragment, snap } = bm.traces[k as usize].exits[s as usize].origin else {
                panic!("{pc:#x}: the recording log ran full")
            };
            let want = rec.steps.get(step).map(|s| (s.fragment, s.snap));
            assert_eq!(want, Some((fragment, snap.0)), "{pc:#x}: an exit the recording does not take");
            step += 1;
        }
        let bytes = image.bytes_at(pc).unwrap_or_else(|| panic!("{pc:#x} is not installed code"));
        let mut d = Decoder::with_ip(64, bytes, pc, DecoderOptions::NONE);
        let insn = d.decode();
        match insn.flow_control() {
            FlowControl::Next => pc = insn.next_ip(),
            FlowControl::ConditionalBranch => {
                let target = insn.near_branch_target();
                let take = leaves(bm, rec, step, target).unwrap_or_else(|| {
                    panic!("{pc:#x}: a conditional branch to {target:#x}, not an exit stub")
                });
                bits.push(take);
                if bits.len() == 6 {
                    flush(&mut bits, &mut pkts);
                }
                if take {
                    pc = target;
                } else {
                    pc = insn.next_ip();
                }
            }
            FlowControl::UnconditionalBranch => {
                if let Some(k) = bm.link_at(pc) {
                    let l = bm.traces[k as usize].link.unwrap();
                    let e = &bm.traces[k as usize].exits[l.snap as usize];
                    let want = rec.steps.get(step).map(|s| (s.fragment, s.snap));
                    let Origin::Snap { fragment, snap } = e.origin else { panic!("link through log-full") };
                    assert_eq!(want, Some((fragment, snap.0)), "{pc:#x}: a link the recording does not take");
                    step += 1;
                }
                pc = insn.near_branch_target();
            }
            FlowControl::IndirectBranch => {
                let k =
                    bm.dispatch_at(pc).unwrap_or_else(|| panic!("{pc:#x}: an indirect jump, not a dispatch"));
                let target = dispatch_target(bm, rec, step, k, pc);
                step += 1;
                flush(&mut bits, &mut pkts);
                pkts.push(Packet::Tip(IpPayload { ipc: Ipc::Sext48, ip: target & 0xffff_ffff_ffff }));
                pc = target;
            }
            FlowControl::Return => {
                // The common exit returns to the host: tracing stops there (filtered).
                flush(&mut bits, &mut pkts);
                pkts.push(Packet::TipPgd(IpPayload { ipc: Ipc::Sext48, ip: HOST_RET }));
                break;
            }
            f => panic!("{pc:#x}: unexpected {f:?} ({insn})"),
        }
    }
    assert_eq!(step, rec.steps.len(), "the walk ended before the recording");
    (pkts, insns)
}

/// Runs `p` from `slots` with the software recorder and through PT; both recordings must be
/// the reference interpreter's. Returns the decoded path's size in instructions.
fn check(p: &Program, ni: &NativeInterp, jit: &mut X64, bm: &BlockMap, slots: &[u64]) -> u64 {
    let syms = Symbols::new();
    let mut want = slots.to_vec();
    let mut reference = Recording::default();
    interp::run(p, &mut want, &Env::new(&syms), 1_000_000, Some(&mut reference)).unwrap();
    let mut s = vec![0u64; ni.lowered.slot_count()];
    s[..slots.len()].copy_from_slice(slots);
    // SAFETY: the program loads, stores and calls nothing (the reference interpreter ran it
    // from the same slots); the log is the recorder's own.
    let (_, rec) = unsafe { ni.record(jit, p.entry, &mut s, 1 << 16).unwrap() };
    let names = p.fragment_names();
    assert_eq!(rec.print(&names), reference.print(&names), "software recorder, slots {slots:?}");

    let image = code_image(jit);
    let (pkts, insns) = encode_run(bm, &image, p.entry, &rec);
    let buf = libipt::encode(&pkts, 64 + 16 * pkts.len());
    let path = tracer_pt::decode_path(&buf, &image, Config::default());
    assert!(
        !path.events.iter().any(|e| matches!(e, PathEvent::Gap { .. } | PathEvent::Overflow)),
        "{:?}",
        path.events
    );
    assert_eq!(path.insn_count(), insns, "decoded instructions");
    let got = bm.recording(&path, &promoted_values(&rec)).unwrap();
    assert_eq!(got.print(&names), rec.print(&names), "PT, slots {slots:?}");
    assert_eq!(got, rec);
    insns
}

fn install(p: &Program) -> (X64, NativeInterp, BlockMap) {
    let mut jit = X64::new();
    let ni = NativeInterp::install(&mut jit, p, &Symbols::new()).unwrap();
    let bm = BlockMap::new(&ni, &jit).unwrap();
    (jit, ni, bm)
}

#[test]
fn countdown_through_pt_is_the_software_recording() {
    let p = example("countdown.tir");
    let (mut jit, ni, bm) = install(&p);
    let mut total = 0;
    for n in [0u64, 1, 2, 10, 300] {
        total += check(&p, &ni, &mut jit, &bm, &[0, n, 0, 0]);
    }
    assert!(total > 1000, "{total} instructions");
}

#[test]
fn collatz_through_pt_is_the_software_recording() {
    let p = example("collatz.tir");
    let (mut jit, ni, bm) = install(&p);
    // 27 reaches 1 (a guard to `done`); a limit of 10 leaves from a guard to the host; 1
    // leaves at once; a huge odd n overflows in the multiply, before its promote.
    for (n, limit) in [(27u64, 1000u64), (27, 10), (1, 5), (0x3000_0000_0000_0001, 100), (6, 0)] {
        check(&p, &ni, &mut jit, &bm, &[0, n, 0, 0, limit]);
    }
}

#[test]
fn a_path_that_loses_steps_or_promoted_values_is_an_error() {
    let p = example("collatz.tir");
    let (mut jit, ni, bm) = install(&p);
    let mut s = vec![0u64; ni.lowered.slot_count()];
    s[..5].copy_from_slice(&[0, 7, 0, 0, 1000]);
    // SAFETY: as in `check`.
    let (_, rec) = unsafe { ni.record(&mut jit, p.entry, &mut s, 1 << 16).unwrap() };
    let image = code_image(&jit);
    let (pkts, _) = encode_run(&bm, &image, p.entry, &rec);
    let path =
        tracer_pt::decode_path(&libipt::encode(&pkts, 64 + 16 * pkts.len()), &image, Config::default());
    let log = promoted_values(&rec);
    assert!(log.len() > 2);
    assert!(matches!(bm.recording(&path, &log[1..]), Err(MapError::PromotedShort { .. })));
    let mut more = log.clone();
    more.push(5);
    assert_eq!(bm.recording(&path, &more), Err(MapError::PromotedLeft { extra: 1 }));
    // Move the range that enters the second fragment (`fetch` dispatches to `even` or `odd`)
    // into another fragment, one not in the table: the entry contradicts the step before it.
    let mut moved = path.clone();
    let plain = &bm.traces[..p.fragments.len()];
    let k = moved
        .events
        .iter()
        .position(|e| matches!(e, PathEvent::Range(r) if plain.iter().skip(1).any(|t| t.internal == r.start)))
        .unwrap();
    let PathEvent::Range(r) = &mut moved.events[k] else { unreachable!() };
    let from = plain.iter().find(|t| t.internal == r.start).unwrap();
    let to = plain.iter().find(|t| t.fragment != from.fragment).unwrap();
    let (len, into) = (r.end - r.start, to.internal);
    (r.start, r.end) = (into, into + len);
    assert_eq!(
        bm.recording(&moved, &log),
        Err(MapError::NotInTable { event: k, addr: into, trace: to.id, found: to.fragment, from: 0 })
    );
    let mut lost = path.clone();
    lost.events.insert(3, PathEvent::Overflow);
    assert!(matches!(bm.recording(&lost, &log), Err(MapError::Lost { event: 3, .. })));
}
