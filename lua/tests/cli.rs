//! The command line: `-e`, `arg`, syntax errors and missing files, as lua5.4 reports them.

use std::process::Command;

fn lua(args: &[&str], dir: &std::path::Path) -> (i32, String, String) {
    let bin = env!("CARGO_BIN_EXE_tracery-lua");
    let runner: Vec<String> = std::env::var("TRACERY_TEST_RUNNER")
        .map(|r| r.split_whitespace().map(String::from).collect())
        .unwrap_or_default();
    let mut cmd = if runner.is_empty() {
        Command::new(bin)
    } else {
        let mut c = Command::new(&runner[0]);
        c.args(&runner[1..]).arg(bin);
        c
    };
    let out = cmd.args(args).current_dir(dir).output().expect("tracery-lua runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn scratch(name: &str, src: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("tracery-lua-cli-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    std::fs::write(d.join(format!("{name}.lua")), src).unwrap();
    d
}

#[test]
fn e_runs_a_statement() {
    let (code, out, _) = lua(&["-e", "print(1 + 1, 2^10, 7 // 2)"], &std::env::temp_dir());
    assert_eq!((code, out.as_str()), (0, "2\t1024.0\t3\n"));
}

#[test]
fn arg_and_varargs_are_set_as_lua54_sets_them() {
    let d = scratch("args", "print(arg[0], arg[1], arg[2], #arg, select('#', ...), ...)\n");
    let (code, out, err) = lua(&["args.lua", "x", "y"], &d);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, "args.lua\tx\ty\t2\t2\tx\ty\n");
}

#[test]
fn a_syntax_error_names_the_line_and_the_token() {
    let d = scratch("syn", "local x = 1\nx = = 2\n");
    let (code, out, err) = lua(&["syn.lua"], &d);
    assert_eq!((code, out.as_str()), (1, ""));
    assert_eq!(err.lines().next(), Some("lua: syn.lua:2: unexpected symbol near '='"));
}

#[test]
fn a_missing_file_is_an_error_not_a_crash() {
    let (code, _, err) = lua(&["no-such-file.lua"], &std::env::temp_dir());
    assert_eq!(code, 1);
    assert_eq!(err.lines().next(), Some("lua: cannot open no-such-file.lua"));
}

#[test]
fn deep_recursion_is_a_lua_error() {
    let d = scratch("deep", "local function f(n) return 1 + f(n + 1) end\nprint(pcall(f, 1))\n");
    let (code, out, err) = lua(&["-j", "off", "deep.lua"], &d);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("false\tdeep.lua:1: stack overflow"), "{out}");
}

#[test]
fn bad_settings_are_refused_with_the_variable_named() {
    let bin = env!("CARGO_BIN_EXE_tracery-lua");
    if std::env::var_os("TRACERY_TEST_RUNNER").is_some() {
        return; // the emulator passes the environment the same way; the host run covers it
    }
    let out = Command::new(bin).args(["-e", "print(1)"]).env("TRACERY_JIT", "maybe").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("TRACERY_JIT"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Runs `file` in `dir` on the host with the trace log and the statistics: (stdout, stderr).
fn traced(dir: &std::path::Path, file: &str) -> (String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_tracery-lua"))
        .arg(file)
        .current_dir(dir)
        .env("TRACERY_LOG", "trace")
        .env("TRACERY_STATS", "1")
        .output()
        .unwrap();
    (String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

/// An outer loop's trace ends at the inner loop's header; once the inner loop has a trace,
/// that exit is linked straight to it, so the run stops returning to the driver there.
#[test]
fn nested_loops_link_their_traces() {
    if std::env::var_os("TRACERY_TEST_RUNNER").is_some() {
        // The same logic runs under qemu in the conformance suite; the log check is host-only.
        return;
    }
    let d = scratch(
        "nest",
        "local s = 0\nfor i = 1, 300 do\n  for j = 1, 50 do s = s + i * j end\nend\nprint(s)\n",
    );
    let (so, se) = traced(&d, "nest.lua");
    assert_eq!(so, "57566250\n", "{se}");
    assert!(se.lines().any(|l| l.contains(" linked to ")), "{se}");
    let exits: u64 = se
        .lines()
        .find_map(|l| l.split("exits to the driver ").nth(1))
        .and_then(|n| n.trim().parse().ok())
        .expect("a stats line");
    assert!(exits < 100, "{exits} exits to the driver for 300 outer iterations:\n{se}");
}

/// Under an address-space limit, growing tables and strings until memory runs out is a Lua
/// error that pcall catches, in both modes, and the program goes on after a collection.
#[test]
fn running_out_of_memory_is_a_lua_error() {
    if std::env::var_os("TRACERY_TEST_RUNNER").is_some() {
        return; // the limit would apply to the emulator itself
    }
    let d = scratch(
        "oom",
        "local ok, e = pcall(function() local s = 'x' while true do s = s .. s end end)\n\
         print(ok, e)\n\
         print(pcall(function() local t = {} for i = 1, math.maxinteger do t[i] = {} end end))\n\
         collectgarbage()\n\
         print('still running', #string.rep('ab', 1000))\n\
         local t = {} for i = 1, math.maxinteger do t[i] = i end\n",
    );
    let bin = env!("CARGO_BIN_EXE_tracery-lua");
    for jit in ["off", "on"] {
        let out = Command::new("sh")
            .arg("-c")
            .arg(format!("ulimit -v 1000000 && exec '{bin}' -j {jit} oom.lua"))
            .current_dir(&d)
            .output()
            .unwrap();
        let (so, se) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert_eq!(
            so, "false\tnot enough memory\nfalse\tnot enough memory\nstill running\t2000\n",
            "-j {jit}: {se}"
        );
        assert_eq!(out.status.code(), Some(1), "-j {jit}: {se}");
        assert_eq!(se.lines().next(), Some("lua: not enough memory"), "-j {jit}");
    }
}

/// A call of the running function goes through the control point: a recursive function
/// gets a trace whose loop is the recursive call, and its returns get side traces.
#[test]
fn recursion_is_traced() {
    if std::env::var_os("TRACERY_TEST_RUNNER").is_some() {
        return; // the log check is host-only; the conformance suite runs recursion under qemu
    }
    let d = scratch(
        "rec",
        "local function fib(n) if n < 2 then return n end return fib(n - 1) + fib(n - 2) end\nprint(fib(22))\n",
    );
    let (so, se) = traced(&d, "rec.lua");
    assert_eq!(so, "17711\n", "{se}");
    assert!(se.lines().any(|l| l.contains("trace 1 compiled") && l.ends_with(", loop")), "{se}");
    assert!(se.lines().any(|l| l.contains("start side of")), "{se}");
}
