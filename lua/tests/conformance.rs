//! The conformance suite: every program in `tests/lua/` runs with `-j off`, with `-j on`,
//! and with `-j on` at hotloop=1 hotexit=1 (every loop traced, every exit taken), and its
//! stdout, exit status and the first line of stderr must equal what lua5.4 gave
//! (`NAME.expected`, written by `tests/bless.sh`). `LUA_CASE=name` runs one program.
//!
//! `tests/lua/KNOWN_FAILURES` lists programs that do not match yet, each with the reason;
//! they are skipped (and named in the output), so the suite guards everything that works
//! while the rest is being done. A listed program that matches is reported, so the list
//! only shrinks.

use std::path::{Path, PathBuf};
use std::process::Command;

struct Expected {
    code: i32,
    stderr1: String,
    stdout: Vec<u8>,
}

/// `NAME.expected`: `exit N`, `stderr LINE`, a `---` line, then stdout verbatim.
fn parse_expected(b: &[u8]) -> Expected {
    let text = b;
    let nl = |s: &[u8]| s.iter().position(|&c| c == b'\n').expect("a header line");
    let l1 = nl(text);
    let code: i32 = std::str::from_utf8(&text[5..l1]).unwrap().trim().parse().unwrap();
    let rest = &text[l1 + 1..];
    let l2 = nl(rest);
    let stderr1 = String::from_utf8_lossy(&rest[7.min(l2)..l2]).into_owned();
    let rest = &rest[l2 + 1..];
    let l3 = nl(rest);
    assert_eq!(&rest[..l3], b"---");
    Expected { code, stderr1, stdout: rest[l3 + 1..].to_vec() }
}

fn runner() -> Vec<String> {
    std::env::var("TRACERY_TEST_RUNNER")
        .map(|r| r.split_whitespace().map(String::from).collect())
        .unwrap_or_default()
}

fn run(file: &Path, mode: &str) -> (i32, String, Vec<u8>) {
    let bin = env!("CARGO_BIN_EXE_tracery-lua");
    let r = runner();
    let mut cmd = if r.is_empty() {
        Command::new(bin)
    } else {
        let mut c = Command::new(&r[0]);
        c.args(&r[1..]).arg(bin);
        c
    };
    cmd.env_remove("TRACERY_OPT").env_remove("TRACERY_LOG").env_remove("TRACERY_JIT");
    match mode {
        "off" => {
            cmd.args(["-j", "off"]);
        }
        "on" => {
            cmd.args(["-j", "on"]);
        }
        _ => {
            cmd.args(["-j", "on"]).env("TRACERY_OPT", "hotloop=1,hotexit=1");
        }
    }
    cmd.arg(file.file_name().unwrap()).current_dir(file.parent().unwrap());
    let out = cmd.output().expect("tracery-lua runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let first = stderr.lines().next().unwrap_or("").to_string();
    (out.status.code().unwrap_or(-1), first, out.stdout)
}

/// The names in KNOWN_FAILURES (`name  # reason` lines).
fn known_failures() -> Vec<String> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/lua/KNOWN_FAILURES");
    std::fs::read_to_string(p)
        .unwrap_or_default()
        .lines()
        .map(|l| l.split('#').next().unwrap_or("").trim().to_string())
        .filter(|n| !n.is_empty())
        .collect()
}

fn cases() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/lua");
    let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "lua") && !p.to_string_lossy().contains("/lib_"))
        .collect();
    v.sort();
    if let Ok(one) = std::env::var("LUA_CASE") {
        v.retain(|p| p.file_stem().unwrap().to_string_lossy() == one);
    }
    v
}

/// The failures of one program, in all three modes.
fn check(f: &Path) -> Vec<String> {
    let mut failures = Vec::new();
    let exp = match std::fs::read(f.with_extension("expected")) {
        Ok(b) => parse_expected(&b),
        Err(_) => return vec![format!("{}: no .expected (run lua/tests/bless.sh)", f.display())],
    };
    let name = f.file_stem().unwrap().to_string_lossy();
    for mode in ["off", "on", "hot"] {
        let (code, err1, out) = run(f, mode);
        if out != exp.stdout {
            let got = String::from_utf8_lossy(&out);
            let want = String::from_utf8_lossy(&exp.stdout);
            let at = got.lines().zip(want.lines()).position(|(a, b)| a != b);
            failures.push(format!(
                "{name} [-j {mode}]: stdout differs (first differing line {:?}: got {:?}, want {:?}; {} vs {} bytes){}",
                at.map(|i| i + 1),
                at.and_then(|i| got.lines().nth(i)).unwrap_or(""),
                at.and_then(|i| want.lines().nth(i)).unwrap_or(""),
                out.len(),
                exp.stdout.len(),
                if err1.is_empty() { String::new() } else { format!("; stderr: {err1}") }
            ));
        }
        if code != exp.code {
            failures.push(format!("{name} [-j {mode}]: exit {code}, want {} (stderr: {err1})", exp.code));
        }
        if exp.code != 0 && err1 != exp.stderr1 {
            failures.push(format!("{name} [-j {mode}]: stderr {err1:?}, want {:?}", exp.stderr1));
        }
    }
    failures
}

#[test]
fn every_program_matches_lua54_in_all_three_modes() {
    let cases = cases();
    assert!(!cases.is_empty(), "no conformance programs found");
    let known = known_failures();
    for k in &known {
        assert!(
            cases.iter().any(|c| c.file_stem().unwrap().to_string_lossy() == *k),
            "KNOWN_FAILURES names {k}, which does not exist"
        );
    }
    let mut skipped = Vec::new();
    let mut todo = Vec::new();
    for f in &cases {
        let stem = f.file_stem().unwrap().to_string_lossy().into_owned();
        if known.contains(&stem) && std::env::var_os("LUA_CASE").is_none() {
            skipped.push(stem);
        } else {
            todo.push(f.clone());
        }
    }
    // Programs are shared out to one worker per core: each run is a process (under qemu an
    // emulated one), so this is what keeps the suite's time down.
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get()).clamp(1, 8);
    let next = std::sync::atomic::AtomicUsize::new(0);
    let failures = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(f) = todo.get(i) else { break };
                let fs = check(f);
                failures.lock().unwrap().extend(fs);
            });
        }
    });
    let mut failures = failures.into_inner().unwrap();
    failures.sort();
    let n = todo.len();
    println!(
        "{n} programs matched lua5.4 in three modes; {} known failures skipped: {}",
        skipped.len(),
        skipped.join(" ")
    );
    assert!(
        failures.is_empty(),
        "{} failures over {n} programs x 3 modes:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
