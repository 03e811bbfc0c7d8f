//! `tracery decode_pt`.

pub fn main(_args: &[String]) -> i32 {
    super::usage("`decode_pt` is not implemented yet")
}
