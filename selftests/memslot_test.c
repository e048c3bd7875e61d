// SPDX-License-Identifier: GPL-2.0
/*
 * KVMINI_SET_USER_MEMORY_REGION: guest and VMM see the same bytes; slots
 * move, change flags and go away (a guest access where no slot is becomes
 * a KVMINI_EXIT_MMIO); every invalid request fails with KVM's errno and
 * leaves the existing slots as they were.
 */
#include <sys/mman.h>

#include "kvmini_util.h"
#include "kvmini_vm.h"
#include "kselftest_harness.h"

#define GPA1	0x40000000ULL		/* slot 1, also mapped at GVA GPA1 */
#define GPA2	0x50000000ULL		/* where slot 1 moves to */
#define SIZE	0x4000ULL

/* The guest loads or stores one qword per run, as the host says. */
static uint64_t *g_ptr;
static uint64_t g_val, g_write;

static void guest_access(void)
{
	for (;;) {
		if (g_write)
			*(volatile uint64_t *)g_ptr = g_val;
		else
			g_val = *(volatile uint64_t *)g_ptr;
		GUEST_SYNC(g_val);
	}
}

FIXTURE(slot) {
	struct kvmini_vm *vm;
	struct kvmini_vcpu *vcpu;
	uint64_t *mem;
};

FIXTURE_SETUP(slot)
{
	self->vm = vm_create_guest(guest_access, &self->vcpu);
	REQUIRE_VM_SETUP(self->vm);
	self->mem = vm_add_mem(self->vm, 1, GPA1, SIZE);
	self->mem[0] = 0x1111111111111111ULL;
	self->mem[SIZE / 8 - 1] = 0x2222222222222222ULL;
	vm_map(self->vm, GPA1, GPA1, SIZE);
	vm_map(self->vm, GPA2, GPA2, SIZE);
}

FIXTURE_TEARDOWN(slot)
{
	vm_free(self->vm);
}

static void set_access(FIXTURE_DATA(slot) *self, uint64_t gva, bool write, uint64_t val)
{
	GUEST_VAR(self->vm, g_ptr) = (uint64_t *)gva;
	GUEST_VAR(self->vm, g_write) = write;
	GUEST_VAR(self->vm, g_val) = val;
}

/* The guest reads (@write false) or writes the qword at @gva: the value. */
static uint64_t rw(FIXTURE_DATA(slot) *self, uint64_t gva, bool write, uint64_t val)
{
	struct ucall uc;

	set_access(self, gva, write, val);
	vcpu_run_ucall(self->vcpu, &uc);
	return uc.args[0];
}

/* Run into an access where no memory is: an MMIO exit. */
static void expect_mmio(struct __test_metadata *_metadata, FIXTURE_DATA(slot) *self,
			uint64_t gpa, bool write, uint64_t val)
{
	struct ucall uc;

	set_access(self, gpa, write, val);
	vcpu_run_expect(self->vcpu, KVMINI_EXIT_MMIO);
	EXPECT_EQ(gpa, self->vcpu->run->mmio.phys_addr);
	EXPECT_EQ(8U, self->vcpu->run->mmio.len);
	EXPECT_EQ(write, self->vcpu->run->mmio.is_write);
	if (write) {
		EXPECT_EQ(0, memcmp(&val, self->vcpu->run->mmio.data, 8));
	} else {
		/* The VMM's answer lands in the guest on the next run. */
		memcpy(self->vcpu->run->mmio.data, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
	}
	vcpu_run_ucall(self->vcpu, &uc);
	EXPECT_EQ(write ? val : 0x0807060504030201ULL, uc.args[0]);
}

TEST_F(slot, both_ways)
{
	EXPECT_EQ(0x1111111111111111ULL, rw(self, GPA1, false, 0));
	EXPECT_EQ(0x2222222222222222ULL, rw(self, GPA1 + SIZE - 8, false, 0));
	rw(self, GPA1 + 0x1008, true, 0xfeedfacecafebeefULL);
	EXPECT_EQ(0xfeedfacecafebeefULL, self->mem[0x1008 / 8]);
	self->mem[0x1008 / 8] = 42;
	EXPECT_EQ(42ULL, rw(self, GPA1 + 0x1008, false, 0));
}

TEST_F(slot, move_and_delete)
{
	ASSERT_EQ(0, vm_set_region(self->vm, 1, 0, GPA2, SIZE, self->mem));
	EXPECT_EQ(0x2222222222222222ULL, rw(self, GPA2 + SIZE - 8, false, 0));
	expect_mmio(_metadata, self, GPA1, false, 0);
	expect_mmio(_metadata, self, GPA1 + 0x10, true, 0x8877665544332211ULL);

	ASSERT_EQ(0, vm_set_region(self->vm, 1, 0, GPA2, 0, self->mem));
	expect_mmio(_metadata, self, GPA2 + 8, false, 0);
	expect_mmio(_metadata, self, GPA2, true, 0x1234);
	EXPECT_EQ(0x1111111111111111ULL, self->mem[0]);	/* memory stays the VMM's */
	/* Deleting it again: there is no such slot. */
	EXPECT_EQ(-EINVAL, vm_set_region(self->vm, 1, 0, GPA2, 0, self->mem));
	/* Back at GPA1, same contents. */
	ASSERT_EQ(0, vm_set_region(self->vm, 1, 0, GPA1, SIZE, self->mem));
	EXPECT_EQ(0x1111111111111111ULL, rw(self, GPA1, false, 0));
}

/* READONLY (READONLY_MEM) and LOG_DIRTY_PAGES (dirty_log_test) are taken. */
TEST_F(slot, flags)
{
	bool has = ioctl_err(self->vm->fd, KVMINI_CHECK_EXTENSION, KVMINI_CAP_READONLY_MEM) > 0;
	void *ro = mmap(NULL, SIZE, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int want = has ? 0 : -EINVAL;

	ASSERT_NE(MAP_FAILED, ro);
	EXPECT_TRUE(has);
	EXPECT_EQ(0, vm_set_region(self->vm, 1, KVMINI_MEM_LOG_DIRTY_PAGES, GPA1, SIZE,
				   self->mem));
	EXPECT_EQ(0x1111111111111111ULL, rw(self, GPA1, false, 0));
	EXPECT_EQ(0, vm_set_region(self->vm, 1, 0, GPA1, SIZE, self->mem));
	EXPECT_EQ(want, vm_set_region(self->vm, 2, KVMINI_MEM_READONLY, GPA2, SIZE, ro));
	if (has) {
		/* Reads see the memory, writes exit as MMIO. */
		((uint64_t *)ro)[1] = 77;
		EXPECT_EQ(77ULL, rw(self, GPA2 + 8, false, 0));
		expect_mmio(_metadata, self, GPA2 + 8, true, 78);
		EXPECT_EQ(77ULL, ((uint64_t *)ro)[1]);
		/* READONLY cannot be toggled on an existing slot. */
		EXPECT_EQ(-EINVAL, vm_set_region(self->vm, 2, 0, GPA2, SIZE, ro));
	}
}

TEST_F(slot, rejected)
{
	long nslots = ioctl_err(self->vm->fd, KVMINI_CHECK_EXTENSION, KVMINI_CAP_NR_MEMSLOTS);
	long nas = ioctl_err(self->vm->fd, KVMINI_CHECK_EXTENSION, KVMINI_CAP_MULTI_ADDRESS_SPACE);
	char *m = (char *)self->mem;
	uint64_t *other = mmap(NULL, SIZE, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct kvmini_vm *vm = self->vm;

	ASSERT_NE(MAP_FAILED, other);
	ASSERT_GT(nslots, 2);
	nas = nas > 1 ? nas : 1;
	/* Misaligned GPA, size, host address. */
	EXPECT_EQ(-EINVAL, vm_set_region(vm, 2, 0, GPA2 + 0x800, SIZE, other));
	EXPECT_EQ(-EINVAL, vm_set_region(vm, 2, 0, GPA2, SIZE - 0x800, other));
	EXPECT_EQ(-EINVAL, vm_set_region(vm, 2, 0, GPA2, SIZE, (char *)other + 8));
	/* Overlaps with slot 1, whole or in part, new or moved. */
	EXPECT_EQ(-EEXIST, vm_set_region(vm, 2, 0, GPA1, SIZE, other));
	EXPECT_EQ(-EEXIST, vm_set_region(vm, 2, 0, GPA1 + SIZE - 0x1000, SIZE, other));
	EXPECT_EQ(-EEXIST, vm_set_region(vm, 2, 0, GPA1 - 0x1000, 0x2000, other));
	ASSERT_EQ(0, vm_set_region(vm, 2, 0, GPA2, SIZE, other));
	EXPECT_EQ(-EEXIST, vm_set_region(vm, 2, 0, GPA1 + 0x1000, SIZE, other));
	/* Slot ids and address spaces out of range. */
	EXPECT_EQ(-EINVAL, vm_set_region(vm, nslots, 0, 0x80000000, SIZE, m));
	EXPECT_EQ(-EINVAL, vm_set_region(vm, 0xffff, 0, 0x80000000, SIZE, m));
	EXPECT_EQ(-EINVAL, vm_set_region(vm, nas << 16 | 3, 0, 0x80000000, SIZE, m));
	EXPECT_EQ(-EINVAL, vm_set_region(vm, 0x80000003, 0, 0x80000000, SIZE, m));
	/* Unknown flags. */
	EXPECT_EQ(-EINVAL, vm_set_region(vm, 3, 1 << 2, 0x80000000, SIZE, m));
	EXPECT_EQ(-EINVAL, vm_set_region(vm, 3, 1U << 31, 0x80000000, SIZE, m));
	/* Wraparound of GPA or host address, too large, not user memory. */
	EXPECT_EQ(-EINVAL, vm_set_region(vm, 3, 0, -0x1000ULL, 0x2000, m));
	EXPECT_EQ(-EINVAL, vm_set_region(vm, 3, 0, 0x80000000, 0x2000, (void *)-0x1000L));
	EXPECT_EQ(-EINVAL, vm_set_region(vm, 3, 0, 0x80000000, 1ULL << 43, m));
	EXPECT_EQ(-EINVAL, vm_set_region(vm, 3, 0, 0x80000000, SIZE,
					 (void *)0xffff888000000000UL));
	/* An existing slot cannot change size or host address. */
	EXPECT_EQ(-EINVAL, vm_set_region(vm, 1, 0, GPA1, SIZE / 2, m));
	EXPECT_EQ(-EINVAL, vm_set_region(vm, 1, 0, GPA1, SIZE, other));
	/* The highest slot id works. */
	EXPECT_EQ(0, vm_set_region(vm, nslots - 1, 0, 0x80000000, 0x1000, m + SIZE - 0x1000));

	/* Slot 1 is still what it was, both ways. */
	EXPECT_EQ(0x1111111111111111ULL, rw(self, GPA1, false, 0));
	rw(self, GPA1 + 0x2000, true, 0xabcdef);
	EXPECT_EQ(0xabcdefULL, self->mem[0x2000 / 8]);
	other[0] = 5;
	EXPECT_EQ(5ULL, rw(self, GPA2, false, 0));
}

TEST_HARNESS_MAIN
