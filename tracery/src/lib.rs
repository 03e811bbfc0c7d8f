//! Tracery's facade: the host backend and tracer chosen at build time by `cfg(target_arch)`,
//! re-exported for embedders, and the helpers behind the `tracery` command. Both backends are
//! always built, so either can assemble for its target on any host; only the host's runs.

pub use trace_ir;
pub use {backend_aarch64, backend_x64, tracer_etm, tracer_pt};

use target_lexicon::{Architecture, Triple};
use trace_ir::backend::Backend;

/// The backend that runs code on this machine.
#[cfg(target_arch = "x86_64")]
pub type HostJit = backend_x64::X64;
#[cfg(target_arch = "aarch64")]
pub type HostJit = backend_aarch64::A64;

/// A backend for the host, ready to install traces.
#[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
pub fn host_jit() -> HostJit {
    HostJit::new()
}

/// The triple this build runs on.
pub fn host_triple() -> Triple {
    target_lexicon::HOST
}

/// A backend that emits code for `triple` (for listings; it need not be the host).
pub fn backend_for(triple: &Triple) -> Result<Box<dyn Backend>, String> {
    match triple.architecture {
        Architecture::X86_64 => Ok(Box::new(backend_x64::X64::new())),
        Architecture::Aarch64(_) => Ok(Box::new(backend_aarch64::A64::new())),
        other => Err(format!("no backend for {other} (supported: x86_64, aarch64)")),
    }
}

/// One line on Intel PT for `tracery doctor`.
pub fn tracer_pt_status() -> String {
    match tracer_pt::probe() {
        Ok(info) => format!("available ({info})"),
        Err(e) => format!("unavailable: {e}"),
    }
}

/// One line on CoreSight ETM for `tracery doctor`.
pub fn tracer_etm_status() -> String {
    match tracer_etm::probe() {
        Ok(i) => format!(
            "available (PMU type {}, sink {:?}, {} CPUs with ETM, {} address filters)",
            i.pmu_type,
            i.sink,
            i.cpus.len(),
            i.nr_addr_filters
        ),
        Err(e) => format!("unavailable: {e}"),
    }
}
