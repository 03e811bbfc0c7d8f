//! What `TRACERY_STATS=1` prints when a driver ends: traces, aborts by reason, exits, and
//! where the time went.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::time::Duration;

#[derive(Clone, Debug, Default)]
pub struct Stats {
    pub traces: u32,
    pub side_traces: u32,
    pub aborts: BTreeMap<String, u32>,
    pub blacklisted: u32,
    pub flushes: u32,
    /// Control points that entered a trace.
    pub trace_entries: u64,
    /// Trace exits that came back to the driver.
    pub exits: u64,
    pub total: Duration,
    pub interp: Duration,
    pub in_traces: Duration,
    pub recording: Duration,
    pub building: Duration,
    pub compiling: Duration,
    /// Optimize + allocate + emit + install, per trace, in µs.
    pub compile_us: Vec<f64>,
    /// Record + build + compile, per trace, in µs.
    pub trace_us: Vec<f64>,
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

impl Stats {
    /// The median and the maximum compile time in µs (0 without traces).
    pub fn compile_median_max(&self) -> (f64, f64) {
        let mut v = self.compile_us.clone();
        if v.is_empty() {
            return (0.0, 0.0);
        }
        v.sort_by(|a, b| a.total_cmp(b));
        (v[v.len() / 2], v[v.len() - 1])
    }

    pub fn report(&self) -> String {
        let mut o = String::new();
        let (med, max) = self.compile_median_max();
        let _ = writeln!(
            o,
            "[tracery] stats: {} traces ({} side), {} blacklisted, {} flushes",
            self.traces, self.side_traces, self.blacklisted, self.flushes
        );
        let aborts: Vec<String> = self.aborts.iter().map(|(k, v)| format!("{k}: {v}")).collect();
        let _ = writeln!(
            o,
            "[tracery] aborts: {}",
            if aborts.is_empty() { "none".into() } else { aborts.join(", ") }
        );
        let _ =
            writeln!(o, "[tracery] trace entries {}, exits to the driver {}", self.trace_entries, self.exits);
        let _ = writeln!(
            o,
            "[tracery] time ms: total {:.3}, interpreter {:.3}, traces {:.3}, recording {:.3}, building {:.3}, compiling {:.3} (median {med:.1} µs, max {max:.1} µs per trace)",
            ms(self.total),
            ms(self.interp),
            ms(self.in_traces),
            ms(self.recording),
            ms(self.building),
            ms(self.compiling)
        );
        o
    }
}
