// SPDX-License-Identifier: GPL-2.0
/*
 * Unit test of kmod/insn.c in userspace: every supported form decodes to
 * what the SDM says, what is outside the set is refused, truncated input
 * asks for more, and insn_alu() computes what this CPU computes (result
 * and status flags) without touching any other RFLAGS bit.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "insn.h"

static int passed, failed;

static void check(int ok, const char *what)
{
	if (ok)
		passed++;
	else
		failed++;
	printf("%sok %d - %s\n", ok ? "" : "not ", passed + failed, what);
}

#define N INSN_NONE
#define AH INSN_REG_AH
#define RIP INSN_RIP
enum { ES, CS, SS, DS, FS, GS };

/* One decoded form: mode, bytes, and the fields that matter. */
struct want {
	const char *name;
	unsigned int mode;
	unsigned char b[INSN_MAX_LEN];
	unsigned int n;		/* bytes in b */
	u8 op, alu, size, reg_size, addr_size;
	bool rd, wr, reg_dst;
	u8 rep;			/* 1: REP (REPE), 2: REPNE */
	s8 reg, base, index;
	u8 scale;
	s64 disp;
	u8 seg;
	u64 imm;
};

#define B(...) { __VA_ARGS__ }, sizeof((unsigned char[]){ __VA_ARGS__ })

static const struct want forms[] = {
	/* name, mode, bytes, op, alu, size, reg_size, asz, rd, wr, reg_dst, rep, reg, base, index, scale, disp, seg, imm */
	{ "mov [rax],r8d", 8, B(0x44, 0x89, 0x00), INSN_MOV, 0, 4, 4, 8, 0, 1, 0, 0, 8, 0, N, 1, 0, DS, 0 },
	{ "mov [rax],rdx", 8, B(0x48, 0x89, 0x10), INSN_MOV, 0, 8, 8, 8, 0, 1, 0, 0, 2, 0, N, 1, 0, DS, 0 },
	{ "mov ah,[rbx]", 8, B(0x8a, 0x23), INSN_MOV, 0, 1, 1, 8, 1, 0, 1, 0, AH, 3, N, 1, 0, DS, 0 },
	{ "mov spl,[rbx]", 8, B(0x40, 0x8a, 0x23), INSN_MOV, 0, 1, 1, 8, 1, 0, 1, 0, 4, 3, N, 1, 0, DS, 0 },
	{ "mov [rsi],bh", 4, B(0x88, 0x3e), INSN_MOV, 0, 1, 1, 4, 0, 1, 0, 0, AH + 3, 6, N, 1, 0, DS, 0 },
	{ "mov ax,[rdi+8]", 8, B(0x66, 0x8b, 0x47, 0x08), INSN_MOV, 0, 2, 2, 8, 1, 0, 1, 0, 0, 7, N, 1, 8, DS, 0 },
	{ "mov ax,[bx+si] (16)", 2, B(0x8b, 0x00), INSN_MOV, 0, 2, 2, 2, 1, 0, 1, 0, 0, 3, 6, 1, 0, DS, 0 },
	{ "mov ax,[bp+8] (16)", 2, B(0x8b, 0x46, 0x08), INSN_MOV, 0, 2, 2, 2, 1, 0, 1, 0, 0, 5, N, 1, 8, SS, 0 },
	{ "mov ax,[0x1234] (16)", 2, B(0x8b, 0x06, 0x34, 0x12), INSN_MOV, 0, 2, 2, 2, 1, 0, 1, 0, 0, N, N, 1, 0x1234, DS, 0 },
	{ "mov eax,[eax] (16, 66 67)", 2, B(0x66, 0x67, 0x8b, 0x00), INSN_MOV, 0, 4, 4, 4, 1, 0, 1, 0, 0, 0, N, 1, 0, DS, 0 },
	{ "mov eax,[ebp-4] (32)", 4, B(0x8b, 0x45, 0xfc), INSN_MOV, 0, 4, 4, 4, 1, 0, 1, 0, 0, 5, N, 1, -4, SS, 0 },
	{ "mov eax,[eax] (64, 67)", 8, B(0x67, 0x8b, 0x00), INSN_MOV, 0, 4, 4, 4, 1, 0, 1, 0, 0, 0, N, 1, 0, DS, 0 },
	{ "mov eax,[rip+16]", 8, B(0x8b, 0x05, 0x10, 0, 0, 0), INSN_MOV, 0, 4, 4, 8, 1, 0, 1, 0, 0, RIP, N, 1, 16, DS, 0 },
	{ "mov eax,[0x1000+rcx*4]", 8, B(0x8b, 0x04, 0x8d, 0, 0x10, 0, 0), INSN_MOV, 0, 4, 4, 8, 1, 0, 1, 0, 0, N, 1, 4, 0x1000, DS, 0 },
	{ "mov eax,[r12+r13*8]", 8, B(0x43, 0x8b, 0x04, 0xec), INSN_MOV, 0, 4, 4, 8, 1, 0, 1, 0, 0, 12, 13, 8, 0, DS, 0 },
	{ "mov eax,[rsp+8]", 8, B(0x8b, 0x44, 0x24, 0x08), INSN_MOV, 0, 4, 4, 8, 1, 0, 1, 0, 0, 4, N, 1, 8, SS, 0 },
	{ "mov eax,fs:[rax]", 8, B(0x64, 0x8b, 0x00), INSN_MOV, 0, 4, 4, 8, 1, 0, 1, 0, 0, 0, N, 1, 0, FS, 0 },
	{ "mov eax,cs:[rax] (64: DS)", 8, B(0x2e, 0x8b, 0x00), INSN_MOV, 0, 4, 4, 8, 1, 0, 1, 0, 0, 0, N, 1, 0, DS, 0 },
	{ "mov eax,es:[eax] (32)", 4, B(0x26, 0x8b, 0x00), INSN_MOV, 0, 4, 4, 4, 1, 0, 1, 0, 0, 0, N, 1, 0, ES, 0 },
	{ "movb $5,[rax]", 8, B(0xc6, 0x00, 0x05), INSN_MOV, 0, 1, 1, 8, 0, 1, 0, 0, N, 0, N, 1, 0, DS, 5 },
	{ "movw $0x1234,[rax]", 8, B(0x66, 0xc7, 0x00, 0x34, 0x12), INSN_MOV, 0, 2, 2, 8, 0, 1, 0, 0, N, 0, N, 1, 0, DS, 0x1234 },
	{ "movq $-3,[rax]", 8, B(0x48, 0xc7, 0x00, 0xfd, 0xff, 0xff, 0xff), INSN_MOV, 0, 8, 8, 8, 0, 1, 0, 0, N, 0, N, 1, 0, DS, -3ULL },
	{ "movabs eax,[moffs64]", 8, B(0xa1, 1, 2, 3, 4, 5, 6, 7, 8), INSN_MOV, 0, 4, 4, 8, 1, 0, 1, 0, 0, N, N, 1, 0x0807060504030201LL, DS, 0 },
	{ "movabs [moffs64],al", 8, B(0xa2, 1, 0, 0, 0xc0, 0, 0, 0, 0), INSN_MOV, 0, 1, 1, 8, 0, 1, 0, 0, 0, N, N, 1, 0xc0000001LL, DS, 0 },
	{ "mov ax,[moffs16] (16)", 2, B(0xa1, 0x34, 0x12), INSN_MOV, 0, 2, 2, 2, 1, 0, 1, 0, 0, N, N, 1, 0x1234, DS, 0 },
	{ "movnti [rax],ecx", 8, B(0x0f, 0xc3, 0x08), INSN_MOV, 0, 4, 4, 8, 0, 1, 0, 0, 1, 0, N, 1, 0, DS, 0 },
	{ "movzx eax,byte [rax]", 8, B(0x0f, 0xb6, 0x00), INSN_MOVZX, 0, 1, 4, 8, 1, 0, 1, 0, 0, 0, N, 1, 0, DS, 0 },
	{ "movzx rax,word [rax]", 8, B(0x48, 0x0f, 0xb7, 0x00), INSN_MOVZX, 0, 2, 8, 8, 1, 0, 1, 0, 0, 0, N, 1, 0, DS, 0 },
	{ "movsx ax,byte [rax]", 8, B(0x66, 0x0f, 0xbe, 0x00), INSN_MOVSX, 0, 1, 2, 8, 1, 0, 1, 0, 0, 0, N, 1, 0, DS, 0 },
	{ "movsxd rax,[rax]", 8, B(0x48, 0x63, 0x00), INSN_MOVSX, 0, 4, 8, 8, 1, 0, 1, 0, 0, 0, N, 1, 0, DS, 0 },
	{ "add [rax],ecx", 8, B(0x01, 0x08), INSN_ALU, ALU_ADD, 4, 4, 8, 1, 1, 0, 0, 1, 0, N, 1, 0, DS, 0 },
	{ "sub cl,[rax]", 8, B(0x2a, 0x08), INSN_ALU, ALU_SUB, 1, 1, 8, 1, 0, 1, 0, 1, 0, N, 1, 0, DS, 0 },
	{ "cmp [rax],ecx", 8, B(0x39, 0x08), INSN_ALU, ALU_CMP, 4, 4, 8, 1, 0, 0, 0, 1, 0, N, 1, 0, DS, 0 },
	{ "cmp ecx,[rax]", 8, B(0x3b, 0x08), INSN_ALU, ALU_CMP, 4, 4, 8, 1, 0, 1, 0, 1, 0, N, 1, 0, DS, 0 },
	{ "lock or [rax],rdx", 8, B(0xf0, 0x48, 0x09, 0x10), INSN_ALU, ALU_OR, 8, 8, 8, 1, 1, 0, 0, 2, 0, N, 1, 0, DS, 0 },
	{ "adc byte [rax],7", 8, B(0x80, 0x10, 0x07), INSN_ALU, ALU_ADC, 1, 1, 8, 1, 1, 0, 0, N, 0, N, 1, 0, DS, 7 },
	{ "and dword [rax],imm32", 8, B(0x81, 0x20, 0, 0, 0, 0x80), INSN_ALU, ALU_AND, 4, 4, 8, 1, 1, 0, 0, N, 0, N, 1, 0, DS, 0xffffffff80000000ULL },
	{ "sub qword [rax],-3", 8, B(0x48, 0x83, 0x28, 0xfd), INSN_ALU, ALU_SUB, 8, 8, 8, 1, 1, 0, 0, N, 0, N, 1, 0, DS, -3ULL },
	{ "cmp word [rax],5", 8, B(0x66, 0x83, 0x38, 0x05), INSN_ALU, ALU_CMP, 2, 2, 8, 1, 0, 0, 0, N, 0, N, 1, 0, DS, 5 },
	{ "test [rax],ecx", 8, B(0x85, 0x08), INSN_ALU, ALU_TEST, 4, 4, 8, 1, 0, 0, 0, 1, 0, N, 1, 0, DS, 0 },
	{ "test byte [rax],0x80", 8, B(0xf6, 0x00, 0x80), INSN_ALU, ALU_TEST, 1, 1, 8, 1, 0, 0, 0, N, 0, N, 1, 0, DS, -0x80ULL },
	{ "xchg [rax],ecx", 8, B(0x87, 0x08), INSN_XCHG, 0, 4, 4, 8, 1, 1, 1, 0, 1, 0, N, 1, 0, DS, 0 },
	{ "bt [rax],ecx", 8, B(0x0f, 0xa3, 0x08), INSN_BT, ALU_BT, 4, 4, 8, 1, 0, 0, 0, 1, 0, N, 1, 0, DS, 0 },
	{ "bts [rax],rcx", 8, B(0x48, 0x0f, 0xab, 0x08), INSN_BT, ALU_BTS, 8, 8, 8, 1, 1, 0, 0, 1, 0, N, 1, 0, DS, 0 },
	{ "btr dword [rax],31", 8, B(0x0f, 0xba, 0x30, 0x1f), INSN_BT, ALU_BTR, 4, 4, 8, 1, 1, 0, 0, N, 0, N, 1, 0, DS, 31 },
	{ "btc word [rax],200", 8, B(0x66, 0x0f, 0xba, 0x38, 0xc8), INSN_BT, ALU_BTC, 2, 2, 8, 1, 1, 0, 0, N, 0, N, 1, 0, DS, 200 },
	{ "movsb", 8, B(0xa4), INSN_MOVS, 0, 1, 1, 8, 1, 1, 0, 0, 0, N, N, 1, 0, DS, 0 },
	{ "rep movsb as F2 (as the CPU)", 8, B(0xf2, 0xa4), INSN_MOVS, 0, 1, 1, 8, 1, 1, 0, 1, 0, N, N, 1, 0, DS, 0 },
	{ "rep stosd as F2", 8, B(0xf2, 0xab), INSN_STOS, 0, 4, 4, 8, 0, 1, 0, 1, 0, N, N, 1, 0, ES, 0 },
	{ "rep lodsb as F2", 8, B(0xf2, 0xac), INSN_LODS, 0, 1, 1, 8, 1, 0, 1, 1, 0, N, N, 1, 0, DS, 0 },
	{ "inc dword [rax]", 8, B(0xff, 0x00), INSN_ALU, ALU_INC, 4, 4, 8, 1, 1, 0, 0, N, 0, N, 1, 0, DS, 0 },
	{ "xadd [rax],ecx", 8, B(0x0f, 0xc1, 0x08), INSN_XADD, ALU_ADD, 4, 4, 8, 1, 1, 0, 0, 1, 0, N, 1, 0, DS, 0 },
	{ "lock xadd [rsi+1],bh", 8, B(0xf0, 0x0f, 0xc0, 0x7e, 0x01), INSN_XADD, ALU_ADD, 1, 1, 8, 1, 1, 0, 0, AH + 3, 6, N, 1, 1, DS, 0 },
	{ "lock cmpxchg [rbx],dl", 8, B(0xf0, 0x0f, 0xb0, 0x13), INSN_CMPXCHG, ALU_CMP, 1, 1, 8, 1, 1, 0, 0, 2, 3, N, 1, 0, DS, 0 },
	{ "cmpxchg [rdi],r9", 8, B(0x4c, 0x0f, 0xb1, 0x0f), INSN_CMPXCHG, ALU_CMP, 8, 8, 8, 1, 1, 0, 0, 9, 7, N, 1, 0, DS, 0 },
	{ "lock dec byte [rbx+8]", 8, B(0xf0, 0xfe, 0x4b, 0x08), INSN_ALU, ALU_DEC, 1, 1, 8, 1, 1, 0, 0, N, 3, N, 1, 8, DS, 0 },
	{ "inc qword [r8]", 8, B(0x49, 0xff, 0x00), INSN_ALU, ALU_INC, 8, 8, 8, 1, 1, 0, 0, N, 8, N, 1, 0, DS, 0 },
	{ "dec word [bp] (16)", 2, B(0xff, 0x4e, 0x00), INSN_ALU, ALU_DEC, 2, 2, 2, 1, 1, 0, 0, N, 5, N, 1, 0, SS, 0 },
	{ "neg dword [rax]", 8, B(0xf7, 0x18), INSN_ALU, ALU_NEG, 4, 4, 8, 1, 1, 0, 0, N, 0, N, 1, 0, DS, 0 },
	{ "not byte [rcx]", 8, B(0xf6, 0x11), INSN_ALU, ALU_NOT, 1, 1, 8, 1, 1, 0, 0, N, 1, N, 1, 0, DS, 0 },
	{ "lock neg qword [rdx-4]", 8, B(0xf0, 0x48, 0xf7, 0x5a, 0xfc), INSN_ALU, ALU_NEG, 8, 8, 8, 1, 1, 0, 0, N, 2, N, 1, -4, DS, 0 },
	{ "test byte [rax],0x81", 8, B(0xf6, 0x00, 0x81), INSN_ALU, ALU_TEST, 1, 1, 8, 1, 0, 0, 0, N, 0, N, 1, 0, DS, -127 },
	{ "rep movsd fs:", 8, B(0x64, 0xf3, 0xa5), INSN_MOVS, 0, 4, 4, 8, 1, 1, 0, 1, 0, N, N, 1, 0, FS, 0 },
	{ "rep stosq", 8, B(0xf3, 0x48, 0xab), INSN_STOS, 0, 8, 8, 8, 0, 1, 0, 1, 0, N, N, 1, 0, ES, 0 },
	{ "stosw (16)", 2, B(0xab), INSN_STOS, 0, 2, 2, 2, 0, 1, 0, 0, 0, N, N, 1, 0, ES, 0 },
	{ "rep stosb fs: (ES all the same)", 8, B(0x64, 0xf3, 0xaa), INSN_STOS, 0, 1, 1, 8, 0, 1, 0, 1, 0, N, N, 1, 0, ES, 0 },
	{ "lodsb", 8, B(0xac), INSN_LODS, 0, 1, 1, 8, 1, 0, 1, 0, 0, N, N, 1, 0, DS, 0 },
	{ "lodsw (64, 66)", 8, B(0x66, 0xad), INSN_LODS, 0, 2, 2, 8, 1, 0, 1, 0, 0, N, N, 1, 0, DS, 0 },
	{ "lodsd (64)", 8, B(0xad), INSN_LODS, 0, 4, 4, 8, 1, 0, 1, 0, 0, N, N, 1, 0, DS, 0 },
	{ "rep lodsq gs:", 8, B(0x65, 0xf3, 0x48, 0xad), INSN_LODS, 0, 8, 8, 8, 1, 0, 1, 1, 0, N, N, 1, 0, GS, 0 },
	{ "lodsw es: (16, 67)", 2, B(0x26, 0x67, 0xad), INSN_LODS, 0, 2, 2, 4, 1, 0, 1, 0, 0, N, N, 1, 0, ES, 0 },
	{ "lodsd (16, 66)", 2, B(0x66, 0xad), INSN_LODS, 0, 4, 4, 2, 1, 0, 1, 0, 0, N, N, 1, 0, DS, 0 },
	{ "scasb", 8, B(0xae), INSN_SCAS, ALU_CMP, 1, 1, 8, 1, 0, 0, 0, 0, N, N, 1, 0, ES, 0 },
	{ "repe scasd (32)", 4, B(0xf3, 0xaf), INSN_SCAS, ALU_CMP, 4, 4, 4, 1, 0, 0, 1, 0, N, N, 1, 0, ES, 0 },
	{ "repne scasq fs: (ES all the same)", 8, B(0x64, 0xf2, 0x48, 0xaf), INSN_SCAS, ALU_CMP, 8, 8, 8, 1, 0, 0, 2, 0, N, N, 1, 0, ES, 0 },
	{ "repne scasw (16)", 2, B(0xf2, 0xaf), INSN_SCAS, ALU_CMP, 2, 2, 2, 1, 0, 0, 2, 0, N, N, 1, 0, ES, 0 },
	{ "cmpsb", 8, B(0xa6), INSN_CMPS, ALU_CMP, 1, 1, 8, 1, 0, 0, 0, 0, N, N, 1, 0, DS, 0 },
	{ "repe cmpsq", 8, B(0xf3, 0x48, 0xa7), INSN_CMPS, ALU_CMP, 8, 8, 8, 1, 0, 0, 1, 0, N, N, 1, 0, DS, 0 },
	{ "repne cmpsw cs: (32, 66)", 4, B(0x2e, 0x66, 0xf2, 0xa7), INSN_CMPS, ALU_CMP, 2, 2, 4, 1, 0, 0, 2, 0, N, N, 1, 0, CS, 0 },
	{ "repe cmpsd (64, 67)", 8, B(0x67, 0xf3, 0xa7), INSN_CMPS, ALU_CMP, 4, 4, 4, 1, 0, 0, 1, 0, N, N, 1, 0, DS, 0 },
	{ "repe cmpsb (16, F2 then F3: the last)", 2, B(0xf2, 0xf3, 0xa6), INSN_CMPS, ALU_CMP, 1, 1, 2, 1, 0, 0, 1, 0, N, N, 1, 0, DS, 0 },
	{ "repne cmpsb (F3 then F2: the last)", 8, B(0xf3, 0xf2, 0xa6), INSN_CMPS, ALU_CMP, 1, 1, 8, 1, 0, 0, 2, 0, N, N, 1, 0, DS, 0 },
	{ "repne cmpsb ss: rex (64)", 8, B(0x36, 0xf2, 0x41, 0xa6), INSN_CMPS, ALU_CMP, 1, 1, 8, 1, 0, 0, 2, 0, N, N, 1, 0, DS, 0 },
	{ "insb", 8, B(0x6c), INSN_INS, 0, 1, 1, 8, 0, 1, 0, 0, 0, N, N, 1, 0, ES, 0 },
	{ "rep insd fs: (ES all the same)", 8, B(0x64, 0xf3, 0x6d), INSN_INS, 0, 4, 4, 8, 0, 1, 0, 1, 0, N, N, 1, 0, ES, 0 },
	{ "rep insw (16, 67)", 2, B(0x67, 0xf3, 0x6d), INSN_INS, 0, 2, 2, 4, 0, 1, 0, 1, 0, N, N, 1, 0, ES, 0 },
	{ "outsd rex.w (still 32-bit)", 8, B(0x48, 0x6f), INSN_OUTS, 0, 4, 4, 8, 1, 0, 0, 0, 0, N, N, 1, 0, DS, 0 },
	{ "repne outsb gs: (F2 repeats)", 8, B(0x65, 0xf2, 0x6e), INSN_OUTS, 0, 1, 1, 8, 1, 0, 0, 1, 0, N, N, 1, 0, GS, 0 },
	{ "outsw (32, 66)", 4, B(0x66, 0x6f), INSN_OUTS, 0, 2, 2, 4, 1, 0, 0, 0, 0, N, N, 1, 0, DS, 0 },
	{ "clts", 8, B(0x0f, 0x06), INSN_CLTS, 0, 8, 8, 8, 0, 0, 0, 0, N, N, N, 1, 0, 0, 0 },
	{ "mov cr4,rax", 8, B(0x0f, 0x22, 0xe0), INSN_MOV_CR, 0, 8, 8, 8, 0, 0, 0, 0, 0, N, N, 1, 0, 0, 0 },
	{ "mov cr0,r9 (mod ignored)", 8, B(0x41, 0x0f, 0x22, 0x01), INSN_MOV_CR, 0, 8, 8, 8, 0, 0, 0, 0, 9, N, N, 1, 0, 0, 0 },
	{ "mov cr8,rcx", 8, B(0x44, 0x0f, 0x22, 0xc1), INSN_MOV_CR, 0, 8, 8, 8, 0, 0, 0, 0, 1, N, N, 1, 0, 0, 0 },
	{ "mov cr3,ebx (32)", 4, B(0x0f, 0x22, 0xdb), INSN_MOV_CR, 0, 4, 4, 4, 0, 0, 0, 0, 3, N, N, 1, 0, 0, 0 },
	{ "mov rdx,cr0", 8, B(0x0f, 0x20, 0xc2), INSN_MOV_FROM_CR, 0, 8, 8, 8, 0, 0, 0, 0, 2, N, N, 1, 0, 0, 0 },
	{ "lmsw ax (16)", 2, B(0x0f, 0x01, 0xf0), INSN_LMSW, 0, 2, 2, 2, 0, 0, 0, 0, 0, N, N, 1, 0, 0, 0 },
	{ "lmsw [bx+si] (16)", 2, B(0x0f, 0x01, 0x30), INSN_LMSW, 0, 2, 2, 2, 1, 0, 0, 0, N, 3, 6, 1, 0, DS, 0 },
	{ "lmsw [rsp+8]", 8, B(0x0f, 0x01, 0x74, 0x24, 0x08), INSN_LMSW, 0, 2, 2, 8, 1, 0, 0, 0, N, 4, N, 1, 8, SS, 0 },
	{ "smsw [rax]", 8, B(0x0f, 0x01, 0x20), INSN_SMSW, 0, 2, 2, 8, 0, 1, 0, 0, N, 0, N, 1, 0, DS, 0 },
	{ "smsw eax", 8, B(0x0f, 0x01, 0xe0), INSN_SMSW, 0, 4, 4, 8, 0, 0, 0, 0, 0, N, N, 1, 0, 0, 0 },
	{ "smsw r9w", 8, B(0x66, 0x41, 0x0f, 0x01, 0xe1), INSN_SMSW, 0, 2, 2, 8, 0, 0, 0, 0, 9, N, N, 1, 0, 0, 0 },
	{ "shl dword [rax],cl", 8, B(0xd3, 0x20), INSN_ALU, ALU_SHL, 4, 4, 8, 1, 1, 0, 0, 1, 0, N, 1, 0, DS, 0 },
	{ "sar byte [rbx],5", 8, B(0xc0, 0x3b, 0x05), INSN_ALU, ALU_SAR, 1, 1, 8, 1, 1, 0, 0, N, 3, N, 1, 0, DS, 5 },
	{ "rol word [rax],1", 8, B(0x66, 0xd1, 0x00), INSN_ALU, ALU_ROL, 2, 2, 8, 1, 1, 0, 0, N, 0, N, 1, 0, DS, 1 },
	{ "rcr qword [rax],3", 8, B(0x48, 0xc1, 0x18, 0x03), INSN_ALU, ALU_RCR, 8, 8, 8, 1, 1, 0, 0, N, 0, N, 1, 0, DS, 3 },
	{ "imul ecx,[rax],-2", 8, B(0x6b, 0x08, 0xfe), INSN_ALU, ALU_IMUL, 4, 4, 8, 1, 0, 1, 0, 1, 0, N, 1, 0, DS, (u64)-2 },
	{ "imul dx,[rip+4],0x1234", 8, B(0x66, 0x69, 0x15, 4, 0, 0, 0, 0x34, 0x12), INSN_ALU, ALU_IMUL, 2, 2, 8, 1, 0, 1, 0, 2, RIP, N, 1, 4, DS, 0x1234 },
	{ "imul rcx,[rax]", 8, B(0x48, 0x0f, 0xaf, 0x08), INSN_ALU, ALU_IMUL, 8, 8, 8, 1, 0, 1, 0, 1, 0, N, 1, 0, DS, 0 },
	{ "bsr ax,[rsi]", 8, B(0x66, 0x0f, 0xbd, 0x06), INSN_ALU, ALU_BSR, 2, 2, 8, 1, 0, 1, 0, 0, 6, N, 1, 0, DS, 0 },
	{ "bsf ebx,[rax]", 8, B(0x0f, 0xbc, 0x18), INSN_ALU, ALU_BSF, 4, 4, 8, 1, 0, 1, 0, 3, 0, N, 1, 0, DS, 0 },
	{ "cmovne edx,[rax]", 8, B(0x0f, 0x45, 0x10), INSN_CMOV, 5, 4, 4, 8, 1, 0, 1, 0, 2, 0, N, 1, 0, DS, 0 },
	{ "setb [rax]", 8, B(0x0f, 0x92, 0x00), INSN_SETCC, 2, 1, 1, 8, 0, 1, 0, 0, N, 0, N, 1, 0, DS, 0 },
	{ "div qword [rcx]", 8, B(0x48, 0xf7, 0x31), INSN_MULDIV, 6, 8, 8, 8, 1, 0, 0, 0, N, 1, N, 1, 0, DS, 0 },
	{ "mul byte [rax]", 8, B(0xf6, 0x20), INSN_MULDIV, 4, 1, 1, 8, 1, 0, 0, 0, N, 0, N, 1, 0, DS, 0 },
	{ "clflush [rax]", 8, B(0x0f, 0xae, 0x38), INSN_CLFLUSH, 0, 4, 4, 8, 0, 0, 0, 0, N, 0, N, 1, 0, DS, 0 },
	{ "shld [rax],ecx,5", 8, B(0x0f, 0xa4, 0x08, 0x05), INSN_SHXD, ALU_SHL, 4, 4, 8, 1, 1, 0, 0, 1, 0, N, 1, 0, DS, 5 },
	{ "shrd [rbx],rdx,cl", 8, B(0x48, 0x0f, 0xad, 0x13), INSN_SHXD, ALU_SHR, 8, 8, 8, 1, 1, 0, 0, 2, 3, N, 1, 0, DS, 0 },
	{ "push qword [rax]", 8, B(0xff, 0x30), INSN_PUSH, 0, 8, 8, 8, 1, 1, 0, 0, N, 0, N, 1, 0, DS, 0 },
	{ "push r9", 8, B(0x41, 0x51), INSN_PUSH, 0, 8, 8, 8, 0, 1, 0, 0, 9, N, N, 1, 0, SS, 0 },
	{ "push -7", 8, B(0x6a, 0xf9), INSN_PUSH, 0, 8, 8, 8, 0, 1, 0, 0, N, N, N, 1, 0, SS, (u64)-7 },
	{ "push 0x12345678 (16)", 8, B(0x66, 0x68, 0x78, 0x56), INSN_PUSH, 0, 2, 2, 8, 0, 1, 0, 0, N, N, N, 1, 0, SS, 0x5678 },
	{ "pop rcx", 8, B(0x59), INSN_POP, 0, 8, 8, 8, 1, 0, 1, 0, 1, N, N, 1, 0, SS, 0 },
	{ "pop qword [rsp+8]", 8, B(0x8f, 0x44, 0x24, 0x08), INSN_POP, 0, 8, 8, 8, 1, 1, 0, 0, N, 4, N, 1, 8, SS, 0 },
	{ "movups xmm1,[rax]", 8, B(0x0f, 0x10, 0x08), INSN_SSE, 0, 16, 16, 8, 1, 0, 1, 0, 1, 0, N, 1, 0, DS, 0 },
	{ "movdqu [rax],xmm9", 8, B(0xf3, 0x44, 0x0f, 0x7f, 0x08), INSN_SSE, 0, 16, 16, 8, 0, 1, 0, 0, 9, 0, N, 1, 0, DS, 0 },
	{ "movapd xmm0,[rbx]", 8, B(0x66, 0x0f, 0x28, 0x03), INSN_SSE, 0, 16, 16, 8, 1, 0, 1, 0, 0, 3, N, 1, 0, DS, 0 },
	{ "movdqa [esi],xmm2 (32)", 4, B(0x66, 0x0f, 0x7f, 0x16), INSN_SSE, 0, 16, 16, 4, 0, 1, 0, 0, 2, 6, N, 1, 0, DS, 0 },
};

static void test_forms(void)
{
	/* The control registers of the MOV to CR forms, in their order. */
	static const u8 crs[] = { 4, 0, 8, 3 };
	unsigned int i, n, first_cr = 0;
	char what[128];

	while (forms[first_cr].op != INSN_MOV_CR)
		first_cr++;

	for (i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		const struct want *w = &forms[i];
		struct insn in;
		int r = insn_decode(&in, w->b, w->n, w->mode), ok;

		ok = !r && in.len == w->n && in.op == w->op && in.alu == w->alu &&
		     in.size == w->size && in.reg_size == w->reg_size &&
		     in.addr_size == w->addr_size && in.mem_read == w->rd &&
		     in.mem_write == w->wr && in.reg_dst == w->reg_dst &&
		     in.rep == (w->rep != 0) && in.repne == (w->rep == 2) &&
		     in.reg == w->reg && in.base == w->base &&
		     in.index == w->index && in.scale == w->scale &&
		     in.disp == w->disp && in.seg == w->seg && in.imm == w->imm &&
		     (w->op != INSN_MOV_CR || in.cr == crs[i - first_cr]) &&
		     (w->op != INSN_MOV_FROM_CR || in.cr == 0) &&
		     !memcmp(in.bytes, w->b, w->n);
		snprintf(what, sizeof(what), "decode %s", w->name);
		check(ok, what);
		/* Every shorter input asks for more bytes. */
		for (ok = 1, n = 0; n < w->n; n++)
			ok &= insn_decode(&in, w->b, n, w->mode) == -EFAULT;
		snprintf(what, sizeof(what), "truncated %s: -EFAULT", w->name);
		check(ok, what);
	}
}

static const struct want refused[] = {
	{ "mov eax,ecx (no memory)", 8, B(0x89, 0xc8) },
	{ "movss xmm0,[rax] (F3 0F 10)", 8, B(0xf3, 0x0f, 0x10, 0x00) },
	{ "movsd xmm0,[rax] (F2 0F 10)", 8, B(0xf2, 0x0f, 0x10, 0x00) },
	{ "66 F3 0F 6F", 8, B(0x66, 0xf3, 0x0f, 0x6f, 0x00) },
	{ "lock movups [rax],xmm0", 8, B(0xf0, 0x0f, 0x11, 0x00) },
	{ "movq mm0,[rax]", 8, B(0x0f, 0x6f, 0x00) },
	{ "call [rax] (FF /2)", 8, B(0xff, 0x10) },
	{ "push dword [eax] (32: FF /6)", 4, B(0xff, 0x30) },
	{ "push eax (32)", 4, B(0x50) },
	{ "lock push qword [rax]", 8, B(0xf0, 0xff, 0x30) },
	{ "pop [rax] as 8F /1", 8, B(0x8f, 0x08) },
	{ "tzcnt eax,[rax] (F3 0F BC)", 8, B(0xf3, 0x0f, 0xbc, 0x00) },
	{ "lock shl dword [rax],1", 8, B(0xf0, 0xd1, 0x20) },
	{ "lock setb [rax]", 8, B(0xf0, 0x0f, 0x92, 0x00) },
	{ "lock div dword [rax]", 8, B(0xf0, 0xf7, 0x30) },
	{ "fxsave [rax] (0F AE /0)", 8, B(0x0f, 0xae, 0x00) },
	{ "test dword [rax] as F7 /1", 8, B(0xf7, 0x08, 0, 0, 0, 0) },
	{ "lock test [rax],1", 8, B(0xf0, 0xf6, 0x00, 0x01) },
	{ "lock mov [rax],ecx", 8, B(0xf0, 0x89, 0x08) },
	{ "lock cmp [rax],ecx", 8, B(0xf0, 0x39, 0x08) },
	{ "lock add ecx,[rax]", 8, B(0xf0, 0x03, 0x08) },
	{ "rep mov [rax],ecx", 8, B(0xf3, 0x89, 0x08) },
	{ "movsxd without REX.W", 8, B(0x63, 0x00) },
	{ "bt [rax],0 as /3", 8, B(0x0f, 0xba, 0x18, 0x00) },
	{ "mov /1 imm", 8, B(0xc7, 0x08, 0, 0, 0, 0) },
	{ "inc eax (32: 40 is not REX)", 4, B(0x40, 0x8b, 0x00) },
	{ "lock lodsb", 8, B(0xf0, 0xac) },
	{ "lock repe cmpsb", 8, B(0xf0, 0xf3, 0xa6) },
	{ "lock scasd", 8, B(0xf0, 0xaf) },
	{ "lock mov cr0,rax (AMD's CR8)", 8, B(0xf0, 0x0f, 0x22, 0xc0) },
	{ "sgdt [rax] (0F 01 /0)", 8, B(0x0f, 0x01, 0x00) },
	{ "rep clts", 8, B(0xf3, 0x0f, 0x06) },
	{ "15 prefixes", 8, B(0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
			      0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x89) },
};

static void test_refused(void)
{
	char what[128];
	unsigned int i;

	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		struct insn in;

		snprintf(what, sizeof(what), "refuse %s", refused[i].name);
		check(insn_decode(&in, refused[i].b, refused[i].n, refused[i].mode) == -EINVAL,
		      what);
	}
}

/* --- insn_alu() against this CPU, run here by separate code --- */

#define STATUS 0x8d5ULL

#define REF(op, sfx, type)						\
	asm("lea -128(%%rsp), %%rsp; pushq %[f]; popfq\n\t"		\
	    op sfx " %[s], %[d]\n\t"					\
	    "pushfq; popq %[f]; lea 128(%%rsp), %%rsp"			\
	    : [d] "+q" (d##type), [f] "+r" (f) : [s] "q" ((type)s) : "cc")

#define REF_ALL(op)							\
	do {								\
		if (size == 1) REF(op, "b", u8);			\
		else if (size == 2) REF(op, "w", u16);			\
		else if (size == 4) REF(op, "l", u32);			\
		else REF(op, "q", u64);					\
	} while (0)

#define REF1(op, sfx, type)						\
	asm("lea -128(%%rsp), %%rsp; pushq %[f]; popfq\n\t"		\
	    op sfx " %[d]\n\t"						\
	    "pushfq; popq %[f]; lea 128(%%rsp), %%rsp"			\
	    : [d] "+q" (d##type), [f] "+r" (f) : : "cc")

#define REF1_ALL(op)							\
	do {								\
		if (size == 1) REF1(op, "b", u8);			\
		else if (size == 2) REF1(op, "w", u16);			\
		else if (size == 4) REF1(op, "l", u32);			\
		else REF1(op, "q", u64);				\
	} while (0)

#define REFC(op, sfx, type)						\
	asm("lea -128(%%rsp), %%rsp; pushq %[f]; popfq\n\t"		\
	    op sfx " %%cl, %[d]\n\t"					\
	    "pushfq; popq %[f]; lea 128(%%rsp), %%rsp"			\
	    : [d] "+q" (d##type), [f] "+r" (f) : "c" ((u8)s) : "cc")

#define REFC_ALL(op)							\
	do {								\
		if (size == 1) REFC(op, "b", u8);			\
		else if (size == 2) REFC(op, "w", u16);			\
		else if (size == 4) REFC(op, "l", u32);			\
		else REFC(op, "q", u64);				\
	} while (0)

#define REFW_ALL(op)							\
	do {								\
		if (size == 2) REF(op, "w", u16);			\
		else if (size == 4) REF(op, "l", u32);			\
		else REF(op, "q", u64);					\
	} while (0)

static u64 ref(unsigned int alu, unsigned int size, u64 d, u64 s, u64 *flags)
{
	u8 du8 = d;
	u16 du16 = d;
	u32 du32 = d;
	u64 du64 = d, f = (*flags & STATUS) | 0x2, r;

	switch (alu) {
	case ALU_ADD: REF_ALL("add"); break;
	case ALU_OR: REF_ALL("or"); break;
	case ALU_ADC: REF_ALL("adc"); break;
	case ALU_SBB: REF_ALL("sbb"); break;
	case ALU_AND: REF_ALL("and"); break;
	case ALU_SUB: REF_ALL("sub"); break;
	case ALU_XOR: REF_ALL("xor"); break;
	case ALU_CMP: REF_ALL("cmp"); break;
	case ALU_TEST: REF_ALL("test"); break;
	case ALU_INC: REF1_ALL("inc"); break;
	case ALU_DEC: REF1_ALL("dec"); break;
	case ALU_NOT: REF1_ALL("not"); break;
	case ALU_NEG: REF1_ALL("neg"); break;
	case ALU_ROL: REFC_ALL("rol"); break;
	case ALU_ROR: REFC_ALL("ror"); break;
	case ALU_RCL: REFC_ALL("rcl"); break;
	case ALU_RCR: REFC_ALL("rcr"); break;
	case ALU_SHL: case ALU_SAL: REFC_ALL("shl"); break;
	case ALU_SHR: REFC_ALL("shr"); break;
	case ALU_SAR: REFC_ALL("sar"); break;
	case ALU_BSF: REFW_ALL("bsf"); break;
	case ALU_BSR: REFW_ALL("bsr"); break;
	case ALU_IMUL: REFW_ALL("imul"); break;
	}
	r = size == 1 ? du8 : size == 2 ? du16 : size == 4 ? du32 : du64;
	*flags = f & STATUS;
	return alu == ALU_CMP || alu == ALU_TEST ? d : (d & ~(size == 8 ? ~0ULL : (1ULL << size * 8) - 1)) | r;
}

/* MUL IMUL DIV IDIV against this CPU; its #DE (SIGFPE) is the reference for -1. */
static sigjmp_buf de_jmp;

static void on_fpe(int sig)
{
	siglongjmp(de_jmp, 1);
}

#define REFMD(op, sfx, type)						\
	asm volatile("lea -128(%%rsp), %%rsp; pushq %[f]; popfq\n\t"	\
		     op sfx " %[s]\n\t"					\
		     "pushfq; popq %[f]; lea 128(%%rsp), %%rsp"		\
		     : "+a" (a), "+d" (d), [f] "+r" (f) : [s] "q" ((type)s) : "cc")

static int ref_muldiv(unsigned int op, unsigned int size, u64 s, u64 *ra, u64 *rd, u64 *flags)
{
	volatile u64 a = *ra, d = *rd, f = (*flags & STATUS) | 0x2;

	if (sigsetjmp(de_jmp, 1))
		return -1;
#define REFMD_ALL(op)							\
	do {								\
		u64 a_ = a, d_ = d, f_ = f;				\
		{							\
			u64 a = a_, d = d_, f = f_;			\
			if (size == 1) REFMD(op, "b", u8);		\
			else if (size == 2) REFMD(op, "w", u16);	\
			else if (size == 4) REFMD(op, "l", u32);	\
			else REFMD(op, "q", u64);			\
			a_ = a; d_ = d; f_ = f;				\
		}							\
		a = a_; d = d_; f = f_;					\
	} while (0)
	switch (op) {
	case 4: REFMD_ALL("mul"); break;
	case 5: REFMD_ALL("imul"); break;
	case 6: REFMD_ALL("div"); break;
	case 7: REFMD_ALL("idiv"); break;
	}
	*ra = a;
	*rd = d;
	*flags = f & STATUS;
	return 0;
}

static void test_muldiv(const u64 *vals, unsigned int nvals)
{
	unsigned int op, size, i, j, k, bad = 0, faults = 0;
	char what[96];

	signal(SIGFPE, on_fpe);
	for (op = 4; op <= 7; op++) {
		for (size = 1; size <= 8; size *= 2)
			for (i = 0; i < nvals; i++)		/* rAX */
				for (j = 0; j < nvals; j += 3)	/* rDX */
					for (k = 0; k < nvals; k++) {	/* the operand */
						u64 a1 = vals[i], d1 = vals[j], f1 = 0;
						u64 a2 = a1, d2 = d1, f2 = 0;
						int r1 = insn_muldiv(op, size, vals[k], &a1, &d1, &f1);
						int r2 = ref_muldiv(op, size, vals[k], &a2, &d2, &f2);

						faults += r2 < 0;
						bad += r1 != r2 || (!r1 && (a1 != a2 || d1 != d2 ||
									    (f1 & STATUS) != f2));
					}
		snprintf(what, sizeof(what), "muldiv /%u: rAX, rDX, flags and #DE as the CPU's", op);
		check(!bad, what);
		bad = 0;
	}
	check(faults > 0, "muldiv: #DE cases were tried");
	signal(SIGFPE, SIG_DFL);
}

#define REFSH(op, sfx, type)						\
	do {								\
		type v = d;						\
		asm("lea -128(%%rsp), %%rsp; pushq %[f]; popfq\n\t"	\
		    op sfx " %%cl, %[s], %[d]\n\t"			\
		    "pushfq; popq %[f]; lea 128(%%rsp), %%rsp"		\
		    : [d] "+r" (v), [f] "+r" (f) : [s] "r" ((type)s), "c" (c) : "cc"); \
		r = size == 8 ? v : (d & ~((1ULL << size * 8) - 1)) | v; \
	} while (0)

/* SHLD SHRD against this CPU, every count up to 70. */
static void test_shxd(const u64 *vals, unsigned int nvals)
{
	unsigned int alu, size, i, j, bad = 0;
	u8 c;

	for (alu = ALU_SHL; alu <= ALU_SHR; alu++)
		for (size = 2; size <= 8; size *= 2)
			for (i = 0; i < nvals; i++)
				for (j = 0; j < nvals; j += 2)
					for (c = 0; c < 70; c++) {
						u64 d = vals[i], s = vals[j], f = (c & 1) | 0x2, f1 = c & 1, r;
						u64 r1 = insn_shxd(alu, size, d, s, c, &f1);

						if (alu == ALU_SHL) {
							if (size == 2) REFSH("shld", "w", u16);
							else if (size == 4) REFSH("shld", "l", u32);
							else REFSH("shld", "q", u64);
						} else {
							if (size == 2) REFSH("shrd", "w", u16);
							else if (size == 4) REFSH("shrd", "l", u32);
							else REFSH("shrd", "q", u64);
						}
						bad += r1 != r || (f1 & STATUS) != (f & STATUS);
					}
	check(!bad, "shld/shrd: results and flags as the CPU's");
}

static void test_alu(void)
{
	static const u64 vals[] = {
		0, 1, 2, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x7fffffff,
		0x80000000, 0xffffffff, 0x7fffffffffffffffULL, 0x8000000000000000ULL,
		~0ULL, 0x123456789abcdef0ULL, 0xdeadbeefcafef00dULL,
	};
	const u64 others = ~STATUS & ~0x300ULL;	/* every other bit but IF, TF */
	unsigned int alu, size, i, j, c, bad = 0, bad_bits = 0, bad_bt = 0;
	char what[96];

	for (alu = ALU_ADD; alu <= ALU_TEST; alu++) {
		for (size = 1; size <= 8; size *= 2) {
			for (i = 0; i < sizeof(vals) / 8; i++)
				for (j = 0; j < sizeof(vals) / 8; j++)
					for (c = 0; c < 2; c++) {
						u64 f1 = others | c, f2 = c;
						u64 r1 = insn_alu(alu, size, vals[i], vals[j], &f1);
						u64 r2 = ref(alu, size, vals[i], vals[j], &f2);

						bad += r1 != r2 || (f1 & STATUS) != f2;
						bad_bits += (f1 & ~STATUS) != others;
					}
		}
		snprintf(what, sizeof(what), "alu %u: results and flags as the CPU's", alu);
		check(!bad, what);
		bad = 0;
	}
	/* One operand: the source is ignored. */
	for (alu = ALU_INC; alu <= ALU_NEG; alu++) {
		for (size = 1; size <= 8; size *= 2)
			for (i = 0; i < sizeof(vals) / 8; i++)
				for (c = 0; c < 2; c++) {
					u64 f1 = others | c, f2 = c;
					u64 r1 = insn_alu(alu, size, vals[i], vals[i ^ 1], &f1);
					u64 r2 = ref(alu, size, vals[i], 0, &f2);

					bad += r1 != r2 || (f1 & STATUS) != f2;
					bad_bits += (f1 & ~STATUS) != others;
				}
		snprintf(what, sizeof(what), "alu %u: results and flags as the CPU's", alu);
		check(!bad, what);
		bad = 0;
	}
	/* Shifts and rotates: every count that matters, CF in both ways. */
	for (alu = ALU_ROL; alu <= ALU_SAR; alu++) {
		static const u64 counts[] = { 0, 1, 2, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 255 };

		for (size = 1; size <= 8; size *= 2)
			for (i = 0; i < sizeof(vals) / 8; i++)
				for (j = 0; j < sizeof(counts) / 8; j++)
					for (c = 0; c < 2; c++) {
						u64 f1 = others | c | (c ? 0x800 : 0), f2 = f1 & STATUS;
						u64 r1 = insn_alu(alu, size, vals[i], counts[j], &f1);
						u64 r2 = ref(alu, size, vals[i], counts[j], &f2);

						bad += r1 != r2 || (f1 & STATUS) != f2;
						bad_bits += (f1 & ~STATUS) != others;
					}
		snprintf(what, sizeof(what), "alu %u (shift): results and flags as the CPU's", alu);
		check(!bad, what);
		bad = 0;
	}
	/* BSF BSR IMUL: 16, 32, 64 bits. */
	for (alu = ALU_BSF; alu <= ALU_IMUL; alu++) {
		for (size = 2; size <= 8; size *= 2)
			for (i = 0; i < sizeof(vals) / 8; i++)
				for (j = 0; j < sizeof(vals) / 8; j++) {
					u64 f1 = others, f2 = 0;
					u64 r1 = insn_alu(alu, size, vals[i], vals[j], &f1);
					u64 r2 = ref(alu, size, vals[i], vals[j], &f2);

					bad += r1 != r2 || (f1 & STATUS) != f2;
					bad_bits += (f1 & ~STATUS) != others;
				}
		snprintf(what, sizeof(what), "alu %u (bsf/bsr/imul): results and flags as the CPU's", alu);
		check(!bad, what);
		bad = 0;
	}
	check(!bad_bits, "alu: RFLAGS bits other than the status flags untouched");
	test_muldiv(vals, sizeof(vals) / 8);
	test_shxd(vals, sizeof(vals) / 8);

	/* BT*: CF = the bit, modulo the operand size; the result per op. */
	for (size = 1; size <= 8; size *= 2)
		for (i = 0; i < 130; i++) {
			u64 v = 0xa5a5a5a5a5a5a5a5ULL, f = 0, bit = i % (size * 8);
			u64 m = 1ULL << bit, cf = (v >> bit) & 1;

			bad_bt += insn_alu(ALU_BT, size, v, i, &f) != v || (f & 1) != cf;
			bad_bt += insn_alu(ALU_BTS, size, v, i, &f) != (v | m) || (f & 1) != cf;
			bad_bt += insn_alu(ALU_BTR, size, v, i, &f) != (v & ~m) || (f & 1) != cf;
			bad_bt += insn_alu(ALU_BTC, size, v, i, &f) != (v ^ m) || (f & 1) != cf;
		}
	check(!bad_bt, "bt/bts/btr/btc: bit, result and CF");
}

int main(void)
{
	test_forms();
	test_refused();
	test_alu();
	printf("# insn_test: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
