/* bench/lua/loop_sum.lua's loop: an integer accumulator of i % 8 (Lua's floored modulo)
   and a float accumulator, with the loop counter. */
long s_out;
double f_out;
void loop_sum(long n) {
  long s = 0;
  double f = 0.0;
  for (long i = 1; i <= n; i++) {
    long m = i % 8;
    if (m != 0 && (m ^ 8) < 0) m += 8;
    s += m;
    f += 0.5;
  }
  s_out = s;
  f_out = f;
}
