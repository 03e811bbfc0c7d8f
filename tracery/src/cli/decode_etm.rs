//! `tracery decode etm SNAPSHOT_DIR [--packets-only] [--multi-session] [--src-addr-n]`: decodes
//! a CoreSight snapshot and prints the compare form (`P ...` packet lines and `E ...`
//! element lines, streamed in decode order) that `etm-compare` reads.

use tracer_etm::decoder::{write_compare_form, DecodeOptions};
use tracer_etm::Snapshot;

pub fn main(args: &[String]) -> i32 {
    let mut opts = DecodeOptions::default();
    let mut dir = None;
    for a in args {
        match a.as_str() {
            "--packets-only" => opts.packets_only = true,
            "--multi-session" => opts.multi_session = true,
            "--src-addr-n" => opts.src_addr_n = true,
            s if s.starts_with("--") => return super::usage(&format!("decode etm: unknown option `{s}`")),
            s => {
                if dir.replace(s.to_string()).is_some() {
                    return super::usage("decode etm takes one SNAPSHOT_DIR");
                }
            }
        }
    }
    let Some(dir) = dir else { return super::usage("decode etm needs a SNAPSHOT_DIR") };
    let snap = match Snapshot::load(&dir) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("tracery: {e}");
            return 1;
        }
    };
    // Streamed: lines go out as they are decoded, through one buffered writer.
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    match write_compare_form(&snap, &opts, &mut out) {
        Ok(_) => 0,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => 0,
        Err(e) => {
            eprintln!("tracery: decode etm: {e}");
            1
        }
    }
}
