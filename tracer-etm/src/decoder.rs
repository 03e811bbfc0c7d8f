//! The whole pipeline over a snapshot: buffers through the deformatter (or straight, for raw
//! buffers), per-ID packet decoders, then flow reconstruction. Also the compare form that
//! `tracery decode etm` prints and `etm-compare` reads, and the conversion to `Path`.

use std::fmt::Write as _;

use trace_ir::path::{BranchKind, CodeImage, ExecRange, Path, PathEvent};

use crate::blocks::BlockCache;
use crate::config::EtmConfig;
use crate::deformat::{deformat_runs, FrameMode, RunEvent};
use crate::element::{Element, ElementKind, UnsyncReason};
use crate::flow::{FlowDecoder, FlowOptions};
use crate::insn::{InsnSubType, InsnType};
use crate::packet::{Packet, PacketDecoder};
use crate::snapshot::{BufferFormat, Snapshot};

/// What to decode and how (the `tracery decode etm` flags).
#[derive(Clone, Copy, Debug, Default)]
pub struct DecodeOptions {
    pub packets_only: bool,
    /// Decode every buffer in `trace.ini` order, resetting the decoders between them.
    pub multi_session: bool,
    pub src_addr_n: bool,
}

/// Counts for benchmarks and reports.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DecodeStats {
    pub bytes: u64,
    pub packets: u64,
    pub elements: u64,
}

struct Chan<'a> {
    /// ID printed on packet lines (0 for raw buffers, as OpenCSD's lister shows them).
    pkt_id: u8,
    pdec: PacketDecoder,
    fdec: FlowDecoder,
    code: BlockCache<'a>,
}

/// Decodes a run of one source's bytes (starting at buffer index `base`) through its channel.
#[allow(clippy::too_many_arguments)]
fn feed_slice<'a>(
    ch: &mut Chan<'a>,
    data: &[u8],
    base: u64,
    opts: &DecodeOptions,
    out: &mut Vec<Element>,
    on_packet: &mut impl FnMut(u8, &Packet, &[u8]),
    on_element: &mut impl FnMut(&Element),
    stats: &mut DecodeStats,
) {
    let Chan { pkt_id, pdec, fdec, code } = ch;
    let (pkt_id, packets_only) = (*pkt_id, opts.packets_only);
    pdec.push_slice(data, base, &mut |p, raw| {
        stats.packets += 1;
        on_packet(pkt_id, p, raw);
        if !packets_only {
            fdec.packet(p, code, out);
            if out.len() > 1024 {
                stats.elements += out.len() as u64;
                out.drain(..).for_each(|e| on_element(&e));
            }
        }
    });
}

fn finish<'a>(
    ch: &mut Chan<'a>,
    opts: &DecodeOptions,
    out: &mut Vec<Element>,
    on_packet: &mut impl FnMut(u8, &Packet, &[u8]),
    stats: &mut DecodeStats,
) {
    let Chan { pkt_id, pdec, fdec, code } = ch;
    pdec.finish(&mut |p, raw| {
        stats.packets += 1;
        on_packet(*pkt_id, p, raw);
        if !opts.packets_only {
            fdec.packet(p, code, out);
        }
    });
    if !opts.packets_only {
        fdec.finish(code, out);
    }
}

/// Decodes a snapshot, calling `on_packet(id, packet, raw bytes)` and `on_element`.
pub fn decode_snapshot(
    snap: &Snapshot,
    opts: &DecodeOptions,
    mut on_packet: impl FnMut(u8, &Packet, &[u8]),
    mut on_element: impl FnMut(&Element),
) -> DecodeStats {
    let mut stats = DecodeStats::default();
    let bufs: Vec<_> = if opts.multi_session {
        snap.buffers.iter().collect()
    } else {
        snap.buffers.iter().take(1).collect()
    };
    // channel per trace ID: a direct table, as the deformatter looks one up per byte
    let mut chans: Vec<Chan> = Vec::new();
    let mut slot = [u8::MAX; 128];
    let fopts = FlowOptions { src_addr_n_atoms: opts.src_addr_n };
    let mut out = Vec::new();
    for buf in bufs {
        let sources = snap.sources_for(&buf.name);
        let raw = buf.format == BufferFormat::SourceData;
        let mut active: Vec<u8> = Vec::new();
        for dev in sources.iter().take(if raw { 1 } else { usize::MAX }) {
            let cfg = dev.etm_config();
            let id = cfg.trace_id();
            if let Some(ch) = chans.get_mut(slot[id as usize] as usize) {
                ch.pdec.reset();
                ch.fdec.reset();
            } else {
                slot[id as usize] = chans.len() as u8;
                chans.push(Chan {
                    pkt_id: if raw { 0 } else { id },
                    pdec: PacketDecoder::new(&cfg),
                    fdec: FlowDecoder::new(&cfg, fopts),
                    code: BlockCache::new(&snap.image, cfg.wfi_wfe_branch()),
                });
            }
            active.push(id);
        }
        stats.bytes += buf.data.len() as u64;
        if raw {
            if let Some(ch) = active.first().and_then(|&id| chans.get_mut(slot[id as usize] as usize)) {
                feed_slice(ch, &buf.data, 0, opts, &mut out, &mut on_packet, &mut on_element, &mut stats);
            }
        } else {
            deformat_runs(&buf.data, FrameMode::MemAligned, &mut |ev| match ev {
                RunEvent::Data { id, index, bytes } => {
                    if let Some(ch) = chans.get_mut(slot[(id & 0x7f) as usize] as usize) {
                        feed_slice(
                            ch,
                            bytes,
                            index,
                            opts,
                            &mut out,
                            &mut on_packet,
                            &mut on_element,
                            &mut stats,
                        );
                    }
                }
                RunEvent::Reset { .. } => {
                    for &id in &active {
                        if let Some(ch) = chans.get_mut(slot[id as usize] as usize) {
                            ch.pdec.reset();
                        }
                    }
                }
            });
        }
        for &id in &active {
            if let Some(ch) = chans.get_mut(slot[id as usize] as usize) {
                finish(ch, opts, &mut out, &mut on_packet, &mut stats);
            }
        }
        stats.elements += out.len() as u64;
        out.drain(..).for_each(|e| on_element(&e));
    }
    stats
}

/// Appends a packet line of the compare form.
pub fn packet_line(s: &mut String, id: u8, p: &Packet, raw: &[u8]) {
    let _ = write!(s, "P {} {:x} {}", p.index, id, p.kind.name());
    for b in raw {
        let _ = write!(s, " {b:02x}");
    }
    s.push('\n');
}

/// Writes the compare form of a snapshot to `w` as it decodes: packet and element lines
/// interleaved in decode order (`etm-compare` compares each stream on its own), so memory
/// stays bounded whatever the capture's size. After the first write error nothing more is
/// written, and that error is returned.
pub fn write_compare_form<W: std::io::Write>(
    snap: &Snapshot,
    opts: &DecodeOptions,
    w: &mut W,
) -> std::io::Result<DecodeStats> {
    let out = std::cell::RefCell::new((w, None::<std::io::Error>, String::new()));
    let emit = |f: &mut dyn FnMut(&mut String)| {
        let mut o = out.borrow_mut();
        let (w, err, line) = &mut *o;
        if err.is_some() {
            return;
        }
        line.clear();
        f(line);
        if let Err(e) = w.write_all(line.as_bytes()) {
            *err = Some(e);
        }
    };
    let stats = decode_snapshot(
        snap,
        opts,
        |id, p, raw| emit(&mut |l| packet_line(l, id, p, raw)),
        |el| {
            emit(&mut |l| {
                let _ = writeln!(l, "{el}");
            })
        },
    );
    let (w, err, _) = out.into_inner();
    match err {
        Some(e) => Err(e),
        None => w.flush().map(|_| stats),
    }
}

/// The compare form of a whole snapshot.
pub fn compare_form(snap: &Snapshot, opts: &DecodeOptions) -> String {
    let mut s = String::new();
    let mut e = String::new();
    decode_snapshot(
        snap,
        opts,
        |id, p, raw| packet_line(&mut s, id, p, raw),
        |el| {
            let _ = writeln!(e, "{el}");
        },
    );
    s.push_str(&e);
    s
}

/// Decodes one raw (single source) buffer against `image` into elements.
pub fn decode_raw(cfg: &EtmConfig, data: &[u8], image: &CodeImage) -> Vec<Element> {
    decode_raw_with(cfg, data, image, FlowOptions::default())
}

/// `decode_raw` with explicit flow options.
pub fn decode_raw_with(cfg: &EtmConfig, data: &[u8], image: &CodeImage, opts: FlowOptions) -> Vec<Element> {
    let mut pdec = PacketDecoder::new(cfg);
    let mut fdec = FlowDecoder::new(cfg, opts);
    let mut code = BlockCache::new(image, cfg.wfi_wfe_branch());
    let mut out = Vec::new();
    for (i, &b) in data.iter().enumerate() {
        pdec.push(b, i as u64, &mut |p, _| fdec.packet(p, &mut code, &mut out));
    }
    pdec.finish(&mut |p, _| fdec.packet(p, &mut code, &mut out));
    fdec.finish(&mut code, &mut out);
    out
}

/// Converts elements to the tracer-neutral `Path`.
pub fn to_path(elems: &[Element]) -> Path {
    let mut events = Vec::new();
    for e in elems {
        let ev = match e.kind {
            ElementKind::InstrRange(r) => {
                let last_kind = match (r.last_type, r.last_sub) {
                    (InsnType::Branch, InsnSubType::BranchLink) => BranchKind::Call,
                    (InsnType::Branch, _) => BranchKind::Direct,
                    (InsnType::IndirectBranch, InsnSubType::BranchLink) => BranchKind::IndirectCall,
                    (InsnType::IndirectBranch, InsnSubType::Ret) => BranchKind::Return,
                    (InsnType::IndirectBranch, _) => BranchKind::Indirect,
                    _ => BranchKind::None,
                };
                PathEvent::Range(ExecRange {
                    start: r.start,
                    end: r.end,
                    insn_count: r.num_instr,
                    last_insn_size: r.last_size,
                    last_kind,
                    taken: r.executed && last_kind != BranchKind::None,
                })
            }
            ElementKind::TraceOn { .. } => PathEvent::TraceOn { addr: None },
            ElementKind::Exception { ret_addr, number, .. } => {
                PathEvent::Exception { from: Some(ret_addr), to: None, number: number as u32 }
            }
            ElementKind::ExceptionRet => PathEvent::ExceptionReturn,
            ElementKind::Timestamp { ts, .. } => PathEvent::Timestamp(ts),
            ElementKind::PeContext(c) => PathEvent::Context { id: c.ctxt_id.unwrap_or(0) as u64 },
            ElementKind::NoSync(UnsyncReason::Overflow) => PathEvent::Overflow,
            ElementKind::NoSync(UnsyncReason::InitDecoder) => continue,
            ElementKind::NoSync(r) => PathEvent::Gap { reason: format!("no sync ({r:?})") },
            ElementKind::AddrNacc { addr, .. } => {
                PathEvent::Gap { reason: format!("code at {addr:#x} not in the image") }
            }
            ElementKind::UnsupportedIsa { addr, isa } => {
                PathEvent::Gap { reason: format!("{isa:?} code at {addr:#x} is not decoded") }
            }
            ElementKind::IRangeNoPath { start, next, count } => PathEvent::Gap {
                reason: format!("{count} instructions from {start:#x} to {next:#x}, path unknown"),
            },
            _ => continue,
        };
        events.push(ev);
    }
    Path { events }
}
