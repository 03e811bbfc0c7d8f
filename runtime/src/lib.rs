//! Tracery's runtime: what an interpreter written as a fragment program links against to
//! become a JIT. Today it holds the trace builder (`build`), which turns a recording into a
//! trace; the control point, hot counters, code cache and side traces come next. It knows
//! no architecture (it drives the host `Jit` through trace-ir's trait) and no language (it
//! sees only fragment programs and recordings).

pub mod build;
