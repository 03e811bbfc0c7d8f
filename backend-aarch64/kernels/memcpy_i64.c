/* memcpy_i64: the C twin of examples/kernels/memcpy_i64.tir (built with
 * -fno-tree-loop-distribute-patterns so gcc keeps the loop instead of calling memcpy). */
#include <stdint.h>

int64_t memcpy_i64(int64_t *dst, const int64_t *src, int64_t n) {
    int64_t i = 0;
    for (; i < n; i++)
        dst[i] = src[i];
    return i;
}
