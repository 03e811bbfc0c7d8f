//! `tracery decode etm SNAPSHOT_DIR [--packets-only] [--multi-session] [--src-addr-n]`: decodes
//! a CoreSight snapshot and prints the compare form (`P ...` packet lines, then `E ...`
//! element lines) that `etm-compare` reads.

use std::io::Write;

use tracer_etm::decoder::{decode_snapshot, packet_line, DecodeOptions};
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
    let mut pk = String::new();
    let mut el = String::new();
    decode_snapshot(
        &snap,
        &opts,
        |id, p, raw| packet_line(&mut pk, id, p, raw),
        |e| {
            el.push_str(&e.to_string());
            el.push('\n');
        },
    );
    let mut o = std::io::stdout().lock();
    if o.write_all(pk.as_bytes()).and_then(|_| o.write_all(el.as_bytes())).is_err() {
        return 1;
    }
    0
}
