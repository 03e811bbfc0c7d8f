/* dot_f64: the C twin of examples/kernels/dot_f64.tir (built with -ffp-contract=off so the
 * multiply and add round separately, as in the trace). */
#include <stdint.h>

double dot_f64(const double *a, const double *b, int64_t n, int64_t *index_out) {
    double acc = 0.0;
    int64_t i = 0;
    for (; i < n; i++)
        acc += a[i] * b[i];
    *index_out = i;
    return acc;
}
