/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Local APIC definitions and guest-side helpers for the kvmini selftests
 * (in-kernel local APIC: KVMINI_CAP_SPLIT_IRQCHIP).
 *
 * xAPIC mode: the registers are 32-bit, 16-byte aligned, in the 4 KiB page
 * at the APIC base (default 0xfee00000; vm_create_guest_split() maps it
 * 1:1 in the guest's page tables): xapic_read()/xapic_write().
 * x2APIC mode: register R is MSR 0x800 + (R >> 4): x2apic_read()/
 * x2apic_write() (and the _safe forms that return the vector of a fault).
 * The offsets below are the xAPIC ones; the register page of
 * KVMINI_GET/SET_LAPIC uses them too (apic_page_reg()).
 */
#ifndef KVMINI_SELFTEST_APIC_H
#define KVMINI_SELFTEST_APIC_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "kvmini_vm.h"

/* IA32_APIC_BASE (MSR 0x1b) */
#define MSR_IA32_APICBASE		0x1b
#define APICBASE_BSP			(1ULL << 8)
#define APICBASE_EXTD			(1ULL << 10)	/* x2APIC mode */
#define APICBASE_EN			(1ULL << 11)	/* global enable */
#define APICBASE_BASE_MASK		0x000ffffffffff000ULL
#define APIC_DEFAULT_GPA		0xfee00000ULL

#define MSR_IA32_TSC_DEADLINE		0x6e0
#define X2APIC_MSR_BASE			0x800
#define X2APIC_MSR(reg)			(X2APIC_MSR_BASE + ((reg) >> 4))

/* CPUID.1:ECX */
#define CPUID1_ECX_X2APIC		(1U << 21)
#define CPUID1_ECX_TSC_DEADLINE		(1U << 24)

/* Register offsets (xAPIC page; x2APIC MSR = 0x800 + offset / 16) */
#define APIC_ID				0x020
#define APIC_LVR			0x030	/* version */
#define APIC_TPR			0x080
#define APIC_APR			0x090	/* arbitration priority (xAPIC only) */
#define APIC_PPR			0x0a0
#define APIC_EOI			0x0b0
#define APIC_RRD			0x0c0
#define APIC_LDR			0x0d0
#define APIC_DFR			0x0e0	/* xAPIC only */
#define APIC_SVR			0x0f0
#define APIC_ISR			0x100	/* 8 registers, 0x10 apart */
#define APIC_TMR			0x180
#define APIC_IRR			0x200
#define APIC_ESR			0x280
#define APIC_LVT_CMCI			0x2f0
#define APIC_ICR			0x300	/* low half; x2APIC: all 64 bits */
#define APIC_ICR2			0x310	/* high half (xAPIC only) */
#define APIC_LVTT			0x320
#define APIC_LVTTHMR			0x330
#define APIC_LVTPC			0x340
#define APIC_LVT0			0x350
#define APIC_LVT1			0x360
#define APIC_LVTERR			0x370
#define APIC_TMICT			0x380	/* timer initial count */
#define APIC_TMCCT			0x390	/* timer current count */
#define APIC_TDCR			0x3e0	/* timer divide configuration */
#define APIC_SELF_IPI			0x3f0	/* x2APIC only */

/* The ISR/TMR/IRR register holding @vec, and its bit there. */
#define APIC_VEC_REG(base, vec)		((base) + 0x10 * ((vec) >> 5))
#define APIC_VEC_BIT(vec)		(1U << ((vec) & 31))

/* Version register */
#define APIC_LVR_VERSION(v)		((v) & 0xff)
#define APIC_LVR_MAXLVT(v)		(((v) >> 16) & 0xff)	/* entries - 1 */
#define APIC_LVR_DIRECTED_EOI		(1U << 24)

/* Spurious-interrupt vector register */
#define APIC_SVR_ENABLE			(1U << 8)
#define APIC_SVR_FOCUS_DISABLED		(1U << 9)
#define APIC_SVR_SUPPRESS_EOI		(1U << 12)

/* LVT entries */
#define APIC_LVT_VECTOR			0xffU
#define APIC_LVT_DM_FIXED		(0U << 8)
#define APIC_LVT_DM_SMI			(2U << 8)
#define APIC_LVT_DM_NMI			(4U << 8)
#define APIC_LVT_DM_INIT		(5U << 8)
#define APIC_LVT_DM_EXTINT		(7U << 8)
#define APIC_LVT_DM_MASK		(7U << 8)
#define APIC_LVT_PENDING		(1U << 12)	/* delivery status */
#define APIC_LVT_POLARITY_LOW		(1U << 13)
#define APIC_LVT_REMOTE_IRR		(1U << 14)
#define APIC_LVT_LEVEL			(1U << 15)
#define APIC_LVT_MASKED			(1U << 16)
#define APIC_LVTT_ONESHOT		(0U << 17)
#define APIC_LVTT_PERIODIC		(1U << 17)
#define APIC_LVTT_TSC_DEADLINE		(2U << 17)
#define APIC_LVTT_MODE_MASK		(3U << 17)

/* Timer divide configuration: bits 0, 1 and 3 */
#define APIC_TDCR_DIV_1			0xbU
#define APIC_TDCR_DIV_2			0x0U
#define APIC_TDCR_DIV_16		0x3U
#define APIC_TDCR_MASK			0xbU

/* ICR (low half; the destination is in ICR2 bits 31:24 or ICR bits 63:32) */
#define APIC_ICR_DM_FIXED		(0U << 8)
#define APIC_ICR_DM_NMI			(4U << 8)
#define APIC_ICR_BUSY			(1U << 12)
#define APIC_ICR_ASSERT			(1U << 14)
#define APIC_ICR_DEST_SELF		(1U << 18)
#define APIC_ICR_DEST_ALL		(2U << 18)
#define APIC_ICR_DEST_OTHERS		(3U << 18)

/* The x2APIC logical ID of x2APIC ID @id: cluster in 31:16, one bit in 15:0. */
static inline uint32_t x2apic_ldr_of(uint32_t id)
{
	return (id >> 4) << 16 | 1U << (id & 15);
}

/* ------------------------------------------------------------------ */
/* Guest side */

static inline uint32_t xapic_read(uint32_t reg)
{
	return *(volatile uint32_t *)(uintptr_t)(APIC_DEFAULT_GPA + reg);
}

static inline void xapic_write(uint32_t reg, uint32_t val)
{
	*(volatile uint32_t *)(uintptr_t)(APIC_DEFAULT_GPA + reg) = val;
}

static inline uint64_t x2apic_read(uint32_t reg)
{
	return rdmsr(X2APIC_MSR(reg));
}

static inline void x2apic_write(uint32_t reg, uint64_t val)
{
	wrmsr(X2APIC_MSR(reg), val);
}

/* The vector of the fault (#GP: 13) or GUEST_NO_EXC. */
static inline uint64_t x2apic_read_safe(uint32_t reg, uint64_t *val)
{
	return rdmsr_safe(X2APIC_MSR(reg), val);
}

static inline uint64_t x2apic_write_safe(uint32_t reg, uint64_t val)
{
	return wrmsr_safe(X2APIC_MSR(reg), val);
}

static inline uint64_t apic_base_read(void)
{
	return rdmsr(MSR_IA32_APICBASE);
}

static inline bool apic_x2apic_mode(void)
{
	return apic_base_read() & APICBASE_EXTD;
}

/* Software-enable the APIC (SVR bit 8) with spurious vector @spurious. */
static inline void xapic_enable(uint8_t spurious)
{
	xapic_write(APIC_SVR, APIC_SVR_ENABLE | spurious);
}

/* xAPIC -> x2APIC (APIC_BASE.EXTD) and software-enable it there. */
static inline void x2apic_enable(uint8_t spurious)
{
	wrmsr(MSR_IA32_APICBASE, apic_base_read() | APICBASE_EN | APICBASE_EXTD);
	x2apic_write(APIC_SVR, APIC_SVR_ENABLE | spurious);
}

static inline void xapic_eoi(void)
{
	xapic_write(APIC_EOI, 0);
}

static inline void x2apic_eoi(void)
{
	x2apic_write(APIC_EOI, 0);
}

/* EOI in whichever mode the APIC is in. */
static inline void apic_eoi(void)
{
	if (apic_x2apic_mode())
		x2apic_eoi();
	else
		xapic_eoi();
}

/* Either interface by mode. */
static inline uint32_t apic_read(uint32_t reg)
{
	return apic_x2apic_mode() ? (uint32_t)x2apic_read(reg) : xapic_read(reg);
}

static inline void apic_write(uint32_t reg, uint32_t val)
{
	if (apic_x2apic_mode())
		x2apic_write(reg, val);
	else
		xapic_write(reg, val);
}

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	asm volatile("rdtsc" : "=a"(lo), "=d"(hi) :: "memory");
	return lo | (uint64_t)hi << 32;
}

static inline void guest_sti(void)
{
	asm volatile("sti" ::: "memory");
}

static inline void guest_cli(void)
{
	asm volatile("cli" ::: "memory");
}

/* STI; HLT: the STI shadow covers the HLT, so no interrupt is lost between. */
static inline void guest_sti_hlt(void)
{
	asm volatile("sti; hlt" ::: "memory");
}

/*
 * Interrupt handlers in C.  GUEST_IRQ_HANDLER(stub, vector, fn) defines an
 * assembly stub @stub (put it in the IDT: apic_set_irq_gate()) that saves
 * the caller-saved registers and the SSE state (FXSAVE), calls
 * fn(vector, interrupted RIP) and IRETs.  Declare @fn GUEST_IRQ_FN: kept
 * although only the stub calls it.  The EOI is @fn's business.
 */
#define GUEST_IRQ_FN	__attribute__((used, noinline))
#define __APIC_STR(x)	#x
#define APIC_STR(x)	__APIC_STR(x)
#define GUEST_IRQ_HANDLER(stub, vector, fn)				\
	extern char stub[];						\
	asm(".pushsection .text\n"					\
	    ".align 16\n"						\
	    #stub ":\n"							\
	    "	push %rax; push %rcx; push %rdx; push %rsi; push %rdi\n" \
	    "	push %r8; push %r9; push %r10; push %r11\n"		\
	    "	mov $" APIC_STR(vector) ", %edi\n"			\
	    "	mov 72(%rsp), %rsi\n"					\
	    "	sub $512, %rsp\n"					\
	    "	fxsave64 (%rsp)\n"					\
	    "	cld\n"							\
	    "	call " #fn "\n"						\
	    "	fxrstor64 (%rsp)\n"					\
	    "	add $512, %rsp\n"					\
	    "	pop %r11; pop %r10; pop %r9; pop %r8\n"			\
	    "	pop %rdi; pop %rsi; pop %rdx; pop %rcx; pop %rax\n"	\
	    "	iretq\n"						\
	    ".popsection\n")

/* ------------------------------------------------------------------ */
/* Host side: the register page of KVMINI_GET/SET_LAPIC */

static inline uint32_t apic_page_reg(const struct kvmini_lapic_state *s, uint32_t reg)
{
	uint32_t v;

	memcpy(&v, &s->regs[reg], 4);
	return v;
}

static inline void apic_page_set(struct kvmini_lapic_state *s, uint32_t reg, uint32_t v)
{
	memcpy(&s->regs[reg], &v, 4);
}

/*
 * Host side: an interrupt gate for @vector to @stub, on the exception stack
 * (IST1) so that the interrupted code's red zone survives.
 */
static inline void apic_set_irq_gate(struct kvmini_vm *vm, int vector, void *stub)
{
	idt_set_gate(vm_gpa2hva(vm, GUEST_IDT), vector, (uintptr_t)stub, 1);
}

#endif
