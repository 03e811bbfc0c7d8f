//! The optimizer passes.
