// SPDX-License-Identifier: GPL-2.0
/*
 * SMSW gives the guest's CR0 (its low 16 bits to memory or a 16-bit
 * register, the rest of which stays) also where the hypervisor takes CR0
 * reads over: kvmini on SVM intercepts them while the guest has CR0.CD or
 * NW set (which the hardware's CR0 does not get), and then decodes SMSW
 * (register, RAM, a device) itself; kvm-unit-tests' realmode test does
 * SMSW right after setting CD. With CD clear and set. Runs on KVM too.
 */
#include "kvmini_util.h"
#include "kvmini_vm.h"
#include "kselftest_harness.h"

#define DEV_GPA		0xc0000000ULL	/* no slot: a device */

static uint16_t word[4];

static void guest_smsw(void)
{
	uint64_t cr0, cd, ax, eax;
	int i;

	asm volatile("mov %%cr0, %0" : "=r"(cr0));
	for (i = 0; i < 2; i++) {
		cd = i ? cr0 | X86_CR0_CD : cr0;
		asm volatile("mov %0, %%cr0" : : "r"(cd));
		ax = 0x1234567890abcdefULL;
		asm volatile("smsw %w0" : "+r"(ax));
		asm volatile("smsw %k0" : "=r"(eax));
		word[0] = word[1] = word[2] = 0xaaaa;
		asm volatile("smsw %0" : "=m"(word[1]));
		asm volatile("smsw (%0)" : : "r"(DEV_GPA) : "memory");
		asm volatile("mov %0, %%cr0" : : "r"(cr0));
		GUEST_SYNC4(cd, ax, eax, (uint64_t)word[0] << 32 | word[1] << 16 | word[2]);
	}
}

TEST(smsw)
{
	struct kvmini_vcpu *vcpu;
	struct kvmini_vm *vm = vm_create_guest(guest_smsw, &vcpu);
	struct kvmini_run *run;
	struct ucall uc;
	int i;

	REQUIRE_VM(vm);
	run = vcpu->run;
	vm_map(vm, DEV_GPA, DEV_GPA, 0x1000);
	for (i = 0; i < 2; i++) {
		uint16_t dev;

		ASSERT_EQ(0, vcpu_run(vcpu));
		ASSERT_EQ(KVMINI_EXIT_MMIO, (int)run->exit_reason);
		EXPECT_EQ(DEV_GPA, run->mmio.phys_addr);
		EXPECT_EQ(2U, run->mmio.len);
		EXPECT_TRUE(run->mmio.is_write);
		dev = *(uint16_t *)run->mmio.data;
		ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
		EXPECT_EQ((uint64_t)i, (uint64_t)!!(uc.args[0] & X86_CR0_CD));
		EXPECT_EQ(0x1234567890ab0000ULL | (uc.args[0] & 0xffff), uc.args[1]);
		EXPECT_EQ(uc.args[0] & 0xffff, uc.args[2] & 0xffff);
		EXPECT_EQ(0xaaaa0000aaaaULL | (uc.args[0] & 0xffff) << 16, uc.args[3]);
		EXPECT_EQ(uc.args[0] & 0xffff, dev);
	}
	vm_free(vm);
}

TEST_HARNESS_MAIN
