//! The optimizer passes.

/// Placeholder until the passes land: leaves the trace as it is.
pub fn optimize(_trace: &mut crate::Trace) {}
