/* sum_i64: the C twin of examples/kernels/sum_i64.tir (wrapping sum of n i64s). */
#include <stdint.h>

int64_t sum_i64(const int64_t *p, int64_t n, int64_t *index_out) {
    uint64_t acc = 0;
    int64_t i = 0;
    for (; i < n; i++)
        acc += (uint64_t)p[i];
    *index_out = i;
    return (int64_t)acc;
}
