// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/kvmini system ioctls and VM creation/destruction.
 */
#include <limits.h>
#include <sys/stat.h>

#include "kvmini_util.h"
#include "kselftest_harness.h"

FIXTURE(dev) {
	int fd;
};

FIXTURE_SETUP(dev)
{
	self->fd = open(KVMINI_DEV, O_RDWR | O_CLOEXEC);
	if (self->fd < 0)
		SKIP(_exit(255), KVMINI_DEV " not available (is kvmini.ko loaded?)");
}

FIXTURE_TEARDOWN(dev)
{
	if (self->fd >= 0)
		close(self->fd);
}

TEST_F(dev, api_version)
{
	EXPECT_EQ(12, ioctl_err(self->fd, KVMINI_GET_API_VERSION, 0));
	EXPECT_EQ(-EINVAL, ioctl_err(self->fd, KVMINI_GET_API_VERSION, 1));
}

TEST_F(dev, check_extension)
{
	/* Numbers nobody defines, and a real cap not implemented yet. */
	EXPECT_EQ(0, ioctl_err(self->fd, KVMINI_CHECK_EXTENSION, 0x7fffffff));
	EXPECT_EQ(0, ioctl_err(self->fd, KVMINI_CHECK_EXTENSION, -1UL));
	EXPECT_EQ(0, ioctl_err(self->fd, KVMINI_CHECK_EXTENSION, 100000));
	EXPECT_EQ(0, ioctl_err(self->fd, KVMINI_CHECK_EXTENSION,
			       KVMINI_CAP_NESTED_STATE));
	/* CHECK_EXTENSION on a VM fd works, and is advertised. */
	EXPECT_EQ(1, ioctl_err(self->fd, KVMINI_CHECK_EXTENSION,
			       KVMINI_CAP_CHECK_EXTENSION_VM));
}

TEST_F(dev, unknown_ioctls)
{
	int vm;

	EXPECT_EQ(-ENOTTY, ioctl_err(self->fd, _IO(KVMINIIO, 0xff), 0));
	EXPECT_EQ(-ENOTTY, ioctl_err(self->fd, _IOW(0x42, 0x01, int), 0));
	/* A VM ioctl on the system fd is unknown there. */
	EXPECT_EQ(-ENOTTY, ioctl_err(self->fd, KVMINI_CREATE_VCPU, 0));

	vm = ioctl(self->fd, KVMINI_CREATE_VM, 0);
	ASSERT_GE(vm, 0);
	EXPECT_EQ(-ENOTTY, ioctl_err(vm, _IO(KVMINIIO, 0xff), 0));
	EXPECT_EQ(-ENOTTY, ioctl_err(vm, KVMINI_CREATE_VM, 0));
	EXPECT_EQ(-ENOTTY, ioctl_err(vm, KVMINI_GET_API_VERSION, 0));
	close(vm);
}

TEST_F(dev, bad_vm_type)
{
	EXPECT_EQ(-EINVAL, ioctl_err(self->fd, KVMINI_CREATE_VM, 1));
	EXPECT_EQ(-EINVAL, ioctl_err(self->fd, KVMINI_CREATE_VM, -1UL));
	EXPECT_EQ(-EINVAL, ioctl_err(self->fd, KVMINI_CREATE_VM, 1UL << 32));
}

TEST_F(dev, vm_fd)
{
	int vm = ioctl(self->fd, KVMINI_CREATE_VM, 0);
	struct stat st;

	ASSERT_GE(vm, 0);
	EXPECT_EQ(FD_CLOEXEC, fcntl(vm, F_GETFD) & FD_CLOEXEC);
	EXPECT_EQ(O_RDWR, fcntl(vm, F_GETFL) & O_ACCMODE);
	ASSERT_EQ(0, fstat(vm, &st));
	/* The VM outlives the fd it was created from. */
	close(self->fd);
	self->fd = -1;
	EXPECT_EQ(1, ioctl_err(vm, KVMINI_CHECK_EXTENSION,
			       KVMINI_CAP_CHECK_EXTENSION_VM));
	EXPECT_EQ(0, ioctl_err(vm, KVMINI_CHECK_EXTENSION, 0x7fffffff));
	close(vm);
}

/*
 * Create and close 1,000 VMs, three times: nothing may stay behind. The
 * host's own unreclaimable slab moves by up to ~100 kB between two looks
 * (measured, before any VM), which one round cannot tell from a leak; a
 * leak grows it in every round, so the smallest round's growth counts.
 */
TEST_F(dev, thousand_vms_no_leak)
{
	long vms0, slab0, slab1, least = LONG_MAX;
	int i, vm, round;

	/* Warm up caches so slab pages allocated once do not count. */
	for (i = 0; i < 50; i++) {
		vm = ioctl(self->fd, KVMINI_CREATE_VM, 0);
		ASSERT_GE(vm, 0);
		close(vm);
	}
	usleep(200 * 1000);
	vms0 = kvmini_debugfs_read("vms");
	slab0 = meminfo_kb("SUnreclaim");
	ASSERT_GE(slab0, 0);

	for (round = 0; round < 3; round++) {
		for (i = 0; i < 1000; i++) {
			vm = ioctl(self->fd, KVMINI_CREATE_VM, 0);
			ASSERT_GE(vm, 0) TH_LOG("VM %d: %s", i, strerror(errno));
			close(vm);
		}
		usleep(500 * 1000);	/* let RCU-deferred frees run */
		slab1 = meminfo_kb("SUnreclaim");
		TH_LOG("unreclaimable slab: %ld kB before, %ld kB after", slab0, slab1);
		least = slab1 - slab0 < least ? slab1 - slab0 : least;
		slab0 = slab1;
	}
	/* A leaked object of even 128 bytes per VM would show as 125 kB. */
	EXPECT_LT(least, 96);
	if (vms0 >= 0)
		EXPECT_EQ(vms0, kvmini_debugfs_read("vms"));
}

/* Many VMs alive at once, all freed when their fds go. */
TEST_F(dev, many_vms_alive)
{
	enum { N = 200 };
	long vms0 = kvmini_debugfs_read("vms");
	int fds[N], i;

	for (i = 0; i < N; i++) {
		fds[i] = ioctl(self->fd, KVMINI_CREATE_VM, 0);
		ASSERT_GE(fds[i], 0);
	}
	if (vms0 >= 0)
		EXPECT_EQ(vms0 + N, kvmini_debugfs_read("vms"));
	for (i = 0; i < N; i++)
		close(fds[i]);
	if (vms0 >= 0)
		EXPECT_EQ(vms0, kvmini_debugfs_read("vms"));
}

TEST_HARNESS_MAIN
