/* The toy VM (examples/toyvm) as a C switch-case interpreter, for qemu/handler-count.sh:
 * the same instruction encoding (a 64-bit word: opcode byte, then register bytes a, b, c,
 * then a signed 32-bit immediate in the high half), the same register file (64-bit slots
 * from `base`), the same overflow and bounds checks, and the same opcode numbers (the order
 * of toyvm.tir's dispatch table). Calls, returns and the native hash call (frames on the VM
 * stack, a helper) are left out: they leave, as a bad opcode does; every other handler is
 * written out so that gcc sees a full switch (a jump table) as the fragments' dispatch is. A failed check returns its own code, like the
 * fragments' exits to the host. The checks are marked unlikely, as the fragments' guards
 * are (they leave the straight line). */
#include <stdint.h>

enum { OP_ADD, OP_ADDI, OP_JLT, OP_MOV, OP_MOVI, OP_SUB, OP_MUL, OP_JEQ, OP_JNE, OP_JMP,
       OP_LOAD, OP_STORE, OP_CALL, OP_RET, OP_HASH };

enum { EXIT_OVERFLOW = 1, EXIT_BOUNDS = 2, EXIT_OTHER = 3 };

#define unlikely(x) __builtin_expect(!!(x), 0)

int toyvm_run(const uint64_t *code, int64_t *base, int64_t *arr, uint64_t alen, uint64_t *pcp)
{
    uint64_t pc = *pcp;
    for (;;) {
        uint64_t ins = code[pc];
        unsigned a = (ins >> 8) & 255, b = (ins >> 16) & 255, c = (ins >> 24) & 255;
        int64_t imm = (int64_t)ins >> 32;
        switch (ins & 255) {
        case OP_ADD: {
            int64_t r;
            if (unlikely(__builtin_add_overflow(base[b], base[c], &r))) {
                *pcp = pc;
                return EXIT_OVERFLOW;
            }
            base[a] = r;
            pc += 1;
            break;
        }
        case OP_ADDI: {
            int64_t r;
            if (unlikely(__builtin_add_overflow(base[b], imm, &r))) {
                *pcp = pc;
                return EXIT_OVERFLOW;
            }
            base[a] = r;
            pc += 1;
            break;
        }
        case OP_JLT:
            pc = base[a] < base[b] ? pc + 1 + (uint64_t)imm : pc + 1;
            break;
        case OP_JEQ:
            pc = base[a] == base[b] ? pc + 1 + (uint64_t)imm : pc + 1;
            break;
        case OP_JNE:
            pc = base[a] != base[b] ? pc + 1 + (uint64_t)imm : pc + 1;
            break;
        case OP_JMP:
            pc = pc + 1 + (uint64_t)imm;
            break;
        case OP_SUB: {
            int64_t r;
            if (unlikely(__builtin_sub_overflow(base[b], base[c], &r))) {
                *pcp = pc;
                return EXIT_OVERFLOW;
            }
            base[a] = r;
            pc += 1;
            break;
        }
        case OP_MUL: {
            int64_t r;
            if (unlikely(__builtin_mul_overflow(base[b], base[c], &r))) {
                *pcp = pc;
                return EXIT_OVERFLOW;
            }
            base[a] = r;
            pc += 1;
            break;
        }
        case OP_MOVI:
            base[a] = imm;
            pc += 1;
            break;
        case OP_STORE: {
            uint64_t i = (uint64_t)base[a];
            if (unlikely(i >= alen)) {
                *pcp = pc;
                return EXIT_BOUNDS;
            }
            arr[i] = base[b];
            pc += 1;
            break;
        }
        case OP_MOV:
            base[a] = base[b];
            pc += 1;
            break;
        case OP_LOAD: {
            uint64_t i = (uint64_t)base[b];
            if (unlikely(i >= alen)) {
                *pcp = pc;
                return EXIT_BOUNDS;
            }
            base[a] = arr[i];
            pc += 1;
            break;
        }
        default:
            *pcp = pc;
            return EXIT_OTHER;
        }
    }
}
