// SPDX-License-Identifier: GPL-2.0
/*
 * The in-kernel local APIC's registers (split irqchip), as KVM has them.
 * APIC_BASE at reset: the default base, enabled, BSP on vCPU 0 only; the
 * x2APIC enable bit needs CPUID.1:ECX.x2APIC.  xAPIC through the MMIO page:
 * ID = vCPU id << 24, the version (0x14, 6 LVT entries, directed EOI when
 * the guest has x2APIC and no in-kernel IOAPIC), the TPR and CR8, PPR,
 * LDR/DFR, SVR, ESR, the LVT entries' writable bits and masking, the
 * timer divide, read-only registers, a self IPI through the ICR.  x2APIC
 * through MSRs 0x800-0x8ff: ID = vCPU id, LDR from the ID, the MMIO page
 * reads all ones and ignores writes, the MSRs of no register #GP, and so
 * do writes to read-only ones; SELF_IPI; the mode transitions.  The host's
 * KVMINI_GET/SET_LAPIC see and set the guest's values.
 */
#include "kvmini_util.h"
#include "kvmini_vm.h"
#include "kvmini_apic.h"
#include "kselftest_harness.h"

#define GP		13
#define VEC_A		0x80
#define VEC_B		0x81

/* Guest state, read by the host through GUEST_VAR(). */
uint64_t irq_count, irq_vec[8], irq_ppr[8], irq_isr[8];

GUEST_IRQ_FN void regs_irq(uint64_t vec, uint64_t rip)
{
	uint64_t i = irq_count++ & 7;

	irq_vec[i] = vec;
	irq_ppr[i] = apic_read(APIC_PPR);
	irq_isr[i] = !!(apic_read(APIC_VEC_REG(APIC_ISR, vec)) & APIC_VEC_BIT(vec));
	apic_eoi();
}
GUEST_IRQ_HANDLER(irq_stub_a, 0x80, regs_irq);
GUEST_IRQ_HANDLER(irq_stub_b, 0x81, regs_irq);

static uint64_t cr8_read(void)
{
	uint64_t v;

	asm volatile("mov %%cr8, %0" : "=r"(v));
	return v;
}

static void cr8_write(uint64_t v)
{
	asm volatile("mov %0, %%cr8" : : "r"(v) : "memory");
}

/* Write all ones to an LVT entry and 0, read back; leaves it masked. */
static void lvt_check(uint32_t reg, uint32_t writable)
{
	xapic_write(reg, 0xffffffff);
	GUEST_ASSERT_EQ(xapic_read(reg), writable);
	xapic_write(reg, 0);
	GUEST_ASSERT_EQ(xapic_read(reg), 0);
	xapic_write(reg, APIC_LVT_MASKED);
}

static void guest_xapic(void)
{
	uint32_t lvr, svr_mask, tpr, ro[] = { APIC_LVR, APIC_PPR, APIC_ISR, APIC_TMR,
					 APIC_IRR, APIC_TMCCT, APIC_APR };
	unsigned int i;

	GUEST_ASSERT_EQ(apic_base_read(), APIC_DEFAULT_GPA | APICBASE_EN | APICBASE_BSP);
	GUEST_ASSERT_EQ(xapic_read(APIC_ID), 0);
	lvr = xapic_read(APIC_LVR);
	GUEST_SYNC(lvr);
	GUEST_ASSERT_EQ(xapic_read(APIC_SVR), 0xff);		/* reset: disabled */
	GUEST_ASSERT_EQ(xapic_read(APIC_DFR), 0xffffffff);
	GUEST_ASSERT_EQ(xapic_read(APIC_LVT0), APIC_LVT_DM_EXTINT);	/* BSP */
	GUEST_ASSERT_EQ(xapic_read(APIC_LVT1), APIC_LVT_MASKED);

	/* Software disabled: LVT writes come out masked. */
	xapic_write(APIC_LVT1, APIC_LVT_DM_NMI);
	GUEST_ASSERT_EQ(xapic_read(APIC_LVT1), APIC_LVT_DM_NMI | APIC_LVT_MASKED);

	/* SVR: bits 0-9, and 12 with directed EOI. */
	svr_mask = 0x3ff | (lvr & APIC_LVR_DIRECTED_EOI ? APIC_SVR_SUPPRESS_EOI : 0);
	xapic_write(APIC_SVR, 0xffffffff);
	GUEST_ASSERT_EQ(xapic_read(APIC_SVR), svr_mask);
	xapic_enable(0xff);
	GUEST_ASSERT_EQ(xapic_read(APIC_SVR), 0x1ff);

	/*
	 * TPR: bits 7:0, CR8 is its bits 7:4, both ways; PPR follows it.
	 * KVM on SVM keeps only bits 7:4 past the next exit (V_TPR is
	 * CR8, copied back to the TPR at every exit): 0x57 reads 0x50 there.
	 */
	xapic_write(APIC_TPR, 0xffffff57);
	tpr = xapic_read(APIC_TPR);
	GUEST_ASSERT_EQ(tpr & ~0xfU, 0x50);
	GUEST_ASSERT_EQ(cr8_read(), 5);
	GUEST_ASSERT_EQ(xapic_read(APIC_PPR), tpr);
	GUEST_SYNC(tpr);
	cr8_write(3);
	GUEST_ASSERT_EQ(xapic_read(APIC_TPR), 0x30);
	GUEST_ASSERT_EQ(xapic_read(APIC_PPR), 0x30);
	cr8_write(0);
	GUEST_ASSERT_EQ(xapic_read(APIC_TPR), 0);

	/* LDR: bits 31:24; DFR: model bits 31:28, the rest reads 1. */
	xapic_write(APIC_LDR, 0xffffffff);
	GUEST_ASSERT_EQ(xapic_read(APIC_LDR), 0xff000000);
	xapic_write(APIC_LDR, 0);
	xapic_write(APIC_DFR, 0);
	GUEST_ASSERT_EQ(xapic_read(APIC_DFR), 0x0fffffff);
	xapic_write(APIC_DFR, 0xffffffff);
	GUEST_ASSERT_EQ(xapic_read(APIC_DFR), 0xffffffff);
	xapic_write(APIC_ESR, 0);
	GUEST_ASSERT_EQ(xapic_read(APIC_ESR), 0);

	/* LVT entries' writable bits (timer: one-shot/periodic, no deadline). */
	lvt_check(APIC_LVTT, 0x310ff);
	lvt_check(APIC_LVTTHMR, 0x117ff);
	lvt_check(APIC_LVTPC, 0x117ff);
	lvt_check(APIC_LVT0, 0x1f7ff);
	lvt_check(APIC_LVT1, 0x1f7ff);
	lvt_check(APIC_LVTERR, 0x110ff);
	xapic_write(APIC_TDCR, 0xffffffff);
	GUEST_ASSERT_EQ(xapic_read(APIC_TDCR), APIC_TDCR_MASK);
	xapic_write(APIC_TDCR, 0);

	/* Software disable masks every LVT entry; enabling leaves them masked. */
	xapic_write(APIC_LVT0, APIC_LVT_DM_EXTINT);
	xapic_write(APIC_SVR, 0xff);
	GUEST_ASSERT_EQ(xapic_read(APIC_LVT0), APIC_LVT_DM_EXTINT | APIC_LVT_MASKED);
	xapic_enable(0xff);
	GUEST_ASSERT_EQ(xapic_read(APIC_LVT0), APIC_LVT_DM_EXTINT | APIC_LVT_MASKED);

	/* Read-only registers ignore writes; the xAPIC ID is writable. */
	for (i = 0; i < sizeof(ro) / sizeof(ro[0]); i++) {
		uint32_t before = xapic_read(ro[i]);

		xapic_write(ro[i], 0xffffffff);
		GUEST_ASSERT_EQ(xapic_read(ro[i]), before);
	}
	xapic_write(APIC_ID, 0x07000000);
	GUEST_ASSERT_EQ(xapic_read(APIC_ID), 0x07000000);
	xapic_write(APIC_ID, 0);

	/* A self IPI waits in the IRR with IF=0, is in service in the handler. */
	xapic_write(APIC_TPR, 0x40);
	xapic_write(APIC_ICR, APIC_ICR_DEST_SELF | APIC_ICR_ASSERT | VEC_A);
	GUEST_ASSERT_EQ(xapic_read(APIC_VEC_REG(APIC_IRR, VEC_A)), APIC_VEC_BIT(VEC_A));
	GUEST_ASSERT_EQ(irq_count, 0);
	asm volatile("sti; nop; cli" ::: "memory");
	GUEST_ASSERT_EQ(irq_count, 1);
	GUEST_ASSERT_EQ(irq_vec[0], VEC_A);
	GUEST_ASSERT_EQ(irq_ppr[0], 0x80);		/* the ISR's class */
	GUEST_ASSERT_EQ(irq_isr[0], 1);
	GUEST_ASSERT_EQ(xapic_read(APIC_VEC_REG(APIC_ISR, VEC_A)), 0);
	GUEST_ASSERT_EQ(xapic_read(APIC_VEC_REG(APIC_IRR, VEC_A)), 0);
	GUEST_ASSERT_EQ(xapic_read(APIC_PPR), 0x40);

	/* For the host: GET_LAPIC sees these, SET_LAPIC changes them. */
	xapic_write(APIC_TPR, 0x60);
	xapic_write(APIC_LDR, 0x03000000);
	xapic_write(APIC_LVTPC, APIC_LVT_DM_NMI);
	GUEST_SYNC(1);
	GUEST_SYNC4(xapic_read(APIC_TPR), cr8_read(), xapic_read(APIC_TDCR),
		    xapic_read(APIC_LVT1));
}

static void set_irq_gates(struct kvmini_vm *vm)
{
	apic_set_irq_gate(vm, VEC_A, irq_stub_a);
	apic_set_irq_gate(vm, VEC_B, irq_stub_b);
}

TEST(xapic)
{
	struct kvmini_vcpu *vcpu;
	struct kvmini_vm *vm = vm_create_guest_split(guest_xapic, &vcpu);
	struct kvmini_lapic_state s;
	uint32_t idx = MSR_IA32_APICBASE;
	uint64_t base;
	struct ucall uc;

	REQUIRE_SPLIT(vm);
	vcpu_set_cpuid_supported(vcpu);
	set_irq_gates(vm);
	ASSERT_EQ(1, vcpu_msrs_io(vcpu, KVMINI_GET_MSRS, &idx, &base, 1));
	EXPECT_EQ(APIC_DEFAULT_GPA | APICBASE_EN | APICBASE_BSP, base);
	ASSERT_EQ(0, ioctl(vcpu->fd, KVMINI_GET_LAPIC, &s));
	EXPECT_EQ(0U, apic_page_reg(&s, APIC_ID));
	EXPECT_EQ(0xffU, apic_page_reg(&s, APIC_SVR));
	EXPECT_EQ(APIC_LVT_DM_EXTINT, apic_page_reg(&s, APIC_LVT0));
	EXPECT_EQ(APIC_LVT_MASKED, apic_page_reg(&s, APIC_LVTT));

	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	TH_LOG("version register %#lx", (unsigned long)uc.args[0]);
	EXPECT_EQ(0x14ULL, APIC_LVR_VERSION(uc.args[0]));
	EXPECT_EQ(5ULL, APIC_LVR_MAXLVT(uc.args[0]));
	/* x2APIC in the guest's CPUID and no in-kernel IOAPIC. */
	EXPECT_EQ(APIC_LVR_DIRECTED_EOI, uc.args[0] & APIC_LVR_DIRECTED_EOI);
	EXPECT_EQ(uc.args[0], apic_page_reg(&s, APIC_LVR));

	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	TH_LOG("TPR written 0x57 reads %#lx", (unsigned long)uc.args[0]);
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	ASSERT_EQ(1ULL, uc.args[0]);
	EXPECT_EQ(6ULL, vcpu->run->cr8);
	EXPECT_EQ(APIC_DEFAULT_GPA | APICBASE_EN | APICBASE_BSP, vcpu->run->apic_base);
	ASSERT_EQ(0, ioctl(vcpu->fd, KVMINI_GET_LAPIC, &s));
	EXPECT_EQ(0x60U, apic_page_reg(&s, APIC_TPR));
	EXPECT_EQ(0x03000000U, apic_page_reg(&s, APIC_LDR));
	EXPECT_EQ(0x1ffU, apic_page_reg(&s, APIC_SVR));
	EXPECT_EQ(APIC_LVT_DM_NMI, apic_page_reg(&s, APIC_LVTPC));
	EXPECT_EQ(0U, apic_page_reg(&s, APIC_ID));
	apic_page_set(&s, APIC_TPR, 0x20);
	apic_page_set(&s, APIC_TDCR, APIC_TDCR_DIV_16);
	apic_page_set(&s, APIC_LVT1, APIC_LVT_DM_NMI | APIC_LVT_MASKED);
	ASSERT_EQ(0, ioctl(vcpu->fd, KVMINI_SET_LAPIC, &s));
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(0x20ULL, uc.args[0]);
	EXPECT_EQ(2ULL, uc.args[1]);
	EXPECT_EQ(APIC_TDCR_DIV_16, uc.args[2]);
	EXPECT_EQ(APIC_LVT_DM_NMI | APIC_LVT_MASKED, uc.args[3]);
	ASSERT_EQ(UCALL_DONE, vcpu_run_ucall(vcpu, &uc));
	vm_free(vm);
}

/* x2APIC MSRs that are registers one can read; all others #GP on RDMSR. */
static bool x2apic_readable(uint32_t msr)
{
	uint32_t reg = (msr - X2APIC_MSR_BASE) << 4;

	switch (reg) {
	case APIC_ID: case APIC_LVR: case APIC_TPR: case APIC_PPR: case APIC_LDR:
	case APIC_SVR: case APIC_ESR: case APIC_ICR: case APIC_LVTT:
	case APIC_LVTTHMR: case APIC_LVTPC: case APIC_LVT0: case APIC_LVT1:
	case APIC_LVTERR: case APIC_TMICT: case APIC_TMCCT: case APIC_TDCR:
		return true;
	}
	return (reg >= APIC_ISR && reg < APIC_ISR + 0x80) ||
	       (reg >= APIC_TMR && reg < APIC_TMR + 0x80) ||
	       (reg >= APIC_IRR && reg < APIC_IRR + 0x80);
}

uint64_t x2_bad_read, x2_first_bad;

static void guest_x2apic(uint64_t id)
{
	uint32_t ro[] = { APIC_ID, APIC_LVR, APIC_PPR, APIC_LDR, APIC_ISR, APIC_TMR,
			  APIC_IRR, APIC_TMCCT };
	uint64_t base = apic_base_read(), v, lvr;
	unsigned int i;
	uint32_t msr;

	GUEST_ASSERT_EQ(base, APIC_DEFAULT_GPA | APICBASE_EN);	/* not the BSP */
	GUEST_ASSERT_EQ(xapic_read(APIC_ID), id << 24);
	lvr = xapic_read(APIC_LVR);
	/* x2APIC MSRs #GP in xAPIC mode. */
	GUEST_ASSERT_EQ(x2apic_read_safe(APIC_ID, &v), GP);

	x2apic_enable(0xff);
	GUEST_ASSERT_EQ(apic_base_read(), base | APICBASE_EXTD);
	GUEST_ASSERT_EQ(x2apic_read(APIC_ID), id);
	GUEST_ASSERT_EQ(x2apic_read(APIC_LVR), lvr);
	GUEST_ASSERT_EQ(x2apic_read(APIC_LDR), x2apic_ldr_of(id));
	GUEST_ASSERT_EQ(x2apic_read(APIC_SVR), 0x1ff);

	/* The MMIO page is no longer the registers: all ones, writes dropped. */
	GUEST_ASSERT_EQ(xapic_read(APIC_ID), 0xffffffff);
	GUEST_ASSERT_EQ(xapic_read(APIC_SVR), 0xffffffff);
	xapic_write(APIC_TPR, 0x40);
	GUEST_ASSERT_EQ(x2apic_read(APIC_TPR), 0);
	x2apic_write(APIC_TPR, 0x40);
	GUEST_ASSERT_EQ(cr8_read(), 4);
	x2apic_write(APIC_TPR, 0);

	/* Every MSR of the range that is no readable register #GPs. */
	for (msr = X2APIC_MSR_BASE; msr <= 0x8ff; msr++) {
		uint64_t vec = rdmsr_safe(msr, &v);

		if (vec != (x2apic_readable(msr) ? GUEST_NO_EXC : GP)) {
			x2_bad_read++;
			if (!x2_first_bad)
				x2_first_bad = msr;
		}
	}
	GUEST_SYNC4(x2_bad_read, x2_first_bad, 0, 0);

	/* Writes to read-only registers, reserved bits, ESR != 0: #GP. */
	for (i = 0; i < sizeof(ro) / sizeof(ro[0]); i++)
		GUEST_ASSERT_EQ(x2apic_write_safe(ro[i], 0), GP);
	GUEST_ASSERT_EQ(x2apic_write_safe(APIC_DFR, 0), GP);
	GUEST_ASSERT_EQ(x2apic_write_safe(APIC_ICR2, 0), GP);
	GUEST_ASSERT_EQ(x2apic_write_safe(APIC_TPR, 1ULL << 32), GP);
	GUEST_ASSERT_EQ(x2apic_write_safe(APIC_ESR, 1), GP);
	GUEST_ASSERT_EQ(x2apic_write_safe(APIC_ESR, 0), GUEST_NO_EXC);
	GUEST_ASSERT_EQ(x2apic_write_safe(APIC_SELF_IPI, 0x100 | VEC_B), GP);
	GUEST_ASSERT_EQ(x2apic_read(APIC_ID), id);

	/* SELF_IPI: into the IRR with IF=0, taken at STI, EOI by MSR. */
	x2apic_write(APIC_SELF_IPI, VEC_B);
	GUEST_ASSERT_EQ(x2apic_read(APIC_VEC_REG(APIC_IRR, VEC_B)), APIC_VEC_BIT(VEC_B));
	asm volatile("sti; nop; cli" ::: "memory");
	GUEST_ASSERT_EQ(irq_count, 1);
	GUEST_ASSERT_EQ(irq_vec[0], VEC_B);
	GUEST_ASSERT_EQ(irq_isr[0], 1);
	GUEST_ASSERT_EQ(irq_ppr[0], 0x80);
	GUEST_ASSERT_EQ(x2apic_read(APIC_VEC_REG(APIC_ISR, VEC_B)), 0);

	x2apic_write(APIC_TPR, 0x70);
	GUEST_SYNC(2);		/* the host looks at the page */

	/* Mode changes: x2APIC -> xAPIC #GP; -> disabled; disabled -> x2APIC #GP. */
	GUEST_ASSERT_EQ(wrmsr_safe(MSR_IA32_APICBASE, base), GP);
	GUEST_ASSERT_EQ(wrmsr_safe(MSR_IA32_APICBASE, base | APICBASE_EXTD | 1), GP);
	GUEST_ASSERT_EQ(wrmsr_safe(MSR_IA32_APICBASE, base & ~APICBASE_EN), GUEST_NO_EXC);
	GUEST_ASSERT_EQ(x2apic_read_safe(APIC_ID, &v), GP);
	GUEST_ASSERT_EQ(xapic_read(APIC_ID), 0xffffffff);	/* disabled: no page */
	GUEST_ASSERT_EQ(wrmsr_safe(MSR_IA32_APICBASE,
				   (base & ~APICBASE_EN) | APICBASE_EXTD), GP);
	GUEST_ASSERT_EQ(wrmsr_safe(MSR_IA32_APICBASE, base), GUEST_NO_EXC);
	GUEST_ASSERT_EQ(xapic_read(APIC_ID), id << 24);
}

TEST(x2apic)
{
	struct kvmini_vm *vm = vm_create_split();
	struct kvmini_mp_state mp = { .mp_state = KVMINI_MP_STATE_RUNNABLE };
	struct kvmini_lapic_state s;
	struct kvmini_vcpu *vcpu;
	struct ucall uc;
	const int id = 21;

	REQUIRE_SPLIT(vm);
	vm_load_image(vm);
	vm_map_xapic(vm);
	set_irq_gates(vm);
	/* Not the BSP: it would wait for INIT/SIPI. */
	vcpu = vcpu_add(vm, id);
	vcpu_setup_long_mode(vcpu, guest_x2apic);
	vcpu_set_args(vcpu, 1, (uint64_t)id);
	vcpu_set_cpuid_supported(vcpu);
	vcpu_ioctl(vcpu, KVMINI_SET_MP_STATE, &mp);

	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(0ULL, uc.args[0]) TH_LOG("first unexpected RDMSR result at %#lx",
					(unsigned long)uc.args[1]);
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	ASSERT_EQ(2ULL, uc.args[0]);
	EXPECT_EQ(APIC_DEFAULT_GPA | APICBASE_EN | APICBASE_EXTD, vcpu->run->apic_base);
	EXPECT_EQ(7ULL, vcpu->run->cr8);
	/* Without KVMINI_X2APIC_API_USE_32BIT_IDS the page has the ID in 31:24. */
	ASSERT_EQ(0, ioctl(vcpu->fd, KVMINI_GET_LAPIC, &s));
	EXPECT_EQ((uint32_t)id << 24, apic_page_reg(&s, APIC_ID));
	EXPECT_EQ(x2apic_ldr_of(id), apic_page_reg(&s, APIC_LDR));
	EXPECT_EQ(0x70U, apic_page_reg(&s, APIC_TPR));
	ASSERT_EQ(UCALL_DONE, vcpu_run_ucall(vcpu, &uc));
	vm_free(vm);
}

static void guest_no_x2apic(void)
{
	uint64_t base = apic_base_read();

	GUEST_ASSERT_EQ(wrmsr_safe(MSR_IA32_APICBASE, base | APICBASE_EXTD), GP);
	GUEST_ASSERT_EQ(apic_base_read(), base);
	GUEST_ASSERT_EQ(xapic_read(APIC_LVR) & APIC_LVR_DIRECTED_EOI, 0);
	/* Bits 0-7 and 9 are reserved; BSP (8) is not. */
	GUEST_ASSERT_EQ(wrmsr_safe(MSR_IA32_APICBASE, base | 1), GP);
	GUEST_ASSERT_EQ(wrmsr_safe(MSR_IA32_APICBASE, base | (1 << 9)), GP);
	GUEST_ASSERT_EQ(wrmsr_safe(MSR_IA32_APICBASE, base & ~APICBASE_BSP), GUEST_NO_EXC);
	GUEST_ASSERT_EQ(apic_base_read(), base & ~APICBASE_BSP);
}

/* CPUID without x2APIC: APIC_BASE.EXTD is reserved. */
TEST(x2apic_needs_cpuid)
{
	struct kvmini_vcpu *vcpu;
	struct kvmini_vm *vm = vm_create_guest_split(guest_no_x2apic, &vcpu);
	struct kvmini_cpuid2 *c;
	struct ucall uc;
	uint32_t i;

	REQUIRE_SPLIT(vm);
	c = kvmini_supported_cpuid(vm);
	for (i = 0; i < c->nent; i++)
		if (c->entries[i].function == 1)
			c->entries[i].ecx &= ~CPUID1_ECX_X2APIC;
	vcpu_ioctl(vcpu, KVMINI_SET_CPUID2, c);
	free(c);
	ASSERT_EQ(UCALL_DONE, vcpu_run_ucall(vcpu, &uc));
	vm_free(vm);
}

TEST_HARNESS_MAIN
