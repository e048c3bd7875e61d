// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for kmod/insn.c (make fuzz). The first input byte
 * picks the code size (16/32/64-bit), the rest is the instruction. Every
 * prefix of the input is decoded; what decodes must be self-consistent
 * and stable, and insn_alu() may touch only the status flags.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "insn.h"

#define CHECK(c) do { if (!(c)) __builtin_trap(); } while (0)

static void invariants(const struct insn *in, const u8 *buf, unsigned int avail)
{
	CHECK(in->len >= 1 && in->len <= avail && in->len <= INSN_MAX_LEN);
	CHECK(!memcmp(in->bytes, buf, in->len));
	CHECK(in->size == 1 || in->size == 2 || in->size == 4 || in->size == 8 ||
	      (in->size == 16 && in->op == INSN_SSE));
	CHECK(in->reg_size == 1 || in->reg_size == 2 || in->reg_size == 4 || in->reg_size == 8 ||
	      (in->reg_size == 16 && in->op == INSN_SSE));
	CHECK(in->op != INSN_SSE || (in->size == 16 && in->reg >= 0 && in->reg < 16));
	CHECK(in->addr_size == 2 || in->addr_size == 4 || in->addr_size == 8);
	CHECK(in->op <= INSN_CLTS && in->alu <= ALU_IMUL);
	CHECK(in->reg == INSN_NONE || (in->reg >= 0 && in->reg < INSN_REG_AH + 4));
	CHECK(in->base == INSN_NONE || in->base == INSN_RIP || (in->base >= 0 && in->base < 16));
	CHECK(in->index == INSN_NONE || (in->index >= 0 && in->index < 16));
	CHECK(in->scale == 1 || in->scale == 2 || in->scale == 4 || in->scale == 8);
	CHECK(in->seg <= 5);
	/* The control-register forms may have no memory operand (LMSW: or no register). */
	CHECK(in->mem_read || in->mem_write || in->op >= INSN_MOV_CR || in->op == INSN_CLFLUSH ||
	      in->op == INSN_SMSW);
	CHECK(in->has_imm || in->reg != INSN_NONE || in->op == INSN_CLTS || in->op == INSN_LMSW ||
	      in->op == INSN_SETCC || in->op == INSN_MULDIV || in->op == INSN_SMSW ||
	      in->op == INSN_CLFLUSH || in->op == INSN_PUSH || in->op == INSN_POP ||
	      (in->op == INSN_ALU && in->alu >= ALU_INC && in->alu <= ALU_NEG));
	CHECK(in->cr <= 15);
	/* REP only on string forms; REPNE only on the compares, and with REP. */
	CHECK(!in->rep || (in->op >= INSN_MOVS && in->op <= INSN_OUTS));
	CHECK(!in->repne || (in->rep && (in->op == INSN_CMPS || in->op == INSN_SCAS)));
	/* The compares only read; LODS only writes its register. */
	CHECK(!(in->op == INSN_CMPS || in->op == INSN_SCAS || in->op == INSN_LODS) ||
	      (in->mem_read && !in->mem_write));
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	static const unsigned int modes[] = { 2, 4, 8, 8 };
	struct insn a, b;
	unsigned int mode, n, len = 0;
	int r, first_ok = -1;

	if (size < 1)
		return 0;
	mode = modes[data[0] & 3];
	data++;
	size--;
	for (n = 0; n <= size && n <= INSN_MAX_LEN + 1; n++) {
		r = insn_decode(&a, data, n, mode);
		CHECK(r == 0 || r == -EINVAL || r == -EFAULT);
		if (r == -EFAULT)
			CHECK(n < INSN_MAX_LEN);
		if (r)
			continue;
		invariants(&a, data, n);
		/* More bytes after a complete instruction change nothing. */
		if (first_ok < 0) {
			first_ok = n;
			len = a.len;
			CHECK(len == n);
		}
		CHECK(!insn_decode(&b, data, n, mode) && !memcmp(&a, &b, sizeof(a)));
		CHECK(a.len == len);
		if (a.op == INSN_ALU || a.op == INSN_BT) {
			u64 f = ~0x8d5ULL & ~0x300ULL, d = 0, s = 0;

			memcpy(&d, data, n < 8 ? n : 8);
			memcpy(&s, data + (n > 8 ? n - 8 : 0), n < 8 ? n : 8);
			insn_alu(a.alu, a.size, d, s, &f);
			CHECK((f & ~0x8d5ULL) == (~0x8d5ULL & ~0x300ULL));
		}
		if (a.op == INSN_SHXD) {
			u64 f = ~0x8d5ULL & ~0x300ULL, d = 0;

			memcpy(&d, data, n < 8 ? n : 8);
			insn_shxd(a.alu, a.size, d, ~d, data[n - 1], &f);
			CHECK((f & ~0x8d5ULL) == (~0x8d5ULL & ~0x300ULL));
		}
		if (a.op == INSN_MULDIV) {	/* #DE is ruled out before the CPU runs it */
			u64 f = ~0x8d5ULL & ~0x300ULL, ax = 0, dx = 0, s = 0;

			memcpy(&ax, data, n < 8 ? n : 8);
			memcpy(&dx, data + n / 2, n - n / 2 < 8 ? n - n / 2 : 8);
			memcpy(&s, data + (n > 8 ? n - 8 : 0), n < 8 ? n : 8);
			insn_muldiv(a.alu, a.size, s, &ax, &dx, &f);
			CHECK((f & ~0x8d5ULL) == (~0x8d5ULL & ~0x300ULL));
		}
	}
	return 0;
}
