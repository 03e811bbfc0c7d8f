//! `tracery asm`.

pub fn main(_args: &[String]) -> i32 {
    super::usage("`asm` is not implemented yet")
}
