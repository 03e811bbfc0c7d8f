//! The real captures against libipt's reference decodes, through `pt-compare`, and the
//! address sequences LLDB's tests assert.

mod common;

use common::*;
use std::process::Command;
use tracer_pt::{flow, listing, packet};

fn pt_compare(mode: &str, reference: &std::path::Path, ours: &std::path::Path) {
    let tool = shared().join("tools/pt-compare");
    let out = Command::new("python3")
        .arg(&tool)
        .arg(mode)
        .arg(reference)
        .arg(ours)
        .output()
        .unwrap_or_else(|e| panic!("cannot run python3 {}: {e}", tool.display()));
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    println!("{text}");
    assert!(out.status.success(), "pt-compare {mode} {}: {text}", reference.display());
    assert!(text.contains(" 0 differ"), "{text}");
}

fn ptxed(c: &Capture, cfg: flow::Config) -> String {
    let (trace, img) = (c.bytes(), c.image());
    let mut sink = listing::Ptxed::new(Vec::new());
    flow::FlowDecoder::new(&trace, &img, cfg).run(&mut sink);
    String::from_utf8(sink.finish().unwrap()).unwrap()
}

#[test]
fn packets_match_ptdump_for_every_capture() {
    for c in CAPTURES {
        let mut out = Vec::new();
        packet::write_listing(&c.bytes(), &mut out).unwrap();
        let f = temp_file(&format!("{}.ptdump.txt", c.name));
        std::fs::write(&f, out).unwrap();
        pt_compare("packets", &reference().join(format!("{}.ptdump.txt", c.name)), &f);
        std::fs::remove_file(&f).ok();
    }
}

#[test]
fn instructions_match_ptxed_for_every_capture() {
    // The reference decodes were made with the recording CPU's errata (ptxed --cpu); ours
    // match them with and without.
    for c in CAPTURES {
        let cpu = tracer_pt::cpu::Cpu { family: c.cpu.0, model: c.cpu.1, stepping: c.cpu.2 };
        for cfg in [flow::Config::default(), flow::Config { cpu: Some(cpu), ..flow::Config::default() }] {
            let f = temp_file(&format!("{}.ptxed.txt", c.name));
            std::fs::write(&f, ptxed(c, cfg)).unwrap();
            pt_compare("insns", &reference().join(format!("{}.ptxed.txt", c.name)), &f);
            std::fs::remove_file(&f).ok();
        }
    }
}

fn addresses(listing: &str) -> Vec<u64> {
    listing
        .lines()
        .filter(|l| l.len() == 16 && l.bytes().all(|b| b.is_ascii_hexdigit()))
        .map(|l| u64::from_str_radix(l, 16).unwrap())
        .collect()
}

/// The sections of EXPECTED_ADDRESSES.txt: `[trace]` header, then addresses and ERROR lines.
fn expected() -> Vec<(String, Vec<u64>, Vec<String>)> {
    let text = std::fs::read_to_string(lldb().join("EXPECTED_ADDRESSES.txt")).unwrap();
    let mut out: Vec<(String, Vec<u64>, Vec<String>)> = Vec::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix('[') {
            out.push((rest.split(']').next().unwrap().to_string(), Vec::new(), Vec::new()));
        } else if let (Some(a), Some(sec)) = (line.strip_prefix("0x"), out.last_mut()) {
            sec.1.push(u64::from_str_radix(a.trim(), 16).unwrap());
        } else if let (Some(e), Some(sec)) = (line.strip_prefix("ERROR "), out.last_mut()) {
            sec.2.push(e.to_string());
        }
    }
    out
}

#[test]
fn expected_addresses_are_reproduced() {
    let sections = expected();
    assert_eq!(sections.len(), 3, "EXPECTED_ADDRESSES.txt sections");
    let single = ptxed(&CAPTURES[0], flow::Config::default());
    let (_, want, _) = sections.iter().find(|s| s.0 == "intelpt-trace/3842849.trace").unwrap();
    assert_eq!(want.len(), 21);
    assert_eq!(&addresses(&single), want);

    let multi = ptxed(&CAPTURES[1], flow::Config::default());
    let (_, want, errors) =
        sections.iter().find(|s| s.0 == "intelpt-trace-multi-file/multi-file.trace").unwrap();
    assert_eq!(&addresses(&multi), want);
    // The ld.so gap: one "no memory mapped" error at the PLT's lazy-binding target, then a
    // resync.
    assert_eq!(errors.len(), 1);
    assert!(errors[0].contains("no memory mapped at this address: 0x7ffff7df1950"));
    let errs: Vec<&str> = multi.lines().filter(|l| l.starts_with('[') && l.contains("error")).collect();
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert_eq!(errs[0], "[0000000000000e10, 7ffff7df1950: error: no memory mapped at this address]");

    // Multi-core: the per-core counts of a plain libipt decode, and bar()'s loop increment.
    let c45 = addresses(&ptxed(&CAPTURES[2], flow::Config::default()));
    let c51 = addresses(&ptxed(&CAPTURES[3], flow::Config::default()));
    assert_eq!(c51.len(), 19521);
    assert_eq!(c45.len(), 61825);
    assert!(c45.contains(&0x400bd7));
}

#[test]
fn path_ranges_cover_the_same_instructions() {
    for c in CAPTURES {
        let (trace, img) = (c.bytes(), c.image());
        let path = tracer_pt::decode_path(&trace, &img, flow::Config::default());
        let n = addresses(&ptxed(c, flow::Config::default())).len() as u64;
        assert_eq!(path.insn_count(), n, "{}", c.name);
    }
    // The single-thread capture: the loop body 0x400521..0x40052f runs as ranges that end in
    // the taken or not-taken conditional branch at 0x40052d.
    let path = tracer_pt::decode_path(&CAPTURES[0].bytes(), &CAPTURES[0].image(), flow::Config::default());
    let loops: Vec<_> = path.ranges().filter(|r| r.last_insn() == 0x40052d).collect();
    assert_eq!(loops.len(), 5);
    assert_eq!(loops.iter().filter(|r| r.taken).count(), 4);
    assert!(!loops[4].taken);
}
