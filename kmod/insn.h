/* SPDX-License-Identifier: GPL-2.0 */
/*
 * x86 instruction decoding and data operations for what kvmini emulates:
 * the forms guests use on device memory (MMIO), string port I/O, and the
 * control-register writes SVM intercepts without decoding them. Nothing
 * more. Pure code: no kernel state, no guest memory, no registers;
 * emulate.c, mmio.c, pio.c and cr.c do the rest. The same insn.c builds
 * into the module and, unchanged, into the userspace unit test and
 * fuzzer in selftests/insn/.
 *
 * Supported (anything else: insn_decode() returns -EINVAL):
 *   MOV   88 89 8A 8B (r/m, reg both ways), C6 /0, C7 /0 (imm to r/m),
 *         A0-A3 (moffs), 0F C3 (MOVNTI)
 *   MOVZX 0F B6, 0F B7; MOVSX 0F BE, 0F BF; MOVSXD 63 (REX.W)
 *   ALU   00-03 08-0B 10-13 18-1B 20-23 28-2B 30-33 38-3B (r/m, reg both
 *         ways), 80 81 83 /0-/7 (imm), 84 85 (TEST r/m, reg), F6 F7 /0 (TEST imm),
 *         F6 F7 /2 /3 (NOT NEG), FE FF /0 /1 (INC DEC)
 *   shift C0 C1 (imm8), D0 D1 (1), D2 D3 (CL) /0-/7: ROL ROR RCL RCR SHL SHR SAL SAR
 *   IMUL  0F AF (reg <- reg * r/m), 69 6B (reg <- r/m * imm)
 *   MUL IMUL DIV IDIV  F6 F7 /4-/7 (rAX, rDX; #DE as the CPU)
 *   BSF BSR 0F BC 0F BD (no F3: TZCNT/LZCNT are not emulated)
 *   SHLD SHRD 0F A4 0F AC (imm8), 0F A5 0F AD (CL)
 *   CMOVcc 0F 40-4F; SETcc 0F 90-9F
 *   SMSW  0F 01 /4 (to memory, or a register: where CR0 reads exit); CLFLUSH, CLFLUSHOPT 0F AE /7 (no access: a no-op)
 *   PUSH POP (64-bit mode: the stack or the operand on a device) 50-57 58-5F
 *         (register), 6A 68 (imm), FF /6 (PUSH m), 8F /0 (POP m)
 *   SSE   16-byte moves between an XMM register and memory: MOVUPS MOVUPD
 *         0F 10/11, MOVAPS MOVAPD 0F 28/29 ((66)), MOVDQA 66 0F 6F/7F,
 *         MOVDQU F3 0F 6F/7F (not VEX, not the scalar or MMX forms)
 *   XCHG  86 87
 *   BT    0F A3 AB B3 BB (bit offset in a register), 0F BA /4-/7 (imm8)
 *   MOVS  A4 A5; STOS AA AB; LODS AC AD (with or without REP, F3)
 *   CMPS  A6 A7; SCAS AE AF (with or without REPE, F3, or REPNE, F2)
 *   INS   6C 6D; OUTS 6E 6F (with or without REP, F3 or F2)
 *   MOV to/from CR 0F 22 0F 20, LMSW 0F 01 /6 (register or memory), CLTS 0F 06
 * Prefixes: 66, 67, F0 (LOCK, only where x86 allows it), F3 (REP, string
 * forms only), F2 (REPNE on CMPS/SCAS, REP on INS/OUTS), segment
 * overrides, REX in 64-bit mode. Of F2 and F3 the last one counts.
 */
#ifndef KVMINI_INSN_H
#define KVMINI_INSN_H

#ifdef __KERNEL__
#include <linux/types.h>
#else
#include <stdbool.h>
#include <stdint.h>
typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int8_t s8;
typedef int64_t s64;
#endif

#define INSN_MAX_LEN	15

enum insn_op {
	INSN_MOV,	/* destination <- source (a load, a store, an immediate) */
	INSN_MOVZX,	/* register <- zero-extended memory */
	INSN_MOVSX,	/* register <- sign-extended memory (MOVSXD too) */
	INSN_ALU,	/* insn_alu(alu, ...): the ALU ops and TEST */
	INSN_XCHG,	/* register <-> memory */
	INSN_XADD,	/* memory <- memory + register, register <- old memory */
	INSN_CMPXCHG,	/* rAX == memory ? memory <- register : rAX <- memory */
	INSN_BT,	/* insn_alu(alu = ALU_BT..ALU_BTC, ...) */
	INSN_PUSH,	/* SS:[rSP - size] <- reg, imm or memory; rSP -= size */
	INSN_POP,	/* reg or memory <- SS:[rSP]; rSP += size (first: POP m's address) */
	INSN_SETCC,	/* memory (a byte) <- insn_cond(alu) */
	INSN_CMOV,	/* register <- memory if insn_cond(alu); memory read either way */
	INSN_MULDIV,	/* insn_muldiv(alu = 4..7: MUL IMUL DIV IDIV, ...) */
	INSN_SMSW,	/* memory (16 bits) <- CR0 */
	INSN_CLFLUSH,	/* no access: nothing to do */
	INSN_SSE,	/* XMM register (reg) <-> 16 bytes of memory (reg_dst: a load) */
	INSN_SHXD,	/* insn_shxd(alu = ALU_SHL/ALU_SHR, memory, reg, imm8 or CL) */
	INSN_MOVS,	/* ES:[rDI] <- seg:[rSI], then both step by size */
	INSN_STOS,	/* ES:[rDI] <- rAX, then rDI steps by size */
	INSN_LODS,	/* rAX <- seg:[rSI], then rSI steps by size */
	INSN_SCAS,	/* flags of CMP rAX, ES:[rDI], then rDI steps by size */
	INSN_CMPS,	/* flags of CMP seg:[rSI], ES:[rDI], then both step by size */
	INSN_INS,	/* ES:[rDI] <- port DX, then rDI steps by size */
	INSN_OUTS,	/* port DX <- seg:[rSI], then rSI steps by size */
	INSN_MOV_CR,	/* CR(cr) <- register (reg) */
	INSN_MOV_FROM_CR,	/* register (reg) <- CR(cr) */
	INSN_LMSW,	/* CR0[3:0] <- register (reg) or 16-bit memory, PE set only */
	INSN_CLTS,	/* CR0.TS <- 0 */
};

/* ALU_ADD..ALU_CMP are the x86 encodings (opcode bits 5:3, or /r of 80-83). */
enum insn_alu {
	ALU_ADD, ALU_OR, ALU_ADC, ALU_SBB, ALU_AND, ALU_SUB, ALU_XOR, ALU_CMP,
	ALU_TEST, ALU_BT, ALU_BTS, ALU_BTR, ALU_BTC,
	ALU_INC, ALU_DEC, ALU_NOT, ALU_NEG,	/* one operand: the source is ignored */
	/* The source is the count; ROL..SAR in the order of C0-D3's /0-/7 (/6 is SHL). */
	ALU_ROL, ALU_ROR, ALU_RCL, ALU_RCR, ALU_SHL, ALU_SHR, ALU_SAL, ALU_SAR,
	ALU_BSF, ALU_BSR, ALU_IMUL,	/* 16, 32, 64 bits only */
};

/* Register numbers: 0-15 are RAX..R15 (x86 order). */
#define INSN_REG_AH	16	/* 16-19: AH CH DH BH (8-bit operand, no REX) */
#define INSN_RIP	20	/* as a memory base: RIP-relative (64-bit mode) */
#define INSN_NONE	(-1)

struct insn {
	u8 len;			/* bytes, prefixes included */
	u8 op;			/* enum insn_op */
	u8 alu;			/* enum insn_alu, for INSN_ALU and INSN_BT */
	u8 size;		/* bytes of the memory access: 1, 2, 4, 8 (SSE: 16) */
	u8 reg_size;		/* the register operand's size (MOVZX/MOVSX: 2 4 8) */
	u8 addr_size;		/* 2, 4 or 8 */
	bool mem_read;		/* the memory operand is read ... */
	bool mem_write;		/* ... and/or written */
	bool reg_dst;		/* the result goes to the register operand */
	bool rep;		/* REP (REPE, REPNE) on a string instruction */
	bool repne;		/* ... and it is REPNE (F2 on CMPS, SCAS) */
	bool has_imm;
	s8 reg;			/* register operand (see above; SSE: XMM 0-15), or INSN_NONE */
	u64 imm;		/* sign-extended as x86 does for the encoding */
	/*
	 * The memory operand, seg:[base + index * scale + disp], wrapped to
	 * addr_size. Not used by string instructions (rSI, rDI) or moffs
	 * (disp only); for those seg is rSI's segment, or ES where only rDI
	 * is used (INS, STOS, SCAS: no override applies to ES:[rDI]).
	 */
	s8 base;		/* register, INSN_RIP (disp from the next insn) or INSN_NONE */
	s8 index;		/* register or INSN_NONE */
	u8 scale;		/* 1 2 4 8 */
	s64 disp;
	u8 seg;			/* 0-5: ES CS SS DS FS GS; override or the default */
	u8 cr;			/* MOV to/from CR: the control register's number */
	u8 bytes[INSN_MAX_LEN];	/* copied from the input, len of them */
};

/*
 * Decode the instruction at @buf, @avail bytes of which are readable
 * (only up to INSN_MAX_LEN are looked at), for a code segment whose
 * default operand and address size is @cs_mode bytes: 2 (16-bit), 4
 * (32-bit) or 8 (64-bit mode). Returns 0 and fills @insn; -EINVAL if the
 * instruction is invalid or not in the supported set, or (but for the
 * control-register forms) has no memory operand; -EFAULT if @avail ends
 * before the instruction does.
 */
int insn_decode(struct insn *insn, const u8 *buf, unsigned int avail,
		unsigned int cs_mode);

/*
 * The data operation of INSN_ALU and INSN_BT on @size bytes (1 2 4 8):
 * returns the result and sets CF PF AF ZF SF OF in *@rflags as the CPU
 * does (undefined flags as this CPU leaves them); no other bit of
 * *@rflags changes. ADC/SBB read CF from *@rflags. CMP, TEST and BT
 * return @dst unchanged. For BT*, @src is the bit offset, taken modulo
 * the operand size (the caller moves the address for register offsets).
 */
u64 insn_alu(unsigned int alu, unsigned int size, u64 dst, u64 src, u64 *rflags);

/* Condition code @cc (the low nibble of Jcc, SETcc, CMOVcc) on @rflags. */
bool insn_cond(unsigned int cc, u64 rflags);

/*
 * F6/F7 /4-/7 (@op 4 MUL, 5 IMUL, 6 DIV, 7 IDIV) of @src on @size bytes:
 * *@rax and *@rdx (full registers) and the status flags of *@rflags as the
 * CPU leaves them. -1, nothing changed: the CPU raises #DE (a zero divisor,
 * a quotient too big).
 */
int insn_muldiv(unsigned int op, unsigned int size, u64 src, u64 *rax, u64 *rdx, u64 *rflags);

/*
 * SHLD (@alu ALU_SHL) or SHRD (ALU_SHR) of @dst by @count (the CPU masks
 * it), shifting in @src, on @size bytes (2 4 8): the result, and the
 * status flags of *@rflags as the CPU leaves them.
 */
u64 insn_shxd(unsigned int alu, unsigned int size, u64 dst, u64 src, u8 count, u64 *rflags);

#endif
