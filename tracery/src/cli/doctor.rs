//! `tracery doctor`: what this machine supports and why: the backend chosen at build time,
//! the kernel's perf settings, and each hardware tracer's probe with the exact reason when it
//! is unavailable.

pub fn main(args: &[String]) -> i32 {
    if let Some(a) = args.first() {
        return super::usage(&format!("doctor takes no arguments, found `{a}`"));
    }
    print!("{}", report());
    0
}

fn read_trimmed(path: &str) -> Option<String> {
    std::fs::read_to_string(path).ok().map(|s| s.trim().to_string())
}

pub fn report() -> String {
    let mut out = String::new();
    let host = tracery::host_triple();
    out += &format!("host:            {host}\n");
    let backend = if cfg!(target_arch = "x86_64") {
        "x86-64 (dynasm, SSE2 baseline)"
    } else if cfg!(target_arch = "aarch64") {
        "aarch64 (dynasm, ARMv8.0 baseline)"
    } else {
        "none (reference interpreter only)"
    };
    out += &format!("backend:         {backend}\n");
    out += "listings for:    x86_64-unknown-linux-gnu, aarch64-unknown-linux-gnu\n";
    let kernel = read_trimmed("/proc/sys/kernel/osrelease").unwrap_or_else(|| "unknown".into());
    out += &format!("kernel:          {kernel}\n");
    let paranoid = read_trimmed("/proc/sys/kernel/perf_event_paranoid");
    out += &format!(
        "perf_event_paranoid: {}\n",
        match &paranoid {
            Some(p) => format!("{p} (hardware tracing needs <= 2 or CAP_PERFMON)"),
            None => "unreadable (no perf events in this kernel?)".into(),
        }
    );
    out += &tracers();
    out
}

fn tracers() -> String {
    let mut out = String::new();
    out += &format!("intel_pt:        {}\n", tracery::tracer_pt_status());
    out += &format!("cs_etm:          {}\n", tracery::tracer_etm_status());
    out
}
