//! The `.ini` dialect of CoreSight snapshots: `[section]` headers, `key=value` lines, `;` and
//! `#` comments. Keys may repeat (trace.ini maps one core to several sources), so every
//! section keeps its pairs in file order.

/// One `[name]` section with its pairs in file order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Section {
    pub name: String,
    pub pairs: Vec<(String, String)>,
}

impl Section {
    /// The first value under `key` (case-insensitive).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.pairs.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v.as_str())
    }
}

/// Parses the whole file; lines outside any section are ignored.
pub fn parse(text: &str) -> Vec<Section> {
    let mut out: Vec<Section> = Vec::new();
    for raw in text.lines() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with(';') || line.starts_with('#') {
            continue;
        }
        if let Some(rest) = line.strip_prefix('[') {
            let name = rest.split(']').next().unwrap_or("").trim().to_string();
            out.push(Section { name, pairs: Vec::new() });
            continue;
        }
        if let (Some(sec), Some((k, v))) = (out.last_mut(), line.split_once('=')) {
            sec.pairs.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    out
}

/// Parses `0x1F`, `1F`-style hex when prefixed, or decimal.
pub fn parse_u64(s: &str) -> Option<u64> {
    let s = s.trim();
    if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        u64::from_str_radix(h, 16).ok()
    } else {
        s.parse().ok()
    }
}

/// A register key such as `TRCCONFIGR(id:0x4)` or `PC(size:64)`, reduced to its name.
pub fn reg_name(key: &str) -> &str {
    key.split('(').next().unwrap_or(key).trim()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_keep_repeated_keys_and_strip_comments() {
        let s = parse("; c\n[a]\nx=1\nx = 2\n# d\n[b]\nTRCIDR0(id:0x78)=0x10\n");
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].pairs.len(), 2);
        assert_eq!(s[0].get("X"), Some("1"));
        assert_eq!(reg_name(&s[1].pairs[0].0), "TRCIDR0");
        assert_eq!(parse_u64(&s[1].pairs[0].1), Some(0x10));
        assert_eq!(parse_u64("12"), Some(12));
        assert_eq!(parse_u64("zz"), None);
    }
}
