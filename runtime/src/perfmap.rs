//! `/tmp/perf-PID.map`: one `START SIZE NAME` line (hex, hex, text) per piece of JIT code, so
//! that `perf report` names traces and interpreter fragments.

use std::io::Write;
use std::sync::Mutex;

static FILE: Mutex<Option<std::fs::File>> = Mutex::new(None);

/// The map's path for this process.
pub fn path() -> std::path::PathBuf {
    std::path::PathBuf::from(format!("/tmp/perf-{}.map", std::process::id()))
}

/// Appends one line; a map that cannot be written is not an error for the program.
pub fn append(start: u64, len: u64, name: &str) {
    let Ok(mut f) = FILE.lock() else { return };
    if f.is_none() {
        *f = std::fs::OpenOptions::new().create(true).append(true).open(path()).ok();
    }
    if let Some(file) = f.as_mut() {
        let _ = writeln!(file, "{start:x} {len:x} {}", name.replace('\n', " "));
    }
}

/// Reads a map back: `(start, size, name)` per line, or the line that does not parse.
pub fn parse(text: &str) -> Result<Vec<(u64, u64, String)>, String> {
    text.lines()
        .map(|l| {
            let mut it = l.splitn(3, ' ');
            let (a, b, c) = (it.next(), it.next(), it.next());
            match (
                a.and_then(|a| u64::from_str_radix(a, 16).ok()),
                b.and_then(|b| u64::from_str_radix(b, 16).ok()),
                c,
            ) {
                (Some(a), Some(b), Some(c)) if !c.is_empty() => Ok((a, b, c.to_string())),
                _ => Err(format!("bad perf map line `{l}`")),
            }
        })
        .collect()
}
