// SPDX-License-Identifier: GPL-2.0
/*
 * The vCPU's TSC offset as a device attribute (KVMINI_VCPU_TSC_CTRL /
 * KVMINI_VCPU_TSC_OFFSET, KVMINI_CAP_VCPU_ATTRIBUTES), as KVM: HAS says
 * it exists (ENXIO for other groups and attributes), GET gives the guest
 * TSC minus the host's, SET moves the guest's TSC by it and leaves
 * TSC_ADJUST alone; a bad address is EFAULT.
 */
#include <x86intrin.h>

#include "kvmini_util.h"
#include "kvmini_vm.h"
#include "kselftest_harness.h"

#define MSR_TSC_ADJUST	0x3b
#define SHIFT		(1ULL << 40)	/* the offset moved by this much */

static void guest_tsc(void)
{
	GUEST_SYNC(__rdtsc());
}

static int attr(struct kvmini_vcpu *vcpu, unsigned long cmd, uint32_t group, uint64_t a,
		void *addr)
{
	struct kvmini_device_attr da = { .group = group, .attr = a, .addr = (uintptr_t)addr };

	return ioctl_err(vcpu->fd, cmd, (unsigned long)&da);
}

TEST(offset)
{
	struct kvmini_vcpu *vcpu;
	struct kvmini_vm *vm = vm_create_guest(guest_tsc, &vcpu);
	uint32_t adj_idx = MSR_TSC_ADJUST;
	uint64_t off, off2, adj = 0, adj2 = 0, before, after;
	struct ucall uc;

	REQUIRE_VM(vm);
	vcpu_set_cpuid_supported(vcpu);
	EXPECT_EQ(1, ioctl(vm->dev_fd, KVMINI_CHECK_EXTENSION, KVMINI_CAP_VCPU_ATTRIBUTES));
	EXPECT_EQ(0, attr(vcpu, KVMINI_HAS_DEVICE_ATTR, KVMINI_VCPU_TSC_CTRL,
			  KVMINI_VCPU_TSC_OFFSET, NULL));
	EXPECT_EQ(-ENXIO, attr(vcpu, KVMINI_HAS_DEVICE_ATTR, 1, 0, NULL));
	EXPECT_EQ(-ENXIO, attr(vcpu, KVMINI_HAS_DEVICE_ATTR, 0, 1, NULL));
	EXPECT_EQ(-ENXIO, attr(vcpu, KVMINI_GET_DEVICE_ATTR, 0, 1, &off));
	EXPECT_EQ(-EFAULT, attr(vcpu, KVMINI_GET_DEVICE_ATTR, 0, 0, (void *)8));

	ASSERT_EQ(0, attr(vcpu, KVMINI_GET_DEVICE_ATTR, 0, 0, &off));
	vcpu_msrs_io(vcpu, KVMINI_GET_MSRS, &adj_idx, &adj, 1);
	off2 = off + SHIFT;
	ASSERT_EQ(0, attr(vcpu, KVMINI_SET_DEVICE_ATTR, 0, 0, &off2));
	off2 = 0;
	ASSERT_EQ(0, attr(vcpu, KVMINI_GET_DEVICE_ATTR, 0, 0, &off2));
	EXPECT_EQ(off + SHIFT, off2);
	vcpu_msrs_io(vcpu, KVMINI_GET_MSRS, &adj_idx, &adj2, 1);
	EXPECT_EQ(adj, adj2);			/* TSC_ADJUST untouched */

	before = __rdtsc();
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	after = __rdtsc();
	EXPECT_LE(before + off + SHIFT, uc.args[0]);
	EXPECT_GE(after + off + SHIFT, uc.args[0]);
	vm_free(vm);
}

TEST_HARNESS_MAIN
