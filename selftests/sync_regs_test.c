// SPDX-License-Identifier: GPL-2.0
/*
 * KVMINI_CAP_SYNC_REGS: registers in kvmini_run itself, as KVM. After a
 * run, the kinds the VMM marked in kvm_valid_regs (REGS, SREGS, EVENTS)
 * are there, the same as GET_REGS/GET_SREGS/GET_VCPU_EVENTS give; those
 * it marked in kvm_dirty_regs are loaded before the run and their bits
 * cleared. Unknown bits in either, or SREGS that SET_SREGS would refuse,
 * make KVMINI_RUN fail with EINVAL (the run struct's if_flag, cr8,
 * apic_base and ready_for_interrupt_injection still refreshed, as KVM).
 */
#include "kvmini_util.h"
#include "kvmini_vm.h"
#include "kselftest_harness.h"

#define ALL	(KVMINI_SYNC_X86_REGS | KVMINI_SYNC_X86_SREGS | KVMINI_SYNC_X86_EVENTS)

/* Each exit (OUT to 0x80) follows one more increment of RBX. */
static void guest_count(void)
{
	asm volatile("1: inc %%rbx; outb %%al, $0x80; jmp 1b" : : : "rbx");
}

FIXTURE(sr) {
	struct kvmini_vm *vm;
	struct kvmini_vcpu *vcpu;
};

FIXTURE_SETUP(sr)
{
	self->vm = vm_create_guest(guest_count, &self->vcpu);
	REQUIRE_VM_SETUP(self->vm);
}

FIXTURE_TEARDOWN(sr)
{
	vm_free(self->vm);
}

TEST_F(sr, cap_and_bad_bits)
{
	struct kvmini_run *run = self->vcpu->run;

	EXPECT_EQ((int)ALL, ioctl(self->vm->dev_fd, KVMINI_CHECK_EXTENSION, KVMINI_CAP_SYNC_REGS));
	run->kvm_valid_regs = ALL | 8;
	/* As KVM: the run struct's state fields are refreshed on EINVAL too. */
	run->if_flag = run->ready_for_interrupt_injection = 0x55;
	run->apic_base = 1;
	EXPECT_EQ(-EINVAL, ioctl_err(self->vcpu->fd, KVMINI_RUN, 0));
	EXPECT_GE(1, run->if_flag);
	EXPECT_GE(1, run->ready_for_interrupt_injection);
	EXPECT_EQ(0xfee00900ULL, run->apic_base);	/* BSP, enabled */
	run->kvm_valid_regs = 0;
	run->kvm_dirty_regs = 8;
	EXPECT_EQ(-EINVAL, ioctl_err(self->vcpu->fd, KVMINI_RUN, 0));
}

TEST_F(sr, valid_after_run)
{
	struct kvmini_run *run = self->vcpu->run;
	struct kvmini_vcpu_events ev;
	struct kvmini_sregs sregs;
	struct kvmini_regs regs;

	run->kvm_valid_regs = ALL;
	vcpu_run_expect(self->vcpu, KVMINI_EXIT_IO);
	vcpu_ioctl(self->vcpu, KVMINI_GET_REGS, &regs);
	vcpu_ioctl(self->vcpu, KVMINI_GET_SREGS, &sregs);
	vcpu_ioctl(self->vcpu, KVMINI_GET_VCPU_EVENTS, &ev);
	EXPECT_EQ(0, memcmp(&regs, &run->s.regs.regs, sizeof(regs)));
	EXPECT_EQ(0, memcmp(&sregs, &run->s.regs.sregs, sizeof(sregs)));
	EXPECT_EQ(0, memcmp(&ev, &run->s.regs.events, sizeof(ev)));
	EXPECT_EQ(1ULL, run->s.regs.regs.rbx - regs.rbx + 1);

	/* Changed with SET_REGS: the next run's copy has it. */
	regs.rbx = 100;
	vcpu_ioctl(self->vcpu, KVMINI_SET_REGS, &regs);
	vcpu_run_expect(self->vcpu, KVMINI_EXIT_IO);
	EXPECT_EQ(101ULL, run->s.regs.regs.rbx);
}

TEST_F(sr, dirty_before_run)
{
	struct kvmini_run *run = self->vcpu->run;
	struct kvmini_regs regs;

	run->kvm_valid_regs = ALL;
	vcpu_run_expect(self->vcpu, KVMINI_EXIT_IO);
	run->s.regs.regs.rbx = 0x1000;
	run->kvm_dirty_regs = KVMINI_SYNC_X86_REGS;
	vcpu_run_expect(self->vcpu, KVMINI_EXIT_IO);
	EXPECT_EQ(0ULL, run->kvm_dirty_regs);
	EXPECT_EQ(0x1001ULL, run->s.regs.regs.rbx);
	vcpu_ioctl(self->vcpu, KVMINI_GET_REGS, &regs);
	EXPECT_EQ(0x1001ULL, regs.rbx);

	/* Dirty SREGS that SET_SREGS refuses (PG without PE): EINVAL. */
	run->s.regs.sregs.cr0 = 0x80000000;
	run->kvm_dirty_regs = KVMINI_SYNC_X86_SREGS;
	EXPECT_EQ(-EINVAL, ioctl_err(self->vcpu->fd, KVMINI_RUN, 0));
	/* Not dirty: the copy in kvmini_run is only a copy. */
	run->kvm_dirty_regs = 0;
	run->s.regs.regs.rbx = 7;
	vcpu_run_expect(self->vcpu, KVMINI_EXIT_IO);
	EXPECT_EQ(0x1002ULL, run->s.regs.regs.rbx);
}

/* The kernel's sync_regs_test's guest: IN, then one more in RBX. */
static void guest_in_count(void)
{
	asm volatile("1: in %%dx, %%al; add $1, %%rbx; jmp 1b" : : "d"(0x1000) : "rax", "rbx");
}

/*
 * The kernel's sync_regs_test, with its library's in-kernel irqchip: the
 * APIC base moved to 0 (BSP bit off) through dirty SREGS with REGS, at an
 * IN's exit; the run goes on and both stick. Then as that library runs
 * it: after each exit, a RUN with immediate_exit completes the IN (its
 * get_ucall()'s vcpu_run_complete_io()), so the run with dirty registers
 * has nothing left to complete and must still enter the guest.
 */
TEST(apic_base_with_irqchip)
{
	struct kvmini_vcpu *vcpu;
	struct kvmini_vm *vm = vm_create_guest_irqchip(guest_in_count, &vcpu);
	struct kvmini_run *run;

	REQUIRE_IRQCHIP(vm);
	run = vcpu->run;
	run->kvm_valid_regs = ALL;
	vcpu_run_expect(vcpu, KVMINI_EXIT_IO);
	run->s.regs.regs.rbx = 0xbad1dea;
	run->s.regs.sregs.apic_base = 1 << 11;
	run->kvm_dirty_regs = KVMINI_SYNC_X86_REGS | KVMINI_SYNC_X86_SREGS;
	vcpu_run_expect(vcpu, KVMINI_EXIT_IO);
	EXPECT_EQ(0xbad1dea + 1ULL, run->s.regs.regs.rbx);
	EXPECT_EQ(1ULL << 11, run->s.regs.sregs.apic_base);

	/* The IN completed by an immediate exit: RIP past it, RBX as it was. */
	run->immediate_exit = 1;
	EXPECT_EQ(-EINTR, ioctl_err(vcpu->fd, KVMINI_RUN, 0));
	run->immediate_exit = 0;
	EXPECT_EQ(0xbad1dea + 1ULL, run->s.regs.regs.rbx);
	run->s.regs.regs.rbx = 0xdeadbeef;
	run->kvm_dirty_regs = KVMINI_SYNC_X86_REGS | KVMINI_SYNC_X86_SREGS;
	run->exit_reason = KVMINI_EXIT_UNKNOWN;	/* no stale IO exit to find */
	vcpu_run_expect(vcpu, KVMINI_EXIT_IO);
	EXPECT_EQ(0ULL, run->kvm_dirty_regs);
	EXPECT_EQ(0xdeadbeef + 1ULL, run->s.regs.regs.rbx);
	EXPECT_EQ(1ULL << 11, run->s.regs.sregs.apic_base);
	vm_free(vm);
}

TEST_HARNESS_MAIN
