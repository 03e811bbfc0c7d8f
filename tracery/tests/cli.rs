//! The `tracery` command end to end: the README's examples, cross listings, and clear errors
//! (never a panic) for bad input.

use std::path::PathBuf;
use std::process::{Command, Output};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Runs the command. When the tests themselves run under an emulator (the aarch64 half of
/// qemu/test.sh), `TRACERY_TEST_RUNNER` names it, so the binary runs under it too.
fn tracery(args: &[&str]) -> Output {
    let exe = env!("CARGO_BIN_EXE_tracery");
    let runner = std::env::var("TRACERY_TEST_RUNNER").unwrap_or_default();
    let mut words = runner.split_whitespace();
    let mut cmd = match words.next() {
        Some(prog) => {
            let mut c = Command::new(prog);
            c.args(words).arg(exe);
            c
        }
        None => Command::new(exe),
    };
    cmd.args(args).current_dir(root()).output().expect("run tracery")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn run_sum_example_on_the_host() {
    let o = tracery(&["run", "examples/sum.tir", "--slot", "0=100"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("exit snap0 resume 1"), "{out}");
    assert!(out.contains("slot 1 = 4950 "), "{out}");
}

#[test]
fn run_agrees_with_the_interpreter_on_every_example() {
    let cases: &[(&str, &[&str])] = &[
        ("examples/sum.tir", &["--slot", "0=1000"]),
        ("examples/fib.tir", &["--slot", "0=90"]),
        ("examples/fib.tir", &["--slot", "0=200"]),
        ("examples/newton_sqrt.tir", &["--slot", "0=f2.0"]),
        ("examples/clamp_bytes.tir", &["--slot", "0=-100", "--slot", "1=-20", "--slot", "2=20"]),
    ];
    for (file, slots) in cases {
        let mut native = vec!["run", file];
        native.extend_from_slice(slots);
        let mut interp = native.clone();
        interp.push("--interp");
        let (a, b) = (tracery(&native), tracery(&interp));
        assert!(a.status.success() && b.status.success(), "{file}: {}{}", stderr(&a), stderr(&b));
        assert_eq!(stdout(&a), stdout(&b), "{file} {slots:?}");
    }
}

#[test]
fn fib_leaves_through_the_overflow_snapshot() {
    let o = tracery(&["run", "examples/fib.tir", "--slot", "0=200"]);
    let out = stdout(&o);
    assert!(out.contains("exit snap1 resume 20"), "{out}");
    assert!(out.contains("slot 3 = 91 "), "{out}");
}

#[test]
fn dumps_show_ir_regalloc_and_asm() {
    let o = tracery(&["run", "examples/sum.tir", "--slot", "0=3", "--dump", "ir,opt,regalloc,asm"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    for head in ["--- ir", "--- opt", "--- regalloc", "--- asm"] {
        assert!(out.contains(head), "missing {head} in\n{out}");
    }
    assert!(out.contains("icmp.slt"), "{out}");
}

#[test]
fn asm_cross_compiles_for_both_targets() {
    for triple in ["x86_64-unknown-linux-gnu", "aarch64-unknown-linux-gnu"] {
        let o = tracery(&["asm", "examples/sum.tir", "--target", triple]);
        assert!(o.status.success(), "{triple}: {}", stderr(&o));
        let out = stdout(&o);
        assert!(out.contains("%acc1 = add %acc, %i"), "{triple}: {out}");
    }
    let a64 = stdout(&tracery(&["asm", "examples/sum.tir", "--target", "aarch64-unknown-linux-gnu"]));
    assert!(a64.contains("add x") || a64.contains("add w"), "{a64}");
}

#[test]
fn bad_input_gives_a_message_not_a_panic() {
    let dir = std::env::temp_dir().join(format!("tracery-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad_parse = dir.join("bad.tir");
    std::fs::write(&bad_parse, "%x = input 0 : i64\n%y = add %x,\n").unwrap();
    let bad_verify = dir.join("ill.tir");
    std::fs::write(
        &bad_verify,
        "%x = input 0 : i64\n%f = const 1.5 : f64\n%y = add %x, %f\nsnap0 @resume(0) { 0: %y }\nexit snap0\n",
    )
    .unwrap();
    // A load from an address in a slot: `run` gives traces no memory, so the reference
    // interpreter refuses it and native code never runs it.
    let wild = dir.join("wild.tir");
    std::fs::write(
        &wild,
        "%p = input 0 : i64\n%v = load.i64 [%p + 8]\nsnap0 @resume(0) { 1: %v }\nexit snap0\n",
    )
    .unwrap();
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec!["run".into(), wild.display().to_string(), "--slot".into(), "0=0x1234".into()],
            "outside every region",
        ),
        (vec!["run".into(), "/nonexistent/x.tir".into()], "cannot read"),
        (vec!["run".into(), bad_parse.display().to_string()], "bad.tir:2:"),
        (vec!["run".into(), bad_verify.display().to_string()], "ill.tir"),
        (
            vec![
                "asm".into(),
                "examples/sum.tir".into(),
                "--target".into(),
                "riscv64gc-unknown-linux-gnu".into(),
            ],
            "no backend",
        ),
        (vec!["run".into(), "examples/sum.tir".into(), "--slot".into(), "x=1".into()], "bad slot"),
        (vec!["frobnicate".into()], "unknown command"),
    ];
    for (args, want) in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let o = tracery(&args);
        let err = stderr(&o);
        assert!(!o.status.success(), "{args:?} succeeded");
        assert!(err.contains(want), "{args:?}: expected `{want}` in {err}");
        assert!(!err.contains("panicked"), "{args:?} panicked: {err}");
    }
}

#[test]
fn doctor_names_the_backend_and_each_tracer_with_a_reason() {
    let o = tracery(&["doctor"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    for line in ["host:", "backend:", "intel_pt:", "cs_etm:"] {
        assert!(out.contains(line), "missing {line} in\n{out}");
    }
    // Each tracer is either available or says why not.
    for l in out.lines().filter(|l| l.starts_with("intel_pt:") || l.starts_with("cs_etm:")) {
        assert!(l.contains("available (") || l.contains("unavailable: "), "{l}");
    }
    assert!(!tracery(&["doctor", "extra"]).status.success());
}

#[test]
fn run_a_fragment_program_natively_and_on_the_interpreter() {
    let native = tracery(&["run", "examples/programs/countdown.tir", "--slot", "1=10", "--record"]);
    assert!(native.status.success(), "{}", stderr(&native));
    let out = stdout(&native);
    assert!(out.contains("exit done snap0 resume 1\n"), "{out}");
    assert!(out.contains("slot 2 acc = 55 (0x37)\n"), "{out}");
    assert!(out.starts_with("--- recording\nfetch snap0\nadd snap1 promote 0xa\ndec snap0\n"), "{out}");
    assert_eq!(out.matches("add snap1").count(), 10);
    let interp =
        tracery(&["run", "examples/programs/countdown.tir", "--slot", "1=10", "--record", "--interp"]);
    assert_eq!(stdout(&interp), out, "native and reference runs differ");
    // An overflow leaves through the add fragment's snapshot.
    let ovf = tracery(&[
        "run",
        "examples/programs/countdown.tir",
        "--slot",
        "1=2",
        "--slot",
        "2=0x7fffffffffffffff",
    ]);
    assert!(stdout(&ovf).contains("exit add snap0 resume 99\n"), "{}", stdout(&ovf));
}

#[test]
fn asm_lists_both_copies_of_every_fragment_for_both_targets() {
    for t in ["x86_64-unknown-linux-gnu", "aarch64-unknown-linux-gnu"] {
        let o = tracery(&["asm", "examples/programs/countdown.tir", "--target", t]);
        assert!(o.status.success(), "{t}: {}", stderr(&o));
        let out = stdout(&o);
        for f in ["fetch", "add", "dec", "done"] {
            assert!(out.contains(&format!("; fragment {f} (plain copy)\n")), "{t} {f}");
            assert!(out.contains(&format!("; fragment {f} (recording copy)\n")), "{t} {f}");
        }
    }
}

/// A program that calls a native helper (toyvm's hash) lists too: a listing runs nothing,
/// so the helper is listed at a stand-in address that the header names.
#[test]
fn asm_lists_a_program_with_native_helpers() {
    for t in ["x86_64-unknown-linux-gnu", "aarch64-unknown-linux-gnu"] {
        let o = tracery(&["asm", "examples/toyvm/toyvm.tir", "--target", t]);
        assert!(o.status.success(), "{t}: {}", stderr(&o));
        let out = stdout(&o);
        assert!(out.contains("; @toyvm_mix is not linked here: listed at 0x"), "{t}");
        assert!(out.contains("; fragment op_hash (plain copy)\n"), "{t}");
    }
}

#[test]
fn bad_programs_give_a_message_not_a_panic() {
    let dir = std::env::temp_dir().join(format!("tracery-cli-prog-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cases = [
        ("program p\nentry a\nfragment a\nsnap0 -> b {}\nexit snap0\n", "bad.tir:4:10: unknown fragment `b`"),
        (
            "program p\nslot 0 x : i64\nentry a\nfragment a\n%x = input 0 : f64\nsnap0 {}\nexit snap0\n",
            "fragment a: %x = input 0 : f64: slot 0 (`x`) is declared i64",
        ),
    ];
    for (src, want) in cases {
        let f = dir.join("bad.tir");
        std::fs::write(&f, src).unwrap();
        let o = tracery(&["run", f.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(1));
        assert!(stderr(&o).contains(want), "{}", stderr(&o));
    }
    let o = tracery(&["run", "examples/programs/countdown.tir", "--slot", "9=1"]);
    assert!(stderr(&o).contains("slot 9 is not declared (the program has 4 slots)"), "{}", stderr(&o));
    let o = tracery(&["run", "examples/programs/countdown.tir", "--dump", "ir"]);
    assert!(stderr(&o).contains("--dump and --no-opt apply to traces"), "{}", stderr(&o));
    std::fs::remove_dir_all(&dir).ok();
}

fn temp(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("tracery-cli-{}-{name}", std::process::id()))
}

#[test]
fn decode_pt_reads_regular_files_only() {
    // /dev/null reads empty (before, it decoded to nothing and exit 0; /dev/zero read until
    // memory ran out): each is refused with a clear error.
    let code = temp("code.bin");
    std::fs::write(&code, [0x90u8, 0xc3]).unwrap();
    let img = format!("{}@0x1000", code.display());
    let dev = "/dev/null@0x1000";
    for args in [
        vec!["decode", "pt", "/dev/null"],
        vec!["decode", "pt", "/dev/null", "--packets"],
        vec!["decode", "pt", code.to_str().unwrap(), "--image", dev],
        vec!["decode", "pt", code.to_str().unwrap(), "--elf", dev],
        vec!["decode", "pt", code.to_str().unwrap(), "--image", &img, "--elf", "/dev/zero@0x2000"],
    ] {
        let o = tracery(&args);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains("not a regular file"), "{args:?}: {}", stderr(&o));
    }
    std::fs::remove_file(&code).ok();
}

#[test]
fn decode_pt_refuses_a_fifo_instead_of_blocking() {
    let fifo = temp("trace.fifo");
    let made = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
    assert!(made.success());
    let exe = env!("CARGO_BIN_EXE_tracery");
    let runner = std::env::var("TRACERY_TEST_RUNNER").unwrap_or_default();
    let mut words = runner.split_whitespace();
    let mut cmd = match words.next() {
        Some(prog) => {
            let mut c = Command::new(prog);
            c.args(words).arg(exe);
            c
        }
        None => Command::new(exe),
    };
    let mut child = cmd
        .args(["decode", "pt"])
        .arg(&fifo)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let start = std::time::Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break Some(s);
        }
        if start.elapsed() > std::time::Duration::from_secs(20) {
            child.kill().ok();
            child.wait().ok();
            break None;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    std::fs::remove_file(&fifo).ok();
    let status = status.expect("decode pt of a FIFO blocked for 20 s");
    assert_eq!(status.code(), Some(1));
}

#[test]
fn decode_pt_cpu_applies_its_errata() {
    // An overflow whose FUP was dropped, then a TIP: with a Skylake CPU (SKD010) the decode
    // resumes at the TIP; without a CPU the trace is lost up to the next PSB.
    let base = 0x40_0000u64;
    let code = temp("skd010.bin");
    // nop x4, ret
    std::fs::write(&code, [0x90u8, 0x90, 0x90, 0x90, 0xc3]).unwrap();
    let mut t = [0x02, 0x82].repeat(8);
    t.extend_from_slice(&[0x02, 0x23]); // PSBEND right after the PSB
    t.extend_from_slice(&[0x02, 0xf3]); // OVF
    t.push(0x0d | 6 << 5); // TIP, full IP
    t.extend_from_slice(&(base + 1).to_le_bytes());
    t.push(0x01); // TIP.PGD, IP suppressed
    let trace = temp("skd010.pt");
    std::fs::write(&trace, &t).unwrap();
    let img = format!("{}@{base:#x}", code.display());
    let plain = tracery(&["decode", "pt", trace.to_str().unwrap(), "--image", &img]);
    let skl = tracery(&["decode", "pt", trace.to_str().unwrap(), "--image", &img, "--cpu", "6/78/3"]);
    let bdw = tracery(&["decode", "pt", trace.to_str().unwrap(), "--image", &img, "--cpu", "6/61/4"]);
    std::fs::remove_file(&code).ok();
    std::fs::remove_file(&trace).ok();
    for o in [&plain, &skl, &bdw] {
        assert_eq!(o.status.code(), Some(0), "{}", stderr(o));
    }
    let insns = |o: &Output| stdout(o).lines().filter(|l| l.starts_with("0000")).count();
    assert_eq!(insns(&plain), 0, "{}", stdout(&plain));
    assert_eq!(insns(&bdw), 0, "Broadwell has no SKD010: {}", stdout(&bdw));
    assert_eq!(insns(&skl), 4, "{}", stdout(&skl));
}

#[test]
fn decode_etm_of_a_ptm_snapshot_says_the_protocol_is_not_supported() {
    // Before, a PTM (or ETMv3) snapshot decoded to nothing and exit 0.
    let dir = temp("ptm-snapshot");
    std::fs::create_dir_all(&dir).unwrap();
    let w = |f: &str, t: &str| std::fs::write(dir.join(f), t).unwrap();
    w("snapshot.ini", "[device_list]\ndevice0=cpu_0.ini\ndevice1=ptm_0.ini\n[trace]\nmetadata=trace.ini\n");
    w("cpu_0.ini", "[device]\nname=cpu_0\nclass=core\ntype=Cortex-A15\n");
    w("ptm_0.ini", "[device]\nname=PTM_0\nclass=trace_source\ntype=PTM1.1\n[regs]\nETMCR=0xc000\n");
    w(
        "trace.ini",
        "[trace_buffers]\nbuffers=buffer0\n[buffer0]\nname=ETB_0\nfile=t.bin\nformat=coresight\n\
         [source_buffers]\nPTM_0=ETB_0\n",
    );
    std::fs::write(dir.join("t.bin"), [0u8; 16]).unwrap();
    let o = tracery(&["decode", "etm", dir.to_str().unwrap()]);
    std::fs::remove_dir_all(&dir).ok();
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(stderr(&o).contains("PTM1.1") && stderr(&o).contains("not supported"), "{}", stderr(&o));
}

#[test]
// The child is reaped by wait4 (for its rusage), not by Child::wait.
#[allow(clippy::zombie_processes)]
fn decode_etm_streams_its_output_in_bounded_memory() {
    if std::env::var("TRACERY_TEST_RUNNER").is_ok_and(|r| !r.is_empty()) {
        // Under an emulator the peak RSS would be the emulator's.
        return;
    }
    // A 1 MiB ETMv4 trace of E atoms over `0x1000: nop; b 0x1000`: a million elements, over
    // 100 MB of compare form. Before, all of it was built in two Strings first.
    let dir = temp("big-etm");
    std::fs::create_dir_all(&dir).unwrap();
    let w = |f: &str, t: &str| std::fs::write(dir.join(f), t).unwrap();
    w("snapshot.ini", "[device_list]\ndevice1=etm.ini\ndevice2=cpu.ini\n[trace]\nmetadata=trace.ini\n");
    w(
        "etm.ini",
        "[device]\nname=ETM_0\nclass=trace_source\ntype=ETM4\n[regs]\nTRCCONFIGR=0x1\n\
         TRCTRACEIDR=0x10\nTRCIDR0=0x08000ea1\nTRCIDR1=0x4100f440\nTRCIDR2=0x20000488\nTRCIDR8=0x0\n",
    );
    w(
        "cpu.ini",
        "[device]\nname=cpu_0\nclass=core\ntype=Cortex-A53\n[dump1]\nfile=code.bin\naddress=0x1000\n",
    );
    w(
        "trace.ini",
        "[trace_buffers]\nbuffers=buffer0\n[buffer0]\nname=B0\nfile=t.bin\nformat=source_data\n\
         [source_buffers]\nETM_0=B0\n",
    );
    let code: Vec<u8> = [0xd503_201fu32, 0x17ff_ffff].iter().flat_map(|w| w.to_le_bytes()).collect();
    std::fs::write(dir.join("code.bin"), code).unwrap();
    // A-Sync, Trace Info, Trace On, 64-bit address 0x1000 with context (EL1, NS, AArch64).
    let mut t = vec![0u8; 11];
    t.extend_from_slice(&[0x80, 0x01, 0x00, 0x04, 0x85, 0x00, 0x08, 0, 0, 0, 0, 0, 0, 0x31]);
    t.resize(t.len() + (1 << 20), 0xf7);
    std::fs::write(dir.join("t.bin"), t).unwrap();

    let mut child = Command::new(env!("CARGO_BIN_EXE_tracery"))
        .args(["decode", "etm"])
        .arg(&dir)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut pipe = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut lines = 0u64;
        let mut bytes = 0u64;
        let mut buf = vec![0u8; 1 << 16];
        loop {
            match std::io::Read::read(&mut pipe, &mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    bytes += n as u64;
                    lines += buf[..n].iter().filter(|&&b| b == b'\n').count() as u64;
                }
            }
        }
        (lines, bytes)
    });
    let (mut status, mut ru) = (0, std::mem::MaybeUninit::<libc::rusage>::zeroed());
    // SAFETY: `child.id()` is our own child, not yet waited for; `status` and `ru` are
    // valid out-pointers for the call.
    let pid = unsafe { libc::wait4(child.id() as libc::pid_t, &mut status, 0, ru.as_mut_ptr()) };
    assert_eq!(pid, child.id() as libc::pid_t);
    // SAFETY: wait4 succeeded, so it filled in `ru`.
    let max_rss_kib = unsafe { ru.assume_init() }.ru_maxrss;
    let (lines, bytes) = reader.join().unwrap();
    std::fs::remove_dir_all(&dir).ok();
    assert!(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0, "status {status:#x}");
    assert!(lines > 2_000_000 && bytes > 100 << 20, "{lines} lines, {bytes} bytes");
    println!("peak RSS {max_rss_kib} KiB for {lines} lines, {bytes} bytes of output");
    assert!(max_rss_kib < 48 * 1024, "peak RSS {max_rss_kib} KiB for {bytes} bytes of output");
}
