//! Subcommand dispatch. Every subcommand returns its exit code and prints its own errors;
//! none panics on bad input.

mod asm;
mod decode_etm;
mod decode_pt;
mod doctor;
mod program;
mod run;
mod source;

const USAGE: &str = "usage: tracery <command> [args]

commands:
  run FILE.tir [--slot N=VALUE]... [--no-opt] [--interp] [--dump ir,opt,regalloc,asm]
  run PROGRAM.tir [--slot N=VALUE]... [--interp] [--record]
  asm FILE.tir|PROGRAM.tir [--target TRIPLE]
  decode etm SNAPSHOT_DIR [--packets-only] [--multi-session] [--src-addr-n]
  decode pt TRACE [--image FILE@ADDR]... [--elf FILE@LOADADDR]... [--cpu F/M/S] [--filter START-END] [--packets]
  doctor
  lua [-j on|off] [-e STAT] FILE.lua [ARGS...]   (tracery-lua)";

pub fn main(args: &[String]) -> i32 {
    let rest = args.get(1..).unwrap_or(&[]);
    match args.first().map(String::as_str) {
        Some("run") => run::main(rest),
        Some("asm") => asm::main(rest),
        Some("decode") => match rest.first().map(String::as_str) {
            Some("etm") => decode_etm::main(&rest[1..]),
            Some("pt") => decode_pt::main(&rest[1..]),
            _ => usage("decode needs `etm` or `pt`"),
        },
        Some("doctor") => doctor::main(rest),
        Some("lua") => {
            let mut argv = vec!["tracery lua".to_string()];
            argv.extend_from_slice(rest);
            tracery_lua::main_with_args(&argv) as i32
        }
        Some("-h") | Some("--help") | Some("help") => {
            println!("{USAGE}");
            0
        }
        Some(other) => usage(&format!("unknown command `{other}`")),
        None => usage("no command given"),
    }
}

pub fn usage(why: &str) -> i32 {
    eprintln!("tracery: {why}\n{USAGE}");
    2
}
