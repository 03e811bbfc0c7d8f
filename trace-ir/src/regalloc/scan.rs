//! Linear scan.

use super::{AllocError, Allocation, RegFile};
use crate::ir::Trace;

pub fn allocate(_trace: &Trace, _rf: &RegFile) -> Result<Allocation, AllocError> {
    Err(AllocError::Unsatisfiable("the allocator is not written yet".into()))
}
