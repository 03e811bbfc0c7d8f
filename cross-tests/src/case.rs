//! A corpus case: one or more traces in text, with the comment header that sets up the run
//! and states what must come out (see `cases/README.md` for the directives).

use trace_ir::text;
use trace_ir::{SnapId, Trace};

/// An initial or expected slot value.
#[derive(Clone, Debug, PartialEq)]
pub enum SlotValue {
    Bits(u64),
    /// The address of a buffer.
    Addr(String),
    /// Any NaN (expectations only).
    AnyNan,
}

#[derive(Clone, Debug, PartialEq)]
pub struct BufSpec {
    pub name: String,
    pub bytes: Vec<u8>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Expect {
    /// Trace and snapshot of the exit.
    pub exit: Option<(u32, SnapId)>,
    pub resume: Option<u64>,
    pub slots: Vec<(u32, SlotValue)>,
    pub bufs: Vec<BufSpec>,
}

#[derive(Clone, Debug)]
pub struct Case {
    pub name: String,
    pub description: String,
    pub traces: Vec<Trace>,
    pub slots: Vec<(u32, SlotValue)>,
    pub bufs: Vec<BufSpec>,
    pub expect: Expect,
}

/// Parses a case file. Errors name the file's line.
pub fn parse_case(name: &str, src: &str) -> Result<Case, String> {
    let mut case = Case {
        name: name.to_string(),
        description: String::new(),
        traces: Vec::new(),
        slots: Vec::new(),
        bufs: Vec::new(),
        expect: Expect::default(),
    };
    // Split into trace sections at `; === trace`, keeping line numbers right by padding each
    // section with the blank lines that precede it.
    let mut sections: Vec<String> = vec![String::new()];
    for (i, line) in src.lines().enumerate() {
        let t = line.trim();
        if t.starts_with("; === trace") {
            sections.push("\n".repeat(i + 1));
            continue;
        }
        if let Some(rest) = t.strip_prefix(';') {
            header_line(&mut case, rest.trim()).map_err(|e| format!("{name}:{}: {e}", i + 1))?;
        }
        let s = sections.last_mut().expect("sections is never empty");
        s.push_str(line);
        s.push('\n');
    }
    for s in sections {
        let t = text::parse(&s).map_err(|e| format!("{name}:{e}"))?;
        trace_ir::verify::verify(&t).map_err(|e| format!("{name}: {e}"))?;
        case.traces.push(t);
    }
    Ok(case)
}

fn header_line(case: &mut Case, line: &str) -> Result<(), String> {
    let Some((key, value)) = line.split_once(':') else { return Ok(()) };
    let value = value.trim();
    match key.trim() {
        "case" => case.description = value.to_string(),
        "slots" => case.slots = slot_list(value)?,
        "expect slots" => case.expect.slots = slot_list(value)?,
        "expect exit" => case.expect.exit = Some(exit_spec(value)?),
        "expect resume" => case.expect.resume = Some(int(value)?),
        k if k.starts_with("buf ") => case.bufs.push(buf_spec(&k[4..], value)?),
        k if k.starts_with("expect buf ") => case.expect.bufs.push(buf_spec(&k[11..], value)?),
        _ => {}
    }
    Ok(())
}

fn exit_spec(v: &str) -> Result<(u32, SnapId), String> {
    let words: Vec<&str> = v.split_whitespace().collect();
    let (trace, snap) = match words[..] {
        [s] => (0, s),
        [t, s] => (int(t)? as u32, s),
        _ => return Err(format!("expected `snapN` or `T snapN`, found `{v}`")),
    };
    let n = snap.strip_prefix("snap").ok_or_else(|| format!("expected `snapN`, found `{snap}`"))?;
    Ok((trace, SnapId(n.parse().map_err(|_| format!("bad snapshot `{snap}`"))?)))
}

fn slot_list(v: &str) -> Result<Vec<(u32, SlotValue)>, String> {
    v.split_whitespace()
        .map(|item| {
            let (slot, val) =
                item.split_once('=').ok_or_else(|| format!("expected N=VALUE, found `{item}`"))?;
            let slot = slot.parse::<u32>().map_err(|_| format!("bad slot number `{slot}`"))?;
            Ok((slot, slot_value(val)?))
        })
        .collect()
}

fn slot_value(v: &str) -> Result<SlotValue, String> {
    if let Some(name) = v.strip_prefix('&') {
        return Ok(SlotValue::Addr(name.to_string()));
    }
    if v == "nan" || v == "fnan" {
        return Ok(SlotValue::AnyNan);
    }
    if let Some(fl) = v.strip_prefix('f') {
        return Ok(SlotValue::Bits(float(fl)?.to_bits()));
    }
    Ok(SlotValue::Bits(int(v)?))
}

/// A 64-bit integer: decimal (negative = two's complement) or 0x hex.
pub fn int(v: &str) -> Result<u64, String> {
    let (neg, body) = match v.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, v),
    };
    let mag = match body.strip_prefix("0x").or_else(|| body.strip_prefix("0X")) {
        Some(h) => u64::from_str_radix(h, 16),
        None => body.parse::<u64>(),
    }
    .map_err(|_| format!("bad integer `{v}`"))?;
    Ok(if neg { mag.wrapping_neg() } else { mag })
}

fn float(v: &str) -> Result<f64, String> {
    match v {
        "inf" | "+inf" => Ok(f64::INFINITY),
        "-inf" => Ok(f64::NEG_INFINITY),
        "nan" => Ok(f64::NAN),
        _ => v.parse::<f64>().map_err(|_| format!("bad float `{v}`")),
    }
}

fn buf_spec(name: &str, v: &str) -> Result<BufSpec, String> {
    let mut words = v.split_whitespace();
    let ty = words.next().ok_or("expected an element type")?;
    let mut bytes = Vec::new();
    if ty == "zero" {
        let n: usize = words.next().and_then(|w| w.parse().ok()).ok_or("expected `zero N`")?;
        if n > 1 << 20 {
            return Err(format!("buffer of {n} bytes is too large"));
        }
        bytes.resize(n, 0);
    } else {
        for w in words {
            let bits = if ty == "f64" && !w.starts_with("0x") { float(w)?.to_bits() } else { int(w)? };
            let width = match ty {
                "i8" => 1,
                "i16" => 2,
                "i32" => 4,
                "i64" | "f64" => 8,
                _ => return Err(format!("unknown element type `{ty}`")),
            };
            bytes.extend_from_slice(&bits.to_le_bytes()[..width]);
        }
    }
    Ok(BufSpec { name: name.trim().to_string(), bytes })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slot_values_parse() {
        assert_eq!(slot_value("-1").unwrap(), SlotValue::Bits(u64::MAX));
        assert_eq!(slot_value("0x10").unwrap(), SlotValue::Bits(16));
        assert_eq!(slot_value("f1.5").unwrap(), SlotValue::Bits(1.5f64.to_bits()));
        assert_eq!(slot_value("&a").unwrap(), SlotValue::Addr("a".into()));
        assert_eq!(slot_value("nan").unwrap(), SlotValue::AnyNan);
        assert!(slot_value("12x").is_err());
    }

    #[test]
    fn buffers_are_little_endian_elements() {
        let b = buf_spec("a", "i16 1 -1").unwrap();
        assert_eq!(b.bytes, vec![1, 0, 0xff, 0xff]);
        assert_eq!(buf_spec("z", "zero 3").unwrap().bytes, vec![0; 3]);
        assert!(buf_spec("q", "i7 1").is_err());
    }

    #[test]
    fn exit_specs_name_trace_and_snapshot() {
        assert_eq!(exit_spec("snap3").unwrap(), (0, SnapId(3)));
        assert_eq!(exit_spec("1 snap0").unwrap(), (1, SnapId(0)));
        assert!(exit_spec("snapx").is_err());
    }
}
