//! `tracery-lua [-j on|off] [-e STAT] FILE.lua [ARGS...]`: runs a Lua 5.4 program, with the
//! JIT on by default. The runtime's `TRACERY_*` variables apply.

use std::io::Write;
use std::process::ExitCode;

fn usage() -> ExitCode {
    eprintln!("usage: tracery-lua [-j on|off] [-e stat] [script [args]]");
    ExitCode::from(1)
}

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().collect();
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
    let code = tracery_lua::run_cli(jit, &exec, script.as_deref(), &argv, i);
    let _ = std::io::stdout().flush();
    ExitCode::from(code)
}
