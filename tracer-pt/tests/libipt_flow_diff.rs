//! Flow reconstruction against libipt 2.0.5's instruction-flow decoder on random programs:
//! a random control-flow graph in x86-64 code (conditional branches, jumps, calls, returns,
//! indirect jumps and calls), a random execution of it, and the trace that execution makes
//! (TNT, TIP, compressed and uncompressed returns, interrupts through FUP+TIP, timing
//! packets, PSB+ status updates, overflows, every IP compression), encoded by libipt. Both decoders must find exactly the
//! simulated instructions.
#![cfg(target_arch = "x86_64")]

mod common;
mod libipt;
mod rng;

use rng::Rng;
use trace_ir::path::CodeImage;
use tracer_pt::block::Block;
use tracer_pt::flow::{Config, Event, FlowDecoder, Sink};
use tracer_pt::packet::{IpPayload, Ipc, Packet};

const BASE: u64 = 0x7f00_1234_0000;
const SLOTS: usize = 48;
const SLOT: u64 = 32;

#[derive(Clone, Copy, Debug)]
enum Term {
    /// jne to slot `t`, else jmp to slot `f`.
    Cond(usize, usize),
    Jmp(usize),
    /// call slot `callee`, then jmp to slot `after`.
    Call(usize, usize),
    Ret,
    IndJmp,
    /// call rax, then jmp to slot `after`.
    IndCall(usize),
}

struct Program {
    code: Vec<u8>,
    /// Per slot: filler instruction addresses, then the terminator's instructions.
    fill: Vec<usize>,
    term: Vec<Term>,
}

fn slot(i: usize) -> u64 {
    BASE + SLOT * i as u64
}

/// Appends a rel32 to `target`, relative to the end of the instruction (these four bytes).
fn rel32(code: &mut Vec<u8>, target: u64) {
    let end = BASE + code.len() as u64 + 4;
    code.extend_from_slice(&((target.wrapping_sub(end)) as i32).to_le_bytes());
}

fn program(r: &mut Rng) -> Program {
    let mut code = Vec::new();
    let (mut fill, mut term) = (Vec::new(), Vec::new());
    for i in 0..SLOTS {
        let start = slot(i);
        code.resize((SLOT as usize) * i, 0xcc);
        let nf = r.below(4) as usize;
        for _ in 0..nf {
            code.extend_from_slice(&[0x83, 0xc0, 0x01]); // add eax, 1
        }
        let pick = |r: &mut Rng| r.below(SLOTS as u64) as usize;
        let t = match r.below(10) {
            0..=3 => Term::Cond(pick(r), pick(r)),
            4 => Term::Jmp(pick(r)),
            5 | 6 => Term::Call(pick(r), pick(r)),
            7 => Term::Ret,
            8 => Term::IndJmp,
            _ => Term::IndCall(pick(r)),
        };
        let at = |code: &Vec<u8>| BASE + code.len() as u64;
        match t {
            Term::Cond(a, b) => {
                code.extend_from_slice(&[0x0f, 0x85]);
                rel32(&mut code, slot(a));
                code.push(0xe9);
                rel32(&mut code, slot(b));
            }
            Term::Jmp(a) => {
                code.push(0xe9);
                rel32(&mut code, slot(a));
            }
            Term::Call(f, a) => {
                code.push(0xe8);
                rel32(&mut code, slot(f));
                code.push(0xe9);
                rel32(&mut code, slot(a));
            }
            Term::Ret => code.push(0xc3),
            Term::IndJmp => code.extend_from_slice(&[0xff, 0xe0]),
            Term::IndCall(a) => {
                code.extend_from_slice(&[0xff, 0xd0]);
                code.push(0xe9);
                rel32(&mut code, slot(a));
            }
        }
        assert!(at(&code) <= start + SLOT);
        fill.push(nf);
        term.push(t);
    }
    code.resize(SLOT as usize * SLOTS, 0xcc);
    Program { code, fill, term }
}

/// Writes packets with pending TNT bits and libipt-valid IP compression.
struct Trace<'r> {
    pkts: Vec<Packet>,
    bits: Vec<bool>,
    last_ip: u64,
    r: &'r mut Rng,
    /// Slots entered since the last TNT bit or IP packet. A direct branch back into one of
    /// them would make a loop the trace cannot tell iterations of apart (no packets), so the
    /// execution ends there instead.
    visited: Vec<u64>,
    /// The last decision was an IP packet (not a TNT bit).
    last_was_ip: bool,
}

impl Trace<'_> {
    fn flush(&mut self) {
        for chunk in std::mem::take(&mut self.bits).chunks(6) {
            let mut v = 0u64;
            for &b in chunk {
                v = v << 1 | b as u64;
            }
            self.pkts.push(Packet::Tnt8 { bits: v, count: chunk.len() as u8 });
        }
    }
    fn bit(&mut self, b: bool) {
        self.visited.clear();
        self.last_was_ip = false;
        self.bits.push(b);
        if self.bits.len() == 6 {
            self.flush();
        }
    }
    fn ip(&mut self, ip: u64) -> IpPayload {
        self.visited.clear();
        self.last_was_ip = true;
        let last = self.last_ip;
        let mut choices = vec![(Ipc::Full, ip)];
        if (((ip << 16) as i64) >> 16) as u64 == ip {
            choices.push((Ipc::Sext48, ip & 0xffff_ffff_ffff));
        }
        if ip >> 48 == last >> 48 {
            choices.push((Ipc::Update48, ip & 0xffff_ffff_ffff));
        }
        if ip >> 32 == last >> 32 {
            choices.push((Ipc::Update32, ip & 0xffff_ffff));
        }
        if ip >> 16 == last >> 16 {
            choices.push((Ipc::Update16, ip & 0xffff));
        }
        let (ipc, payload) = choices[self.r.below(choices.len() as u64) as usize];
        self.last_ip = ip;
        IpPayload { ipc, ip: payload }
    }
    fn tip(&mut self, ip: u64) {
        self.flush();
        let p = self.ip(ip);
        self.pkts.push(Packet::Tip(p));
    }
    fn noise(&mut self) {
        if self.r.below(16) == 0 {
            let v = self.r.next() >> 8;
            self.pkts.push(
                [Packet::Tsc(v), Packet::Cbr(0x1d), Packet::Pad, Packet::Mtc(3)][self.r.below(4) as usize],
            );
        }
    }
}

/// Runs program `p` from slot 0 with random choices; returns the trace and the executed
/// instruction addresses.
fn execute(p: &Program, r: &mut Rng, steps: usize) -> (Vec<Packet>, Vec<u64>) {
    let mut t = Trace {
        pkts: vec![Packet::Psb, Packet::ModeExec { csl: true, csd: false }, Packet::PsbEnd],
        bits: vec![],
        last_ip: 0,
        r,
        visited: vec![],
        last_was_ip: false,
    };
    let pge = t.ip(BASE);
    t.pkts.push(Packet::TipPge(pge));
    let mut insns = Vec::new();
    // The program was already some calls deep when tracing started: those returns are not on
    // the decoder's (or the hardware's) return-compression stack, so they come as TIPs. The
    // calls seen while tracing return compressed, with a taken bit.
    let mut stack: Vec<u64> = Vec::new();
    for (i, term) in p.term.iter().enumerate() {
        if matches!(term, Term::Call(..)) && t.r.bool() {
            stack.push(slot(i) + 3 * p.fill[i] as u64 + 5);
        }
    }
    let mut hw = 0usize;
    let mut ip = BASE;
    for _ in 0..steps {
        let i = ((ip - BASE) / SLOT) as usize;
        // An interrupt at a slot start now and then.
        if ip == slot(i) && t.r.below(20) == 0 {
            t.flush();
            let f = t.ip(ip);
            t.pkts.push(Packet::Fup(f));
            let to = slot(t.r.below(SLOTS as u64) as usize);
            t.tip(to);
            ip = to;
            continue;
        }
        t.noise();
        // Right after a packet (so the decoder stands exactly here): now and then a PSB+
        // status update, or an overflow that resumes here.
        if ip == slot(i) && t.visited.is_empty() && !t.pkts.is_empty() {
            match t.r.below(30) {
                0 => {
                    t.flush();
                    t.pkts.extend([Packet::Psb, Packet::ModeExec { csl: true, csd: false }]);
                    t.last_ip = 0;
                    let f = t.ip(ip);
                    t.pkts.extend([Packet::Fup(f), Packet::PsbEnd]);
                    hw = 0;
                }
                // libipt acts on an overflow as soon as it has read it, dropping TNT bits it
                // had cached before it; ours uses those bits first. Overflows therefore come
                // only after an IP packet here, where both agree.
                1 if t.bits.is_empty() && t.last_was_ip => {
                    t.pkts.push(Packet::Ovf);
                    t.last_ip = 0;
                    let f = t.ip(ip);
                    t.pkts.push(Packet::Fup(f));
                    hw = 0;
                }
                _ => {}
            }
        }
        if ip != slot(i) {
            // Back from a call: the `jmp` after it.
            let to = match p.term[i] {
                Term::Call(_, after) | Term::IndCall(after) => slot(after),
                _ => unreachable!("returns only land after calls"),
            };
            if t.visited.contains(&to) {
                break;
            }
            t.visited.push(ip);
            insns.push(ip);
            ip = to;
            continue;
        }
        t.visited.push(ip);
        let mut a = ip;
        for _ in 0..p.fill[i] {
            insns.push(a);
            a += 3;
        }
        let random_slot = |t: &mut Trace| slot(t.r.below(SLOTS as u64) as usize);
        insns.push(a);
        ip = match p.term[i] {
            Term::Cond(x, y) => {
                let taken = t.r.bool();
                t.bit(taken);
                if taken {
                    slot(x)
                } else {
                    insns.push(a + 6);
                    slot(y)
                }
            }
            Term::Jmp(x) if t.visited.contains(&slot(x)) => {
                insns.pop();
                ip = a;
                break;
            }
            Term::Jmp(x) => slot(x),
            Term::Call(f, _) => {
                if hw >= 60 || t.visited.contains(&slot(f)) {
                    insns.pop();
                    ip = a;
                    break;
                }
                stack.push(a + 5);
                hw += 1;
                slot(f)
            }
            Term::Ret => match stack.pop() {
                None => {
                    insns.pop();
                    ip = a;
                    break;
                }
                Some(to) => {
                    if hw > 0 {
                        hw -= 1;
                        t.bit(true);
                    } else {
                        t.tip(to);
                    }
                    to
                }
            },
            Term::IndJmp => {
                let to = random_slot(&mut t);
                t.tip(to);
                to
            }
            Term::IndCall(_) => {
                if hw >= 60 {
                    insns.pop();
                    ip = a;
                    break;
                }
                stack.push(a + 2);
                hw += 1;
                let to = random_slot(&mut t);
                t.tip(to);
                to
            }
        };
    }
    // Stop tracing where we are: FUP + TIP.PGD, an asynchronous disable.
    t.flush();
    let f = t.ip(ip);
    t.pkts.push(Packet::Fup(f));
    t.pkts.push(Packet::TipPgd(IpPayload { ipc: Ipc::Suppressed, ip: 0 }));
    (t.pkts, insns)
}

#[derive(Default)]
struct Ips(Vec<u64>, u64);

impl Sink for Ips {
    fn insns(&mut self, b: &Block, n: usize) {
        self.0.extend((0..n).map(|i| b.insn(i)));
    }
    fn event(&mut self, ev: &Event) {
        self.1 += matches!(ev, Event::Error(_)) as u64;
    }
}

#[test]
fn random_programs_decode_like_libipt_and_the_simulation() {
    let mut total = 0usize;
    for seed in 0..150u64 {
        let mut r = Rng(0xc0de + seed);
        let p = program(&mut r);
        let (pkts, want) = execute(&p, &mut r, 400);
        let trace = libipt::encode(&pkts, 64 * 1024);

        let mut img = CodeImage::new();
        img.add(BASE, p.code.clone(), "random");
        let mut ours = Ips::default();
        FlowDecoder::new(&trace, &img, Config::default()).run(&mut ours);

        let f = common::temp_file(&format!("prog-{seed}.bin"));
        std::fs::write(&f, &p.code).unwrap();
        let (theirs, errs) = libipt::insn_ips(&trace, &libipt::Image::raw(&f, BASE));
        std::fs::remove_file(&f).ok();

        let first_diff = |a: &[u64], b: &[u64]| {
            let i = a.iter().zip(b).position(|(x, y)| x != y).unwrap_or(a.len().min(b.len()));
            let lo = i.saturating_sub(3);
            format!(
                "first difference at {i} (lens {} / {}):\n  {:x?}\n  {:x?}",
                a.len(),
                b.len(),
                &a[lo..(i + 3).min(a.len())],
                &b[lo..(i + 3).min(b.len())]
            )
        };
        if std::env::var("PT_DEBUG").is_ok() && (theirs != want || ours.0 != want) {
            println!("ours: {}", first_diff(&ours.0, &want));
            for (i, p) in pkts.iter().enumerate() {
                println!("{i}: {p:x?}");
            }
        }
        assert!(theirs == want, "seed {seed}: libipt vs simulation: {}", first_diff(&theirs, &want));
        assert!(ours.0 == want, "seed {seed}: ours vs simulation: {}", first_diff(&ours.0, &want));
        assert_eq!(errs, 0, "seed {seed}: libipt errors");
        assert_eq!(ours.1, 0, "seed {seed}: our errors");
        assert_eq!(theirs, want, "seed {seed}: libipt vs simulation");
        assert_eq!(ours.0, want, "seed {seed}: ours vs simulation");
        total += want.len();
    }
    println!("150 random programs, {total} instructions: libipt, ours and the simulation agree");
}

#[test]
fn mutated_random_program_traces_never_panic() {
    let mut n = 0;
    for seed in 0..40u64 {
        let mut r = Rng(0xbad + seed);
        let p = program(&mut r);
        let (pkts, _) = execute(&p, &mut r, 300);
        let trace = libipt::encode(&pkts, 64 * 1024);
        let mut img = CodeImage::new();
        img.add(BASE, p.code.clone(), "random");
        for _ in 0..50 {
            let mut t = trace.clone();
            for _ in 0..1 + r.below(3) {
                let at = r.below(t.len() as u64) as usize;
                t[at] = r.next() as u8;
            }
            let ok = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                FlowDecoder::new(&t, &img, Config::default()).run(&mut Ips::default());
            }));
            assert!(ok.is_ok(), "seed {seed}: panic");
            n += 1;
        }
    }
    println!("{n} mutated traces over random programs: no panic");
}

/// Deferred TIPs (SDM "Deferred TIPs"): the processor may hold a TIP back until the TNT
/// packet fills, so the TNT carries bits of conditional branches on both sides of an indirect
/// branch and the TIP comes after it. Decoded like the non-deferred order, and like libipt.
#[test]
fn deferred_tips_decode_like_the_plain_order() {
    // 0: jnz 4; 2: nop; nop; 4: jmp rax; 6: jnz 9; 8: nop; 9: jmp rax
    let code = [0x75, 0x02, 0x90, 0x90, 0xff, 0xe0, 0x75, 0x01, 0x90, 0xff, 0xe0];
    let b = BASE;
    let tnt = |bits: &[bool]| {
        let mut v = 0u64;
        for &t in bits {
            v = v << 1 | t as u64;
        }
        Packet::Tnt8 { bits: v, count: bits.len() as u8 }
    };
    let full = |ip| IpPayload { ipc: Ipc::Full, ip };
    let head = [Packet::Psb, Packet::ModeExec { csl: true, csd: false }, Packet::PsbEnd];
    let tip = Packet::Tip(full(b + 6));
    let plain = [tnt(&[true]), tip, tnt(&[false]), tip, tnt(&[true])];
    let deferred = [tnt(&[true, false, true]), tip, tip];
    let want = vec![b, b + 4, b + 6, b + 8, b + 9, b + 6, b + 9];
    let f = common::temp_file("deferred-tip.bin");
    std::fs::write(&f, code).unwrap();
    let theirs_img = libipt::Image::raw(&f, BASE);
    for (name, body) in [("plain", &plain[..]), ("deferred", &deferred[..])] {
        let mut pkts = head.to_vec();
        pkts.push(Packet::TipPge(full(b)));
        pkts.extend_from_slice(body);
        pkts.push(Packet::TipPgd(IpPayload { ipc: Ipc::Suppressed, ip: 0 }));
        let trace = libipt::encode(&pkts, 4096);
        let mut img = CodeImage::new();
        img.add(BASE, code.to_vec(), "code");
        let mut ours = Ips::default();
        FlowDecoder::new(&trace, &img, Config::default()).run(&mut ours);
        let (theirs, errs) = libipt::insn_ips(&trace, &theirs_img);
        assert_eq!((&ours.0, ours.1), (&want, 0), "{name}: ours");
        assert_eq!((&theirs, errs), (&want, 0), "{name}: libipt");
    }
    std::fs::remove_file(&f).ok();
}
