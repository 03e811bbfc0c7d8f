//! Prints the listing of a kernel (`sum_i64`, `dot_f64`, `memcpy_i64`, `mix_guards`) with
//! the shared allocator: `cargo run -p backend-x64 --example listing dot_f64`.
#[path = "../tests/common/mod.rs"]
mod common;
use trace_ir::backend::Backend;
fn main() {
    let name = std::env::args().nth(1).unwrap_or_else(|| "sum_i64".into());
    let t = match name.as_str() {
        "dot_f64" => common::kernels::dot_f64(),
        "memcpy_i64" => common::kernels::memcpy_i64(),
        "mix_guards" => common::kernels::mix_guards(),
        _ => common::kernels::sum_i64(),
    };
    let al = common::naive_alloc(&t, common::Mode::Shared);
    print!("{}", backend_x64::X64::new().listing(&t, &al, &trace_ir::Symbols::new()).unwrap());
}
