// SPDX-License-Identifier: GPL-2.0
/*
 * MMIO emulation, differentially: each instruction form runs once on RAM
 * (the CPU itself) and once on a device the VMM emulates behind
 * KVMINI_EXIT_MMIO, from the same memory, registers and flags; result
 * register, status flags, rSI/rDI (as offsets) and rCX, and the memory
 * afterwards must agree. String forms (MOVS STOS LODS SCAS CMPS, with
 * REP/REPE/REPNE, DF both ways) also compare a device with RAM. Also: an
 * access straddling RAM and the device, a read-modify-write of a
 * read-only slot, PUSH/POP with the stack or the operand on the device,
 * #DE from DIV/IDIV of a device's value, and
 * instructions outside the emulated set (x87). 16-byte SSE moves are
 * two 8-byte exits, as KVM splits them.
 */
#include <sys/mman.h>

#include "kvmini_util.h"
#include "kvmini_vm.h"
#include "kselftest_harness.h"

#define DEV_GPA		0xc0000000ULL	/* no slot: the VMM's device */
#define RAM_GPA		0xbffff000ULL	/* one RAM page right below it */
#define RO_GPA		0xd0000000ULL	/* a read-only slot */
#define AREA		64		/* bytes compared after each case */
#define OFF		16		/* operands at area + OFF (BT reaches back) */

static uint8_t dev[2 * 4096];
static const uint8_t pattern[AREA] = {
	0x80, 0x7f, 0xff, 0x01, 0x00, 0x00, 0x00, 0x80, 0xf0, 0x0f, 0x55, 0xaa,
	0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, 0xff, 0xff, 0xff, 0x7f,
	0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0xfe, 0xdc, 0xba, 0x98,
	0x76, 0x54, 0x32, 0x10, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
	0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0xa5, 0x5a, 0xc3, 0x3c,
	0x00, 0xff, 0x00, 0xff,
};

/* Guest side. */
uint8_t ram[AREA] __attribute__((aligned(64)));
uint8_t ram2[AREA] __attribute__((aligned(64)));	/* the pattern, RAM in both runs */

struct out {
	uint64_t r, f, si, di, cx;	/* si, di: offsets from p */
};

/*
 * A register pointing into [q] made an offset from p, as the harness
 * takes it; the flags kept.
 */
#define Q2P(reg) "; pushfq; sub %[q], %%" reg "; add %[p], %%" reg "; popfq"

/*
 * Instruction forms on [p] (RDX; [q] is RAM, with the pattern too); %[r]
 * is RBX (so %h is BH), r0 its input. RSI and RDI start at p, RCX at 0.
 */
#define FORMS(X)							\
	X("movb (%[p]), %b[r]", 0) X("movb 1(%[p]), %h[r]", 0)		\
	X("movw 2(%[p]), %w[r]", 0) X("movl 4(%[p]), %k[r]", 0)		\
	X("movq 8(%[p]), %q[r]", 0) X("movb %h[r], 1(%[p])", 0)		\
	X("movw %w[r], 2(%[p])", 0) X("movl %k[r], 4(%[p])", 0)		\
	X("movq %q[r], -8(%[p])", 0) X("movb $0x5a, 3(%[p])", 0)	\
	X("movw $0x1234, 6(%[p])", 0) X("movl $0x89abcdef, 12(%[p])", 0) \
	X("movq $-3, 16(%[p])", 0) X("movzbl 1(%[p]), %k[r]", 0)	\
	X("movzwq 2(%[p]), %q[r]", 0) X("movsbq 3(%[p]), %q[r]", 0)	\
	X("movswl 6(%[p]), %k[r]", 0) X("movslq 12(%[p]), %q[r]", 0)	\
	X("movnti %k[r], 20(%[p])", 0)					\
	X("movq %q[r], %%r9; movl %%r9d, 24(%[p]); movq 8(%[p]), %%r9; movq %%r9, %q[r]", 0) \
	X("movq $2, %%r10; movl 4(%[p],%%r10,4), %k[r]", 0)		\
	X("xchgl %k[r], 4(%[p])", 0) X("xchgb %h[r], 1(%[p])", 0)	\
	X("testl %k[r], 4(%[p])", 0) X("testb $0x80, 3(%[p])", 0)	\
	X("btl $5, 4(%[p])", 0) X("btsq $63, 8(%[p])", 0)		\
	X("btrw $3, 2(%[p])", 0) X("btcl $31, 12(%[p])", 0)		\
	X("btl %k[r], (%[p])", 70) X("btsq %q[r], (%[p])", 100)		\
	X("btrl %k[r], 8(%[p])", -5) X("btcw %w[r], (%[p])", 17)	\
	X("lea (%[p]), %%rsi; lea 32(%[p]), %%rdi; mov $5, %%ecx; rep movsb", 0) \
	X("lea 40(%[p]), %%rdi; mov %q[r], %%rax; stosq", 0)		\
	X("lea 40(%[p]), %%rdi; mov %q[r], %%rax; mov $2, %%ecx; rep stosl", 0) \
	X("std; lea 14(%[p]), %%rsi; lea 46(%[p]), %%rdi; mov $3, %%ecx; rep movsw; cld", 0) \
	X("lea (%[q]), %%rsi; lea 32(%[p]), %%rdi; mov $4, %%ecx; rep movsb" Q2P("rsi"), 0) \
	STRING(X) UNARY(X) MORE(X)					\
	ALU(add) ALU(or) ALU(adc) ALU(sbb) ALU(and) ALU(sub) ALU(xor) ALU(cmp)

/*
 * INC DEC NOT NEG (with LOCK too), on bytes that carry and overflow
 * (p[4..6] = ff, p[7] = 7f, p[0] = 80), and F2 on MOVS/STOS/LODS, which
 * repeats as F3 does (as the CPU; the assembler has no name for it).
 */
#define UNARY(X)							\
	X("incb 7(%[p])", 0) X("incw 4(%[p])", 0) X("incl 4(%[p])", 0)	\
	X("incq 8(%[p])", 0) X("decb (%[p])", 0) X("decw 2(%[p])", 0)	\
	X("decl 12(%[p])", 0) X("lock decq 8(%[p])", 0)			\
	X("notb 1(%[p])", 0) X("notw 6(%[p])", 0) X("notl 4(%[p])", 0)	\
	X("lock notq 8(%[p])", 0) X("negb (%[p])", 0) X("negb 2(%[p])", 0) \
	X("negw 6(%[p])", 0) X("negl 12(%[p])", 0) X("lock negq 16(%[p])", 0) \
	X("lock incl 40(%[p])", 0)					\
	X("xaddl %k[r], 4(%[p])", 0) X("lock xaddq %q[r], 8(%[p])", 0)	\
	X("xaddb %h[r], 1(%[p])", 0) X("xaddw %w[r], 6(%[p])", 0)	\
	/* CMPXCHG: equal (memory written), and not (rAX loaded) */	\
	X("movq 8(%[p]), %%rax; lock cmpxchgq %q[r], 8(%[p]); movq %%rax, %q[r]", 0) \
	X("movq $5, %%rax; cmpxchgq %q[r], 8(%[p]); movq %%rax, %q[r]", 0) \
	X("movabs $0x1234567800000000, %%r9; movl 4(%[p]), %%eax; orq %%r9, %%rax;" \
	  "cmpxchgl %k[r], 4(%[p]); movq %%rax, %q[r]", 0)		\
	X("movabs $0x1234567800000005, %%rax; cmpxchgl %k[r], 4(%[p]); movq %%rax, %q[r]", 0) \
	X("movb 1(%[p]), %%al; cmpxchgb %h[r], 1(%[p]); movq %%rax, %q[r]", 0) \
	X("lea (%[p]), %%rsi; lea 32(%[p]), %%rdi; mov $5, %%ecx; .byte 0xf2; movsb", 0) \
	X("lea 40(%[p]), %%rdi; mov %q[r], %%rax; mov $2, %%ecx; .byte 0xf2; stosl", 0) \
	X("mov %q[r], %%rax; lea 8(%[p]), %%rsi; mov $3, %%ecx; .byte 0xf2; lodsw;" \
	  "mov %%rax, %q[r]", 0)

/*
 * Shifts and rotates (by 1, imm8, CL; count 0 leaves the flags), SHLD and
 * SHRD, IMUL,
 * BSF/BSR (p[-12..-10] = 0: the register stays), CMOVcc and SETcc (the
 * two flag settings take either way), SMSW, CLFLUSH (a no-op), and
 * MUL/IMUL/DIV/IDIV, whose rDX is the harness's p: kept in R10 meanwhile,
 * the result folded into r as rAX + 2 * rDX (LEA and MOV keep the flags).
 */
#define MD(pre, insn) "mov %%rdx, %%r10; mov %q[r], %%rax; " pre "; " insn \
	"; lea (%%rax,%%rdx,2), %%rax; mov %%r10, %%rdx; mov %%rax, %q[r]"
#define MORE(X)								\
	X("shll $5, 4(%[p])", 0) X("sarb $3, 3(%[p])", 0) X("rolw 6(%[p])", 0) \
	X("rcrq $7, 8(%[p])", 0) X("rclb 1(%[p])", 0) X("shrl 12(%[p])", 0) \
	X("sall $31, 16(%[p])", 0) X("rorq $63, 8(%[p])", 0)		\
	X("mov $13, %%ecx; shlq %%cl, 8(%[p])", 0)			\
	X("mov $33, %%ecx; rorl %%cl, 4(%[p])", 0)			\
	X("mov $0, %%ecx; sarw %%cl, 6(%[p])", 0)			\
	X("mov $9, %%ecx; rcrb %%cl, (%[p])", 0)			\
	X("imull 4(%[p]), %k[r]", 0) X("imulq $-3, 8(%[p]), %q[r]", 0)	\
	X("imulw $0x1234, 6(%[p]), %w[r]", 0) X("imulq 16(%[p]), %q[r]", 0) \
	X("imull $100, 12(%[p]), %k[r]", 0)				\
	X("bsfl 4(%[p]), %k[r]", 0) X("bsrq 8(%[p]), %q[r]", 0)		\
	X("bsfw 2(%[p]), %w[r]", 0) X("bsfw -12(%[p]), %w[r]", 0)	\
	X("bsrw -11(%[p]), %w[r]", 0)					\
	X("cmovnel 4(%[p]), %k[r]", 0) X("cmovbq 8(%[p]), %q[r]", 0)	\
	X("cmovow 6(%[p]), %w[r]", 0) X("cmovlel 12(%[p]), %k[r]", 0)	\
	X("cmovpl 4(%[p]), %k[r]", 0)					\
	X("setz 1(%[p])", 0) X("setnbe 3(%[p])", 0) X("setl (%[p])", 0)	\
	X("setpo 2(%[p])", 0) X("smsw 4(%[p])", 0) X("clflush 8(%[p])", 0) \
	X(MD("mov $7, %%edx", "mull 4(%%r10)"), 0)			\
	X(MD("mov $7, %%edx", "mulq 8(%%r10)"), 0)			\
	X(MD("mov $7, %%edx", "imulb 3(%%r10)"), 0)			\
	X(MD("mov $7, %%edx", "imulw 2(%%r10)"), 0)			\
	X(MD("mov $3, %%edx", "divl 4(%%r10)"), 0)			\
	X(MD("mov $0, %%edx", "divq 8(%%r10)"), 0)			\
	X(MD("movq $-1, %%rdx", "idivq 8(%%r10)"), 0)			\
	X(MD("mov $0, %%edx", "divb 1(%%r10)"), 0x100)			\
	X(MD("mov $5, %%edx", "idivw 2(%%r10)"), 0)			\
	X("shldl $5, %k[r], 4(%[p])", 0) X("shrdw $3, %w[r], 6(%[p])", 0) \
	X("mov $13, %%ecx; shrdq %%cl, %q[r], 8(%[p])", 0)		\
	X("mov $40, %%ecx; shldq %%cl, %q[r], 16(%[p])", 0)		\
	SSE(X)

/* 16-byte SSE moves: loads fold both halves of XMM0 into r, stores write r twice. */
#define SSE_LD(insn) "pxor %%xmm0, %%xmm0; " insn ", %%xmm0; movq %%xmm0, %%rax; " \
	"psrldq $8, %%xmm0; movq %%xmm0, %q[r]; lea (%%rax,%q[r],2), %q[r]"
#define SSE_ST(insn) "movq %q[r], %%xmm0; punpcklqdq %%xmm0, %%xmm0; " insn
#define SSE(X)								\
	X(SSE_LD("movups 2(%[p])"), 0) X(SSE_LD("movupd 8(%[p])"), 0)	\
	X(SSE_LD("movaps 16(%[p])"), 0) X(SSE_LD("movapd (%[p])"), 0)	\
	X(SSE_LD("movdqu 5(%[p])"), 0) X(SSE_LD("movdqa 32(%[p])"), 0)	\
	X(SSE_ST("movups %%xmm0, 3(%[p])"), 0) X(SSE_ST("movupd %%xmm0, 8(%[p])"), 0) \
	X(SSE_ST("movaps %%xmm0, 16(%[p])"), 0) X(SSE_ST("movapd %%xmm0, (%[p])"), 0) \
	X(SSE_ST("movdqu %%xmm0, 7(%[p])"), 0) X(SSE_ST("movdqa %%xmm0, 32(%[p])"), 0)

/*
 * LODS, SCAS, CMPS: each size, REP/REPE/REPNE ending by the count and by
 * ZF, DF = 1, 32-bit addressing (rSI/rDI/rCX above bit 31 set), and CMPS
 * between the device and RAM both ways. Set-up after the POPF must leave
 * the flags alone (LEA, MOV). On the pattern: p[4..6] = ff,
 * p[7] = 7f, p[8..15] = 01..08, p[26] = 22.
 */
#define STRING(X)							\
	X("mov %q[r], %%rax; lea 1(%[p]), %%rsi; lodsb; mov %%rax, %q[r]", 0) \
	X("mov %q[r], %%rax; lea 2(%[p]), %%rsi; lodsw; mov %%rax, %q[r]", 0) \
	X("mov %q[r], %%rax; lea 4(%[p]), %%rsi; lodsl; mov %%rax, %q[r]", 0) \
	X("mov %q[r], %%rax; lea 8(%[p]), %%rsi; lodsq; mov %%rax, %q[r]", 0) \
	X("mov %q[r], %%rax; lea 8(%[p]), %%rsi; mov $3, %%ecx; rep lodsw; mov %%rax, %q[r]", 0) \
	X("std; mov %q[r], %%rax; lea 12(%[p]), %%rsi; mov $3, %%ecx; rep lodsl; cld; mov %%rax, %q[r]", 0) \
	X("mov %q[r], %%rax; movabs $1 << 40, %%r9; lea 1(%%rsi,%%r9), %%rsi; addr32 lodsb;" \
	  "mov %%rax, %q[r]", 0)						\
	X("mov %q[r], %%rax; lea 3(%[p]), %%rdi; scasb", 0)		\
	X("mov %q[r], %%rax; lea 2(%[p]), %%rdi; scasw", 0)		\
	X("mov %q[r], %%rax; lea 4(%[p]), %%rdi; scasl", 0x7fffffff)	\
	X("mov %q[r], %%rax; lea 8(%[p]), %%rdi; scasq", 0)		\
	X("mov %q[r], %%rax; lea 8(%[p]), %%rdi; mov $8, %%ecx; repne scasb", 5) \
	X("mov %q[r], %%rax; lea 4(%[p]), %%rdi; mov $6, %%ecx; repe scasb", 0xff) \
	X("mov %q[r], %%rax; lea 8(%[p]), %%rdi; mov $4, %%ecx; repne scasw", 0x1234) \
	X("std; mov %q[r], %%rax; lea 30(%[p]), %%rdi; mov $8, %%ecx; repne scasb; cld", 0x22) \
	X("lea (%[p]), %%rsi; lea 32(%[p]), %%rdi; cmpsb", 0)		\
	X("lea 4(%[p]), %%rsi; lea 6(%[p]), %%rdi; cmpsw", 0)		\
	X("lea 16(%[p]), %%rsi; lea 20(%[p]), %%rdi; cmpsl", 0)	\
	X("lea 24(%[p]), %%rsi; lea 32(%[p]), %%rdi; cmpsq", 0)	\
	X("lea 4(%[p]), %%rsi; lea 5(%[p]), %%rdi; mov $5, %%ecx; repe cmpsb", 0) \
	X("lea 4(%[p]), %%rsi; lea 2(%[p]), %%rdi; mov $6, %%ecx; repne cmpsb", 0) \
	X("lea 8(%[p]), %%rsi; lea 24(%[p]), %%rdi; mov $4, %%ecx; repne cmpsw", 0) \
	X("lea 8(%[p]), %%rsi; mov %%rsi, %%rdi; mov $3, %%ecx; repe cmpsq", 0) \
	X("std; lea 6(%[p]), %%rsi; lea 5(%[p]), %%rdi; mov $4, %%ecx; repe cmpsb; cld", 0) \
	X("movabs $1 << 36, %%r9; lea 4(%%rsi,%%r9), %%rsi; lea 5(%%rdi,%%r9,2), %%rdi;" \
	  "mov $5, %%ecx; lea (%%rcx,%%r9,8), %%rcx; addr32 repe cmpsb", 0)	\
	X("lea 4(%[p]), %%rsi; lea 5(%[q]), %%rdi; mov $5, %%ecx; repe cmpsb" Q2P("rdi"), 0) \
	X("lea 4(%[q]), %%rsi; lea 5(%[p]), %%rdi; mov $5, %%ecx; repe cmpsb" Q2P("rsi"), 0) \
	X("lea 8(%[q]), %%rsi; lea 8(%[p]), %%rdi; mov $2, %%ecx; repe cmpsl" Q2P("rsi"), 0)

#define ALU(op)								\
	X(#op "l %k[r], 4(%[p])", 0) X(#op "q 8(%[p]), %q[r]", 0)	\
	X(#op "b %b[r], 1(%[p])", 0) X(#op "w $-3, 2(%[p])", 0)	\
	X(#op "q $0x7fffffff, 8(%[p])", 0) X(#op "b $0x80, (%[p])", 0)	\
	X(#op "w 6(%[p]), %w[r]", 0) X(#op "b 3(%[p]), %h[r]", 0)

#define X(insn, r0) insn,
static const char *const names[] = { FORMS(X) };
#undef X

static void run_case(unsigned int i, uint8_t *p, uint8_t *q, struct out *o)
{
	unsigned int k = 0;
	uint64_t r, f, si, di, cx;

#define X(insn, r0)							\
	if (i == k++) {							\
		r = (r0) ? (uint64_t)(r0) : 0x8899aabbccddeeffULL;	\
		si = di = (uintptr_t)p;					\
		cx = 0;							\
		asm volatile("sub $128, %%rsp; pushq %[fin]; popfq\n\t"	\
			     insn "\n\tpushfq; popq %[f]; add $128, %%rsp" \
			     : [r] "+b" (r), [f] "=&r" (f), "+S" (si), "+D" (di), \
			       "+c" (cx)					\
			     : [p] "d" (p), [q] "r" (q), [fin] "r" (o->f)	\
			     : "memory", "cc", "rax", "r9", "r10", "xmm0");	\
		o->r = r;						\
		o->f = f & 0x8d5;					\
		o->si = si - (uintptr_t)p;				\
		o->di = di - (uintptr_t)p;				\
		o->cx = cx;						\
		return;							\
	}
	FORMS(X)
#undef X
}

/* Each case on RAM, then on the device (the VMM resets it at SYNC 1). */
static void guest_forms(void)
{
	uint8_t *devp = (uint8_t *)DEV_GPA;
	unsigned int i, j, fl;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		for (fl = 0; fl < 2; fl++) {
			struct out a = { .f = fl ? 0x8d5 : 0 }, b = a;

			for (j = 0; j < AREA; j++)
				ram[j] = ram2[j] = pattern[j];
			GUEST_SYNC4(1, i, 0, 0);
			run_case(i, ram + OFF, ram2 + OFF, &a);
			run_case(i, devp + OFF, ram2 + OFF, &b);
			GUEST_ASSERT_EQ(a.r, b.r);
			GUEST_ASSERT_EQ(a.f, b.f);
			GUEST_ASSERT_EQ(a.si, b.si);
			GUEST_ASSERT_EQ(a.di, b.di);
			GUEST_ASSERT_EQ(a.cx, b.cx);
			GUEST_SYNC4(2, i, 0, 0);	/* the VMM compares memory */
		}
}

/* Host side: the device, and a run loop that serves it. */
static void serve(struct __test_metadata *_metadata, struct kvmini_run *run, uint64_t base,
		  uint8_t *mem, uint64_t size)
{
	uint64_t off = run->mmio.phys_addr - base;

	ASSERT_TRUE(off < size && run->mmio.len <= 8 && off + run->mmio.len <= size)
		TH_LOG("MMIO at %#llx len %u", run->mmio.phys_addr, run->mmio.len);
	if (run->mmio.is_write)
		memcpy(mem + off, run->mmio.data, run->mmio.len);
	else
		memcpy(run->mmio.data, mem + off, run->mmio.len);
}

static struct kvmini_vm *setup(void *guest, struct kvmini_vcpu **vcpu)
{
	struct kvmini_vm *vm = vm_create_guest(guest, vcpu);

	if (vm)
		vm_map(vm, DEV_GPA, DEV_GPA, sizeof(dev));
	return vm;
}

TEST(forms)
{
	struct kvmini_vcpu *vcpu;
	struct kvmini_vm *vm = setup(guest_forms, &vcpu);
	unsigned int at = 0, exits = 0;
	struct ucall uc;

	REQUIRE_VM(vm);
	for (;;) {
		ASSERT_EQ(0, vcpu_run(vcpu));
		if (vcpu->run->exit_reason == KVMINI_EXIT_MMIO) {
			serve(_metadata, vcpu->run, DEV_GPA, dev, sizeof(dev));
			exits++;
			continue;
		}
		switch (vcpu_get_ucall(vcpu, &uc)) {
		case UCALL_SYNC:
			at = uc.args[1];
			if (uc.args[0] == 1)
				memcpy(dev, pattern, AREA);
			else
				ASSERT_EQ(0, memcmp(dev, &GUEST_VAR(vm, ram), AREA))
					TH_LOG("memory after \"%s\"", names[at]);
			continue;
		case UCALL_DONE:
			break;
		case UCALL_ASSERT:
			ASSERT_TRUE(0) TH_LOG("\"%s\": RAM %#lx, device %#lx (%s)", names[at],
					      (unsigned long)uc.args[0],
					      (unsigned long)uc.args[1], uc.expr);
			break;
		default:
			ASSERT_TRUE(0) TH_LOG("exit %s", exit_reason_str(vcpu->run->exit_reason));
		}
		break;
	}
	TH_LOG("%zu forms, twice each: %u MMIO exits", sizeof(names) / sizeof(names[0]), exits);
	vm_free(vm);
}

/* moffs: 64-bit absolute addresses. */
static void guest_moffs(void)
{
	uint64_t v;

	asm volatile("movabs 0xc0000010, %%rax" : "=a"(v));
	GUEST_SYNC(v);
	asm volatile("movabs %%al, 0xc0000021" : : "a"(0x5a));
	asm volatile("movabs %%eax, 0xc0000024" : : "a"(0xdeadbeef));
}

/* 8 bytes, 4 in the RAM page below the device and 4 in the device. */
static void guest_straddle(void)
{
	volatile uint64_t *q = (uint64_t *)(DEV_GPA - 4);

	*q = 0x1122334455667788ULL;
	GUEST_SYNC(*q);
}

/* ADD to a read-only slot: read from memory, the write exits. */
static void guest_readonly(void)
{
	asm volatile("addl $1, (%0)" : : "r"(RO_GPA) : "memory", "cc");
	GUEST_SYNC(*(volatile uint32_t *)RO_GPA);
}

/* Run to a ucall, serving MMIO; the exits seen go into @log (up to 4). */
static int run_logged(struct __test_metadata *_metadata, struct kvmini_vcpu *vcpu,
		      struct ucall *uc, struct kvmini_run *log, int *n)
{
	for (;;) {
		EXPECT_EQ(0, vcpu_run(vcpu));
		if (vcpu->run->exit_reason != KVMINI_EXIT_MMIO)
			return vcpu_get_ucall(vcpu, uc);
		if (*n < 4)
			log[*n] = *vcpu->run;
		(*n)++;
		serve(_metadata, vcpu->run, DEV_GPA, dev, sizeof(dev));
	}
}

TEST(moffs_straddle_readonly)
{
	struct kvmini_run log[4];
	struct kvmini_vcpu *vcpu;
	struct kvmini_vm *vm = setup(guest_moffs, &vcpu);
	uint32_t *ro;
	uint8_t *below;
	struct ucall uc;
	int n = 0;

	REQUIRE_VM(vm);
	memcpy(dev, pattern, AREA);
	ASSERT_EQ(UCALL_SYNC, run_logged(_metadata, vcpu, &uc, log, &n));
	EXPECT_EQ(*(uint64_t *)&pattern[16], uc.args[0]);
	ASSERT_EQ(UCALL_DONE, run_logged(_metadata, vcpu, &uc, log, &n));
	EXPECT_EQ(0x5a, dev[0x21]);
	EXPECT_EQ(0xdeadbeef, *(uint32_t *)&dev[0x24]);
	EXPECT_EQ(3, n);

	below = vm_add_mem(vm, 1, RAM_GPA, 0x1000);
	vm_map(vm, RAM_GPA, RAM_GPA, 0x1000);
	vcpu_setup_long_mode(vcpu, guest_straddle);
	n = 0;
	memset(dev, 0, 8);
	dev[4] = 0x99;
	ASSERT_EQ(UCALL_SYNC, run_logged(_metadata, vcpu, &uc, log, &n));
	ASSERT_EQ(2, n);	/* the device half only, out and back */
	EXPECT_EQ(DEV_GPA, log[0].mmio.phys_addr);
	EXPECT_EQ(4U, log[0].mmio.len);
	EXPECT_TRUE(log[0].mmio.is_write);
	EXPECT_EQ(0x11223344U, *(uint32_t *)log[0].mmio.data);
	EXPECT_EQ(4U, log[1].mmio.len);
	EXPECT_FALSE(log[1].mmio.is_write);
	EXPECT_EQ(0x55667788U, *(uint32_t *)(below + 0xffc));
	EXPECT_EQ(0x1122334455667788ULL, uc.args[0]);
	EXPECT_EQ(0x99, dev[4]);	/* never touched */

	ro = mmap(NULL, 0x1000, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ro);
	ro[0] = 41;
	ASSERT_EQ(0, vm_set_region(vm, 2, KVMINI_MEM_READONLY, RO_GPA, 0x1000, ro));
	vm_map(vm, RO_GPA, RO_GPA, 0x1000);
	vcpu_setup_long_mode(vcpu, guest_readonly);
	EXPECT_EQ(0, vcpu_run(vcpu));
	ASSERT_EQ(KVMINI_EXIT_MMIO, (int)vcpu->run->exit_reason);
	EXPECT_EQ(RO_GPA, vcpu->run->mmio.phys_addr);
	EXPECT_EQ(4U, vcpu->run->mmio.len);
	EXPECT_TRUE(vcpu->run->mmio.is_write);
	EXPECT_EQ(42U, *(uint32_t *)vcpu->run->mmio.data);
	vcpu_run_ucall(vcpu, &uc);
	EXPECT_EQ(41ULL, uc.args[0]);	/* the slot's memory did not change */
	vm_free(vm);
}

/*
 * PUSH and POP (reg, imm, memory; 16 and 64 bits; PUSH RSP, POP into
 * [RSP]) with the stack or the operand on the device, against the same
 * on RAM: registers, rSP, stack and operand memory all alike.
 */
#define ST_WORDS	16
#define OP_INIT		0xdeadbeefcafef00dULL
uint64_t st_ram[ST_WORDS] __attribute__((aligned(64))), op_ram[4];
uint64_t st_ref[ST_WORDS], op_ref[4], st_res[3][3];

static void stack_ops(uint64_t *top, uint64_t *op, uint64_t *res)
{
	uint64_t rcx, rdx, end;

	asm volatile("mov %%rsp, %%r11; mov %[top], %%rsp\n\t"
		     "movabs $0x1122334455667788, %%r9\n\t"
		     "pushq $-7; pushq %%r9; pushq (%[op]); pushq $0x12345678\n\t"
		     "pushw $0x4321; popw %%cx; popq %%rcx; popq 8(%[op]); popq %%rdx\n\t"
		     "pushq %%rsp; popq 16(%[op]); popq (%%rsp)\n\t"
		     "mov %%rsp, %[end]; mov %%r11, %%rsp"
		     : "=&c"(rcx), "=&d"(rdx), [end] "=&r"(end)
		     : [top] "r"(top), [op] "r"(op) : "r9", "r11", "memory");
	res[0] = rcx;
	res[1] = rdx;
	res[2] = (uint64_t)top - end;
	op[2] -= (uint64_t)top;		/* PUSH RSP's value, made relative */
	top[-2] -= (uint64_t)top;	/* and where it stays on the stack */
}

static void guest_stack(void)
{
	/* Two words above each top: POP (%rsp) writes one of them. */
	uint64_t *dev_top = (uint64_t *)(DEV_GPA + 0x200) - 2, *dev_op = (uint64_t *)(DEV_GPA + 0x300);
	uint64_t *ram_top = st_ram + ST_WORDS - 2;
	int i;

	op_ram[0] = OP_INIT;
	stack_ops(ram_top, op_ram, st_res[0]);			/* RAM: the reference */
	for (i = 0; i < ST_WORDS; i++)
		st_ref[i] = st_ram[i], st_ram[i] = 0;
	for (i = 0; i < 4; i++)
		op_ref[i] = op_ram[i], op_ram[i] = 0;
	op_ram[0] = OP_INIT;
	stack_ops(dev_top, op_ram, st_res[1]);			/* the stack on the device */
	for (i = 0; i < 4; i++)
		GUEST_ASSERT_EQ(op_ref[i], op_ram[i]);
	stack_ops(ram_top, dev_op, st_res[2]);			/* the operand there */
	for (i = 0; i < ST_WORDS; i++)
		GUEST_ASSERT_EQ(st_ref[i], st_ram[i]);
}

TEST(stack)
{
	struct kvmini_vcpu *vcpu;
	struct kvmini_vm *vm = setup(guest_stack, &vcpu);
	uint64_t (*res)[3], *st, *op, init = OP_INIT;
	unsigned int exits = 0;
	struct ucall uc;
	int i;

	REQUIRE_VM(vm);
	memset(dev, 0, sizeof(dev));
	memcpy(dev + 0x300, &init, 8);
	for (;;) {
		ASSERT_EQ(0, vcpu_run(vcpu));
		if (vcpu->run->exit_reason != KVMINI_EXIT_MMIO)
			break;
		serve(_metadata, vcpu->run, DEV_GPA, dev, sizeof(dev));
		exits++;
	}
	ASSERT_EQ(UCALL_DONE, vcpu_get_ucall(vcpu, &uc))
		TH_LOG("%s: %#lx, %#lx", uc.expr, (unsigned long)uc.args[0],
		       (unsigned long)uc.args[1]);
	res = GUEST_VAR(vm, st_res);
	st = GUEST_VAR(vm, st_ref);
	op = GUEST_VAR(vm, op_ref);
	for (i = 1; i < 3; i++) {
		EXPECT_EQ(res[0][0], res[i][0]);
		EXPECT_EQ(res[0][1], res[i][1]);
		EXPECT_EQ(res[0][2], res[i][2]);
	}
	EXPECT_EQ(0, memcmp(st, dev + 0x200 - 8 * ST_WORDS, 8 * ST_WORDS));
	EXPECT_EQ(0, memcmp(op, dev + 0x300, 8 * 4));
	EXPECT_EQ(0x1122334455667788ULL, res[0][1]);
	TH_LOG("%u MMIO exits", exits);
	vm_free(vm);
}

/* DIV by a device's 0, IDIV to a quotient too big: #DE, registers as they were. */
static void guest_div_fault(void)
{
	uint64_t a = 5, d = 0, a2 = 0, d2 = 0x40000000, v1, v2;

	guest_exc_arm(2);
	asm volatile("divl (%2)" : "+a"(a), "+d"(d) : "c"(DEV_GPA) : "memory");	/* F7 31 */
	v1 = guest_exc.vector;
	guest_exc_arm(2);
	asm volatile("idivl (%2)" : "+a"(a2), "+d"(d2) : "c"(DEV_GPA + 4) : "memory");
	v2 = guest_exc.vector;
	GUEST_SYNC4(v1, v2, a << 32 | d, a2 << 32 | d2);
}

TEST(div_fault)
{
	struct kvmini_vcpu *vcpu;
	struct kvmini_vm *vm = setup(guest_div_fault, &vcpu);
	struct ucall uc;

	REQUIRE_VM(vm);
	memset(dev, 0, 8);
	dev[4] = 1;			/* 0x40000000_00000000 / 1 */
	for (;;) {
		ASSERT_EQ(0, vcpu_run(vcpu));
		if (vcpu->run->exit_reason != KVMINI_EXIT_MMIO)
			break;
		serve(_metadata, vcpu->run, DEV_GPA, dev, sizeof(dev));
	}
	ASSERT_EQ(UCALL_SYNC, vcpu_get_ucall(vcpu, &uc));
	EXPECT_EQ(0U, uc.args[0]);			/* #DE */
	EXPECT_EQ(0U, uc.args[1]);
	EXPECT_EQ(5ULL << 32, uc.args[2]);
	EXPECT_EQ(0x40000000ULL, uc.args[3]);
	vm_free(vm);
}

/* x87 FLD from the device: not emulated, by kvmini nor by KVM. */
static void guest_fld(void)
{
	asm volatile("mov %0, %%rax; .byte 0xd9, 0x00" : : "r"(DEV_GPA) : "rax", "memory");
}

TEST(unsupported)
{
	struct kvmini_vcpu *vcpu;
	struct kvmini_vm *vm = setup(guest_fld, &vcpu);
	struct kvmini_run *run;

	REQUIRE_VM(vm);
	run = vcpu->run;
	vcpu_run_expect(vcpu, KVMINI_EXIT_INTERNAL_ERROR);
	EXPECT_EQ(KVMINI_INTERNAL_ERROR_EMULATION, (int)run->emulation_failure.suberror);
	TH_LOG("ndata %u flags %#llx insn_size %u", run->emulation_failure.ndata,
	       (unsigned long long)run->emulation_failure.flags, run->emulation_failure.insn_size);
	if (run->emulation_failure.flags & KVMINI_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES) {
		EXPECT_LE(2, run->emulation_failure.insn_size);
		EXPECT_EQ(0xd9, run->emulation_failure.insn_bytes[0]);
		EXPECT_EQ(0x00, run->emulation_failure.insn_bytes[1]);
	}
	/* KVM 6.1 gives the bytes too; kvmini always does. */
	EXPECT_TRUE(!!(run->emulation_failure.flags &
		       KVMINI_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES));
	vm_free(vm);
}

/* 16-byte SSE moves: two 8-byte exits, as KVM splits them. */
static void guest_movups(void)
{
	asm volatile("mov %0, %%rax; movups (%%rax), %%xmm0; movq %%xmm0, %%rax; out %%eax, $0x99"
		     : : "r"(DEV_GPA) : "rax", "xmm0");
}

TEST(sse_16_bytes)
{
	struct kvmini_vcpu *vcpu;
	struct kvmini_vm *vm = setup(guest_movups, &vcpu);
	struct kvmini_run *run;
	int i;

	REQUIRE_VM(vm);
	run = vcpu->run;
	for (i = 0; i < 2; i++) {
		EXPECT_EQ(0, vcpu_run(vcpu));
		ASSERT_EQ(KVMINI_EXIT_MMIO, (int)run->exit_reason);
		EXPECT_EQ(DEV_GPA + 8 * i, run->mmio.phys_addr);
		EXPECT_EQ(8U, run->mmio.len);
		EXPECT_FALSE(run->mmio.is_write);
		memset(run->mmio.data, 0x11 * (i + 1), 8);
	}
	EXPECT_EQ(0, vcpu_run(vcpu));
	ASSERT_EQ(KVMINI_EXIT_IO, (int)run->exit_reason);
	EXPECT_EQ(0x99, run->io.port);
	EXPECT_EQ(0x11111111U, *(uint32_t *)((uint8_t *)run + run->io.data_offset));
	vm_free(vm);
}

TEST_HARNESS_MAIN
