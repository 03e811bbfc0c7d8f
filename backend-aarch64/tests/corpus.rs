//! The differential corpus (`cross-tests/cases/*.tir`) on this backend with the shared
//! allocator, checked against the expectations written in each case's header (AArch64 only;
//! under qemu-aarch64 on x86-64 hosts). The cross-tests crate runs the same cases against
//! the reference interpreter and both backends; this copy keeps backend bugs close to home.
#![cfg(target_arch = "aarch64")]

use std::collections::HashMap;

use backend_aarch64::A64;
use trace_ir::backend::{Backend, Jit};
use trace_ir::Symbols;

extern "C" fn add3(a: i64, b: i64, c: i64) -> i64 {
    a.wrapping_add(b).wrapping_add(c)
}
extern "C" fn fmix(a: i64, b: f64) -> f64 {
    a as f64 * b
}
extern "C" fn fsqr(x: f64) -> f64 {
    x * x
}
#[allow(clippy::too_many_arguments)]
extern "C" fn sum12(
    i0: i64,
    f0: f64,
    i1: i64,
    f1: f64,
    i2: i64,
    f2: f64,
    i3: i64,
    f3: f64,
    i4: i64,
    f4: f64,
    i5: i64,
    f5: f64,
) -> i64 {
    let ints = i0.wrapping_add(i1).wrapping_add(i2).wrapping_add(i3).wrapping_add(i4).wrapping_add(i5);
    ints.wrapping_add((f0 + f1 + f2 + f3 + f4 + f5) as i64)
}

fn symbols() -> Symbols {
    let mut s = Symbols::new();
    s.define_native("add3", add3 as *const () as u64);
    s.define_native("fmix", fmix as *const () as u64);
    s.define_native("fsqr", fsqr as *const () as u64);
    s.define_native("sum12", sum12 as *const () as u64);
    s
}

/// A header literal: signed decimal, 0x hex, `f<float>`, or `&buf`.
fn literal(s: &str, bufs: &HashMap<String, Vec<u64>>) -> u64 {
    if let Some(name) = s.strip_prefix('&') {
        return bufs[name].as_ptr() as u64;
    }
    if matches!(s, "nan" | "inf" | "-inf") {
        return s.parse::<f64>().unwrap().to_bits();
    }
    if let Some(f) = s.strip_prefix('f') {
        return f.parse::<f64>().unwrap_or_else(|_| panic!("float {s}")).to_bits();
    }
    int(s)
}

fn int(s: &str) -> u64 {
    let (neg, body) = match s.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, s),
    };
    let v = match body.strip_prefix("0x") {
        Some(h) => u64::from_str_radix(h, 16).unwrap_or_else(|_| panic!("hex {s}")),
        None => body.parse::<u64>().unwrap_or_else(|_| panic!("int {s}")),
    };
    if neg {
        v.wrapping_neg()
    } else {
        v
    }
}

/// `TYPE v v v` or `zero N` as bytes.
fn buf_bytes(spec: &str) -> Vec<u8> {
    let mut it = spec.split_whitespace();
    let ty = it.next().unwrap();
    let mut out = Vec::new();
    if ty == "zero" {
        out.resize(int(it.next().unwrap()) as usize, 0);
        return out;
    }
    for v in it {
        let bits = if ty == "f64" { v.parse::<f64>().unwrap().to_bits() } else { int(v) };
        let n = match ty {
            "i8" => 1,
            "i16" => 2,
            "i32" => 4,
            _ => 8,
        };
        out.extend_from_slice(&bits.to_le_bytes()[..n]);
    }
    out
}

fn same(got: u64, want: u64) -> bool {
    got == want
        || (f64::from_bits(got).is_nan() && f64::from_bits(want).is_nan() && (got >> 52) & 0x7ff == 0x7ff)
}

#[test]
fn corpus_cases_meet_their_expectations() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../cross-tests/cases");
    let mut files: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.retain(|p| p.extension().is_some_and(|e| e == "tir"));
    files.sort();
    assert!(files.len() > 50, "corpus not found at {dir}");
    let syms = symbols();
    let mut failures = Vec::new();
    let mut skipped = Vec::new();
    for path in &files {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let src = std::fs::read_to_string(path).unwrap();
        let mut header: HashMap<String, String> = HashMap::new();
        let mut bufs: HashMap<String, Vec<u64>> = HashMap::new();
        let mut buf_len: HashMap<String, usize> = HashMap::new();
        for line in src.lines().take_while(|l| l.starts_with(';')) {
            let Some((k, v)) = line.trim_start_matches(';').trim().split_once(':') else { continue };
            let (k, v) = (k.trim().to_string(), v.trim().to_string());
            if let Some(b) = k.strip_prefix("buf ") {
                let bytes = buf_bytes(&v);
                let mut words = vec![0u64; bytes.len().div_ceil(8).max(1)];
                for (i, c) in bytes.iter().enumerate() {
                    words[i / 8] |= (*c as u64) << (8 * (i % 8));
                }
                buf_len.insert(b.to_string(), bytes.len());
                bufs.insert(b.to_string(), words);
            } else {
                header.insert(k, v);
            }
        }
        // Several traces in one file are separated by `; === trace` lines and get ids 0, 1, ...
        let mut j = A64::new();
        let mut traces = Vec::new();
        let mut installed = Ok(());
        for part in src.split("; === trace") {
            let t = trace_ir::text::parse(part).unwrap_or_else(|e| panic!("{name}: {e}"));
            let al = trace_ir::regalloc::allocate(&t, j.regfile()).unwrap_or_else(|e| panic!("{name}: {e}"));
            if let Err(e) = j.install_with(&t, &al, &syms) {
                installed = Err(e);
                break;
            }
            traces.push(t);
        }
        match installed {
            Ok(()) => {}
            // Forward links are patched when their target arrives, so this never happens.
            Err(trace_ir::backend::BackendError::UnknownTrace(_)) => {
                skipped.push(name.clone());
                continue;
            }
            Err(e) => {
                failures.push(format!("{name}: install: {e}"));
                continue;
            }
        }
        let t = &traces[0];
        let id = 0;
        let pairs = |s: &str| -> Vec<(usize, String)> {
            s.split_whitespace()
                .map(|p| {
                    let (k, v) = p.split_once('=').unwrap();
                    (k.parse::<usize>().unwrap(), v.to_string())
                })
                .collect()
        };
        let given = pairs(header.get("slots").map(String::as_str).unwrap_or(""));
        let want = pairs(header.get("expect slots").map(String::as_str).unwrap_or(""));
        let n = given.iter().chain(&want).map(|p| p.0 + 1).max().unwrap_or(0);
        let n = traces.iter().map(|t| t.slot_count() as usize).fold(n, usize::max);
        let _ = t;
        let mut slots = vec![0u64; n];
        for (k, v) in &given {
            slots[*k] = literal(v, &bufs);
        }
        let e = match j.run(id, &mut slots) {
            Ok(e) => e,
            Err(e) => {
                failures.push(format!("{name}: run: {e}"));
                continue;
            }
        };
        // `snapN`, or `T snapN` naming the trace the run left from.
        let exit = header.get("expect exit").cloned().unwrap_or_default();
        let got = if exit.contains(' ') {
            format!("{} snap{}", e.trace, e.snap.0)
        } else {
            format!("snap{}", e.snap.0)
        };
        if got != exit {
            failures.push(format!("{name}: exit snap{} want {exit}", e.snap.0));
        }
        if let Some(r) = header.get("expect resume") {
            if e.resume != int(r) {
                failures.push(format!("{name}: resume {} want {r}", e.resume));
            }
        }
        for (k, v) in &want {
            let w = literal(v, &bufs);
            if !same(slots[*k], w) {
                failures.push(format!("{name}: slot {k} = {:#x}, want {v} ({w:#x})", slots[*k]));
            }
        }
        for (k, v) in &header {
            if let Some(b) = k.strip_prefix("expect buf ") {
                let want = buf_bytes(v);
                let words = &bufs[b];
                let got: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).take(buf_len[b]).collect();
                if got[..want.len()] != want[..] {
                    failures.push(format!("{name}: buf {b} = {got:x?}, want {want:x?}"));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
    assert!(skipped.is_empty(), "skipped (forward links): {skipped:?}");
    eprintln!("{} corpus cases passed, skipped (forward links): {skipped:?}", files.len() - skipped.len());
}
