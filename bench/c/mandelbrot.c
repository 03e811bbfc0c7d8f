/* bench/lua/mandelbrot.lua's inner loop: one point's iterations with the early exit. */
int mandel_point(double cr, double ci, int iter) {
  double zr = 0.0, zi = 0.0, zrq = 0.0, ziq = 0.0;
  for (int i = 1; i <= iter; i++) {
    zi = 2 * zr * zi + ci;
    zr = zrq - ziq + cr;
    zrq = zr * zr;
    ziq = zi * zi;
    if (zrq + ziq > 4.0) return 1;
  }
  return 0;
}
