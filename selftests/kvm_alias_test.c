// SPDX-License-Identifier: GPL-2.0
/*
 * kvmini.ko kvm_alias=1: kvmini also answers at /dev/kvm (misc 10:232),
 * for KVM clients that open that path, and refuses with EBUSY while
 * kvm.ko has it. Needs root, $KVMINI_KO, and the distro's kvm modules
 * (kvm and kvm_amd or kvm_intel) in /modules (the emulated host's
 * initramfs) to unload and reload them.
 * Leaves kvmini (without the alias) and KVM loaded as it found them.
 */
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <linux/kvm.h>

#include "kvmini_util.h"
#include "kvmini_vm.h"
#include "kselftest_harness.h"

static int load(const char *path, const char *params)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), r;

	if (fd < 0)
		return -errno;
	r = syscall(SYS_finit_module, fd, params, 0) ? -errno : 0;
	close(fd);
	return r;
}

static int unload(const char *name)
{
	return syscall(SYS_delete_module, name, O_NONBLOCK) ? -errno : 0;
}

/*
 * /dev/kvm's answer to KVM_CAP_HYPERV (Hyper-V enlightenments, which
 * kvmini does not have): 1 from KVM, 0 from kvmini; <0 none.
 */
static int kvm_hyperv(void)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC), r;

	if (fd < 0)
		return -1;
	r = ioctl(fd, KVM_GET_API_VERSION, 0) == 12 ? ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_HYPERV) : -1;
	close(fd);
	return r;
}

TEST(alias)
{
	const char *ko = getenv("KVMINI_KO");
	bool amd = host_cpu_is_amd();
	/* The vendor module, as loaded and as a file in /modules. */
	const char *vname = amd ? "kvm_amd" : "kvm_intel";
	const char *vko = amd ? "/modules/kvm-amd.ko" : "/modules/kvm-intel.ko";
	struct stat st;
	int fd, vm;

	if (!ko || access("/modules/kvm.ko", R_OK) || access(vko, R_OK) ||
	    kvm_hyperv() != 1)
		SKIP(return, "needs $KVMINI_KO, /modules/kvm.ko, %s and KVM loaded", vko);

	/* KVM has /dev/kvm: the alias is refused, kvmini loads as before. */
	ASSERT_EQ(0, unload("kvmini"));
	EXPECT_EQ(-EBUSY, load(ko, "kvm_alias=1"));
	ASSERT_EQ(0, load(ko, ""));
	EXPECT_EQ(1, kvm_hyperv());

	/* Without KVM: kvmini is /dev/kvm, 10:232, and runs VMs there. */
	ASSERT_EQ(0, unload(vname));
	ASSERT_EQ(0, unload("kvm"));
	ASSERT_EQ(0, unload("kvmini"));
	ASSERT_EQ(0, load(ko, "kvm_alias=1"));
	ASSERT_EQ(0, stat("/dev/kvm", &st));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(makedev(10, 232), st.st_rdev);
	EXPECT_EQ(0, kvm_hyperv());
	fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	vm = ioctl(fd, KVM_CREATE_VM, 0);
	EXPECT_LE(0, vm);
	/* In use through the alias: no unload. */
	EXPECT_EQ(-EWOULDBLOCK, unload("kvmini"));
	close(vm);
	close(fd);

	/* Back as found: kvmini without the alias, then KVM. */
	ASSERT_EQ(0, unload("kvmini"));
	EXPECT_NE(0, access("/dev/kvm", F_OK));
	ASSERT_EQ(0, load(ko, ""));
	ASSERT_EQ(0, load("/modules/kvm.ko", ""));
	ASSERT_EQ(0, load(vko, ""));
	EXPECT_EQ(1, kvm_hyperv());
}

TEST_HARNESS_MAIN
