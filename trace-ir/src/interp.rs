//! The reference interpreter: the oracle of every differential test.
