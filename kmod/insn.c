// SPDX-License-Identifier: GPL-2.0
/*
 * x86 decoder and ALU for the instructions kvmini emulates (see insn.h
 * for the supported set). One table per opcode map says what each opcode
 * is; the code around it reads prefixes, ModRM/SIB/displacement and the
 * immediate.
 */
#ifdef __KERNEL__
#include <linux/errno.h>
#include <linux/string.h>
#else
#include <errno.h>
#include <string.h>
#endif

#include "insn.h"

/* Operand forms. */
enum {
	F_NONE,		/* not supported */
	F_RM_REG,	/* r/m <- op reg:  00 08 ... 88 89, XCHG, BT reg */
	F_REG_RM,	/* reg <- op r/m:  02 0A ... 8A 8B, MOVZX/MOVSX */
	F_RM_IMM,	/* r/m <- op imm:  80 81 83 C6 C7 F6 F7, 0F BA */
	F_RM,		/* r/m <- op r/m:  FE FF /0 /1 INC DEC (F6 F7 /2 /3: F_RM_IMM) */
	F_MOFFS_LOAD,	/* A0 A1 */
	F_MOFFS_STORE,	/* A2 A3 */
	F_STRING,	/* A4-A7 AA-AF, 6C-6F */
	F_CR,		/* 0F 06 CLTS, 0F 20/22 MOV from/to CR, 0F 01 /6 LMSW */
	F_STACK,	/* PUSH/POP reg (50-5F), PUSH imm (68 6A): no ModRM */
};

/* Flags of a table entry. */
#define B	0x01	/* byte operands */
#define GRP	0x02	/* ModRM reg field selects the ALU op (80-83) */
#define I8	0x04	/* imm8 (sign-extended) whatever the operand size */
#define W_ONLY	0x08	/* the memory operand is only written (MOV stores) */
#define R_ONLY	0x10	/* only read (CMP/TEST/BT, loads) */
#define LOCKOK	0x20	/* LOCK allowed when memory is the destination */
#define SRC1	0x40	/* MOVZX/MOVSX: 8-bit source */
#define SRC2	0x80	/* 16-bit source */
#define IO	0x100	/* INS/OUTS: at most 32-bit operands */
#define REPNE	0x200	/* string: F2 is REPNE (CMPS, SCAS) */
#define REPF2	0x400	/* string: F2 repeats as F3 does (the others, as the CPU and KVM) */
#define ES_ONLY	0x800	/* string: no rSI, only ES:[rDI] (INS, STOS, SCAS) */
#define SHIFT	0x1000	/* C0 C1 D0-D3: ModRM reg field selects the shift */
#define BYCL	0x2000	/* shift count in CL (D2 D3; D0 D1 shift by 1) */
#define IMM	0x4000	/* F_REG_RM with an immediate too (IMUL 69 6B) */
#define XMM	0x8000	/* SSE move: 16 bytes, an XMM register; F3 or 66 for 6F/7F */

struct form {
	u8 form, op, alu;
	u16 flags;
};

/* Opcodes in a row with the same form: a register in bits 2:0, a condition in 3:0. */
#define ROW8(base, f) \
	[base + 0] = f, [base + 1] = f, [base + 2] = f, [base + 3] = f, \
	[base + 4] = f, [base + 5] = f, [base + 6] = f, [base + 7] = f
#define CC16(base, f)	ROW8(base, f), ROW8(base + 8, f)

#define ALU_ROW(base, a)						\
	[base + 0] = { F_RM_REG, INSN_ALU, a, B | LOCKOK },		\
	[base + 1] = { F_RM_REG, INSN_ALU, a, LOCKOK },			\
	[base + 2] = { F_REG_RM, INSN_ALU, a, B | R_ONLY },		\
	[base + 3] = { F_REG_RM, INSN_ALU, a, R_ONLY }

static const struct form one_byte[256] = {
	ALU_ROW(0x00, ALU_ADD), ALU_ROW(0x08, ALU_OR),
	ALU_ROW(0x10, ALU_ADC), ALU_ROW(0x18, ALU_SBB),
	ALU_ROW(0x20, ALU_AND), ALU_ROW(0x28, ALU_SUB),
	ALU_ROW(0x30, ALU_XOR), ALU_ROW(0x38, ALU_CMP),
	[0x63] = { F_REG_RM, INSN_MOVSX, 0, R_ONLY },	/* MOVSXD, REX.W only */
	ROW8(0x50, ((struct form){ F_STACK, INSN_PUSH })),
	ROW8(0x58, ((struct form){ F_STACK, INSN_POP })),
	[0x68] = { F_STACK, INSN_PUSH, 0, IMM },
	[0x6a] = { F_STACK, INSN_PUSH, 0, IMM | I8 },
	[0x8f] = { F_RM, INSN_POP, 0, W_ONLY },			/* /0 only */
	[0x69] = { F_REG_RM, INSN_ALU, ALU_IMUL, R_ONLY | IMM },
	[0x6b] = { F_REG_RM, INSN_ALU, ALU_IMUL, R_ONLY | IMM | I8 },
	[0x6c] = { F_STRING, INSN_INS, 0, B | W_ONLY | REPF2 | ES_ONLY },
	[0x6d] = { F_STRING, INSN_INS, 0, IO | W_ONLY | REPF2 | ES_ONLY },
	[0x6e] = { F_STRING, INSN_OUTS, 0, B | R_ONLY | REPF2 },
	[0x6f] = { F_STRING, INSN_OUTS, 0, IO | R_ONLY | REPF2 },
	[0x80] = { F_RM_IMM, INSN_ALU, 0, B | GRP | LOCKOK },
	[0x81] = { F_RM_IMM, INSN_ALU, 0, GRP | LOCKOK },
	[0x83] = { F_RM_IMM, INSN_ALU, 0, GRP | I8 | LOCKOK },
	[0x84] = { F_RM_REG, INSN_ALU, ALU_TEST, B | R_ONLY },
	[0x85] = { F_RM_REG, INSN_ALU, ALU_TEST, R_ONLY },
	[0x86] = { F_RM_REG, INSN_XCHG, 0, B | LOCKOK },
	[0x87] = { F_RM_REG, INSN_XCHG, 0, LOCKOK },
	[0x88] = { F_RM_REG, INSN_MOV, 0, B | W_ONLY },
	[0x89] = { F_RM_REG, INSN_MOV, 0, W_ONLY },
	[0x8a] = { F_REG_RM, INSN_MOV, 0, B | R_ONLY },
	[0x8b] = { F_REG_RM, INSN_MOV, 0, R_ONLY },
	[0xa0] = { F_MOFFS_LOAD, INSN_MOV, 0, B | R_ONLY },
	[0xa1] = { F_MOFFS_LOAD, INSN_MOV, 0, R_ONLY },
	[0xa2] = { F_MOFFS_STORE, INSN_MOV, 0, B | W_ONLY },
	[0xa3] = { F_MOFFS_STORE, INSN_MOV, 0, W_ONLY },
	[0xa4] = { F_STRING, INSN_MOVS, 0, B | REPF2 },
	[0xa5] = { F_STRING, INSN_MOVS, 0, REPF2 },
	[0xa6] = { F_STRING, INSN_CMPS, ALU_CMP, B | R_ONLY | REPNE },
	[0xa7] = { F_STRING, INSN_CMPS, ALU_CMP, R_ONLY | REPNE },
	[0xaa] = { F_STRING, INSN_STOS, 0, B | W_ONLY | ES_ONLY | REPF2 },
	[0xab] = { F_STRING, INSN_STOS, 0, W_ONLY | ES_ONLY | REPF2 },
	[0xac] = { F_STRING, INSN_LODS, 0, B | R_ONLY | REPF2 },
	[0xad] = { F_STRING, INSN_LODS, 0, R_ONLY | REPF2 },
	[0xae] = { F_STRING, INSN_SCAS, ALU_CMP, B | R_ONLY | REPNE | ES_ONLY },
	[0xaf] = { F_STRING, INSN_SCAS, ALU_CMP, R_ONLY | REPNE | ES_ONLY },
	[0xc0] = { F_RM_IMM, INSN_ALU, 0, B | SHIFT | I8 },
	[0xc1] = { F_RM_IMM, INSN_ALU, 0, SHIFT | I8 },
	[0xd0] = { F_RM, INSN_ALU, 0, B | SHIFT },
	[0xd1] = { F_RM, INSN_ALU, 0, SHIFT },
	[0xd2] = { F_RM, INSN_ALU, 0, B | SHIFT | BYCL },
	[0xd3] = { F_RM, INSN_ALU, 0, SHIFT | BYCL },
	[0xc6] = { F_RM_IMM, INSN_MOV, 0, B | W_ONLY },
	[0xc7] = { F_RM_IMM, INSN_MOV, 0, W_ONLY },
	[0xf6] = { F_RM_IMM, INSN_ALU, ALU_TEST, B | LOCKOK },	/* /0 TEST, /2 NOT, /3 NEG, /4-/7 */
	[0xf7] = { F_RM_IMM, INSN_ALU, ALU_TEST, LOCKOK },
	[0xfe] = { F_RM, INSN_ALU, 0, B | GRP | LOCKOK },	/* /0 INC, /1 DEC */
	[0xff] = { F_RM, INSN_ALU, 0, GRP | LOCKOK },
};

static const struct form two_byte[256] = {
	[0x01] = { F_CR, INSN_LMSW, 0, R_ONLY },		/* /6 LMSW, /4 SMSW m16 */
	CC16(0x40, ((struct form){ F_REG_RM, INSN_CMOV, 0, R_ONLY })),
	CC16(0x90, ((struct form){ F_RM, INSN_SETCC, 0, B | W_ONLY })),
	[0x10] = { F_REG_RM, INSN_SSE, 0, R_ONLY | XMM },	/* MOVUPS, MOVUPD */
	[0x11] = { F_RM_REG, INSN_SSE, 0, W_ONLY | XMM },
	[0x28] = { F_REG_RM, INSN_SSE, 0, R_ONLY | XMM },	/* MOVAPS, MOVAPD */
	[0x29] = { F_RM_REG, INSN_SSE, 0, W_ONLY | XMM },
	[0x6f] = { F_REG_RM, INSN_SSE, 0, R_ONLY | XMM },	/* MOVDQA (66), MOVDQU (F3) */
	[0x7f] = { F_RM_REG, INSN_SSE, 0, W_ONLY | XMM },
	[0xae] = { F_RM, INSN_CLFLUSH, 0, 0 },			/* /7 only */
	[0xaf] = { F_REG_RM, INSN_ALU, ALU_IMUL, R_ONLY },
	[0xa4] = { F_RM_REG, INSN_SHXD, ALU_SHL, IMM | I8 },	/* SHLD r/m, reg, imm8 */
	[0xa5] = { F_RM_REG, INSN_SHXD, ALU_SHL, BYCL },	/* SHLD r/m, reg, CL */
	[0xac] = { F_RM_REG, INSN_SHXD, ALU_SHR, IMM | I8 },
	[0xad] = { F_RM_REG, INSN_SHXD, ALU_SHR, BYCL },
	[0xbc] = { F_REG_RM, INSN_ALU, ALU_BSF, R_ONLY },
	[0xbd] = { F_REG_RM, INSN_ALU, ALU_BSR, R_ONLY },
	[0x06] = { F_CR, INSN_CLTS, 0, 0 },
	[0x20] = { F_CR, INSN_MOV_FROM_CR, 0, 0 },
	[0x22] = { F_CR, INSN_MOV_CR, 0, 0 },
	[0xa3] = { F_RM_REG, INSN_BT, ALU_BT, R_ONLY },
	[0xab] = { F_RM_REG, INSN_BT, ALU_BTS, LOCKOK },
	[0xb3] = { F_RM_REG, INSN_BT, ALU_BTR, LOCKOK },
	[0xbb] = { F_RM_REG, INSN_BT, ALU_BTC, LOCKOK },
	[0xba] = { F_RM_IMM, INSN_BT, 0, I8 | GRP | LOCKOK },	/* /4-/7 */
	[0xb6] = { F_REG_RM, INSN_MOVZX, 0, R_ONLY | SRC1 },
	[0xb7] = { F_REG_RM, INSN_MOVZX, 0, R_ONLY | SRC2 },
	[0xbe] = { F_REG_RM, INSN_MOVSX, 0, R_ONLY | SRC1 },
	[0xbf] = { F_REG_RM, INSN_MOVSX, 0, R_ONLY | SRC2 },
	[0xc3] = { F_RM_REG, INSN_MOV, 0, W_ONLY },		/* MOVNTI */
	[0xb0] = { F_RM_REG, INSN_CMPXCHG, ALU_CMP, B | LOCKOK },
	[0xb1] = { F_RM_REG, INSN_CMPXCHG, ALU_CMP, LOCKOK },
	[0xc0] = { F_RM_REG, INSN_XADD, ALU_ADD, B | LOCKOK },
	[0xc1] = { F_RM_REG, INSN_XADD, ALU_ADD, LOCKOK },
};

/* A little-endian field of @n bytes at @p, sign-extended if @sx. */
static u64 field(const u8 *p, unsigned int n, int sx)
{
	u64 v = 0;
	unsigned int i;

	for (i = 0; i < n; i++)
		v |= (u64)p[i] << (8 * i);
	if (sx && n && n < 8 && (v >> (8 * n - 1)) & 1)
		v |= ~0ULL << (8 * n);
	return v;
}

/*
 * The immediate at buf[*i] into @in: one byte for I8 forms and byte
 * operands, else as wide as the operand but at most 4 (sign-extended
 * when @sx). -EFAULT if the bytes fetched end before it, -EINVAL if it
 * would end past the longest instruction.
 */
static int take_imm(struct insn *in, const struct form *f, const u8 *buf, unsigned int *i,
		    unsigned int n, int sx)
{
	unsigned int len = (f->flags & I8) || in->size == 1 ? 1 : in->size == 2 ? 2 : 4;

	if (*i + len > n)
		return n < INSN_MAX_LEN ? -EFAULT : -EINVAL;
	in->imm = field(buf + *i, len, sx);
	in->has_imm = 1;
	*i += len;
	return 0;
}

/* 16-bit addressing: ModRM rm -> base, index (BX SI, BX DI, BP SI, ...). */
static const s8 rm16_base[8] = { 3, 3, 5, 5, 6, 7, 5, 3 };
static const s8 rm16_index[8] = { 6, 7, 6, 7, -1, -1, -1, -1 };

int insn_decode(struct insn *in, const u8 *buf, unsigned int avail,
		unsigned int cs_mode)
{
	unsigned int n = avail < INSN_MAX_LEN ? avail : INSN_MAX_LEN;
	unsigned int i = 0, opsize, modrm, mod, rm, regf, rex = 0, disp_len = 0;
	int lock = 0, rep = 0, seg = -1, osz = 0, asz = 0, r;
	const struct form *f;
	u8 op;

#define NEXT() ({ if (i >= n) return i >= INSN_MAX_LEN ? -EINVAL : -EFAULT; buf[i++]; })
	memset(in, 0, sizeof(*in));
	for (;;) {
		op = NEXT();
		switch (op) {
		case 0x66: osz = 1; rex = 0; continue;
		case 0x67: asz = 1; rex = 0; continue;
		case 0xf0: lock = 1; rex = 0; continue;
		case 0xf2: case 0xf3: rep = op; rex = 0; continue;
		case 0x26: case 0x2e: case 0x36: case 0x3e:
			if (cs_mode != 8)
				seg = (op >> 3) & 3;	/* ES CS SS DS */
			rex = 0;
			continue;
		case 0x64: case 0x65: seg = op - 0x60; rex = 0; continue;
		}
		if (cs_mode == 8 && (op & 0xf0) == 0x40) {
			rex = op;	/* counts only right before the opcode */
			continue;
		}
		break;
	}
	f = &one_byte[op];
	if (op == 0x0f) {
		op = NEXT();
		f = &two_byte[op];
	}
	if (f->form == F_NONE)
		return -EINVAL;

	in->op = f->op;
	in->alu = f->alu;
	in->reg = in->base = in->index = INSN_NONE;
	in->scale = 1;
	if (cs_mode == 8)
		opsize = (rex & 8) ? 8 : osz ? 2 : 4;
	else
		opsize = (cs_mode == 4) ^ osz ? 4 : 2;
	in->size = (f->flags & B) ? 1 : (f->flags & IO) && opsize == 8 ? 4 : opsize;
	in->reg_size = in->size;
	in->addr_size = cs_mode == 8 ? (asz ? 4 : 8) : ((cs_mode == 4) ^ asz ? 4 : 2);
	in->mem_read = !(f->flags & W_ONLY);
	in->mem_write = !(f->flags & R_ONLY);

	if (f->form == F_STRING) {
		/* F2 is REPNE on CMPS/SCAS; on the others it repeats as F3 does. */
		if (lock || (rep == 0xf2 && !(f->flags & (REPNE | REPF2))))
			return -EINVAL;
		in->rep = rep != 0;
		in->repne = rep == 0xf2 && (f->flags & REPNE);
		in->seg = f->flags & ES_ONLY ? 0 : seg < 0 ? 3 : seg;
		in->reg = 0;			/* rAX: STOS's source, LODS's and SCAS's operand */
		in->reg_dst = in->op == INSN_LODS;
		goto done;
	}
	if (f->flags & XMM) {
		/* 6F/7F: 66 or F3 (without one: MMX); the others: no F2/F3 (scalar). */
		if ((op == 0x6f || op == 0x7f) ? !(osz ^ (rep == 0xf3)) || rep == 0xf2 : rep)
			return -EINVAL;
		in->size = in->reg_size = 16;
		rep = 0;
	}
	if (rep)
		return -EINVAL;
	if (in->op == INSN_PUSH || in->op == INSN_POP) {
		/* 64-bit mode only: 64-bit operands (16 with 66), a 64-bit rSP. */
		if (cs_mode != 8 || lock)
			return -EINVAL;
		in->size = in->reg_size = osz ? 2 : 8;
		in->mem_read = in->op == INSN_POP;	/* the stack */
		in->mem_write = in->op == INSN_PUSH;
	}
	if (f->form == F_STACK) {
		if (f->flags & IMM) {
			r = take_imm(in, f, buf, &i, n, 1);
			if (r)
				return r;
		} else {
			in->reg = (op & 7) | ((rex & 1) ? 8 : 0);
			in->reg_dst = in->op == INSN_POP;
		}
		in->seg = 2;	/* SS */
		goto done;
	}
	if (f->form == F_CR) {
		/* MOV from/to CR: the full register width of the mode. */
		in->size = in->reg_size = cs_mode == 8 ? 8 : 4;
		in->mem_read = in->mem_write = 0;
		if (lock)
			return -EINVAL;	/* AMD's LOCK MOV CR0 (CR8): not emulated */
		if (in->op == INSN_CLTS)
			goto done;
		modrm = NEXT();
		mod = modrm >> 6;
		regf = ((modrm >> 3) & 7) | ((rex & 4) ? 8 : 0);
		rm = (modrm & 7) | ((rex & 1) ? 8 : 0);
		if (in->op != INSN_LMSW) {	/* MOV: mod is ignored, always a register */
			in->cr = regf;
			in->reg = rm;
			goto done;
		}
		in->size = in->reg_size = 2;
		if ((regf & 7) == 4 && mod == 3) {
			in->op = INSN_SMSW;	/* SMSW r16/r32/r64: the operand size */
			in->size = in->reg_size = opsize;
			in->reg = rm;
			goto done;
		} else if ((regf & 7) == 4) {
			in->op = INSN_SMSW;	/* SMSW m16: 16 bits whatever the size */
			in->mem_write = 1;
		} else if ((regf & 7) != 6) {
			return -EINVAL;		/* 0F 01 /6 is LMSW, the rest is not ours */
		} else if (mod == 3) {
			in->reg = rm;
			goto done;
		} else {
			in->mem_read = 1;
		}
		i--;			/* the memory operand: decode the ModRM again */
	}
	if (f->form == F_MOFFS_LOAD || f->form == F_MOFFS_STORE) {
		if (lock || i + in->addr_size > n)
			return lock ? -EINVAL : (n < INSN_MAX_LEN ? -EFAULT : -EINVAL);
		in->disp = field(buf + i, in->addr_size, 0);
		i += in->addr_size;
		in->reg = 0;
		in->reg_dst = f->form == F_MOFFS_LOAD;
		in->seg = seg < 0 ? 3 : seg;
		goto done;
	}

	/* ModRM: memory operands only. */
	modrm = NEXT();
	mod = modrm >> 6;
	regf = ((modrm >> 3) & 7) | ((rex & 4) ? 8 : 0);
	rm = modrm & 7;
	if (mod == 3)
		return -EINVAL;
	if (f->form == F_CR)
		regf = 0;	/* LMSW m16: no register operand */
	if (in->addr_size == 2) {
		if (mod == 0 && rm == 6) {
			disp_len = 2;
		} else {
			in->base = rm16_base[rm];
			in->index = rm16_index[rm];
			disp_len = mod == 1 ? 1 : mod == 2 ? 2 : 0;
		}
	} else {
		if (rm == 4) {
			unsigned int sib = NEXT();
			unsigned int idx = ((sib >> 3) & 7) | ((rex & 2) ? 8 : 0);
			unsigned int base = sib & 7;

			in->scale = 1 << (sib >> 6);
			if (idx != 4)
				in->index = idx;
			if (base == 5 && mod == 0)
				disp_len = 4;
			else
				in->base = base | ((rex & 1) ? 8 : 0);
		} else if (rm == 5 && mod == 0) {
			disp_len = 4;
			if (cs_mode == 8)
				in->base = INSN_RIP;
		} else {
			in->base = rm | ((rex & 1) ? 8 : 0);
		}
		if (mod)
			disp_len = mod == 1 ? 1 : 4;
	}
	if (i + disp_len > n)
		return n < INSN_MAX_LEN ? -EFAULT : -EINVAL;
	in->disp = field(buf + i, disp_len, 1);
	if (in->addr_size == 2 && disp_len == 2 && in->base == INSN_NONE)
		in->disp &= 0xffff;
	i += disp_len;
	if (seg >= 0)
		in->seg = seg;
	else
		in->seg = (in->base == 4 || in->base == 5) && in->addr_size != 2 ? 2 :
			  in->addr_size == 2 && in->base == 5 ? 2 : 3;

	if (f->form == F_CR)
		goto done;
	if (f->form == F_RM) {
		if (f->flags & SHIFT) {		/* D0-D3: by 1 or by CL */
			in->alu = ALU_ROL + (regf & 7);
			if (f->flags & BYCL) {
				in->reg = 1;	/* CL */
			} else {
				in->imm = 1;
				in->has_imm = 1;
			}
		} else if (in->op == INSN_SETCC) {
			in->alu = op & 0xf;
		} else if (in->op == INSN_POP) {	/* 8F /0: POP m */
			if (regf & 7)
				return -EINVAL;
			in->mem_write = 1;
		} else if (in->op == INSN_CLFLUSH) {
			if ((regf & 7) != 7)
				return -EINVAL;	/* 0F AE /0-/6: FXSAVE, XSAVE... */
			in->mem_read = in->mem_write = 0;
		} else if (op == 0xff && (regf & 7) == 6) {	/* FF /6: PUSH m */
			if (cs_mode != 8 || lock)
				return -EINVAL;
			in->op = INSN_PUSH;
			in->size = in->reg_size = osz ? 2 : 8;
			in->mem_read = in->mem_write = 1;	/* the operand, the stack */
			in->alu = 0;
		} else {			/* FE/FF: INC, DEC */
			if ((regf & 7) > 1)
				return -EINVAL;	/* CALL, JMP: not emulated */
			in->alu = ALU_INC + (regf & 7);
		}
		goto lock;
	}
	if (f->form == F_RM_IMM && (op == 0xf6 || op == 0xf7) && f == &one_byte[op] &&
	    (regf & 7) >= 4) {
		in->op = INSN_MULDIV;		/* F6/F7 /4-/7: MUL IMUL DIV IDIV */
		in->alu = regf & 7;
		in->mem_write = 0;
		goto lock;
	}
	if (f->form == F_RM_IMM && (op == 0xf6 || op == 0xf7) && f == &one_byte[op] &&
	    ((regf & 7) == 2 || (regf & 7) == 3)) {
		in->alu = (regf & 7) == 2 ? ALU_NOT : ALU_NEG;	/* F6/F7 /2 /3: no immediate */
		goto lock;
	}
	if (f->form == F_RM_IMM) {
		if (f->flags & SHIFT) {
			in->alu = ALU_ROL + (regf & 7);
		} else if (f->flags & GRP) {
			if (in->op == INSN_BT) {
				if ((regf & 7) < 4)
					return -EINVAL;
				in->alu = ALU_BT + (regf & 7) - 4;
				if (in->alu == ALU_BT)
					in->mem_write = 0;
			} else {
				in->alu = regf & 7;
				if (in->alu == ALU_CMP)
					in->mem_write = 0;
			}
		} else if (regf & 7) {
			return -EINVAL;	/* C6/C7 /0, F6/F7 /0 only (MUL, DIV: not emulated) */
		}
		if (in->alu == ALU_TEST)
			in->mem_write = 0;
		r = take_imm(in, f, buf, &i, n, in->op != INSN_BT);
		if (r)
			return r;
	} else {
		in->reg = regf;
		if (in->size == 1 && !rex && regf >= 4 && regf < 8)
			in->reg = INSN_REG_AH + regf - 4;
		in->reg_dst = f->form == F_REG_RM || in->op == INSN_XCHG;
		if (in->alu == ALU_CMP && in->op == INSN_ALU)
			in->mem_write = 0;
		if (f->flags & (SRC1 | SRC2))
			in->size = (f->flags & SRC1) ? 1 : 2;
		if (op == 0x63 && f == &one_byte[0x63]) {
			if (!(rex & 8))
				return -EINVAL;	/* MOVSXD without REX.W: not emulated */
			in->size = 4;
		}
		if (in->op == INSN_CMOV)
			in->alu = op & 0xf;
		if (f->flags & IMM) {		/* IMUL reg, r/m, imm; SHLD/SHRD imm8 */
			r = take_imm(in, f, buf, &i, n, 1);
			if (r)
				return r;
		}
	}
lock:
	if (lock && (!(f->flags & LOCKOK) || !in->mem_write))
		return -EINVAL;
done:
	if (i > INSN_MAX_LEN)
		return -EINVAL;
	in->len = i;
	memcpy(in->bytes, buf, i);
	return 0;
#undef NEXT
}

/* --- ALU: the host CPU computes result and flags --- */

#define STATUS_FLAGS	0x8d5ULL	/* CF PF AF ZF SF OF */

/*
 * Around each instruction the host runs for the guest: its status flags
 * in (fl), the flags it leaves out (out); the stack moved past a
 * userspace red zone (the same code runs in insn_test).
 */
#define FLAGS_IN	"lea -128(%%rsp), %%rsp\n\t"				\
			"pushfq; andq %[keep], (%%rsp); orq %[in], (%%rsp); popfq\n\t"
#define FLAGS_OUT	"\n\tpushfq; popq %[out]\n\tlea 128(%%rsp), %%rsp"
#define FLAGS_ARGS	[in] "r" (fl), [keep] "i" (~STATUS_FLAGS)

/* Two operands: d op= src. */
#define ALU2(insn, sfx, type)						\
	do {								\
	type v = (type)d;						\
	asm(FLAGS_IN insn sfx " %[s], %[d]" FLAGS_OUT			\
	    : [d] "+q" (v), [out] "=&r" (out)				\
	    : [s] "q" ((type)src), FLAGS_ARGS : "cc");			\
	d = v;								\
	} while (0)

/* One operand: INC DEC NOT NEG. */
#define ALU1(insn, sfx, type)						\
	do {								\
	type v = (type)d;						\
	asm(FLAGS_IN insn sfx " %[d]" FLAGS_OUT				\
	    : [d] "+q" (v), [out] "=&r" (out) : FLAGS_ARGS : "cc");	\
	d = v;								\
	} while (0)

/* Shifts and rotates: the count in CL (the CPU masks it). */
#define SHIFT2(insn, sfx, type)						\
	do {								\
	type v = (type)d;						\
	asm(FLAGS_IN insn sfx " %%cl, %[d]" FLAGS_OUT			\
	    : [d] "+q" (v), [out] "=&r" (out)				\
	    : "c" ((u8)src), FLAGS_ARGS : "cc");			\
	d = v;								\
	} while (0)

/* @m(insn, suffix, type) for the operand size. */
#define SIZES(m, insn)							\
	do {								\
		switch (size) {						\
		case 1: m(insn, "b", u8); break;			\
		case 2: m(insn, "w", u16); break;			\
		case 4: m(insn, "l", u32); break;			\
		default: m(insn, "q", u64); break;			\
		}							\
	} while (0)

/*
 * The same for forms with no 8-bit encoding: BT* (16-bit with the offset
 * below 8 is the same), BSF BSR IMUL SHLD SHRD (the decoder gives them
 * no 8-bit operand).
 */
#define SIZES_W(m, insn)						\
	do {								\
		switch (size) {						\
		case 1: case 2: m(insn, "w", u16); break;		\
		case 4: m(insn, "l", u32); break;			\
		default: m(insn, "q", u64); break;			\
		}							\
	} while (0)

u64 insn_alu(unsigned int alu, unsigned int size, u64 dst, u64 src, u64 *rflags)
{
	u64 d = dst, fl = *rflags & STATUS_FLAGS, out = 0;
	u64 mask = size == 8 ? ~0ULL : (1ULL << (size * 8)) - 1;

	if (alu >= ALU_BT && alu <= ALU_BTC)
		src &= size * 8 - 1;
	switch (alu) {
	case ALU_ADD: SIZES(ALU2, "add"); break;
	case ALU_OR: SIZES(ALU2, "or"); break;
	case ALU_ADC: SIZES(ALU2, "adc"); break;
	case ALU_SBB: SIZES(ALU2, "sbb"); break;
	case ALU_AND: SIZES(ALU2, "and"); break;
	case ALU_SUB: SIZES(ALU2, "sub"); break;
	case ALU_XOR: SIZES(ALU2, "xor"); break;
	case ALU_CMP: SIZES(ALU2, "cmp"); break;
	case ALU_TEST: SIZES(ALU2, "test"); break;
	case ALU_BT: SIZES_W(ALU2, "bt"); break;
	case ALU_BTS: SIZES_W(ALU2, "bts"); break;
	case ALU_BTR: SIZES_W(ALU2, "btr"); break;
	case ALU_BTC: SIZES_W(ALU2, "btc"); break;
	case ALU_INC: SIZES(ALU1, "inc"); break;
	case ALU_DEC: SIZES(ALU1, "dec"); break;
	case ALU_NOT: SIZES(ALU1, "not"); break;
	case ALU_NEG: SIZES(ALU1, "neg"); break;
	case ALU_ROL: SIZES(SHIFT2, "rol"); break;
	case ALU_ROR: SIZES(SHIFT2, "ror"); break;
	case ALU_RCL: SIZES(SHIFT2, "rcl"); break;
	case ALU_RCR: SIZES(SHIFT2, "rcr"); break;
	case ALU_SHL: case ALU_SAL: SIZES(SHIFT2, "shl"); break;
	case ALU_SHR: SIZES(SHIFT2, "shr"); break;
	case ALU_SAR: SIZES(SHIFT2, "sar"); break;
	case ALU_BSF: SIZES_W(ALU2, "bsf"); break;
	case ALU_BSR: SIZES_W(ALU2, "bsr"); break;
	case ALU_IMUL: SIZES_W(ALU2, "imul"); break;
	default: return dst;
	}
	*rflags = (*rflags & ~STATUS_FLAGS) | (out & STATUS_FLAGS);
	if (alu == ALU_CMP || alu == ALU_TEST || alu == ALU_BT)
		return dst;
	return (dst & ~mask) | (d & mask);
}

bool insn_cond(unsigned int cc, u64 f)
{
	bool cf = f & 0x1, pf = f & 0x4, zf = f & 0x40, sf = f & 0x80, of = f & 0x800, r;

	switch ((cc >> 1) & 7) {
	case 0: r = of; break;			/* O */
	case 1: r = cf; break;			/* B */
	case 2: r = zf; break;			/* E */
	case 3: r = cf || zf; break;		/* BE */
	case 4: r = sf; break;			/* S */
	case 5: r = pf; break;			/* P */
	case 6: r = sf != of; break;		/* L */
	default: r = zf || sf != of; break;	/* LE */
	}
	return r != (cc & 1);
}

/* --- MUL IMUL DIV IDIV: the host CPU too, once #DE is ruled out --- */

#define MULDIV1(insn, sfx, type)					\
	asm(FLAGS_IN insn sfx " %[s]" FLAGS_OUT				\
	    : "+a" (a), "+d" (d), [out] "=&r" (out)			\
	    : [s] "q" ((type)src), FLAGS_ARGS : "cc")

static s64 sext(u64 v, unsigned int bits)
{
	return bits >= 64 ? (s64)v : (s64)(v << (64 - bits)) >> (64 - bits);
}

/* Would DIV (@sign: IDIV) of the dividend in @a/@d by @src fault? */
static bool div_faults(bool sign, unsigned int size, u64 src, u64 a, u64 d)
{
	unsigned int bits = size * 8;
	u64 mask = size == 8 ? ~0ULL : (1ULL << bits) - 1, div = src & mask;
	u64 hi, lo, q, r, lim;
	bool nneg, dneg;

	if (!div)
		return true;
	if (size < 8) {
		/* The dividend fits in 64 bits: AX for bytes, else DX:AX, EDX:EAX. */
		u64 n = size == 1 ? a & 0xffff : ((d & mask) << bits) | (a & mask);
		s64 sn = sext(n, 2 * bits), sd = sext(div, bits), sq;

		if (!sign)
			return n / div > mask;
		if (sd == -1 && sn == (s64)(1ULL << 63))
			return true;
		sq = sn / sd;
		return sq > (s64)(mask >> 1) || sq < -(s64)(mask >> 1) - 1;
	}
	if (!sign)
		return d >= div;
	/* IDIV r/m64: the quotient of the magnitudes, then its sign. */
	nneg = (s64)d < 0;
	dneg = (s64)div < 0;
	lo = nneg ? -a : a;
	hi = nneg ? ~d + (a == 0) : d;
	if (dneg)
		div = -div;
	if (hi >= div)
		return true;
	asm("divq %[v]" : "=a" (q), "=d" (r) : "a" (lo), "d" (hi), [v] "r" (div) : "cc");
	(void)r;
	lim = nneg != dneg ? 1ULL << 63 : (1ULL << 63) - 1;
	return q > lim;
}

int insn_muldiv(unsigned int op, unsigned int size, u64 src, u64 *rax, u64 *rdx, u64 *rflags)
{
	u64 a = *rax, d = *rdx, fl = *rflags & STATUS_FLAGS, out = 0;

	if ((op == 6 || op == 7) && div_faults(op == 7, size, src, a, d))
		return -1;
	switch (op) {
	case 4: SIZES(MULDIV1, "mul"); break;
	case 5: SIZES(MULDIV1, "imul"); break;
	case 6: SIZES(MULDIV1, "div"); break;
	case 7: SIZES(MULDIV1, "idiv"); break;
	default: return -1;
	}
	*rax = a;
	*rdx = d;
	*rflags = (*rflags & ~STATUS_FLAGS) | (out & STATUS_FLAGS);
	return 0;
}

/* --- SHLD SHRD: the host CPU again --- */

#define SHXD1(insn, sfx, type)						\
	do {								\
	type v = (type)d;						\
	asm(FLAGS_IN insn sfx " %%cl, %[s], %[d]" FLAGS_OUT		\
	    : [d] "+r" (v), [out] "=&r" (out)				\
	    : [s] "r" ((type)src), "c" (count), FLAGS_ARGS : "cc");	\
	d = v;								\
	} while (0)

u64 insn_shxd(unsigned int alu, unsigned int size, u64 dst, u64 src, u8 count, u64 *rflags)
{
	u64 d = dst, fl = *rflags & STATUS_FLAGS, out = 0;

	if (alu == ALU_SHL)
		SIZES_W(SHXD1, "shld");
	else
		SIZES_W(SHXD1, "shrd");
	*rflags = (*rflags & ~STATUS_FLAGS) | (out & STATUS_FLAGS);
	return size == 8 ? d : (dst & ~((1ULL << (size * 8)) - 1)) | d;
}
