//! The verifier.

use crate::ir::Trace;

/// A verifier error, naming the instruction in text form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyError {
    pub message: String,
}

impl std::fmt::Display for VerifyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for VerifyError {}

pub fn verify(_trace: &Trace) -> Result<(), VerifyError> {
    Ok(())
}
