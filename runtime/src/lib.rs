//! Tracery's runtime: what an interpreter written as a fragment program links against to
//! become a JIT. `Driver` runs the program on the native interpreter, counts control points,
//! records hot loops, builds traces from the recordings (`build`), installs them and their
//! side traces, and flushes the code cache when it is full; `config` reads the `TRACERY_*`
//! settings, `stats` and `perfmap` are what a user sees of it. It knows no architecture (it
//! drives the host `Jit`, chosen here by `cfg(target_arch)`) and no language (it sees only
//! fragment programs and recordings).

pub mod build;
pub mod config;
pub mod driver;
pub mod perfmap;
pub mod stats;

pub use config::Config;
pub use driver::{Driver, RunError, RunExit};

/// The host's backend, ready to install traces (`None` on a machine without one).
pub fn host_jit() -> Option<Box<dyn trace_ir::backend::Jit>> {
    #[cfg(target_arch = "x86_64")]
    return Some(Box::new(backend_x64::X64::new()));
    #[cfg(target_arch = "aarch64")]
    return Some(Box::new(backend_aarch64::A64::new()));
    #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
    return None;
}
