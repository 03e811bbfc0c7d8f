//! placeholder
pub fn float_to_int_exact(f: f64) -> Option<i64> {
    if f.floor() == f && (-9.223372036854775808e18..9.223372036854775808e18).contains(&f) {
        Some(f as i64)
    } else {
        None
    }
}
pub fn eq_int_float(i: i64, f: f64) -> bool {
    float_to_int_exact(f) == Some(i)
}
