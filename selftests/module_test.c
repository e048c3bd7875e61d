// SPDX-License-Identifier: GPL-2.0
/*
 * Loading and unloading kvmini.ko: 20 cycles, and no unload while any
 * kvmini fd is open; 48 cycles with VMs that ran guests, had vCPUs and
 * dirty-logged slots in between: the kernel's memory is back, its log
 * clean. Needs root and the module file: $KVMINI_KO, or
 * ../kmod/kvmini.ko next to this program. Leaves the module loaded.
 */
#include <libgen.h>
#include <limits.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "kvmini_hostile.h"
#include "kselftest_harness.h"

static int ko_fd(void)
{
	char path[PATH_MAX], self[PATH_MAX];
	const char *env = getenv("KVMINI_KO");
	ssize_t n;

	if (env)
		return open(env, O_RDONLY | O_CLOEXEC);
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n < 0)
		return -1;
	self[n] = 0;
	snprintf(path, sizeof(path), "%s/../kmod/kvmini.ko", dirname(self));
	return open(path, O_RDONLY | O_CLOEXEC);
}

static int load(int fd)
{
	return syscall(SYS_finit_module, fd, "", 0) ? -errno : 0;
}

static int unload(void)
{
	return syscall(SYS_delete_module, "kvmini", O_NONBLOCK) ? -errno : 0;
}

static int loaded(void)
{
	return access("/sys/module/kvmini", F_OK) == 0;
}

FIXTURE(mod) {
	int ko;
};

FIXTURE_SETUP(mod)
{
	if (geteuid() != 0)
		SKIP(_exit(255), "needs root");
	self->ko = ko_fd();
	if (self->ko < 0)
		SKIP(_exit(255), "kvmini.ko not found (set KVMINI_KO)");
	if (!loaded())
		ASSERT_EQ(0, load(self->ko));
}

FIXTURE_TEARDOWN(mod)
{
	if (self->ko >= 0) {
		if (!loaded())
			load(self->ko);
		close(self->ko);
	}
}

TEST_F(mod, load_unload_20_cycles)
{
	int i, fd;

	for (i = 0; i < 20; i++) {
		ASSERT_EQ(0, unload()) TH_LOG("cycle %d", i);
		ASSERT_FALSE(loaded());
		ASSERT_EQ(0, load(self->ko)) TH_LOG("cycle %d", i);
		/* devtmpfs creates the node during misc_register(). */
		fd = open(KVMINI_DEV, O_RDWR);
		ASSERT_GE(fd, 0) TH_LOG("cycle %d: %s", i, strerror(errno));
		EXPECT_EQ(12, ioctl(fd, KVMINI_GET_API_VERSION, 0));
		close(fd);
	}
	/* Loading twice is refused. */
	EXPECT_EQ(-EEXIST, load(self->ko));
}

TEST_F(mod, pinned_by_dev_fd)
{
	int fd = open(KVMINI_DEV, O_RDWR);

	ASSERT_GE(fd, 0);
	EXPECT_EQ(-EWOULDBLOCK, unload());
	EXPECT_TRUE(loaded());
	close(fd);
	EXPECT_EQ(0, unload());
}

TEST_F(mod, pinned_by_vm_fd)
{
	int fd = open(KVMINI_DEV, O_RDWR);
	int vm;

	ASSERT_GE(fd, 0);
	vm = ioctl(fd, KVMINI_CREATE_VM, 0);
	ASSERT_GE(vm, 0);
	close(fd);
	/* Only the VM fd is left, and it still holds the module. */
	EXPECT_EQ(-EWOULDBLOCK, unload());
	EXPECT_EQ(0, ioctl_err(vm, KVMINI_CHECK_EXTENSION, 0x7fffffff));
	close(vm);
	EXPECT_EQ(0, unload());
}

#define GPA	0x100000000ULL
#define NPAGES	64

/* Write a stamp into every page of the slot; report their sum. */
static void guest_stamp(uint64_t *p, uint64_t stamp)
{
	uint64_t i, sum = 0;

	for (i = 0; i < NPAGES; i++) {
		p[i * 512] = stamp + i;
		sum += p[i * 512];
	}
	GUEST_SYNC(sum);
}

/*
 * What a cycle does with the module: a VM whose guest writes a
 * dirty-logged slot (nested page tables, a bitmap), and one with two
 * vCPUs that never ran and a slot added, moved and deleted. All closed.
 */
static void exercise(struct __test_metadata *_metadata, int cycle)
{
	struct kvmini_dirty_log log = { .slot = 1 };
	uint64_t bitmap[NPAGES / 64], *mem;
	struct kvmini_vcpu *vcpu;
	struct kvmini_vm *a, *b;
	struct ucall uc;
	char *m;

	a = vm_create_guest(guest_stamp, &vcpu);
	ASSERT_NE(NULL, a);
	mem = vm_add_mem(a, 1, GPA, NPAGES * 4096);
	ASSERT_EQ(0, vm_set_region(a, 1, KVMINI_MEM_LOG_DIRTY_PAGES, GPA, NPAGES * 4096, mem));
	vm_map(a, GPA, GPA, NPAGES * 4096);
	vcpu_set_args(vcpu, 2, GPA, (uint64_t)cycle << 32);
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(NPAGES * ((uint64_t)cycle << 32) + NPAGES * (NPAGES - 1) / 2, uc.args[0]);
	log.dirty_bitmap = (uintptr_t)bitmap;
	ASSERT_EQ(0, ioctl_err(a->fd, KVMINI_GET_DIRTY_LOG, (unsigned long)&log));
	EXPECT_EQ(~0ULL, bitmap[0]);

	b = vm_create();
	ASSERT_NE(NULL, b);
	vcpu_add(b, 0);
	vcpu_add(b, 1);
	m = vm_add_mem(b, 0, 0, 1 << 20);
	ASSERT_EQ(0, vm_set_region(b, 0, 0, GPA, 1 << 20, m));
	ASSERT_EQ(0, vm_set_region(b, 0, 0, GPA, 0, m));
	EXPECT_EQ(2, kvmini_debugfs_read("vms"));
	vm_free(a);
	vm_free(b);
}

TEST_F_TIMEOUT(mod, reload_with_vms_no_leak, 180)
{
	long before = 0, grown;
	int i, kmsg = kmsg_open();
	char msg[256];

	if (kvmini_dev_is_kvm())
		SKIP(return, "about kvmini.ko");
	/* 4 KiB pages only: freed huge pages make the memory figures jump. */
	prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0);
	for (i = 0; i < 49; i++) {
		/* Cycle 0 warms the caches; cycles 1-48 must leave nothing. */
		ASSERT_EQ(0, unload()) TH_LOG("cycle %d", i);
		ASSERT_EQ(0, load(self->ko)) TH_LOG("cycle %d", i);
		exercise(_metadata, i);
		EXPECT_EQ(0, live_vms_wait(0, 2000)) TH_LOG("cycle %d", i);
		if (i == 0)
			before = kernel_kb();
	}
	ASSERT_EQ(0, unload());
	ASSERT_EQ(0, load(self->ko));
	/*
	 * Noise (slab caches, measured): up to ~200 kB whatever the number
	 * of cycles; leaking 8 kB per cycle would show.
	 */
	grown = kernel_kb_settle(before, 384, 3000);
	TH_LOG("kernel memory grew by %ld kB over 48 cycles", grown);
	EXPECT_LE(grown, 384);
	EXPECT_EQ(0, kmsg_problems(kmsg, msg, sizeof(msg))) TH_LOG("kernel: %s", msg);
	close(kmsg);
}

TEST_HARNESS_MAIN
