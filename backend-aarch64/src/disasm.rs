//! Listings: each IR line followed by the yaxpeax-arm disassembly of the code emitted for it.

use trace_ir::backend::ListingPart;
use trace_ir::ir::Trace;
use yaxpeax_arch::{Decoder, U8Reader};
use yaxpeax_arm::armv8::a64::InstDecoder;

/// One decoded instruction: offset, raw word and text (`None` text for a decode error).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    pub offset: usize,
    pub word: u32,
    pub text: Option<String>,
}

/// Decodes `code` (4-byte words from offset 0).
pub fn decode(code: &[u8]) -> Vec<Line> {
    let d = InstDecoder::default();
    code.chunks(4)
        .enumerate()
        .map(|(i, c)| {
            let mut bytes = [0u8; 4];
            bytes[..c.len()].copy_from_slice(c);
            let mut r = U8Reader::new(c);
            Line {
                offset: 4 * i,
                word: u32::from_le_bytes(bytes),
                text: d.decode(&mut r).ok().map(|i| i.to_string()),
            }
        })
        .collect()
}

/// The IR text of instruction `i` as listings show it (the text format's printer).
pub fn inst_text(t: &Trace, i: usize) -> String {
    trace_ir::text::Printer::new(t).inst(i)
}

/// Renders parts in order, each header line followed by its indented disassembly. Bytes that
/// do not decode are shown as `.word` (a listing never fails).
pub fn render(code: &[u8], parts: &[ListingPart]) -> String {
    let lines = decode(code);
    let mut out = String::new();
    for p in parts {
        out.push_str(&p.what);
        out.push('\n');
        for l in lines.iter().filter(|l| l.offset >= p.offset && l.offset < p.offset + p.len) {
            let text = l.text.clone().unwrap_or_else(|| format!(".word {:#010x}", l.word));
            out.push_str(&format!("  {:6x}:  {:08x}  {text}\n", l.offset, l.word));
        }
    }
    out
}
