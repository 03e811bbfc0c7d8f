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
