/* mix_guards: the C twin of examples/kernels/mix_guards.tir. Returns 1 when all n values
 * were walked, 2 at the first negative value or when the sum overflows. */
#include <stdint.h>

int mix_guards(const int64_t *p, int64_t n, int64_t *acc_out, int64_t *odd_out, int64_t *i_out) {
    int64_t acc = 0, odd = 0, i = 0;
    int exit = 1;
    for (; i < n; i++) {
        int64_t x = p[i];
        int64_t next;
        if (x < 0 || __builtin_add_overflow(acc, x >> 1, &next)) {
            exit = 2;
            break;
        }
        acc = next;
        odd = (x & 1) ? odd + 1 : odd;
    }
    *acc_out = acc;
    *odd_out = odd;
    *i_out = i;
    return exit;
}
