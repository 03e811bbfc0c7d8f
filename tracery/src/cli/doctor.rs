//! `tracery doctor`.

pub fn main(_args: &[String]) -> i32 {
    super::usage("`doctor` is not implemented yet")
}
