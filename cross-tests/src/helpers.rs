//! The native functions corpus cases and random traces may call, each with the Rust model the
//! reference interpreter runs. Every engine sees the same table.

use trace_ir::Symbols;

extern "C" fn add3(a: i64, b: i64, c: i64) -> i64 {
    a.wrapping_add(b).wrapping_add(c)
}

extern "C" fn fmix(a: i64, b: f64) -> f64 {
    a as f64 * b
}

extern "C" fn fsqr(x: f64) -> f64 {
    x * x
}

/// Six integers and six floats interleaved, so that both ABIs pass some on the stack.
#[allow(clippy::too_many_arguments)]
extern "C" fn sum12(
    i0: i64,
    f0: f64,
    i1: i64,
    f1: f64,
    i2: i64,
    f2: f64,
    i3: i64,
    f3: f64,
    i4: i64,
    f4: f64,
    i5: i64,
    f5: f64,
) -> i64 {
    let ints = i0.wrapping_add(i1).wrapping_add(i2).wrapping_add(i3).wrapping_add(i4).wrapping_add(i5);
    ints.wrapping_add((f0 + f1 + f2 + f3 + f4 + f5) as i64)
}

fn f(bits: u64) -> f64 {
    f64::from_bits(bits)
}

/// `@add3`, `@fmix`, `@fsqr` and `@sum12`, with their models.
pub fn corpus_symbols() -> Symbols {
    let mut s = Symbols::new();
    s.define("add3", add3 as *const () as u64, |a| add3(a[0] as i64, a[1] as i64, a[2] as i64) as u64);
    s.define("fmix", fmix as *const () as u64, |a| fmix(a[0] as i64, f(a[1])).to_bits());
    s.define("fsqr", fsqr as *const () as u64, |a| fsqr(f(a[0])).to_bits());
    s.define("sum12", sum12 as *const () as u64, |a| {
        sum12(
            a[0] as i64,
            f(a[1]),
            a[2] as i64,
            f(a[3]),
            a[4] as i64,
            f(a[5]),
            a[6] as i64,
            f(a[7]),
            a[8] as i64,
            f(a[9]),
            a[10] as i64,
            f(a[11]),
        ) as u64
    });
    s
}
