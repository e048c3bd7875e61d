// SPDX-License-Identifier: GPL-2.0
/*
 * Feature MSRs (KVMINI_CAP_GET_MSR_FEATURES), as KVM: the device lists
 * them with KVMINI_GET_MSR_FEATURE_INDEX_LIST (E2BIG with the count when
 * the list is too short) and reads them with KVMINI_GET_MSRS on the
 * device fd, stopping at the first MSR that is not one. Without nested
 * virtualization and a PMU: microcode revision, ARCH_CAPABILITIES (what
 * a new vCPU has), PERF_CAPABILITIES 0, and on AMD DE_CFG.
 */
#include "kvmini_util.h"
#include "kvmini_vm.h"
#include "kselftest_harness.h"

#define MSR_TSC			0x10
#define MSR_UCODE_REV		0x8b
#define MSR_ARCH_CAPABILITIES	0x10a
#define MSR_PERF_CAPABILITIES	0x345
#define MSR_DE_CFG		0xc0011029

struct msrs {
	struct kvmini_msrs hdr;
	struct kvmini_msr_entry e[4];
};

static bool listed(const struct kvmini_msr_list *l, uint32_t msr)
{
	for (uint32_t i = 0; i < l->nmsrs; i++)
		if (l->indices[i] == msr)
			return true;
	return false;
}

TEST(features)
{
	struct kvmini_vm *vm = vm_create();
	struct kvmini_msr_list *l;
	struct kvmini_vcpu *vcpu;
	struct msrs m = { .hdr.nmsrs = 3 };
	uint32_t n = 0, idx = MSR_ARCH_CAPABILITIES;
	uint64_t vcpu_caps = 0;

	REQUIRE_VM(vm);
	EXPECT_EQ(1, ioctl(vm->dev_fd, KVMINI_CHECK_EXTENSION, KVMINI_CAP_GET_MSR_FEATURES));
	l = calloc(1, sizeof(*l) + 512 * sizeof(uint32_t));
	EXPECT_EQ(-E2BIG, ioctl_err(vm->dev_fd, KVMINI_GET_MSR_FEATURE_INDEX_LIST,
				    (unsigned long)l));
	n = l->nmsrs;
	ASSERT_GE(n, 3U);
	ASSERT_LE(n, 512U);
	dev_ioctl(vm, KVMINI_GET_MSR_FEATURE_INDEX_LIST, l);
	EXPECT_EQ(n, l->nmsrs);
	EXPECT_TRUE(listed(l, MSR_UCODE_REV));
	EXPECT_TRUE(listed(l, MSR_ARCH_CAPABILITIES));
	EXPECT_TRUE(listed(l, MSR_PERF_CAPABILITIES));
	EXPECT_EQ(host_cpu_is_amd(), listed(l, MSR_DE_CFG));

	/* Read them; the TSC is no feature MSR: the read stops there. */
	m.e[0].index = MSR_ARCH_CAPABILITIES;
	m.e[1].index = MSR_PERF_CAPABILITIES;
	m.e[2].index = MSR_TSC;
	EXPECT_EQ(2, ioctl(vm->dev_fd, KVMINI_GET_MSRS, &m));
	EXPECT_EQ(0ULL, m.e[1].data);	/* no PMU */
	vcpu = vcpu_add(vm, 0);
	ASSERT_EQ(1, vcpu_msrs_io(vcpu, KVMINI_GET_MSRS, &idx, &vcpu_caps, 1));
	EXPECT_EQ(vcpu_caps, m.e[0].data);
	free(l);
	vm_free(vm);
}

TEST_HARNESS_MAIN
