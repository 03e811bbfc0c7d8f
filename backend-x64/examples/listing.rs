//! Prints the listing of the sum_i64 kernel with the naive test allocation.
#[path = "../tests/common/mod.rs"]
mod common;
use trace_ir::backend::Backend;
fn main() {
    let t = common::kernels::mix_guards();
    let al = common::naive_alloc(&t, common::Mode::Regs);
    print!("{}", backend_x64::X64::new().listing(&t, &al, &trace_ir::Symbols::new()).unwrap());
}
