// SPDX-License-Identifier: GPL-2.0
/*
 * ExtINT from a userspace PIC with the in-kernel local APIC (split
 * irqchip), as KVM does it: KVMINI_INTERRUPT's vector waits in one slot
 * (a second call before it is taken: EEXIST; >= 256: EINVAL) and is taken
 * through LINT0 when LVT0 is ExtINT and unmasked (the BSP's reset value)
 * or the APIC is disabled in APIC_BASE, once IF=1.  With LVT0 masked it is
 * not taken; it is once LVT0 is unmasked.  run->ready_for_interrupt_injection
 * is KVM's: IF=1, LINT0 takes ExtINT, the slot is free.  A request for an
 * interrupt window exits with KVMINI_EXIT_IRQ_WINDOW_OPEN when that is so,
 * never while LVT0 is masked.
 */
#include "kvmini_util.h"
#include "kvmini_vm.h"
#include "kvmini_apic.h"
#include "kselftest_harness.h"

/* Guest state. */
uint64_t irq_count, irq_vec[8], irq_rip[8];

/* ExtINT is not in service in the local APIC: no EOI. */
GUEST_IRQ_FN void ext_irq(uint64_t vec, uint64_t rip)
{
	irq_vec[irq_count & 7] = vec;
	irq_rip[irq_count & 7] = rip;
	irq_count++;
}
GUEST_IRQ_HANDLER(ext_stub_30, 0x30, ext_irq);
GUEST_IRQ_HANDLER(ext_stub_31, 0x31, ext_irq);
GUEST_IRQ_HANDLER(ext_stub_32, 0x32, ext_irq);
GUEST_IRQ_HANDLER(ext_stub_33, 0x33, ext_irq);

extern char sti_nop_end[];

static struct kvmini_vm *extint_vm(void *fn, struct kvmini_vcpu **vcpu)
{
	struct kvmini_vm *vm = vm_create_guest_split(fn, vcpu);

	if (!vm)
		return NULL;
	vcpu_set_cpuid_supported(*vcpu);
	apic_set_irq_gate(vm, 0x30, ext_stub_30);
	apic_set_irq_gate(vm, 0x31, ext_stub_31);
	apic_set_irq_gate(vm, 0x32, ext_stub_32);
	apic_set_irq_gate(vm, 0x33, ext_stub_33);
	return vm;
}

static long inject(struct kvmini_vcpu *vcpu, uint32_t vector)
{
	struct kvmini_interrupt irq = { .irq = vector };

	return ioctl_err(vcpu->fd, KVMINI_INTERRUPT, (unsigned long)&irq);
}

static void guest_reset_state(void)
{
	guest_sti();
	GUEST_SYNC(1);
	GUEST_SYNC4(irq_count, irq_vec[0], 0, 0);
	GUEST_SYNC4(irq_count, irq_vec[1], 0, 0);
}

/* The BSP's LVT0 at reset is ExtINT, unmasked; the APIC software-disabled. */
TEST(reset_lvt0_takes_extint)
{
	struct kvmini_vcpu *vcpu;
	struct kvmini_vm *vm = extint_vm(guest_reset_state, &vcpu);
	struct kvmini_lapic_state s;
	struct ucall uc;

	REQUIRE_SPLIT(vm);
	ASSERT_EQ(0, ioctl(vcpu->fd, KVMINI_GET_LAPIC, &s));
	EXPECT_EQ(APIC_LVT_DM_EXTINT, apic_page_reg(&s, APIC_LVT0));
	EXPECT_EQ(0xffU, apic_page_reg(&s, APIC_SVR));
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(1, vcpu->run->if_flag);
	EXPECT_EQ(1, vcpu->run->ready_for_interrupt_injection);
	EXPECT_EQ(-EINVAL, inject(vcpu, 256));
	ASSERT_EQ(0, inject(vcpu, 0x31));
	/* One slot: the second waits for the first to be taken. */
	EXPECT_EQ(-EEXIST, inject(vcpu, 0x32));
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(1ULL, uc.args[0]);
	EXPECT_EQ(0x31ULL, uc.args[1]);
	EXPECT_EQ(1, vcpu->run->ready_for_interrupt_injection);
	ASSERT_EQ(0, inject(vcpu, 0x33));
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(2ULL, uc.args[0]);
	EXPECT_EQ(0x33ULL, uc.args[1]);
	vm_free(vm);
}

static void guest_mask(void)
{
	xapic_enable(0xff);
	xapic_write(APIC_LVT0, APIC_LVT_DM_EXTINT);
	guest_sti();
	GUEST_SYNC(1);
	xapic_write(APIC_LVT0, APIC_LVT_DM_EXTINT | APIC_LVT_MASKED);
	GUEST_SYNC(2);
	GUEST_SYNC4(irq_count, 0, 0, 0);
	GUEST_SYNC4(irq_count, 0, 0, 0);
	xapic_write(APIC_LVT0, APIC_LVT_DM_EXTINT);
	GUEST_SYNC(4);
	GUEST_SYNC4(irq_count, irq_vec[0], 0, 0);
}

TEST(masked_lvt0)
{
	struct kvmini_vcpu *vcpu;
	struct kvmini_vm *vm = extint_vm(guest_mask, &vcpu);
	struct kvmini_regs regs;
	struct ucall uc;

	REQUIRE_SPLIT(vm);
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	ASSERT_EQ(1ULL, uc.args[0]);
	EXPECT_EQ(1, vcpu->run->ready_for_interrupt_injection);
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	ASSERT_EQ(2ULL, uc.args[0]);
	/* Masked: not ready, yet the slot takes a vector (and only one). */
	EXPECT_EQ(1, vcpu->run->if_flag);
	EXPECT_EQ(0, vcpu->run->ready_for_interrupt_injection);
	ASSERT_EQ(0, inject(vcpu, 0x32));
	EXPECT_EQ(-EEXIST, inject(vcpu, 0x33));
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(0ULL, uc.args[0]) TH_LOG("taken through a masked LVT0");
	EXPECT_EQ(0, vcpu->run->ready_for_interrupt_injection);
	/* No window while masked: the guest runs on to its next ucall. */
	vcpu->run->request_interrupt_window = 1;
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(0ULL, uc.args[0]);
	vcpu->run->request_interrupt_window = 0;
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	ASSERT_EQ(4ULL, uc.args[0]);		/* unmasked */
	/* As a VMM does before a run: KVM looks at its events again. */
	vcpu_ioctl(vcpu, KVMINI_GET_REGS, &regs);
	vcpu_ioctl(vcpu, KVMINI_SET_REGS, &regs);
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(1ULL, uc.args[0]);
	EXPECT_EQ(0x32ULL, uc.args[1]);
	EXPECT_EQ(1, vcpu->run->ready_for_interrupt_injection);
	vm_free(vm);
}

/* IF=0 at SYNC(1); STI; NOP; the window opens at sti_nop_end. */
static void guest_if0(void)
{
	xapic_enable(0xff);
	xapic_write(APIC_LVT0, APIC_LVT_DM_EXTINT);
	guest_cli();
	GUEST_SYNC(1);
	asm volatile("sti\n\t"
		     "nop\n\t"
		     ".globl sti_nop_end\n"
		     "sti_nop_end:\n\t"
		     "nop" ::: "memory");
	GUEST_SYNC4(irq_count, irq_vec[0], irq_rip[0], 0);
}

/* With IF=0 the vector waits (unlike without an in-kernel APIC on SVM). */
TEST(held_while_if0)
{
	struct kvmini_vcpu *vcpu;
	struct kvmini_vm *vm = extint_vm(guest_if0, &vcpu);
	struct ucall uc;

	REQUIRE_SPLIT(vm);
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(0, vcpu->run->if_flag);
	EXPECT_EQ(0, vcpu->run->ready_for_interrupt_injection);
	ASSERT_EQ(0, inject(vcpu, 0x31));
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(1ULL, uc.args[0]);
	EXPECT_EQ(0x31ULL, uc.args[1]);
	EXPECT_EQ((uintptr_t)sti_nop_end, uc.args[2]);
	vm_free(vm);
}

TEST(window_open_exit)
{
	struct kvmini_vcpu *vcpu;
	struct kvmini_vm *vm = extint_vm(guest_if0, &vcpu);
	struct kvmini_regs regs;
	struct ucall uc;

	REQUIRE_SPLIT(vm);
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	vcpu->run->request_interrupt_window = 1;
	vcpu_run_expect(vcpu, KVMINI_EXIT_IRQ_WINDOW_OPEN);
	vcpu_ioctl(vcpu, KVMINI_GET_REGS, &regs);
	EXPECT_EQ((uintptr_t)sti_nop_end, regs.rip);
	EXPECT_EQ(1, vcpu->run->if_flag);
	EXPECT_EQ(1, vcpu->run->ready_for_interrupt_injection);
	EXPECT_EQ(0ULL, GUEST_VAR(vm, irq_count));
	ASSERT_EQ(0, inject(vcpu, 0x32));
	vcpu->run->request_interrupt_window = 0;
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(1ULL, uc.args[0]);
	EXPECT_EQ(0x32ULL, uc.args[1]);
	EXPECT_EQ((uintptr_t)sti_nop_end, uc.args[2]);
	vm_free(vm);
}

static void guest_apic_off(void)
{
	xapic_enable(0xff);
	xapic_write(APIC_LVT0, APIC_LVT_DM_EXTINT | APIC_LVT_MASKED);
	wrmsr(MSR_IA32_APICBASE, apic_base_read() & ~APICBASE_EN);
	guest_sti();
	GUEST_SYNC(1);
	GUEST_SYNC4(irq_count, irq_vec[0], 0, 0);
}

/* APIC disabled in APIC_BASE: LINT0 is the PIC's, whatever LVT0 says. */
TEST(apic_disabled_passes_extint)
{
	struct kvmini_vcpu *vcpu;
	struct kvmini_vm *vm = extint_vm(guest_apic_off, &vcpu);
	struct ucall uc;

	REQUIRE_SPLIT(vm);
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(0ULL, vcpu->run->apic_base & APICBASE_EN);
	EXPECT_EQ(1, vcpu->run->ready_for_interrupt_injection);
	ASSERT_EQ(0, inject(vcpu, 0x30));
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(1ULL, uc.args[0]);
	EXPECT_EQ(0x30ULL, uc.args[1]);
	vm_free(vm);
}

TEST_HARNESS_MAIN
