//! `tracery run`.

pub fn main(_args: &[String]) -> i32 {
    super::usage("`run` is not implemented yet")
}
