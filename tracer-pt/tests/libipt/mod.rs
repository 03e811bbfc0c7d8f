//! Just enough of libipt 2.0.5 (Debian libipt-dev) for differential tests and benchmarks:
//! the packet encoder and decoder, and the instruction-flow and block decoders. Layouts were
//! checked against /usr/include/intel-pt.h with offsetof() and sizeof() (x86-64):
//! pt_config 280 bytes (cpu at 40, errata at 48, addr_filter at 144), pt_packet 24 (payload
//! at 8), pt_insn 40, pt_block 48 (ninsn at 28), pt_event 64.
#![allow(dead_code)]

use std::ffi::{c_char, c_int, c_void, CString};
use tracer_pt::packet::{IpPayload, Ipc, Packet};

#[repr(C, align(8))]
pub struct PtConfig(pub [u8; 280]);

impl PtConfig {
    /// A config over `buf` (which must outlive every decoder made from it).
    pub fn new(buf: &[u8]) -> PtConfig {
        let mut c = PtConfig([0; 280]);
        c.put_u64(0, 280);
        c.put_u64(8, buf.as_ptr() as u64);
        c.put_u64(16, buf.as_ptr() as u64 + buf.len() as u64);
        c
    }
    pub fn put_u64(&mut self, at: usize, v: u64) {
        self.0[at..at + 8].copy_from_slice(&v.to_le_bytes());
    }
    /// The addr0 IP filter (addr0_cfg = 1, filter).
    pub fn set_filter(&mut self, a: u64, b: u64) {
        self.put_u64(144, 1);
        self.put_u64(152, a);
        self.put_u64(160, b);
    }
    /// CPU family/model/stepping (vendor Intel) and the errata they imply.
    pub fn set_cpu(&mut self, family: u16, model: u8, stepping: u8) {
        self.0[40..44].copy_from_slice(&1u32.to_le_bytes());
        self.0[44..46].copy_from_slice(&family.to_le_bytes());
        self.0[46] = model;
        self.0[47] = stepping;
        let (head, errata) = self.0.split_at_mut(48);
        // SAFETY: both pointers are into this config at the offsets libipt's layout has for
        // pt_errata (64 bytes at 48) and pt_cpu (8 bytes at 40).
        unsafe { pt_cpu_errata(errata.as_mut_ptr() as *mut c_void, head[40..].as_ptr() as *const c_void) };
    }
}

#[repr(C, align(8))]
#[derive(Clone, Copy)]
pub struct PtPacket(pub [u8; 24]);

#[repr(C, align(8))]
pub struct PtInsn(pub [u8; 40]);

#[repr(C, align(8))]
pub struct PtBlock(pub [u8; 48]);

#[repr(C, align(8))]
pub struct PtEvent(pub [u8; 64]);

pub const PTS_EVENT_PENDING: c_int = 1;
pub const PTS_EOS: c_int = 4;
/// -pte_eos
pub const PTE_EOS: c_int = -7;

#[link(name = "ipt")]
extern "C" {
    pub fn pt_cpu_errata(errata: *mut c_void, cpu: *const c_void) -> c_int;
    pub fn pt_alloc_encoder(config: *const PtConfig) -> *mut c_void;
    pub fn pt_free_encoder(enc: *mut c_void);
    pub fn pt_enc_next(enc: *mut c_void, packet: *const PtPacket) -> c_int;
    pub fn pt_enc_get_offset(enc: *const c_void, offset: *mut u64) -> c_int;
    pub fn pt_pkt_alloc_decoder(config: *const PtConfig) -> *mut c_void;
    pub fn pt_pkt_free_decoder(dec: *mut c_void);
    pub fn pt_pkt_sync_forward(dec: *mut c_void) -> c_int;
    pub fn pt_pkt_get_offset(dec: *const c_void, offset: *mut u64) -> c_int;
    pub fn pt_pkt_next(dec: *mut c_void, packet: *mut PtPacket, size: usize) -> c_int;
    pub fn pt_image_alloc(name: *const c_char) -> *mut c_void;
    pub fn pt_image_free(image: *mut c_void);
    pub fn pt_image_add_file(
        image: *mut c_void,
        filename: *const c_char,
        offset: u64,
        size: u64,
        asid: *const c_void,
        vaddr: u64,
    ) -> c_int;
    pub fn pt_insn_alloc_decoder(config: *const PtConfig) -> *mut c_void;
    pub fn pt_insn_free_decoder(dec: *mut c_void);
    pub fn pt_insn_sync_forward(dec: *mut c_void) -> c_int;
    pub fn pt_insn_set_image(dec: *mut c_void, image: *mut c_void) -> c_int;
    pub fn pt_insn_next(dec: *mut c_void, insn: *mut PtInsn, size: usize) -> c_int;
    pub fn pt_insn_event(dec: *mut c_void, ev: *mut PtEvent, size: usize) -> c_int;
    pub fn pt_blk_alloc_decoder(config: *const PtConfig) -> *mut c_void;
    pub fn pt_blk_free_decoder(dec: *mut c_void);
    pub fn pt_blk_sync_forward(dec: *mut c_void) -> c_int;
    pub fn pt_blk_set_image(dec: *mut c_void, image: *mut c_void) -> c_int;
    pub fn pt_blk_next(dec: *mut c_void, blk: *mut PtBlock, size: usize) -> c_int;
    pub fn pt_blk_event(dec: *mut c_void, ev: *mut PtEvent, size: usize) -> c_int;
}

// libipt's enum pt_packet_type.
const PPT_PAD: u32 = 2;
const PPT_PSB: u32 = 3;
const PPT_PSBEND: u32 = 4;
const PPT_FUP: u32 = 5;
const PPT_TIP: u32 = 6;
const PPT_TIP_PGE: u32 = 7;
const PPT_TIP_PGD: u32 = 8;
const PPT_TNT_8: u32 = 9;
const PPT_TNT_64: u32 = 10;
const PPT_MODE: u32 = 11;
const PPT_PIP: u32 = 12;
const PPT_VMCS: u32 = 13;
const PPT_CBR: u32 = 14;
const PPT_TSC: u32 = 15;
const PPT_TMA: u32 = 16;
const PPT_MTC: u32 = 17;
const PPT_CYC: u32 = 18;
const PPT_STOP: u32 = 19;
const PPT_OVF: u32 = 20;
const PPT_MNT: u32 = 21;
const PPT_EXSTOP: u32 = 22;
const PPT_MWAIT: u32 = 23;
const PPT_PWRE: u32 = 24;
const PPT_PWRX: u32 = 25;
const PPT_PTW: u32 = 26;

impl PtPacket {
    fn u8(&self, at: usize) -> u8 {
        self.0[at]
    }
    fn u16(&self, at: usize) -> u16 {
        u16::from_le_bytes(self.0[at..at + 2].try_into().unwrap())
    }
    fn u32(&self, at: usize) -> u32 {
        u32::from_le_bytes(self.0[at..at + 4].try_into().unwrap())
    }
    fn u64(&self, at: usize) -> u64 {
        u64::from_le_bytes(self.0[at..at + 8].try_into().unwrap())
    }
    fn set(&mut self, at: usize, bytes: &[u8]) {
        self.0[at..at + bytes.len()].copy_from_slice(bytes);
    }
    pub fn size(&self) -> u8 {
        self.0[4]
    }

    fn ipc(v: u32) -> Ipc {
        match v {
            0 => Ipc::Suppressed,
            1 => Ipc::Update16,
            2 => Ipc::Update32,
            3 => Ipc::Sext48,
            4 => Ipc::Update48,
            _ => Ipc::Full,
        }
    }

    /// libipt's packet as ours; `None` for a type we do not map.
    pub fn as_packet(&self) -> Option<Packet> {
        let ip = || IpPayload { ipc: Self::ipc(self.u32(8)), ip: self.u64(16) };
        Some(match self.u32(0) {
            PPT_PAD => Packet::Pad,
            PPT_PSB => Packet::Psb,
            PPT_PSBEND => Packet::PsbEnd,
            PPT_FUP => Packet::Fup(ip()),
            PPT_TIP => Packet::Tip(ip()),
            PPT_TIP_PGE => Packet::TipPge(ip()),
            PPT_TIP_PGD => Packet::TipPgd(ip()),
            PPT_TNT_8 => Packet::Tnt8 { bits: self.u64(16), count: self.u8(8) },
            PPT_TNT_64 => Packet::Tnt64 { bits: self.u64(16), count: self.u8(8) },
            PPT_MODE => {
                let b = self.u32(12);
                match self.u32(8) {
                    0 => Packet::ModeExec { csl: b & 1 != 0, csd: b & 2 != 0 },
                    _ => Packet::ModeTsx { intx: b & 1 != 0, abrt: b & 2 != 0 },
                }
            }
            PPT_PIP => Packet::Pip { cr3: self.u64(8), nr: self.u8(16) & 1 != 0 },
            PPT_VMCS => Packet::Vmcs(self.u64(8)),
            PPT_CBR => Packet::Cbr(self.u8(8)),
            PPT_TSC => Packet::Tsc(self.u64(8)),
            PPT_TMA => Packet::Tma { ctc: self.u16(8), fc: self.u16(10) },
            PPT_MTC => Packet::Mtc(self.u8(8)),
            PPT_CYC => Packet::Cyc(self.u64(8)),
            PPT_STOP => Packet::Stop,
            PPT_OVF => Packet::Ovf,
            PPT_MNT => Packet::Mnt(self.u64(8)),
            PPT_EXSTOP => Packet::Exstop { ip: self.u8(8) & 1 != 0 },
            PPT_MWAIT => Packet::Mwait { hints: self.u32(8), ext: self.u32(12) },
            PPT_PWRE => Packet::Pwre { state: self.u8(8), sub_state: self.u8(9), hw: self.u8(10) & 1 != 0 },
            PPT_PWRX => Packet::Pwrx {
                last: self.u8(8),
                deepest: self.u8(9),
                interrupt: self.u8(10) & 1 != 0,
                store: self.u8(10) & 2 != 0,
                autonomous: self.u8(10) & 4 != 0,
            },
            PPT_PTW => Packet::Ptw { payload: self.u64(8), plc: self.u8(16), ip: self.u8(17) & 1 != 0 },
            _ => return None,
        })
    }

    /// Our packet in libipt's form, for its encoder; `None` for the block packets, which
    /// libipt 2.0.5 does not know.
    pub fn from_packet(p: &Packet) -> Option<PtPacket> {
        let mut k = PtPacket([0; 24]);
        let ty = |k: &mut PtPacket, t: u32| k.set(0, &t.to_le_bytes());
        let ip = |k: &mut PtPacket, t: u32, p: &IpPayload| {
            k.set(0, &t.to_le_bytes());
            k.set(8, &(p.ipc as u32).to_le_bytes());
            k.set(16, &p.ip.to_le_bytes());
        };
        match *p {
            Packet::Pad => ty(&mut k, PPT_PAD),
            Packet::Psb => ty(&mut k, PPT_PSB),
            Packet::PsbEnd => ty(&mut k, PPT_PSBEND),
            Packet::Ovf => ty(&mut k, PPT_OVF),
            Packet::Stop => ty(&mut k, PPT_STOP),
            Packet::Fup(ref x) => ip(&mut k, PPT_FUP, x),
            Packet::Tip(ref x) => ip(&mut k, PPT_TIP, x),
            Packet::TipPge(ref x) => ip(&mut k, PPT_TIP_PGE, x),
            Packet::TipPgd(ref x) => ip(&mut k, PPT_TIP_PGD, x),
            Packet::Tnt8 { bits, count } | Packet::Tnt64 { bits, count } => {
                ty(&mut k, if matches!(p, Packet::Tnt8 { .. }) { PPT_TNT_8 } else { PPT_TNT_64 });
                k.0[8] = count;
                k.set(16, &bits.to_le_bytes());
            }
            Packet::ModeExec { csl, csd } => {
                ty(&mut k, PPT_MODE);
                k.set(12, &(csl as u32 | (csd as u32) << 1).to_le_bytes());
            }
            Packet::ModeTsx { intx, abrt } => {
                ty(&mut k, PPT_MODE);
                k.set(8, &0x20u32.to_le_bytes());
                k.set(12, &(intx as u32 | (abrt as u32) << 1).to_le_bytes());
            }
            Packet::Pip { cr3, nr } => {
                ty(&mut k, PPT_PIP);
                k.set(8, &cr3.to_le_bytes());
                k.0[16] = nr as u8;
            }
            Packet::Vmcs(v) => {
                ty(&mut k, PPT_VMCS);
                k.set(8, &v.to_le_bytes());
            }
            Packet::Cbr(v) => {
                ty(&mut k, PPT_CBR);
                k.0[8] = v;
            }
            Packet::Tsc(v) => {
                ty(&mut k, PPT_TSC);
                k.set(8, &v.to_le_bytes());
            }
            Packet::Tma { ctc, fc } => {
                ty(&mut k, PPT_TMA);
                k.set(8, &ctc.to_le_bytes());
                k.set(10, &fc.to_le_bytes());
            }
            Packet::Mtc(v) => {
                ty(&mut k, PPT_MTC);
                k.0[8] = v;
            }
            Packet::Cyc(v) => {
                ty(&mut k, PPT_CYC);
                k.set(8, &v.to_le_bytes());
            }
            Packet::Mnt(v) => {
                ty(&mut k, PPT_MNT);
                k.set(8, &v.to_le_bytes());
            }
            Packet::Exstop { ip } => {
                ty(&mut k, PPT_EXSTOP);
                k.0[8] = ip as u8;
            }
            Packet::Mwait { hints, ext } => {
                ty(&mut k, PPT_MWAIT);
                k.set(8, &hints.to_le_bytes());
                k.set(12, &ext.to_le_bytes());
            }
            Packet::Pwre { state, sub_state, hw } => {
                ty(&mut k, PPT_PWRE);
                k.0[8] = state;
                k.0[9] = sub_state;
                k.0[10] = hw as u8;
            }
            Packet::Pwrx { last, deepest, interrupt, store, autonomous } => {
                ty(&mut k, PPT_PWRX);
                k.0[8] = last;
                k.0[9] = deepest;
                k.0[10] = interrupt as u8 | (store as u8) << 1 | (autonomous as u8) << 2;
            }
            Packet::Ptw { payload, plc, ip } => {
                ty(&mut k, PPT_PTW);
                k.set(8, &payload.to_le_bytes());
                k.0[16] = plc;
                k.0[17] = ip as u8;
            }
            Packet::Bbp { .. } | Packet::Bip { .. } | Packet::Bep { .. } => return None,
        }
        Some(k)
    }
}

/// Encodes `pkts` with libipt's encoder into a buffer of at most `cap` bytes.
pub fn encode(pkts: &[Packet], cap: usize) -> Vec<u8> {
    let mut buf = vec![0u8; cap];
    let cfg = PtConfig::new(&buf);
    // SAFETY: the encoder writes only inside [begin, end) of `buf`, which lives until it is
    // freed below; packets are valid pt_packet values built by `from_packet`.
    unsafe {
        let enc = pt_alloc_encoder(&cfg);
        assert!(!enc.is_null());
        for p in pkts {
            let k = PtPacket::from_packet(p).expect("libipt packet");
            let rc = pt_enc_next(enc, &k);
            assert!(rc >= 0, "pt_enc_next({p:?}) = {rc}");
        }
        let mut off = 0u64;
        pt_enc_get_offset(enc, &mut off);
        pt_free_encoder(enc);
        buf.truncate(off as usize);
    }
    buf
}

/// Decodes `buf` with libipt's packet decoder: (offset, packet) or an error code, resyncing
/// after errors the way ptdump does.
pub fn decode(buf: &[u8]) -> Vec<Result<(u64, Packet), c_int>> {
    let cfg = PtConfig::new(buf);
    let mut out = Vec::new();
    // SAFETY: the decoder reads only inside `buf`, which outlives it; the packet buffer has
    // the size we pass.
    unsafe {
        let dec = pt_pkt_alloc_decoder(&cfg);
        assert!(!dec.is_null());
        'sync: while pt_pkt_sync_forward(dec) >= 0 {
            loop {
                let mut off = 0u64;
                pt_pkt_get_offset(dec, &mut off);
                let mut k = PtPacket([0; 24]);
                let rc = pt_pkt_next(dec, &mut k, 24);
                if rc == PTE_EOS {
                    // A packet cut off by the end of the buffer; ours reports it as an error.
                    if (off as usize) < buf.len() {
                        out.push(Err(rc));
                    }
                    break 'sync;
                }
                if rc < 0 {
                    out.push(Err(rc));
                    continue 'sync;
                }
                out.push(Ok((off, k.as_packet().expect("mapped type"))));
            }
        }
        pt_pkt_free_decoder(dec);
    }
    out
}

/// A libipt image with the loadable segments of ELF files at load addresses.
pub struct Image(pub *mut c_void);

impl Image {
    pub fn new(elfs: &[(std::path::PathBuf, u64)]) -> Image {
        let name = CString::new("img").unwrap();
        // SAFETY: plain allocation with a valid C string.
        let img = unsafe { pt_image_alloc(name.as_ptr()) };
        assert!(!img.is_null());
        for (path, load) in elfs {
            let bytes = std::fs::read(path).unwrap();
            let segs = tracer_pt::image::load_segments(&bytes, &path.display().to_string()).unwrap();
            let lowest = segs.iter().map(|s| s.vaddr).min().unwrap() & !0xfff;
            let c = CString::new(path.to_str().unwrap()).unwrap();
            for s in segs {
                // SAFETY: valid image and file name; libipt reads the file itself.
                let rc = unsafe {
                    pt_image_add_file(
                        img,
                        c.as_ptr(),
                        s.offset,
                        s.filesz,
                        std::ptr::null(),
                        s.vaddr - lowest + load,
                    )
                };
                assert!(rc >= 0, "pt_image_add_file {}: {rc}", path.display());
            }
        }
        Image(img)
    }
}

impl Image {
    /// A libipt image with a raw file's bytes at `vaddr`.
    pub fn raw(path: &std::path::Path, vaddr: u64) -> Image {
        let name = CString::new("raw").unwrap();
        let c = CString::new(path.to_str().unwrap()).unwrap();
        let len = std::fs::metadata(path).unwrap().len();
        // SAFETY: plain allocation with a valid C string; libipt reads the file itself.
        unsafe {
            let img = pt_image_alloc(name.as_ptr());
            assert!(!img.is_null());
            let rc = pt_image_add_file(img, c.as_ptr(), 0, len, std::ptr::null(), vaddr);
            assert!(rc >= 0, "pt_image_add_file: {rc}");
            Image(img)
        }
    }
}

impl Drop for Image {
    fn drop(&mut self) {
        // SAFETY: allocated by pt_image_alloc and freed once.
        unsafe { pt_image_free(self.0) }
    }
}

/// Runs libipt's instruction-flow decoder over `buf` (with the errata of `cpu`, as ptxed
/// --cpu does); returns (instructions, errors).
pub fn insn_decode(buf: &[u8], image: &Image, cpu: (u16, u8, u8)) -> (u64, u64) {
    let mut cfg = PtConfig::new(buf);
    cfg.set_cpu(cpu.0, cpu.1, cpu.2);
    let (mut n, mut errs) = (0u64, 0u64);
    // SAFETY: decoder over `buf` (outlives it) and a live image; out-structs have the sizes
    // passed.
    unsafe {
        let dec = pt_insn_alloc_decoder(&cfg);
        pt_insn_set_image(dec, image.0);
        let mut status = pt_insn_sync_forward(dec);
        while status >= 0 {
            loop {
                while status & PTS_EVENT_PENDING != 0 {
                    let mut ev = PtEvent([0; 64]);
                    status = pt_insn_event(dec, &mut ev, 64);
                    if status < 0 {
                        break;
                    }
                }
                if status < 0 {
                    break;
                }
                let mut insn = PtInsn([0; 40]);
                status = pt_insn_next(dec, &mut insn, 40);
                if status < 0 {
                    break;
                }
                n += 1;
            }
            if status != PTE_EOS {
                errs += 1;
            }
            status = pt_insn_sync_forward(dec);
        }
        pt_insn_free_decoder(dec);
    }
    (n, errs)
}

/// Runs libipt's block decoder over `buf`; returns (instructions, errors).
pub fn blk_decode(buf: &[u8], image: &Image, cpu: (u16, u8, u8)) -> (u64, u64) {
    let mut cfg = PtConfig::new(buf);
    cfg.set_cpu(cpu.0, cpu.1, cpu.2);
    let (mut n, mut errs) = (0u64, 0u64);
    // SAFETY: as in `insn_decode`.
    unsafe {
        let dec = pt_blk_alloc_decoder(&cfg);
        pt_blk_set_image(dec, image.0);
        let mut status = pt_blk_sync_forward(dec);
        while status >= 0 {
            loop {
                while status & PTS_EVENT_PENDING != 0 {
                    let mut ev = PtEvent([0; 64]);
                    status = pt_blk_event(dec, &mut ev, 64);
                    if status < 0 {
                        break;
                    }
                }
                if status < 0 {
                    break;
                }
                let mut blk = PtBlock([0; 48]);
                status = pt_blk_next(dec, &mut blk, 48);
                // ninsn is a u16 at offset 28; a block may be delivered with an error status.
                n += u16::from_le_bytes([blk.0[28], blk.0[29]]) as u64;
                if status < 0 {
                    break;
                }
            }
            if status != PTE_EOS {
                errs += 1;
            }
            status = pt_blk_sync_forward(dec);
        }
        pt_blk_free_decoder(dec);
    }
    (n, errs)
}

/// The instruction addresses libipt's instruction-flow decoder finds in `buf`, and the
/// number of errors (resyncing after each, as ptxed does).
pub fn insn_ips(buf: &[u8], image: &Image) -> (Vec<u64>, u64) {
    let cfg = PtConfig::new(buf);
    let (mut ips, mut errs) = (Vec::new(), 0u64);
    // SAFETY: as in `insn_decode`.
    unsafe {
        let dec = pt_insn_alloc_decoder(&cfg);
        pt_insn_set_image(dec, image.0);
        let mut status = pt_insn_sync_forward(dec);
        while status >= 0 {
            loop {
                while status >= 0 && status & PTS_EVENT_PENDING != 0 {
                    let mut ev = PtEvent([0; 64]);
                    status = pt_insn_event(dec, &mut ev, 64);
                }
                if status < 0 || status & PTS_EOS != 0 {
                    break;
                }
                let mut insn = PtInsn([0; 40]);
                status = pt_insn_next(dec, &mut insn, 40);
                // iclass (offset 16) 0 is ptic_error: no instruction.
                if status >= 0 || u32::from_le_bytes(insn.0[16..20].try_into().unwrap()) != 0 {
                    ips.push(u64::from_le_bytes(insn.0[..8].try_into().unwrap()));
                }
                if status < 0 {
                    break;
                }
            }
            if status < 0 && status != PTE_EOS {
                errs += 1;
            }
            status = pt_insn_sync_forward(dec);
        }
        pt_insn_free_decoder(dec);
    }
    (ips, errs)
}

/// A libipt event: its type (`ptev_*`), whether its IP is suppressed, and the first two
/// u64 words of its variant (e.g. async_branch from/to, tsx ip and flags, overflow ip).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ev {
    pub ty: u32,
    pub ip_suppressed: bool,
    pub a: u64,
    pub b: u64,
}

pub const PTEV_ENABLED: u32 = 0;
pub const PTEV_DISABLED: u32 = 1;
pub const PTEV_ASYNC_DISABLED: u32 = 2;
pub const PTEV_ASYNC_BRANCH: u32 = 3;
pub const PTEV_OVERFLOW: u32 = 6;
pub const PTEV_EXEC_MODE: u32 = 7;
pub const PTEV_TSX: u32 = 8;

/// What libipt's instruction-flow decoder finds: instruction addresses, events in order
/// (each tagged with the number of instructions before it), and errors.
#[derive(Debug, Default)]
pub struct Flow {
    pub ips: Vec<u64>,
    pub events: Vec<(usize, Ev)>,
    pub errs: u64,
}

/// Runs libipt's instruction-flow decoder over `buf` with an optional CPU (for its errata)
/// and an optional addr0 filter.
pub fn insn_flow(buf: &[u8], image: &Image, cpu: Option<(u16, u8, u8)>, filter: Option<(u64, u64)>) -> Flow {
    let mut cfg = PtConfig::new(buf);
    if let Some(c) = cpu {
        cfg.set_cpu(c.0, c.1, c.2);
    }
    if let Some((a, b)) = filter {
        cfg.set_filter(a, b);
    }
    let mut out = Flow::default();
    let word = |e: &PtEvent, at: usize| u64::from_le_bytes(e.0[at..at + 8].try_into().unwrap());
    // SAFETY: as in `insn_decode`.
    unsafe {
        let dec = pt_insn_alloc_decoder(&cfg);
        pt_insn_set_image(dec, image.0);
        let mut status = pt_insn_sync_forward(dec);
        while status >= 0 {
            loop {
                while status >= 0 && status & PTS_EVENT_PENDING != 0 {
                    let mut ev = PtEvent([0; 64]);
                    status = pt_insn_event(dec, &mut ev, 64);
                    if status >= 0 {
                        let e = Ev {
                            ty: u32::from_le_bytes(ev.0[0..4].try_into().unwrap()),
                            ip_suppressed: ev.0[4] & 1 != 0,
                            a: word(&ev, 40),
                            b: word(&ev, 48),
                        };
                        out.events.push((out.ips.len(), e));
                    }
                }
                if status < 0 || status & PTS_EOS != 0 {
                    break;
                }
                let mut insn = PtInsn([0; 40]);
                status = pt_insn_next(dec, &mut insn, 40);
                if status >= 0 || u32::from_le_bytes(insn.0[16..20].try_into().unwrap()) != 0 {
                    out.ips.push(u64::from_le_bytes(insn.0[..8].try_into().unwrap()));
                }
                if status < 0 {
                    break;
                }
            }
            if status < 0 && status != PTE_EOS {
                out.errs += 1;
            }
            status = pt_insn_sync_forward(dec);
        }
        pt_insn_free_decoder(dec);
    }
    out
}

/// libipt's errata bits (the pt_errata word at config offset 48) for a CPU.
pub fn errata_bits(family: u16, model: u8, stepping: u8) -> u32 {
    let mut cfg = PtConfig::new(&[]);
    cfg.set_cpu(family, model, stepping);
    u32::from_le_bytes(cfg.0[48..52].try_into().unwrap())
}

/// The blocks libipt's block decoder finds in `buf`: (first IP, last IP, instructions), and
/// the number of errors.
pub fn blk_ranges(buf: &[u8], image: &Image) -> (Vec<(u64, u64, u16)>, u64) {
    let cfg = PtConfig::new(buf);
    let (mut out, mut errs) = (Vec::new(), 0u64);
    // SAFETY: as in `insn_decode`.
    unsafe {
        let dec = pt_blk_alloc_decoder(&cfg);
        pt_blk_set_image(dec, image.0);
        let mut status = pt_blk_sync_forward(dec);
        while status >= 0 {
            loop {
                while status >= 0 && status & PTS_EVENT_PENDING != 0 {
                    let mut ev = PtEvent([0; 64]);
                    status = pt_blk_event(dec, &mut ev, 64);
                }
                if status < 0 || status & PTS_EOS != 0 {
                    break;
                }
                let mut blk = PtBlock([0; 48]);
                status = pt_blk_next(dec, &mut blk, 48);
                let n = u16::from_le_bytes([blk.0[28], blk.0[29]]);
                if n > 0 {
                    let ip = u64::from_le_bytes(blk.0[0..8].try_into().unwrap());
                    let end = u64::from_le_bytes(blk.0[8..16].try_into().unwrap());
                    out.push((ip, end, n));
                }
                if status < 0 {
                    break;
                }
            }
            if status < 0 && status != PTE_EOS {
                errs += 1;
            }
            status = pt_blk_sync_forward(dec);
        }
        pt_blk_free_decoder(dec);
    }
    (out, errs)
}
