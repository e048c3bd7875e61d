// SPDX-License-Identifier: GPL-2.0
/*
 * KVMINI_CAP_MANUAL_DIRTY_LOG_PROTECT2, as KVM: with MANUAL_PROTECT_ENABLE
 * KVMINI_GET_DIRTY_LOG only reads the log, and KVMINI_CLEAR_DIRTY_LOG
 * clears the bits the VMM names (and write-protects those pages again,
 * so a later write shows up); with INITIALLY_SET a slot's log starts all
 * dirty. CLEAR's range rules: first_page a multiple of 64, num_pages too
 * unless it reaches the end of the slot; ENOENT for a slot that does not
 * log.
 */
#include "kvmini_util.h"
#include "kvmini_vm.h"
#include "kselftest_harness.h"

#define GPA	0x40000000ULL
#define NPAGES	100			/* not a multiple of 64 */

/* Round r writes the pages with (i + r) % 3 == 0: round 3 as round 0. */
static bool written(unsigned int r, unsigned int i)
{
	return (i + r) % 3 == 0;
}

static void guest_rounds(void)
{
	volatile uint64_t *p = (uint64_t *)GPA;
	unsigned int r, i;

	for (r = 0; r < 4; r++) {
		for (i = 0; i < NPAGES; i++)
			if (written(r, i))
				p[i * 512] = r;
		GUEST_SYNC(r);
	}
}

static int log_io(struct kvmini_vm *vm, unsigned long cmd, uint32_t slot, uint64_t first,
		  uint32_t num, uint64_t *bitmap)
{
	struct kvmini_clear_dirty_log c = { slot, num, first, (uintptr_t)bitmap };
	struct kvmini_dirty_log g = { .slot = slot, .dirty_bitmap = (uintptr_t)bitmap };

	return ioctl_err(vm->fd, cmd, cmd == KVMINI_GET_DIRTY_LOG ? (unsigned long)&g
							 : (unsigned long)&c);
}

/* The log now: bit i must be what @want(i) says. */
#define EXPECT_LOG(want) do {						\
	uint64_t b[2] = { 0 };						\
	ASSERT_EQ(0, log_io(vm, KVMINI_GET_DIRTY_LOG, 1, 0, 0, b));	\
	for (i = 0; i < NPAGES; i++)					\
		ASSERT_EQ(!!(want), !!(b[i / 64] >> (i % 64) & 1))	\
			TH_LOG("page %u, line %d", i, __LINE__);	\
} while (0)

TEST(manual)
{
	struct kvmini_enable_cap cap = { .cap = KVMINI_CAP_MANUAL_DIRTY_LOG_PROTECT2 };
	uint64_t all[2] = { ~0ULL, ~0ULL }, low[2] = { ~0ULL, 0 };
	struct kvmini_vcpu *vcpu;
	struct kvmini_vm *vm = vm_create_guest(guest_rounds, &vcpu);
	struct ucall uc;
	unsigned int i;

	REQUIRE_VM(vm);
	EXPECT_EQ(3, ioctl(vm->dev_fd, KVMINI_CHECK_EXTENSION,
			   KVMINI_CAP_MANUAL_DIRTY_LOG_PROTECT2));
	cap.args[0] = 4;
	EXPECT_EQ(-EINVAL, ioctl_err(vm->fd, KVMINI_ENABLE_CAP, (unsigned long)&cap));
	cap.args[0] = KVMINI_DIRTY_LOG_MANUAL_PROTECT_ENABLE | KVMINI_DIRTY_LOG_INITIALLY_SET;
	vm_ioctl(vm, KVMINI_ENABLE_CAP, &cap);
	vm_add_mem(vm, 2, GPA + (1ULL << 30), 4096);		/* does not log */
	vm_set_region(vm, 1, KVMINI_MEM_LOG_DIRTY_PAGES, GPA, NPAGES * 4096ULL,
		      aligned_alloc(4096, NPAGES * 4096ULL));
	vm_map(vm, GPA, GPA, NPAGES * 4096ULL);

	EXPECT_EQ(-EINVAL, log_io(vm, KVMINI_CLEAR_DIRTY_LOG, 1, 1, 63, all));
	EXPECT_EQ(-EINVAL, log_io(vm, KVMINI_CLEAR_DIRTY_LOG, 1, 0, 10, all));
	EXPECT_EQ(-EINVAL, log_io(vm, KVMINI_CLEAR_DIRTY_LOG, 1, 128, 0, all));
	EXPECT_EQ(-EINVAL, log_io(vm, KVMINI_CLEAR_DIRTY_LOG, 1, 64, 64, all));
	EXPECT_EQ(-ENOENT, log_io(vm, KVMINI_CLEAR_DIRTY_LOG, 2, 0, 1, all));

	EXPECT_LOG(1);				/* initially set */
	EXPECT_LOG(1);				/* and not cleared by GET */
	ASSERT_EQ(0, log_io(vm, KVMINI_CLEAR_DIRTY_LOG, 1, 0, NPAGES, all));
	EXPECT_LOG(0);

	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));	/* round 0 */
	EXPECT_LOG(written(0, i));
	EXPECT_LOG(written(0, i));
	ASSERT_EQ(0, log_io(vm, KVMINI_CLEAR_DIRTY_LOG, 1, 0, 64, low));
	EXPECT_LOG(written(0, i) && i >= 64);
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));	/* round 1 */
	EXPECT_LOG((written(0, i) && i >= 64) || written(1, i));
	ASSERT_EQ(0, log_io(vm, KVMINI_CLEAR_DIRTY_LOG, 1, 64, NPAGES - 64, all));
	EXPECT_LOG(written(1, i) && i < 64);
	ASSERT_EQ(0, log_io(vm, KVMINI_CLEAR_DIRTY_LOG, 1, 0, NPAGES, all));
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));	/* round 2 */
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));	/* round 3 = round 0 */
	EXPECT_LOG(written(2, i) || written(3, i));		/* cleared, written again */
	vm_free(vm);
}

TEST_HARNESS_MAIN
