// SPDX-License-Identifier: GPL-2.0
/*
 * The RFLAGS an exception handler finds on its stack: RF is set for a
 * fault-class exception the hypervisor injects (#UD it intercepted, #GP
 * for a CR4 value or an MSR it refuses, #DE from a device's divisor), as
 * a real CPU sets it for the faults it delivers itself, and clear for a
 * trap (INT3). As KVM's inject_pending_event(); the kvm-unit-tests
 * idt_test checks it. (QEMU's and Bochs's CPUs leave RF out of their own
 * #PF and #DE: those are only shown.) Runs on KVM too.
 */
#include "kvmini_util.h"
#include "kvmini_vm.h"
#include "kselftest_harness.h"

#define DEV_GPA		0xc0000000ULL	/* no slot: a device */
#define UNMAPPED	0x80000000ULL	/* no guest page table entry */
#define RF		(1ULL << 16)

/* The vector and RF of the exception the last guest_exc_arm() caught. */
#define SEEN()	(guest_exc.vector << 1 | !!(guest_exc.rflags & RF))

static void guest_rf(void)
{
	uint64_t cr4 = ~0ULL, a = 1, d = 0, ud, gp_cr4, gp_msr, bp, pf, de, de_dev;

	guest_exc_arm(2);
	asm volatile("ud2");
	ud = SEEN();
	guest_exc_arm(3);
	asm volatile("mov %0, %%cr4" : : "r"(cr4));	/* 0f 22 /r: 3 bytes */
	gp_cr4 = SEEN();
	guest_exc_arm(2);
	asm volatile("wrmsr" : : "c"(0x12345678), "a"(0), "d"(0));
	gp_msr = SEEN();
	guest_exc_arm(0);
	asm volatile("int3");
	bp = SEEN();
	guest_exc_arm(2);
	asm volatile("movb (%0), %%al" : : "c"(UNMAPPED) : "rax");	/* 8a 01 */
	pf = SEEN();
	guest_exc_arm(2);
	asm volatile("divl %%ecx" : "+a"(a), "+d"(d) : "c"(0));		/* f7 f1 */
	de = SEEN();
	guest_exc_arm(2);
	asm volatile("divl (%2)" : "+a"(a), "+d"(d) : "c"(DEV_GPA) : "memory");	/* f7 31 */
	de_dev = SEEN();
	GUEST_SYNC4(ud, gp_cr4, gp_msr, bp);
	GUEST_SYNC4(pf, de, de_dev, 0);
}

TEST(rf_in_the_frame)
{
	struct kvmini_vcpu *vcpu;
	struct kvmini_vm *vm = vm_create_guest(guest_rf, &vcpu);
	struct ucall uc;

	REQUIRE_VM(vm);
	vcpu_set_cpuid_supported(vcpu);
	vm_map(vm, DEV_GPA, DEV_GPA, 0x1000);
	for (;;) {
		ASSERT_EQ(0, vcpu_run(vcpu));
		if (vcpu->run->exit_reason != KVMINI_EXIT_MMIO)
			break;
		memset(vcpu->run->mmio.data, 0, 8);	/* the device reads 0 */
	}
	ASSERT_EQ(UCALL_SYNC, vcpu_get_ucall(vcpu, &uc));
	EXPECT_EQ(6U << 1 | 1, uc.args[0]);	/* #UD, intercepted and injected */
	EXPECT_EQ(13U << 1 | 1, uc.args[1]);	/* #GP, CR4 */
	EXPECT_EQ(13U << 1 | 1, uc.args[2]);	/* #GP, WRMSR */
	EXPECT_EQ(3U << 1, uc.args[3]);		/* #BP: a trap, no RF */
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	/* The emulated hosts' CPUs deliver their own faults without RF: only shown. */
	EXPECT_EQ(14U, uc.args[0] >> 1);	/* #PF, the CPU's own */
	EXPECT_EQ(0U, uc.args[1] >> 1);		/* #DE, the CPU's own */
	TH_LOG("the CPU's own #PF and #DE: RF %d, %d", (int)(uc.args[0] & 1),
	       (int)(uc.args[1] & 1));
	EXPECT_EQ(0U << 1 | 1, uc.args[2]);	/* #DE, from the device's 0 */
	vm_free(vm);
}

TEST_HARNESS_MAIN
