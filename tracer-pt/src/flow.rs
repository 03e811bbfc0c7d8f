//! Flow reconstruction: packets plus a code image to executed instructions and events.
//!
//! The decoder keeps at most one flow packet of look-ahead. While TNT bits are cached no
//! event can be pending (events come after those bits in the stream), so blocks are walked
//! whole through the block cache; only with a FUP or TIP.PGD pending does the walk look at
//! individual instructions. Errors are reported with the trace offset and IP, and decoding
//! resumes at the next PSB, as libipt's ptxed does.

use crate::block::{Block, BlockCache, BlockError, End, ExecMode, Run, NONE, RUN_MAX};
use crate::packet::{self, find_psb, LastIp, Packet, PacketErrorKind};
use std::fmt;
use trace_ir::path::CodeImage;

/// The IP filter the trace was recorded with (libipt's addr0 filter): `start..=end`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Filter {
    pub start: u64,
    pub end: u64,
}

impl Filter {
    fn contains(&self, ip: u64) -> bool {
        ip >= self.start && ip <= self.end
    }
}

/// Decoder configuration.
#[derive(Clone, Copy, Debug, Default)]
pub struct Config {
    /// The IP filter of the recording: where a TIP.PGD without an IP binds.
    pub filter: Option<Filter>,
    /// The recording CPU, for errata workarounds (`cpu::Errata`): SKD010 (an OVF whose FUP
    /// was dropped) and APL12 (an OVF with a FUP although tracing was off) are worked
    /// around as libipt does; APL11 (a TIP.PGD after an OVF) needs nothing, as a TIP.PGD
    /// while disabled is ignored anyway. Elsewhere the decoder's default
    /// handling already matches libipt's decodes with errata enabled on the Broadwell and
    /// Skylake captures (a PSB+ FUP while tracing is off does not enable it).
    pub cpu: Option<crate::cpu::Cpu>,
}

/// What went wrong while following the flow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FlowErrorKind {
    Packet(PacketErrorKind),
    /// The code at this IP is not in the image.
    NoMap,
    /// The bytes at this IP are not an instruction.
    BadInsn,
    /// A conditional branch or compressed return found no TNT bit, or an indirect branch no
    /// TIP: the trace does not match the code.
    BadQuery,
    /// A compressed return with an empty call stack, or a not-taken bit for it.
    BadRetComp,
    /// Packets that need tracing enabled came while it was disabled.
    ExpectedEnable,
    /// A branch needs a target but the TIP's IP is suppressed.
    NoIp,
    /// The walk went on without consuming trace for too long (a loop of direct branches
    /// that an event should have ended).
    NoProgress,
}

impl fmt::Display for FlowErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FlowErrorKind::Packet(k) => write!(f, "{k}"),
            FlowErrorKind::NoMap => f.write_str("no memory mapped at this address"),
            FlowErrorKind::BadInsn => f.write_str("unknown instruction"),
            FlowErrorKind::BadQuery => f.write_str("trace stream does not match query"),
            FlowErrorKind::BadRetComp => f.write_str("return compression error"),
            FlowErrorKind::ExpectedEnable => f.write_str("expected tracing enabled event"),
            FlowErrorKind::NoIp => f.write_str("no ip"),
            FlowErrorKind::NoProgress => f.write_str("no progress"),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FlowError {
    /// Trace offset of the decoder when the error was found.
    pub offset: u64,
    pub ip: u64,
    pub kind: FlowErrorKind,
}

/// Events reported between instructions, in execution order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// Tracing enabled at `ip`; `resumed` when it is where an asynchronous disable left off.
    Enabled {
        ip: u64,
        resumed: bool,
    },
    /// Disabled after a branch (synchronous), `ip` being the branch target when known.
    Disabled {
        ip: Option<u64>,
    },
    /// Disabled asynchronously before the instruction at `at`.
    AsyncDisabled {
        at: u64,
    },
    /// An interrupt, exception or far transfer from before `from` to `to`.
    AsyncBranch {
        from: u64,
        to: Option<u64>,
    },
    Overflow {
        resume: Option<u64>,
    },
    ExecMode(ExecMode),
    Tsx {
        intx: bool,
        abrt: bool,
    },
    Tsc(u64),
    Cbr(u8),
    Paging {
        cr3: u64,
    },
    Vmcs(u64),
    Ptwrite(u64),
    Exstop,
    Mwait {
        hints: u32,
        ext: u32,
    },
    Pwre {
        state: u8,
        sub_state: u8,
    },
    Pwrx {
        last: u8,
        deepest: u8,
    },
    Stop,
    Error(FlowError),
}

/// Receives what the decoder finds.
pub trait Sink {
    /// The first `n` instructions of `block` executed, in order.
    fn insns(&mut self, block: &Block, n: usize);
    fn event(&mut self, ev: &Event);
}

/// A flow packet: what the walk consumes or waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Item {
    Tnt {
        bits: u64,
        count: u8,
    },
    Tip(Option<u64>),
    Pge(Option<u64>),
    Pgd(Option<u64>),
    Fup(Option<u64>),
    /// A FUP that binds the events queued in `fup_events` (MODE.TSX, EXSTOP): they are
    /// reported when the walk reaches its IP. `consumed` is false for a TSX abort, whose FUP
    /// is also the source of an asynchronous branch.
    Bound {
        ip: Option<u64>,
        consumed: bool,
    },
    Ovf,
    /// A PSB+ header was read; `fup` is the IP it carried.
    Psb {
        fup: Option<u64>,
    },
    End,
    Error(PacketErrorKind),
}

/// What the SKD010 look-ahead after an OVF without a FUP found.
enum Skd010 {
    /// Nothing that says tracing was on: handle the OVF as usual.
    Normal,
    /// Tracing was on: it went on at `ip`; decoding continues at `pos` with `last_ip`.
    Resume { ip: u64, pos: usize, last_ip: LastIp },
    /// Tracing was on and went off: decoding continues, disabled, at `pos`.
    Disabled { pos: usize, last_ip: LastIp },
}

/// A call stack of return addresses for return compression, 64 deep like the hardware's.
struct RetStack {
    addrs: [u64; 64],
    top: usize,
    len: usize,
}

impl RetStack {
    fn new() -> RetStack {
        RetStack { addrs: [0; 64], top: 0, len: 0 }
    }
    fn push(&mut self, a: u64) {
        self.top = (self.top + 1) % 64;
        self.addrs[self.top] = a;
        self.len = (self.len + 1).min(64);
    }
    fn top(&self) -> Option<u64> {
        (self.len > 0).then(|| self.addrs[self.top])
    }
    fn pop(&mut self) -> Option<u64> {
        if self.len == 0 {
            return None;
        }
        let a = self.addrs[self.top];
        self.top = (self.top + 63) % 64;
        self.len -= 1;
        Some(a)
    }
    fn clear(&mut self) {
        self.len = 0;
    }
}

/// Instructions walked without consuming a packet before the walk gives up. Counted in
/// instructions, not blocks: a block holds up to 4,096 of them, so a block bound would let
/// one sync point walk 16 M instructions of a trace that cannot match the code.
const IDLE_INSNS: u64 = 1 << 16;

/// Instructions the table walk follows past its last TNT bit before it hands over to the
/// careful walk (which is the one that gives up).
const SPIN_INSNS: u64 = 1 << 12;

/// The flow decoder over one trace buffer and one code image.
pub struct FlowDecoder<'t, 'i> {
    buf: &'t [u8],
    pos: usize,
    block_ctx: Option<bool>,
    last_ip: LastIp,
    cfg: Config,
    blocks: BlockCache<'i>,
    tnt: u64,
    tnt_n: u8,
    peek: Option<Item>,
    enabled: bool,
    ip: u64,
    mode: ExecMode,
    /// A MODE.Exec that applies from the next TIP or TIP.PGE target on.
    pending_mode: Option<ExecMode>,
    /// The IP of the last asynchronous disable, to tell a resume from a fresh enable.
    disabled_at: Option<u64>,
    /// The next FUP belongs to a PTW or BEP before it and is no flow event.
    skip_fup: bool,
    /// The event queue for the next FUP (libipt's evb_fup): events reported at its IP.
    fup_events: Vec<Event>,
    /// The next FUP is used up by the queued events (a TSX change without abort, EXSTOP).
    fup_consumed: bool,
    retstack: RetStack,
    /// The errata of `cfg.cpu` that the decoder works around.
    errata: crate::cpu::Errata,
    /// Total instructions reported.
    pub insn_count: u64,
}

type Res<T> = Result<T, FlowErrorKind>;

impl<'t, 'i> FlowDecoder<'t, 'i> {
    pub fn new(buf: &'t [u8], image: &'i CodeImage, cfg: Config) -> FlowDecoder<'t, 'i> {
        FlowDecoder::with_blocks(buf, BlockCache::new(image), cfg)
    }

    /// A decoder that starts with the blocks (and successor links) an earlier decoder of the
    /// same image found: decoding the next trace of the same code skips instruction decoding.
    pub fn with_blocks(buf: &'t [u8], blocks: BlockCache<'i>, cfg: Config) -> FlowDecoder<'t, 'i> {
        FlowDecoder {
            buf,
            pos: 0,
            block_ctx: None,
            last_ip: LastIp::default(),
            cfg,
            blocks,
            tnt: 0,
            tnt_n: 0,
            peek: None,
            enabled: false,
            ip: 0,
            mode: ExecMode::Bits64,
            pending_mode: None,
            disabled_at: None,
            skip_fup: false,
            fup_events: Vec::new(),
            fup_consumed: false,
            retstack: RetStack::new(),
            errata: cfg.cpu.map(|c| c.errata()).unwrap_or_default(),
            insn_count: 0,
        }
    }

    /// The block cache, to hand to the decoder of the next trace.
    pub fn into_blocks(self) -> BlockCache<'i> {
        self.blocks
    }

    /// Number of distinct blocks decoded so far.
    pub fn blocks_decoded(&self) -> usize {
        self.blocks.len()
    }

    /// Decodes the whole trace into `sink`.
    pub fn run<S: Sink + ?Sized>(&mut self, sink: &mut S) {
        let mut next = find_psb(self.buf, 0);
        while let Some(psb) = next {
            self.reset_at(psb);
            match self.run_synced(sink) {
                Ok(()) => return,
                Err(kind) => {
                    // Like libipt, name the offset of the next packet that is not padding.
                    let skip =
                        self.buf.get(self.pos..).map_or(0, |r| r.iter().take_while(|&&b| b == 0).count());
                    let err = FlowError { offset: (self.pos + skip) as u64, ip: self.ip, kind };
                    sink.event(&Event::Error(err));
                    // Resume at the next PSB after where the decoder had read to; nothing
                    // complete follows a packet cut off by the end of the buffer.
                    next = match kind {
                        FlowErrorKind::Packet(PacketErrorKind::Truncated) => None,
                        _ => packet::resync(self.buf, self.pos, psb),
                    };
                }
            }
        }
    }

    fn reset_at(&mut self, psb: usize) {
        self.pos = psb;
        self.block_ctx = None;
        self.last_ip.reset();
        self.tnt_n = 0;
        self.peek = None;
        self.enabled = false;
        self.pending_mode = None;
        self.disabled_at = None;
        self.skip_fup = false;
        self.fup_events.clear();
        self.fup_consumed = false;
        self.retstack.clear();
    }

    fn run_synced<S: Sink + ?Sized>(&mut self, sink: &mut S) -> Res<()> {
        // The PSB+ we synchronized on says whether tracing is on and where.
        match self.fetch(sink) {
            Item::Psb { fup } => {
                if let Some(ip) = fup {
                    self.enabled = true;
                    self.ip = ip;
                }
            }
            Item::Error(k) => return Err(FlowErrorKind::Packet(k)),
            Item::End => return Ok(()),
            other => self.peek = Some(other),
        }
        loop {
            if self.enabled {
                if !self.walk(sink)? {
                    return Ok(());
                }
            } else if !self.while_disabled(sink)? {
                return Ok(());
            }
        }
    }

    fn take<S: Sink + ?Sized>(&mut self, sink: &mut S) -> Item {
        match self.peek.take() {
            Some(it) => it,
            None => self.fetch(sink),
        }
    }

    fn peek<S: Sink + ?Sized>(&mut self, sink: &mut S) -> Item {
        match self.peek {
            Some(it) => it,
            None => {
                let it = self.fetch(sink);
                self.peek = Some(it);
                it
            }
        }
    }

    fn apply_pending_mode(&mut self) {
        if let Some(m) = self.pending_mode.take() {
            self.mode = m;
        }
    }

    /// Tracing is off: wait for it to come back on.
    fn while_disabled<S: Sink + ?Sized>(&mut self, sink: &mut S) -> Res<bool> {
        match self.take(sink) {
            Item::Pge(Some(ip)) => {
                self.apply_pending_mode();
                self.enable(ip, sink);
            }
            Item::Pge(None) => return Err(FlowErrorKind::NoIp),
            Item::Tnt { .. } | Item::Tip(_) => return Err(FlowErrorKind::ExpectedEnable),
            Item::Ovf => self.overflow(sink)?,
            Item::Bound { .. } => self.flush_fup_events(sink),
            Item::Pgd(_) | Item::Fup(_) | Item::Psb { .. } => {}
            Item::End => return Ok(false),
            Item::Error(k) => return Err(FlowErrorKind::Packet(k)),
        }
        Ok(true)
    }

    fn enable<S: Sink + ?Sized>(&mut self, ip: u64, sink: &mut S) {
        let resumed = self.disabled_at == Some(ip);
        self.disabled_at = None;
        self.enabled = true;
        self.ip = ip;
        sink.event(&Event::Enabled { ip, resumed });
    }

    fn overflow<S: Sink + ?Sized>(&mut self, sink: &mut S) -> Res<()> {
        self.tnt_n = 0;
        self.retstack.clear();
        self.enabled = false;
        if self.errata.skd010 && self.peek.is_none() {
            match self.skd010_scan() {
                Skd010::Normal => {}
                Skd010::Resume { ip, pos, last_ip } => {
                    sink.event(&Event::Overflow { resume: Some(ip) });
                    self.pos = pos;
                    self.last_ip = last_ip;
                    self.enabled = true;
                    self.ip = ip;
                    return Ok(());
                }
                Skd010::Disabled { pos, last_ip } => {
                    sink.event(&Event::Overflow { resume: None });
                    self.pos = pos;
                    self.last_ip = last_ip;
                    return Ok(());
                }
            }
        }
        // A FUP right after OVF (past timing packets only, as libipt has it) says where
        // tracing resumed; a TIP.PGE says tracing came back on there; anything else means it
        // stays off for now (a PSB+ FUP too, as in libipt without SKD010).
        let fup_after = if self.peek.is_some() { None } else { self.ovf_fup() };
        // Erratum APL12: a FUP after the OVF although tracing was off when it resolved. If
        // the packets after the FUP say tracing is off, go on after it, disabled.
        if let Some(after) = fup_after.filter(|&a| self.errata.apl12 && self.apl12_tracing_off(a)) {
            sink.event(&Event::Overflow { resume: None });
            self.pos = after;
            return Ok(());
        }
        let fup_binds = self.peek.is_some() || fup_after.is_some();
        let it = self.take(sink);
        match it {
            Item::Fup(Some(ip)) if fup_binds => {
                self.apply_pending_mode();
                sink.event(&Event::Overflow { resume: Some(ip) });
                self.enabled = true;
                self.ip = ip;
            }
            other => {
                sink.event(&Event::Overflow { resume: None });
                self.peek = Some(other);
            }
        }
        Ok(())
    }

    /// When the next packet after the OVF, past timing packets, is a FUP (which then binds
    /// to it): the offset after that FUP.
    fn ovf_fup(&self) -> Option<usize> {
        let mut pos = self.pos;
        while let Some(Ok((pkt, n))) =
            self.buf.get(pos..).filter(|r| !r.is_empty()).map(|r| packet::decode(r, None))
        {
            pos += n;
            match pkt {
                Packet::Pad | Packet::Mnt(_) | Packet::Tsc(_) | Packet::Cbr(_) => {}
                Packet::Tma { .. } | Packet::Mtc(_) | Packet::Cyc(_) => {}
                Packet::Fup(_) => return Some(pos),
                _ => return None,
            }
        }
        None
    }

    /// Erratum APL12: whether the packets from `pos` on clearly say tracing is off (a STOP
    /// or TIP.PGE before anything that needs it on, or a PSB+ without a FUP). When they
    /// cannot tell, tracing is taken to be on (libipt's rules).
    fn apl12_tracing_off(&self, mut pos: usize) -> bool {
        while let Some(Ok((pkt, n))) =
            self.buf.get(pos..).filter(|r| !r.is_empty()).map(|r| packet::decode(r, None))
        {
            pos += n;
            match pkt {
                Packet::Stop | Packet::TipPge(_) => return true,
                Packet::Tnt8 { .. } | Packet::Tnt64 { .. } | Packet::Tip(_) | Packet::TipPgd(_) => {
                    return false
                }
                Packet::PsbEnd | Packet::Ovf => return false,
                Packet::Psb => {
                    // Off exactly when the PSB+ carries no FUP.
                    while let Some(Ok((pkt, n))) =
                        self.buf.get(pos..).filter(|r| !r.is_empty()).map(|r| packet::decode(r, None))
                    {
                        pos += n;
                        match pkt {
                            Packet::Fup(_) => return false,
                            Packet::PsbEnd => return true,
                            Packet::Psb | Packet::Ovf => return false,
                            _ => {}
                        }
                    }
                    return false;
                }
                _ => {}
            }
        }
        false
    }

    /// Erratum SKD010 (the FUP after an OVF may be dropped): reads ahead from just after
    /// the OVF for a sign of whether tracing was on when the overflow resolved, and where
    /// it went on (libipt's rules). A FUP right after the OVF (past timing packets only) is
    /// the normal case.
    fn skd010_scan(&self) -> Skd010 {
        let mut pos = self.pos;
        let mut last_ip = self.last_ip;
        let mut tsx_at = None;
        let mut timing_only = true;
        loop {
            let Some(rest) = self.buf.get(pos..).filter(|r| !r.is_empty()) else {
                return Skd010::Normal;
            };
            let Ok((pkt, n)) = packet::decode(rest, None) else {
                return Skd010::Normal;
            };
            let at = pos;
            pos += n;
            match pkt {
                Packet::Pad | Packet::Mnt(_) | Packet::Tsc(_) | Packet::Cbr(_) => {}
                Packet::Tma { .. } | Packet::Mtc(_) | Packet::Cyc(_) => {}
                // Skipped: their changes are lost with the rest of the overflow.
                Packet::Pip { .. } | Packet::Vmcs(_) | Packet::ModeExec { .. } => timing_only = false,
                Packet::Pwre { .. } | Packet::Pwrx { .. } => timing_only = false,
                Packet::Exstop { ip: false } | Packet::Ptw { ip: false, .. } => timing_only = false,
                Packet::ModeTsx { .. } => {
                    if tsx_at.is_some() {
                        return Skd010::Normal;
                    }
                    tsx_at = Some(at);
                    timing_only = false;
                }
                Packet::Fup(p) => {
                    if timing_only {
                        return Skd010::Normal;
                    }
                    // The FUP starts an asynchronous event (or ends the MODE.TSX before
                    // it): resume at its IP and decode it again from there.
                    let before = last_ip;
                    return match last_ip.update(&p) {
                        Some(ip) => Skd010::Resume { ip, pos: tsx_at.unwrap_or(at), last_ip: before },
                        None => Skd010::Normal,
                    };
                }
                Packet::Tip(p) => {
                    return match last_ip.update(&p) {
                        Some(ip) => Skd010::Resume { ip, pos, last_ip },
                        None => Skd010::Normal,
                    };
                }
                Packet::TipPgd(p) => {
                    last_ip.update(&p);
                    return Skd010::Disabled { pos, last_ip };
                }
                Packet::Psb => {
                    // Tracing is on exactly when the PSB+ carries a FUP; resume at the PSB.
                    let mut hdr = LastIp::default();
                    let mut p = pos;
                    loop {
                        let Some(Ok((pkt, n))) =
                            self.buf.get(p..).filter(|r| !r.is_empty()).map(|r| packet::decode(r, None))
                        else {
                            return Skd010::Normal;
                        };
                        p += n;
                        match pkt {
                            Packet::Fup(f) => {
                                return match hdr.update(&f) {
                                    Some(ip) => Skd010::Resume { ip, pos: at, last_ip },
                                    None => Skd010::Normal,
                                }
                            }
                            Packet::PsbEnd | Packet::Psb | Packet::Ovf => return Skd010::Normal,
                            _ => {}
                        }
                    }
                }
                // Tracing was off (TIP.PGE), or the trace cannot tell (TNT bits of unknown
                // number used, anything else).
                _ => return Skd010::Normal,
            }
        }
    }

    /// Reports the events queued for a FUP, at the current position.
    fn flush_fup_events<S: Sink + ?Sized>(&mut self, sink: &mut S) {
        for ev in self.fup_events.drain(..) {
            sink.event(&ev);
        }
    }

    /// The next flow packet that a branch needs. A FUP that only binds queued events and was
    /// not reached by the walk does not stand in the way: its events are reported here.
    fn peek_flow<S: Sink + ?Sized>(&mut self, sink: &mut S) -> Item {
        loop {
            match self.peek(sink) {
                Item::Bound { consumed: true, .. } => {
                    self.peek = None;
                    self.flush_fup_events(sink);
                }
                it => return it,
            }
        }
    }

    /// Pops the next TNT bit, loading the next TNT packet when the cache is empty.
    #[inline]
    fn tnt_bit<S: Sink + ?Sized>(&mut self, sink: &mut S) -> Res<bool> {
        if self.tnt_n == 0 {
            match self.peek_flow(sink) {
                Item::Tnt { bits, count } => {
                    self.peek = None;
                    self.tnt = bits;
                    self.tnt_n = count;
                }
                _ => return Err(FlowErrorKind::BadQuery),
            }
        }
        self.tnt_n -= 1;
        Ok(self.tnt >> self.tnt_n & 1 != 0)
    }

    /// Follows the flow while tracing is on. Returns false at the end of the trace.
    fn walk<S: Sink + ?Sized>(&mut self, sink: &mut S) -> Res<bool> {
        let mut cur = self.lookup(self.ip)?;
        // Instructions walked since the walk last consumed a packet or TNT bit.
        let mut idle = 0u64;
        loop {
            if idle > IDLE_INSNS {
                return Err(FlowErrorKind::NoProgress);
            }
            if self.tnt_n > 0 {
                let (pos, n, count) = (self.pos, self.tnt_n, self.insn_count);
                cur = self.table_walk(cur, sink);
                if (self.pos, self.tnt_n) != (pos, n) {
                    // It stops within SPIN_INSNS of its last bit.
                    idle = 0;
                } else {
                    idle += self.insn_count - count;
                }
            }
            if self.tnt_n == 0 {
                // Something other than TNT bits may be next: look before walking the block.
                match self.peek(sink) {
                    Item::Tnt { .. } | Item::Tip(_) => {}
                    Item::Psb { .. } => {
                        // A PSB+ while tracing: a status update only.
                        self.peek = None;
                        continue;
                    }
                    Item::Fup(Some(at)) => {
                        let blk = self.blocks.get(cur);
                        if let Some(k) = blk.index_of(at) {
                            sink.insns(blk, k);
                            self.insn_count += k as u64;
                            self.peek = None;
                            self.ip = at;
                            return self.async_event(at, sink).map(|_| true);
                        }
                    }
                    Item::Fup(None) => {
                        self.peek = None;
                        continue;
                    }
                    Item::Bound { ip: Some(at), consumed } => {
                        let blk = self.blocks.get(cur);
                        if let Some(k) = blk.index_of(at) {
                            sink.insns(blk, k);
                            self.insn_count += k as u64;
                            self.peek = None;
                            self.ip = at;
                            self.flush_fup_events(sink);
                            if consumed {
                                // Walk on from the FUP's IP.
                                return Ok(true);
                            }
                            return self.async_event(at, sink).map(|_| true);
                        }
                    }
                    Item::Bound { ip: None, .. } => {
                        self.peek = None;
                        self.flush_fup_events(sink);
                        continue;
                    }
                    Item::Pgd(to) => {
                        if let Some(k) = self.sync_disable_point(cur, to) {
                            let blk = self.blocks.get(cur);
                            sink.insns(blk, k);
                            self.insn_count += k as u64;
                            self.peek = None;
                            self.enabled = false;
                            sink.event(&Event::Disabled { ip: to });
                            return Ok(true);
                        }
                    }
                    Item::Pge(Some(ip)) => {
                        // Enabled while enabled: take it as the new position.
                        self.peek = None;
                        self.apply_pending_mode();
                        self.enable(ip, sink);
                        return Ok(true);
                    }
                    Item::Pge(None) => return Err(FlowErrorKind::NoIp),
                    Item::Ovf => {
                        self.peek = None;
                        self.overflow(sink)?;
                        return Ok(true);
                    }
                    Item::End => {
                        // Finish what needs no trace, then stop.
                        return self.walk_to_end(cur, sink).map(|_| false);
                    }
                    Item::Error(k) => return Err(FlowErrorKind::Packet(k)),
                }
            }
            // The whole block executes.
            let blk = self.blocks.get(cur);
            let n = blk.len();
            sink.insns(blk, n);
            self.insn_count += n as u64;
            idle += n as u64;
            let (exit, end) = (blk.exit, blk.end);
            self.ip = blk.last_insn();
            let next = match exit {
                End::Fall => {
                    self.ip = end;
                    self.successor(cur, false, end)?
                }
                End::Jump { target } => {
                    self.ip = target;
                    self.successor(cur, true, target)?
                }
                End::Call { target, push } => {
                    if push {
                        self.retstack.push(end);
                    }
                    self.ip = target;
                    self.successor(cur, true, target)?
                }
                End::Cond { target } => {
                    let taken = self.tnt_bit(sink)?;
                    idle = 0;
                    let to = if taken { target } else { end };
                    self.ip = to;
                    self.successor(cur, taken, to)?
                }
                End::Ret => {
                    let compressed = self.tnt_n > 0 || matches!(self.peek_flow(sink), Item::Tnt { .. });
                    if compressed {
                        if !self.tnt_bit(sink)? {
                            return Err(FlowErrorKind::BadRetComp);
                        }
                        let to = self.retstack.pop().ok_or(FlowErrorKind::BadRetComp)?;
                        idle = 0;
                        self.ip = to;
                        self.indirect(cur, to)?
                    } else {
                        let to = self.tip(sink)?;
                        idle = 0;
                        self.indirect(cur, to)?
                    }
                }
                End::IndJump | End::IndCall | End::Far => {
                    if exit == End::IndCall {
                        self.retstack.push(end);
                    }
                    let to = self.tip(sink)?;
                    idle = 0;
                    self.indirect(cur, to)?
                }
            };
            cur = next;
        }
    }

    /// The steady state: TNT bits cached (so no event can be pending) and successors already
    /// linked. Follows blocks through the successor table until it needs a packet or meets a
    /// block not yet linked; returns the block to continue with (`self.ip` is its start).
    #[inline]
    fn table_walk<S: Sink + ?Sized>(&mut self, mut cur: u32, sink: &mut S) -> u32 {
        if self.peek.is_some() || self.block_ctx.is_some() {
            return cur;
        }
        let (mut tnt, mut n) = (self.tnt, self.tnt_n);
        let mut count = 0u64;
        let (buf, mut pos) = (self.buf, self.pos);
        let cache = &mut self.blocks;
        let retstack = &mut self.retstack;
        // The run being recorded: the TNT byte, its first block and the blocks so far.
        let mut rec: Option<(u8, u32)> = None;
        let mut run = Run { blocks: [0; RUN_MAX], len: 0, end: NONE };
        // Blocks since the last bit: a cycle of direct branches never needs one, and the
        // careful walk is the one that gives up on it.
        let mut spin = 0u64;
        loop {
            if n == 0 {
                if let Some((byte, from)) = rec.take() {
                    run.end = cur;
                    cache.blocks[from as usize].run = (byte, cache.runs.len() as u32);
                    cache.runs.push(run);
                }
                // Refill straight from a short TNT packet (after any PAD); anything else may
                // be an event, and the careful walk takes over.
                while buf.get(pos) == Some(&0) {
                    pos += 1;
                }
                match buf.get(pos) {
                    Some(&byte) if byte & 1 == 0 && byte != 2 => {
                        pos += 1;
                        let (key, r) = cache.blocks[cur as usize].run;
                        if key == byte && r != NONE {
                            // Seen before from this block: the whole packet in one step.
                            let r = &cache.runs[r as usize];
                            for &bi in &r.blocks[..r.len as usize] {
                                let b = &cache.blocks[bi as usize];
                                let k = b.len();
                                sink.insns(b, k);
                                count += k as u64;
                            }
                            cur = r.end;
                            continue;
                        }
                        n = 6 - byte.leading_zeros() as u8;
                        tnt = ((byte >> 1) as u64) & ((1u64 << n) - 1);
                        if n == 0 {
                            continue;
                        }
                        rec = Some((byte, cur));
                        run.len = 0;
                    }
                    _ => break,
                }
            }
            let b = &cache.blocks[cur as usize];
            spin += b.len() as u64;
            if spin > SPIN_INSNS {
                break;
            }
            let next = match b.exit {
                End::Cond { .. } => {
                    let s = b.succ[(tnt >> (n - 1) & 1) as usize];
                    if s == NONE {
                        break;
                    }
                    n -= 1;
                    spin = 0;
                    s
                }
                End::Fall | End::Jump { .. } => {
                    let s = b.succ[matches!(b.exit, End::Jump { .. }) as usize];
                    if s == NONE {
                        break;
                    }
                    s
                }
                End::Call { push, .. } => {
                    let s = b.succ[1];
                    if s == NONE {
                        break;
                    }
                    if push {
                        retstack.push(b.end);
                    }
                    rec = None;
                    s
                }
                End::Ret if tnt >> (n - 1) & 1 != 0 => {
                    let s = match retstack.top() {
                        Some(to) if b.ind.0 == to && b.ind.1 != NONE => b.ind.1,
                        _ => break,
                    };
                    retstack.pop();
                    rec = None;
                    n -= 1;
                    spin = 0;
                    s
                }
                _ => break,
            };
            if rec.is_some() {
                if (run.len as usize) < RUN_MAX {
                    run.blocks[run.len as usize] = cur;
                    run.len += 1;
                } else {
                    rec = None;
                }
            }
            let k = b.len();
            sink.insns(b, k);
            count += k as u64;
            cur = next;
        }
        self.pos = pos;
        self.tnt = tnt;
        self.tnt_n = n;
        self.insn_count += count;
        self.ip = self.blocks.get(cur).start;
        cur
    }

    /// Takes the TIP an indirect branch needs; sets `self.ip` to its target. TNT bits may
    /// still be cached: a deferred TIP (SDM "Deferred TIPs") follows the TNT packet that also
    /// holds the bits of branches after the indirect one.
    fn tip<S: Sink + ?Sized>(&mut self, sink: &mut S) -> Res<u64> {
        match self.peek_flow(sink) {
            Item::Tip(Some(to)) => {
                self.peek = None;
                self.apply_pending_mode();
                self.ip = to;
                Ok(to)
            }
            Item::Tip(None) => Err(FlowErrorKind::NoIp),
            _ => Err(FlowErrorKind::BadQuery),
        }
    }

    #[inline]
    fn lookup(&mut self, ip: u64) -> Res<u32> {
        self.blocks.lookup(ip, self.mode).map_err(block_err)
    }

    #[inline]
    fn successor(&mut self, cur: u32, taken: bool, ip: u64) -> Res<u32> {
        self.blocks.successor(cur, taken, ip).map_err(block_err)
    }

    #[inline]
    fn indirect(&mut self, cur: u32, ip: u64) -> Res<u32> {
        self.blocks.indirect(cur, ip, self.mode).map_err(block_err)
    }

    /// With a TIP.PGD (no FUP) pending: the number of instructions of block `cur` that
    /// execute before tracing stops, if it stops in this block. With an IP, tracing stops
    /// when the walk reaches it (libipt's block decoder); otherwise the disable binds to the
    /// branch that left the traced region (libipt's rules): any conditional, indirect, far
    /// branch or return; a direct branch only when its target is the PGD's IP; with the IP
    /// suppressed, a far branch or an instruction whose successor leaves the filter.
    fn sync_disable_point(&self, cur: u32, to: Option<u64>) -> Option<usize> {
        let blk = self.blocks.get(cur);
        let n = blk.len();
        match to {
            // Tracing stopped before the instruction at the PGD's IP: in straight-line code
            // (a filter region that ends there) the walk stops when it reaches that IP.
            Some(ip) if blk.index_of(ip).is_some_and(|k| k > 0) => blk.index_of(ip),
            Some(ip) => match blk.exit {
                End::Fall => (blk.end == ip).then_some(n),
                End::Jump { target } | End::Call { target, .. } => (target == ip).then_some(n),
                _ => Some(n),
            },
            None => {
                if let Some(f) = self.cfg.filter {
                    for i in 0..n {
                        let next = if i + 1 < n { blk.insn(i + 1) } else { self.static_next(blk)? };
                        if !f.contains(next) {
                            return Some(i + 1);
                        }
                    }
                }
                match blk.exit {
                    End::Fall | End::Jump { .. } | End::Call { .. } => None,
                    _ => Some(n),
                }
            }
        }
    }

    fn static_next(&self, blk: &Block) -> Option<u64> {
        match blk.exit {
            End::Fall => Some(blk.end),
            End::Jump { target } | End::Call { target, .. } => Some(target),
            _ => None,
        }
    }

    /// At the IP of a standalone FUP: what follows says what happened there.
    fn async_event<S: Sink + ?Sized>(&mut self, at: u64, sink: &mut S) -> Res<()> {
        match self.take(sink) {
            Item::Tip(to) => {
                self.apply_pending_mode();
                sink.event(&Event::AsyncBranch { from: at, to });
                match to {
                    Some(t) => self.ip = t,
                    None => return Err(FlowErrorKind::NoIp),
                }
            }
            Item::Pgd(_) => {
                self.enabled = false;
                self.disabled_at = Some(at);
                sink.event(&Event::AsyncDisabled { at });
            }
            other => self.peek = Some(other),
        }
        Ok(())
    }

    /// At the end of the trace: run on through code that needs no trace packets, up to and
    /// including the first instruction that would.
    fn walk_to_end<S: Sink + ?Sized>(&mut self, mut cur: u32, sink: &mut S) -> Res<()> {
        let mut walked = 0u64;
        while walked <= IDLE_INSNS {
            let blk = self.blocks.get(cur);
            let (exit, end, n) = (blk.exit, blk.end, blk.len());
            walked += n as u64;
            // Like ptxed, the instruction that needs the missing trace is still reported.
            sink.insns(blk, n);
            self.insn_count += n as u64;
            let to = match exit {
                End::Fall => end,
                End::Jump { target } => target,
                End::Call { target, .. } => target,
                _ => break,
            };
            self.ip = to;
            cur = match self.blocks.successor(cur, !matches!(exit, End::Fall), to) {
                Ok(c) => c,
                Err(_) => break,
            };
        }
        Ok(())
    }

    /// Reads packets up to the next flow packet, reporting the others as events.
    fn fetch<S: Sink + ?Sized>(&mut self, sink: &mut S) -> Item {
        loop {
            let Some(rest) = self.buf.get(self.pos..).filter(|r| !r.is_empty()) else {
                return Item::End;
            };
            let (pkt, n) = match packet::decode(rest, self.block_ctx) {
                Ok(x) => x,
                Err(k) => return Item::Error(k),
            };
            self.pos += n;
            match pkt {
                Packet::Pad | Packet::PsbEnd | Packet::Mtc(_) | Packet::Cyc(_) | Packet::Tma { .. } => {}
                Packet::Mnt(_) | Packet::Bip { .. } => {}
                Packet::Bbp { sz, .. } => self.block_ctx = Some(sz),
                Packet::Bep { ip } => {
                    self.block_ctx = None;
                    self.skip_fup |= ip;
                }
                Packet::Tsc(v) => sink.event(&Event::Tsc(v)),
                Packet::Cbr(v) => sink.event(&Event::Cbr(v)),
                Packet::Pip { cr3, .. } => sink.event(&Event::Paging { cr3 }),
                Packet::Vmcs(v) => sink.event(&Event::Vmcs(v)),
                Packet::Stop => sink.event(&Event::Stop),
                Packet::Mwait { hints, ext } => sink.event(&Event::Mwait { hints, ext }),
                Packet::Pwre { state, sub_state, .. } => sink.event(&Event::Pwre { state, sub_state }),
                Packet::Pwrx { last, deepest, .. } => sink.event(&Event::Pwrx { last, deepest }),
                Packet::ModeExec { csl, csd } => {
                    let m = ExecMode::from_bits(csl, csd);
                    self.pending_mode = Some(m);
                    sink.event(&Event::ExecMode(m));
                }
                Packet::ModeTsx { intx, abrt } => {
                    // While tracing, MODE.TSX binds the next FUP and is reported at its IP. A
                    // TSX change uses the FUP up; an abort does not (libipt): its FUP and the
                    // TIP after that are an asynchronous branch to the handler.
                    if self.enabled {
                        self.fup_events.push(Event::Tsx { intx, abrt });
                        self.fup_consumed = !abrt;
                    } else {
                        sink.event(&Event::Tsx { intx, abrt });
                    }
                }
                Packet::Ptw { payload, ip, .. } => {
                    self.skip_fup |= ip;
                    sink.event(&Event::Ptwrite(payload));
                }
                Packet::Exstop { ip: true } if self.enabled => {
                    self.fup_events.push(Event::Exstop);
                    self.fup_consumed = true;
                }
                Packet::Exstop { ip } => {
                    self.skip_fup |= ip;
                    sink.event(&Event::Exstop);
                }
                Packet::Fup(p) => {
                    let ip = self.last_ip.update(&p);
                    let skip = std::mem::take(&mut self.skip_fup);
                    if !self.fup_events.is_empty() {
                        let consumed = std::mem::take(&mut self.fup_consumed) || skip;
                        return Item::Bound { ip, consumed };
                    }
                    if skip {
                        continue;
                    }
                    return Item::Fup(ip);
                }
                Packet::Tip(p) => return Item::Tip(self.last_ip.update(&p)),
                Packet::TipPge(p) => return Item::Pge(self.last_ip.update(&p)),
                Packet::TipPgd(p) => return Item::Pgd(self.last_ip.update(&p)),
                Packet::Tnt8 { bits, count } | Packet::Tnt64 { bits, count } => {
                    if count > 0 {
                        return Item::Tnt { bits, count };
                    }
                }
                Packet::Ovf => {
                    // IPs after an overflow are not compressed against what came before.
                    self.last_ip.reset();
                    self.block_ctx = None;
                    // Like libipt's reset: what waited for a FUP is lost with the overflow.
                    self.skip_fup = false;
                    self.fup_events.clear();
                    self.fup_consumed = false;
                    return Item::Ovf;
                }
                Packet::Psb => return self.psb_header(sink),
            }
        }
    }

    /// Reads a PSB+ header up to PSBEND. Its MODE.Exec is the current mode; its FUP the
    /// current IP when tracing is on.
    fn psb_header<S: Sink + ?Sized>(&mut self, sink: &mut S) -> Item {
        // A PSB resets IP compression: the header's FUP and what follows are absolute.
        self.last_ip.reset();
        self.block_ctx = None;
        // Events still waiting for a FUP are reported here, without one.
        self.skip_fup = false;
        self.fup_consumed = false;
        self.flush_fup_events(sink);
        let mut fup = None;
        loop {
            let Some(rest) = self.buf.get(self.pos..).filter(|r| !r.is_empty()) else {
                return Item::Error(PacketErrorKind::Truncated);
            };
            let (pkt, n) = match packet::decode(rest, None) {
                Ok(x) => x,
                Err(k) => return Item::Error(k),
            };
            self.pos += n;
            match pkt {
                Packet::PsbEnd => break,
                Packet::Fup(p) => fup = self.last_ip.update(&p),
                Packet::ModeExec { csl, csd } => {
                    let m = ExecMode::from_bits(csl, csd);
                    self.mode = m;
                    self.pending_mode = None;
                    sink.event(&Event::ExecMode(m));
                }
                Packet::ModeTsx { intx, abrt } => sink.event(&Event::Tsx { intx, abrt }),
                Packet::Tsc(v) => sink.event(&Event::Tsc(v)),
                Packet::Cbr(v) => sink.event(&Event::Cbr(v)),
                Packet::Pip { cr3, .. } => sink.event(&Event::Paging { cr3 }),
                Packet::Vmcs(v) => sink.event(&Event::Vmcs(v)),
                Packet::Pad | Packet::Tma { .. } | Packet::Mnt(_) | Packet::Mtc(_) | Packet::Cyc(_) => {}
                Packet::Ovf => return Item::Ovf,
                _ => return Item::Error(PacketErrorKind::BadPacket),
            }
        }
        Item::Psb { fup }
    }
}

fn block_err(e: BlockError) -> FlowErrorKind {
    match e {
        BlockError::NoMap => FlowErrorKind::NoMap,
        BlockError::BadInsn => FlowErrorKind::BadInsn,
    }
}
