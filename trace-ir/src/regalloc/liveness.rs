//! Live ranges.
