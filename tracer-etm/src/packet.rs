//! ETMv4/ETE instruction trace packets: a byte-at-a-time decoder for one trace ID's stream.
//!
//! The decoder hunts for an A-Sync sequence first; bytes before it come out as `I_NOT_SYNC`
//! packets in chunks of at most 8 bytes, the way OpenCSD's lister shows them. Bad headers and
//! malformed packets come out as error packets (`I_RESERVED`, `I_BAD_SEQUENCE`, ...) and
//! decoding continues with the next byte; it never panics on any input.

use crate::config::EtmConfig;

macro_rules! kinds {
    ($($v:ident = $n:literal,)*) => {
        /// Packet types, named as OpenCSD's listing names them.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
        pub enum PacketKind { #[default] $($v,)* }
        impl PacketKind {
            pub fn name(self) -> &'static str { match self { $(PacketKind::$v => $n,)* } }
        }
    };
}

kinds! {
    NotSync = "I_NOT_SYNC",
    BadSequence = "I_BAD_SEQUENCE",
    BadTraceMode = "I_BAD_TRACEMODE",
    Reserved = "I_RESERVED",
    ReservedCfg = "I_RESERVED_CFG",
    IncompleteEot = "I_INCOMPLETE_EOT",
    Extension = "I_EXTENSION",
    Async = "I_ASYNC",
    Discard = "I_DISCARD",
    Overflow = "I_OVERFLOW",
    TraceInfo = "I_TRACE_INFO",
    Timestamp = "I_TIMESTAMP",
    TraceOn = "I_TRACE_ON",
    FuncRet = "I_FUNC_RET",
    Except = "I_EXCEPT",
    ExceptRtn = "I_EXCEPT_RTN",
    TransSt = "I_TRANS_ST",
    TransCommit = "I_TRANS_COMMIT",
    TransFail = "I_TRANS_FAIL",
    PeReset = "I_PE_RESET",
    Ite = "I_ITE",
    CcntF1 = "I_CCNT_F1",
    CcntF2 = "I_CCNT_F2",
    CcntF3 = "I_CCNT_F3",
    NumDsMkr = "I_NUM_DS_MKR",
    UnnumDsMkr = "I_UNNUM_DS_MKR",
    Commit = "I_COMMIT",
    CancelF1 = "I_CANCEL_F1",
    CancelF1Mispred = "I_CANCEL_F1_MISPRED",
    Mispredict = "I_MISPREDICT",
    CancelF2 = "I_CANCEL_F2",
    CancelF3 = "I_CANCEL_F3",
    CondIF1 = "I_COND_I_F1",
    CondIF2 = "I_COND_I_F2",
    CondIF3 = "I_COND_I_F3",
    CondFlush = "I_COND_FLUSH",
    CondResF1 = "I_COND_RES_F1",
    CondResF2 = "I_COND_RES_F2",
    CondResF3 = "I_COND_RES_F3",
    CondResF4 = "I_COND_RES_F4",
    Ignore = "I_IGNORE",
    Event = "I_EVENT",
    Ctxt = "I_CTXT",
    AddrCtxtL32Is0 = "I_ADDR_CTXT_L_32IS0",
    AddrCtxtL32Is1 = "I_ADDR_CTXT_L_32IS1",
    AddrCtxtL64Is0 = "I_ADDR_CTXT_L_64IS0",
    AddrCtxtL64Is1 = "I_ADDR_CTXT_L_64IS1",
    TsMarker = "I_TS_MARKER",
    AddrMatch = "I_ADDR_MATCH",
    AddrSIs0 = "I_ADDR_S_IS0",
    AddrSIs1 = "I_ADDR_S_IS1",
    AddrL32Is0 = "I_ADDR_L_32IS0",
    AddrL32Is1 = "I_ADDR_L_32IS1",
    AddrL64Is0 = "I_ADDR_L_64IS0",
    AddrL64Is1 = "I_ADDR_L_64IS1",
    Q = "I_Q",
    SrcAddrMatch = "I_SRC_ADDR_MATCH",
    SrcAddrSIs0 = "I_SRC_ADDR_S_IS0",
    SrcAddrSIs1 = "I_SRC_ADDR_S_IS1",
    SrcAddrL32Is0 = "I_SRC_ADDR_L_32IS0",
    SrcAddrL32Is1 = "I_SRC_ADDR_L_32IS1",
    SrcAddrL64Is0 = "I_SRC_ADDR_L_64IS0",
    SrcAddrL64Is1 = "I_SRC_ADDR_L_64IS1",
    AtomF1 = "I_ATOM_F1",
    AtomF2 = "I_ATOM_F2",
    AtomF3 = "I_ATOM_F3",
    AtomF4 = "I_ATOM_F4",
    AtomF5 = "I_ATOM_F5",
    AtomF6 = "I_ATOM_F6",
}

impl PacketKind {
    /// Packets that report broken input rather than trace.
    pub fn is_error(self) -> bool {
        matches!(
            self,
            PacketKind::NotSync
                | PacketKind::BadSequence
                | PacketKind::BadTraceMode
                | PacketKind::Reserved
                | PacketKind::ReservedCfg
                | PacketKind::IncompleteEot
                | PacketKind::Extension
        )
    }
}

/// Context fields carried by context and address-with-context packets.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Context {
    /// False for a context packet that only says "same as before".
    pub updated: bool,
    pub el: u8,
    pub ns: bool,
    pub sf: bool,
    pub nse: bool,
    pub vmid: Option<u32>,
    pub ctxt_id: Option<u32>,
}

/// The Trace Info packet's sections.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TraceInfo {
    pub info: u32,
    pub key: u32,
    pub spec: u32,
    pub cyct: u32,
}

/// One decoded packet. Fields that do not apply to its kind keep their defaults.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Packet {
    /// Byte index in the trace buffer of the packet's first byte.
    pub index: u64,
    pub kind: PacketKind,
    /// Atoms, oldest in bit 0; 1 = E (taken).
    pub atom_bits: u64,
    pub atom_count: u8,
    /// The full address after compression is undone.
    pub addr: u64,
    pub addr_is: u8,
    pub ctxt: Context,
    pub exc_type: u16,
    pub exc_addr_interp: u8,
    pub cc: Option<u32>,
    pub commit: u32,
    pub cancel: u32,
    /// The full timestamp after the update.
    pub ts: u64,
    pub event: u8,
    pub q_count: u32,
    pub q_has_addr: bool,
    pub q_type: u8,
    pub tinfo: TraceInfo,
    pub ite_el: u8,
    pub ite_value: u64,
}

const EXACT_MATCH_PUSHES: bool = true;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum H {
    NotSync,
    Extension,
    Async,
    TraceInfo,
    Timestamp,
    Exception,
    Ccnt,
    SpecRes,
    CondInstr,
    CondResult,
    Context,
    AddrCtxt,
    ShortAddr,
    LongAddr,
    Q,
    Atom,
    NoPayload,
    Reserved,
    InvalidCfg,
    Ite,
}

enum Act {
    None,
    Send,
    Unsynced(usize, Option<u64>),
}

/// Decodes one trace ID's byte stream into packets.
pub struct PacketDecoder {
    cfg: EtmConfig,
    table: [(PacketKind, H); 256],
    /// Decoded atom patterns for the atom headers: (bits, count).
    atoms: [(u64, u8); 256],
    buf: Vec<u8>,
    in_packet: bool,
    synced: bool,
    handler: H,
    pkt: Packet,
    cur_idx: u64,
    // persistent state across packets
    addr_hist: [(u64, u8); 3],
    cur_addr: u64,
    ts: u64,
    ts_valid: bool,
    first_tinfo: bool,
    cc_threshold: u32,
}

/// Longer than any well-formed packet (the longest, TRACE INFO with every field at its
/// largest, is under 24 bytes).
const MAX_PACKET: usize = 32;

impl PacketDecoder {
    pub fn new(cfg: &EtmConfig) -> PacketDecoder {
        let mut d = PacketDecoder {
            cfg: cfg.clone(),
            table: [(PacketKind::Reserved, H::Reserved); 256],
            atoms: [(0, 0); 256],
            buf: Vec::with_capacity(32),
            in_packet: false,
            synced: false,
            handler: H::NotSync,
            pkt: Packet::default(),
            cur_idx: 0,
            addr_hist: [(0, 0); 3],
            cur_addr: 0,
            ts: 0,
            ts_valid: false,
            first_tinfo: false,
            cc_threshold: 0,
        };
        d.build_table();
        for b in 0..=255u8 {
            if d.table[b as usize].1 == H::Atom {
                d.pkt.kind = d.table[b as usize].0;
                d.atom(b);
                d.atoms[b as usize] = (d.pkt.atom_bits, d.pkt.atom_count);
            }
        }
        d.pkt = Packet::default();
        d
    }

    pub fn config(&self) -> &EtmConfig {
        &self.cfg
    }

    /// Forgets all state: the next packet must follow an A-Sync again.
    pub fn reset(&mut self) {
        self.buf.clear();
        self.in_packet = false;
        self.synced = false;
        self.addr_hist = [(0, 0); 3];
        self.cur_addr = 0;
        self.ts = 0;
        self.ts_valid = false;
        self.first_tinfo = false;
        self.cc_threshold = 0;
        self.pkt = Packet::default();
    }

    pub fn is_synced(&self) -> bool {
        self.synced
    }

    fn build_table(&mut self) {
        use PacketKind as K;
        let c = self.cfg.clone();
        let t = &mut self.table;
        let set = |t: &mut [(PacketKind, H); 256], i: usize, k: PacketKind, h: H| t[i] = (k, h);
        set(t, 0x00, K::Extension, H::Extension);
        set(t, 0x01, K::TraceInfo, H::TraceInfo);
        set(t, 0x02, K::Timestamp, H::Timestamp);
        set(t, 0x03, K::Timestamp, H::Timestamp);
        set(t, 0x04, K::TraceOn, H::NoPayload);
        set(t, 0x05, K::FuncRet, H::Reserved);
        set(t, 0x06, K::Except, H::Exception);
        if c.is_ete() {
            set(t, 0x07, K::ExceptRtn, H::InvalidCfg);
            set(t, 0x0a, K::TransSt, H::NoPayload);
            set(t, 0x0b, K::TransCommit, H::NoPayload);
            if c.minor() >= 3 {
                set(t, 0x09, K::Ite, H::Ite);
            }
        } else {
            set(t, 0x07, K::ExceptRtn, H::NoPayload);
        }
        for i in 0..4 {
            set(t, 0x0c + i, if i >= 2 { K::CcntF1 } else { K::CcntF2 }, H::Ccnt);
        }
        for i in 0..16 {
            set(t, 0x10 + i, K::CcntF3, H::Ccnt);
        }
        let dt = if c.data_trace_enabled() { H::NoPayload } else { H::InvalidCfg };
        for i in 0..8 {
            set(t, 0x20 + i, K::NumDsMkr, dt);
        }
        for i in 0..5 {
            set(t, 0x28 + i, K::UnnumDsMkr, dt);
        }
        set(t, 0x2d, K::Commit, H::SpecRes);
        set(t, 0x2e, K::CancelF1, H::SpecRes);
        set(t, 0x2f, K::CancelF1Mispred, H::SpecRes);
        for i in 0..4 {
            set(t, 0x30 + i, K::Mispredict, H::SpecRes);
            set(t, 0x34 + i, K::CancelF2, H::SpecRes);
        }
        for i in 0..8 {
            set(t, 0x38 + i, K::CancelF3, H::SpecRes);
        }
        let cv = c.has_cond_trace() && c.cond_enabled();
        let ci = if cv { H::CondInstr } else { H::InvalidCfg };
        let cr = if cv { H::CondResult } else { H::InvalidCfg };
        for i in 0..3 {
            set(t, 0x40 + i, K::CondIF2, ci);
            set(t, 0x44 + i, K::CondResF4, cr);
            set(t, 0x48 + i, K::CondResF2, cr);
            set(t, 0x4c + i, K::CondResF2, cr);
        }
        set(t, 0x43, K::CondFlush, if cv { H::NoPayload } else { H::InvalidCfg });
        for i in 0..16 {
            set(t, 0x50 + i, K::CondResF3, cr);
        }
        for i in 0..4 {
            set(t, 0x68 + i, K::CondResF1, cr);
        }
        set(t, 0x6c, K::CondIF1, ci);
        set(t, 0x6d, K::CondIF3, ci);
        set(t, 0x6e, K::CondResF1, cr);
        set(t, 0x6f, K::CondResF1, cr);
        if c.full_version() >= 0x43 {
            set(t, 0x70, K::Ignore, H::NoPayload);
        }
        for i in 0..15 {
            set(t, 0x71 + i, K::Event, H::NoPayload);
        }
        set(t, 0x80, K::Ctxt, H::Context);
        set(t, 0x81, K::Ctxt, H::Context);
        set(t, 0x82, K::AddrCtxtL32Is0, H::AddrCtxt);
        set(t, 0x83, K::AddrCtxtL32Is1, H::AddrCtxt);
        set(t, 0x85, K::AddrCtxtL64Is0, H::AddrCtxt);
        set(t, 0x86, K::AddrCtxtL64Is1, H::AddrCtxt);
        if c.full_version() >= 0x46 {
            set(t, 0x88, K::TsMarker, H::NoPayload);
        }
        for i in 0..3 {
            set(t, 0x90 + i, K::AddrMatch, H::NoPayload);
        }
        set(t, 0x95, K::AddrSIs0, H::ShortAddr);
        set(t, 0x96, K::AddrSIs1, H::ShortAddr);
        set(t, 0x9a, K::AddrL32Is0, H::LongAddr);
        set(t, 0x9b, K::AddrL32Is1, H::LongAddr);
        set(t, 0x9d, K::AddrL64Is0, H::LongAddr);
        set(t, 0x9e, K::AddrL64Is1, H::LongAddr);
        for i in 0..16usize {
            let ok = !matches!(i, 3 | 4 | 7 | 8 | 9 | 0xd | 0xe) && c.has_q_elem();
            set(t, 0xa0 + i, K::Q, if ok { H::Q } else { H::Reserved });
        }
        if c.full_version() >= 0x50 {
            for i in 0..3 {
                set(t, 0xb0 + i, K::SrcAddrMatch, H::NoPayload);
            }
            set(t, 0xb4, K::SrcAddrSIs0, H::ShortAddr);
            set(t, 0xb5, K::SrcAddrSIs1, H::ShortAddr);
            set(t, 0xb6, K::SrcAddrL32Is0, H::LongAddr);
            set(t, 0xb7, K::SrcAddrL32Is1, H::LongAddr);
            set(t, 0xb8, K::SrcAddrL64Is0, H::LongAddr);
            set(t, 0xb9, K::SrcAddrL64Is1, H::LongAddr);
        }
        for i in 0xc0..=0xd4 {
            set(t, i, K::AtomF6, H::Atom);
        }
        for i in 0xd5..=0xd7 {
            set(t, i, K::AtomF5, H::Atom);
        }
        for i in 0xd8..=0xdb {
            set(t, i, K::AtomF2, H::Atom);
        }
        for i in 0xdc..=0xdf {
            set(t, i, K::AtomF4, H::Atom);
        }
        for i in 0xe0..=0xf4 {
            set(t, i, K::AtomF6, H::Atom);
        }
        set(t, 0xf5, K::AtomF5, H::Atom);
        set(t, 0xf6, K::AtomF1, H::Atom);
        set(t, 0xf7, K::AtomF1, H::Atom);
        for i in 0xf8..=0xff {
            set(t, i, K::AtomF3, H::Atom);
        }
    }

    /// Feeds a whole buffer whose first byte has index `base`.
    pub fn push_slice(&mut self, data: &[u8], base: u64, sink: &mut impl FnMut(&Packet, &[u8])) {
        let mut i = 0;
        while i < data.len() {
            if !self.in_packet && self.synced {
                if let Some(n) = self.whole_packet(&data[i..], base + i as u64, sink) {
                    i += n;
                    continue;
                }
            }
            self.push(data[i], base + i as u64, sink);
            i += 1;
        }
    }

    /// Decodes the commonest packets straight from the input when they are complete in it,
    /// skipping the byte-at-a-time buffer. Returns the length consumed, or `None` to take the
    /// general path. The packets are identical to what the general path produces.
    #[inline]
    fn whole_packet(&mut self, d: &[u8], idx: u64, sink: &mut impl FnMut(&Packet, &[u8])) -> Option<usize> {
        use PacketKind as K;
        let b = d[0];
        let (k, h) = self.table[b as usize];
        let n = match h {
            H::Atom => {
                (self.pkt.atom_bits, self.pkt.atom_count) = self.atoms[b as usize];
                1
            }
            H::ShortAddr => {
                let n = if d.get(1)? & 0x80 != 0 { 3 } else { 2 };
                if d.len() < n {
                    return None;
                }
                let is = if matches!(k, K::AddrSIs1 | K::SrcAddrSIs1) { 1 } else { 0 };
                let (v, bits) = short_from(&d[1..n], is);
                self.set_addr_bits(v, bits, is);
                n
            }
            H::LongAddr => {
                self.pkt.kind = k;
                let (is, nb) = self.addr_shape();
                if d.len() < 1 + nb {
                    return None;
                }
                let v = long_addr_from(&d[1..1 + nb], is);
                self.set_addr_bits(v, if nb == 8 { 64 } else { 32 }, is);
                1 + nb
            }
            H::NoPayload if !matches!(k, K::CondFlush | K::NumDsMkr | K::UnnumDsMkr) => {
                match k {
                    K::AddrMatch | K::SrcAddrMatch => {
                        self.pkt.kind = k;
                        self.exact_match(b & 3)
                    }
                    K::Event => self.pkt.event = b & 0xf,
                    _ => {}
                }
                1
            }
            _ => return None,
        };
        self.pkt.index = idx;
        self.pkt.kind = k;
        self.cur_idx = idx + n as u64 - 1;
        sink(&self.pkt, &d[..n]);
        self.end_packet();
        Some(n)
    }

    /// Feeds one byte at buffer index `idx`; completed packets go to `sink` with their bytes.
    #[inline]
    pub fn push(&mut self, b: u8, idx: u64, sink: &mut impl FnMut(&Packet, &[u8])) {
        if !self.in_packet && self.synced {
            let (k, h) = self.table[b as usize];
            if h == H::Atom {
                // fast path for the most common packet: one byte, no buffering
                self.pkt.index = idx;
                self.pkt.kind = k;
                self.cur_idx = idx;
                (self.pkt.atom_bits, self.pkt.atom_count) = self.atoms[b as usize];
                sink(&self.pkt, std::slice::from_ref(&b));
                self.pkt.atom_bits = 0;
                self.pkt.atom_count = 0;
                return;
            }
        }
        if !self.in_packet {
            self.in_packet = true;
            self.pkt.index = idx;
            if self.synced {
                let (k, h) = self.table[b as usize];
                self.pkt.kind = k;
                self.handler = h;
            } else {
                self.pkt.kind = PacketKind::NotSync;
                self.handler = H::NotSync;
            }
        }
        self.cur_idx = idx;
        self.buf.push(b);
        match self.step(b) {
            Act::None if self.buf.len() >= MAX_PACKET => {
                // Continuation bits that never end: no packet is this long, so stop here
                // rather than rescan an ever-growing buffer on every byte.
                let _ = self.set_err(PacketKind::BadSequence);
                sink(&self.pkt, &self.buf);
                self.end_packet();
            }
            Act::None => {}
            Act::Send => {
                sink(&self.pkt, &self.buf);
                self.end_packet();
            }
            Act::Unsynced(n, upd) => {
                let n = n.min(self.buf.len());
                let save = self.pkt.kind;
                self.pkt.kind = PacketKind::NotSync;
                sink(&self.pkt, &self.buf[..n]);
                self.pkt.kind = save;
                self.buf.drain(..n);
                if let Some(i) = upd {
                    self.pkt.index = i;
                }
            }
        }
    }

    /// End of data: a partial packet comes out as `I_INCOMPLETE_EOT`.
    pub fn finish(&mut self, sink: &mut impl FnMut(&Packet, &[u8])) {
        if !self.buf.is_empty() {
            self.pkt.kind = PacketKind::IncompleteEot;
            sink(&self.pkt, &self.buf);
        }
        self.end_packet();
    }

    fn end_packet(&mut self) {
        self.buf.clear();
        self.in_packet = false;
        let p = &mut self.pkt;
        p.atom_count = 0;
        p.atom_bits = 0;
        p.ctxt = Context::default();
        p.cc = None;
        p.commit = 0;
        p.cancel = 0;
        p.q_has_addr = false;
        p.q_count = 0;
        p.event = 0;
    }

    fn set_err(&mut self, k: PacketKind) -> Act {
        self.pkt.kind = k;
        // After a malformed packet nothing that follows can be trusted: hunt for the next
        // A-Sync. (OpenCSD carries on parsing garbage; on clean data there is no difference.)
        if matches!(k, PacketKind::BadSequence | PacketKind::Reserved | PacketKind::ReservedCfg) {
            self.synced = false;
        }
        Act::Send
    }

    fn push_addr(&mut self, addr: u64, is: u8) {
        self.cur_addr = addr;
        self.addr_hist[2] = self.addr_hist[1];
        self.addr_hist[1] = self.addr_hist[0];
        self.addr_hist[0] = (addr, is);
        self.pkt.addr = addr;
        self.pkt.addr_is = is;
    }

    fn set_addr_bits(&mut self, val: u64, bits: u32, is: u8) {
        let cur = self.cur_addr;
        let addr = if bits >= 64 {
            val
        } else {
            let m = (1u64 << bits) - 1;
            (cur & !m) | (val & m)
        };
        self.push_addr(addr, is);
    }

    fn exact_match(&mut self, i: u8) {
        let (a, is) = self.addr_hist[(i as usize).min(2)];
        if EXACT_MATCH_PUSHES {
            self.push_addr(a, is);
        }
        self.cur_addr = a;
        self.pkt.addr = a;
        self.pkt.addr_is = is;
    }

    fn step(&mut self, b: u8) -> Act {
        let n = self.buf.len();
        match self.handler {
            H::NotSync => {
                if b == 0 {
                    self.handler = H::Extension;
                    if n > 1 {
                        return Act::Unsynced(n - 1, Some(self.cur_idx));
                    }
                    self.pkt.index = self.cur_idx;
                } else if n >= 8 {
                    return Act::Unsynced(n, Some(self.cur_idx + 1));
                }
                Act::None
            }
            H::Extension => {
                if n == 2 {
                    if !self.synced && b != 0 {
                        self.handler = H::NotSync;
                        self.pkt.kind = PacketKind::NotSync;
                        return Act::None;
                    }
                    return match b {
                        0x03 => self.set_err(PacketKind::Discard),
                        0x05 => self.set_err(PacketKind::Overflow),
                        0x00 => {
                            self.pkt.kind = PacketKind::Async;
                            self.handler = H::Async;
                            Act::None
                        }
                        _ => self.set_err(PacketKind::BadSequence),
                    };
                }
                Act::None
            }
            H::Async => {
                if b != 0 {
                    if !self.synced && n != 12 {
                        self.handler = H::NotSync;
                        self.pkt.kind = PacketKind::NotSync;
                        return Act::None;
                    }
                    if n != 12 || b != 0x80 {
                        return self.set_err(PacketKind::BadSequence);
                    }
                    self.synced = true;
                    return Act::Send;
                } else if n == 12 {
                    if !self.synced {
                        return Act::Unsynced(1, None);
                    }
                    return self.set_err(PacketKind::BadSequence);
                }
                Act::None
            }
            H::TraceInfo => self.trace_info(),
            H::Timestamp => self.timestamp(),
            H::Exception => self.exception(),
            H::Ccnt => self.ccnt(b),
            H::SpecRes => self.spec_res(b),
            H::CondInstr => self.cond_instr(b),
            H::CondResult => self.cond_result(b),
            H::Context => self.context(b),
            H::AddrCtxt => self.addr_ctxt(),
            H::ShortAddr => self.short_addr(b),
            H::LongAddr => self.long_addr(),
            H::Q => self.q(),
            H::Atom => self.atom(b),
            H::NoPayload => {
                match self.pkt.kind {
                    PacketKind::AddrMatch | PacketKind::SrcAddrMatch => self.exact_match(b & 3),
                    PacketKind::Event => self.pkt.event = b & 0xf,
                    _ => {}
                }
                Act::Send
            }
            H::Reserved => self.set_err(PacketKind::Reserved),
            H::InvalidCfg => self.set_err(PacketKind::ReservedCfg),
            H::Ite => {
                if n == 10 {
                    self.pkt.ite_el = self.buf[1];
                    let mut v = 0u64;
                    for (i, &x) in self.buf[2..10].iter().enumerate() {
                        v |= (x as u64) << (8 * i);
                    }
                    self.pkt.ite_value = v;
                    return Act::Send;
                }
                Act::None
            }
        }
    }

    /// A continuation field (7 bits a byte, bit 7 = more) at `at`: its value and length, or
    /// `None` when the buffer ends before its last byte.
    fn cont_field(buf: &[u8], at: usize, max: usize) -> Option<(u64, usize)> {
        let mut v = 0u64;
        for i in 0..max {
            let x = *buf.get(at + i)?;
            v |= ((x & 0x7f) as u64) << (7 * i);
            if x & 0x80 == 0 {
                return Some((v, i + 1));
            }
        }
        Some((v, max))
    }

    /// Like `cont_field` but only the continuation bits decide where the field ends; the
    /// value uses the first `max` bytes.
    fn cont_len(buf: &[u8], at: usize) -> Option<usize> {
        let mut i = at;
        loop {
            let x = *buf.get(i)?;
            i += 1;
            if x & 0x80 == 0 {
                return Some(i - at);
            }
        }
    }

    fn trace_info(&mut self) -> Act {
        let buf = &self.buf;
        if buf.len() < 2 {
            return Act::None;
        }
        let present = buf[1] & 0x1f;
        let mut i = 1;
        // control bytes
        loop {
            let Some(&c) = buf.get(i) else { return Act::None };
            i += 1;
            if c & 0x80 == 0 {
                break;
            }
        }
        let mut vals = [0u64; 5];
        for (s, v) in vals.iter_mut().enumerate() {
            if present & (1 << s) != 0 {
                let Some(len) = Self::cont_len(buf, i) else { return Act::None };
                *v = Self::cont_field(buf, i, len.min(5)).map(|x| x.0).unwrap_or(0);
                i += len;
            }
        }
        self.pkt.tinfo = TraceInfo {
            info: vals[0] as u32,
            key: vals[1] as u32,
            spec: vals[2] as u32,
            cyct: vals[3] as u32,
        };
        self.cc_threshold = vals[3] as u32;
        self.first_tinfo = true;
        self.ts_valid = false;
        self.addr_hist = [(0, 0); 3];
        self.cur_addr = 0;
        Act::Send
    }

    fn timestamp(&mut self) -> Act {
        let buf = &self.buf;
        let mut i = 1;
        let mut v = 0u64;
        let mut nb = 0;
        loop {
            let Some(&x) = buf.get(i) else { return Act::None };
            if nb == 8 {
                v |= (x as u64) << 56;
                nb += 1;
                i += 1;
                break;
            }
            v |= ((x & 0x7f) as u64) << (7 * nb);
            nb += 1;
            i += 1;
            if x & 0x80 == 0 {
                break;
            }
        }
        let mut cc = None;
        if buf[0] & 1 == 1 {
            let Some(len) = Self::cont_len(buf, i) else { return Act::None };
            let c = Self::cont_field(buf, i, len.min(3)).map(|x| x.0).unwrap_or(0) as u32;
            let mask = ((1u64 << self.cfg.cc_size()) - 1) as u32;
            cc = Some(c & mask);
        }
        let mut bits = if nb < 9 { nb * 7 } else { 64 };
        if !self.ts_valid && self.first_tinfo {
            bits = 64;
        }
        self.ts = if bits >= 64 {
            v
        } else {
            let m = (1u64 << bits) - 1;
            (self.ts & !m) | (v & m)
        };
        self.ts_valid = true;
        self.pkt.ts = self.ts;
        self.pkt.cc = cc;
        Act::Send
    }

    fn exception(&mut self) -> Act {
        let n = self.buf.len();
        let mut size = 3;
        if n >= 2 && self.buf[1] & 0x80 == 0 {
            size = 2;
            let t = (self.buf[1] >> 1) & 0x1f;
            if self.cfg.is_ete() && (t == 0 || t == 0x18) {
                size = 3;
            }
        }
        if n < size {
            return Act::None;
        }
        let b1 = self.buf[1];
        let mut t = ((b1 >> 1) & 0x1f) as u16;
        if b1 & 0x80 != 0 {
            t |= ((self.buf[2] & 0x1f) as u16) << 5;
        }
        self.pkt.exc_type = t;
        self.pkt.exc_addr_interp = ((b1 & 0x40) >> 5) | (b1 & 1);
        if self.cfg.is_ete() && (t == 0 || t == 0x18) {
            self.push_addr(0, 0);
            self.pkt.kind = if t == 0x18 { PacketKind::TransFail } else { PacketKind::PeReset };
        }
        Act::Send
    }

    fn ccnt(&mut self, _b: u8) -> Act {
        let buf = &self.buf;
        let h = buf[0];
        let commit_opt1 = self.cfg.commit_opt1();
        match self.pkt.kind {
            PacketKind::CcntF3 => {
                if !commit_opt1 {
                    self.pkt.commit = ((h >> 2) & 3) as u32 + 1;
                }
                self.pkt.cc = Some(self.cc_threshold.wrapping_add((h & 3) as u32));
                Act::Send
            }
            PacketKind::CcntF2 => {
                if buf.len() < 2 {
                    return Act::None;
                }
                let p = buf[1];
                let off = if h & 1 == 1 { self.cfg.max_spec_depth() as i64 - 15 } else { 1 };
                self.pkt.commit = (((p >> 4) & 0xf) as i64 + off).max(0) as u32;
                self.pkt.cc = Some(self.cc_threshold.wrapping_add((p & 0xf) as u32));
                Act::Send
            }
            _ => {
                let has_count = h & 1 == 0;
                let mut i = 1;
                if !commit_opt1 {
                    let Some(len) = Self::cont_len(buf, i) else { return Act::None };
                    self.pkt.commit = Self::cont_field(buf, i, len.min(5)).map(|x| x.0).unwrap_or(0) as u32;
                    i += len;
                }
                if has_count {
                    let Some(len) = Self::cont_len(buf, i) else { return Act::None };
                    let c = Self::cont_field(buf, i, len.min(3)).map(|x| x.0).unwrap_or(0) as u32;
                    // The threshold comes from the trace, so a corrupt TRACE INFO can make this wrap
                    // (32-bit arithmetic, as OpenCSD's).
                    self.pkt.cc = Some(c.wrapping_add(self.cc_threshold));
                } else {
                    self.pkt.cc = Some(0);
                }
                Act::Send
            }
        }
    }

    fn spec_res(&mut self, b: u8) -> Act {
        let n = self.buf.len();
        let k = self.pkt.kind;
        if n == 1 {
            match k {
                PacketKind::Mispredict | PacketKind::CancelF2 => {
                    let (bits, cnt) = match b & 3 {
                        1 => (1, 1),
                        2 => (3, 2),
                        3 => (0, 1),
                        _ => (0, 0),
                    };
                    self.pkt.atom_bits = bits;
                    self.pkt.atom_count = cnt;
                    self.pkt.cancel = if k == PacketKind::CancelF2 { 1 } else { 0 };
                    return Act::Send;
                }
                PacketKind::CancelF3 => {
                    if b & 1 == 1 {
                        self.pkt.atom_bits = 1;
                        self.pkt.atom_count = 1;
                    }
                    self.pkt.cancel = ((b >> 1) & 3) as u32 + 2;
                    return Act::Send;
                }
                _ => return Act::None,
            }
        }
        if b & 0x80 == 0 {
            let v = Self::cont_field(&self.buf, 1, 5).map(|x| x.0).unwrap_or(0) as u32;
            if k == PacketKind::Commit {
                self.pkt.commit = v;
            } else {
                self.pkt.cancel = v;
            }
            return Act::Send;
        }
        if n > 6 {
            return self.set_err(PacketKind::BadSequence);
        }
        Act::None
    }

    fn cond_instr(&mut self, b: u8) -> Act {
        let n = self.buf.len();
        match self.pkt.kind {
            PacketKind::CondIF2 => Act::Send,
            PacketKind::CondIF3 => {
                if n == 2 {
                    Act::Send
                } else {
                    Act::None
                }
            }
            _ => {
                if n >= 2 && b & 0x80 == 0 {
                    Act::Send
                } else if n > 6 {
                    self.set_err(PacketKind::BadSequence)
                } else {
                    Act::None
                }
            }
        }
    }

    fn cond_result(&mut self, _b: u8) -> Act {
        let n = self.buf.len();
        match self.pkt.kind {
            PacketKind::CondResF2 | PacketKind::CondResF4 => Act::Send,
            PacketKind::CondResF3 => {
                if n == 2 {
                    Act::Send
                } else {
                    Act::None
                }
            }
            _ => {
                let two = self.buf[0] & 0xfc != 0x6c;
                let Some(l1) = Self::cont_len(&self.buf, 1) else { return Act::None };
                if two && Self::cont_len(&self.buf, 1 + l1).is_none() {
                    return Act::None;
                }
                Act::Send
            }
        }
    }

    fn ctxt_len(&self, info: u8) -> usize {
        let v = if info & 0x40 != 0 { self.cfg.vmid_bytes() } else { 0 };
        let c = if info & 0x80 != 0 { self.cfg.cid_bytes() } else { 0 };
        v + c
    }

    fn parse_ctxt(&mut self, at: usize) {
        let info = self.buf[at];
        let mut c = Context {
            updated: true,
            el: info & 3,
            ns: (info >> 5) & 1 == 1,
            sf: (info >> 4) & 1 == 1,
            nse: self.cfg.is_ete() && (info >> 3) & 1 == 1,
            vmid: None,
            ctxt_id: None,
        };
        let mut p = at + 1;
        let le = |s: &[u8]| s.iter().enumerate().fold(0u32, |a, (i, &x)| a | (x as u32) << (8 * i));
        if info & 0x40 != 0 {
            let nb = self.cfg.vmid_bytes();
            c.vmid = Some(le(&self.buf[p..p + nb]));
            p += nb;
        }
        if info & 0x80 != 0 {
            let nb = self.cfg.cid_bytes();
            c.ctxt_id = Some(le(&self.buf[p..p + nb]));
        }
        self.pkt.ctxt = c;
    }

    fn context(&mut self, b: u8) -> Act {
        let n = self.buf.len();
        if n == 1 {
            if b & 1 == 0 {
                self.pkt.ctxt = Context::default();
                return Act::Send;
            }
            return Act::None;
        }
        if n == 2 + self.ctxt_len(self.buf[1]) {
            self.parse_ctxt(1);
            return Act::Send;
        }
        Act::None
    }

    fn long_addr_val(&self, at: usize, is: u8, bytes: usize) -> u64 {
        long_addr_from(&self.buf[at..at + bytes], is)
    }
}

/// A long address field (4 or 8 bytes): IS0 addresses are word aligned, IS1 half-word.
fn long_addr_from(b: &[u8], is: u8) -> u64 {
    let mut v = if is == 0 {
        ((b[0] & 0x7f) as u64) << 2 | ((b[1] & 0x7f) as u64) << 9
    } else {
        ((b[0] & 0x7f) as u64) << 1 | (b[1] as u64) << 8
    };
    for (i, &x) in b.iter().enumerate().skip(2) {
        v |= (x as u64) << (8 * i);
    }
    v
}

/// A short address field starting at `b[0]`: (value, bits).
fn short_from(b: &[u8], is: u8) -> (u64, u32) {
    let sh = if is == 0 { 2 } else { 1 };
    let mut v = ((b[0] & 0x7f) as u64) << sh;
    let mut bits = 7;
    if b[0] & 0x80 != 0 {
        v |= (b[1] as u64) << (7 + sh);
        bits += 8;
    }
    (v, bits + sh)
}

impl PacketDecoder {
    fn addr_shape(&self) -> (u8, usize) {
        use PacketKind as K;
        match self.pkt.kind {
            K::AddrCtxtL32Is0 | K::AddrL32Is0 | K::SrcAddrL32Is0 => (0, 4),
            K::AddrCtxtL32Is1 | K::AddrL32Is1 | K::SrcAddrL32Is1 => (1, 4),
            K::AddrCtxtL64Is0 | K::AddrL64Is0 | K::SrcAddrL64Is0 => (0, 8),
            _ => (1, 8),
        }
    }

    fn addr_ctxt(&mut self) -> Act {
        let (is, nb) = self.addr_shape();
        let n = self.buf.len();
        if n < 2 + nb {
            return Act::None;
        }
        if n < 2 + nb + self.ctxt_len(self.buf[1 + nb]) {
            return Act::None;
        }
        let v = self.long_addr_val(1, is, nb);
        self.set_addr_bits(v, if nb == 8 { 64 } else { 32 }, is);
        self.parse_ctxt(1 + nb);
        Act::Send
    }

    fn long_addr(&mut self) -> Act {
        let (is, nb) = self.addr_shape();
        if self.buf.len() < 1 + nb {
            return Act::None;
        }
        let v = self.long_addr_val(1, is, nb);
        self.set_addr_bits(v, if nb == 8 { 64 } else { 32 }, is);
        Act::Send
    }

    /// A short address field at `at`: (value, bits, length).
    fn short_val(&self, at: usize, is: u8) -> (u64, u32, usize) {
        let (v, bits) = short_from(&self.buf[at..], is);
        (v, bits, if self.buf[at] & 0x80 != 0 { 2 } else { 1 })
    }

    fn short_addr(&mut self, b: u8) -> Act {
        let n = self.buf.len();
        if n < 2 || (n == 2 && b & 0x80 != 0) {
            return Act::None;
        }
        let is = if matches!(self.pkt.kind, PacketKind::AddrSIs1 | PacketKind::SrcAddrSIs1) { 1 } else { 0 };
        let (v, bits, _) = self.short_val(1, is);
        self.set_addr_bits(v, bits, is);
        Act::Send
    }

    fn q(&mut self) -> Act {
        let t = self.buf[0] & 0xf;
        self.pkt.q_type = t;
        let mut i = 1;
        let (is, short, has_addr, matched) = match t {
            0..=2 => (1, true, true, true),
            5 => (0, true, true, false),
            6 => (1, true, true, false),
            0xa => (0, false, true, false),
            0xb => (1, false, true, false),
            _ => (1, true, false, false),
        };
        if t == 0xf {
            self.pkt.q_has_addr = false;
            self.pkt.q_count = 0;
            return Act::Send;
        }
        let mut addr = None;
        if has_addr && !matched {
            if short {
                let Some(&b0) = self.buf.get(i) else { return Act::None };
                let len = if b0 & 0x80 != 0 { 2 } else { 1 };
                if self.buf.len() < i + len {
                    return Act::None;
                }
                addr = Some((i, len));
                i += len;
            } else {
                if self.buf.len() < i + 4 {
                    return Act::None;
                }
                addr = Some((i, 4));
                i += 4;
            }
        }
        let Some(len) = Self::cont_len(&self.buf, i) else { return Act::None };
        let count = Self::cont_field(&self.buf, i, len.min(5)).map(|x| x.0).unwrap_or(0);
        if matched {
            self.exact_match(t & 3);
        } else if let Some((at, l)) = addr {
            if short {
                let (v, bits, _) = self.short_val(at, is);
                self.set_addr_bits(v, bits, is);
            } else {
                let v = self.long_addr_val(at, is, l);
                self.set_addr_bits(v, 32, is);
            }
        }
        self.pkt.q_has_addr = has_addr;
        self.pkt.q_count = count as u32;
        Act::Send
    }

    fn atom(&mut self, b: u8) -> Act {
        let (bits, cnt): (u64, u8) = match self.pkt.kind {
            PacketKind::AtomF1 => ((b & 1) as u64, 1),
            PacketKind::AtomF2 => ((b & 3) as u64, 2),
            PacketKind::AtomF3 => ((b & 7) as u64, 3),
            PacketKind::AtomF4 => ([0xe, 0x0, 0xa, 0x5][(b & 3) as usize], 4),
            PacketKind::AtomF5 => match ((b & 0x20) >> 3) | (b & 3) {
                5 => (0x1e, 5),
                1 => (0x00, 5),
                2 => (0x0a, 5),
                3 => (0x15, 5),
                _ => (0, 0),
            },
            _ => {
                let e = (b & 0x1f) as u32 + 3;
                let mut p = (1u64 << e) - 1;
                if b & 0x20 == 0 {
                    p |= 1 << e;
                }
                (p, (e + 1) as u8)
            }
        };
        self.pkt.atom_bits = bits;
        self.pkt.atom_count = cnt;
        Act::Send
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(cfg: &EtmConfig, data: &[u8]) -> Vec<(u64, PacketKind, Vec<u8>, Packet)> {
        let mut d = PacketDecoder::new(cfg);
        let mut out = Vec::new();
        let mut sink = |p: &Packet, b: &[u8]| out.push((p.index, p.kind, b.to_vec(), *p));
        d.push_slice(data, 0, &mut sink);
        d.finish(&mut sink);
        out
    }

    const ASYNC: [u8; 12] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x80];

    #[test]
    fn endless_continuation_bytes_are_a_bad_sequence_not_a_growing_packet() {
        // Each of these headers is followed by continuation fields; 0xff bytes never end
        // them. The decoder gives up after a bounded packet and hunts for the next A-Sync.
        let cfg = EtmConfig::etm4_default(0x10);
        for hdr in [&[0x0eu8][..], &[0x01], &[0x03, 0x80]] {
            let mut data = ASYNC.to_vec();
            data.extend_from_slice(&[0x01, 0x00]);
            data.extend_from_slice(hdr);
            data.extend_from_slice(&[0xff; 200]);
            data.extend_from_slice(&ASYNC);
            data.push(0x04);
            let p = decode(&cfg, &data);
            let bad = p.iter().find(|x| x.1 == PacketKind::BadSequence).expect("a bad sequence");
            assert!(bad.2.len() <= MAX_PACKET, "{hdr:x?}");
            assert_eq!(p.last().map(|x| x.1), Some(PacketKind::TraceOn), "{hdr:x?}: resync");
        }
    }

    #[test]
    fn a_huge_cycle_count_threshold_wraps_instead_of_overflowing() {
        // TRACE INFO with only CYCT present, a corrupt 32-bit threshold, then cycle counts of
        // all three formats: 32-bit wrapping sums, no overflow panic in debug builds.
        let mut data = ASYNC.to_vec();
        data.extend_from_slice(&[0x01, 0x08, 0xff, 0xff, 0xff, 0xff, 0x0f]);
        data.extend_from_slice(&[0x0c, 0x1f, 0x13, 0x0e, 0x00, 0x05]);
        let cfg = EtmConfig::etm4_default(0x10);
        let cc: Vec<_> = decode(&cfg, &data).iter().filter_map(|x| x.3.cc).collect();
        assert_eq!(cc, vec![14, 2, 4]);
    }

    #[test]
    fn garbage_before_async_comes_out_in_eight_byte_chunks() {
        let mut data = vec![0x11; 10];
        data.extend_from_slice(&ASYNC);
        data.extend_from_slice(&[0x01, 0x00, 0x04]);
        let p = decode(&EtmConfig::etm4_default(0x10), &data);
        let kinds: Vec<_> = p.iter().map(|x| (x.0, x.1, x.2.len())).collect();
        assert_eq!(
            kinds,
            vec![
                (0, PacketKind::NotSync, 8),
                (8, PacketKind::NotSync, 2),
                (10, PacketKind::Async, 12),
                (22, PacketKind::TraceInfo, 2),
                (24, PacketKind::TraceOn, 1)
            ]
        );
    }

    #[test]
    fn atoms_addresses_and_exact_match_history() {
        let mut data = ASYNC.to_vec();
        data.extend_from_slice(&[0x01, 0x00]);
        // long 64-bit IS0 address 0xffffffc000081000
        data.extend_from_slice(&[0x9d, 0x00, 0x08, 0x08, 0x00, 0xc0, 0xff, 0xff, 0xff]);
        data.extend_from_slice(&[0x95, 0x05]); // short: low 9 bits = 0x14
        data.push(0x91); // exact match entry 1 -> the long address
        data.push(0xfd); // F3 ENE
        data.push(0xe4); // F6: 7 E then N
        let p = decode(&EtmConfig::etm4_default(0x10), &data);
        assert_eq!(p[2].1, PacketKind::AddrL64Is0);
        assert_eq!(p[2].3.addr, 0xffff_ffc0_0008_1000);
        assert_eq!(p[3].3.addr, 0xffff_ffc0_0008_1014);
        assert_eq!(p[4].1, PacketKind::AddrMatch);
        assert_eq!(p[4].3.addr, 0xffff_ffc0_0008_1000);
        assert_eq!((p[5].3.atom_bits, p[5].3.atom_count), (0b101, 3));
        assert_eq!((p[6].3.atom_bits, p[6].3.atom_count), (0x7f, 8));
    }

    #[test]
    fn every_kind_in_the_issue_parses() {
        let cfg = EtmConfig::ete_default(1);
        let mut ete = cfg.clone();
        ete.trcidr0 |= 1 << 23;
        ete.trcdevarch = 0x4773_5a13; // ETE 1.3: ITE packets
        let seq: Vec<(&[u8], PacketKind)> = vec![
            (&[0x01, 0x09, 0x01, 0x16], PacketKind::TraceInfo),
            (&[0x02, 0x81, 0x01], PacketKind::Timestamp),
            (&[0x04], PacketKind::TraceOn),
            (&[0x0e, 0x05], PacketKind::CcntF1),
            (&[0x0c, 0x21], PacketKind::CcntF2),
            (&[0x13], PacketKind::CcntF3),
            (&[0x2d, 0x02], PacketKind::Commit),
            (&[0x2e, 0x01], PacketKind::CancelF1),
            (&[0x31], PacketKind::Mispredict),
            (&[0x35], PacketKind::CancelF2),
            (&[0x3b], PacketKind::CancelF3),
            (&[0x00, 0x03], PacketKind::Discard),
            (&[0x00, 0x05], PacketKind::Overflow),
            (&[0x70], PacketKind::Ignore),
            (&[0x72], PacketKind::Event),
            (&[0x81, 0x31], PacketKind::Ctxt),
            (&[0x88], PacketKind::TsMarker),
            (&[0x06, 0x08], PacketKind::Except),
            (&[0x06, 0x00, 0x00], PacketKind::PeReset),
            (&[0x06, 0x30, 0x00], PacketKind::TransFail),
            (&[0x0a], PacketKind::TransSt),
            (&[0x0b], PacketKind::TransCommit),
            (&[0x09, 0x01, 1, 2, 3, 4, 5, 6, 7, 8], PacketKind::Ite),
            (&[0xb4, 0x05], PacketKind::SrcAddrSIs0),
            (&[0xb6, 0x01, 0x02, 0x03, 0x04], PacketKind::SrcAddrL32Is0),
            (&[0xb0], PacketKind::SrcAddrMatch),
            (&[0xa5, 0x05, 0x03], PacketKind::Q),
            (&[0xaf], PacketKind::Q),
            (&[0xdc], PacketKind::AtomF4),
            (&[0xd5], PacketKind::AtomF5),
            (&[0x0d, 0x00], PacketKind::CcntF2),
        ];
        let mut data = ASYNC.to_vec();
        for (b, _) in &seq {
            data.extend_from_slice(b);
        }
        let p = decode(&ete, &data);
        assert_eq!(p.len(), seq.len() + 1);
        for (got, (bytes, want)) in p[1..].iter().zip(&seq) {
            assert_eq!(got.1, *want, "bytes {bytes:x?}");
            assert_eq!(got.2, bytes.to_vec());
        }
        assert_eq!(p[1].3.tinfo.cyct, 0x16);
        assert_eq!(p[4].3.cc, Some(0x16 + 5));
        assert_eq!(p[3].3.commit, 0);
        assert_eq!(p[6].3.cc, Some(0x16 + 3));
        assert_eq!(p[10].3.cancel, 1);
        assert_eq!(p[11].3.cancel, 3);
    }

    #[test]
    fn reserved_header_is_an_error_and_decoding_resyncs_at_the_next_async() {
        let mut data = ASYNC.to_vec();
        data.extend_from_slice(&[0x01, 0x00, 0x08, 0xf7]);
        data.extend_from_slice(&ASYNC);
        data.push(0xf7);
        let p = decode(&EtmConfig::etm4_default(0x10), &data);
        let kinds: Vec<_> = p.iter().map(|x| x.1).collect();
        assert_eq!(
            kinds,
            vec![
                PacketKind::Async,
                PacketKind::TraceInfo,
                PacketKind::Reserved,
                PacketKind::NotSync,
                PacketKind::Async,
                PacketKind::AtomF1
            ]
        );
    }

    #[test]
    fn truncated_packet_at_end_is_incomplete() {
        let mut data = ASYNC.to_vec();
        data.extend_from_slice(&[0x01, 0x00, 0x9d, 0x00]);
        let p = decode(&EtmConfig::etm4_default(0x10), &data);
        assert_eq!(p.last().unwrap().1, PacketKind::IncompleteEot);
        assert_eq!(p.last().unwrap().2, vec![0x9d, 0x00]);
    }
}
