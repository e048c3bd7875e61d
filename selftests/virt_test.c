// SPDX-License-Identifier: GPL-2.0
/*
 * Hardware virtualization is on, on every online CPU, exactly while a
 * kvmini VM exists, also across CPU hotplug. AMD: observed directly,
 * EFER.SVME through the msr driver (/dev/cpu/N/msr). Intel: VMX operation
 * cannot be seen from user space, so the distro KVM is the witness: its
 * KVM_CREATE_VM fails with EBUSY and logs "kvm: enabling virtualization on
 * CPU<n> failed" for each CPU that is already in VMX operation.
 */
#include <sched.h>
#include <linux/kvm.h>

#include "kvmini_util.h"
#include "kvmini_vm.h"
#include "kselftest_harness.h"

#define MSR_EFER	0xc0000080
#define EFER_SVME	(1ULL << 12)
#define MAX_CPUS	64

static bool amd;
static int kvm = -1;

/* EFER.SVME (Intel: 0) on @cpu, or -1 if the CPU is offline/unreadable. */
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
		r = amd && (efer & EFER_SVME);
	close(fd);
	return r;
}

/* Intel: set on[cpu] for each CPU that KVM finds in VMX operation. */
static void vmx_witness(int *on)
{
	char line[512], *p;
	int kmsg, vm, cpu;
	ssize_t len;

	kmsg = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);
	lseek(kmsg, 0, SEEK_END);
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm >= 0)
		close(vm);
	else
		while ((len = read(kmsg, line, sizeof(line) - 1)) > 0) {
			line[len] = 0;
			p = strstr(line, "enabling virtualization on CPU");
			if (p && sscanf(p, "enabling virtualization on CPU%d", &cpu) == 1 &&
			    cpu >= 0 && cpu < MAX_CPUS && on[cpu] >= 0)
				on[cpu] = 1;
		}
	close(kmsg);
}

/* on[cpu]: 1 virtualization on, 0 off, -1 offline. */
static void virt_state(int *on)
{
	int cpu;

	for (cpu = 0; cpu < MAX_CPUS; cpu++)
		on[cpu] = svme(cpu);
	if (!amd)
		vmx_witness(on);
}

/* How many online CPUs have virtualization == @want; *online: how many are online. */
static int count_on(int want, int *online)
{
	int on[MAX_CPUS], cpu, n = 0;

	virt_state(on);
	*online = 0;
	for (cpu = 0; cpu < MAX_CPUS; cpu++) {
		if (on[cpu] < 0)
			continue;
		(*online)++;
		n += on[cpu] == want;
	}
	return n;
}

static int on_cpu(int cpu)
{
	int on[MAX_CPUS];

	virt_state(on);
	return on[cpu];
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
	amd = host_cpu_is_amd();
	if (svme(0) < 0)
		SKIP(_exit(255), "no /dev/cpu/0/msr (modprobe msr)");
	if (!amd && (kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC)) < 0)
		SKIP(_exit(255), "Intel: KVM is the witness; load kvm_intel");
	if (count_on(1, &online) != 0)
		SKIP(_exit(255), "virtualization already on: another hypervisor is active");
}

FIXTURE_TEARDOWN(virt)
{
	if (self->fd >= 0)
		close(self->fd);
}

TEST_F(virt, on_exactly_while_vms_exist)
{
	int online, vm1, vm2;

	EXPECT_EQ(0, count_on(1, &online));
	vm1 = ioctl(self->fd, KVMINI_CREATE_VM, 0);
	ASSERT_GE(vm1, 0);
	EXPECT_EQ(online, count_on(1, &online));
	vm2 = ioctl(self->fd, KVMINI_CREATE_VM, 0);
	ASSERT_GE(vm2, 0);
	close(vm1);
	EXPECT_EQ(online, count_on(1, &online));	/* vm2 still alive */
	close(vm2);
	EXPECT_EQ(online, count_on(0, &online));
}

TEST_F(virt, cpu_hotplug)
{
	int online, vm;

	count_on(0, &online);
	if (online < 2 || set_online(1, 0))
		SKIP(_exit(255), "needs CPU 1 and permission to offline it");
	ASSERT_EQ(0, set_online(1, 1));

	/* A CPU that comes up while a VM exists gets SVM switched on... */
	vm = ioctl(self->fd, KVMINI_CREATE_VM, 0);
	ASSERT_GE(vm, 0);
	ASSERT_EQ(1, on_cpu(1));
	ASSERT_EQ(0, set_online(1, 0));
	ASSERT_EQ(-1, on_cpu(1));
	ASSERT_EQ(0, set_online(1, 1));
	EXPECT_EQ(1, on_cpu(1));
	EXPECT_EQ(online, count_on(1, &online));
	close(vm);
	EXPECT_EQ(online, count_on(0, &online));

	/* ...and one that comes up with no VM does not. */
	ASSERT_EQ(0, set_online(1, 0));
	ASSERT_EQ(0, set_online(1, 1));
	EXPECT_EQ(0, on_cpu(1));
	/* VMs created after the dance get every CPU. */
	vm = ioctl(self->fd, KVMINI_CREATE_VM, 0);
	ASSERT_GE(vm, 0);
	EXPECT_EQ(online, count_on(1, &online));
	close(vm);
}

TEST_HARNESS_MAIN
