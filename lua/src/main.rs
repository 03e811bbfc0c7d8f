//! `tracery-lua [-j on|off] [-e STAT] FILE.lua [ARGS...]`: runs a Lua 5.4 program, with the
//! JIT on by default. The runtime's `TRACERY_*` variables apply.

use std::io::Write;
use std::process::ExitCode;

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().collect();
    let code = tracery_lua::main_with_args(&argv);
    let _ = std::io::stdout().flush();
    ExitCode::from(code)
}
