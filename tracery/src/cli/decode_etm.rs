//! `tracery decode_etm`.

pub fn main(_args: &[String]) -> i32 {
    super::usage("`decode_etm` is not implemented yet")
}
