//! The differential harness: every corpus case (`cases/*.tir`) and every seeded random trace
//! runs on the reference interpreter and on each backend, and all must agree on the exit, the
//! restored slots and memory.
