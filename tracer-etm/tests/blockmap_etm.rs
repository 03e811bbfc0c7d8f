//! CoreSight ETMv4 through the block map, on every host: a fragment program is installed as
//! AArch64 code (A64 installs and links on any host), its run is recorded by the software
//! recorder on the host's own backend, and the same execution of the plain AArch64 copy is
//! written as an ETMv4 packet stream by a small encoder here (A-Sync, Trace Info, Trace On,
//! an address with context, then one atom per branch), with the branches taken found by
//! walking the installed code guided by the recording. tracer-etm's packet decoder and flow
//! read it back over a code image of that code, and the block map must turn the path into the
//! identical recording.

use backend_aarch64::A64;
use trace_ir::blockmap::{code_image, promoted_values, BlockMap, ExitTo, MapError};
use trace_ir::fragment::native::{NativeInterp, Origin};
use trace_ir::fragment::{interp, verify, Program};
use trace_ir::interp::Env;
use trace_ir::path::{CodeImage, PathEvent};
use trace_ir::recording::Recording;
use trace_ir::text::parse_program;
use trace_ir::Symbols;
use tracer_etm::insn::{classify, InsnSubType, InsnType};
use tracer_etm::{decode_raw, to_path, EtmConfig};

fn example(name: &str) -> Program {
    let path = format!("{}/../examples/programs/{name}", env!("CARGO_MANIFEST_DIR"));
    let p = parse_program(&std::fs::read_to_string(path).unwrap()).unwrap();
    verify::verify(&p).unwrap();
    p
}

/// A test ETMv4 encoder: just the packets a filtered user-space run of straight-line JIT code
/// needs (ETMv4 architecture specification, "Trace Unit packets").
#[derive(Default)]
struct Etm {
    out: Vec<u8>,
}

impl Etm {
    /// A-Sync: eleven zero bytes, then 0x80.
    fn async_(&mut self) {
        self.out.extend_from_slice(&[0; 11]);
        self.out.push(0x80);
    }
    /// Trace Info with no optional sections (PLCTL 0).
    fn trace_info(&mut self) {
        self.out.extend_from_slice(&[0x01, 0x00]);
    }
    fn trace_on(&mut self) {
        self.out.push(0x04);
    }
    /// The 8 bytes of a long 64-bit IS0 address: bits 8:2 and 15:9 in the low 7 bits of the
    /// first two bytes, then a byte each.
    fn long_addr(&mut self, addr: u64) {
        self.out.push(((addr >> 2) & 0x7f) as u8);
        self.out.push(((addr >> 9) & 0x7f) as u8);
        for i in 2..8 {
            self.out.push((addr >> (8 * i)) as u8);
        }
    }
    /// Long address with context, 64-bit IS0 (header 0x85); context info: AArch64, EL1,
    /// Non-secure, no VMID or context ID.
    fn addr_ctxt(&mut self, addr: u64) {
        self.out.push(0x85);
        self.long_addr(addr);
        self.out.push(0x31);
    }
    /// Long address, 64-bit IS0 (header 0x9d).
    fn addr(&mut self, addr: u64) {
        self.out.push(0x9d);
        self.long_addr(addr);
    }
    /// Atom format 1: one E (taken) or N (not taken).
    fn atom(&mut self, e: bool) {
        self.out.push(0xf6 | e as u8);
    }
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

/// The ETM stream of the plain copy running from `entry`'s external entry as `rec` says, and
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

/// how many instructions that is.
fn encode_run(bm: &BlockMap, image: &CodeImage, entry: u32, rec: &Recording) -> (Vec<u8>, u64) {
    let mut pc = bm.traces[entry as usize].start;
    let mut e = Etm::default();
    e.async_();
    e.trace_info();
    e.trace_on();
    e.addr_ctxt(pc);
    let mut step = 0;
    let mut insns = 0u64;
    loop {
        insns += 1;
        assert!(insns < 10_000_000, "the walk does not end");
        if let Some((k, s)) = bm.exit_at(pc) {
            let Origin::Snap { fragment, snap } = bm.traces[k as usize].exits[s as usize].origin else {
                panic!("{pc:#x}: the recording log ran full")
            };
            let want = rec.steps.get(step).map(|s| (s.fragment, s.snap));
            assert_eq!(want, Some((fragment, snap.0)), "{pc:#x}: an exit the recording does not take");
            step += 1;
        }
        let word = image.read(pc, 4).unwrap_or_else(|| panic!("{pc:#x} is not installed code"));
        let i = classify(u32::from_le_bytes(word.try_into().unwrap()), pc, false);
        match (i.ty, i.sub) {
            (InsnType::Other, _) => pc += 4,
            (InsnType::Branch, InsnSubType::None) if i.cond => {
                let take = leaves(bm, rec, step, i.target).unwrap_or_else(|| {
                    panic!("{pc:#x}: a conditional branch to {:#x}, not an exit stub", i.target)
                });
                e.atom(take);
                pc = if take { i.target } else { pc + 4 };
            }
            (InsnType::Branch, InsnSubType::None) => {
                if let Some(k) = bm.link_at(pc) {
                    let l = bm.traces[k as usize].link.unwrap();
                    let Origin::Snap { fragment, snap } = bm.traces[k as usize].exits[l.snap as usize].origin
                    else {
                        panic!("link through log-full")
                    };
                    let want = rec.steps.get(step).map(|s| (s.fragment, s.snap));
                    assert_eq!(want, Some((fragment, snap.0)), "{pc:#x}: a link the recording does not take");
                    step += 1;
                }
                e.atom(true);
                pc = i.target;
            }
            (InsnType::IndirectBranch, InsnSubType::None) => {
                let k = bm
                    .dispatch_at(pc)
                    .unwrap_or_else(|| panic!("{pc:#x}: an indirect branch, not a dispatch"));
                let target = dispatch_target(bm, rec, step, k, pc);
                step += 1;
                e.atom(true);
                e.addr(target);
                pc = target;
            }
            (InsnType::IndirectBranch, InsnSubType::Ret) => {
                // The common exit returns to the host, outside the traced code: its atom
                // ends the stream (the filter stops tracing before the next waypoint).
                e.atom(true);
                break;
            }
            other => panic!("{pc:#x}: unexpected {other:?}"),
        }
    }
    assert_eq!(step, rec.steps.len(), "the walk ended before the recording");
    (e.out, insns)
}

/// The software recording of `p` from `slots` on the host's backend (the reference
/// interpreter's where there is none), checked against the reference interpreter's.
fn software_recording(p: &Program, slots: &[u64]) -> Recording {
    let syms = Symbols::new();
    let mut want = slots.to_vec();
    let mut reference = Recording::default();
    interp::run(p, &mut want, &Env::new(&syms), 1_000_000, Some(&mut reference)).unwrap();
    #[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
    {
        #[cfg(target_arch = "x86_64")]
        let mut jit = backend_x64::X64::new();
        #[cfg(target_arch = "aarch64")]
        let mut jit = A64::new();
        let ni = NativeInterp::install(&mut jit, p, &syms).unwrap();
        let mut s = vec![0u64; ni.lowered.slot_count()];
        s[..slots.len()].copy_from_slice(slots);
        // SAFETY: the program loads, stores and calls nothing (the reference interpreter ran
        // it from the same slots); the log is the recorder's own.
        let (_, rec) = unsafe { ni.record(&mut jit, p.entry, &mut s, 1 << 16).unwrap() };
        let names = p.fragment_names();
        assert_eq!(rec.print(&names), reference.print(&names), "software recorder, slots {slots:?}");
        rec
    }
    #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
    reference
}

fn install(p: &Program) -> (A64, BlockMap) {
    let mut a64 = A64::new();
    let ni = NativeInterp::install(&mut a64, p, &Symbols::new()).unwrap();
    let bm = BlockMap::new(&ni, &a64).unwrap();
    (a64, bm)
}

fn decode(stream: &[u8], image: &CodeImage) -> trace_ir::path::Path {
    to_path(&decode_raw(&EtmConfig::etm4_default(0x10), stream, image))
}

/// Records, encodes, decodes and maps `p` from `slots`; returns the instructions walked.
fn check(p: &Program, a64: &A64, bm: &BlockMap, slots: &[u64]) -> u64 {
    let rec = software_recording(p, slots);
    let image = code_image(a64);
    let (stream, insns) = encode_run(bm, &image, p.entry, &rec);
    let path = decode(&stream, &image);
    assert!(
        !path.events.iter().any(|e| matches!(e, PathEvent::Gap { .. } | PathEvent::Overflow)),
        "{:?}",
        path.events
    );
    assert_eq!(path.insn_count(), insns, "decoded instructions");
    let got = bm.recording(&path, &promoted_values(&rec)).unwrap();
    let names = p.fragment_names();
    assert_eq!(got.print(&names), rec.print(&names), "ETM, slots {slots:?}");
    assert_eq!(got, rec);
    insns
}

#[test]
fn countdown_through_etm_is_the_software_recording() {
    let p = example("countdown.tir");
    let (a64, bm) = install(&p);
    let mut total = 0;
    for n in [0u64, 1, 2, 10, 300] {
        total += check(&p, &a64, &bm, &[0, n, 0, 0]);
    }
    assert!(total > 1000, "{total} instructions");
}

#[test]
fn collatz_through_etm_is_the_software_recording() {
    let p = example("collatz.tir");
    let (a64, bm) = install(&p);
    for (n, limit) in [(27u64, 1000u64), (27, 10), (1, 5), (0x3000_0000_0000_0001, 100), (6, 0)] {
        check(&p, &a64, &bm, &[0, n, 0, 0, limit]);
    }
}

#[test]
fn a_stream_that_loses_the_flow_is_an_error() {
    let p = example("collatz.tir");
    let (a64, bm) = install(&p);
    let rec = software_recording(&p, &[0, 7, 0, 0, 1000]);
    let image = code_image(&a64);
    let (stream, _) = encode_run(&bm, &image, p.entry, &rec);
    let log = promoted_values(&rec);
    assert_eq!(bm.recording(&decode(&stream, &image), &log).as_ref(), Ok(&rec));
    // An address packet into code that is not in the image, in the middle of the atoms.
    let mut bad = stream[..stream.len() / 2].to_vec();
    let mut e = Etm::default();
    e.addr(0x10_0000);
    e.atom(true);
    bad.extend_from_slice(&e.out);
    bad.extend_from_slice(&stream[stream.len() / 2..]);
    let got = bm.recording(&decode(&bad, &image), &log);
    assert!(matches!(got, Err(MapError::Lost { .. }) | Err(MapError::WrongSuccessor { .. })), "{got:?}");
    // Truncated: the steps after the cut are missing, so the side log has values left.
    let cut = decode(&stream[..stream.len() / 2], &image);
    assert!(matches!(bm.recording(&cut, &log), Err(MapError::PromotedLeft { .. })));
}
