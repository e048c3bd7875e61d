// SPDX-License-Identifier: GPL-2.0
/*
 * MSR filtering and MSR exits to the VMM, as KVM: KVMINI_X86_SET_MSR_FILTER
 * (ranges with a bitmap for reads and/or writes, a default for the rest,
 * KVM's errnos for bad filters) and KVMINI_CAP_X86_USER_SPACE_MSR (a
 * guest RDMSR/WRMSR that fails for a reason the VMM chose exits as
 * KVMINI_EXIT_X86_RDMSR/WRMSR: FILTER, UNKNOWN MSR or INVAL value; the
 * VMM's data goes to EDX:EAX, its error is a #GP). A filtered MSR the
 * hardware would let the guest use directly (FS_BASE) is caught too.
 */
#include "kvmini_util.h"
#include "kvmini_vm.h"
#include "kselftest_harness.h"

#define MSR_CORE_THREAD_COUNT	0x35
#define MSR_FS_BASE		0xc0000100
#define MSR_EFER		0xc0000080
#define MSR_NONE		0x4b564dff	/* no such MSR */

static uint64_t g_res[10];

static void guest_msrs(void)
{
	uint64_t v = 0;

	g_res[0] = rdmsr_safe(MSR_CORE_THREAD_COUNT, &v);	/* filtered: #GP */
	GUEST_SYNC(0);						/* user-space MSRs on */
	g_res[1] = rdmsr_safe(MSR_CORE_THREAD_COUNT, &v);	/* to the VMM */
	g_res[2] = v;
	g_res[3] = wrmsr_safe(MSR_FS_BASE, 0x1234000);		/* denied: VMM says #GP */
	g_res[4] = rdmsr_safe(MSR_FS_BASE, &v);			/* reads are allowed */
	g_res[5] = v;
	g_res[6] = rdmsr_safe(MSR_NONE, &v);			/* unknown: VMM answers */
	g_res[7] = v;
	v = rdmsr(MSR_EFER);
	g_res[8] = wrmsr_safe(MSR_EFER, v | 2);			/* invalid: VMM says fine */
	g_res[9] = rdmsr(MSR_EFER) ^ v;				/* and nothing changed */
}

static int set_filter(struct kvmini_vm *vm, struct kvmini_msr_filter *f)
{
	return ioctl_err(vm->fd, KVMINI_X86_SET_MSR_FILTER, (unsigned long)f);
}

TEST(filter_errors)
{
	struct kvmini_vm *vm = vm_create();
	struct kvmini_msr_filter f = { 0 };
	uint64_t bits = 0;

	REQUIRE_VM(vm);
	EXPECT_EQ(1, ioctl(vm->dev_fd, KVMINI_CHECK_EXTENSION, KVMINI_CAP_X86_USER_SPACE_MSR));
	EXPECT_EQ(1, ioctl(vm->dev_fd, KVMINI_CHECK_EXTENSION, KVMINI_CAP_X86_MSR_FILTER));
	f.flags = 2;
	EXPECT_EQ(-EINVAL, set_filter(vm, &f));
	f.flags = KVMINI_MSR_FILTER_DEFAULT_DENY;	/* deny all, no range */
	EXPECT_EQ(-EINVAL, set_filter(vm, &f));
	f.flags = 0;
	EXPECT_EQ(0, set_filter(vm, &f));		/* allow all: no filter */
	f.ranges[3] = (struct kvmini_msr_filter_range){ .flags = 0, .nmsrs = 1,
							.bitmap = (uintptr_t)&bits };
	EXPECT_EQ(-EINVAL, set_filter(vm, &f));	/* neither read nor write */
	f.ranges[3].flags = 4;
	EXPECT_EQ(-EINVAL, set_filter(vm, &f));
	f.ranges[3].flags = KVMINI_MSR_FILTER_READ;
	f.ranges[3].nmsrs = 0x600 * 8 + 1;		/* a bitmap over 0x600 bytes */
	EXPECT_EQ(-EINVAL, set_filter(vm, &f));
	f.ranges[3].nmsrs = 1;
	f.ranges[3].bitmap = 8;
	EXPECT_EQ(-EFAULT, set_filter(vm, &f));
	vm_free(vm);
}

TEST(exits)
{
	uint64_t deny = 0, fs_before = 0, one = 1;
	struct kvmini_msr_filter f = { .flags = KVMINI_MSR_FILTER_DEFAULT_ALLOW };
	struct kvmini_enable_cap cap = { .cap = KVMINI_CAP_X86_USER_SPACE_MSR };
	struct kvmini_vcpu *vcpu;
	struct kvmini_vm *vm = vm_create_guest(guest_msrs, &vcpu);
	uint32_t fs_idx = MSR_FS_BASE;
	struct kvmini_run *run;
	struct ucall uc;

	REQUIRE_VM(vm);
	run = vcpu->run;
	vcpu_set_cpuid_supported(vcpu);
	f.ranges[0] = (struct kvmini_msr_filter_range){ KVMINI_MSR_FILTER_READ, 1,
							MSR_CORE_THREAD_COUNT, 0,
							(uintptr_t)&deny };
	f.ranges[1] = (struct kvmini_msr_filter_range){ KVMINI_MSR_FILTER_WRITE, 1,
							MSR_FS_BASE, 0, (uintptr_t)&deny };
	f.ranges[2] = (struct kvmini_msr_filter_range){ KVMINI_MSR_FILTER_READ, 1,
							MSR_FS_BASE, 0, (uintptr_t)&one };
	ASSERT_EQ(0, set_filter(vm, &f));
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(13ULL, GUEST_VAR(vm, g_res)[0]);

	cap.args[0] = KVMINI_MSR_EXIT_REASON_INVAL | KVMINI_MSR_EXIT_REASON_UNKNOWN |
		      KVMINI_MSR_EXIT_REASON_FILTER;
	vm_ioctl(vm, KVMINI_ENABLE_CAP, &cap);
	vcpu_msrs_io(vcpu, KVMINI_GET_MSRS, &fs_idx, &fs_before, 1);

	vcpu_run_expect(vcpu, KVMINI_EXIT_X86_RDMSR);
	EXPECT_EQ((uint32_t)MSR_CORE_THREAD_COUNT, run->msr.index);
	EXPECT_EQ((uint32_t)KVMINI_MSR_EXIT_REASON_FILTER, run->msr.reason);
	run->msr.data = 0x10001;

	vcpu_run_expect(vcpu, KVMINI_EXIT_X86_WRMSR);
	EXPECT_EQ((uint32_t)MSR_FS_BASE, run->msr.index);
	EXPECT_EQ((uint32_t)KVMINI_MSR_EXIT_REASON_FILTER, run->msr.reason);
	EXPECT_EQ(0x1234000ULL, run->msr.data);
	run->msr.error = 1;

	vcpu_run_expect(vcpu, KVMINI_EXIT_X86_RDMSR);
	EXPECT_EQ((uint32_t)MSR_NONE, run->msr.index);
	EXPECT_EQ((uint32_t)KVMINI_MSR_EXIT_REASON_UNKNOWN, run->msr.reason);
	run->msr.data = 7;

	vcpu_run_expect(vcpu, KVMINI_EXIT_X86_WRMSR);
	EXPECT_EQ((uint32_t)MSR_EFER, run->msr.index);
	EXPECT_EQ((uint32_t)KVMINI_MSR_EXIT_REASON_INVAL, run->msr.reason);
	run->msr.error = 0;

	ASSERT_EQ(UCALL_DONE, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(GUEST_NO_EXC, GUEST_VAR(vm, g_res)[1]);
	EXPECT_EQ(0x10001ULL, GUEST_VAR(vm, g_res)[2]);
	EXPECT_EQ(13ULL, GUEST_VAR(vm, g_res)[3]);
	EXPECT_EQ(GUEST_NO_EXC, GUEST_VAR(vm, g_res)[4]);
	EXPECT_EQ(fs_before, GUEST_VAR(vm, g_res)[5]);
	EXPECT_EQ(GUEST_NO_EXC, GUEST_VAR(vm, g_res)[6]);
	EXPECT_EQ(7ULL, GUEST_VAR(vm, g_res)[7]);
	EXPECT_EQ(GUEST_NO_EXC, GUEST_VAR(vm, g_res)[8]);
	EXPECT_EQ(0ULL, GUEST_VAR(vm, g_res)[9]);
	vm_free(vm);
}

/* The MSRs a backend may let the guest use without an exit. */
static const uint32_t direct[] = {
	0xc0000100, 0xc0000101, 0xc0000102,		/* FS, GS, KERNEL_GS base */
	0xc0000081, 0xc0000082, 0xc0000083, 0xc0000084,	/* STAR LSTAR CSTAR SFMASK */
	0x174, 0x175, 0x176,				/* SYSENTER CS ESP EIP */
};
#define NDIRECT	(sizeof(direct) / sizeof(direct[0]))
static uint64_t g_wr[NDIRECT], g_rd[NDIRECT];

static void guest_denied(void)
{
	uint64_t v;

	for (unsigned int i = 0; i < NDIRECT; i++) {
		g_wr[i] = wrmsr_safe(direct[i], 0xffff800000001000ULL + i);
		g_rd[i] = rdmsr_safe(direct[i], &v);
	}
}

/* Deny all: even the MSRs the hardware could pass through #GP, unchanged. */
TEST(deny_all)
{
	uint64_t nothing = 0, before[NDIRECT], after[NDIRECT];
	struct kvmini_msr_filter f = { .flags = KVMINI_MSR_FILTER_DEFAULT_DENY };
	struct kvmini_vcpu *vcpu;
	struct kvmini_vm *vm = vm_create_guest(guest_denied, &vcpu);
	struct ucall uc;
	unsigned int i;

	REQUIRE_VM(vm);
	f.ranges[0] = (struct kvmini_msr_filter_range){ KVMINI_MSR_FILTER_READ, 1, 0, 0,
							(uintptr_t)&nothing };
	ASSERT_EQ(0, set_filter(vm, &f));
	ASSERT_EQ((long)NDIRECT, vcpu_msrs_io(vcpu, KVMINI_GET_MSRS, direct, before, NDIRECT));
	ASSERT_EQ(UCALL_DONE, vcpu_run_ucall(vcpu, &uc));
	ASSERT_EQ((long)NDIRECT, vcpu_msrs_io(vcpu, KVMINI_GET_MSRS, direct, after, NDIRECT));
	for (i = 0; i < NDIRECT; i++) {
		EXPECT_EQ(13ULL, GUEST_VAR(vm, g_wr)[i]) TH_LOG("WRMSR %#x", direct[i]);
		EXPECT_EQ(13ULL, GUEST_VAR(vm, g_rd)[i]) TH_LOG("RDMSR %#x", direct[i]);
		EXPECT_EQ(before[i], after[i]) TH_LOG("MSR %#x", direct[i]);
	}
	vm_free(vm);
}

TEST_HARNESS_MAIN
