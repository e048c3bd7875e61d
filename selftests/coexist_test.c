// SPDX-License-Identifier: GPL-2.0
/*
 * Coexistence with the distro's KVM (kvm_amd/kvm_intel): whoever switches
 * hardware virtualization on first owns it; the other gets EBUSY and the
 * owner's guests keep running. Skips without /dev/kvm.
 */
#include <sched.h>
#include <sys/mman.h>
#include <linux/kvm.h>

#include "kvmini_util.h"
#include "kselftest_harness.h"

/* Real mode at 0x1000: mov al, 0x42; out 0x10, al; hlt */
static const unsigned char guest_code[] = { 0xb0, 0x42, 0xe6, 0x10, 0xf4 };

/* Run a tiny KVM guest pinned to @cpu; 0 on the expected exits, else -1. */
static int run_kvm_guest(int kvm, int vm, int cpu)
{
	struct kvm_userspace_memory_region mem = { .memory_size = 0x10000 };
	struct kvm_sregs sregs;
	struct kvm_regs regs = { .rip = 0x1000, .rflags = 2 };
	struct kvm_run *run;
	cpu_set_t set;
	int vcpu, size, ok = -1;
	void *ram;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		return -1;
	ram = mmap(NULL, mem.memory_size, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	memcpy((char *)ram + 0x1000, guest_code, sizeof(guest_code));
	mem.userspace_addr = (unsigned long)ram;
	mem.slot = cpu;
	mem.guest_phys_addr = 0x10000ULL * cpu;
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &mem))
		return -1;
	vcpu = ioctl(vm, KVM_CREATE_VCPU, cpu);
	size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (vcpu < 0 || size <= 0)
		return -1;
	run = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	if (run == MAP_FAILED || ioctl(vcpu, KVM_GET_SREGS, &sregs))
		return -1;
	sregs.cs.base = mem.guest_phys_addr;
	sregs.cs.selector = mem.guest_phys_addr >> 4;
	if (ioctl(vcpu, KVM_SET_SREGS, &sregs) || ioctl(vcpu, KVM_SET_REGS, &regs))
		return -1;
	if (ioctl(vcpu, KVM_RUN, 0) == 0 && run->exit_reason == KVM_EXIT_IO &&
	    run->io.port == 0x10 && run->io.direction == KVM_EXIT_IO_OUT &&
	    *((unsigned char *)run + run->io.data_offset) == 0x42 &&
	    ioctl(vcpu, KVM_RUN, 0) == 0 && run->exit_reason == KVM_EXIT_HLT)
		ok = 0;
	munmap(run, size);
	close(vcpu);
	return ok;
}

FIXTURE(co) {
	int kvm, kvmini, ncpus;
};

FIXTURE_SETUP(co)
{
	self->kvmini = open(KVMINI_DEV, O_RDWR | O_CLOEXEC);
	self->kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (self->kvmini < 0)
		SKIP(_exit(255), KVMINI_DEV " not available");
	if (self->kvm < 0)
		SKIP(_exit(255), "/dev/kvm not available (load kvm_amd/kvm_intel)");
	self->ncpus = sysconf(_SC_NPROCESSORS_ONLN);
}

FIXTURE_TEARDOWN(co)
{
	close(self->kvm);
	close(self->kvmini);
}

TEST_F(co, kvm_first)
{
	int kvm_vm, vm, cpu;

	kvm_vm = ioctl(self->kvm, KVM_CREATE_VM, 0);
	ASSERT_GE(kvm_vm, 0);
	EXPECT_EQ(-EBUSY, ioctl_err(self->kvmini, KVMINI_CREATE_VM, 0));
	/* KVM's state was not touched: its guest runs on every CPU. */
	for (cpu = 0; cpu < self->ncpus; cpu++)
		EXPECT_EQ(0, run_kvm_guest(self->kvm, kvm_vm, cpu)) TH_LOG("cpu %d", cpu);
	EXPECT_EQ(-EBUSY, ioctl_err(self->kvmini, KVMINI_CREATE_VM, 0));
	close(kvm_vm);

	vm = ioctl(self->kvmini, KVMINI_CREATE_VM, 0);
	EXPECT_GE(vm, 0);
	close(vm);
}

TEST_F(co, kvmini_first)
{
	int kvm_vm, vm, cpu;

	vm = ioctl(self->kvmini, KVMINI_CREATE_VM, 0);
	ASSERT_GE(vm, 0);
	EXPECT_EQ(-EBUSY, ioctl_err(self->kvm, KVM_CREATE_VM, 0));
	close(vm);

	/* Switched off everywhere: KVM gets every CPU back. */
	kvm_vm = ioctl(self->kvm, KVM_CREATE_VM, 0);
	ASSERT_GE(kvm_vm, 0);
	for (cpu = 0; cpu < self->ncpus; cpu++)
		EXPECT_EQ(0, run_kvm_guest(self->kvm, kvm_vm, cpu)) TH_LOG("cpu %d", cpu);
	close(kvm_vm);
}

TEST_HARNESS_MAIN
