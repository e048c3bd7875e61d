// SPDX-License-Identifier: GPL-2.0
/*
 * Hardware virtualization is on, on every online CPU, exactly while a
 * kvmini VM exists, also across CPU hotplug. Observed directly: EFER.SVME
 * read through the msr driver (/dev/cpu/N/msr). AMD only.
 */
#include <sched.h>

#include "kvmini_util.h"
#include "kselftest_harness.h"

#define MSR_EFER	0xc0000080
#define EFER_SVME	(1ULL << 12)

/* EFER.SVME on @cpu: 1, 0, or -1 if the CPU is offline/unreadable. */
static int svme(int cpu)
{
	char path[64];
	unsigned long long efer;
	int fd, r = -1;

	snprintf(path, sizeof(path), "/dev/cpu/%d/msr", cpu);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	if (pread(fd, &efer, sizeof(efer), MSR_EFER) == sizeof(efer))
		r = !!(efer & EFER_SVME);
	close(fd);
	return r;
}

/* How many online CPUs have SVME == @want; *online gets the online count. */
static int count_svme(int want, int *online)
{
	int cpu, n = 0, v;

	*online = 0;
	for (cpu = 0; cpu < sysconf(_SC_NPROCESSORS_CONF); cpu++) {
		v = svme(cpu);
		if (v < 0)
			continue;
		(*online)++;
		n += v == want;
	}
	return n;
}

static int set_online(int cpu, int on)
{
	char path[64];

	snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%d/online", cpu);
	return write_file(path, on ? "1" : "0");
}

FIXTURE(virt) {
	int fd;
};

FIXTURE_SETUP(virt)
{
	int online;

	self->fd = open(KVMINI_DEV, O_RDWR | O_CLOEXEC);
	if (self->fd < 0)
		SKIP(_exit(255), KVMINI_DEV " not available");
	if (svme(0) < 0)
		SKIP(_exit(255), "no /dev/cpu/0/msr (modprobe msr), or not AMD");
	if (count_svme(1, &online) != 0)
		SKIP(_exit(255), "SVM already on: another hypervisor is active");
}

FIXTURE_TEARDOWN(virt)
{
	if (self->fd >= 0)
		close(self->fd);
}

TEST_F(virt, on_exactly_while_vms_exist)
{
	int online, vm1, vm2;

	EXPECT_EQ(0, count_svme(1, &online));
	vm1 = ioctl(self->fd, KVMINI_CREATE_VM, 0);
	ASSERT_GE(vm1, 0);
	EXPECT_EQ(online, count_svme(1, &online));
	vm2 = ioctl(self->fd, KVMINI_CREATE_VM, 0);
	ASSERT_GE(vm2, 0);
	close(vm1);
	EXPECT_EQ(online, count_svme(1, &online));	/* vm2 still alive */
	close(vm2);
	EXPECT_EQ(online, count_svme(0, &online));
}

TEST_F(virt, cpu_hotplug)
{
	int online, vm;

	count_svme(0, &online);
	if (online < 2 || set_online(1, 0))
		SKIP(_exit(255), "needs CPU 1 and permission to offline it");
	ASSERT_EQ(0, set_online(1, 1));

	/* A CPU that comes up while a VM exists gets SVM switched on... */
	vm = ioctl(self->fd, KVMINI_CREATE_VM, 0);
	ASSERT_GE(vm, 0);
	ASSERT_EQ(1, svme(1));
	ASSERT_EQ(0, set_online(1, 0));
	ASSERT_EQ(-1, svme(1));
	ASSERT_EQ(0, set_online(1, 1));
	EXPECT_EQ(1, svme(1));
	EXPECT_EQ(online, count_svme(1, &online));
	close(vm);
	EXPECT_EQ(online, count_svme(0, &online));

	/* ...and one that comes up with no VM does not. */
	ASSERT_EQ(0, set_online(1, 0));
	ASSERT_EQ(0, set_online(1, 1));
	EXPECT_EQ(0, svme(1));
	/* VMs created after the dance get every CPU. */
	vm = ioctl(self->fd, KVMINI_CREATE_VM, 0);
	ASSERT_GE(vm, 0);
	EXPECT_EQ(online, count_svme(1, &online));
	close(vm);
}

TEST_HARNESS_MAIN
