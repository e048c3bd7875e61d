// SPDX-License-Identifier: GPL-2.0
/*
 * Dirty logging on a 64 GiB slot (a 2 MiB bitmap, which kvmini walks in
 * chunks): exactly the pages written are reported, once, and again after
 * the next writes. A bitmap the VMM cannot take (EFAULT) loses nothing on
 * kvmini: what was not copied out is reported by the next call (KVM drops
 * it). And a slot that logs before and after a move keeps its bits, as KVM.
 */
#include <sys/mman.h>

#include "kvmini_util.h"
#include "kvmini_vm.h"
#include "kselftest_harness.h"

#define PAGE		4096ULL
#define NPAGES		(1ULL << 24)		/* 64 GiB */
#define BITMAP		(NPAGES / 8)		/* 2 MiB */
#define GPA		(1ULL << 36)
#define GVA		0x40000000ULL		/* the guest's window on the pages */
#define LOG		KVMINI_MEM_LOG_DIRTY_PAGES

/* Pages the guest writes: first, middle, last (GVA + i * PAGE maps pick[i]). */
static const uint64_t pick[3] = { 0, NPAGES / 2 + 3, NPAGES - 1 };
static uint64_t g_n = 3;

static void guest_writes(void)
{
	uint64_t i, round = 0;

	for (;;) {
		round++;
		for (i = 0; i < g_n; i++)
			*(volatile uint64_t *)(GVA + i * PAGE) = round;
		GUEST_SYNC(round);
	}
}

static int get_log(struct kvmini_vm *vm, uint32_t slot, void *bitmap)
{
	struct kvmini_dirty_log log = { .slot = slot, .dirty_bitmap = (uintptr_t)bitmap };

	return ioctl(vm->fd, KVMINI_GET_DIRTY_LOG, &log) ? -errno : 0;
}

/* The pages whose bits are set, up to @max of them; how many there are. */
static unsigned int bits_set(const uint64_t *bitmap, uint64_t npages, uint64_t *pages,
			     unsigned int max)
{
	unsigned int n = 0;
	uint64_t i;

	for (i = 0; i < npages / 64; i++)
		if (bitmap[i])
			for (int b = 0; b < 64; b++)
				if (bitmap[i] >> b & 1 && n++ < max)
					pages[n - 1] = i * 64 + b;
	return n;
}

FIXTURE(big) {
	struct kvmini_vm *vm;
	struct kvmini_vcpu *vcpu;
	uint64_t *bitmap;
};

FIXTURE_SETUP(big)
{
	void *mem;
	int i;

	self->vm = vm_create_guest(guest_writes, &self->vcpu);
	REQUIRE_VM_SETUP(self->vm);
	mem = mmap(NULL, NPAGES * PAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	self->bitmap = mmap(NULL, BITMAP, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, mem);
	ASSERT_NE(MAP_FAILED, self->bitmap);
	ASSERT_EQ(0, vm_set_region(self->vm, 1, LOG, GPA, NPAGES * PAGE, mem));
	for (i = 0; i < 3; i++)
		vm_map(self->vm, GVA + i * PAGE, GPA + pick[i] * PAGE, PAGE);
}

FIXTURE_TEARDOWN(big)
{
	vm_free(self->vm);
}

/* Run one round of writes; the log must then be exactly the three pages. */
static void round_logged(struct __test_metadata *_metadata, FIXTURE_DATA(big) *self)
{
	uint64_t pages[4] = {};
	struct ucall uc;

	vcpu_run_ucall(self->vcpu, &uc);
	memset(self->bitmap, 0xa5, BITMAP);
	ASSERT_EQ(0, get_log(self->vm, 1, self->bitmap));
	ASSERT_EQ(3U, bits_set(self->bitmap, NPAGES, pages, 4));
	EXPECT_EQ(pick[0], pages[0]);
	EXPECT_EQ(pick[1], pages[1]);
	EXPECT_EQ(pick[2], pages[2]);
}

TEST_F(big, rounds)
{
	uint64_t pages[1];

	round_logged(_metadata, self);
	/* Taken: nothing left. Written again: reported again. */
	ASSERT_EQ(0, get_log(self->vm, 1, self->bitmap));
	EXPECT_EQ(0U, bits_set(self->bitmap, NPAGES, pages, 1));
	round_logged(_metadata, self);
	round_logged(_metadata, self);
}

TEST_F(big, efault)
{
	uint64_t pages[4] = {};
	struct ucall uc;
	char *part;

	round_logged(_metadata, self);
	vcpu_run_ucall(self->vcpu, &uc);
	/* Room for the first 4 KiB of the bitmap (page 0's bit) only. */
	part = mmap(NULL, BITMAP, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, part);
	ASSERT_EQ(0, mprotect(part, PAGE, PROT_READ | PROT_WRITE));
	EXPECT_EQ(-EFAULT, get_log(self->vm, 1, part));
	EXPECT_EQ(1ULL, *(uint64_t *)part);
	/* Nowhere to copy to at all. */
	EXPECT_EQ(-EFAULT, get_log(self->vm, 1, NULL));
	/* What the VMM did not get, it gets now (KVM lost it). */
	ASSERT_EQ(0, get_log(self->vm, 1, self->bitmap));
	if (kvmini_dev_is_kvm()) {
		TH_LOG("KVM: %u pages reported after the EFAULTs",
		       bits_set(self->bitmap, NPAGES, pages, 4));
	} else {
		ASSERT_EQ(2U, bits_set(self->bitmap, NPAGES, pages, 4));
		EXPECT_EQ(pick[1], pages[0]);
		EXPECT_EQ(pick[2], pages[1]);
	}
	round_logged(_metadata, self);
}

/*
 * Logging before and after a move: the bits go with the slot. Logging
 * off and on again: a fresh, empty log. Both as KVM.
 */
TEST_F(big, move_keeps_bits)
{
	void *mem = vm_gpa2hva(self->vm, GPA);
	uint64_t pages[4] = {};
	struct ucall uc;

	vcpu_run_ucall(self->vcpu, &uc);
	ASSERT_EQ(0, vm_set_region(self->vm, 1, LOG, 2 * GPA, NPAGES * PAGE, mem));
	ASSERT_EQ(0, get_log(self->vm, 1, self->bitmap));
	ASSERT_EQ(3U, bits_set(self->bitmap, NPAGES, pages, 4));
	EXPECT_EQ(pick[0], pages[0]);
	EXPECT_EQ(pick[1], pages[1]);
	EXPECT_EQ(pick[2], pages[2]);

	ASSERT_EQ(0, vm_set_region(self->vm, 1, LOG, GPA, NPAGES * PAGE, mem));
	round_logged(_metadata, self);
	vcpu_run_ucall(self->vcpu, &uc);
	ASSERT_EQ(0, vm_set_region(self->vm, 1, 0, GPA, NPAGES * PAGE, mem));
	EXPECT_EQ(-ENOENT, get_log(self->vm, 1, self->bitmap));
	ASSERT_EQ(0, vm_set_region(self->vm, 1, LOG, GPA, NPAGES * PAGE, mem));
	ASSERT_EQ(0, get_log(self->vm, 1, self->bitmap));
	EXPECT_EQ(0U, bits_set(self->bitmap, NPAGES, pages, 4));
	round_logged(_metadata, self);
}

TEST_HARNESS_MAIN
