// SPDX-License-Identifier: GPL-2.0
/*
 * The TPR (CR8) without an in-kernel APIC, as KVM keeps it: the VMM owns
 * it through run->cr8, read back at every exit and loaded at every
 * KVMINI_RUN (a value above 15 is EINVAL). A guest that raises it goes
 * on; one that lowers it exits with KVMINI_EXIT_SET_TPR, RIP past the
 * write, so that the VMM can deliver what the TPR held back.
 */
#include "kvmini_util.h"
#include "kvmini_vm.h"
#include "kselftest_harness.h"

static uint64_t g_cr8[2];
extern char tpr_lower[], tpr_lowered[];

static void guest_tpr(void)
{
	asm volatile("mov %0, %%cr8" : : "r"(5ULL));	/* raise: no exit */
	GUEST_SYNC(1);
	asm volatile("mov $2, %%eax\n"
		     "tpr_lower: mov %%rax, %%cr8\n"	/* lower: SET_TPR */
		     "tpr_lowered:" : : : "rax");
	asm volatile("mov %%cr8, %0" : "=r"(g_cr8[0]));	/* the VMM's 9 */
	GUEST_SYNC(2);
	asm volatile("mov %%cr8, %0" : "=r"(g_cr8[1]));	/* the VMM's 0 */
}

TEST(vmm_and_guest)
{
	struct kvmini_vcpu *vcpu;
	struct kvmini_vm *vm = vm_create_guest(guest_tpr, &vcpu);
	struct kvmini_regs regs;
	struct ucall uc;

	REQUIRE_VM(vm);
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(5ULL, vcpu->run->cr8);

	vcpu_run_expect(vcpu, KVMINI_EXIT_SET_TPR);
	EXPECT_EQ(2ULL, vcpu->run->cr8);
	vcpu_ioctl(vcpu, KVMINI_GET_REGS, &regs);
	EXPECT_EQ((uintptr_t)tpr_lowered, regs.rip);
	vcpu->run->cr8 = 9;
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(9ULL, GUEST_VAR(vm, g_cr8)[0]);
	EXPECT_EQ(9ULL, vcpu->run->cr8);

	vcpu->run->cr8 = 16;
	EXPECT_EQ(-EINVAL, ioctl_err(vcpu->fd, KVMINI_RUN, 0));
	vcpu->run->cr8 = 0;
	ASSERT_EQ(UCALL_DONE, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(0ULL, GUEST_VAR(vm, g_cr8)[1]);
	vm_free(vm);
}

TEST_HARNESS_MAIN
