//! Mutated captures (bit flips, truncations, insertions, deletions, overwrites; seeded
//! xorshift, so every run sees the same inputs) go through the deformatter, the packet decoder
//! and flow reconstruction without a panic, and the decoder resynchronises: a clean capture
//! appended after garbage decodes to the same elements as on its own.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;

use tracer_etm::element::ElementKind;
use tracer_etm::{decode_raw, decode_snapshot, DecodeOptions, Snapshot};

struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

fn mutate(rng: &mut XorShift, data: &[u8]) -> Vec<u8> {
    let mut d = data.to_vec();
    let ops = 1 + rng.below(4);
    for _ in 0..ops {
        let len = d.len().max(1);
        match rng.below(6) {
            0 => {
                for _ in 0..1 + rng.below(8) {
                    let i = rng.below(d.len());
                    if let Some(b) = d.get_mut(i) {
                        *b ^= 1 << rng.below(8);
                    }
                }
            }
            1 => d.truncate(rng.below(len)),
            2 => {
                let at = rng.below(len);
                let n = 1 + rng.below(32);
                let ins: Vec<u8> = (0..n).map(|_| rng.next() as u8).collect();
                d.splice(at.min(d.len())..at.min(d.len()), ins);
            }
            3 => {
                let at = rng.below(len).min(d.len());
                let end = (at + 1 + rng.below(64)).min(d.len());
                d.drain(at..end);
            }
            4 => {
                let at = rng.below(len);
                for i in at..(at + 1 + rng.below(16)).min(d.len()) {
                    d[i] = rng.next() as u8;
                }
            }
            _ => {
                let at = rng.below(len).min(d.len());
                let end = (at + rng.below(48)).min(d.len());
                let chunk = d[at..end].to_vec();
                d.splice(at..at, chunk);
            }
        }
    }
    d
}

fn testdata() -> PathBuf {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/testdata/etm");
    assert!(
        p.is_dir(),
        "test data not found at {} (../shared/testdata next to the project root)",
        p.display()
    );
    p
}

const SNAPSHOTS: [&str; 8] = [
    "juno_r1_1",
    "a57_single_step",
    "init-short-addr",
    "001-ack_test",
    "ts_marker",
    "maxspec78_commopt0",
    "ete_spec_2",
    "q_elem",
];

#[test]
fn thousands_of_mutated_captures_decode_without_panic() {
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    let mut runs = 0;
    let mut total_elems = 0u64;
    for name in SNAPSHOTS {
        let snap = Snapshot::load(testdata().join(name)).expect("snapshot");
        // keep each input small so the test stays quick under qemu
        let base: Vec<u8> = snap.buffers[0].data.iter().copied().take(4096).collect();
        for _ in 0..400 {
            let mut s = snap.clone();
            s.buffers[0].data = mutate(&mut rng, &base);
            for opts in [
                DecodeOptions::default(),
                DecodeOptions { src_addr_n: true, multi_session: true, ..Default::default() },
            ] {
                let r = catch_unwind(AssertUnwindSafe(|| decode_snapshot(&s, &opts, |_, _, _| {}, |_| {})));
                let stats = r.unwrap_or_else(|_| {
                    panic!("{name}: decoder panicked on input {:02x?}", s.buffers[0].data)
                });
                total_elems += stats.elements;
            }
            runs += 1;
        }
    }
    assert_eq!(runs, 3200);
    assert!(total_elems > 0);
}

#[test]
fn raw_streams_resync_after_garbage() {
    let mut rng = XorShift(0x1234_5678_9abc_def1);
    let mut checked = 0;
    for name in ["001-ack_test", "ts_marker", "maxspec78_commopt0", "ete_spec_2", "q_elem"] {
        let snap = Snapshot::load(testdata().join(name)).expect("snapshot");
        let buf = &snap.buffers[0];
        let cfg = snap.sources_for(&buf.name)[0].etm_config();
        let clean: Vec<u8> = buf.data.iter().copied().take(2048).collect();
        let want: Vec<ElementKind> = decode_raw(&cfg, &clean, &snap.image)
            .into_iter()
            .filter(|e| !matches!(e.kind, ElementKind::NoSync(_)))
            .map(|e| e.kind)
            .collect();
        assert!(want.len() > 3, "{name}: the clean prefix decodes to elements");
        for _ in 0..60 {
            let garbage = mutate(&mut rng, &clean[..clean.len().min(256)]);
            let mut input = garbage.clone();
            input.extend_from_slice(&[0u8; 24]);
            let offset = input.len() as u64;
            input.extend_from_slice(&clean);
            let got = catch_unwind(AssertUnwindSafe(|| decode_raw(&cfg, &input, &snap.image)))
                .unwrap_or_else(|_| panic!("{name}: panic on {input:02x?}"));
            let tail: Vec<ElementKind> = got
                .into_iter()
                .filter(|e| e.index >= offset && !matches!(e.kind, ElementKind::NoSync(_)))
                .map(|e| e.kind)
                .collect();
            if tail != want {
                for (i, (a, b)) in tail.iter().zip(want.iter()).enumerate() {
                    if a != b {
                        eprintln!("first diff at {i}: got {a:?} want {b:?}");
                        break;
                    }
                }
                eprintln!("len got {} want {}", tail.len(), want.len());
            }
            assert_eq!(tail, want, "{name}: no resync after garbage {garbage:02x?}");
            checked += 1;
        }
    }
    assert_eq!(checked, 300);
}

#[test]
fn formatted_stream_resyncs_after_a_corrupted_frame() {
    let snap = Snapshot::load(testdata().join("juno_r1_1")).expect("snapshot");
    let opts = DecodeOptions::default();
    let mut clean = Vec::new();
    decode_snapshot(&snap, &opts, |_, _, _| {}, |e| clean.push(*e));
    let mut s = snap.clone();
    // wreck one frame early in the buffer; everything after the next A-Sync of each ID must
    // come out as before
    for b in &mut s.buffers[0].data[4096..4112] {
        *b = !*b;
    }
    let mut got = Vec::new();
    decode_snapshot(&s, &opts, |_, _, _| {}, |e| got.push(*e));
    let late = |v: &[tracer_etm::Element]| -> Vec<tracer_etm::Element> {
        v.iter().filter(|e| e.index > 40_000).copied().collect()
    };
    assert!(!late(&clean).is_empty());
    assert_eq!(late(&got), late(&clean));
}
