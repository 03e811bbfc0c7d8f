//! Each pass on IR text in, canonical IR text out. The inputs verify, the outputs verify,
//! and running the reference interpreter would show the same behaviour (the property test
//! checks that on random traces; these pin down what each pass does).

use trace_ir::*;

fn check(pass: fn(&mut Trace), input: &str, expected: &str) {
    let mut t = text::parse(input).unwrap_or_else(|e| panic!("input: {e}"));
    verify::verify(&t).unwrap_or_else(|e| panic!("input does not verify: {e}"));
    let expected_trace = text::parse(expected).unwrap_or_else(|e| panic!("expected: {e}"));
    assert_eq!(text::print(&expected_trace), expected, "the expected text is not canonical");
    pass(&mut t);
    let got = text::print(&t);
    verify::verify(&t).unwrap_or_else(|e| panic!("output does not verify: {e}\n{got}"));
    assert_eq!(got, expected, "\n--- got:\n{got}\n--- expected:\n{expected}");
}

#[test]
fn folds_constants_exactly_and_leaves_undefined_and_nan_results_alone() {
    check(
        opt::fold,
        r"trace consts
%x = input 0 : i64
%b = input 1 : i8
%two = const 2 : i64
%three = const 3 : i64
%big = const 200 : i8
%zero = const 0 : i64
%min = const -128 : i8
%m1 = const -1 : i8
%huge = const 1e300 : f64
%inf = const inf : f64
%ninf = const -inf : f64
%h = const 1.5 : f64
%five = add %two, %three
%wrap = add %big, %big
%div0 = udiv %x, %zero
%ovf = sdiv %min, %m1
%nan = fadd %inf, %ninf
%sum = fadd %h, %h
%conv = fptosi.i8 %huge
%ok = fptosi.i8 %h
%neg = fneg %inf
%lt = icmp.slt %m1, %min
snap0 @resume(1) { 0: %five, 1: %wrap, 2: %div0, 3: %ovf, 4: %nan, 5: %sum, 6: %conv, 7: %ok, 8: %neg, 9: %lt }
exit snap0
",
        r"trace consts
%x = input 0 : i64
%b = input 1 : i8
%two = const 2 : i64
%three = const 3 : i64
%big = const -56 : i8
%zero = const 0 : i64
%min = const -128 : i8
%m1 = const -1 : i8
%huge = const 1e300 : f64
%inf = const inf : f64
%ninf = const -inf : f64
%h = const 1.5 : f64
%five = const 5 : i64
%wrap = const -112 : i8
%sum = const 3.0 : f64
%ok = const 1 : i8
%lt = const 0 : i1
%div0 = udiv %x, %zero
%ovf = sdiv %min, %m1
%nan = fadd %inf, %ninf
%conv = fptosi.i8 %huge
snap0 @resume(1) { 0: %five, 1: %wrap, 2: %div0, 3: %ovf, 4: %nan, 5: %sum, 6: %conv, 7: %ok, 8: %ninf, 9: %lt }
exit snap0
",
    );
}

#[test]
fn applies_integer_identities_but_not_float_ones() {
    check(
        opt::fold,
        r"trace identities
%x = input 0 : i64
%y = input 1 : i8
%f = input 2 : f64
%c = input 3 : i1
%zero = const 0 : i64
%one = const 1 : i64
%ones = const -1 : i64
%eight = const 8 : i8
%fz = const 0.0 : f64
%t = const 1 : i1
%a = add %x, %zero
%b = mul %one, %a
%c0 = mul %x, %zero
%d = and %x, %zero
%e = or %x, %ones
%g = xor %x, %x
%h = sub %b, %b
%s = shl %y, %eight
%n1 = neg %x
%n2 = neg %n1
%k = icmp.sle %x, %x
%sel = select %t, %x, %a
%sel2 = select %c, %y, %y
%z = zext.i64 %y
%tr = trunc.i8 %z
%fa = fadd %f, %fz
%sw = sub %one, %x
snap0 @resume(1) { 0: %a, 1: %b, 2: %c0, 3: %d, 4: %e, 5: %g, 6: %h, 7: %s, 8: %n2, 9: %k, 10: %sel, 11: %sel2, 12: %tr, 13: %fa, 14: %sw }
exit snap0
",
        r"trace identities
%x = input 0 : i64
%y = input 1 : i8
%f = input 2 : f64
%c = input 3 : i1
%zero = const 0 : i64
%one = const 1 : i64
%ones = const -1 : i64
%eight = const 8 : i8
%fz = const 0.0 : f64
%t = const 1 : i1
%n1 = neg %x
%z = zext.i64 %y
%fa = fadd %f, %fz
%sw = sub %one, %x
snap0 @resume(1) { 0: %x, 1: %x, 2: %zero, 3: %zero, 4: %ones, 5: %zero, 6: %zero, 7: %y, 8: %x, 9: %t, 10: %x, 11: %y, 12: %y, 13: %fa, 14: %sw }
exit snap0
",
    );
}

#[test]
fn treats_loop_parameters_as_unknown_and_keeps_overflowing_ovf() {
    check(
        opt::fold,
        r"trace loop_params_are_not_constants
%n = input 0 : i64
%zero = const 0 : i64
%one = const 1 : i64
%max = const 0x7fffffffffffffff : i64
loop (%i = %zero, %k = %zero)
  %c = icmp.slt %i, %n
  snap0 @resume(7) { 0: %k }
  guard %c, snap0
  %k1 = add %k, %zero
  %k2 = mul %k1, %i
  %big = add.ovf %max, %one, snap0
  %fine = add.ovf %one, %one, snap0
  %i1 = add %i, %fine
  jump (%i1, %k2)
",
        r"trace loop_params_are_not_constants
%n = input 0 : i64
%zero = const 0 : i64
%one = const 1 : i64
%max = const 0x7fffffffffffffff : i64
%fine = const 2 : i64
loop (%i = %zero, %k = %zero)
  %c = icmp.slt %i, %n
  snap0 @resume(7) { 0: %k }
  guard %c, snap0
  %k2 = mul %k, %i
  %big = add.ovf %max, %one, snap0
  %i1 = add %i, %fine
  jump (%i1, %k2)
",
    );
}

#[test]
fn merges_pure_ops_and_memory_reads_until_a_write() {
    check(
        opt::cse,
        r"trace pure_and_memory
%p = input 0 : i64
%a = input 1 : i64
%b = input 2 : i64
%f = input 3 : f64
%x1 = add %a, %b
%x2 = add %b, %a
%c1 = icmp.slt %a, %b
%c2 = icmp.sgt %b, %a
%f1 = fadd %f, %f
%f2 = fadd %f, %f
%l1 = load.i64 [%p + 8]
%l2 = load.i64 [%p + 8]
%i1 = load.i64 imm [%p + 16]
%r1 = call.i64 readonly @h(%a)
%u1 = call.i64 pure @g(%a)
store.i64 [%p], %x1
%l3 = load.i64 [%p + 8]
%i2 = load.i64 imm [%p + 16]
%r2 = call.i64 readonly @h(%a)
%u2 = call.i64 pure @g(%a)
%v1 = call.i64 @w(%a)
%v2 = call.i64 @w(%a)
snap0 @resume(1) { 0: %x2, 1: %c2, 2: %f2, 3: %l2, 4: %l3, 5: %i2, 6: %r2, 7: %u2, 8: %v2, 9: %r1, 10: %u1, 11: %i1, 12: %c1, 13: %f1, 14: %v1, 15: %l1 }
exit snap0
",
        r"trace pure_and_memory
%p = input 0 : i64
%a = input 1 : i64
%b = input 2 : i64
%f = input 3 : f64
%x1 = add %a, %b
%c1 = icmp.slt %a, %b
%f1 = fadd %f, %f
%l1 = load.i64 [%p + 8]
%i1 = load.i64 imm [%p + 16]
%r1 = call.i64 readonly @h(%a)
%u1 = call.i64 pure @g(%a)
store.i64 [%p], %x1
%l3 = load.i64 [%p + 8]
%r2 = call.i64 readonly @h(%a)
%v1 = call.i64 @w(%a)
%v2 = call.i64 @w(%a)
snap0 @resume(1) { 0: %x1, 1: %c1, 2: %f1, 3: %l1, 4: %l3, 5: %i1, 6: %r2, 7: %u1, 8: %v2, 9: %r1, 10: %u1, 11: %i1, 12: %c1, 13: %f1, 14: %v1, 15: %l1 }
exit snap0
",
    );
}

#[test]
fn does_not_reuse_a_load_from_before_a_loop_that_writes_memory() {
    check(
        opt::cse,
        r"trace loop_memory_epoch
%p = input 0 : i64
%q = input 1 : i64
%n = input 2 : i64
%zero = const 0 : i64
%one = const 1 : i64
%pre = load.i64 [%p]
%preq = load.i64 [%q]
%inv = add %n, %one
loop (%i = %zero, %s = %zero)
  %c = icmp.slt %i, %n
  snap0 @resume(2) { 0: %s }
  guard %c, snap0
  %again = load.i64 [%p]
  %inv2 = add %n, %one
  %s1 = add %s, %again
  %s2 = add %s1, %inv2
  store.i64 [%p], %s2
  %i1 = add %i, %one
  jump (%i1, %s2)
",
        r"trace loop_memory_epoch
%p = input 0 : i64
%q = input 1 : i64
%n = input 2 : i64
%zero = const 0 : i64
%one = const 1 : i64
%pre = load.i64 [%p]
%preq = load.i64 [%q]
%inv = add %n, %one
loop (%i = %zero, %s = %zero)
  %c = icmp.slt %i, %n
  snap0 @resume(2) { 0: %s }
  guard %c, snap0
  %again = load.i64 [%p]
  %s1 = add %s, %again
  %s2 = add %s1, %inv
  store.i64 [%p], %s2
  %i1 = add %i, %one
  jump (%i1, %s2)
",
    );
}

#[test]
fn removes_unused_values_reads_and_loop_parameters() {
    check(
        opt::dce,
        r"trace dead_code
%p = input 0 : i64
%a = input 1 : i64
%unused_in = input 2 : i64
%one = const 1 : i64
%zero = const 0 : i64
%dead = add %a, %one
%deadl = load.i64 [%p]
%deadc = call.i64 pure @g(%a)
%deadr = call.i64 readonly @h(%a)
%live = call.i64 @w(%a)
%kept = mul %a, %a
store.i64 [%p], %kept
loop (%i = %zero, %junk = %a, %acc = %zero)
  %c = icmp.slt %i, %a
  snap0 @resume(3) { 0: %acc }
  guard %c, snap0
  %junk1 = add %junk, %one
  %acc1 = add %acc, %i
  %i1 = add %i, %one
  jump (%i1, %junk1, %acc1)
",
        r"trace dead_code
%p = input 0 : i64
%a = input 1 : i64
%one = const 1 : i64
%zero = const 0 : i64
%live = call.i64 @w(%a)
%kept = mul %a, %a
store.i64 [%p], %kept
loop (%i = %zero, %acc = %zero)
  %c = icmp.slt %i, %a
  snap0 @resume(3) { 0: %acc }
  guard %c, snap0
  %acc1 = add %acc, %i
  %i1 = add %i, %one
  jump (%i1, %acc1)
",
    );
}

#[test]
fn removes_guards_on_known_facts_and_constant_true_conditions() {
    check(
        opt::guards,
        r"trace redundant_guards
%a = input 0 : i64
%b = input 1 : i64
%c = input 2 : i1
%t = const 1 : i1
%f = const 0 : i1
%eq = icmp.eq %a, %b
snap0 @resume(1) { 0: %a }
guard.not %eq, snap0
%ne = icmp.ne %b, %a
snap1 @resume(2) { 0: %b }
guard %ne, snap1
guard %c, snap0
guard %c, snap1
guard %t, snap1
guard.not %c, snap1
guard %f, snap0
%lt = icmp.slt %a, %b
guard %lt, snap0
%ge = icmp.sge %a, %b
guard.not %ge, snap1
snap2 @resume(3) { 0: %a, 1: %b }
exit snap2
",
        r"trace redundant_guards
%a = input 0 : i64
%b = input 1 : i64
%c = input 2 : i1
%t = const 1 : i1
%f = const 0 : i1
%eq = icmp.eq %a, %b
snap0 @resume(1) { 0: %a }
guard.not %eq, snap0
%ne = icmp.ne %b, %a
guard %c, snap0
snap1 @resume(2) { 0: %b }
guard.not %c, snap1
guard %f, snap0
%lt = icmp.slt %a, %b
guard %lt, snap0
%ge = icmp.sge %a, %b
snap2 @resume(3) { 0: %a, 1: %b }
exit snap2
",
    );
}

#[test]
fn forwards_stores_to_loads_with_simple_alias_rules() {
    check(
        opt::forward,
        r"trace forwarding
%p = input 0 : i64
%q = input 1 : i64
%v = input 2 : i64
%w = input 3 : i32
%f = input 4 : f64
store.i64 [%p + 8], %v
store.i32 [%p + 16], %w
%l1 = load.i64 [%p + 8]
%l2 = load.i32 [%p + 16]
store.i64 [%p], %v
%l3 = load.i64 [%p + 8]
store.i32 [%p + 12], %w
%l4 = load.i64 [%p + 8]
%l5 = load.i32 [%p + 16]
%l6 = load.i32 [%p + 8]
%i1 = load.f64 imm [%q]
store.f64 [%q], %f
%l7 = load.f64 [%q]
%i2 = load.f64 imm [%q]
store.i64 [%q + 8], %v
%l8 = load.i32 [%p + 16]
%l9 = load.f64 [%q]
%m1 = load.i64 [%q + 24]
%m2 = load.i64 [%q + 24]
call.void @w(%v)
%m3 = load.i64 [%q + 24]
snap0 @resume(1) { 0: %l1, 1: %l2, 2: %l3, 3: %l4, 4: %l5, 5: %l6, 6: %i1, 7: %l7, 8: %i2, 9: %l8, 10: %l9, 11: %m1, 12: %m2, 13: %m3 }
exit snap0
",
        r"trace forwarding
%p = input 0 : i64
%q = input 1 : i64
%v = input 2 : i64
%w = input 3 : i32
%f = input 4 : f64
store.i64 [%p + 8], %v
store.i32 [%p + 16], %w
store.i64 [%p], %v
store.i32 [%p + 12], %w
%l4 = load.i64 [%p + 8]
%l6 = load.i32 [%p + 8]
%i1 = load.f64 imm [%q]
store.f64 [%q], %f
store.i64 [%q + 8], %v
%l8 = load.i32 [%p + 16]
%m1 = load.i64 [%q + 24]
call.void @w(%v)
%m3 = load.i64 [%q + 24]
snap0 @resume(1) { 0: %v, 1: %w, 2: %v, 3: %l4, 4: %w, 5: %l6, 6: %i1, 7: %f, 8: %i1, 9: %l8, 10: %f, 11: %m1, 12: %m1, 13: %m3 }
exit snap0
",
    );
}

#[test]
fn a_store_kills_exactly_the_facts_it_overlaps_even_at_extreme_displacements() {
    check(
        opt::forward,
        r"trace overlap
%p = input 0 : i64
%v = input 1 : i64
%b = input 2 : i8
%lo = load.i64 [%p - 2147483648]
%hi = load.i64 [%p + 2147483647]
%a = load.i64 [%p + 8]
%c = load.i64 [%p + 16]
%d = load.i8 [%p + 7]
store.i8 [%p + 15], %b
%lo2 = load.i64 [%p - 2147483648]
%hi2 = load.i64 [%p + 2147483647]
%a2 = load.i64 [%p + 8]
%c2 = load.i64 [%p + 16]
%d2 = load.i8 [%p + 7]
%e = load.i8 [%p + 15]
store.i64 [%p + 2147483640], %v
%hi3 = load.i64 [%p + 2147483647]
%lo3 = load.i64 [%p - 2147483648]
store.i8 [%p - 2147483641], %b
%lo4 = load.i64 [%p - 2147483648]
snap0 @resume(1) { 0: %lo2, 1: %hi2, 2: %a2, 3: %c2, 4: %d2, 5: %e, 6: %hi3, 7: %lo3, 8: %lo4 }
exit snap0
",
        r"trace overlap
%p = input 0 : i64
%v = input 1 : i64
%b = input 2 : i8
%lo = load.i64 [%p - 2147483648]
%hi = load.i64 [%p + 2147483647]
%a = load.i64 [%p + 8]
%c = load.i64 [%p + 16]
%d = load.i8 [%p + 7]
store.i8 [%p + 15], %b
%a2 = load.i64 [%p + 8]
store.i64 [%p + 2147483640], %v
%hi3 = load.i64 [%p + 2147483647]
store.i8 [%p - 2147483641], %b
%lo4 = load.i64 [%p - 2147483648]
snap0 @resume(1) { 0: %lo, 1: %hi, 2: %a2, 3: %c, 4: %d, 5: %b, 6: %hi3, 7: %lo, 8: %lo4 }
exit snap0
",
    );
}

#[test]
fn forgets_facts_from_before_a_loop_that_stores() {
    check(
        opt::forward,
        r"trace loop_facts
%p = input 0 : i64
%q = input 1 : i64
%n = input 2 : i64
%zero = const 0 : i64
%one = const 1 : i64
store.i64 [%p], %n
%x = load.i64 [%q]
loop (%i = %zero, %s = %zero)
  %c = icmp.slt %i, %n
  snap0 @resume(2) { 0: %s }
  guard %c, snap0
  %a = load.i64 [%p]
  %b = load.i64 [%q]
  %s1 = add %s, %a
  %s2 = add %s1, %b
  store.i64 [%p + 8], %s2
  %d = load.i64 [%p + 8]
  %i1 = add %i, %d
  jump (%i1, %s2)
",
        r"trace loop_facts
%p = input 0 : i64
%q = input 1 : i64
%n = input 2 : i64
%zero = const 0 : i64
%one = const 1 : i64
store.i64 [%p], %n
%x = load.i64 [%q]
loop (%i = %zero, %s = %zero)
  %c = icmp.slt %i, %n
  snap0 @resume(2) { 0: %s }
  guard %c, snap0
  %a = load.i64 [%p]
  %b = load.i64 [%q]
  %s1 = add %s, %a
  %s2 = add %s1, %b
  store.i64 [%p + 8], %s2
  %i1 = add %i, %s2
  jump (%i1, %s2)
",
    );
}

#[test]
fn keeps_facts_into_a_loop_that_writes_nothing() {
    check(
        opt::forward,
        r"trace loop_without_stores
%p = input 0 : i64
%n = input 1 : i64
%zero = const 0 : i64
%one = const 1 : i64
store.i64 [%p], %n
loop (%i = %zero)
  %a = load.i64 [%p]
  %c = icmp.slt %i, %a
  snap0 @resume(2) { 0: %i }
  guard %c, snap0
  %i1 = add %i, %one
  jump (%i1)
",
        r"trace loop_without_stores
%p = input 0 : i64
%n = input 1 : i64
%zero = const 0 : i64
%one = const 1 : i64
store.i64 [%p], %n
loop (%i = %zero)
  %c = icmp.slt %i, %n
  snap0 @resume(2) { 0: %i }
  guard %c, snap0
  %i1 = add %i, %one
  jump (%i1)
",
    );
}

#[test]
fn optimize_runs_the_passes_together() {
    check(
        opt::optimize,
        r"trace whole_pipeline
%p = input 0 : i64
%n = input 1 : i64
%zero = const 0 : i64
%one = const 1 : i64
%k = const 4 : i64
%base = load.i64 imm [%p]
loop (%i = %zero, %acc = %zero, %dead = %zero)
  %c = icmp.slt %i, %n
  snap0 @resume(10) { 0: %acc }
  guard %c, snap0
  %c2 = icmp.sge %i, %n
  snap1 @resume(11) { 0: %acc, 1: %i }
  guard.not %c2, snap1
  %b2 = load.i64 imm [%p]
  %four = add %one, %one
  %four2 = add %four, %four
  %x = mul %i, %four2
  %y = add %x, %zero
  %acc1 = add %acc, %y
  %acc2 = add %acc1, %b2
  %dead1 = add %dead, %k
  %i1 = add %i, %one
  jump (%i1, %acc2, %dead1)
",
        r"trace whole_pipeline
%p = input 0 : i64
%n = input 1 : i64
%zero = const 0 : i64
%one = const 1 : i64
%k = const 4 : i64
%base = load.i64 imm [%p]
loop (%i = %zero, %acc = %zero)
  %c = icmp.slt %i, %n
  snap0 @resume(10) { 0: %acc }
  guard %c, snap0
  %x = mul %i, %k
  %acc1 = add %acc, %x
  %acc2 = add %acc1, %base
  %i1 = add %i, %one
  snap1 @resume(11) {}
  jump (%i1, %acc2)
",
    );
}

#[test]
fn peel_hoists_invariant_arithmetic_loads_and_guards_out_of_the_loop() {
    check(
        opt::peel,
        "trace t
%p = input 0 : i64
%n = input 1 : i64
%k = input 2 : i64
%zero = const 0 : i64
%one = const 1 : i64
loop (%i = %zero, %acc = %zero)
  %kk = mul %k, %k
  %base = load.i64 [%p]
  %pos = icmp.sgt %k, %zero
  snap0 @resume(1) { 0: %acc }
  guard %pos, snap0
  %more = icmp.slt %i, %n
  snap1 @resume(2) { 0: %acc }
  guard %more, snap1
  %t = add %acc, %kk
  %acc1 = add %t, %base
  %i1 = add %i, %one
  jump (%i1, %acc1)
",
        "trace t
%p = input 0 : i64
%n = input 1 : i64
%k = input 2 : i64
%zero = const 0 : i64
%one = const 1 : i64
%kk = mul %k, %k
%base = load.i64 [%p]
%pos = icmp.sgt %k, %zero
snap0 @resume(1) { 0: %zero }
guard %pos, snap0
%more = icmp.slt %zero, %n
snap1 @resume(2) { 0: %zero }
guard %more, snap1
%t = add %zero, %kk
%acc1 = add %t, %base
%i1 = add %zero, %one
loop (%i = %i1, %acc = %acc1)
  %more.1 = icmp.slt %i, %n
  snap2 @resume(2) { 0: %acc }
  guard %more.1, snap2
  %t.1 = add %acc, %kk
  %acc1.1 = add %t.1, %base
  %i1.1 = add %i, %one
  jump (%i1.1, %acc1.1)
",
    );
    // A loop that loads a cell it stores carries it (`carry`): the one load left is the
    // first iteration's; a trace without a loop is unchanged.
    let src = "trace t
%p = input 0 : i64
%zero = const 0 : i64
loop (%i = %zero)
  %x = load.i64 [%p]
  store.i64 [%p], %i
  %c = icmp.eq %x, %zero
  snap0 @resume(1) {}
  guard %c, snap0
  jump (%x)
";
    let mut t = text::parse(src).unwrap();
    opt::peel(&mut t);
    let out = text::print(&t);
    assert_eq!(out.matches("load.i64").count(), 1, "{out}");
    let straight = "trace s\n%a = input 0 : i64\nsnap0 @resume(1) { 1: %a }\nexit snap0\n";
    check(opt::peel, straight, straight);
}

#[test]
fn forwarding_sees_through_constant_offsets_added_to_a_base() {
    check(
        opt::forward,
        "trace t
%p = input 0 : i64
%x = input 1 : i64
%y = input 2 : i64
%eight = const 8 : i64
%sixteen = const 16 : i64
%q = add %p, %sixteen
%r = add %p, %eight
store.i64 [%q], %x
store.i64 [%r], %y
%a = load.i64 [%p + 16]
%s = sub %q, %eight
%b = load.i64 [%s]
snap0 @resume(1) { 0: %a, 1: %b }
exit snap0
",
        "trace t
%p = input 0 : i64
%x = input 1 : i64
%y = input 2 : i64
%eight = const 8 : i64
%sixteen = const 16 : i64
%q = add %p, %sixteen
%r = add %p, %eight
store.i64 [%q], %x
store.i64 [%r], %y
%s = sub %q, %eight
snap0 @resume(1) { 0: %x, 1: %y }
exit snap0
",
    );
    // A store through another base may alias: the fact is gone.
    let src = "trace t
%p = input 0 : i64
%o = input 1 : i64
%x = input 2 : i64
%sixteen = const 16 : i64
%q = add %p, %sixteen
store.i64 [%q], %x
store.i64 [%o], %x
%a = load.i64 [%p + 16]
snap0 @resume(1) { 0: %a }
exit snap0
";
    let mut t = text::parse(src).unwrap();
    opt::forward(&mut t);
    assert!(text::print(&t).contains("%a = load.i64 [%p + 16]"));
}

/// `src` peeled (and optimized after, with `optimize`) and verified: the trace, its text, and
/// the text from the `loop (` line on.
fn peeled(src: &str, optimize: bool) -> (Trace, String, String) {
    let mut t = text::parse(src).unwrap();
    opt::peel(&mut t);
    if optimize {
        opt::optimize(&mut t);
    }
    verify::verify(&t).unwrap();
    let out = text::print(&t);
    let body = out[out.find("loop (").unwrap()..].to_string();
    (t, out, body)
}

/// `carry` (the last step of `peel`): a cell the loop loads and stores through its one store
/// root becomes a loop parameter; a tag stored as the same constant every time becomes that
/// constant, so the guard on it folds; with stores through two roots nothing is carried.
#[test]
fn carry_keeps_loaded_and_stored_cells_in_loop_parameters() {
    let src = "trace t
%p = input 0 : i64
%one = const 1 : i64
%three = const 3 : i64
%zero = const 0 : i64
loop (%n = %zero)
  %tag = load.i64 [%p]
  %ok = icmp.eq %tag, %three
  snap0 @resume(1) {}
  guard %ok, snap0
  %v = load.i64 [%p + 8]
  %v1 = add %v, %one
  store.i64 [%p], %three
  store.i64 [%p + 8], %v1
  %n1 = add %n, %one
  %five = const 5 : i64
  %more = icmp.slt %n1, %five
  snap1 @resume(2) {}
  guard %more, snap1
  jump (%n1)
";
    let (t, out, body) = peeled(src, true);
    assert!(!body.contains("load"), "the loop loads nothing:\n{out}");
    assert_eq!(body.matches("guard").count(), 1, "the tag is known to be 3 in the loop:\n{out}");
    assert_eq!(body.lines().next().unwrap().matches('=').count(), 2, "n and the value are carried:\n{out}");
    // The same loop on the reference interpreter, before and after: the same exit and memory.
    for (tag, v) in [(3u64, 5u64), (4, 5)] {
        let run = |t: &Trace| {
            let mut mem = [0u8; 24];
            mem[..8].copy_from_slice(&tag.to_le_bytes());
            mem[8..16].copy_from_slice(&v.to_le_bytes());
            let mut slots = vec![mem.as_ptr() as u64];
            let syms = trace_ir::Symbols::new();
            let region = [trace_ir::interp::MemRegion::of(&mut mem)];
            let env = trace_ir::interp::Env::new(&syms).with_memory(&region);
            let r = trace_ir::interp::run(t, &mut slots, &env).map(|e| e.resume).map_err(|e| e.to_string());
            (r, mem)
        };
        let before = run(&text::parse(src).unwrap());
        let after = run(&t);
        assert_eq!(before, after, "tag {tag}\n{out}");
        // Tag 3 runs five iterations (v + 5); another leaves at once.
        let (want_resume, want_v) = if tag == 3 { (2, v + 5) } else { (1, v) };
        assert_eq!(
            (before.0, u64::from_le_bytes(before.1[8..16].try_into().unwrap())),
            (Ok(want_resume), want_v)
        );
    }
    // A store through another root may write the cell: nothing is carried.
    let two = src
        .replace("  store.i64 [%p], %three\n", "  %q = load.i64 imm [%p + 16]\n  store.i64 [%q], %three\n");
    let (_, out2, body2) = peeled(&two, false);
    assert_eq!(body2.matches("load.i64 [").count(), 2, "{out2}");
}

/// Memory classes: a `frame` store leaves what is known of `heap` memory (and the other way
/// round), so the second loads of each forward; an `any` store forgets both. The classes
/// print and parse back.
#[test]
fn forwarding_keeps_facts_of_a_class_a_store_cannot_alias() {
    check(
        opt::forward,
        "trace t
%f = input 0 : i64
%h = input 1 : i64
%one = const 1 : i64
%a = load.i64 frame [%f + 8]
%b = load.i64 heap [%h + 8]
store.i64 heap [%h + 16], %one
%a2 = load.i64 frame [%f + 8]
store.i64 frame [%f + 16], %one
%b2 = load.i64 heap [%h + 8]
store.i64 [%h], %one
%a3 = load.i64 frame [%f + 8]
%s = add %a2, %b2
%s2 = add %s, %a3
snap0 @resume(1) { 0: %s2 }
exit snap0
",
        "trace t
%f = input 0 : i64
%h = input 1 : i64
%one = const 1 : i64
%a = load.i64 frame [%f + 8]
%b = load.i64 heap [%h + 8]
store.i64 heap [%h + 16], %one
store.i64 frame [%f + 16], %one
store.i64 [%h], %one
%a3 = load.i64 frame [%f + 8]
%s = add %a, %b
%s2 = add %s, %a3
snap0 @resume(1) { 0: %s2 }
exit snap0
",
    );
}

/// `carry` with classes: frame cells are carried across heap stores through other roots;
/// an `any` store in the loop stops it.
#[test]
fn carry_keeps_frame_cells_across_heap_stores() {
    let src = "trace t
%f = input 0 : i64
%h = input 1 : i64
%one = const 1 : i64
%five = const 5 : i64
%zero = const 0 : i64
loop (%n = %zero)
  %v = load.i64 frame [%f + 8]
  %v1 = add %v, %one
  store.i64 frame [%f + 8], %v1
  %q = load.i64 heap [%h + 8]
  store.i64 heap [%q], %v1
  %n1 = add %n, %one
  %more = icmp.slt %n1, %five
  snap0 @resume(2) {}
  guard %more, snap0
  jump (%n1)
";
    let (_, out, body) = peeled(src, true);
    assert!(!body.contains("load.i64 frame"), "the frame cell is carried:\n{out}");
    assert!(body.contains("load.i64 heap"), "the heap pointer is still loaded:\n{out}");
    let any = src.replace("store.i64 heap [%q]", "store.i64 [%q]");
    let (_, out2, body2) = peeled(&any, false);
    assert!(body2.contains("load.i64 frame"), "an any store may alias the cell:\n{out2}");
}

#[test]
fn memory_classes_print_and_parse_back() {
    let src = "trace t
%p = input 0 : i64
%a = load.i64 imm frame [%p + 8]
%b = load.i64 heap [%p]
store.i64 frame [%p + 16], %a
store.i64 heap [%p + 24], %b
store.i64 [%p + 32], %b
snap0 @resume(1) {}
exit snap0
";
    let t = text::parse(src).unwrap();
    verify::verify(&t).unwrap();
    assert_eq!(text::print(&t), src);
    assert!(matches!(t.insts[1].op, Op::Load { imm: true, mem: MemClass::Frame, .. }));
    assert!(matches!(t.insts[5].op, Op::Store { mem: MemClass::Any, .. }));
}
