//! tracery-lua: Lua 5.4 on Tracery.
//!
//! The front end (`lex`, `parse`, `compile`) turns source into register bytecode
//! (`bytecode`). The object runtime (`value`, `gc`, `string`, `table`, `number`) holds Lua's
//! values in a heap with a tracing collector. The VM (`vm/`) is a Tracery fragment program:
//! its handlers are IR fragments, run by the native interpreter and traced by
//! `tracery-runtime`; what a handler cannot say in straight-line IR it calls a native helper
//! for. The library (`lib/`) is Rust, plus a prelude written in Lua for the functions that
//! call back into Lua (so no helper ever re-enters the VM). This crate is the only place in
//! Tracery that knows Lua exists.

pub mod ast;
pub mod bytecode;
pub mod compile;
pub mod format;
pub mod gc;
pub mod lex;
pub mod number;
pub mod parse;
pub mod pattern;
pub mod state;
pub mod stdlib;
pub mod string;
pub mod table;
pub mod value;
pub mod vm;

use std::io::Write;

/// `tracery-lua [-j on|off] [-e STAT] FILE.lua [ARGS...]` (`argv[0]` is the command's
/// name); returns the exit status.
pub fn main_with_args(argv: &[String]) -> u8 {
    let usage = || {
        eprintln!("usage: tracery-lua [-j on|off] [-e stat] [script [args]]");
        1
    };
    let mut jit: Option<bool> = None;
    let mut exec: Vec<String> = Vec::new();
    let mut i = 1;
    while i < argv.len() {
        match argv[i].as_str() {
            "-j" => {
                i += 1;
                match argv.get(i).map(|s| s.as_str()) {
                    Some("on") => jit = Some(true),
                    Some("off") => jit = Some(false),
                    _ => return usage(),
                }
            }
            "-e" => {
                i += 1;
                match argv.get(i) {
                    Some(s) => exec.push(s.clone()),
                    None => return usage(),
                }
            }
            "--" => {
                i += 1;
                break;
            }
            s if s.starts_with('-') && s.len() > 1 => return usage(),
            _ => break,
        }
        i += 1;
    }
    let script = argv.get(i).cloned();
    if script.is_none() && exec.is_empty() {
        return usage();
    }
    run_cli(jit, &exec, script.as_deref(), argv, i)
}

/// The CLI: runs `-e` statements, then `script` (index `script_at` in `argv`) with the rest
/// of `argv` as its arguments. Returns the exit status; errors are printed as lua5.4 does.
pub fn run_cli(
    jit: Option<bool>,
    exec: &[String],
    script: Option<&str>,
    argv: &[String],
    script_at: usize,
) -> u8 {
    let mut config = match tracery_runtime::config::Config::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("tracery-lua: {e}");
            return 1;
        }
    };
    if let Some(j) = jit {
        config.jit = j;
    }
    let mut vm = match vm::Vm::new(config) {
        Ok(v) => v,
        Err(e) => {
            eprintln!("tracery-lua: {e}");
            return 1;
        }
    };
    vm.set_args(argv, script_at);
    let mut chunks: Vec<(Vec<u8>, String)> =
        exec.iter().map(|s| (s.as_bytes().to_vec(), "=(command line)".to_string())).collect();
    if let Some(path) = script {
        match std::fs::read(path) {
            Ok(src) => chunks.push((src, format!("@{path}"))),
            Err(_) => {
                eprintln!("lua: cannot open {path}");
                return 1;
            }
        }
        if let Some(dir) = std::path::Path::new(path).parent() {
            let d = dir.to_string_lossy();
            vm.state.script_dir = if d.is_empty() { ".".into() } else { d.into_owned() };
        }
    }
    for (src, name) in chunks {
        let proto = match compile::compile(&skip_shebang(&src), &lex::chunk_display_name(&name)) {
            Ok(p) => p,
            Err(e) => {
                let _ = std::io::stdout().flush();
                eprintln!("lua: {e}");
                vm.close();
                return 1;
            }
        };
        let args = vm.script_args();
        match vm.run_main(&proto, &args) {
            Ok(vm::Ended::Ok) => {}
            Ok(vm::Ended::Exit(c)) => {
                let _ = std::io::stdout().flush();
                return c as u8;
            }
            Ok(vm::Ended::UncaughtValue(_)) => unreachable!("run_main makes the message"),
            Ok(vm::Ended::Error(m)) => {
                let _ = std::io::stdout().flush();
                eprintln!("lua: {m}");
                eprintln!("stack traceback:\n\t[C]: in ?");
                vm.close();
                return 1;
            }
            Err(e) => {
                let _ = std::io::stdout().flush();
                eprintln!("tracery-lua: {e}");
                return 1;
            }
        }
    }
    vm.close();
    0
}

/// A first line starting with `#` is skipped (kept as an empty line, so line numbers hold).
fn skip_shebang(src: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    if src.first() == Some(&b'#') {
        let end = src.iter().position(|&c| c == b'\n').unwrap_or(src.len());
        std::borrow::Cow::Owned(src[end..].to_vec())
    } else {
        std::borrow::Cow::Borrowed(src)
    }
}
