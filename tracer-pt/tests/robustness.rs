//! Thousands of deterministic mutations of the real captures through the packet decoder and
//! flow reconstruction: no panic, and the packet stream resynchronizes after the damage.

mod common;
mod rng;

use common::*;
use rng::Rng;
use std::panic::{catch_unwind, AssertUnwindSafe};
use tracer_pt::flow::{Config, FlowDecoder};
use tracer_pt::listing::Counter;
use tracer_pt::packet::{find_psb, Packet, Packets};

/// Mutations per capture, each through the packet decoder and flow reconstruction
/// (TRACER_PT_MUTATIONS overrides it for longer runs).
fn mutations() -> u64 {
    std::env::var("TRACER_PT_MUTATIONS").ok().and_then(|v| v.parse().ok()).unwrap_or(1000)
}

fn packets(buf: &[u8]) -> Vec<Result<(u64, Packet), tracer_pt::packet::PacketError>> {
    Packets::new(buf).collect()
}

/// Damages `buf` in place; returns the damaged range.
fn mutate(r: &mut Rng, buf: &mut [u8]) -> (usize, usize) {
    // Aim at the traced part (after the leading zeros) most of the time.
    let first = find_psb(buf, 0).unwrap_or(0);
    let span = buf.len() - first;
    let at = first + r.below(span as u64) as usize;
    let len = (1 + r.below(12) as usize).min(buf.len() - at);
    match r.below(4) {
        0 => buf[at] ^= 1 << r.below(8),
        1 => buf[at..at + len].iter_mut().for_each(|b| *b = r.next() as u8),
        2 => buf[at..at + len].iter_mut().for_each(|b| *b = [0x02, 0x82, 0xff, 0x00][r.below(4) as usize]),
        _ => {
            // Copy a chunk from elsewhere (packet-shaped garbage).
            let from = first + r.below(span as u64) as usize;
            let n = len.min(buf.len() - from);
            let chunk = buf[from..from + n].to_vec();
            buf[at..at + n].copy_from_slice(&chunk);
            return (at, at + n);
        }
    }
    (at, at + len)
}

#[test]
fn mutated_captures_never_panic_and_resync() {
    let (mut total, mut flows, mut resynced, mut errors) = (0u64, 0u64, 0u64, 0u64);
    for (ci, c) in CAPTURES.iter().enumerate() {
        let orig = c.bytes();
        let img = c.image();
        let want = packets(&orig);
        let mut r = Rng(0xfeed + ci as u64);
        for m in 0..mutations() {
            let mut buf = orig.clone();
            let (lo, hi) = mutate(&mut r, &mut buf);
            if r.below(8) == 0 {
                buf.truncate(lo.max(1));
            }
            let got = catch_unwind(AssertUnwindSafe(|| packets(&buf)))
                .unwrap_or_else(|_| panic!("{}: packet decoder panicked on mutation {m}", c.name));
            errors += got.iter().filter(|x| x.is_err()).count() as u64;
            // Past the damage (and the longest packet that could run into what follows), the
            // first intact PSB and everything after it decode as before.
            if let Some(q) = find_psb(&orig, hi + 32).filter(|_| buf.len() == orig.len()) {
                let tail = |v: &[Result<(u64, Packet), _>]| -> Vec<(u64, Packet)> {
                    v.iter()
                        .filter_map(|x| x.as_ref().ok())
                        .filter(|(o, _)| *o >= q as u64)
                        .copied()
                        .collect()
                };
                assert_eq!(
                    tail(&got),
                    tail(&want),
                    "{}: mutation {m} at {lo:#x}..{hi:#x}: no resync at {q:#x}",
                    c.name
                );
                resynced += 1;
            }
            {
                let n = catch_unwind(AssertUnwindSafe(|| {
                    let mut sink = Counter::default();
                    FlowDecoder::new(&buf, &img, Config::default()).run(&mut sink);
                    sink.insns
                }))
                .unwrap_or_else(|_| panic!("{}: flow decoder panicked on mutation {m}", c.name));
                assert!(n < 10_000_000);
                flows += 1;
            }
            total += 1;
        }
    }
    println!(
        "{total} mutations: no panic; {flows} also through flow reconstruction; {resynced} checked for \
         resync; {errors} packet errors reported"
    );
    assert!(resynced > total / 2);
}

#[test]
fn random_bytes_never_panic() {
    let img = CAPTURES[1].image();
    let mut r = Rng(7);
    for i in 0..200 {
        let n = r.below(4096) as usize;
        let mut buf: Vec<u8> = (0..n).map(|_| r.next() as u8).collect();
        // Plant a few PSBs so that the decoders get past synchronization.
        for _ in 0..r.below(4) {
            if buf.len() > 16 {
                let at = r.below(buf.len() as u64 - 16) as usize;
                buf[at..at + 16].copy_from_slice(&tracer_pt::packet::PSB);
            }
        }
        catch_unwind(AssertUnwindSafe(|| {
            let _ = packets(&buf);
            FlowDecoder::new(&buf, &img, Config::default()).run(&mut Counter::default());
        }))
        .unwrap_or_else(|_| panic!("panic on random buffer {i}"));
    }
}
