// SPDX-License-Identifier: GPL-2.0
/*
 * VM-wide settings, with KVM's rules: KVMINI_SET_BOOT_CPU_ID (the BSP
 * flag of the APIC base goes to that vCPU; EBUSY once a vCPU exists),
 * KVMINI_CAP_MAX_VCPU_ID through KVMINI_ENABLE_CAP (once, never above
 * the limit; CREATE_VCPU then refuses ids at or above it, and the first
 * vCPU fixes the default), KVMINI_SET/GET_NR_MMU_PAGES (at least 64;
 * by default 2% of the slots' pages once there are slots, at least 64),
 * and KVMINI_CAP_MSR_PLATFORM_INFO (0: the guest's RDMSR of it is #GP).
 */
#include "kvmini_util.h"
#include "kvmini_vm.h"
#include "kselftest_harness.h"

#define MSR_APIC_BASE	0x1b
#define APIC_BSP	(1ULL << 8)

static uint64_t apic_base(struct kvmini_vcpu *vcpu)
{
	uint32_t idx = MSR_APIC_BASE;
	uint64_t v = 0;

	vcpu_msrs_io(vcpu, KVMINI_GET_MSRS, &idx, &v, 1);
	return v;
}

TEST(boot_cpu_id)
{
	struct kvmini_vm *vm = vm_create();
	struct kvmini_vcpu *v0, *v1;

	REQUIRE_VM(vm);
	EXPECT_EQ(1, ioctl(vm->dev_fd, KVMINI_CHECK_EXTENSION, KVMINI_CAP_SET_BOOT_CPU_ID));
	EXPECT_EQ(0, ioctl_err(vm->fd, KVMINI_SET_BOOT_CPU_ID, 1));
	v0 = vcpu_add(vm, 0);
	v1 = vcpu_add(vm, 1);
	EXPECT_EQ(0ULL, apic_base(v0) & APIC_BSP);
	EXPECT_EQ(APIC_BSP, apic_base(v1) & APIC_BSP);
	EXPECT_EQ(-EBUSY, ioctl_err(vm->fd, KVMINI_SET_BOOT_CPU_ID, 0));
	vm_free(vm);
}

TEST(max_vcpu_id)
{
	struct kvmini_enable_cap cap = { .cap = KVMINI_CAP_MAX_VCPU_ID };
	struct kvmini_vm *vm = vm_create();
	long max;

	REQUIRE_VM(vm);
	max = ioctl(vm->fd, KVMINI_CHECK_EXTENSION, KVMINI_CAP_MAX_VCPU_ID);
	ASSERT_GE(max, 128);
	cap.args[0] = max + 1;
	EXPECT_EQ(-EINVAL, ioctl_err(vm->fd, KVMINI_ENABLE_CAP, (unsigned long)&cap));
	cap.args[0] = 128;
	EXPECT_EQ(0, ioctl_err(vm->fd, KVMINI_ENABLE_CAP, (unsigned long)&cap));
	EXPECT_EQ(0, ioctl_err(vm->fd, KVMINI_ENABLE_CAP, (unsigned long)&cap));	/* same */
	cap.args[0] = 129;
	EXPECT_EQ(-EINVAL, ioctl_err(vm->fd, KVMINI_ENABLE_CAP, (unsigned long)&cap));
	EXPECT_EQ(-EINVAL, ioctl_err(vm->fd, KVMINI_CREATE_VCPU, 128));
	vcpu_add(vm, 127);
	vm_free(vm);

	/* Without it, the first vCPU fixes the limit at the maximum. */
	vm = vm_create();
	vcpu_add(vm, 0);
	cap.args[0] = 128;
	EXPECT_EQ(-EINVAL, ioctl_err(vm->fd, KVMINI_ENABLE_CAP, (unsigned long)&cap));
	cap.args[0] = max;
	EXPECT_EQ(0, ioctl_err(vm->fd, KVMINI_ENABLE_CAP, (unsigned long)&cap));
	vm_free(vm);
}

TEST(nr_mmu_pages)
{
	struct kvmini_vm *vm = vm_create();

	REQUIRE_VM(vm);
	EXPECT_EQ(1, ioctl(vm->dev_fd, KVMINI_CHECK_EXTENSION,
			   KVMINI_CAP_MMU_SHADOW_CACHE_CONTROL));
	EXPECT_EQ(0, ioctl(vm->fd, KVMINI_GET_NR_MMU_PAGES, 0));	/* no slot yet */
	vm_add_mem(vm, 0, 0, 64 << 20);			/* 16384 pages: 2% is 327 */
	EXPECT_EQ(327, ioctl(vm->fd, KVMINI_GET_NR_MMU_PAGES, 0));
	vm_set_region(vm, 0, 0, 0, 0, NULL);		/* gone: the least, 64 */
	EXPECT_EQ(64, ioctl(vm->fd, KVMINI_GET_NR_MMU_PAGES, 0));
	EXPECT_EQ(-EINVAL, ioctl_err(vm->fd, KVMINI_SET_NR_MMU_PAGES, 63));
	EXPECT_EQ(0, ioctl_err(vm->fd, KVMINI_SET_NR_MMU_PAGES, 1000));
	EXPECT_EQ(1000, ioctl(vm->fd, KVMINI_GET_NR_MMU_PAGES, 0));
	vm_add_mem(vm, 1, 1 << 30, 64 << 20);		/* the VMM's number stays */
	EXPECT_EQ(1000, ioctl(vm->fd, KVMINI_GET_NR_MMU_PAGES, 0));
	vm_free(vm);
}

#define MSR_PLATFORM_INFO	0xce

static uint64_t g_vec[2];

static void guest_platform_info(void)
{
	uint64_t v;

	g_vec[0] = rdmsr_safe(MSR_PLATFORM_INFO, &v);
	GUEST_SYNC(0);
	g_vec[1] = rdmsr_safe(MSR_PLATFORM_INFO, &v);
}

TEST(platform_info)
{
	struct kvmini_enable_cap cap = { .cap = KVMINI_CAP_MSR_PLATFORM_INFO };
	struct kvmini_vcpu *vcpu;
	struct kvmini_vm *vm = vm_create_guest(guest_platform_info, &vcpu);
	uint32_t idx = MSR_PLATFORM_INFO;
	uint64_t v;
	struct ucall uc;

	REQUIRE_VM(vm);
	EXPECT_EQ(1, ioctl(vm->dev_fd, KVMINI_CHECK_EXTENSION, KVMINI_CAP_MSR_PLATFORM_INFO));
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	vm_ioctl(vm, KVMINI_ENABLE_CAP, &cap);		/* args[0] = 0: hidden */
	ASSERT_EQ(UCALL_DONE, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(GUEST_NO_EXC, GUEST_VAR(vm, g_vec)[0]);
	EXPECT_EQ(13ULL, GUEST_VAR(vm, g_vec)[1]);
	EXPECT_EQ(1, vcpu_msrs_io(vcpu, KVMINI_GET_MSRS, &idx, &v, 1));	/* the VMM still can */
	vm_free(vm);
}

TEST_HARNESS_MAIN
