// SPDX-License-Identifier: GPL-2.0
/*
 * Loading and unloading kvmini.ko: 20 cycles, and no unload while any
 * kvmini fd is open. Needs root and the module file: $KVMINI_KO, or
 * ../kmod/kvmini.ko next to this program. Leaves the module loaded.
 */
#include <libgen.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "kvmini_util.h"
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

TEST_HARNESS_MAIN
