// SPDX-License-Identifier: GPL-2.0
/*
 * Dirty page logging: with KVMINI_MEM_LOG_DIRTY_PAGES on a slot,
 * KVMINI_GET_DIRTY_LOG reports exactly the pages written since the last
 * call (by the guest, or by kvmini on its behalf), and clears the log;
 * reads dirty nothing; logging can be switched on and off on a live slot.
 */
#include <sys/ioctl.h>

#include "kvmini_util.h"
#include "kvmini_vm.h"
#include "kselftest_harness.h"

#define GPA	0x40000000ULL
#define NPAGES	100			/* not a multiple of 64 */
#define ROUNDS	6

/* Round r writes the pages with (i * 7 + r) % 5 == 0, reads the rest. */
static bool written(unsigned int r, unsigned int i)
{
	return (i * 7 + r) % 5 == 0;
}

static void guest_rounds(void)
{
	volatile uint64_t *p = (uint64_t *)GPA;
	unsigned int r, i;
	uint64_t sum = 0;

	for (r = 0; r < ROUNDS; r++) {
		for (i = 0; i < NPAGES; i++) {
			if (written(r, i))
				p[i * 512 + r] = r * 1000 + i;
			else
				sum += p[i * 512 + r];
		}
		GUEST_SYNC(sum);
	}
	/* kvmini writes for the guest: a string IN into page 3. */
	asm volatile("rep insb" : : "D"(GPA + 3 * 4096), "c"(4), "d"(0x99) : "memory");
	GUEST_SYNC(0);
}

static int get_log(struct kvmini_vm *vm, uint32_t slot, uint64_t *bitmap)
{
	struct kvmini_dirty_log log = { .slot = slot, .dirty_bitmap = (uintptr_t)bitmap };

	return ioctl(vm->fd, KVMINI_GET_DIRTY_LOG, &log) ? -errno : 0;
}

TEST(rounds)
{
	struct kvmini_vcpu *vcpu;
	struct kvmini_vm *vm = vm_create_guest(guest_rounds, &vcpu);
	uint64_t bitmap[2], *mem;
	unsigned int r, i, bad;
	struct ucall uc;

	REQUIRE_VM(vm);
	mem = vm_add_mem(vm, 1, GPA, NPAGES * 4096ULL);
	vm_map(vm, GPA, GPA, NPAGES * 4096ULL);
	/* Not logging yet: no log to get. Then on, on the live slot. */
	EXPECT_EQ(-ENOENT, get_log(vm, 1, bitmap));
	EXPECT_EQ(-ENOENT, get_log(vm, 7, bitmap));
	EXPECT_EQ(-EINVAL, get_log(vm, 2 << 16 | 1, bitmap));	/* no such space */
	ASSERT_EQ(0, vm_set_region(vm, 1, KVMINI_MEM_LOG_DIRTY_PAGES, GPA, NPAGES * 4096ULL, mem));
	ASSERT_EQ(0, get_log(vm, 1, bitmap));
	EXPECT_EQ(0ULL, bitmap[0] | bitmap[1]);

	for (r = 0; r < ROUNDS; r++) {
		vcpu_run_ucall(vcpu, &uc);
		memset(bitmap, 0xaa, sizeof(bitmap));
		ASSERT_EQ(0, get_log(vm, 1, bitmap));
		for (bad = 0, i = 0; i < NPAGES; i++) {
			bool dirty = bitmap[i / 64] >> (i % 64) & 1;

			bad += dirty != written(r, i);
			if (written(r, i))
				bad += mem[i * 512 + r] != r * 1000 + i;
		}
		EXPECT_EQ(0U, bad) TH_LOG("round %u: %#lx %#lx", r, (long)bitmap[0], (long)bitmap[1]);
		EXPECT_EQ(0ULL, bitmap[1] >> (NPAGES - 64));	/* past the slot: 0 */
	}
	/* Nothing ran since: nothing dirty. */
	ASSERT_EQ(0, get_log(vm, 1, bitmap));
	EXPECT_EQ(0ULL, bitmap[0] | bitmap[1]);

	/* The IN's 4 bytes, completed by kvmini into page 3. */
	vcpu_run_expect(vcpu, KVMINI_EXIT_IO);
	memset(vcpu_io_data(vcpu), 0x5a, 4);
	vcpu_run_ucall(vcpu, &uc);
	ASSERT_EQ(0, get_log(vm, 1, bitmap));
	EXPECT_EQ(1ULL << 3, bitmap[0]);
	EXPECT_EQ(0ULL, bitmap[1]);

	/* Off again: no log. */
	ASSERT_EQ(0, vm_set_region(vm, 1, 0, GPA, NPAGES * 4096ULL, mem));
	EXPECT_EQ(-ENOENT, get_log(vm, 1, bitmap));
	vm_free(vm);
}

TEST_HARNESS_MAIN
