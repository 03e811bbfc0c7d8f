//! A recording: what any recorder (the software log, Intel PT, CoreSight ETM) says one run of
//! a fragment program did: the fragments in order, the snapshot each left through, and the
//! values `promote` saw in each. It is tracer-neutral: the trace builder reads only this.
//!
//! Text form, one step a line, fragments by name when the program is known:
//! ```text
//! op_add snap0
//! op_call snap2 promote 0x7f001000
//! ```

use std::fmt::Write;

/// One fragment run: where it left, and the values it promoted, in order.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Step {
    pub fragment: u32,
    pub snap: u32,
    pub promoted: Vec<u64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Recording {
    pub steps: Vec<Step>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordingError {
    pub line: usize,
    pub message: String,
}

impl std::fmt::Display for RecordingError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.line, self.message)
    }
}

impl std::error::Error for RecordingError {}

/// Marks a promoted value in the software log (the word after it is the value); any other
/// word is an exit, `fragment << 32 | snap`.
pub const LOG_PROMOTE: u64 = u64::MAX;

impl Recording {
    /// The text form; `names` gives fragment names (numbers are printed where it has none).
    pub fn print(&self, names: &[String]) -> String {
        let mut out = String::new();
        for s in &self.steps {
            match names.get(s.fragment as usize) {
                Some(n) => out.push_str(n),
                None => {
                    let _ = write!(out, "{}", s.fragment);
                }
            }
            let _ = write!(out, " snap{}", s.snap);
            if !s.promoted.is_empty() {
                let vs: Vec<String> = s.promoted.iter().map(|v| format!("{v:#x}")).collect();
                let _ = write!(out, " promote {}", vs.join(", "));
            }
            out.push('\n');
        }
        out
    }

    /// Reads the text form back (fragments by name from `names`, or by number).
    pub fn parse(text: &str, names: &[String]) -> Result<Recording, RecordingError> {
        let mut steps = Vec::new();
        for (i, raw) in text.lines().enumerate() {
            let line = i + 1;
            let bad = |message: String| RecordingError { line, message };
            let l = raw.split(';').next().unwrap_or("").trim();
            if l.is_empty() {
                continue;
            }
            let (head, promoted) = match l.split_once(" promote ") {
                Some((h, p)) => (h, Some(p)),
                None => (l, None),
            };
            let mut words = head.split_whitespace();
            let f = words.next().unwrap_or("");
            let fragment = match names.iter().position(|n| n == f) {
                Some(k) => k as u32,
                None => f.parse().map_err(|_| bad(format!("unknown fragment `{f}`")))?,
            };
            let s = words.next().ok_or_else(|| bad("expected `snapN` after the fragment".into()))?;
            let snap = s
                .strip_prefix("snap")
                .and_then(|n| n.parse().ok())
                .ok_or_else(|| bad(format!("expected `snapN`, found `{s}`")))?;
            if let Some(w) = words.next() {
                return Err(bad(format!("unexpected `{w}`")));
            }
            let mut vals = Vec::new();
            for v in promoted.into_iter().flat_map(|p| p.split(',')) {
                let v = v.trim();
                let n = match v.strip_prefix("0x") {
                    Some(h) => u64::from_str_radix(h, 16),
                    None => v.parse(),
                };
                vals.push(n.map_err(|_| bad(format!("bad promoted value `{v}`")))?);
            }
            steps.push(Step { fragment, snap, promoted: vals });
        }
        Ok(Recording { steps })
    }

    /// Decodes the software recorder's log words.
    pub fn from_log(words: &[u64]) -> Result<Recording, String> {
        let mut steps = Vec::new();
        let mut pending = Vec::new();
        let mut i = 0;
        while i < words.len() {
            let w = words[i];
            if w == LOG_PROMOTE {
                let v = *words.get(i + 1).ok_or("the log ends inside a promoted value")?;
                pending.push(v);
                i += 2;
            } else {
                steps.push(Step {
                    fragment: (w >> 32) as u32,
                    snap: w as u32,
                    promoted: std::mem::take(&mut pending),
                });
                i += 1;
            }
        }
        if !pending.is_empty() {
            return Err("promoted values after the last exit".into());
        }
        Ok(Recording { steps })
    }
}
