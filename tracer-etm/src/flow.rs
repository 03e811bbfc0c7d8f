//! Flow reconstruction: turns one trace ID's packets into generic elements by walking the
//! code image from waypoint to waypoint.
//!
//! Packets first become entries on a speculation stack (newest at the front); commit, cancel,
//! mispredict and discard resolve them, oldest first, into elements. The ordering rules follow
//! the ETMv4/ETE architecture and OpenCSD's observable behaviour, so the output matches its
//! listings element for element.

use std::collections::VecDeque;

use crate::blocks::BlockCache;
use crate::config::EtmConfig;
use crate::element::{Element, ElementKind, InstrRange, Isa, MemTrans, PeContext, Security, UnsyncReason};
use crate::insn::{InsnInfo, InsnSubType, InsnType};
use crate::packet::{Context, Packet, PacketKind};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum P0Kind {
    Atom {
        bits: u64,
        count: u8,
    },
    /// An address and its IS bit.
    Addr {
        addr: u64,
        is: u8,
    },
    Ctxt(Context),
    TrcOn,
    Excep {
        prev_same: bool,
        number: u16,
        reset: bool,
    },
    ExcepRet,
    Event(u8),
    Ts {
        ts: u64,
        cc: Option<u32>,
    },
    Cc(u32),
    Marker,
    Q {
        count: u32,
        addr: Option<u64>,
    },
    SrcAddr {
        addr: u64,
        is: u8,
    },
    Trans(MemTrans),
    Ite {
        el: u8,
        value: u64,
    },
    Unseen,
    Tinfo,
}

#[derive(Clone, Copy, Debug)]
struct P0 {
    kind: P0Kind,
    index: u64,
    p0: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    NoSync,
    WaitSync,
    WaitTinfo,
    Decode,
}

#[derive(Default, Clone, Copy)]
struct Res {
    commit: i64,
    cancel: i64,
    mispredict: bool,
    discard: bool,
}

/// Decoder options (the `trc_pkt_lister` flags that change element output).
#[derive(Clone, Copy, Debug, Default)]
pub struct FlowOptions {
    /// Split source-address ranges at not-taken branches (`--src-addr-n`).
    pub src_addr_n_atoms: bool,
}

struct RetStack {
    active: bool,
    entries: Vec<u64>,
    overflow: bool,
    tinfo_wait: bool,
}

impl RetStack {
    fn push(&mut self, a: u64) {
        if self.entries.len() == 15 {
            self.entries.remove(0);
        }
        self.entries.push(a);
    }
    fn pop(&mut self) -> Option<u64> {
        let v = self.entries.pop();
        if v.is_none() {
            self.overflow = true;
        }
        v
    }
    fn flush(&mut self) {
        self.entries.clear();
        self.overflow = false;
    }
}

/// The decoder for one trace source.
pub struct FlowDecoder {
    cfg: EtmConfig,
    opts: FlowOptions,
    csid: u8,
    state: State,
    unsync: UnsyncReason,
    stack: VecDeque<P0>,
    spec_depth: i64,
    max_spec: i64,
    res: Res,
    need_ctxt: bool,
    need_addr: bool,
    need_addr_elem: bool,
    pending_addr: bool,
    prev_overflow: bool,
    permit_ts: bool,
    instr_addr: u64,
    /// Block known to start at `instr_addr`.
    hint: Option<(u64, u32)>,
    last_insn: InsnInfo,
    ctx: Option<(u8, Security)>,
    is_secure: bool,
    rs: RetStack,
    index_curr: u64,
    last_vmid: Option<u32>,
    last_cid: Option<u32>,
    /// The PE is in AArch64 state (the last context's SF; assumed until a context says).
    aarch64: bool,
    /// The IS bit of the last address: in AArch32 state, T32 rather than A32.
    addr_is: u8,
}

enum Walk {
    Found,
    Nacc,
}

impl FlowDecoder {
    pub fn new(cfg: &EtmConfig, opts: FlowOptions) -> FlowDecoder {
        let mut d = FlowDecoder {
            cfg: cfg.clone(),
            opts,
            csid: cfg.trace_id(),
            state: State::NoSync,
            unsync: UnsyncReason::InitDecoder,
            stack: VecDeque::new(),
            spec_depth: 0,
            max_spec: cfg.max_spec_depth() as i64,
            res: Res::default(),
            need_ctxt: true,
            need_addr: true,
            need_addr_elem: true,
            pending_addr: false,
            prev_overflow: false,
            permit_ts: true,
            instr_addr: 0,
            hint: None,
            last_insn: InsnInfo::OTHER,
            ctx: None,
            is_secure: true,
            rs: RetStack {
                active: cfg.ret_stack_enabled(),
                entries: Vec::new(),
                overflow: false,
                tinfo_wait: false,
            },
            index_curr: 0,
            last_vmid: None,
            last_cid: None,
            aarch64: true,
            addr_is: 0,
        };
        d.reset_state();
        d
    }

    pub fn trace_id(&self) -> u8 {
        self.csid
    }

    fn reset_state(&mut self) {
        self.state = State::NoSync;
        self.is_secure = true;
        self.spec_depth = 0;
        self.need_ctxt = true;
        self.set_need_addr_elem();
        self.pending_addr = false;
        self.prev_overflow = false;
        self.stack.clear();
        self.res = Res::default();
        self.permit_ts = !self.cfg.has_ts_marker();
        self.last_vmid = None;
        self.last_cid = None;
    }

    /// Starts a new session (`--multi-session`): everything is forgotten.
    pub fn reset(&mut self) {
        self.unsync = UnsyncReason::ResetDecoder;
        self.reset_state();
        self.ctx = None;
    }

    fn set_need_addr_elem(&mut self) {
        self.need_addr = true;
        self.need_addr_elem = true;
    }

    fn clear_need_addr(&mut self) {
        self.need_addr = false;
        self.need_addr_elem = false;
    }

    fn set_addr(&mut self, a: u64) {
        self.instr_addr = a;
    }

    fn emit(&self, out: &mut Vec<Element>, index: u64, kind: ElementKind) {
        out.push(Element { index, trace_id: self.csid, kind });
    }

    /// A packet error: back to unsynchronised.
    fn bad(&mut self, reason: UnsyncReason) {
        self.reset_state();
        self.unsync = reason;
    }

    /// Feeds one packet; elements it resolves are appended to `out`.
    pub fn packet(&mut self, p: &Packet, code: &mut BlockCache, out: &mut Vec<Element>) {
        self.index_curr = p.index;
        loop {
            match self.state {
                State::NoSync => {
                    self.emit(out, p.index, ElementKind::NoSync(self.unsync));
                    self.state = State::WaitSync;
                }
                State::WaitSync => {
                    if p.kind == PacketKind::Async {
                        self.state = State::WaitTinfo;
                        self.need_ctxt = true;
                        self.set_need_addr_elem();
                    }
                    return;
                }
                State::WaitTinfo => {
                    if p.kind == PacketKind::TraceInfo {
                        self.trace_info(p);
                        self.state = State::Decode;
                        self.rs.flush();
                    } else if self.cfg.is_ete() && p.kind == PacketKind::Event {
                        self.decode_packet(p);
                    }
                    return;
                }
                State::Decode => {
                    if !self.atoms_fast(p, code, out) {
                        self.decode_packet(p);
                        if self.state != State::Decode {
                            return;
                        }
                        self.resolve(code, out);
                    }
                    // an error or discard while resolving reports the loss of sync at once
                    if self.state != State::NoSync {
                        return;
                    }
                }
            }
        }
    }

    /// End of the trace: flush what can be flushed and say so.
    pub fn finish(&mut self, _code: &mut BlockCache, out: &mut Vec<Element>) {
        while let Some(e) = self.stack.back().copied() {
            match e.kind {
                P0Kind::Atom { .. }
                | P0Kind::TrcOn
                | P0Kind::Excep { .. }
                | P0Kind::ExcepRet
                | P0Kind::Q { .. }
                | P0Kind::Unseen => {
                    self.stack.clear();
                    break;
                }
                P0Kind::Trans(MemTrans::Fail) | P0Kind::Trans(MemTrans::Commit)
                    if self.max_spec == 0 || self.spec_depth == 0 =>
                {
                    self.trans(e, out);
                }
                P0Kind::Event(_) | P0Kind::Ts { .. } | P0Kind::Cc(_) => self.ts_cc_event(e, out),
                P0Kind::Marker => self.marker(e, out),
                P0Kind::Ite { el, value } => {
                    self.emit(out, e.index, ElementKind::Instrumentation { el, value })
                }
                _ => {}
            }
            self.stack.pop_back();
        }
        let r = if self.prev_overflow { UnsyncReason::Overflow } else { UnsyncReason::EndOfTrace };
        self.emit(out, self.index_curr, ElementKind::EoTrace(r));
    }

    fn trace_info(&mut self, p: &Packet) {
        self.spec_depth = p.tinfo.spec as i64;
        for _ in 0..p.tinfo.spec.min(4096) {
            self.stack.push_front(P0 { kind: P0Kind::Unseen, index: p.index, p0: true });
        }
        self.stack.push_front(P0 { kind: P0Kind::Tinfo, index: p.index, p0: false });
        if p.tinfo.info & 0x40 != 0 {
            self.stack.push_front(P0 { kind: P0Kind::Trans(MemTrans::Init), index: p.index, p0: false });
        }
    }

    fn push(&mut self, kind: P0Kind, index: u64, p0: bool) {
        self.stack.push_front(P0 { kind, index, p0 });
    }

    fn decode_packet(&mut self, p: &Packet) {
        use PacketKind as K;
        let mut is_addr = false;
        let i = p.index;
        match p.kind {
            K::NotSync | K::Extension | K::BadSequence | K::BadTraceMode | K::Reserved | K::ReservedCfg => {
                self.bad(UnsyncReason::BadPacket);
                return;
            }
            K::CondIF1
            | K::CondIF2
            | K::CondIF3
            | K::CondFlush
            | K::CondResF1
            | K::CondResF2
            | K::CondResF3
            | K::CondResF4
            | K::NumDsMkr
            | K::UnnumDsMkr => {
                self.bad(UnsyncReason::BadPacket);
                return;
            }
            K::IncompleteEot | K::Async | K::Ignore | K::TraceInfo | K::FuncRet => {}
            K::TraceOn => self.push(P0Kind::TrcOn, i, false),
            K::AtomF1 | K::AtomF2 | K::AtomF3 | K::AtomF4 | K::AtomF5 | K::AtomF6 => {
                self.push(P0Kind::Atom { bits: p.atom_bits, count: p.atom_count }, i, true);
                self.spec_depth += p.atom_count as i64;
            }
            K::Ctxt => self.push(P0Kind::Ctxt(p.ctxt), i, false),
            K::AddrMatch
            | K::AddrSIs0
            | K::AddrSIs1
            | K::AddrL32Is0
            | K::AddrL32Is1
            | K::AddrL64Is0
            | K::AddrL64Is1 => {
                self.push(P0Kind::Addr { addr: p.addr, is: p.addr_is }, i, false);
                is_addr = true;
            }
            K::AddrCtxtL32Is0 | K::AddrCtxtL32Is1 | K::AddrCtxtL64Is0 | K::AddrCtxtL64Is1 => {
                self.push(P0Kind::Addr { addr: p.addr, is: p.addr_is }, i, false);
                self.push(P0Kind::Ctxt(p.ctxt), i, false);
                is_addr = true;
            }
            K::SrcAddrMatch
            | K::SrcAddrSIs0
            | K::SrcAddrSIs1
            | K::SrcAddrL32Is0
            | K::SrcAddrL32Is1
            | K::SrcAddrL64Is0
            | K::SrcAddrL64Is1 => {
                self.push(P0Kind::SrcAddr { addr: p.addr, is: p.addr_is }, i, true);
                self.spec_depth += 1;
            }
            K::Except | K::PeReset => {
                let reset = p.kind == K::PeReset;
                self.push(
                    P0Kind::Excep { prev_same: p.exc_addr_interp == 2, number: p.exc_type, reset },
                    i,
                    true,
                );
                if reset {
                    // A PE reset is a P0 element with no address to wait for.
                    self.spec_depth += 1;
                } else {
                    self.pending_addr = true;
                }
            }
            K::ExceptRtn => self.push(P0Kind::ExcepRet, i, false),
            K::Event => self.push(P0Kind::Event(p.event), i, false),
            K::CcntF1 | K::CcntF2 | K::CcntF3 => {
                self.push(P0Kind::Cc(p.cc.unwrap_or(0)), i, false);
                self.res.commit = p.commit as i64;
            }
            K::Timestamp => {
                let cc = if self.cfg.cc_enabled() { Some(p.cc.unwrap_or(0)) } else { None };
                self.push(P0Kind::Ts { ts: p.ts, cc }, i, false);
            }
            K::TsMarker => self.push(P0Kind::Marker, i, false),
            K::Mispredict | K::CancelF1Mispred | K::CancelF2 | K::CancelF3 | K::CancelF1 => {
                if p.kind != K::CancelF1 {
                    self.res.mispredict = true;
                    if p.atom_count > 0 {
                        self.push(P0Kind::Atom { bits: p.atom_bits, count: p.atom_count }, i, true);
                        self.spec_depth += p.atom_count as i64;
                    }
                }
                self.res.cancel = p.cancel as i64;
            }
            K::Commit => self.res.commit = p.commit as i64,
            K::Overflow | K::Discard => {
                if p.kind == K::Overflow {
                    self.prev_overflow = true;
                }
                self.spec_depth = 0;
                self.res.discard = true;
            }
            K::Q => {
                let addr = if p.q_has_addr { Some(p.addr) } else { None };
                self.push(P0Kind::Q { count: p.q_count, addr }, i, true);
                if addr.is_some() {
                    self.spec_depth += 1;
                } else {
                    self.pending_addr = true;
                }
            }
            K::TransSt => self.push(P0Kind::Trans(MemTrans::Start), i, false),
            K::TransCommit => self.push(P0Kind::Trans(MemTrans::Commit), i, false),
            K::TransFail => self.push(P0Kind::Trans(MemTrans::Fail), i, false),
            K::Ite => self.push(P0Kind::Ite { el: p.ite_el, value: p.ite_value }, i, false),
        }
        if is_addr && self.pending_addr {
            self.spec_depth += 1;
            self.pending_addr = false;
        }
        if self.spec_depth > self.max_spec {
            self.res.commit = self.spec_depth - self.max_spec;
        }
    }

    fn for_res(&self) -> bool {
        self.res.commit > 0 || self.res.cancel > 0 || self.res.mispredict || self.res.discard
    }

    fn resolve(&mut self, code: &mut BlockCache, out: &mut Vec<Element>) {
        while self.for_res() && self.state == State::Decode {
            if self.res.commit > 0 && !self.commit(code, out) {
                return;
            }
            if self.res.commit <= 0 {
                self.res.commit = 0;
                if self.res.cancel > 0 && !self.cancel() {
                    return;
                }
                if self.res.mispredict && !self.mispredict() {
                    return;
                }
                if self.res.discard {
                    self.discard(out);
                }
            }
        }
    }

    fn commit(&mut self, code: &mut BlockCache, out: &mut Vec<Element>) -> bool {
        let req = self.res.commit;
        while self.res.commit > 0 {
            let Some(e) = self.stack.back().copied() else {
                self.bad(UnsyncReason::BadPacket);
                return false;
            };
            match self.commit_entry(e, code, out) {
                None => return false,
                Some(true) => {
                    self.stack.pop_back();
                }
                Some(false) => {}
            }
        }
        self.spec_depth -= req - self.res.commit;
        true
    }

    /// Resolves the oldest entry `e`; `Some(pop)` says whether it is used up, `None` that
    /// decoding lost sync.
    fn commit_entry(&mut self, e: P0, code: &mut BlockCache, out: &mut Vec<Element>) -> Option<bool> {
        let mut pop = true;
        match e.kind {
            P0Kind::TrcOn => {
                self.emit(out, e.index, ElementKind::TraceOn { overflow: self.prev_overflow });
                self.prev_overflow = false;
            }
            P0Kind::Addr { addr, is } => {
                self.rs.tinfo_wait = false;
                self.set_addr(addr);
                self.addr_is = is;
                self.clear_need_addr();
            }
            P0Kind::Ctxt(c) => {
                if c.updated {
                    self.update_context(&c, e.index, out);
                }
            }
            P0Kind::Event(_) | P0Kind::Ts { .. } | P0Kind::Cc(_) => self.ts_cc_event(e, out),
            P0Kind::Marker => self.marker(e, out),
            P0Kind::Atom { mut bits, mut count } => {
                while count > 0 && self.res.commit > 0 {
                    let taken = bits & 1 == 1;
                    bits >>= 1;
                    count -= 1;
                    if !self.return_stack_pop() {
                        return None;
                    }
                    if !self.need_ctxt && !self.need_addr {
                        self.process_atom(taken, e.index, code, out);
                    }
                    self.res.commit -= 1;
                }
                if count > 0 {
                    pop = false;
                    if let Some(b) = self.stack.back_mut() {
                        b.kind = P0Kind::Atom { bits, count };
                    }
                }
            }
            P0Kind::Excep { .. } => {
                pop = false;
                if !self.process_exception(code, out) {
                    return None;
                }
                self.res.commit -= 1;
            }
            P0Kind::ExcepRet => self.emit(out, e.index, ElementKind::ExceptionRet),
            P0Kind::SrcAddr { addr, is } => {
                self.addr_is = is;
                self.process_src_addr(addr, e.index, code, out);
                self.res.commit -= 1;
            }
            P0Kind::Q { .. } => {
                pop = false;
                if !self.process_q(code, out) {
                    return None;
                }
                self.res.commit -= 1;
            }
            P0Kind::Trans(_) => self.trans(e, out),
            P0Kind::Ite { el, value } => self.emit(out, e.index, ElementKind::Instrumentation { el, value }),
            P0Kind::Unseen => self.res.commit -= 1,
            P0Kind::Tinfo => {
                self.rs.tinfo_wait = true;
                self.rs.flush();
            }
        }
        Some(pop)
    }

    /// Non-speculative trace (maximum speculation depth 0) commits an atom packet at once,
    /// after everything queued before it. When nothing queued is a P0 element, resolve the
    /// queue and the atoms directly instead of queueing the atoms first. Returns false when
    /// the general path must be taken.
    fn atoms_fast(&mut self, p: &Packet, code: &mut BlockCache, out: &mut Vec<Element>) -> bool {
        use PacketKind as K;
        if !matches!(p.kind, K::AtomF1 | K::AtomF2 | K::AtomF3 | K::AtomF4 | K::AtomF5 | K::AtomF6)
            || self.max_spec != 0
            || self.pending_addr
            || self.for_res()
            || p.atom_count == 0
            || self.stack.iter().any(|e| e.p0)
        {
            return false;
        }
        while let Some(e) = self.stack.back().copied() {
            match self.commit_entry(e, code, out) {
                None => return true,
                Some(true) => {
                    self.stack.pop_back();
                }
                Some(false) => {}
            }
        }
        let mut bits = p.atom_bits;
        for _ in 0..p.atom_count {
            let taken = bits & 1 == 1;
            bits >>= 1;
            if !self.return_stack_pop() {
                return true;
            }
            if !self.need_ctxt && !self.need_addr {
                self.process_atom(taken, p.index, code, out);
            }
        }
        true
    }

    fn return_stack_pop(&mut self) -> bool {
        if !self.need_addr || self.need_addr_elem {
            return true;
        }
        if self.rs.active && !self.rs.tinfo_wait {
            match self.rs.pop() {
                Some(a) => {
                    self.set_addr(a);
                    self.clear_need_addr();
                }
                None => {
                    self.bad(UnsyncReason::BadPacket);
                    return false;
                }
            }
        }
        true
    }

    fn mem_space(&self) -> u32 {
        match self.ctx {
            None => {
                if self.is_secure {
                    0x19
                } else {
                    0x6
                }
            }
            Some((el, sec)) => {
                let el = (el & 3) as usize;
                match sec {
                    Security::Secure => [0x1, 0x1, 0x10, 0x8][el],
                    Security::NonSecure => [0x2, 0x2, 0x4, 0x8][el],
                    Security::Realm => [0x20, 0x20, 0x40, 0x80][el],
                    Security::Root => 0x80,
                }
            }
        }
    }

    fn update_context(&mut self, c: &Context, index: u64, out: &mut Vec<Element>) {
        let security = match (c.nse, c.ns) {
            (true, true) => Security::Realm,
            (true, false) => Security::Root,
            (false, true) => Security::NonSecure,
            (false, false) => Security::Secure,
        };
        self.is_secure = !c.ns;
        self.aarch64 = c.sf;
        self.ctx = Some((c.el, security));
        self.need_ctxt = false;
        // like OpenCSD's output element, VMID and context ID stay shown once seen
        if c.vmid.is_some() {
            self.last_vmid = c.vmid;
        }
        if c.ctxt_id.is_some() {
            self.last_cid = c.ctxt_id;
        }
        let pc = PeContext { el: c.el, security, bits64: c.sf, vmid: self.last_vmid, ctxt_id: self.last_cid };
        self.emit(out, index, ElementKind::PeContext(pc));
    }

    fn range(&self, start: u64, end: u64, n: u32, executed: bool) -> ElementKind {
        ElementKind::InstrRange(InstrRange {
            start,
            end,
            num_instr: n,
            last_size: 4,
            executed,
            last_type: self.last_insn.ty,
            last_sub: self.last_insn.sub,
            last_cond: self.last_insn.cond,
        })
    }

    /// Walks from `instr_addr` to the next waypoint; leaves `instr_addr` after it.
    fn walk_to_wp(&mut self, code: &mut BlockCache) -> (u64, u32, Walk, u32) {
        let start = self.instr_addr;
        let id = match self.hint {
            Some((a, id)) if a == start => id,
            _ => {
                // unmapped code (common in kernel traces with a partial image): no block
                if code.read_word(start).is_none() {
                    return (start, 0, Walk::Nacc, u32::MAX);
                }
                code.block_id(start)
            }
        };
        let b = *code.block(id);
        self.instr_addr = b.end;
        if b.num_instr > 0 {
            self.last_insn = b.last;
        }
        (start, b.num_instr, if b.nacc { Walk::Nacc } else { Walk::Found }, id)
    }

    /// In A32 or T32 code, which is not walked: reports the gap and waits for an address
    /// (in A64 code, or another A32/T32 one for the next gap). True when there is a gap.
    fn isa_gap(&mut self, index: u64, out: &mut Vec<Element>) -> bool {
        self.isa_gap_in(Isa::of(self.aarch64, self.addr_is), index, out)
    }

    fn isa_gap_in(&mut self, isa: Isa, index: u64, out: &mut Vec<Element>) -> bool {
        if isa == Isa::A64 {
            return false;
        }
        self.hint = None;
        self.set_need_addr_elem();
        self.emit(out, index, ElementKind::UnsupportedIsa { addr: self.instr_addr, isa });
        true
    }

    fn process_atom(&mut self, taken: bool, index: u64, code: &mut BlockCache, out: &mut Vec<Element>) {
        if self.isa_gap(index, out) {
            return;
        }
        let (start, n, w, id) = self.walk_to_wp(code);
        self.hint = None;
        match w {
            Walk::Found => {
                let next = self.instr_addr;
                let li = self.last_insn;
                let mut eret = false;
                match li.ty {
                    InsnType::Branch => {
                        if taken {
                            self.instr_addr = li.target;
                            if li.link {
                                self.rs.push(next);
                            }
                            self.hint = Some((li.target, code.successor(id, true)));
                        } else {
                            self.hint = Some((next, code.successor(id, false)));
                        }
                    }
                    InsnType::IndirectBranch => {
                        if taken {
                            self.need_addr = true;
                            if li.link {
                                self.rs.push(next);
                            }
                            if self.cfg.is_ete() && li.sub == InsnSubType::Eret {
                                eret = true;
                            }
                        }
                    }
                    _ => self.hint = Some((next, code.successor(id, false))),
                }
                self.emit(out, index, self.range(start, next, n, taken));
                if eret {
                    self.emit(out, index, ElementKind::ExceptionRet);
                }
            }
            Walk::Nacc => {
                self.set_need_addr_elem();
                if n > 0 {
                    self.emit(out, index, self.range(start, self.instr_addr, n, true));
                }
                self.emit(
                    out,
                    index,
                    ElementKind::AddrNacc { addr: self.instr_addr, mem_space: self.mem_space() },
                );
            }
        }
    }

    /// Walks instruction by instruction until the next instruction is `target`.
    fn walk_to_addr(&mut self, target: u64, code: &mut BlockCache) -> (u64, u32, Walk) {
        let start = self.instr_addr;
        let mut n = 0u32;
        loop {
            let id = code.block_id(self.instr_addr);
            let b = *code.block(id);
            if b.num_instr == 0 {
                return (start, n, Walk::Nacc);
            }
            if target > b.start && target <= b.end && (target - b.start) & 3 == 0 {
                n += ((target - b.start) / 4) as u32;
                self.instr_addr = target;
                self.last_insn = code.insn(target - 4).unwrap_or(InsnInfo::OTHER);
                return (start, n, Walk::Found);
            }
            n += b.num_instr;
            self.instr_addr = b.end;
            self.last_insn = b.last;
            if b.nacc {
                return (start, n, Walk::Nacc);
            }
        }
    }

    fn process_exception(&mut self, code: &mut BlockCache, out: &mut Vec<Element>) -> bool {
        let Some(exc) = self.stack.pop_back() else { return false };
        let P0Kind::Excep { prev_same, number, reset } = exc.kind else { return false };
        let idx = exc.index;
        // The code up to the exception ran in the instruction set from before it.
        let isa = Isa::of(self.aarch64, self.addr_is);
        let mut ctxt = None;
        let mut ret_addr = 0;
        if !reset {
            if let Some(P0 { kind: P0Kind::Ctxt(c), .. }) = self.stack.back().copied() {
                ctxt = Some(c);
                self.stack.pop_back();
            }
            match self.stack.back().copied() {
                Some(P0 { kind: P0Kind::Addr { addr, is }, .. }) => {
                    ret_addr = addr;
                    if prev_same {
                        self.set_addr(addr);
                        self.addr_is = is;
                        self.clear_need_addr();
                    } else if !self.return_stack_pop() {
                        return false;
                    }
                }
                _ => {
                    self.bad(UnsyncReason::BadPacket);
                    return false;
                }
            }
            // the address entry is removed like the exception itself
            self.stack.pop_back();
        }
        if let Some(c) = ctxt {
            self.update_context(&c, idx, out);
        }
        if !reset {
            let mut nacc = false;
            if self.instr_addr < ret_addr && !self.need_addr && self.isa_gap_in(isa, idx, out) {
                // The code up to the exception is A32/T32: not walked.
            } else if self.instr_addr < ret_addr {
                self.hint = None;
                let (start, n, w) = self.walk_to_addr(ret_addr, code);
                match w {
                    Walk::Found => self.emit(out, idx, self.range(start, self.instr_addr, n, true)),
                    Walk::Nacc => {
                        self.set_need_addr_elem();
                        nacc = true;
                        if n > 0 {
                            self.emit(out, idx, self.range(start, self.instr_addr, n, true));
                        }
                    }
                }
            }
            if nacc {
                self.emit(
                    out,
                    idx,
                    ElementKind::AddrNacc { addr: self.instr_addr, mem_space: self.mem_space() },
                );
            }
        }
        self.emit(out, idx, ElementKind::Exception { ret_addr, number, ret_is_branch_target: prev_same });
        true
    }

    fn process_q(&mut self, code: &mut BlockCache, out: &mut Vec<Element>) -> bool {
        let Some(q) = self.stack.pop_back() else { return false };
        let P0Kind::Q { count, addr } = q.kind else { return false };
        let qaddr = match addr {
            Some(a) => {
                // the entry after a Q with its own address goes as well
                self.stack.pop_back();
                a
            }
            None => {
                let mut ctxt = None;
                if let Some(e @ P0 { kind: P0Kind::Ctxt(_), .. }) = self.stack.back().copied() {
                    ctxt = Some(e);
                    self.stack.pop_back();
                }
                let a = match self.stack.back().copied() {
                    Some(P0 { kind: P0Kind::Addr { addr, .. }, .. }) => addr,
                    _ => {
                        self.bad(UnsyncReason::BadPacket);
                        return false;
                    }
                };
                self.stack.pop_back();
                if let Some(c) = ctxt {
                    self.stack.push_back(c);
                }
                // and the entry removed after processing, as for the address form
                self.stack.pop_back();
                a
            }
        };
        self.hint = None;
        if !self.need_addr && self.isa_gap(q.index, out) {
            self.set_addr(qaddr);
            self.clear_need_addr();
            return true;
        }
        let start = self.instr_addr;
        let mut n = 0u32;
        let mut is_branch = false;
        for _ in 0..count {
            let Some(i) = code.insn(self.instr_addr) else { break };
            self.last_insn = i;
            self.instr_addr = self.instr_addr.wrapping_add(4);
            n += 1;
            is_branch = i.is_branch();
            if is_branch {
                break;
            }
        }
        if count > 0 && n == count && (self.instr_addr == qaddr || is_branch) {
            self.emit(out, q.index, self.range(start, self.instr_addr, n, true));
        } else {
            self.emit(out, q.index, ElementKind::IRangeNoPath { start, next: qaddr, count });
        }
        self.set_addr(qaddr);
        self.clear_need_addr();
        true
    }

    fn process_src_addr(&mut self, src: u64, index: u64, code: &mut BlockCache, out: &mut Vec<Element>) {
        self.hint = None;
        if Isa::of(self.aarch64, self.addr_is) != Isa::A64 {
            let isa = Isa::of(self.aarch64, self.addr_is);
            self.emit(out, index, ElementKind::UnsupportedIsa { addr: src, isa });
            return;
        }
        let Some(i) = code.insn(src) else {
            self.emit(out, index, ElementKind::AddrNacc { addr: src, mem_space: self.mem_space() });
            return;
        };
        let cur = self.instr_addr;
        let start = if self.need_addr || cur > src {
            self.clear_need_addr();
            src
        } else {
            cur
        };
        let end = src.wrapping_add(4);
        let mut rstart = start;
        let mut n = (end.wrapping_sub(start) / 4) as u32;
        if self.opts.src_addr_n_atoms && end.wrapping_sub(start) > 4 {
            let mut a = start;
            n = 0;
            while a < end {
                let Some(x) = code.insn(a) else { break };
                a = a.wrapping_add(4);
                n += 1;
                if a < end && x.ty != InsnType::Other {
                    let save = self.last_insn;
                    self.last_insn = x;
                    self.emit(out, index, self.range(rstart, a, n, false));
                    self.last_insn = save;
                    rstart = a;
                    n = 0;
                }
            }
        }
        self.last_insn = i;
        self.instr_addr = end;
        match i.ty {
            InsnType::Branch => {
                if i.link {
                    self.rs.push(end);
                }
                self.instr_addr = i.target;
            }
            InsnType::IndirectBranch => {
                self.need_addr = true;
                if i.link {
                    self.rs.push(end);
                }
            }
            _ => {}
        }
        self.emit(out, index, self.range(rstart, end, n, true));
    }

    fn cancel(&mut self) -> bool {
        let req = self.res.cancel;
        let mut keep: Vec<P0> = Vec::new();
        while self.res.cancel > 0 {
            let Some(e) = self.stack.front().copied() else {
                self.res.cancel = 0;
                self.bad(UnsyncReason::BadPacket);
                return false;
            };
            if e.p0 {
                if let P0Kind::Atom { bits, count } = e.kind {
                    let c = self.res.cancel.min(count as i64) as u8;
                    self.res.cancel -= c as i64;
                    let left = count - c;
                    if left == 0 {
                        self.stack.pop_front();
                    } else if let Some(f) = self.stack.front_mut() {
                        f.kind = P0Kind::Atom { bits: bits & ((1u64 << left) - 1), count: left };
                    }
                } else {
                    self.res.cancel -= 1;
                    self.stack.pop_front();
                }
            } else {
                self.stack.pop_front();
                if matches!(
                    e.kind,
                    P0Kind::Event(_)
                        | P0Kind::Ts { .. }
                        | P0Kind::Cc(_)
                        | P0Kind::Marker
                        | P0Kind::Ite { .. }
                ) {
                    keep.push(e);
                }
            }
        }
        for e in keep.into_iter().rev() {
            self.stack.push_front(e);
        }
        self.spec_depth -= req - self.res.cancel;
        true
    }

    fn mispredict(&mut self) -> bool {
        self.res.mispredict = false;
        let mut i = 0;
        while i < self.stack.len() {
            match self.stack[i].kind {
                P0Kind::Atom { bits, count } => {
                    if count > 0 {
                        self.stack[i].kind = P0Kind::Atom { bits: bits ^ (1 << (count - 1)), count };
                    }
                    return true;
                }
                P0Kind::Addr { .. } => {
                    self.stack.remove(i);
                }
                P0Kind::Unseen => return true,
                _ => i += 1,
            }
        }
        self.bad(UnsyncReason::BadPacket);
        false
    }

    fn discard(&mut self, out: &mut Vec<Element>) {
        while let Some(e) = self.stack.pop_back() {
            if e.kind == P0Kind::Marker {
                self.marker(e, out);
            } else {
                self.ts_cc_event(e, out);
            }
        }
        self.res = Res::default();
        self.spec_depth = 0;
        self.state = State::NoSync;
        self.unsync = if self.prev_overflow { UnsyncReason::Overflow } else { UnsyncReason::Discard };
        self.need_ctxt = true;
        self.set_need_addr_elem();
        self.pending_addr = false;
    }

    fn ts_cc_event(&mut self, e: P0, out: &mut Vec<Element>) {
        match e.kind {
            P0Kind::Event(n) => self.emit(out, e.index, ElementKind::Event(n)),
            P0Kind::Ts { ts, cc } if self.permit_ts => {
                self.emit(out, e.index, ElementKind::Timestamp { ts, cc })
            }
            P0Kind::Cc(c) => self.emit(out, e.index, ElementKind::CycleCount(c)),
            _ => {}
        }
    }

    fn marker(&mut self, e: P0, out: &mut Vec<Element>) {
        if !self.permit_ts && self.cfg.has_ts_marker() {
            self.permit_ts = true;
        }
        self.emit(out, e.index, ElementKind::SyncMarker(0));
    }

    fn trans(&mut self, e: P0, out: &mut Vec<Element>) {
        if let P0Kind::Trans(t) = e.kind {
            self.emit(out, e.index, ElementKind::MemTrans(t));
        }
    }
}
