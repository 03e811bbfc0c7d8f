/* bench/lua/matrix_mul.lua's inner loop: s += a[i][k] * b[k][j] over rows held by
   pointer (Lua's nested tables: a row of b is looked up each iteration). */
double dot(const double *ai, const double *const *b, long j, long n) {
  double s = 0.0;
  for (long k = 0; k < n; k++) s = s + ai[k] * b[k][j];
  return s;
}
