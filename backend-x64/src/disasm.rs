//! Listings: each IR line followed by the Intel-syntax disassembly (iced-x86) of the code
//! emitted for it; the entry, stubs, deopt paths and common exit are labelled.

use iced_x86::{Decoder, DecoderOptions, Formatter, IntelFormatter};

/// The Intel-syntax disassembly of `code` placed at `ip`, one `(address, text)` per
/// instruction.
pub fn disassemble(code: &[u8], ip: u64) -> Vec<(u64, String)> {
    let mut d = Decoder::with_ip(64, code, ip, DecoderOptions::NONE);
    let mut f = IntelFormatter::new();
    let mut out = Vec::new();
    for ins in &mut d {
        let mut s = String::new();
        f.format(&ins, &mut s);
        out.push((ins.ip(), s));
    }
    out
}

/// Interleaves labelled parts with their disassembly. `parts` are `(what, offset)` in
/// increasing offset order, covering `code`.
pub fn listing(parts: &[(String, usize)], code: &[u8], ip: u64) -> String {
    let mut s = String::new();
    for (k, (what, off)) in parts.iter().enumerate() {
        let end = parts.get(k + 1).map_or(code.len(), |p| p.1);
        s.push_str(&format!("; {what}\n"));
        for (addr, text) in disassemble(&code[*off..end], ip + *off as u64) {
            s.push_str(&format!("  {:6x}  {text}\n", addr - ip));
        }
    }
    s
}
