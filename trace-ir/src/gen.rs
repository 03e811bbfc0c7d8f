//! Seeded random traces that pass the verifier, for property and differential tests.
