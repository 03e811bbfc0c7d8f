//! Intel PT packets: bytes to `Packet`s. Stateless per packet except for the block-packet
//! context (a BIP is only a BIP between a BBP and its BEP; elsewhere its byte is a TNT).
//!
//! The iterator skips everything before the first PSB, reports garbage and truncation as an
//! error item and resynchronizes at the next PSB; it never panics on any input.

use std::fmt;

/// How an IP packet's payload relates to the last IP (SDM "IP compression").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Ipc {
    Suppressed = 0,
    Update16 = 1,
    Update32 = 2,
    Sext48 = 3,
    Update48 = 4,
    Full = 6,
}

impl Ipc {
    fn from_bits(b: u8) -> Option<Ipc> {
        Some(match b {
            0 => Ipc::Suppressed,
            1 => Ipc::Update16,
            2 => Ipc::Update32,
            3 => Ipc::Sext48,
            4 => Ipc::Update48,
            6 => Ipc::Full,
            _ => return None,
        })
    }

    /// Payload size in bytes.
    pub fn size(self) -> usize {
        match self {
            Ipc::Suppressed => 0,
            Ipc::Update16 => 2,
            Ipc::Update32 => 4,
            Ipc::Sext48 | Ipc::Update48 => 6,
            Ipc::Full => 8,
        }
    }
}

/// The raw (zero-extended) IP payload of a TIP, TIP.PGE, TIP.PGD or FUP.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct IpPayload {
    pub ipc: Ipc,
    pub ip: u64,
}

/// The last-IP register that compressed IP packets update.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LastIp {
    ip: u64,
    have: bool,
    suppressed: bool,
}

impl LastIp {
    /// Applies `p`; returns the full IP, or `None` when suppressed or not yet known.
    pub fn update(&mut self, p: &IpPayload) -> Option<u64> {
        match p.ipc {
            Ipc::Suppressed => {
                self.suppressed = true;
                return None;
            }
            Ipc::Update16 => self.ip = (self.ip & !0xffff) | (p.ip & 0xffff),
            Ipc::Update32 => self.ip = (self.ip & !0xffff_ffff) | (p.ip & 0xffff_ffff),
            Ipc::Update48 => self.ip = (self.ip & !0xffff_ffff_ffff) | (p.ip & 0xffff_ffff_ffff),
            Ipc::Sext48 => self.ip = (((p.ip << 16) as i64) >> 16) as u64,
            Ipc::Full => self.ip = p.ip,
        }
        // Updates before any full IP are relative to zero, as libipt does.
        self.suppressed = false;
        self.have = true;
        Some(self.ip)
    }

    pub fn get(&self) -> Option<u64> {
        (self.have && !self.suppressed).then_some(self.ip)
    }

    pub fn reset(&mut self) {
        *self = LastIp::default();
    }
}

/// One Intel PT packet, decoded but not interpreted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Packet {
    Pad,
    Psb,
    PsbEnd,
    Ovf,
    Stop,
    /// Taken/not-taken bits: the oldest is bit `count - 1`.
    Tnt8 {
        bits: u64,
        count: u8,
    },
    Tnt64 {
        bits: u64,
        count: u8,
    },
    Tip(IpPayload),
    TipPge(IpPayload),
    TipPgd(IpPayload),
    Fup(IpPayload),
    ModeExec {
        csl: bool,
        csd: bool,
    },
    ModeTsx {
        intx: bool,
        abrt: bool,
    },
    Pip {
        cr3: u64,
        nr: bool,
    },
    Tsc(u64),
    Mtc(u8),
    Cyc(u64),
    Tma {
        ctc: u16,
        fc: u16,
    },
    Cbr(u8),
    Vmcs(u64),
    Mnt(u64),
    /// PTWRITE: `plc` 0 is a 4-byte payload, 1 an 8-byte one.
    Ptw {
        payload: u64,
        plc: u8,
        ip: bool,
    },
    Exstop {
        ip: bool,
    },
    Mwait {
        hints: u32,
        ext: u32,
    },
    Pwre {
        state: u8,
        sub_state: u8,
        hw: bool,
    },
    Pwrx {
        last: u8,
        deepest: u8,
        interrupt: bool,
        store: bool,
        autonomous: bool,
    },
    /// Block begin: `sz` set means the BIPs that follow carry 4-byte payloads, else 8.
    Bbp {
        sz: bool,
        kind: u8,
    },
    Bip {
        id: u8,
        payload: u64,
    },
    Bep {
        ip: bool,
    },
}

/// Why bytes are not a packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PacketErrorKind {
    /// No packet starts with these bytes.
    BadOpcode,
    /// A known opcode with a reserved or impossible payload.
    BadPacket,
    /// The buffer ends inside the packet.
    Truncated,
}

impl fmt::Display for PacketErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PacketErrorKind::BadOpcode => "unknown opcode",
            PacketErrorKind::BadPacket => "unknown packet",
            PacketErrorKind::Truncated => "unexpected end of trace",
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PacketError {
    pub offset: u64,
    pub kind: PacketErrorKind,
}

impl fmt::Display for PacketError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}: {}", self.offset, self.kind)
    }
}

impl std::error::Error for PacketError {}

/// The 16-byte PSB pattern.
pub const PSB: [u8; 16] =
    [0x02, 0x82, 0x02, 0x82, 0x02, 0x82, 0x02, 0x82, 0x02, 0x82, 0x02, 0x82, 0x02, 0x82, 0x02, 0x82];

/// The offset of the first PSB at or after `from`.
pub fn find_psb(buf: &[u8], from: usize) -> Option<usize> {
    let mut i = from;
    while i + PSB.len() <= buf.len() {
        // Find the next 0x02 0x82 pair quickly, then check the whole pattern.
        let rest = &buf[i..buf.len() - PSB.len() + 2];
        let j = rest.windows(2).position(|w| w == [0x02, 0x82])?;
        let mut at = i + j;
        if buf[at..at + PSB.len()] == PSB {
            // In a longer run of the pattern the PSB is its last 16 bytes, the earlier ones
            // being the tail of something else (libipt's choice too).
            while buf.get(at + 16..at + 18) == Some(&[0x02, 0x82]) {
                at += 2;
            }
            return Some(at);
        }
        i = at + 1;
    }
    None
}

#[inline]
fn le(b: &[u8], n: usize) -> u64 {
    let mut v = 0u64;
    for (k, &x) in b[..n].iter().enumerate() {
        v |= (x as u64) << (8 * k);
    }
    v
}

#[inline]
fn need(buf: &[u8], n: usize) -> Result<&[u8], PacketErrorKind> {
    buf.get(..n).ok_or(PacketErrorKind::Truncated)
}

/// Decodes the packet at the start of `buf`. `block` is `Some(sz)` between a BBP and its BEP.
/// Returns the packet and its size in bytes.
#[inline]
pub fn decode(buf: &[u8], block: Option<bool>) -> Result<(Packet, usize), PacketErrorKind> {
    use PacketErrorKind::*;
    let b0 = *buf.first().ok_or(Truncated)?;
    if b0 == 0 {
        return Ok((Packet::Pad, 1));
    }
    if let Some(sz) = block {
        if b0 & 7 == 4 {
            let n = if sz { 4 } else { 8 };
            let p = need(buf, 1 + n)?;
            return Ok((Packet::Bip { id: b0 >> 3, payload: le(&p[1..], n) }, 1 + n));
        }
    }
    if b0 & 1 == 0 {
        if b0 == 0x02 {
            return decode_ext(buf);
        }
        let stop = 7 - b0.leading_zeros() as u8; // bit index of the stop bit, >= 1
        let count = stop - 1;
        let bits = ((b0 >> 1) as u64) & ((1u64 << count) - 1);
        return Ok((Packet::Tnt8 { bits, count }, 1));
    }
    if b0 & 3 == 3 {
        // CYC: 5 bits in the header, then 7 bits per extension byte.
        let mut value = (b0 >> 3) as u64;
        let mut size = 1usize;
        let mut more = b0 & 4 != 0;
        let mut shift = 5u32;
        while more {
            let b = *buf.get(size).ok_or(Truncated)?;
            size += 1;
            // As libipt: at most 8 extension bytes (a 61-bit count).
            if shift + 7 > 64 {
                return Err(BadPacket);
            }
            value |= ((b >> 1) as u64) << shift;
            shift += 7;
            more = b & 1 != 0;
        }
        return Ok((Packet::Cyc(value), size));
    }
    match b0 {
        0x99 => {
            let p = need(buf, 2)?;
            let leaf = p[1] >> 5;
            let bits = p[1] & 0x1f;
            let pkt = match leaf {
                0 => Packet::ModeExec { csl: bits & 1 != 0, csd: bits & 2 != 0 },
                1 => Packet::ModeTsx { intx: bits & 1 != 0, abrt: bits & 2 != 0 },
                _ => return Err(BadPacket),
            };
            return Ok((pkt, 2));
        }
        0x19 => {
            let p = need(buf, 8)?;
            return Ok((Packet::Tsc(le(&p[1..], 7)), 8));
        }
        0x59 => {
            let p = need(buf, 2)?;
            return Ok((Packet::Mtc(p[1]), 2));
        }
        _ => {}
    }
    let ctor: fn(IpPayload) -> Packet = match b0 & 0x1f {
        0x0d => Packet::Tip,
        0x11 => Packet::TipPge,
        0x01 => Packet::TipPgd,
        0x1d => Packet::Fup,
        _ => return Err(BadOpcode),
    };
    let ipc = Ipc::from_bits(b0 >> 5).ok_or(BadPacket)?;
    let n = ipc.size();
    let p = need(buf, 1 + n)?;
    Ok((ctor(IpPayload { ipc, ip: le(&p[1..], n) }), 1 + n))
}

fn decode_ext(buf: &[u8]) -> Result<(Packet, usize), PacketErrorKind> {
    use PacketErrorKind::*;
    let b1 = *buf.get(1).ok_or(Truncated)?;
    let fixed = |n: usize, f: &dyn Fn(&[u8]) -> Packet| -> Result<(Packet, usize), PacketErrorKind> {
        let p = need(buf, n)?;
        Ok((f(&p[2..]), n))
    };
    match b1 {
        0x82 => {
            let p = need(buf, 16)?;
            if p != PSB {
                return Err(BadPacket);
            }
            Ok((Packet::Psb, 16))
        }
        0x23 => Ok((Packet::PsbEnd, 2)),
        0xf3 => Ok((Packet::Ovf, 2)),
        0x83 => Ok((Packet::Stop, 2)),
        0xa3 => {
            let p = need(buf, 8)?;
            let v = le(&p[2..], 6);
            if v == 0 {
                return Err(BadPacket);
            }
            let count = 63 - v.leading_zeros() as u8;
            Ok((Packet::Tnt64 { bits: v & ((1u64 << count) - 1), count }, 8))
        }
        0x43 => fixed(8, &|p| {
            let v = le(p, 6);
            Packet::Pip { cr3: (v >> 1) << 5, nr: v & 1 != 0 }
        }),
        0x03 => fixed(4, &|p| Packet::Cbr(p[0])),
        0x73 => {
            let p = need(buf, 7)?;
            let fc = le(&p[5..], 2);
            // The reserved byte and the fast counter's high bits must be zero (libipt agrees).
            if fc & !0x1ff != 0 || p[4] != 0 {
                return Err(BadPacket);
            }
            Ok((Packet::Tma { ctc: le(&p[2..], 2) as u16, fc: fc as u16 }, 7))
        }
        0xc8 => fixed(7, &|p| Packet::Vmcs(le(p, 5) << 12)),
        0xc3 => {
            let p = need(buf, 3)?;
            if p[2] != 0x88 {
                return Err(BadOpcode);
            }
            let p = need(buf, 11)?;
            Ok((Packet::Mnt(le(&p[3..], 8)), 11))
        }
        0x62 | 0xe2 => Ok((Packet::Exstop { ip: b1 & 0x80 != 0 }, 2)),
        0xc2 => fixed(10, &|p| Packet::Mwait { hints: le(p, 4) as u32, ext: le(&p[4..], 4) as u32 }),
        0x22 => fixed(4, &|p| {
            let v = le(p, 2);
            Packet::Pwre { state: ((v >> 12) & 0xf) as u8, sub_state: ((v >> 8) & 0xf) as u8, hw: v & 8 != 0 }
        }),
        0xa2 => fixed(7, &|p| {
            let v = le(p, 5);
            let wr = (v >> 8) & 0xf;
            Packet::Pwrx {
                last: ((v >> 4) & 0xf) as u8,
                deepest: (v & 0xf) as u8,
                interrupt: wr & 1 != 0,
                store: wr & 4 != 0,
                autonomous: wr & 8 != 0,
            }
        }),
        0x63 => fixed(3, &|p| Packet::Bbp { sz: p[0] & 0x80 != 0, kind: p[0] & 0x1f }),
        0x33 | 0xb3 => Ok((Packet::Bep { ip: b1 & 0x80 != 0 }, 2)),
        _ if b1 & 0x1f == 0x12 => {
            let plc = (b1 >> 5) & 3;
            let n = match plc {
                0 => 4,
                1 => 8,
                _ => return Err(BadPacket),
            };
            let p = need(buf, 2 + n)?;
            Ok((Packet::Ptw { payload: le(&p[2..], n), plc, ip: b1 & 0x80 != 0 }, 2 + n))
        }
        _ => Err(BadOpcode),
    }
}

/// Where to look for the next PSB after an error at `err` when the last sync was at `sync`:
/// a little before the error, since a PSB may hide in the bytes of a bad packet, but never at
/// or before the last sync point.
pub fn resync(buf: &[u8], err: usize, sync: usize) -> Option<usize> {
    let pos = if err == sync { err + PSB.len() } else { err };
    let from = pos.saturating_sub(PSB.len() - 1).max(sync + 1);
    find_psb(buf, from)
}

/// One item of a packet stream.
pub type Item = Result<(u64, Packet), PacketError>;

/// Iterates over the packets of a trace buffer, from the first PSB on, resynchronizing at the
/// next PSB after an error.
pub struct Packets<'a> {
    buf: &'a [u8],
    pos: usize,
    synced: bool,
    /// The PSB of the last synchronization.
    sync: Option<usize>,
    block: Option<bool>,
}

impl<'a> Packets<'a> {
    pub fn new(buf: &'a [u8]) -> Packets<'a> {
        Packets { buf, pos: 0, synced: false, sync: None, block: None }
    }

    /// The offset of the next packet.
    pub fn offset(&self) -> u64 {
        self.pos as u64
    }
}

impl Iterator for Packets<'_> {
    type Item = Item;

    fn next(&mut self) -> Option<Item> {
        if !self.synced {
            self.pos = match self.sync {
                None => find_psb(self.buf, self.pos)?,
                Some(s) => resync(self.buf, self.pos, s)?,
            };
            self.sync = Some(self.pos);
            self.synced = true;
            self.block = None;
        }
        if self.pos >= self.buf.len() {
            return None;
        }
        let at = self.pos;
        match decode(&self.buf[at..], self.block) {
            Ok((pkt, n)) => {
                self.pos += n;
                match pkt {
                    Packet::Bbp { sz, .. } => self.block = Some(sz),
                    Packet::Bep { .. } | Packet::Psb | Packet::Ovf => self.block = None,
                    _ => {}
                }
                Some(Ok((at as u64, pkt)))
            }
            Err(kind) => {
                self.synced = false;
                if kind == PacketErrorKind::Truncated {
                    // Nothing complete follows a packet cut off by the end of the buffer.
                    self.sync = None;
                    self.pos = self.buf.len();
                }
                Some(Err(PacketError { offset: at as u64, kind }))
            }
        }
    }
}

/// Formats a packet the way libipt's ptdump prints it (name, then payload).
pub struct Ptdump<'a>(pub &'a Packet);

fn sext48(v: u64) -> u64 {
    (((v << 16) as i64) >> 16) as u64
}

fn ip_payload(f: &mut fmt::Formatter<'_>, p: &IpPayload) -> fmt::Result {
    let c = p.ipc as u8;
    match p.ipc {
        Ipc::Suppressed => write!(f, "{c:x}: ????????????????"),
        Ipc::Update16 => write!(f, "{c:x}: ????????????{:04x}", p.ip),
        Ipc::Update32 => write!(f, "{c:x}: ????????{:08x}", p.ip),
        Ipc::Update48 => write!(f, "{c:x}: ????{:012x}", p.ip),
        Ipc::Sext48 => write!(f, "{c:x}: {:016x}", sext48(p.ip)),
        Ipc::Full => write!(f, "{c:x}: {:016x}", p.ip),
    }
}

fn tnt(f: &mut fmt::Formatter<'_>, bits: u64, count: u8) -> fmt::Result {
    for i in (0..count).rev() {
        f.write_str(if bits >> i & 1 != 0 { "!" } else { "." })?;
    }
    Ok(())
}

fn both(a: &str, b: &str) -> String {
    match (a.is_empty(), b.is_empty()) {
        (false, false) => format!("{a}, {b}"),
        _ => format!("{a}{b}"),
    }
}

impl fmt::Display for Ptdump<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = |f: &mut fmt::Formatter<'_>, n: &str| write!(f, "{n:<10} ");
        match self.0 {
            Packet::Pad => f.write_str("pad"),
            Packet::Psb => f.write_str("psb"),
            Packet::PsbEnd => f.write_str("psbend"),
            Packet::Ovf => f.write_str("ovf"),
            Packet::Stop => f.write_str("stop"),
            Packet::Tnt8 { bits, count } => {
                name(f, "tnt.8")?;
                tnt(f, *bits, *count)
            }
            Packet::Tnt64 { bits, count } => {
                name(f, "tnt.64")?;
                tnt(f, *bits, *count)
            }
            Packet::Tip(p) => {
                name(f, "tip")?;
                ip_payload(f, p)
            }
            Packet::TipPge(p) => {
                name(f, "tip.pge")?;
                ip_payload(f, p)
            }
            Packet::TipPgd(p) => {
                name(f, "tip.pgd")?;
                ip_payload(f, p)
            }
            Packet::Fup(p) => {
                name(f, "fup")?;
                ip_payload(f, p)
            }
            Packet::ModeExec { csl, csd } => {
                name(f, "mode.exec")?;
                f.write_str(&both(if *csd { "cs.d" } else { "" }, if *csl { "cs.l" } else { "" }))
            }
            Packet::ModeTsx { intx, abrt } => {
                name(f, "mode.tsx")?;
                f.write_str(&both(if *intx { "intx" } else { "" }, if *abrt { "abrt" } else { "" }))
            }
            Packet::Pip { cr3, nr } => {
                name(f, "pip")?;
                write!(f, "{cr3:x}{}", if *nr { ", nr" } else { "" })
            }
            Packet::Tsc(v) => {
                name(f, "tsc")?;
                write!(f, "{v:x}")
            }
            Packet::Mtc(v) => {
                name(f, "mtc")?;
                write!(f, "{v:x}")
            }
            Packet::Cyc(v) => {
                name(f, "cyc")?;
                write!(f, "{v:x}")
            }
            Packet::Tma { ctc, fc } => {
                name(f, "tma")?;
                write!(f, "{ctc:x}, {fc:x}")
            }
            Packet::Cbr(v) => {
                name(f, "cbr")?;
                write!(f, "{v:x}")
            }
            Packet::Vmcs(v) => {
                name(f, "vmcs")?;
                write!(f, "{v:x}")
            }
            Packet::Mnt(v) => {
                name(f, "mnt")?;
                write!(f, "{v:x}")
            }
            Packet::Ptw { payload, plc, ip } => {
                name(f, "ptw")?;
                write!(f, "{plc:x}: {payload:x}{}", if *ip { ", ip" } else { "" })
            }
            Packet::Exstop { ip } => {
                if *ip {
                    name(f, "exstop")?;
                    f.write_str("ip")
                } else {
                    f.write_str("exstop")
                }
            }
            Packet::Mwait { hints, ext } => {
                name(f, "mwait")?;
                write!(f, "{hints:08x}, {ext:08x}")
            }
            Packet::Pwre { state, sub_state, hw } => {
                name(f, "pwre")?;
                let (s, t) = ((state + 1) & 0xf, (sub_state + 1) & 0xf);
                write!(f, "c{s}.{t}{}", if *hw { ", hw" } else { "" })
            }
            Packet::Pwrx { last, deepest, interrupt, store, autonomous } => {
                name(f, "pwrx")?;
                let wr = match (interrupt, store, autonomous) {
                    (true, false, false) => "int",
                    (false, true, false) => " st",
                    (false, false, true) => " hw",
                    _ => "bad",
                };
                write!(f, "{wr}: c{}, c{}", (last + 1) & 0xf, (deepest + 1) & 0xf)
            }
            Packet::Bbp { sz, kind } => {
                name(f, "bbp")?;
                write!(f, "{kind:x}{}", if *sz { ", sz" } else { "" })
            }
            Packet::Bip { id, payload } => {
                name(f, "bip")?;
                write!(f, "{id:x}: {payload:x}")
            }
            Packet::Bep { ip } => {
                if *ip {
                    name(f, "bep")?;
                    f.write_str("ip")
                } else {
                    f.write_str("bep")
                }
            }
        }
    }
}

/// Writes the ptdump-style listing of `buf`: one packet a line, PAD left out, errors in
/// brackets. Returns the number of packets and errors.
pub fn write_listing(buf: &[u8], out: &mut dyn std::io::Write) -> std::io::Result<(u64, u64)> {
    let (mut n, mut errs) = (0u64, 0u64);
    for item in Packets::new(buf) {
        match item {
            Ok((_, Packet::Pad)) => {}
            Ok((off, pkt)) => {
                n += 1;
                writeln!(out, "{off:016x}  {}", Ptdump(&pkt))?;
            }
            Err(e) => {
                errs += 1;
                writeln!(out, "[{:016x}: error: {}]", e.offset, e.kind)?;
            }
        }
    }
    Ok((n, errs))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(bytes: &[u8]) -> Packet {
        let (p, n) = decode(bytes, None).unwrap();
        assert_eq!(n, bytes.len(), "size of {p:?}");
        p
    }

    #[test]
    fn short_and_long_tnt_are_oldest_first() {
        // 0b0001_0110: stop bit 4, bits 3..1 = 011 -> oldest not taken, then taken, taken.
        assert_eq!(one(&[0x16]), Packet::Tnt8 { bits: 0b011, count: 3 });
        assert_eq!(Ptdump(&one(&[0x16])).to_string(), "tnt.8      .!!");
        let p = one(&[0x02, 0xa3, 0b101, 0, 0, 0, 0, 0]);
        assert_eq!(p, Packet::Tnt64 { bits: 1, count: 2 });
        assert_eq!(decode(&[0x02, 0xa3, 0, 0, 0, 0, 0, 0], None), Err(PacketErrorKind::BadPacket));
    }

    #[test]
    fn ip_compressions() {
        let p = one(&[0x2d, 0x34, 0x12]);
        assert_eq!(p, Packet::Tip(IpPayload { ipc: Ipc::Update16, ip: 0x1234 }));
        let mut last = LastIp::default();
        last.update(&IpPayload { ipc: Ipc::Full, ip: 0xffff_8000_1111_2222 });
        assert_eq!(last.update(&IpPayload { ipc: Ipc::Update16, ip: 0x1234 }), Some(0xffff_8000_1111_1234));
        assert_eq!(
            last.update(&IpPayload { ipc: Ipc::Update32, ip: 0xaabb_ccdd }),
            Some(0xffff_8000_aabb_ccdd)
        );
        assert_eq!(
            last.update(&IpPayload { ipc: Ipc::Sext48, ip: 0x8000_0000_0000 }),
            Some(0xffff_8000_0000_0000)
        );
        assert_eq!(last.update(&IpPayload { ipc: Ipc::Update48, ip: 0x1_0000 }), Some(0xffff_0000_0001_0000));
        assert_eq!(last.update(&IpPayload { ipc: Ipc::Suppressed, ip: 0 }), None);
        assert_eq!(decode(&[0xad, 0, 0, 0, 0, 0, 0], None), Err(PacketErrorKind::BadPacket));
        assert_eq!(Ptdump(&one(&[0x61, 0, 0x40, 0, 0, 0, 0])).to_string(), "tip.pgd    3: 0000000000004000");
    }

    #[test]
    fn every_other_packet() {
        assert_eq!(one(&[0x99, 0x01]), Packet::ModeExec { csl: true, csd: false });
        assert_eq!(one(&[0x99, 0x23]), Packet::ModeTsx { intx: true, abrt: true });
        assert_eq!(one(&[0x19, 1, 2, 3, 4, 5, 6, 7]), Packet::Tsc(0x07060504030201));
        assert_eq!(one(&[0x59, 0x42]), Packet::Mtc(0x42));
        assert_eq!(one(&[0x03]), Packet::Cyc(0));
        assert_eq!(one(&[0x0f, 0x03, 0x02]), Packet::Cyc(1 | (1 << 5) | (1 << 12)));
        assert_eq!(one(&[0x02, 0x43, 0x03, 0, 0, 0, 0, 0]), Packet::Pip { cr3: 0x20, nr: true });
        assert_eq!(one(&[0x02, 0x03, 0x1f, 0]), Packet::Cbr(0x1f));
        assert_eq!(one(&[0x02, 0x73, 0x34, 0x12, 0, 0xff, 0x01]), Packet::Tma { ctc: 0x1234, fc: 0x1ff });
        assert_eq!(decode(&[0x02, 0x73, 0x34, 0x12, 0, 0xff, 0x03], None), Err(PacketErrorKind::BadPacket));
        let mut cyc = vec![0x07];
        cyc.extend_from_slice(&[0x03; 7]);
        cyc.push(0x02);
        assert!(matches!(decode(&cyc, None), Ok((Packet::Cyc(_), 9))));
        cyc.insert(1, 0x03);
        assert_eq!(decode(&cyc, None), Err(PacketErrorKind::BadPacket));
        assert_eq!(one(&[0x02, 0xc8, 1, 0, 0, 0, 0]), Packet::Vmcs(0x1000));
        assert_eq!(one(&[0x02, 0xc3, 0x88, 1, 0, 0, 0, 0, 0, 0, 0]), Packet::Mnt(1));
        assert_eq!(
            one(&[0x02, 0xb2, 1, 2, 3, 4, 5, 6, 7, 8]),
            Packet::Ptw { payload: 0x0807060504030201, plc: 1, ip: true }
        );
        assert_eq!(one(&[0x02, 0x12, 1, 0, 0, 0]), Packet::Ptw { payload: 1, plc: 0, ip: false });
        assert_eq!(one(&[0x02, 0xe2]), Packet::Exstop { ip: true });
        assert_eq!(one(&[0x02, 0xc2, 1, 0, 0, 0, 2, 0, 0, 0]), Packet::Mwait { hints: 1, ext: 2 });
        assert_eq!(one(&[0x02, 0x22, 0x08, 0x21]), Packet::Pwre { state: 2, sub_state: 1, hw: true });
        assert_eq!(
            one(&[0x02, 0xa2, 0x21, 0x01, 0, 0, 0]),
            Packet::Pwrx { last: 2, deepest: 1, interrupt: true, store: false, autonomous: false }
        );
        assert_eq!(one(&[0x02, 0x23]), Packet::PsbEnd);
        assert_eq!(one(&[0x02, 0xf3]), Packet::Ovf);
        assert_eq!(one(&[0x02, 0x83]), Packet::Stop);
        assert_eq!(one(&PSB), Packet::Psb);
        assert_eq!(one(&[0x02, 0x63, 0x92]), Packet::Bbp { sz: true, kind: 0x12 });
        assert_eq!(one(&[0x02, 0xb3]), Packet::Bep { ip: true });
        assert_eq!(decode(&[0x14, 1, 0, 0, 0], Some(true)), Ok((Packet::Bip { id: 2, payload: 1 }, 5)));
        assert_eq!(decode(&[0x14], None), Ok((Packet::Tnt8 { bits: 2, count: 3 }, 1)));
    }

    #[test]
    fn garbage_and_truncation_resync_at_next_psb() {
        let mut buf = vec![0x55, 0x66];
        buf.extend_from_slice(&PSB);
        buf.extend_from_slice(&[0x02, 0x23, 0x05]); // psbend, then a bad opcode
        buf.extend_from_slice(&[0x77; 5]);
        buf.extend_from_slice(&PSB);
        buf.extend_from_slice(&[0x19, 1, 2]); // truncated TSC
        let items: Vec<_> = Packets::new(&buf).collect();
        assert_eq!(items[0], Ok((2, Packet::Psb)));
        assert_eq!(items[1], Ok((18, Packet::PsbEnd)));
        assert_eq!(items[2], Err(PacketError { offset: 20, kind: PacketErrorKind::BadOpcode }));
        assert_eq!(items[3], Ok((26, Packet::Psb)));
        assert_eq!(items[4], Err(PacketError { offset: 42, kind: PacketErrorKind::Truncated }));
        assert_eq!(items.len(), 5);
    }
}
