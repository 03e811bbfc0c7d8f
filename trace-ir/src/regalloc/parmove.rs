//! Parallel moves.
