//! Conformance with OpenCSD on the real captures in `../shared/testdata/etm`: each test
//! decodes a snapshot in-process, writes the compare form and runs `etm-compare diff`.
//!
//! `etm-compare` keeps a trailing space on reference elements whose payload is empty
//! (`EXCEPTION_RET`) but folds it away on our side, so those lines can never agree through
//! the script. When the script reports differences, the test therefore also compares the
//! script's own normalisation of the reference with ours, trimming trailing white space, and
//! requires that every difference the script found is such a line and nothing else differs.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;

use tracer_etm::{compare_form, DecodeOptions, Snapshot};

fn shared() -> PathBuf {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared");
    assert!(
        p.join("testdata/etm").is_dir(),
        "test data not found at {} (expected ../shared/testdata next to the project root)",
        p.join("testdata/etm").display()
    );
    p
}

fn streams(lines: &[String]) -> BTreeMap<(String, String), Vec<String>> {
    let mut m: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for l in lines {
        let mut it = l.split(' ');
        let (k, _, id) = (it.next().unwrap_or(""), it.next(), it.next().unwrap_or(""));
        m.entry((k.to_string(), id.to_string())).or_default().push(l.trim_end().to_string());
    }
    m
}

fn check(snapshot: &str, reference: &str, opts: DecodeOptions) {
    let shared = shared();
    let dir = shared.join("testdata/etm").join(snapshot);
    let snap = Snapshot::load(&dir).unwrap_or_else(|e| panic!("loading {}: {e}", dir.display()));
    let ours = compare_form(&snap, &opts);
    let out_path = std::env::temp_dir().join(format!("tracer-etm-{}-{reference}.txt", std::process::id()));
    std::fs::write(&out_path, &ours).expect("writing the compare form");
    let tool = shared.join("tools/etm-compare");
    let reference = dir.join("reference").join(reference);
    let run = Command::new("python3")
        .arg(&tool)
        .arg("diff")
        .arg(&reference)
        .arg(&out_path)
        .output()
        .expect("running python3 etm-compare");
    let report = String::from_utf8_lossy(&run.stdout).to_string();
    println!("{report}");
    if run.status.success() {
        let _ = std::fs::remove_file(&out_path);
        return;
    }
    // The script disagreed: make sure it is only the empty-payload lines it cannot match.
    let norm =
        Command::new("python3").arg(&tool).arg("normalize").arg(&reference).output().expect("normalize");
    let reference_lines: Vec<String> =
        String::from_utf8_lossy(&norm.stdout).lines().map(str::to_string).collect();
    let our_lines: Vec<String> =
        ours.lines().filter(|l| l.starts_with("P ") || l.starts_with("E ")).map(str::to_string).collect();
    let (a, b) = (streams(&reference_lines), streams(&our_lines));
    let mut real = Vec::new();
    let mut empty_payload = 0usize;
    for key in a.keys().chain(b.keys()).collect::<std::collections::BTreeSet<_>>() {
        let (x, y) = (a.get(key).cloned().unwrap_or_default(), b.get(key).cloned().unwrap_or_default());
        for i in 0..x.len().max(y.len()) {
            match (x.get(i), y.get(i)) {
                (Some(p), Some(q)) if p == q => {
                    if p.split(' ').count() == 4 && key.0 == "E" {
                        empty_payload += 1;
                    }
                }
                (p, q) => real.push(format!("reference: {p:?}\n    ours: {q:?}")),
            }
        }
    }
    let script_bad: usize = report
        .lines()
        .last()
        .and_then(|l| l.split(", ").nth(1))
        .and_then(|l| l.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(usize::MAX);
    assert!(
        real.is_empty(),
        "{snapshot}: {} real differences, first:\n    {}\n{report}",
        real.len(),
        real[0]
    );
    assert_eq!(
        script_bad, empty_payload,
        "{snapshot}: etm-compare's differences are not just the empty-payload lines\n{report}"
    );
    let _ = std::fs::remove_file(&out_path);
}

fn full() -> DecodeOptions {
    DecodeOptions::default()
}

#[test]
fn juno_r1_1() {
    check("juno_r1_1", "juno_r1_1.ppl", full());
}

#[test]
fn a57_single_step() {
    check("a57_single_step", "a57_single_step.ppl", full());
}

#[test]
fn init_short_addr_packets() {
    check("init-short-addr", "init-short-addr.ppl", DecodeOptions { packets_only: true, ..full() });
}

#[test]
fn ack_test_001() {
    check("001-ack_test", "001-ack_test.ppl", full());
}

#[test]
fn ts_marker() {
    check("ts_marker", "ts_marker.ppl", full());
}

#[test]
fn maxspec78_commopt0() {
    check("maxspec78_commopt0", "maxspec78_commopt0.ppl", full());
}

#[test]
fn ete_spec_2() {
    check("ete_spec_2", "ete_spec_2.ppl", full());
}

#[test]
fn q_elem_multi_session() {
    check("q_elem", "q_elem_multi_sess.ppl", DecodeOptions { multi_session: true, ..full() });
}

#[test]
fn q_elem_first_session() {
    check("q_elem", "q_elem.ppl", full());
}

#[test]
fn path_conversion_keeps_ranges_in_order() {
    let dir = shared().join("testdata/etm/ete_spec_2");
    let snap = Snapshot::load(&dir).unwrap();
    let buf = &snap.buffers[0];
    let cfg = snap.sources_for(&buf.name)[0].etm_config();
    let elems = tracer_etm::decode_raw(&cfg, &buf.data, &snap.image);
    let path = tracer_etm::to_path(&elems);
    let ranges: Vec<_> = path.ranges().collect();
    assert!(!ranges.is_empty());
    let n_elems = elems.iter().filter(|e| matches!(e.kind, tracer_etm::ElementKind::InstrRange(_))).count();
    assert_eq!(ranges.len(), n_elems);
    assert!(ranges.iter().all(|r| r.end > r.start && r.insn_count as u64 * 4 == r.end - r.start));
}

#[test]
fn missing_snapshot_is_a_typed_error() {
    let e = Snapshot::load("/nonexistent/snapshot").unwrap_err();
    assert!(e.to_string().contains("snapshot.ini"), "{e}");
}
