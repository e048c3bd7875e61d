// SPDX-License-Identifier: GPL-2.0
/*
 * KVMINI_SET_USER_MEMORY_REGION at the limits, with KVM's checks in KVM's
 * order (6.1's __kvm_set_memory_region and kvm_arch_prepare_memory_region):
 * at most 2^31 - 1 pages per slot (8 TiB and 64 TiB slots are EINVAL, with
 * or without dirty logging), nothing at or above the host's MAXPHYADDR
 * (checked after the overlap check, and only for a new or moved slot); a
 * delete ignores the address it is given; no slot wraps around or reaches
 * past the user address space. The guest runs on unharmed.
 */
#include <cpuid.h>

#include "kvmini_util.h"
#include "kvmini_vm.h"
#include "kselftest_harness.h"

#define PAGE		4096ULL
#define MAX_PAGES	((1ULL << 31) - 1)	/* KVM_MEM_MAX_NR_PAGES */
#define GPA		(1ULL << 32)		/* above the main slot */
#define HVA		(1ULL << 44)		/* unmapped: a slot only needs access_ok() */
#define TOP_USER	((1ULL << 47) - PAGE)	/* TASK_SIZE_MAX: access_ok()'s limit */
#define LOG		KVMINI_MEM_LOG_DIRTY_PAGES

static uint64_t g_seen;

static void guest_sync(void)
{
	for (;;)
		GUEST_SYNC(++g_seen);
}

/* KVM's guest-physical limit: the host's MAXPHYADDR (kvmini's: 48 at most). */
static unsigned int gpa_bits(void)
{
	unsigned int a, b, c, d, bits = 36;

	__cpuid(0x80000000, a, b, c, d);
	if (a >= 0x80000008) {
		__cpuid(0x80000008, a, b, c, d);
		bits = a & 0xff;
	}
	return bits < 48 ? bits : 48;
}

/* KVMINI_SET_USER_MEMORY_REGION with the host address as a number: 0 or -errno. */
#define set_slot(vm, slot, flags, gpa, size, hva) \
	vm_set_region(vm, slot, flags, gpa, size, (void *)(uintptr_t)(hva))

FIXTURE(lim) {
	struct kvmini_vm *vm;
	struct kvmini_vcpu *vcpu;
	uint64_t top;		/* the first GPA past KVM's guest-physical space */
	uint64_t runs;
};

FIXTURE_SETUP(lim)
{
	self->vm = vm_create_guest(guest_sync, &self->vcpu);
	REQUIRE_VM_SETUP(self->vm);
	self->top = 1ULL << gpa_bits();
	TH_LOG("guest-physical space: %u bits", gpa_bits());
}

/* The guest still runs, and its memory is still its own. */
FIXTURE_TEARDOWN(lim)
{
	struct ucall uc;

	EXPECT_EQ(UCALL_SYNC, vcpu_run_ucall(self->vcpu, &uc));
	EXPECT_EQ(1ULL, uc.args[0]);
	vm_free(self->vm);
}

/* Slot 5 as asked: @want, and whatever got added goes again. */
static void try_slot(struct __test_metadata *_metadata, struct kvmini_vm *vm,
		     uint32_t flags, uint64_t gpa, uint64_t size, int want)
{
	int r = set_slot(vm, 5, flags, gpa, size, HVA);

	EXPECT_EQ(want, r) TH_LOG("%#llx bytes at %#llx, flags %u",
				  (unsigned long long)size, (unsigned long long)gpa, flags);
	if (!r)
		EXPECT_EQ(0, set_slot(vm, 5, 0, gpa, 0, HVA));
}

TEST_F(lim, sizes)
{
	uint64_t biggest = MAX_PAGES * PAGE;
	/* The biggest slot fits below 2^44 (+ 4 GiB); else MAXPHYADDR refuses it. */
	int want = GPA + biggest <= self->top ? 0 : -EINVAL;
	uint32_t flags;

	for (flags = 0; flags <= LOG; flags += LOG) {
		try_slot(_metadata, self->vm, flags, GPA, 1ULL << 43, -EINVAL);	/* 2^31 pages */
		try_slot(_metadata, self->vm, flags, GPA, 1ULL << 46, -EINVAL);	/* 64 TiB */
		try_slot(_metadata, self->vm, flags, GPA, 1ULL << 62, -EINVAL);
		try_slot(_metadata, self->vm, flags, GPA, biggest + PAGE, -EINVAL);
		try_slot(_metadata, self->vm, flags, GPA, biggest, want);
	}
}

TEST_F(lim, max_gpa)
{
	uint64_t top = self->top;

	try_slot(_metadata, self->vm, 0, top - PAGE, PAGE, 0);
	try_slot(_metadata, self->vm, 0, top - PAGE, 2 * PAGE, -EINVAL);
	try_slot(_metadata, self->vm, 0, top, PAGE, -EINVAL);
	try_slot(_metadata, self->vm, LOG, top, PAGE, -EINVAL);

	/* Slot 6 on the last page but one. */
	ASSERT_EQ(0, set_slot(self->vm, 6, 0, top - 2 * PAGE, PAGE, HVA));
	/* Overlapping it and past the top: the overlap is checked first. */
	EXPECT_EQ(-EEXIST, set_slot(self->vm, 5, 0, top - 2 * PAGE, 4 * PAGE, HVA + PAGE));
	/* A move past the top fails; one to the last page works. */
	EXPECT_EQ(-EINVAL, set_slot(self->vm, 6, 0, top, PAGE, HVA));
	EXPECT_EQ(0, set_slot(self->vm, 6, 0, top - PAGE, PAGE, HVA));
	/* Flags only: no address check (the slot is where it was). */
	EXPECT_EQ(0, set_slot(self->vm, 6, LOG, top - PAGE, PAGE, HVA));
	/* A delete ignores the address it is given. */
	EXPECT_EQ(0, set_slot(self->vm, 6, 0, 1ULL << 50, 0, HVA));
	EXPECT_EQ(-EINVAL, set_slot(self->vm, 6, 0, top - PAGE, 0, HVA));	/* gone */
	/* Wraparound comes before everything else that looks at the slot. */
	EXPECT_EQ(-EINVAL, set_slot(self->vm, 6, 0, -PAGE, 2 * PAGE, HVA));
}

/*
 * Far too big, and the host's side: a slot may not wrap around nor reach
 * past the top of the user address space (access_ok()).
 */
TEST_F(lim, wrap_and_host_addresses)
{
	struct kvmini_vm *vm = self->vm;
	uint32_t flags;

	for (flags = 0; flags <= LOG; flags += LOG) {
		try_slot(_metadata, vm, flags, GPA, 1ULL << 63, -EINVAL);
		try_slot(_metadata, vm, flags, -PAGE, 2 * PAGE, -EINVAL);
		try_slot(_metadata, vm, flags, GPA, -PAGE, -EINVAL);
	}
	try_slot(_metadata, vm, 0, 1ULL << 48, PAGE, -EINVAL);
	try_slot(_metadata, vm, 0, 1ULL << 63, PAGE, -EINVAL);
	EXPECT_EQ(-EINVAL, set_slot(vm, 5, 0, GPA, 2 * PAGE, -PAGE));
	EXPECT_EQ(0, set_slot(vm, 5, 0, GPA, PAGE, TOP_USER - PAGE));
	EXPECT_EQ(0, set_slot(vm, 5, 0, GPA, 0, TOP_USER - PAGE));
	EXPECT_EQ(-EINVAL, set_slot(vm, 5, 0, GPA, 2 * PAGE, TOP_USER - PAGE));
	EXPECT_EQ(-EINVAL, set_slot(vm, 5, 0, GPA, PAGE, TOP_USER));
	EXPECT_EQ(-EINVAL, set_slot(vm, 5, 0, GPA, PAGE, 1ULL << 47));
}

TEST_HARNESS_MAIN
